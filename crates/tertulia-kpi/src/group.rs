//! KPIs by group: period, post kind, weekday, hour, or any key of yours.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tertulia_core::{Metrics, Platform, Post, PostKind};

use crate::engagement::Engagement;
use crate::error::{Error, Result};
use crate::rate::RateTotals;
use crate::stats::{Comparison, Confidence};
use crate::totals::{Kpi, PostReport, PostTotals};

/// When a post was published, as far as the source says.
///
/// A full export gives the instant (`at`); some data sets give only the
/// month, the weekday and the hour. Grouping uses what there is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    /// The instant, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    /// The month (1-12) in the source's time zone, when only that is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<u32>,
    /// The weekday in the source's time zone, when only that is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekday: Option<Weekday>,
    /// The weekday as a number (1-7) whose first day the source does not
    /// say, when that is all there is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_number: Option<u8>,
    /// The hour (0-23) in the source's time zone, when only that is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hour: Option<u32>,
}

impl From<DateTime<Utc>> for Posted {
    fn from(at: DateTime<Utc>) -> Self {
        Posted {
            at: Some(at),
            ..Posted::default()
        }
    }
}

/// What KPI maths reads from one published post: a [`Post`] without its
/// text, or a row of an export that has no post text or exact time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostRecord {
    /// Where it was published, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The publishing account's handle, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Its format.
    pub kind: PostKind,
    /// When it was published.
    pub posted: Posted,
    /// The account's followers at post time, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<u64>,
    /// Whether it was promoted with money, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid: Option<bool>,
    /// Its counts.
    pub metrics: Metrics,
}

impl From<&Post> for PostRecord {
    fn from(post: &Post) -> Self {
        PostRecord {
            platform: Some(post.platform.clone()),
            account: Some(post.author.handle.as_str().to_owned()),
            kind: post.kind,
            posted: post.created_at.into(),
            followers: post.author.followers,
            paid: post.paid,
            metrics: post.metrics,
        }
    }
}

/// A borrowed [`PostRecord`]: what every accumulator reads, made from a
/// `&Post` or a `&PostRecord` without copying text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostView<'a> {
    /// Where it was published, when known.
    pub platform: Option<&'a Platform>,
    /// The publishing account's handle, when known.
    pub account: Option<&'a str>,
    /// Its format.
    pub kind: PostKind,
    /// When it was published.
    pub posted: Posted,
    /// The account's followers at post time, when known.
    pub followers: Option<u64>,
    /// Whether it was promoted with money, when known.
    pub paid: Option<bool>,
    /// Its counts.
    pub metrics: &'a Metrics,
}

impl<'a> From<&'a Post> for PostView<'a> {
    #[inline]
    fn from(post: &'a Post) -> Self {
        PostView {
            platform: Some(&post.platform),
            account: Some(post.author.handle.as_str()),
            kind: post.kind,
            posted: post.created_at.into(),
            followers: post.author.followers,
            paid: post.paid,
            metrics: &post.metrics,
        }
    }
}

impl<'a> From<&'a PostRecord> for PostView<'a> {
    #[inline]
    fn from(r: &'a PostRecord) -> Self {
        PostView {
            platform: r.platform.as_ref(),
            account: r.account.as_deref(),
            kind: r.kind,
            posted: r.posted,
            followers: r.followers,
            paid: r.paid,
            metrics: &r.metrics,
        }
    }
}

/// How to group posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// By post kind (photo, video, ...).
    Kind,
    /// By weekday, in the report's time zone.
    Weekday,
    /// By hour of the day, in the report's time zone.
    Hour,
    /// By calendar day, in the report's time zone.
    Day,
    /// By week starting Monday, in the report's time zone.
    Week,
    /// By calendar month, in the report's time zone.
    Month,
    /// By platform.
    Platform,
    /// By publishing account.
    Account,
    /// Whether the post was paid for.
    Paid,
}

