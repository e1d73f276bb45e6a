//! Everything at once: the KPI set of a community, and its report.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tertulia_core::Mention;

use crate::account::{DailyEngagement, FollowerGrowth, FollowerSpan};
use crate::engagement::Engagement;
use crate::error::{Error, Result};
use crate::group::{Breakdown, Change, GroupReport, Grouping, PostView};
use crate::hours::BusinessHours;
use crate::mentions::{MentionReport, MentionTotals};
use crate::rate::Rate;
use crate::stats::Confidence;
use crate::totals::{Kpi, PostReport, PostTotals};

/// The KPIs whose period-over-period change a report lists.
pub const HEADLINE: [Kpi; 3] = [
    Kpi::EngagementByReach,
    Kpi::EngagementByFollowers,
    Kpi::EngagedUsersByReach,
];

/// The settings of a KPI report. The common case, defaults in a time zone,
/// comes from the zone: `KpiOptions::from(Europe::Madrid)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiOptions {
    /// Which interactions count as engagement.
    pub engagement: Engagement,
    /// The zone of days, weeks, months, weekdays and hours.
    pub zone: Tz,
    /// The level of every interval and test.
    pub confidence: Confidence,
    /// A breakdown of the per-post KPIs, if wanted.
    pub grouping: Option<Grouping>,
    /// Opening hours to measure response times in, if any.
    pub business_hours: Option<BusinessHours>,
}

impl Default for KpiOptions {
    fn default() -> Self {
        KpiOptions::from(Tz::UTC)
    }
}

impl From<Tz> for KpiOptions {
    fn from(zone: Tz) -> Self {
        KpiOptions {
            engagement: Engagement::default(),
            zone,
            confidence: Confidence::default(),
            grouping: None,
            business_hours: None,
        }
    }
}

/// The KPI set of a community: per-post KPIs overall and by group, daily
/// engagement, follower growth and mention KPIs. A mergeable, serializable
/// accumulator: compute one per shard (account, day, machine) and merge.
///
/// ```
/// use tertulia_core::chrono_tz::Europe::Madrid;
/// use tertulia_kpi::{Grouping, Kpi, KpiOptions, Kpis};
/// use tertulia_sim::{SimConfig, Simulation};
///
/// let sim = Simulation::new(SimConfig::default().with_weeks(2))?;
/// let options = KpiOptions { grouping: Some(Grouping::Kind), ..KpiOptions::from(Madrid) };
/// let mut kpis = Kpis::new(options);
/// for post in sim.posts() {
///     kpis.add_post(&post);
/// }
/// for mention in sim.mentions() {
///     kpis.add_mention(&mention);
/// }
/// let report = kpis.report();
/// let by_followers = report.posts.rate(Kpi::EngagementByFollowers);
/// println!(
///     "engagement by followers: {:.2}% (ratio of sums), {:.2}% (mean of per-post rates)",
///     100.0 * by_followers.ratio_of_sums.unwrap().value,
///     100.0 * by_followers.mean_of_rates.unwrap().value,
/// );
/// assert!(report.mentions.unwrap().response_rate.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kpis {
    options: KpiOptions,
    /// Per-post KPIs over every post.
    pub overall: PostTotals,
    /// Per-post KPIs by group, when a grouping is set.
    pub breakdown: Option<Breakdown>,
    /// Daily engagement rate.
    pub daily: DailyEngagement,
    /// Follower growth per account.
    pub followers: FollowerGrowth,
    /// Mention KPIs.
    pub mentions: MentionTotals,
}

impl Kpis {
    /// An empty KPI set.
    pub fn new(options: impl Into<KpiOptions>) -> Self {
        let options = options.into();
        Kpis {
            overall: PostTotals::new(options.engagement),
            breakdown: options
                .grouping
                .map(|g| Breakdown::new(g, options.zone, options.engagement)),
            daily: DailyEngagement::new(options.zone, options.engagement),
            followers: FollowerGrowth::default(),
            mentions: options
                .business_hours
                .clone()
                .map_or_else(MentionTotals::default, MentionTotals::with_business_hours),
            options,
        }
    }

