//! Account-level KPIs: daily engagement rate and follower growth.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::engagement::Engagement;
use crate::error::{Error, Result};
use crate::group::PostView;
use crate::rate::{Rate, RateKind, RateTotals};
use crate::stats::Confidence;

/// One account's engagement on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayTotals {
    /// Posts published that day.
    pub posts: u64,
    /// Their engagement, over posts whose engagement is known.
    pub engagement: u128,
    /// Posts whose engagement is not known: the day's figure is incomplete.
    pub missing: u64,
    /// The most followers seen that day (the account's size that day).
    pub followers: Option<u64>,
}

/// The daily engagement rate: per account and day, the engagement of the
/// posts published that day divided by the account's followers that day.
///
/// Days are calendar days in the report's time zone. Only days with at least
/// one post count, and a day with a post whose engagement is unknown is left
/// out as missing (its total would be too low). Reported both ways: the mean
/// over days, and Σ engagement / Σ followers over days.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tertulia_core::{chrono_tz::UTC, Metric, Metrics, PostKind};
/// use tertulia_kpi::{DailyEngagement, Posted, PostRecord};
///
/// let post = |day, likes| PostRecord {
///     platform: None, account: Some("aurora".into()), kind: PostKind::Photo, paid: None,
///     followers: Some(1_000),
///     posted: Posted::from(Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0).unwrap()),
///     metrics: Metrics::default().with(Metric::Likes, likes).with(Metric::Comments, 0).with(Metric::Shares, 0),
/// };
/// let mut daily = DailyEngagement::new(UTC, Default::default());
/// daily.add(&post(2, 10));
/// daily.add(&post(2, 20)); // same day: 30 / 1000
/// daily.add(&post(3, 10)); // next day: 10 / 1000
/// let rate = daily.rate(Default::default());
/// assert_eq!(rate.used, 2);
/// assert!((rate.mean_of_rates.unwrap().value - 0.02).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyEngagement {
    zone: Tz,
    engagement: Engagement,
    /// Posts without an instant or an account, which no day can hold.
    pub unplaced: u64,
    /// Per account, per local day.
    days: BTreeMap<String, BTreeMap<NaiveDate, DayTotals>>,
    #[serde(skip)]
    last_day: LastDay,
}

/// The UTC bounds of the local day of the last post: posts come in time
/// order, so most fall in the same day and skip the time-zone lookup. Not
/// part of the totals: it is never serialized and never compared.
#[derive(Debug, Clone, Copy, Default)]
struct LastDay(Option<(DateTime<Utc>, DateTime<Utc>, NaiveDate)>);

impl PartialEq for LastDay {
    fn eq(&self, _: &LastDay) -> bool {
        true
    }
}

impl LastDay {
    fn day(&mut self, at: DateTime<Utc>, zone: Tz) -> NaiveDate {
        if let Some((start, end, day)) = self.0
            && start <= at
            && at < end
        {
            return day;
        }
        let day = at.with_timezone(&zone).date_naive();
        // The first instant of a local day; none when midnight falls in a
        // DST gap, and then nothing is cached.
        let first = |d: NaiveDate| {
            zone.from_local_datetime(&d.and_time(NaiveTime::MIN))
                .earliest()
        };
        self.0 = match (first(day), day.succ_opt().and_then(first)) {
            (Some(start), Some(end)) => Some((start.to_utc(), end.to_utc(), day)),
            _ => None,
        };
        day
    }
}

impl DailyEngagement {
    /// Empty, with days read in `zone`.
    pub fn new(zone: Tz, engagement: Engagement) -> Self {
        DailyEngagement {
            zone,
            engagement,
            unplaced: 0,
            days: BTreeMap::new(),
            last_day: LastDay::default(),
        }
    }

    /// Adds one post: a `&Post`, a `&PostRecord` or a [`PostView`].
    pub fn add<'a>(&mut self, post: impl Into<PostView<'a>>) {
        let post = post.into();
        let (Some(at), Some(account)) = (post.posted.at, post.account) else {
            self.unplaced += 1;
            return;
        };
        let day = self.last_day.day(at, self.zone);
        let days = match self.days.get_mut(account) {
            Some(days) => days,
            None => self.days.entry(account.to_owned()).or_default(),
        };
        let totals = days.entry(day).or_default();
        totals.posts += 1;
        match self.engagement.of(post.metrics) {
            Some(e) => totals.engagement += u128::from(e),
            None => totals.missing += 1,
        }
        totals.followers = totals.followers.max(post.followers);
    }

    /// Adds another shard; it must use the same zone and definition.
    pub fn merge(&mut self, other: &DailyEngagement) -> Result<()> {
        if (self.zone, self.engagement) != (other.zone, other.engagement) {
            return Err(Error::Mismatch {
                setting: "daily engagement settings",
                ours: format!("{} in {}", self.engagement, self.zone),
                theirs: format!("{} in {}", other.engagement, other.zone),
            });
        }
        for (account, days) in &other.days {
            let mine = self.days.entry(account.clone()).or_default();
            for (day, theirs) in days {
                let t = mine.entry(*day).or_default();
                t.posts += theirs.posts;
                t.engagement += theirs.engagement;
                t.missing += theirs.missing;
                t.followers = t.followers.max(theirs.followers);
            }
        }
        self.unplaced += other.unplaced;
        Ok(())
    }

    /// The days: account, local date and totals.
    pub fn days(&self) -> impl Iterator<Item = (&str, NaiveDate, &DayTotals)> {
        self.days
            .iter()
            .flat_map(|(a, days)| days.iter().map(move |(d, t)| (a.as_str(), *d, t)))
    }

    /// The rate over days ("posts" in the result are account-days).
    pub fn rate(&self, confidence: Confidence) -> Rate {
        let mut totals = RateTotals::default();
        for day in self.days.values().flat_map(BTreeMap::values) {
            let engagement =
                (day.missing == 0).then(|| u64::try_from(day.engagement).unwrap_or(u64::MAX));
            totals.add(engagement, day.followers);
        }
        totals.rate(RateKind::PerExposure, confidence)
    }
}

