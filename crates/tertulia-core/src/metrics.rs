//! Per-post counts: likes, comments, shares, reach, ...

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One kind of count a platform can report about a post.
///
/// Names are the community manager's words; [`Metric::name`] is the snake-case
/// name used in files and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Likes, favourites, reactions: the "applause".
    Likes,
    /// Comments and replies: the "conversation".
    Comments,
    /// Shares, reposts, reblogs, retweets: the "amplification".
    Shares,
    /// Saves and bookmarks.
    Saves,
    /// Link clicks.
    Clicks,
    /// Times the post was shown, counting repeats.
    Impressions,
    /// Distinct accounts the post was shown to.
    Reach,
    /// Video views, as the platform counts them.
    VideoViews,
    /// Video views watched to the end.
    VideoCompletions,
    /// Distinct accounts that interacted with the post in any way.
    EngagedUsers,
}

impl Metric {
    /// Every metric, in declaration order.
    pub const ALL: [Metric; 10] = [
        Metric::Likes,
        Metric::Comments,
        Metric::Shares,
        Metric::Saves,
        Metric::Clicks,
        Metric::Impressions,
        Metric::Reach,
        Metric::VideoViews,
        Metric::VideoCompletions,
        Metric::EngagedUsers,
    ];

    /// The snake-case name, as in JSON and CSV headers.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Likes => "likes",
            Metric::Comments => "comments",
            Metric::Shares => "shares",
            Metric::Saves => "saves",
            Metric::Clicks => "clicks",
            Metric::Impressions => "impressions",
            Metric::Reach => "reach",
            Metric::VideoViews => "video_views",
            Metric::VideoCompletions => "video_completions",
            Metric::EngagedUsers => "engaged_users",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Metric {
    type Err = Error;
    fn from_str(s: &str) -> Result<Metric> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == wanted)
            .ok_or_else(|| Error::BadText {
                field: "metric",
                value: s.to_owned(),
                problem: "is not a metric: use likes, comments, shares, saves, clicks, impressions, reach, video_views, video_completions or engaged_users",
            })
    }
}

/// The counts a platform reported for one post.
///
/// Every count is an `Option<u64>`: `None` means the platform did not report
/// it (Bluesky has no reach, a photo has no video views, an export had an
/// empty cell), which is not the same as zero. Code that sums or divides
/// these counts must skip and count the missing ones, never treat them as 0.
///
/// ```
/// use tertulia_core::{Metric, Metrics};
///
/// let m = Metrics::default().with(Metric::Likes, 120).with(Metric::Reach, 4_000);
/// assert_eq!(m.get(Metric::Likes), Some(120));
/// assert_eq!(m.get(Metric::Shares), None); // not reported, not zero
///
/// // Values from a spreadsheet arrive as numbers and are checked:
/// let mut m = Metrics::default();
/// m.set_number(Metric::Comments, 7.0)?;
/// assert!(m.set_number(Metric::Comments, -1.0).is_err());
/// assert!(m.set_number(Metric::Comments, 2.5).is_err());
/// # Ok::<(), tertulia_core::Error>(())
/// ```
///
/// A key that names no metric is refused, so a misspelt count is not lost:
///
/// ```
/// use tertulia_core::Metrics;
///
/// let err = serde_json::from_str::<Metrics>(r#"{"lieks": 4}"#).unwrap_err();
/// assert!(err.to_string().contains("unknown field `lieks`"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// See [`Metric::Likes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub likes: Option<u64>,
    /// See [`Metric::Comments`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<u64>,
    /// See [`Metric::Shares`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<u64>,
    /// See [`Metric::Saves`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saves: Option<u64>,
    /// See [`Metric::Clicks`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clicks: Option<u64>,
    /// See [`Metric::Impressions`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impressions: Option<u64>,
    /// See [`Metric::Reach`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reach: Option<u64>,
    /// See [`Metric::VideoViews`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_views: Option<u64>,
    /// See [`Metric::VideoCompletions`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_completions: Option<u64>,
    /// See [`Metric::EngagedUsers`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engaged_users: Option<u64>,
}

impl Metrics {
    /// The count of `metric`, or `None` if it was not reported.
    pub fn get(&self, metric: Metric) -> Option<u64> {
        *self.slot(metric)
    }