impl Grouping {
    /// Every grouping.
    pub const ALL: [Grouping; 9] = [
        Grouping::Kind,
        Grouping::Weekday,
        Grouping::Hour,
        Grouping::Day,
        Grouping::Week,
        Grouping::Month,
        Grouping::Platform,
        Grouping::Account,
        Grouping::Paid,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Grouping::Kind => "kind",
            Grouping::Weekday => "weekday",
            Grouping::Hour => "hour",
            Grouping::Day => "day",
            Grouping::Week => "week",
            Grouping::Month => "month",
            Grouping::Platform => "platform",
            Grouping::Account => "account",
            Grouping::Paid => "paid",
        }
    }

    /// Whether the groups are consecutive periods (day, week, month), so
    /// that period-over-period change means something.
    pub fn is_period(self) -> bool {
        matches!(self, Grouping::Day | Grouping::Week | Grouping::Month)
    }

    /// The group of `record` with times read in `zone`, or `None` when the
    /// record lacks what the grouping needs (a day for a post with only a
    /// weekday, an account for a row with none).
    pub fn key(self, record: &PostView<'_>, zone: Tz) -> Option<GroupKey> {
        let p = &record.posted;
        // Only the groupings by time pay for the time-zone lookup.
        let local = if matches!(
            self,
            Grouping::Kind | Grouping::Platform | Grouping::Account | Grouping::Paid
        ) {
            None
        } else {
            p.at.map(|at| at.with_timezone(&zone))
        };
        Some(match self {
            Grouping::Kind => GroupKey::Kind(record.kind),
            Grouping::Weekday => match (local, p.weekday, p.day_number) {
                (Some(t), _, _) => GroupKey::weekday(t.weekday()),
                (None, Some(w), _) => GroupKey::weekday(w),
                (None, None, Some(n)) => GroupKey::DayNumber(n),
                (None, None, None) => return None,
            },
            Grouping::Hour => GroupKey::Hour(local.map(|t| t.hour()).or(p.hour)? as u8),
            Grouping::Day => GroupKey::Day(local?.date_naive()),
            Grouping::Week => {
                let day = local?.date_naive();
                GroupKey::Week(day - Days::new(day.weekday().num_days_from_monday().into()))
            }
            Grouping::Month => match local {
                Some(t) => GroupKey::Month {
                    year: Some(t.year()),
                    month: t.month() as u8,
                },
                None => GroupKey::Month {
                    year: None,
                    month: p.month? as u8,
                },
            },
            Grouping::Platform => GroupKey::Label(record.platform?.to_string()),
            Grouping::Account => GroupKey::Label(record.account?.to_owned()),
            Grouping::Paid => GroupKey::Paid(record.paid?),
        })
    }
}

impl fmt::Display for Grouping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Grouping {
    type Err = Error;
    fn from_str(s: &str) -> Result<Grouping> {
        let wanted = s.trim().to_ascii_lowercase();
        Grouping::ALL
            .into_iter()
            .find(|g| g.name() == wanted)
            .ok_or_else(|| Error::Setting {
                field: "grouping",
                value: s.to_owned(),
                expected: "use kind, weekday, hour, day, week, month, platform, account or paid",
            })
    }
}

/// One group: a kind, a weekday, an hour, a period or a label of yours.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKey {
    /// A post kind.
    Kind(PostKind),
    /// A weekday, numbered from Monday = 1 to Sunday = 7.
    Weekday(u8),
    /// A weekday numbered 1-7 by a source that does not say which day is 1.
    DayNumber(u8),
    /// An hour of the day, 0-23.
    Hour(u8),
    /// A calendar day.
    Day(NaiveDate),
    /// The week starting on this Monday.
    Week(NaiveDate),
    /// A calendar month; the year is `None` when the source gives none.
    Month {
        /// The year, when known.
        year: Option<i32>,
        /// The month, 1-12.
        month: u8,
    },
    /// Paid or organic.
    Paid(bool),
    /// Any other label: a platform, an account, a campaign.
    Label(String),
}

impl GroupKey {
    /// The key of a weekday.
    pub fn weekday(day: Weekday) -> GroupKey {
        GroupKey::Weekday(day.number_from_monday() as u8)
    }