/// An account's followers at two moments: the first and the last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowerSpan {
    /// The first observation: when and how many.
    pub first: (DateTime<Utc>, u64),
    /// The last observation.
    pub last: (DateTime<Utc>, u64),
}

impl FollowerSpan {
    fn widen(&mut self, other: FollowerSpan) {
        // Ties on the instant keep the larger count, so the result does not
        // depend on the order observations arrive in.
        if (other.first.0, std::cmp::Reverse(other.first.1))
            < (self.first.0, std::cmp::Reverse(self.first.1))
        {
            self.first = other.first;
        }
        if other.last > self.last {
            self.last = other.last;
        }
    }

    /// (last - first) / first; `None` when the first count is zero.
    pub fn growth_rate(&self) -> Option<f64> {
        let (start, end) = (self.first.1 as f64, self.last.1 as f64);
        (self.first.1 > 0).then(|| (end - start) / start)
    }
}

/// Follower growth per account over the period its observations span:
/// (followers at the end - followers at the start) / followers at the start.
///
/// Observations come from posts (followers at post time) or from any count
/// you have, with [`FollowerGrowth::observe`].
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tertulia_kpi::FollowerGrowth;
///
/// let mut growth = FollowerGrowth::default();
/// growth.observe("aurora", Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(), 10_000);
/// growth.observe("aurora", Utc.with_ymd_and_hms(2026, 3, 31, 0, 0, 0).unwrap(), 10_500);
/// let span = growth.account("aurora").unwrap();
/// assert_eq!(span.growth_rate(), Some(0.05));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowerGrowth {
    accounts: BTreeMap<String, FollowerSpan>,
}

impl FollowerGrowth {
    /// Records that `account` had `followers` at `at`.
    pub fn observe(&mut self, account: &str, at: DateTime<Utc>, followers: u64) {
        let seen = FollowerSpan {
            first: (at, followers),
            last: (at, followers),
        };
        match self.accounts.get_mut(account) {
            Some(span) => span.widen(seen),
            None => {
                self.accounts.insert(account.to_owned(), seen);
            }
        }
    }

    /// Records the followers at post time of one post, when it has an
    /// account, an instant and a follower count.
    pub fn add<'a>(&mut self, post: impl Into<PostView<'a>>) {
        let post = post.into();
        if let (Some(account), Some(at), Some(n)) = (post.account, post.posted.at, post.followers) {
            self.observe(account, at, n);
        }
    }

    /// Adds another shard's observations.
    pub fn merge(&mut self, other: &FollowerGrowth) {
        for (account, span) in &other.accounts {
            match self.accounts.get_mut(account) {
                Some(mine) => mine.widen(*span),
                None => {
                    self.accounts.insert(account.clone(), *span);
                }
            }
        }
    }

    /// One account's span.
    pub fn account(&self, account: &str) -> Option<&FollowerSpan> {
        self.accounts.get(account)
    }

    /// Every account's span, by account.
    pub fn accounts(&self) -> impl Iterator<Item = (&str, &FollowerSpan)> {
        self.accounts.iter().map(|(a, s)| (a.as_str(), s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn follower_growth_does_not_depend_on_order_or_split(
            seen in proptest::collection::vec((0i64..1_000, 0u64..100, 0usize..3), 1..60),
            cut in any::<prop::sample::Index>(),
        ) {
            let obs: Vec<_> = seen
                .iter()
                .map(|&(s, n, a)| (["a", "b", "c"][a], Utc.timestamp_opt(s * 3600, 0).unwrap(), n))
                .collect();
            let fold = |items: &[(&str, DateTime<Utc>, u64)]| {
                let mut g = FollowerGrowth::default();
                for &(a, t, n) in items { g.observe(a, t, n); }
                g
            };
            let whole = fold(&obs);
            let cut = cut.index(obs.len() + 1);
            let mut merged = fold(&obs[cut..]);
            merged.merge(&fold(&obs[..cut]));
            prop_assert_eq!(&merged, &whole);
            let mut reversed = obs.clone();
            reversed.reverse();
            prop_assert_eq!(fold(&reversed), whole);
        }
    }

    #[test]
    fn cached_days_agree_with_the_time_zone_across_dst() {
        use chrono_tz::America::Sao_Paulo;
        use chrono_tz::Europe::Madrid;
        // Every 37 minutes for 400 days, including DST changes; Sao Paulo
        // skipped midnight itself in its DST years.
        for zone in [Madrid, Sao_Paulo] {
            let mut cache = LastDay::default();
            let start = Utc.with_ymd_and_hms(2017, 9, 1, 0, 0, 0).unwrap();
            for i in 0..(400 * 24 * 60 / 37) {
                let at = start + chrono::TimeDelta::minutes(37 * i);
                assert_eq!(
                    cache.day(at, zone),
                    at.with_timezone(&zone).date_naive(),
                    "{at} {zone}"
                );
            }
        }
    }

    #[test]
    fn zero_followers_at_the_start_has_no_growth_rate() {
        let mut g = FollowerGrowth::default();
        g.observe("new", Utc.timestamp_opt(0, 0).unwrap(), 0);
        g.observe("new", Utc.timestamp_opt(10, 0).unwrap(), 50);
        assert_eq!(g.account("new").unwrap().growth_rate(), None);
    }
}