    /// The settings.
    pub fn options(&self) -> &KpiOptions {
        &self.options
    }

    /// Adds one post: a `&Post`, a `&PostRecord` or a [`PostView`].
    pub fn add_post<'a>(&mut self, post: impl Into<PostView<'a>>) {
        let post = post.into();
        self.overall.add(post.metrics, post.followers, post.kind);
        if let Some(b) = &mut self.breakdown {
            b.add(post);
        }
        self.daily.add(post);
        self.followers.add(post);
    }

    /// Adds one mention.
    pub fn add_mention(&mut self, mention: &Mention) {
        self.mentions.add(mention);
    }

    /// Adds another shard, which must have the same settings.
    pub fn merge(&mut self, other: &Kpis) -> Result<()> {
        if self.options != other.options {
            return Err(Error::Mismatch {
                setting: "options",
                ours: format!("{:?}", self.options),
                theirs: format!("{:?}", other.options),
            });
        }
        self.overall.merge(&other.overall)?;
        if let (Some(mine), Some(theirs)) = (&mut self.breakdown, &other.breakdown) {
            mine.merge(theirs)?;
        }
        self.daily.merge(&other.daily)?;
        self.followers.merge(&other.followers);
        self.mentions.merge(&other.mentions)
    }

    /// Every figure, with intervals and tests at the options' confidence.
    pub fn report(&self) -> KpiReport {
        let c = self.options.confidence;
        let breakdown = self.breakdown.as_ref();
        KpiReport {
            engagement: self.options.engagement.to_string(),
            zone: self.options.zone.to_string(),
            confidence: c.level(),
            posts: self.overall.report(c),
            daily_engagement: self.daily.rate(c),
            follower_growth: self
                .followers
                .accounts()
                .map(|(account, span)| AccountGrowth {
                    account: account.to_owned(),
                    span: *span,
                    growth_rate: span.growth_rate(),
                })
                .collect(),
            grouping: breakdown.map(Breakdown::grouping),
            unplaced: breakdown.map_or(0, |b| b.unplaced),
            groups: breakdown.map(|b| b.report(c)).unwrap_or_default(),
            changes: breakdown
                .map(|b| HEADLINE.iter().flat_map(|&k| b.changes(k, c)).collect())
                .unwrap_or_default(),
            mentions: (self.mentions.mentions > 0).then(|| self.mentions.report(c)),
        }
    }
}

/// One account's follower growth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountGrowth {
    /// The account's handle.
    pub account: String,
    /// Its first and last follower counts seen.
    pub span: FollowerSpan,
    /// (last - first) / first; `None` when the first count is zero.
    pub growth_rate: Option<f64>,
}

/// A community's KPIs: every figure, named by its convention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiReport {
    /// The engagement definition, in words.
    pub engagement: String,
    /// The time zone of days, weekdays and hours.
    pub zone: String,
    /// The confidence level of intervals and tests.
    pub confidence: f64,
    /// Per-post KPIs over every post.
    pub posts: PostReport,
    /// Daily engagement rate: per account and day, engagement / followers
    /// (its `posts` are account-days).
    pub daily_engagement: Rate,
    /// Follower growth per account, over the span its posts cover.
    pub follower_growth: Vec<AccountGrowth>,
    /// The grouping of `groups`, if any.
    pub grouping: Option<Grouping>,
    /// Posts that lacked what the grouping needs.
    pub unplaced: u64,
    /// Per-post KPIs by group.
    pub groups: Vec<GroupReport>,
    /// Period-over-period changes of the headline KPIs, when grouped by period.
    pub changes: Vec<Change>,
    /// Mention KPIs, when mentions were added.
    pub mentions: Option<MentionReport>,
}
