//! The per-post KPI set and its accumulator.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use tertulia_core::{Metrics, Post, PostKind};

use crate::engagement::Engagement;
use crate::error::{Error, Result};
use crate::rate::{Rate, RateKind, RateTotals};
use crate::stats::Confidence;

/// One per-post KPI: a rate with a fixed numerator and denominator.
///
/// "Engagement" is whatever the [`Engagement`] definition counts; "per post"
/// rates have a denominator of one post; "by followers" uses the followers at
/// post time (`Post::author.followers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kpi {
    /// Engagement / reach.
    EngagementByReach,
    /// Engagement / impressions.
    EngagementByImpressions,
    /// Engagement / followers at post time.
    EngagementByFollowers,
    /// Engaged users / reach: the share of people reached who interacted.
    EngagedUsersByReach,
    /// Engagement per post.
    EngagementPerPost,
    /// Applause: likes per post.
    ApplausePerPost,
    /// Conversation: comments per post.
    ConversationPerPost,
    /// Amplification: shares per post.
    AmplificationPerPost,
    /// Applause rate: likes / followers.
    ApplauseByFollowers,
    /// Conversation rate: comments / followers.
    ConversationByFollowers,
    /// Amplification rate: shares / followers.
    AmplificationByFollowers,
    /// Virality: shares / impressions.
    Virality,
    /// Reach rate: reach / followers (can exceed 1: reach counts non-followers).
    ReachRate,
    /// Click-through rate: clicks / impressions.
    ClickThrough,
    /// Video completion rate: completed views / views, for videos only.
    VideoCompletion,
}

impl Kpi {
    /// Every KPI, in report order.
    pub const ALL: [Kpi; 15] = [
        Kpi::EngagementByReach,
        Kpi::EngagementByImpressions,
        Kpi::EngagementByFollowers,
        Kpi::EngagedUsersByReach,
        Kpi::EngagementPerPost,
        Kpi::ApplausePerPost,
        Kpi::ConversationPerPost,
        Kpi::AmplificationPerPost,
        Kpi::ApplauseByFollowers,
        Kpi::ConversationByFollowers,
        Kpi::AmplificationByFollowers,
        Kpi::Virality,
        Kpi::ReachRate,
        Kpi::ClickThrough,
        Kpi::VideoCompletion,
    ];