    /// The period just before this one, for day, week and month keys.
    pub fn previous_period(&self) -> Option<GroupKey> {
        Some(match self {
            GroupKey::Day(d) => GroupKey::Day(d.pred_opt()?),
            GroupKey::Week(d) => GroupKey::Week(*d - Days::new(7)),
            GroupKey::Month {
                year: Some(y),
                month,
            } => {
                let first = NaiveDate::from_ymd_opt(*y, u32::from(*month), 1)?;
                let prev = first.checked_sub_months(Months::new(1))?;
                GroupKey::Month {
                    year: Some(prev.year()),
                    month: prev.month() as u8,
                }
            }
            // Without a year, January has no previous month we can name.
            GroupKey::Month { year: None, month } if *month > 1 => GroupKey::Month {
                year: None,
                month: month - 1,
            },
            _ => return None,
        })
    }
}

impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupKey::Kind(k) => write!(f, "{k}"),
            GroupKey::Weekday(n) => match Weekday::try_from(n.wrapping_sub(1)) {
                Ok(day) => write!(f, "{day}"),
                Err(_) => write!(f, "weekday {n}"),
            },
            GroupKey::DayNumber(n) => write!(f, "day {n}"),
            GroupKey::Hour(h) => write!(f, "{h:02}:00"),
            GroupKey::Day(d) => write!(f, "{d}"),
            GroupKey::Week(d) => write!(f, "week of {d}"),
            GroupKey::Month {
                year: Some(y),
                month,
            } => write!(f, "{y}-{month:02}"),
            GroupKey::Month { year: None, month } => write!(f, "month {month}"),
            GroupKey::Paid(true) => f.write_str("paid"),
            GroupKey::Paid(false) => f.write_str("organic"),
            GroupKey::Label(s) => f.write_str(s),
        }
    }
}

/// Per-post KPIs by group: a mergeable, serializable accumulator.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tertulia_core::{chrono_tz::Europe::Madrid, Metric, Metrics, PostKind};
/// use tertulia_kpi::{Breakdown, GroupKey, Grouping, Kpi, Posted, PostRecord};
///
/// let record = |kind, likes, reach| PostRecord {
///     platform: None, account: None, kind, followers: None, paid: None,
///     posted: Posted::from(Utc.with_ymd_and_hms(2026, 3, 3, 18, 0, 0).unwrap()),
///     metrics: Metrics::default().with(Metric::Likes, likes).with(Metric::Comments, 0)
///         .with(Metric::Shares, 0).with(Metric::Reach, reach),
/// };
/// let mut by_kind = Breakdown::new(Grouping::Kind, Madrid, Default::default());
/// by_kind.add(&record(PostKind::Photo, 30, 1_000));
/// by_kind.add(&record(PostKind::Video, 90, 1_000));
///
/// let video = by_kind.group(&GroupKey::Kind(PostKind::Video)).unwrap();
/// assert_eq!(video.totals(Kpi::EngagementByReach).numerator, 90);
/// // Is video's 9% really better than photo's 3%? Pooled over the 2,000
/// // people reached, yes; with one post each, nobody can say per post.
/// let d = by_kind
///     .compare(Kpi::EngagementByReach, &GroupKey::Kind(PostKind::Photo), &GroupKey::Kind(PostKind::Video), Default::default())
///     .unwrap();
/// assert!(d.ratio_of_sums.unwrap().significant);
/// assert!(d.mean_of_rates.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    grouping: Grouping,
    zone: Tz,
    engagement: Engagement,
    /// Posts that could not be placed in a group (see [`Grouping::key`]).
    pub unplaced: u64,
    #[serde(with = "pairs")]
    groups: BTreeMap<GroupKey, PostTotals>,
}

impl Breakdown {
    /// An empty breakdown by `grouping`, reading times in `zone`.
    pub fn new(grouping: Grouping, zone: Tz, engagement: Engagement) -> Self {
        Breakdown {
            grouping,
            zone,
            engagement,
            unplaced: 0,
            groups: BTreeMap::new(),
        }
    }

    /// The grouping.
    pub fn grouping(&self) -> Grouping {
        self.grouping
    }

