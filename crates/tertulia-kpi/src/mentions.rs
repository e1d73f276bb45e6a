//! Mention KPIs: response rate, first-response time, net sentiment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tertulia_core::{Mention, Polarity};

use crate::error::{Error, Result};
use crate::hours::BusinessHours;
use crate::rate::Estimate;
use crate::stats::{self, Confidence, Interval};

/// Bucket growth of [`ResponseTimes`]: each bucket is 2% wider than the one
/// below, so a quantile is known to within 1% of its value.
const GAMMA: f64 = 1.02;

/// A distribution of durations in bounded memory: exact count, mean and
/// maximum; quantiles within 1% of the exact value. Mergeable without loss:
/// buckets add up.
///
/// ```
/// use tertulia_kpi::ResponseTimes;
///
/// let mut times = ResponseTimes::default();
/// for minutes in 1..=100 {
///     times.add_seconds(minutes as f64 * 60.0);
/// }
/// assert_eq!(times.mean_seconds(), Some(50.5 * 60.0));
/// let p90 = times.quantile_seconds(0.9).unwrap();
/// assert!((p90 / (90.0 * 60.0) - 1.0).abs() <= 0.01);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseTimes {
    /// Durations added.
    pub count: u64,
    /// Their sum, in milliseconds.
    pub total_ms: u128,
    /// The longest, in milliseconds.
    pub max_ms: u64,
    /// Durations under one millisecond.
    zero: u64,
    /// Bucket `i` holds durations in (γ^(i-1), γ^i] milliseconds.
    #[serde(with = "crate::group::pairs")]
    buckets: BTreeMap<i32, u64>,
}

impl ResponseTimes {
    /// Adds one duration in seconds; negative or non-finite ones are
    /// refused with `false` (a response cannot come before its mention).
    pub fn add_seconds(&mut self, seconds: f64) -> bool {
        if !(seconds.is_finite() && seconds >= 0.0) {
            return false;
        }
        let ms = (seconds * 1000.0).round().min(u64::MAX as f64) as u64;
        self.count += 1;
        self.total_ms += u128::from(ms);
        self.max_ms = self.max_ms.max(ms);
        if ms == 0 {
            self.zero += 1;
        } else {
            let i = ((ms as f64).ln() / GAMMA.ln()).ceil() as i32;
            *self.buckets.entry(i).or_default() += 1;
        }
        true
    }

    /// Adds another shard's durations.
    pub fn merge(&mut self, other: &ResponseTimes) {
        self.count += other.count;
        self.total_ms += other.total_ms;
        self.max_ms = self.max_ms.max(other.max_ms);
        self.zero += other.zero;
        for (i, n) in &other.buckets {
            *self.buckets.entry(*i).or_default() += n;
        }
    }

    /// The exact mean, in seconds.
    pub fn mean_seconds(&self) -> Option<f64> {
        (self.count > 0).then(|| self.total_ms as f64 / self.count as f64 / 1000.0)
    }

    /// The `q`-quantile (nearest rank: the smallest duration with at least
    /// `q` of all durations at or below it), in seconds, within 1%.
    pub fn quantile_seconds(&self, q: f64) -> Option<f64> {
        if self.count == 0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).max(1);
        let mut seen = self.zero;
        if seen >= rank {
            return Some(0.0);
        }
        for (&i, &n) in &self.buckets {
            seen += n;
            if seen >= rank {
                // The value that is within (γ-1)/(γ+1) of every value in the
                // bucket, capped by the exact maximum.
                let ms = 2.0 * GAMMA.powi(i) / (GAMMA + 1.0);
                return Some(ms.min(self.max_ms as f64) / 1000.0);
            }
        }
        Some(self.max_ms as f64 / 1000.0)
    }

    /// Mean, median and 90th percentile, in seconds.
    pub fn summary(&self) -> Option<ResponseSummary> {
        Some(ResponseSummary {
            responses: self.count,
            mean_seconds: self.mean_seconds()?,
            median_seconds: self.quantile_seconds(0.5)?,
            p90_seconds: self.quantile_seconds(0.9)?,
            max_seconds: self.max_ms as f64 / 1000.0,
        })
    }
}

/// How long first responses took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ResponseSummary {
    /// Responses measured.
    pub responses: u64,
    /// The mean (exact).
    pub mean_seconds: f64,
    /// The median (within 1%).
    pub median_seconds: f64,
    /// The 90th percentile (within 1%).
    pub p90_seconds: f64,
    /// The longest (exact).
    pub max_seconds: f64,
}

/// Mentions by polarity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentimentCounts {
    /// Positive mentions.
    pub positive: u64,
    /// Neutral mentions.
    pub neutral: u64,
    /// Negative mentions.
    pub negative: u64,
    /// Mentions with no sentiment score: left out, counted here.
    pub unscored: u64,
}