    /// The snake-case name used in JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Kpi::EngagementByReach => "engagement_by_reach",
            Kpi::EngagementByImpressions => "engagement_by_impressions",
            Kpi::EngagementByFollowers => "engagement_by_followers",
            Kpi::EngagedUsersByReach => "engaged_users_by_reach",
            Kpi::EngagementPerPost => "engagement_per_post",
            Kpi::ApplausePerPost => "applause_per_post",
            Kpi::ConversationPerPost => "conversation_per_post",
            Kpi::AmplificationPerPost => "amplification_per_post",
            Kpi::ApplauseByFollowers => "applause_by_followers",
            Kpi::ConversationByFollowers => "conversation_by_followers",
            Kpi::AmplificationByFollowers => "amplification_by_followers",
            Kpi::Virality => "virality",
            Kpi::ReachRate => "reach_rate",
            Kpi::ClickThrough => "click_through",
            Kpi::VideoCompletion => "video_completion",
        }
    }

    /// The formula, in words, as a report prints it.
    pub fn formula(self) -> &'static str {
        match self {
            Kpi::EngagementByReach => "engagement / reach",
            Kpi::EngagementByImpressions => "engagement / impressions",
            Kpi::EngagementByFollowers => "engagement / followers at post time",
            Kpi::EngagedUsersByReach => "engaged users / reach",
            Kpi::EngagementPerPost => "engagement / posts",
            Kpi::ApplausePerPost => "likes / posts",
            Kpi::ConversationPerPost => "comments / posts",
            Kpi::AmplificationPerPost => "shares / posts",
            Kpi::ApplauseByFollowers => "likes / followers at post time",
            Kpi::ConversationByFollowers => "comments / followers at post time",
            Kpi::AmplificationByFollowers => "shares / followers at post time",
            Kpi::Virality => "shares / impressions",
            Kpi::ReachRate => "reach / followers at post time",
            Kpi::ClickThrough => "clicks / impressions",
            Kpi::VideoCompletion => "completed video views / video views",
        }
    }

    /// The numerator and denominator of this KPI for one post, given the
    /// post's engagement (as an [`Engagement`] counts it), its counts and its
    /// account's followers at post time; `None` where not reported.
    #[inline(always)]
    pub fn parts(
        self,
        engagement: Option<u64>,
        m: &Metrics,
        followers: Option<u64>,
    ) -> (Option<u64>, Option<u64>) {
        let post = Some(1);
        match self {
            Kpi::EngagementByReach => (engagement, m.reach),
            Kpi::EngagementByImpressions => (engagement, m.impressions),
            Kpi::EngagementByFollowers => (engagement, followers),
            Kpi::EngagedUsersByReach => (m.engaged_users, m.reach),
            Kpi::EngagementPerPost => (engagement, post),
            Kpi::ApplausePerPost => (m.likes, post),
            Kpi::ConversationPerPost => (m.comments, post),
            Kpi::AmplificationPerPost => (m.shares, post),
            Kpi::ApplauseByFollowers => (m.likes, followers),
            Kpi::ConversationByFollowers => (m.comments, followers),
            Kpi::AmplificationByFollowers => (m.shares, followers),
            Kpi::Virality => (m.shares, m.impressions),
            Kpi::ReachRate => (m.reach, followers),
            Kpi::ClickThrough => (m.clicks, m.impressions),
            Kpi::VideoCompletion => (m.video_completions, m.video_views),
        }
    }

    /// Whether a post of `kind` with counts `m` has this KPI at all: only
    /// videos (or posts reporting video views) have a completion rate, so a
    /// photo is not counted as missing one.
    #[inline(always)]
    pub fn applies_to(self, kind: PostKind, m: &Metrics) -> bool {
        self != Kpi::VideoCompletion || kind.is_video() || m.video_views.is_some()
    }

    /// This KPI for one post: `None` when a count is missing, the KPI does
    /// not apply, or the denominator is zero.
    ///
    /// ```
    /// use tertulia_core::{Metric, Metrics, PostKind};
    /// use tertulia_kpi::{Engagement, Kpi};
    ///
    /// let m = Metrics::default()
    ///     .with(Metric::Likes, 30).with(Metric::Comments, 6).with(Metric::Shares, 4)
    ///     .with(Metric::Reach, 2_000);
    /// let e = Engagement::default();
    /// assert_eq!(Kpi::EngagementByReach.of(&e, &m, Some(10_000), PostKind::Photo), Some(0.02));
    /// assert_eq!(Kpi::ApplauseByFollowers.of(&e, &m, Some(10_000), PostKind::Photo), Some(0.003));
    /// assert_eq!(Kpi::Virality.of(&e, &m, Some(10_000), PostKind::Photo), None); // no impressions
    /// ```
    pub fn of(
        self,
        engagement: &Engagement,
        m: &Metrics,
        followers: Option<u64>,
        kind: PostKind,
    ) -> Option<f64> {
        if !self.applies_to(kind, m) {
            return None;
        }
        match self.parts(engagement.of(m), m, followers) {
            (Some(n), Some(d)) if d > 0 => Some(n as f64 / d as f64),
            _ => None,
        }
    }

    /// Whether it is a proportion or a count per exposure.
    pub fn kind(self) -> RateKind {
        match self {
            Kpi::EngagedUsersByReach | Kpi::ClickThrough | Kpi::VideoCompletion => {
                RateKind::Proportion
            }
            _ => RateKind::PerExposure,
        }
    }

    /// Whether the figure is a count per post (printed as a number, not a
    /// percentage).
    pub fn is_per_post(self) -> bool {
        matches!(
            self,
            Kpi::EngagementPerPost
                | Kpi::ApplausePerPost
                | Kpi::ConversationPerPost
                | Kpi::AmplificationPerPost
        )
    }
}

impl fmt::Display for Kpi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every KPI's name, as an error lists them.
const KPI_NAMES: &str = "use one of engagement_by_reach, engagement_by_impressions, \
    engagement_by_followers, engaged_users_by_reach, engagement_per_post, applause_per_post, \
    conversation_per_post, amplification_per_post, applause_by_followers, \
    conversation_by_followers, amplification_by_followers, virality, reach_rate, click_through, \
    video_completion";

