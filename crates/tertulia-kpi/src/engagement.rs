//! Which interactions count as engagement.

use std::fmt;

use serde::{Deserialize, Serialize};
use tertulia_core::{Metric, Metrics};

use crate::error::{Error, Result};

/// The metrics that may count as engagement, in the order they are listed.
pub const INTERACTIONS: [Metric; 6] = [
    Metric::Likes,
    Metric::Comments,
    Metric::Shares,
    Metric::Saves,
    Metric::Clicks,
    Metric::VideoViews,
];

/// What to do when a post did not report one of the counted interactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingCounts {
    /// Leave the post out of every engagement figure and count it as missing
    /// (the default: an unknown count is not zero).
    #[default]
    Exclude,
    /// Count the missing interactions as zero, as many tools silently do.
    /// Offered only to reproduce their figures; the post is still counted as
    /// having missing counts.
    AsZero,
}

/// Which interactions count as engagement, because sources differ.
///
/// The default counts likes, comments and shares, the three that every
/// platform reports. Add saves, clicks or video views when the platforms you
/// compare all report them.
///
/// ```
/// use tertulia_core::{Metric, Metrics};
/// use tertulia_kpi::Engagement;
///
/// let post = Metrics::default()
///     .with(Metric::Likes, 40)
///     .with(Metric::Comments, 5)
///     .with(Metric::Shares, 3)
///     .with(Metric::Saves, 9);
/// assert_eq!(Engagement::default().of(&post), Some(48));
///
/// let with_saves = Engagement::new([Metric::Likes, Metric::Comments, Metric::Shares, Metric::Saves])?;
/// assert_eq!(with_saves.of(&post), Some(57));
/// assert_eq!(with_saves.to_string(), "likes + comments + shares + saves");
///
/// // A count that was not reported makes the engagement unknown, not smaller:
/// let no_shares = Metrics::default().with(Metric::Likes, 40).with(Metric::Comments, 5);
/// assert_eq!(Engagement::default().of(&no_shares), None);
/// # Ok::<(), tertulia_kpi::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "EngagementSpec", into = "EngagementSpec")]
pub struct Engagement {
    /// Bit i set: `INTERACTIONS[i]` counts.
    mask: u8,
    missing: MissingCounts,
}

impl Default for Engagement {
    fn default() -> Self {
        Engagement {
            mask: 0b111,
            missing: MissingCounts::Exclude,
        }
    }
}

impl Engagement {
    /// Engagement as the sum of `metrics`, which must be interactions
    /// (see [`INTERACTIONS`]) and not empty.
    pub fn new(metrics: impl IntoIterator<Item = Metric>) -> Result<Self> {
        let mut mask = 0u8;
        for metric in metrics {
            let Some(bit) = INTERACTIONS.iter().position(|&m| m == metric) else {
                return Err(Error::Setting {
                    field: "engagement metric",
                    value: metric.to_string(),
                    expected: "count only interactions: likes, comments, shares, saves, clicks or video_views",
                });
            };
            mask |= 1 << bit;
        }
        if mask == 0 {
            return Err(Error::Setting {
                field: "engagement definition",
                value: "empty".into(),
                expected: "name at least one interaction to count",
            });
        }
        Ok(Engagement {
            mask,
            missing: MissingCounts::Exclude,
        })
    }

    /// This definition with another policy for missing counts.
    #[must_use]
    pub fn with_missing(mut self, missing: MissingCounts) -> Self {
        self.missing = missing;
        self
    }

    /// The policy for missing counts.
    pub fn missing(&self) -> MissingCounts {
        self.missing
    }

    /// The counted interactions, in [`INTERACTIONS`] order.
    pub fn metrics(&self) -> impl Iterator<Item = Metric> + '_ {
        INTERACTIONS
            .into_iter()
            .enumerate()
            .filter(|(bit, _)| self.mask & (1 << bit) != 0)
            .map(|(_, m)| m)
    }

    /// Whether `metric` counts.
    pub fn counts(&self, metric: Metric) -> bool {
        self.metrics().any(|m| m == metric)
    }

    /// The engagement of one post, or `None` when a counted interaction is
    /// missing (unless the policy is [`MissingCounts::AsZero`]). Saturates at
    /// `u64::MAX`.
    pub fn of(&self, metrics: &Metrics) -> Option<u64> {
        self.count(metrics).0
    }

    /// The engagement and whether a counted interaction was missing.
    #[inline]
    pub(crate) fn count(&self, m: &Metrics) -> (Option<u64>, bool) {
        // The default definition is by far the most common: no loop for it.
        let parts = [
            m.likes,
            m.comments,
            m.shares,
            m.saves,
            m.clicks,
            m.video_views,
        ];
        let mut total = 0u64;
        let mut missing = false;
        for (bit, part) in parts.into_iter().enumerate() {
            if self.mask & (1 << bit) != 0 {
                match part {
                    Some(v) => total = total.saturating_add(v),
                    None => missing = true,
                }
            }
        }
        let value = if missing && self.missing == MissingCounts::Exclude {
            None
        } else {
            Some(total)
        };
        (value, missing)
    }
}

impl fmt::Display for Engagement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.metrics().enumerate() {
            if i > 0 {
                f.write_str(" + ")?;
            }
            f.write_str(m.name())?;
        }
        if self.missing == MissingCounts::AsZero {
            f.write_str(" (missing counted as 0)")?;
        }
        Ok(())
    }
}

/// The serialized form: `{"counts": ["likes", ...], "missing": "exclude"}`.
#[derive(Serialize, Deserialize)]
struct EngagementSpec {
    counts: Vec<Metric>,
    #[serde(default)]
    missing: MissingCounts,
}

impl From<Engagement> for EngagementSpec {
    fn from(e: Engagement) -> Self {
        EngagementSpec {
            counts: e.metrics().collect(),
            missing: e.missing,
        }
    }
}

impl TryFrom<EngagementSpec> for Engagement {
    type Error = Error;
    fn try_from(spec: EngagementSpec) -> Result<Self> {
        Ok(Engagement::new(spec.counts)?.with_missing(spec.missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_interactions_count_and_the_list_is_not_empty() {
        assert!(Engagement::new([Metric::Reach]).is_err());
        assert!(Engagement::new([]).is_err());
        let e = Engagement::new([Metric::Shares, Metric::Likes, Metric::Likes]).unwrap();
        assert_eq!(
            e.metrics().collect::<Vec<_>>(),
            [Metric::Likes, Metric::Shares]
        );
    }

    #[test]
    fn missing_policy_is_explicit() {
        let m = Metrics::default().with(Metric::Likes, 10);
        assert_eq!(Engagement::default().count(&m), (None, true));
        let zero = Engagement::default().with_missing(MissingCounts::AsZero);
        assert_eq!(zero.count(&m), (Some(10), true));
        assert_eq!(
            zero.to_string(),
            "likes + comments + shares (missing counted as 0)"
        );
    }

    #[test]
    fn serde_round_trip_and_checks() {
        let e = Engagement::new([Metric::Likes, Metric::VideoViews]).unwrap();
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"counts":["likes","video_views"],"missing":"exclude"}"#
        );
        assert_eq!(serde_json::from_str::<Engagement>(&json).unwrap(), e);
        assert!(serde_json::from_str::<Engagement>(r#"{"counts":[]}"#).is_err());
    }
}