impl SentimentCounts {
    /// Adds one mention's polarity, or `None` for an unscored one.
    pub fn add(&mut self, polarity: Option<Polarity>) {
        match polarity {
            Some(Polarity::Positive) => self.positive += 1,
            Some(Polarity::Neutral) => self.neutral += 1,
            Some(Polarity::Negative) => self.negative += 1,
            None => self.unscored += 1,
        }
    }

    fn merge(&mut self, o: &SentimentCounts) {
        self.positive += o.positive;
        self.neutral += o.neutral;
        self.negative += o.negative;
        self.unscored += o.unscored;
    }

    /// Net sentiment both ways, in [-1, 1], with intervals.
    ///
    /// ```
    /// use tertulia_kpi::SentimentCounts;
    ///
    /// let counts = SentimentCounts { positive: 60, neutral: 100, negative: 40, unscored: 7 };
    /// let net = counts.net(Default::default());
    /// // (60 - 40) / (60 + 40) without neutral, / 200 with neutral.
    /// assert!((net.excluding_neutral.unwrap().value - 0.2).abs() < 1e-12);
    /// assert!((net.including_neutral.unwrap().value - 0.1).abs() < 1e-12);
    /// ```
    pub fn net(&self, confidence: Confidence) -> NetSentiment {
        let (p, u, n) = (self.positive, self.neutral, self.negative);
        let polar = u128::from(p + n);
        // (P - N) / (P + N) = 2 P / (P + N) - 1: the Wilson interval of P / (P + N), mapped.
        let excluding_neutral = (polar > 0).then(|| Estimate {
            value: (p as f64 - n as f64) / polar as f64,
            interval: stats::wilson(u128::from(p), polar, confidence).map(|i| Interval {
                low: 2.0 * i.low - 1.0,
                high: 2.0 * i.high - 1.0,
            }),
        });
        let all = (p + u + n) as f64;
        let including_neutral = (all > 0.0).then(|| {
            let (pp, pn) = (p as f64 / all, n as f64 / all);
            let value = pp - pn;
            // The variance of a difference of two multinomial shares.
            let se = ((pp + pn - value * value) / all).sqrt();
            let half = confidence.z() * se;
            Estimate {
                value,
                interval: Some(Interval {
                    low: (value - half).max(-1.0),
                    high: (value + half).min(1.0),
                }),
            }
        });
        NetSentiment {
            counts: *self,
            excluding_neutral,
            including_neutral,
        }
    }
}

/// Net sentiment in both conventions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NetSentiment {
    /// The counts behind it.
    pub counts: SentimentCounts,
    /// (positive - negative) / (positive + negative): Wilson interval.
    pub excluding_neutral: Option<Estimate>,
    /// (positive - negative) / (positive + neutral + negative): normal
    /// interval of a difference of multinomial shares.
    pub including_neutral: Option<Estimate>,
}

/// The running totals of mention KPIs: a mergeable, serializable accumulator.
///
/// Every mention counts towards the response rate; one with a first
/// response (`responded_at`) adds its response time, measured on the wall
/// clock and, when business hours are set, in business time too.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use tertulia_core::{AccountId, Author, Handle, Mention, MentionId, Platform};
/// use tertulia_kpi::MentionTotals;
///
/// let fan = Author::new(AccountId::new("7")?, Handle::new("fan")?);
/// let at = Utc.with_ymd_and_hms(2026, 3, 3, 10, 0, 0).unwrap();
/// let mention = |id: &str| Mention::new(MentionId::new(id).unwrap(), Platform::Mastodon, fan.clone(), at, "@aurora hi");
///
/// let mut totals = MentionTotals::default();
/// totals.add(&mention("1").with_response(at + TimeDelta::minutes(30))?);
/// totals.add(&mention("2"));
/// let report = totals.report(Default::default());
/// assert_eq!(report.response_rate.unwrap().value, 0.5);
/// assert_eq!(report.first_response.unwrap().mean_seconds, 1800.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentionTotals {
    business_hours: Option<BusinessHours>,
    /// Mentions added.
    pub mentions: u64,
    /// Mentions with a first response.
    pub responded: u64,
    /// Wall-clock first-response times.
    pub response_times: ResponseTimes,
    /// First-response times in business hours, when set.
    pub business_response_times: Option<ResponseTimes>,
    /// Mentions by polarity.
    pub sentiment: SentimentCounts,
}

impl MentionTotals {
    /// Empty totals that also measure response times in `hours`.
    pub fn with_business_hours(hours: BusinessHours) -> Self {
        MentionTotals {
            business_hours: Some(hours),
            business_response_times: Some(ResponseTimes::default()),
            ..MentionTotals::default()
        }
    }

