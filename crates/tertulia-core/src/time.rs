//! Instants, ranges, time zones and the injected clock.

use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A half-open span of time `[start, end)` in UTC.
///
/// `start <= end` always holds: [`TimeRange::new`] and deserialization reject
/// a reversed range. An empty range (`start == end`) contains no instant.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use tertulia_core::TimeRange;
///
/// let jan = TimeRange::new(
///     Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
///     Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(),
/// )?;
/// assert_eq!(jan.duration(), TimeDelta::days(31));
/// assert!(jan.contains(Utc.with_ymd_and_hms(2026, 1, 31, 23, 59, 59).unwrap()));
/// assert!(!jan.contains(jan.end()));
/// assert!(TimeRange::new(jan.end(), jan.start()).is_err());
/// # Ok::<(), tertulia_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "RawRange")]
pub struct TimeRange {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

#[derive(Deserialize)]
struct RawRange {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TryFrom<RawRange> for TimeRange {
    type Error = Error;
    fn try_from(raw: RawRange) -> Result<Self> {
        TimeRange::new(raw.start, raw.end)
    }
}

impl TimeRange {
    /// The range from `start` (included) to `end` (excluded).
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self> {
        if end < start {
            return Err(Error::Reversed {
                field: "time range",
                earlier: start,
                later: end,
            });
        }
        Ok(TimeRange { start, end })
    }

    /// The range of length `duration` that starts at `start`.
    ///
    /// Fails if `duration` is negative or the end overflows the calendar.
    pub fn starting_at(start: DateTime<Utc>, duration: TimeDelta) -> Result<Self> {
        let end = start
            .checked_add_signed(duration)
            .ok_or(Error::OutOfRange {
                field: "time range duration",
                value: duration.to_string(),
                expected: "a length whose end is a representable date",
            })?;
        TimeRange::new(start, end)
    }

    /// The first instant in the range.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// The first instant after the range.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// `end - start`, never negative.
    pub fn duration(&self) -> TimeDelta {
        self.end - self.start
    }

    /// True when the range contains no instant.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// True when `at` lies in `[start, end)`.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }

    /// True when the two ranges share at least one instant.
    pub fn overlaps(&self, other: &TimeRange) -> bool {
        self.intersection(other).is_some()
    }

    /// The instants both ranges contain, or `None` if they share none.
    pub fn intersection(&self, other: &TimeRange) -> Option<TimeRange> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (start < end).then_some(TimeRange { start, end })
    }
}

/// The IANA time zone called `name` (`Europe/Madrid`, `America/New_York`,
/// `UTC`), with an error that says what to give instead.
///
/// ```
/// let madrid = tertulia_core::time_zone("Europe/Madrid")?;
/// assert_eq!(madrid, chrono_tz::Europe::Madrid);
/// assert!(tertulia_core::time_zone("Mars/Olympus_Mons").is_err());
/// # Ok::<(), tertulia_core::Error>(())
/// ```
pub fn time_zone(name: &str) -> Result<Tz> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| Error::UnknownTimeZone(name.to_owned()))
}

/// The instant a wall-clock time in `zone` stands for, DST-correct: when
/// clocks go back and the time happens twice, the first one; when clocks go
/// forward past it, the first time that exists after it (02:30 on the night
/// Madrid jumps from 02:00 to 03:00 becomes 03:00).
///
/// ```
/// use chrono::{NaiveDate, TimeZone};
/// use chrono_tz::Europe::Madrid;
/// use tertulia_core::local_instant;
///
/// let spring = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap().and_hms_opt(2, 30, 0).unwrap();
/// assert_eq!(local_instant(Madrid, spring), Madrid.with_ymd_and_hms(2026, 3, 29, 3, 0, 0).unwrap());
/// let autumn = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap().and_hms_opt(2, 30, 0).unwrap();
/// assert_eq!(local_instant(Madrid, autumn).to_rfc3339(), "2026-10-25T00:30:00+00:00");
/// ```
pub fn local_instant(zone: Tz, local: chrono::NaiveDateTime) -> DateTime<Utc> {
    use chrono::TimeZone;
    // Gaps are at most a few hours; a minute at a time finds their end.
    let mut t = local;
    for _ in 0..=24 * 60 {
        if let Some(at) = zone.from_local_datetime(&t).earliest() {
            return at.to_utc();
        }
        t += TimeDelta::minutes(1);
    }
    // No zone skips a whole day of minutes at a time; read it as UTC.
    Utc.from_utc_datetime(&local)
}