impl FromStr for Kpi {
    type Err = Error;
    fn from_str(s: &str) -> Result<Kpi> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Kpi::ALL
            .into_iter()
            .find(|k| k.name() == wanted)
            .ok_or_else(|| Error::Setting {
                field: "KPI",
                value: s.to_owned(),
                expected: KPI_NAMES,
            })
    }
}

/// The running totals of every [`Kpi`] over a set of posts: a mergeable,
/// serializable accumulator.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tertulia_core::{AccountId, Author, Handle, Metric, Metrics, Platform, Post, PostId};
/// use tertulia_kpi::{Kpi, PostTotals};
///
/// let author = Author::new(AccountId::new("1")?, Handle::new("aurora")?).with_followers(10_000);
/// let at = Utc.with_ymd_and_hms(2026, 3, 3, 18, 0, 0).unwrap();
/// let post = |id: &str, likes, reach| {
///     Post::new(PostId::new(id).unwrap(), Platform::Facebook, author.clone(), at, "")
///         .with_metrics(Metrics::default()
///             .with(Metric::Likes, likes).with(Metric::Comments, 0).with(Metric::Shares, 0)
///             .with(Metric::Reach, reach))
/// };
///
/// let mut monday = PostTotals::default();
/// monday.add_post(&post("a", 50, 1_000));
/// let mut tuesday = PostTotals::default();
/// tuesday.add_post(&post("b", 10, 4_000));
/// monday.merge(&tuesday)?;
///
/// let report = monday.report(Default::default());
/// let by_reach = report.rate(Kpi::EngagementByReach);
/// assert!((by_reach.ratio_of_sums.unwrap().value - 60.0 / 5_000.0).abs() < 1e-12);
/// assert!((by_reach.mean_of_rates.unwrap().value - (0.05 + 0.0025) / 2.0).abs() < 1e-12);
/// // Nobody reported impressions: undefined, not 0.
/// assert!(report.rate(Kpi::EngagementByImpressions).ratio_of_sums.is_none());
/// assert_eq!(report.rate(Kpi::EngagementByImpressions).missing, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostTotals {
    engagement: Engagement,
    /// Posts added.
    pub posts: u64,
    /// Posts with a counted interaction not reported.
    pub engagement_missing: u64,
    #[serde(with = "by_kpi")]
    rates: [RateTotals; Kpi::ALL.len()],
}

impl Default for PostTotals {
    fn default() -> Self {
        PostTotals::new(Engagement::default())
    }
}

impl PostTotals {
    /// Empty totals that count engagement as `engagement` says.
    pub fn new(engagement: Engagement) -> Self {
        PostTotals {
            engagement,
            posts: 0,
            engagement_missing: 0,
            rates: [RateTotals::default(); Kpi::ALL.len()],
        }
    }

    /// The engagement definition.
    pub fn engagement(&self) -> Engagement {
        self.engagement
    }

    /// Adds one post.
    #[inline]
    pub fn add_post(&mut self, post: &Post) {
        self.add(&post.metrics, post.author.followers, post.kind);
    }

    /// Adds one post from its counts, its account's followers at post time
    /// and its kind.
    #[inline]
    pub fn add(&mut self, m: &Metrics, followers: Option<u64>, kind: PostKind) {
        let (engagement, missing) = self.engagement.count(m);
        self.posts += 1;
        self.engagement_missing += u64::from(missing);
        // Spelled out KPI by KPI (a loop over `Kpi::ALL` is 20% slower):
        // each `parts` call is resolved at compile time.
        macro_rules! fold {
            ($($kpi:ident),*) => {$(
                if Kpi::$kpi.applies_to(kind, m) {
                    let (n, d) = Kpi::$kpi.parts(engagement, m, followers);
                    self.rates[Kpi::$kpi as usize].add(n, d);
                }
            )*};
        }
        fold!(
            EngagementByReach,
            EngagementByImpressions,
            EngagementByFollowers,
            EngagedUsersByReach,
            EngagementPerPost,
            ApplausePerPost,
            ConversationPerPost,
            AmplificationPerPost,
            ApplauseByFollowers,
            ConversationByFollowers,
            AmplificationByFollowers,
            Virality,
            ReachRate,
            ClickThrough,
            VideoCompletion
        );
    }