    /// Adds one mention.
    pub fn add(&mut self, mention: &Mention) {
        self.mentions += 1;
        self.sentiment.add(mention.sentiment.map(|s| s.polarity()));
        if let Some(wall) = mention.response_time() {
            self.responded += 1;
            self.response_times
                .add_seconds(wall.num_milliseconds() as f64 / 1000.0);
            if let (Some(hours), Some(times), Some(done)) = (
                &self.business_hours,
                &mut self.business_response_times,
                mention.responded_at,
            ) {
                let open = hours.elapsed(mention.created_at, done);
                times.add_seconds(open.num_milliseconds() as f64 / 1000.0);
            }
        }
    }

    /// Adds another shard; both must use the same business hours.
    pub fn merge(&mut self, other: &MentionTotals) -> Result<()> {
        if self.business_hours != other.business_hours {
            return Err(Error::Mismatch {
                setting: "business hours",
                ours: format!("{:?}", self.business_hours),
                theirs: format!("{:?}", other.business_hours),
            });
        }
        self.mentions += other.mentions;
        self.responded += other.responded;
        self.response_times.merge(&other.response_times);
        if let (Some(mine), Some(theirs)) = (
            &mut self.business_response_times,
            &other.business_response_times,
        ) {
            mine.merge(theirs);
        }
        self.sentiment.merge(&other.sentiment);
        Ok(())
    }

    /// The figures, with intervals at `confidence`.
    pub fn report(&self, confidence: Confidence) -> MentionReport {
        let (answered, all) = (u128::from(self.responded), u128::from(self.mentions));
        MentionReport {
            mentions: self.mentions,
            responded: self.responded,
            response_rate: (all > 0).then(|| Estimate {
                value: answered as f64 / all as f64,
                interval: stats::wilson(answered, all, confidence),
            }),
            first_response: self.response_times.summary(),
            first_response_business: self
                .business_response_times
                .as_ref()
                .and_then(ResponseTimes::summary),
            business_hours_zone: self.business_hours.as_ref().map(|h| h.zone().to_string()),
            net_sentiment: self.sentiment.net(confidence),
        }
    }
}

/// Mention KPIs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MentionReport {
    /// Mentions counted.
    pub mentions: u64,
    /// Mentions with a first response.
    pub responded: u64,
    /// responded / mentions: Wilson interval.
    pub response_rate: Option<Estimate>,
    /// Wall-clock first-response time.
    pub first_response: Option<ResponseSummary>,
    /// First-response time in business hours, when set.
    pub first_response_business: Option<ResponseSummary>,
    /// The zone of the business hours, when set.
    pub business_hours_zone: Option<String>,
    /// Net sentiment both ways.
    pub net_sentiment: NetSentiment,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn quantiles_are_within_one_percent_and_merging_is_exact(
            values in proptest::collection::vec(0.0f64..1e7, 1..300),
            cut in any::<prop::sample::Index>(),
            q in 0.0f64..=1.0,
        ) {
            let fold = |v: &[f64]| {
                let mut t = ResponseTimes::default();
                for &x in v { t.add_seconds(x); }
                t
            };
            let whole = fold(&values);
            let cut = cut.index(values.len() + 1);
            let mut merged = fold(&values[cut..]);
            merged.merge(&fold(&values[..cut]));
            prop_assert_eq!(&merged, &whole);

            let mut ms: Vec<f64> = values.iter().map(|v| (v * 1000.0).round()).collect();
            ms.sort_by(f64::total_cmp);
            let rank = ((q * ms.len() as f64).ceil() as usize).max(1);
            let exact = ms[rank - 1] / 1000.0;
            let got = whole.quantile_seconds(q).unwrap();
            prop_assert!((got - exact).abs() <= 0.01 * exact + 1e-9, "{} vs {}", got, exact);
        }
    }

    #[test]
    fn impossible_durations_are_refused() {
        let mut t = ResponseTimes::default();
        assert!(!t.add_seconds(-1.0));
        assert!(!t.add_seconds(f64::NAN));
        assert_eq!(t.count, 0);
        assert_eq!(t.summary(), None);
    }

    #[test]
    fn net_sentiment_with_nothing_scored_is_undefined() {
        let counts = SentimentCounts {
            unscored: 5,
            ..SentimentCounts::default()
        };
        let net = counts.net(Confidence::default());
        assert!(net.excluding_neutral.is_none() && net.including_neutral.is_none());
        let neutral_only = SentimentCounts {
            neutral: 5,
            ..SentimentCounts::default()
        };
        let net = neutral_only.net(Confidence::default());
        assert!(net.excluding_neutral.is_none());
        assert_eq!(net.including_neutral.unwrap().value, 0.0);
    }
}