    /// Adds one post: a `&Post`, a `&PostRecord` or a [`PostView`].
    #[inline]
    pub fn add<'a>(&mut self, post: impl Into<PostView<'a>>) {
        let post = post.into();
        match self.grouping.key(&post, self.zone) {
            Some(key) => self
                .group_mut(key)
                .add(post.metrics, post.followers, post.kind),
            None => self.unplaced += 1,
        }
    }

    /// The totals of `key`, created empty on first use: add posts under a key
    /// of your own with `breakdown.group_mut(key).add_post(&post)`.
    pub fn group_mut(&mut self, key: GroupKey) -> &mut PostTotals {
        let engagement = self.engagement;
        self.groups
            .entry(key)
            .or_insert_with(|| PostTotals::new(engagement))
    }

    /// The totals of `key`, if any post fell in it.
    pub fn group(&self, key: &GroupKey) -> Option<&PostTotals> {
        self.groups.get(key)
    }

    /// The groups in key order.
    pub fn groups(&self) -> impl Iterator<Item = (&GroupKey, &PostTotals)> {
        self.groups.iter()
    }

    /// Adds another shard's groups; it must use the same grouping, zone and
    /// engagement definition.
    pub fn merge(&mut self, other: &Breakdown) -> Result<()> {
        let settings = |b: &Breakdown| format!("{} in {}", b.grouping, b.zone);
        if (self.grouping, self.zone) != (other.grouping, other.zone) {
            return Err(Error::Mismatch {
                setting: "groupings",
                ours: settings(self),
                theirs: settings(other),
            });
        }
        for (key, theirs) in &other.groups {
            self.group_mut(key.clone()).merge(theirs)?;
        }
        self.unplaced += other.unplaced;
        Ok(())
    }

    /// Every group's report, in key order.
    pub fn report(&self, confidence: Confidence) -> Vec<GroupReport> {
        self.groups
            .iter()
            .map(|(key, totals)| GroupReport {
                label: key.to_string(),
                key: key.clone(),
                report: totals.report(confidence),
            })
            .collect()
    }

    /// Whether `kpi` differs between groups `a` and `b`, both ways.
    pub fn compare(
        &self,
        kpi: Kpi,
        a: &GroupKey,
        b: &GroupKey,
        confidence: Confidence,
    ) -> Option<Difference> {
        let (a, b) = (self.groups.get(a)?, self.groups.get(b)?);
        Some(Difference::between(
            kpi,
            a.totals(kpi),
            b.totals(kpi),
            confidence,
        ))
    }

    /// Period-over-period change of `kpi`: each period against the one just
    /// before it, both ways, with tests. Empty unless grouped by period; a
    /// period whose previous one had no posts is compared with nothing.
    pub fn changes(&self, kpi: Kpi, confidence: Confidence) -> Vec<Change> {
        if !self.grouping.is_period() {
            return Vec::new();
        }
        self.groups
            .iter()
            .filter_map(|(key, now)| {
                let previous = key.previous_period()?;
                let difference = match self.groups.get(&previous) {
                    Some(before) => {
                        Difference::between(kpi, before.totals(kpi), now.totals(kpi), confidence)
                    }
                    None => Difference::default(),
                };
                Some(Change {
                    kpi,
                    period: key.clone(),
                    previous,
                    difference,
                })
            })
            .collect()
    }
}

/// One group's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupReport {
    /// The group.
    pub key: GroupKey,
    /// The group, in words.
    pub label: String,
    /// Its KPIs.
    pub report: PostReport,
}

/// The change of one KPI from one period to the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The KPI.
    pub kpi: Kpi,
    /// The period.
    pub period: GroupKey,
    /// The period before it.
    pub previous: GroupKey,
    /// The change, both ways; empty when the previous period had no posts.
    #[serde(flatten)]
    pub difference: Difference,
}

/// How a KPI differs between two sets of posts, both ways.
///
/// The two tests answer different questions and often disagree. The pooled
/// test of the ratio of sums treats every person reached (or impression, or
/// follower) as an independent trial; posts vary far more than that, so with
/// large audiences nearly every difference comes out "significant". The
/// per-post test (Welch's t on per-post rates) takes the post as the unit
/// and the observed spread between posts: prefer it to judge whether one
/// kind of post, or one period, really does better.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// The ratios of sums compared with the pooled test for the KPI's kind;
    /// `None` with a zero denominator on either side.
    pub ratio_of_sums: Option<Comparison>,
    /// The means of per-post rates compared with Welch's t test; `None`
    /// without two rated posts on each side.
    pub mean_of_rates: Option<Comparison>,
}