/// Where "now" comes from.
///
/// Code in tertulia never reads the wall clock itself: it is handed a `Clock`.
/// Programs pass [`SystemClock`]; tests pass a [`ManualClock`] and move it.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The computer's clock. Only programs (the CLI, connectors, notifiers) use it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until it is set or advanced, for tests and replays.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use tertulia_core::{Clock, ManualClock};
///
/// let start = Utc.with_ymd_and_hms(2026, 3, 29, 0, 0, 0).unwrap();
/// let clock = ManualClock::new(start);
/// clock.advance(TimeDelta::minutes(90));
/// assert_eq!(clock.now(), start + TimeDelta::minutes(90));
/// ```
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(at))
    }

    /// Moves the clock to `at` (forwards or backwards).
    pub fn set(&self, at: DateTime<Utc>) {
        *self.lock() = at;
    }

    /// Moves the clock forwards by `by` (backwards if negative).
    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.lock();
        *now += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // The guarded value is a plain instant, valid even if a holder panicked.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

/// How long an HTTP `Retry-After` header asks to wait, seen at `now`: the
/// header holds either whole seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2026 07:28:00 GMT`). A date already past asks for no wait;
/// a value that is neither is `None`, so the caller falls back on its own
/// backoff.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use tertulia_core::retry_after;
///
/// let now = Utc.with_ymd_and_hms(2026, 10, 21, 7, 27, 0).unwrap();
/// assert_eq!(retry_after("120", now), Some(TimeDelta::seconds(120)));
/// assert_eq!(retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now), Some(TimeDelta::seconds(60)));
/// assert_eq!(retry_after("soon", now), None);
/// ```
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<TimeDelta> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u32>() {
        return Some(TimeDelta::seconds(i64::from(seconds)));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).max(TimeDelta::zero()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).unwrap()
    }

    #[test]
    fn reversed_ranges_are_rejected_also_from_json() {
        let err = TimeRange::new(at(10), at(5)).unwrap_err();
        assert!(matches!(err, Error::Reversed { .. }));
        assert!(err.to_string().contains("swap them"));
        let json = r#"{"start":"2026-01-02T00:00:00Z","end":"2026-01-01T00:00:00Z"}"#;
        assert!(serde_json::from_str::<TimeRange>(json).is_err());
        assert!(TimeRange::starting_at(at(0), TimeDelta::seconds(-1)).is_err());
    }

    #[test]
    fn clocks_through_references_and_arcs() {
        let clock = std::sync::Arc::new(ManualClock::new(at(0)));
        let shared: &dyn Clock = &clock;
        clock.set(at(42));
        assert_eq!(shared.now(), at(42));
        assert!(SystemClock.now() > at(1_700_000_000));
    }

    proptest! {
        #[test]
        fn intersection_lies_in_both(a in 0i64..1000, b in 0i64..1000, c in 0i64..1000, d in 0i64..1000) {
            let x = TimeRange::new(at(a.min(b)), at(a.max(b))).unwrap();
            let y = TimeRange::new(at(c.min(d)), at(c.max(d))).unwrap();
            let i = x.intersection(&y);
            prop_assert_eq!(i, y.intersection(&x));
            prop_assert_eq!(i.is_some(), x.overlaps(&y));
            for s in 0..1000 {
                let t = at(s);
                prop_assert_eq!(i.is_some_and(|i| i.contains(t)), x.contains(t) && y.contains(t));
            }
            let json = serde_json::to_string(&x).unwrap();
            prop_assert_eq!(serde_json::from_str::<TimeRange>(&json).unwrap(), x);
        }
    }

    #[test]
    fn reads_seconds_and_dates() {
        let now = Utc.with_ymd_and_hms(2026, 10, 21, 7, 27, 0).unwrap();
        assert_eq!(retry_after(" 0 ", now), Some(TimeDelta::zero()));
        assert_eq!(
            retry_after("Wed, 21 Oct 2026 07:00:00 GMT", now),
            Some(TimeDelta::zero()),
            "a date past asks for no wait"
        );
        assert_eq!(retry_after("-5", now), None);
        assert_eq!(retry_after("1.5", now), None);
        assert_eq!(retry_after("", now), None);
    }
}
