//! One reader for every platform's rate-limit headers.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A number this large in a reset header is a Unix time; smaller, seconds
/// from now (the IETF draft's `RateLimit-Reset`).
const UNIX_TIME: i64 = 1_000_000_000;

/// What an answer's headers say of the platform's rate limit.
///
/// Read from, in any letter case: `Retry-After` (seconds or an HTTP date),
/// `X-RateLimit-Reset` (an RFC 3339 time, as Mastodon sends, or Unix
/// seconds), `RateLimit-Reset` (Unix seconds, as Bluesky's PDS sends, or
/// seconds from now), and the `Limit` and `Remaining` of either family.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tertulia_connect::RateLimit;
///
/// let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
/// let mastodon = RateLimit::from_headers(
///     [("X-RateLimit-Limit", "300"), ("X-RateLimit-Remaining", "0"),
///      ("X-RateLimit-Reset", "2026-12-01T12:05:00.000Z")], now);
/// assert_eq!(mastodon.remaining, Some(0));
/// assert_eq!(mastodon.wait(now).unwrap().as_secs(), 300);
///
/// let bluesky = RateLimit::from_headers(
///     [("ratelimit-limit", "30"), ("ratelimit-remaining", "0"),
///      ("ratelimit-reset", &(now.timestamp() + 90).to_string()), ("ratelimit-policy", "30;w=300")], now);
/// assert_eq!(bluesky.wait(now).unwrap().as_secs(), 90);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Calls allowed in the window.
    pub limit: Option<u64>,
    /// Calls left in it.
    pub remaining: Option<u64>,
    /// When it reopens.
    pub reset_at: Option<DateTime<Utc>>,
    /// How long the platform asked to wait.
    pub retry_after: Option<Duration>,
}

impl RateLimit {
    /// Reads `headers` (name, value) as seen at `now`; what is not there or
    /// does not parse stays `None`.
    pub fn from_headers<'a>(
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        now: DateTime<Utc>,
    ) -> Self {
        let mut r = RateLimit::default();
        // A leading number: "100" or "100, 100;w=60".
        let number = |v: &str| {
            let digits: String = v.trim().chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u64>().ok()
        };
        for (name, value) in headers {
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "retry-after" => {
                    r.retry_after =
                        tertulia_core::retry_after(value, now).and_then(|d| d.to_std().ok());
                }
                "x-ratelimit-reset" | "ratelimit-reset" => r.reset_at = reset(value, now),
                "x-ratelimit-limit" | "ratelimit-limit" => r.limit = number(value),
                "x-ratelimit-remaining" | "ratelimit-remaining" => r.remaining = number(value),
                _ => {}
            }
        }
        r
    }

    /// How long to wait before the next call, seen at `now`: the longer of
    /// `Retry-After` and the time to the reset; `None` if neither was said.
    pub fn wait(&self, now: DateTime<Utc>) -> Option<Duration> {
        let to_reset = self
            .reset_at
            .map(|t| (t - now).to_std().unwrap_or_default());
        match (self.retry_after, to_reset) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether the window has no calls left.
    pub fn exhausted(&self) -> bool {
        self.remaining == Some(0)
    }

    /// The error for a 429 with these headers.
    pub fn error(&self, scope: Option<String>) -> Error {
        Error::RateLimited {
            retry_after: self.retry_after,
            reset_at: self.reset_at,
            scope,
        }
    }
}

fn reset(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if let Ok(n) = value.parse::<i64>() {
        return if n >= UNIX_TIME {
            DateTime::from_timestamp(n, 0)
        } else {
            Some(now + TimeDelta::seconds(n.max(0)))
        };
    }
    if let Ok(x) = value.parse::<f64>()
        && x.is_finite()
        && x >= UNIX_TIME as f64
    {
        return DateTime::from_timestamp_millis((x * 1000.0) as i64);
    }
    DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn every_form_of_reset_reads() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        let at = |v: &str| RateLimit::from_headers([("RateLimit-Reset", v)], now).reset_at;
        assert_eq!(
            at("30"),
            Some(now + TimeDelta::seconds(30)),
            "seconds from now"
        );
        assert_eq!(
            at(&(now.timestamp() + 60).to_string()),
            Some(now + TimeDelta::seconds(60))
        );
        assert_eq!(
            at("2026-12-01T12:01:00Z"),
            Some(now + TimeDelta::seconds(60))
        );
        assert_eq!(
            at("1796126460.5").map(|t| t.timestamp_subsec_millis()),
            Some(500)
        );
        assert_eq!(at("soon"), None);
        let r = RateLimit::from_headers(
            [
                ("Retry-After", "120"),
                ("X-RateLimit-Reset", "2026-12-01T12:00:30Z"),
            ],
            now,
        );
        assert_eq!(
            r.wait(now),
            Some(Duration::from_secs(120)),
            "the longer of the two"
        );
        let past = RateLimit::from_headers([("x-ratelimit-reset", "2026-12-01T11:00:00Z")], now);
        assert_eq!(past.wait(now), Some(Duration::ZERO));
        assert_eq!(
            RateLimit::from_headers([("RateLimit-Limit", "100, 100;w=60")], now).limit,
            Some(100)
        );
        assert_eq!(RateLimit::default().wait(now), None);
    }
}