impl Difference {
    /// `after` against `before` (the baseline).
    pub fn between(
        kpi: Kpi,
        before: &RateTotals,
        after: &RateTotals,
        confidence: Confidence,
    ) -> Difference {
        Difference {
            ratio_of_sums: after.compare(before, kpi.kind(), confidence),
            mean_of_rates: after.compare_means(before, confidence),
        }
    }
}

/// Serializes a map with structured keys as a list of `[key, value]` pairs,
/// since JSON map keys must be strings.
pub(crate) mod pairs {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub fn deserialize<'de, K, V, D>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::America::New_York;
    use tertulia_core::Metric;

    fn record(at: DateTime<Utc>, reach: u64, likes: u64) -> PostRecord {
        PostRecord {
            platform: Some(Platform::Mastodon),
            account: Some("aurora".into()),
            kind: PostKind::Photo,
            posted: at.into(),
            followers: Some(1_000),
            paid: None,
            metrics: Metrics::default()
                .with(Metric::Likes, likes)
                .with(Metric::Comments, 0)
                .with(Metric::Shares, 0)
                .with(Metric::Reach, reach),
        }
    }

    #[test]
    fn keys_use_the_report_time_zone() {
        // 03:30 UTC on a Tuesday is still Monday evening in New York.
        let at = Utc.with_ymd_and_hms(2026, 3, 3, 3, 30, 0).unwrap();
        let record = record(at, 10, 1);
        let r = PostView::from(&record);
        assert_eq!(
            Grouping::Weekday.key(&r, New_York),
            Some(GroupKey::weekday(Weekday::Mon))
        );
        assert_eq!(Grouping::Hour.key(&r, New_York), Some(GroupKey::Hour(22)));
        let monday = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(
            Grouping::Week.key(&r, New_York),
            Some(GroupKey::Week(monday))
        );
        assert_eq!(Grouping::Paid.key(&r, New_York), None);
        assert_eq!(GroupKey::weekday(Weekday::Mon).to_string(), "Mon");
        assert_eq!(GroupKey::Hour(7).to_string(), "07:00");
    }

    #[test]
    fn partial_times_group_by_what_is_known() {
        let mut r = record(Utc::now(), 10, 1);
        r.posted = Posted {
            month: Some(1),
            day_number: Some(3),
            hour: Some(9),
            ..Posted::default()
        };
        let view = PostView::from(&r);
        assert_eq!(
            Grouping::Weekday.key(&view, New_York),
            Some(GroupKey::DayNumber(3))
        );
        assert_eq!(Grouping::Day.key(&view, New_York), None);
        let jan = Grouping::Month.key(&view, New_York).unwrap();
        assert_eq!(jan.previous_period(), None);
        let mut b = Breakdown::new(Grouping::Day, New_York, Engagement::default());
        b.add(&r);
        assert_eq!(b.unplaced, 1);
    }

    #[test]
    fn month_over_month_change_is_tested() {
        let mut b = Breakdown::new(Grouping::Month, New_York, Engagement::default());
        for day in 1..=20 {
            b.add(&record(
                Utc.with_ymd_and_hms(2026, 1, day, 15, 0, 0).unwrap(),
                1_000,
                20,
            ));
            b.add(&record(
                Utc.with_ymd_and_hms(2026, 2, day, 15, 0, 0).unwrap(),
                1_000,
                40,
            ));
        }
        let changes = b.changes(Kpi::EngagementByReach, Confidence::default());
        assert_eq!(
            changes.len(),
            2,
            "January is compared with an empty December"
        );
        assert!(changes[0].difference.ratio_of_sums.is_none());
        let feb = changes[1].difference.ratio_of_sums.unwrap();
        assert!(feb.significant && (feb.relative_change.unwrap() - 1.0).abs() < 1e-12);
        // Every post in a month has the same rate: the per-post test is sure too.
        let per_post = changes[1].difference.mean_of_rates.unwrap();
        assert!(per_post.significant && per_post.p_value == 0.0);

        let json = serde_json::to_string(&b).unwrap();
        let back: Breakdown = serde_json::from_str(&json).unwrap();
        assert_eq!(back, b);
        let mut other = Breakdown::new(Grouping::Week, New_York, Engagement::default());
        assert!(other.merge(&b).is_err());
    }
}