    /// Sets (or, with `None`, clears) the count of `metric`.
    pub fn set(&mut self, metric: Metric, value: Option<u64>) {
        *self.slot_mut(metric) = value;
    }

    /// This value with `metric` set to `value`.
    #[must_use]
    pub fn with(mut self, metric: Metric, value: u64) -> Self {
        self.set(metric, Some(value));
        self
    }

    /// Sets `metric` from a number read from a file or spreadsheet, which must
    /// be a finite, non-negative whole number.
    pub fn set_number(&mut self, metric: Metric, value: f64) -> Result<()> {
        let field = metric.name();
        crate::error::finite(field, value)?;
        // 2^64 as f64: every whole f64 below it fits in a u64.
        if value < 0.0 || value.fract() != 0.0 || value >= 18_446_744_073_709_551_616.0 {
            return Err(Error::OutOfRange {
                field,
                value: value.to_string(),
                expected: "the whole numbers from 0 to 2^64 - 1 (a count)",
            });
        }
        self.set(metric, Some(value as u64));
        Ok(())
    }

    /// The reported metrics and their counts, in [`Metric::ALL`] order.
    pub fn reported(&self) -> impl Iterator<Item = (Metric, u64)> + '_ {
        Metric::ALL
            .into_iter()
            .filter_map(|m| self.get(m).map(|v| (m, v)))
    }

    /// True when no metric was reported at all.
    pub fn is_empty(&self) -> bool {
        self.reported().next().is_none()
    }

    fn slot(&self, metric: Metric) -> &Option<u64> {
        match metric {
            Metric::Likes => &self.likes,
            Metric::Comments => &self.comments,
            Metric::Shares => &self.shares,
            Metric::Saves => &self.saves,
            Metric::Clicks => &self.clicks,
            Metric::Impressions => &self.impressions,
            Metric::Reach => &self.reach,
            Metric::VideoViews => &self.video_views,
            Metric::VideoCompletions => &self.video_completions,
            Metric::EngagedUsers => &self.engaged_users,
        }
    }

    fn slot_mut(&mut self, metric: Metric) -> &mut Option<u64> {
        match metric {
            Metric::Likes => &mut self.likes,
            Metric::Comments => &mut self.comments,
            Metric::Shares => &mut self.shares,
            Metric::Saves => &mut self.saves,
            Metric::Clicks => &mut self.clicks,
            Metric::Impressions => &mut self.impressions,
            Metric::Reach => &mut self.reach,
            Metric::VideoViews => &mut self.video_views,
            Metric::VideoCompletions => &mut self.video_completions,
            Metric::EngagedUsers => &mut self.engaged_users,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_parse_back() {
        for m in Metric::ALL {
            assert_eq!(m.name().parse::<Metric>().unwrap(), m);
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.name()));
        }
        assert_eq!("Video Views".parse::<Metric>().unwrap(), Metric::VideoViews);
        assert!("followers".parse::<Metric>().is_err());
    }

    #[test]
    fn missing_is_left_out_of_json_and_read_back_as_missing() {
        let m = Metrics::default().with(Metric::Likes, 0);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"likes":0}"#);
        let back: Metrics = serde_json::from_str(&json).unwrap();
        assert_eq!(back.likes, Some(0));
        assert_eq!(back.shares, None);
    }

    #[test]
    fn numbers_are_checked() {
        let mut m = Metrics::default();
        for bad in [f64::NAN, f64::INFINITY, -0.5, -1.0, 1.5, 1e20] {
            assert!(m.set_number(Metric::Likes, bad).is_err(), "{bad}");
        }
        assert_eq!(m.likes, None, "a rejected number leaves the count missing");
        m.set_number(Metric::Likes, 0.0).unwrap();
        assert_eq!(m.likes, Some(0));
    }

    proptest! {
        #[test]
        fn set_then_get(values in proptest::collection::vec(proptest::option::of(any::<u64>()), 10)) {
            let mut m = Metrics::default();
            for (metric, v) in Metric::ALL.into_iter().zip(&values) {
                m.set(metric, *v);
            }
            for (metric, v) in Metric::ALL.into_iter().zip(&values) {
                prop_assert_eq!(m.get(metric), *v);
            }
            let back: Metrics = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
            prop_assert_eq!(back, m);
            prop_assert_eq!(m.reported().count(), values.iter().flatten().count());
        }
    }
}