    /// Adds the totals of another shard, which must use the same engagement
    /// definition.
    pub fn merge(&mut self, other: &PostTotals) -> Result<()> {
        if self.engagement != other.engagement {
            return Err(Error::Mismatch {
                setting: "engagement definitions",
                ours: self.engagement.to_string(),
                theirs: other.engagement.to_string(),
            });
        }
        self.posts += other.posts;
        self.engagement_missing += other.engagement_missing;
        for (mine, theirs) in self.rates.iter_mut().zip(&other.rates) {
            mine.merge(theirs);
        }
        Ok(())
    }

    /// The totals of one KPI.
    pub fn totals(&self, kpi: Kpi) -> &RateTotals {
        &self.rates[kpi as usize]
    }

    /// Every KPI with intervals at `confidence`.
    pub fn report(&self, confidence: Confidence) -> PostReport {
        PostReport {
            engagement: self.engagement.to_string(),
            posts: self.posts,
            engagement_missing: self.engagement_missing,
            rates: Kpi::ALL
                .into_iter()
                .map(|k| (k, self.totals(k).rate(k.kind(), confidence)))
                .collect(),
        }
    }
}

/// Every per-post KPI of a set of posts, both ways, with intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostReport {
    /// The engagement definition, in words.
    pub engagement: String,
    /// Posts counted.
    pub posts: u64,
    /// Posts with a counted interaction not reported.
    pub engagement_missing: u64,
    /// Each KPI.
    pub rates: BTreeMap<Kpi, Rate>,
}

impl PostReport {
    /// The figures of one KPI.
    pub fn rate(&self, kpi: Kpi) -> &Rate {
        &self.rates[&kpi]
    }
}

/// Serializes the rate array as a map keyed by KPI name, so a checkpoint
/// reads well and survives a reordering of [`Kpi::ALL`].
mod by_kpi {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        rates: &[RateTotals; Kpi::ALL.len()],
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        s.collect_map(Kpi::ALL.iter().zip(rates))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<[RateTotals; Kpi::ALL.len()], D::Error> {
        let map = BTreeMap::<Kpi, RateTotals>::deserialize(d)?;
        let mut rates = [RateTotals::default(); Kpi::ALL.len()];
        for (kpi, totals) in map {
            rates[kpi as usize] = totals;
        }
        Ok(rates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tertulia_core::Metric;

    #[test]
    fn an_unknown_kpi_lists_every_name() {
        let err = "lieks".parse::<Kpi>().unwrap_err().to_string();
        for k in Kpi::ALL {
            assert!(err.contains(k.name()), "{} missing from {err}", k.name());
        }
        assert!(!err.contains("Kpi::"), "{err}");
    }

    #[test]
    fn kpi_indexes_follow_all_and_every_kpi_is_folded() {
        let m = Metrics::default().with(Metric::Likes, 1);
        let mut t = PostTotals::default();
        t.add(&m, Some(1), PostKind::Video);
        for (i, k) in Kpi::ALL.into_iter().enumerate() {
            assert_eq!(t.totals(k).posts, 1, "{k} is folded");
            assert_eq!(k as usize, i);
            assert_eq!(k.name().parse::<Kpi>().unwrap(), k);
        }
    }

    #[test]
    fn photos_are_not_missing_a_video_completion_rate() {
        let mut t = PostTotals::default();
        t.add(
            &Metrics::default().with(Metric::Likes, 1),
            Some(10),
            PostKind::Photo,
        );
        t.add(&Metrics::default(), Some(10), PostKind::Video);
        assert_eq!(t.totals(Kpi::VideoCompletion).posts, 1);
        assert_eq!(t.totals(Kpi::VideoCompletion).missing, 1);
        assert_eq!(t.engagement_missing, 2);
    }

    #[test]
    fn merging_different_definitions_is_refused_and_checkpoints_round_trip() {
        let mut a = PostTotals::default();
        a.add(
            &Metrics::default().with(Metric::Likes, 3),
            Some(100),
            PostKind::Text,
        );
        let b = PostTotals::new(Engagement::new([Metric::Likes]).unwrap());
        let err = a.clone().merge(&b).unwrap_err();
        assert!(err.to_string().contains("same settings"), "{err}");
        let back: PostTotals = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);
    }
}
