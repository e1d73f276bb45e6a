//! Streaming detectors: is this bucket a crisis starting?
//!
//! Each closed bucket (a count of mentions, a negative share, a mean
//! sentiment: any series) goes through three stages, and one score says
//! whether to alert:
//!
//! - [`SeasonalBaseline`]: what this bucket usually holds. Two references
//!   judge it: the same time of day on each of the last `days` days (a few
//!   buckets either side), and the most recent `recent` buckets. Each gives
//!   a median and a median absolute deviation (MAD). A bucket is surprising
//!   only when *neither* explains it. Counts are read on the Anscombe scale
//!   (2·√(x + 3/8)), where a Poisson count has a spread of 1.
//! - The tail model turns the distance from the median into a surprise
//!   (decimal digits of a tail probability): for counts ([`Values::Counts`])
//!   a negative binomial with the baseline's mean and spread
//!   ([`tail_probability`]); for real values ([`Values::Real`]) a Student-t
//!   on the robust residual ([`real_tail_probability`]).
//! - [`Calibration`] reads the surprise against the series' own history of
//!   surprises, so a threshold means the same rate on every series whether
//!   the model fits it or not: `false_alarms_per_week` is the rate at which
//!   ordinary buckets would alert. A [`Cusum`] sums how rare consecutive
//!   buckets are, for a rise that no single bucket shows.
//!
//! [`CrisisDetector`] combines them into one score (1.0 is the alert level),
//! with a severity, hysteresis (an alert stays open until the score has been
//! low for a while) and a cooldown, so one burst gives one alert. No alert
//! comes before [`Calibration`] has seen 500 buckets (under two days of
//! five-minute buckets). Until a time of day has been seen on `min_days`
//! days, the recent buckets alone judge it, and a strong daily rhythm can
//! raise a false alarm then: cross-validated on NAB, judging early this way
//! scores better than not judging at all (see the crate's README).
//!
//! Every type here is plain data: it serializes, and a detector restored
//! from its JSON goes on exactly where it stopped, without re-reading
//! history. Memory is constant (`days` days of buckets and a histogram of
//! surprises) and so is the work per bucket.
//!
//! # Example: a quiet account, then a spike
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use tertulia_crisis::detect::{AlertEvent, CrisisDetector, DetectorConfig, Severity};
//!
//! let mut detector = CrisisDetector::new(DetectorConfig::default())?;
//! let start = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
//! let mut opened = None;
//! for i in 0..(8 * 288) {
//!     let at = start + TimeDelta::minutes(5 * i);
//!     // About 20 mentions per 5 minutes, more by day; 400 in one bucket.
//!     let usual = 20.0 + 10.0 * ((i % 288) as f64 / 288.0 * 6.28).sin() + (i % 7) as f64;
//!     let count = if i == 8 * 288 - 10 { 400.0 } else { usual.round() };
//!     let a = detector.push(at, count)?;
//!     if a.event == Some(AlertEvent::Opened) {
//!         opened = Some((i, a.severity));
//!     }
//! }
//! assert_eq!(opened, Some((8 * 288 - 10, Some(Severity::Critical))));
//! # Ok::<(), tertulia_crisis::Error>(())
//! ```

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use statrs::distribution::{
    ContinuousCDF, DiscreteCDF, NegativeBinomial, Normal, Poisson, StudentsT,
};

use crate::{Error, Result};

/// The Anscombe transform: on this scale a Poisson count's spread is about 1.
pub fn anscombe(count: f64) -> f64 {
    2.0 * (count.max(0.0) + 0.375).sqrt()
}

/// The count whose Anscombe value is `y` (the transform's inverse).
pub fn inverse_anscombe(y: f64) -> f64 {
    ((y / 2.0).powi(2) - 0.375).max(0.0)
}

/// How many seconds make a day.
pub(crate) const DAY: i64 = 86_400;
/// The most days a baseline compares.
const MAX_DAYS: usize = 28;
/// The most buckets either side of the same time a baseline compares.
const MAX_NEIGHBOURS: usize = 12;

/// How the seasonal baseline chooses comparable buckets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineConfig {
    /// The width of a bucket in seconds; a day must hold a whole number.
    pub bucket_seconds: i64,
    /// How many previous days hold comparable buckets.
    pub days: usize,
    /// How many buckets either side of the same time of day also compare.
    pub neighbours: usize,
    /// With fewer earlier days holding a comparable bucket (early on, or
    /// after a long gap), the bucket is judged by the recent buckets alone.
    pub min_days: usize,
    /// How many recent buckets the second reference reads (it needs half
    /// of them).
    pub recent: usize,
}

impl Default for BaselineConfig {
    /// Five-minute buckets compared with the same time ±10 minutes on each
    /// of the last seven days (the last six hours alone until two of them
    /// hold it), and with the last six hours. Each day of the week counts once, so a weekend that differs
    /// from weekdays widens the spread rather than moving the median.
    fn default() -> Self {
        Self {
            bucket_seconds: 300,
            days: 7,
            neighbours: 2,
            min_days: 2,
            recent: 72,
        }
    }
}

impl BaselineConfig {
    fn check(&self) -> Result<()> {
        let problem = if self.bucket_seconds <= 0 || DAY % self.bucket_seconds != 0 {
            Some(
                "bucket_seconds must divide a day (86,400 s) into whole buckets: 60, 300, 900, 3,600 ...",
            )
        } else if self.days == 0 || self.days > MAX_DAYS {
            Some("days must be 1 to 28")
        } else if self.neighbours > MAX_NEIGHBOURS || 2 * self.neighbours + 1 > self.per_day() {
            Some(
                "neighbours must be at most 12, and a bucket with its neighbours on both sides must fit in a day",
            )
        } else if self.min_days == 0 || self.min_days > self.days {
            Some("min_days must be 1 to days")
        } else if self.recent < 2 {
            Some("recent must be at least 2 for a median and a spread to mean anything")
        } else {
            None
        };
        problem.map_or(Ok(()), |p| Err(Error::Config(p.into())))
    }

    fn per_day(&self) -> usize {
        (DAY / self.bucket_seconds) as usize
    }

    /// How many buckets of history the baseline keeps.
    fn span(&self) -> usize {
        (self.days * self.per_day() + self.neighbours + 1).max(self.recent + 1)
    }
}

/// What the values of a series are, which decides how they are judged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Values {
    /// Counts (mentions, replies): whole numbers, 0 or more, read on the
    /// Anscombe scale and judged by the count model ([`tail_probability`]).
    #[default]
    Counts,
    /// Any real numbers (a mean sentiment, a share, a latency, negative
    /// values too), judged by a Student-t tail on the robust residual
    /// ([`real_tail_probability`]).
    Real,
}

impl Values {
    /// A value on the scale the baseline works on.
    pub fn scaled(self, value: f64) -> f64 {
        match self {
            Values::Counts => anscombe(value),
            Values::Real => value,
        }
    }

    /// The value whose scaled value is `y`.
    pub fn unscaled(self, y: f64) -> f64 {
        match self {
            Values::Counts => inverse_anscombe(y),
            Values::Real => y,
        }
    }
}

/// Which way a value must move to be a crisis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Above the expected level (mentions, negative share).
    #[default]
    Rise,
    /// Below it (mean sentiment).
    Fall,
    /// Either way (a series whose meaning is not known, as in NAB).
    Both,
}

/// What a bucket is expected to hold, on the scale of its [`Values`]
/// (Anscombe for counts).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    /// The median of the comparable buckets.
    pub median: f64,
    /// Their spread: 1.4826 × MAD, never below the noise floor (1 for
    /// counts, Poisson noise; the series' resolution for real values).
    pub spread: f64,
    /// The scale `median` and `spread` are on.
    #[serde(default)]
    pub values: Values,
}

impl Expected {
    /// The expected value, on the series' own scale (a count for counts).
    pub fn value(&self) -> f64 {
        self.values.unscaled(self.median)
    }

    /// The expected count (the same as [`Expected::value`]).
    pub fn count(&self) -> f64 {
        self.value()
    }

    /// How many spreads `value` lies above (or below) the median.
    pub fn z(&self, value: f64) -> f64 {
        let excess = self.values.scaled(value) - self.median;
        if excess == 0.0 {
            0.0
        } else {
            excess / self.spread
        }
    }
}

/// The seasonal robust baseline: the median and MAD of comparable buckets.
///
/// From one bucket to the next, each day's comparable buckets move on by
/// one: one leaves and one comes in per day. The baseline keeps them sorted
/// and moves them on in place (a binary search for each key that leaves or
/// comes, then two passes over the `days × (2 × neighbours + 1)` values), and
/// reads the MAD off the sorted values by a binary search: no sort per
/// bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeasonalBaseline {
    config: BaselineConfig,
    /// Anscombe values by bucket number modulo the span; `None` is missing.
    ring: Vec<Option<f64>>,
    /// The comparable buckets of the last bucket asked about: derived from
    /// `ring`, so not serialized (a restored baseline gathers them again).
    #[serde(skip)]
    window: Window,
    /// The most recent buckets, for the fallback; derived the same way.
    #[serde(skip)]
    recent: Window,
    /// The bucket number the next value is for, once one has come.
    next: Option<i64>,
}

/// The comparable buckets of one bucket, sorted, as the keys of their
/// values ([`key_of`]: the keys sort as the floats do, negative ones too).
#[derive(Debug, Clone, Default)]
struct Window {
    /// The bucket they are for, and the newest bucket recorded then.
    of: Option<(i64, i64)>,
    keys: Vec<u64>,
    /// How many are present on each day back (1, 2, ...).
    per_day: Vec<u32>,
    /// Room for the next keys.
    spare: Vec<u64>,
}

/// A float as a key that sorts as the floats do: the bits of a positive
/// float with the sign bit set, the complement of a negative one's.
fn key_of(x: f64) -> u64 {
    let bits = (x + 0.0).to_bits(); // -0.0 becomes 0.0
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The float of a key made by [`key_of`].
fn value_of(key: u64) -> f64 {
    if key >> 63 == 1 {
        f64::from_bits(key & !(1 << 63))
    } else {
        f64::from_bits(!key)
    }
}

/// The most comparable buckets a window holds.
const MAX_WINDOW: usize = MAX_DAYS * (2 * MAX_NEIGHBOURS + 1);

/// One bit per place in a window.
type Places = [u64; MAX_WINDOW.div_ceil(64)];

/// The places `at` (fewer than `len`) as bits, each word built in a
/// register: marking them one by one in memory makes each mark wait for the
/// one before.
fn places(at: &[usize], len: usize) -> Places {
    let mut bits = Places::default();
    for (w, word) in bits.iter_mut().enumerate().take(len.div_ceil(64)) {
        *word = at
            .iter()
            .map(|&p| if p / 64 == w { 1 << (p % 64) } else { 0 })
            .fold(0, |a, b| a | b);
    }
    bits
}

impl Window {
    /// Takes the keys `gone` out (each is present) and puts `came` in,
    /// keeping the keys sorted.
    ///
    /// Where each key goes is worked out first, by binary searches that do
    /// not wait for one another; the keys then move in two passes with no
    /// branch on their values. A merge would branch on every comparison, and
    /// with counts those branches are a coin toss.
    fn replace(&mut self, gone: &[u64], came: &[u64]) {
        let (n, m) = (self.keys.len(), self.keys.len() - gone.len());
        debug_assert!(n.max(m + came.len()) <= MAX_WINDOW);
        // Which places empty: the first copy of a value, the next copy for
        // a value leaving twice.
        let mut at = [0; MAX_DAYS];
        for (i, &key) in gone.iter().enumerate() {
            let before = gone[..i].iter().filter(|&&k| k == key).count();
            at[i] = self.keys.partition_point(|&k| k < key) + before;
        }
        let leaving = places(&at[..gone.len()], n);
        // The keys that stay, in order, and one spare place at the end.
        self.spare.clear();
        self.spare.resize(m + 1, 0);
        let mut kept = 0;
        for (keys, &word) in self.keys.chunks(64).zip(&leaving) {
            let mut bits = word;
            for &key in keys {
                self.spare[kept] = key;
                kept += 1 - (bits & 1) as usize;
                bits >>= 1;
            }
        }
        // Where each new key goes: after the kept keys below it, the new
        // keys below it, and the equal new keys listed before it.
        let stay = &self.spare[..m];
        for (j, &key) in came.iter().enumerate() {
            let below = came.iter().filter(|&&k| k < key).count();
            let equal = came[..j].iter().filter(|&&k| k == key).count();
            at[j] = stay.partition_point(|&k| k < key) + below + equal;
        }
        let at = &at[..came.len()];
        let coming = places(at, m + came.len());
        self.keys.resize(m + came.len(), 0);
        let mut from = 0;
        for (keys, &word) in self.keys.chunks_mut(64).zip(&coming) {
            let mut bits = word;
            for key in keys {
                *key = self.spare[from];
                from += 1 - (bits & 1) as usize;
                bits >>= 1;
            }
        }
        for (&place, &key) in at.iter().zip(came) {
            self.keys[place] = key;
        }
        debug_assert!(self.keys.is_sorted() && n == m + gone.len());
    }
}

impl SeasonalBaseline {
    /// A baseline with no history; errors name a setting that cannot work.
    pub fn new(config: BaselineConfig) -> Result<Self> {
        config.check()?;
        Ok(Self {
            ring: vec![None; config.span()],
            window: Window::default(),
            recent: Window::default(),
            config,
            next: None,
        })
    }

    /// The bucket number of an instant: whole buckets since the Unix epoch,
    /// so the same time of day is always the same distance apart.
    pub fn bucket_of(&self, at: DateTime<Utc>) -> i64 {
        at.timestamp().div_euclid(self.config.bucket_seconds)
    }

    /// The value of bucket `t` as the key it sorts by, when it is recorded
    /// and still held, seen when `newest` is the newest bucket.
    fn key(&self, t: i64, newest: i64) -> Option<u64> {
        let span = self.ring.len() as i64;
        (t <= newest && newest - t < span)
            .then(|| self.ring[t.rem_euclid(span) as usize])
            .flatten()
            .map(key_of)
    }

    /// Makes `window` hold the comparable buckets of `bucket`: moved on by
    /// one from the bucket before when it held those, gathered afresh
    /// otherwise (the first bucket, after a gap, after a restore).
    fn prepare(&mut self, bucket: i64, newest: i64) {
        let c = self.config;
        let (per_day, reach) = (c.per_day() as i64, c.neighbours as i64);
        if self.window.of == Some((bucket, newest)) {
            return;
        }
        let mut w = std::mem::take(&mut self.window);
        if w.of.is_some_and(|(b, _)| b == bucket - 1) && newest == bucket - 1 {
            // Each day: the oldest of its buckets leaves, one comes in. The
            // one leaving is still in the ring: its slot is reused only by
            // the bucket after `newest`.
            // Ring slots counted back from the bucket's own, without a
            // division per bucket read: all these are recorded and held.
            let span = self.ring.len();
            let here = bucket.rem_euclid(span as i64) as usize;
            let back = |x: usize| {
                self.ring[if x <= here { here - x } else { here + span - x }].map(key_of)
            };
            let (mut gone, mut came) = ([0u64; MAX_DAYS], [0u64; MAX_DAYS]);
            let (mut g, mut k) = (0, 0);
            let (per_day, reach) = (per_day as usize, reach as usize);
            for day in 1..=c.days {
                if let Some(key) = back(day * per_day + reach + 1) {
                    gone[g] = key;
                    g += 1;
                    w.per_day[day - 1] -= 1;
                }
                if let Some(key) = back(day * per_day - reach) {
                    came[k] = key;
                    k += 1;
                    w.per_day[day - 1] += 1;
                }
            }
            w.replace(&gone[..g], &came[..k]);
        } else {
            w.keys.clear();
            w.per_day.clear();
            for day in 1..=c.days as i64 {
                let (at, before) = (bucket - day * per_day, w.keys.len());
                w.keys
                    .extend((at - reach..=at + reach).filter_map(|t| self.key(t, newest)));
                w.per_day.push((w.keys.len() - before) as u32);
            }
            w.keys.sort_unstable();
        }
        w.of = Some((bucket, newest));
        self.window = w;
    }

    /// Makes `recent` hold the `recent` buckets before `bucket`, moved on
    /// by one (one leaves, one comes) or gathered afresh as `prepare` does.
    fn prepare_recent(&mut self, bucket: i64, newest: i64) {
        if self.recent.of == Some((bucket, newest)) {
            return;
        }
        let from = bucket - self.config.recent as i64;
        let mut w = std::mem::take(&mut self.recent);
        let moving = w.of.is_some_and(|(b, _)| b == bucket - 1) && newest == bucket - 1;
        if moving && self.config.recent <= MAX_WINDOW {
            let (gone, came) = (self.key(from - 1, newest), self.key(newest, newest));
            w.replace(gone.as_slice(), came.as_slice());
        } else {
            w.keys.clear();
            w.keys
                .extend((from..bucket).filter_map(|t| self.key(t, newest)));
            w.keys.sort_unstable();
        }
        w.of = Some((bucket, newest));
        self.recent = w;
    }

    /// What bucket `bucket` usually holds at this time of day, from the
    /// buckets before it, as the median and 1.4826 × MAD of the scaled
    /// values (no noise floor: the detector adds it); the recent buckets'
    /// ([`SeasonalBaseline::recent`]) while fewer than `min_days` days
    /// hold a comparable bucket; `None` while there is too little history.
    pub fn expected(&mut self, bucket: i64) -> Option<(f64, f64)> {
        let newest = self.next? - 1;
        self.prepare(bucket, newest);
        let days = self.window.per_day.iter().filter(|&&n| n > 0).count();
        if days >= self.config.min_days {
            let (median, mad) = median_and_mad(&self.window.keys);
            Some((median, 1.4826 * mad))
        } else {
            // Too few days yet: the recent buckets, whatever their time of day.
            self.recent(bucket)
        }
    }

    /// What the `recent` buckets before `bucket` held, whatever their time
    /// of day, as [`SeasonalBaseline::expected`] gives it; `None` while
    /// fewer than half of them are recorded.
    pub fn recent(&mut self, bucket: i64) -> Option<(f64, f64)> {
        let newest = self.next? - 1;
        self.prepare_recent(bucket, newest);
        if self.recent.keys.len() < self.config.recent.div_ceil(2) {
            return None;
        }
        let (median, mad) = median_and_mad(&self.recent.keys);
        Some((median, 1.4826 * mad))
    }

    /// The value of the newest bucket recorded, on the baseline's scale.
    pub fn newest(&self) -> Option<f64> {
        let newest = self.next? - 1;
        self.ring[newest.rem_euclid(self.ring.len() as i64) as usize]
    }

    /// Records bucket `bucket`'s value, already scaled ([`Values::scaled`]).
    /// Buckets must come in order; the ones skipped are recorded as missing
    /// (not as zero: a bucket with no mentions should be pushed as 0).
    pub fn record(&mut self, bucket: i64, value: f64) -> Result<()> {
        if let Some(next) = self.next
            && bucket < next
        {
            return Err(Error::OutOfOrder {
                bucket,
                expected: next,
            });
        }
        let span = self.ring.len() as i64;
        let from = self.next.unwrap_or(bucket).max(bucket - span);
        for t in from..bucket {
            self.ring[t.rem_euclid(span) as usize] = None;
        }
        self.ring[bucket.rem_euclid(span) as usize] = Some(value);
        self.next = Some(bucket + 1);
        Ok(())
    }
}

/// The median and the median absolute deviation of sorted, non-empty
/// floats given as their keys ([`key_of`]; for an even count, each is the
/// mean of the middle two).
fn median_and_mad(keys: &[u64]) -> (f64, f64) {
    let n = keys.len();
    let at = |i: usize| value_of(keys[i]);
    let median = f64::midpoint(at((n - 1) / 2), at(n / 2));
    // The deviations are two sorted runs: below the middle, read downwards
    // (`median - a[h-1]`, `median - a[h-2]`, ...), and from it upwards
    // (`a[h] - median`, ...). The MAD is their middle, found by binary
    // search for how many of the lower run come first.
    let h = n / 2;
    let below = |i: usize| median - at(h - 1 - i);
    let above = |j: usize| at(h + j) - median;
    // The deviation of rank `rank` (from 0).
    let ranked = |rank: usize| {
        let take = rank + 1;
        let (mut lo, mut hi) = (take.saturating_sub(n - h), take.min(h));
        loop {
            let i = (lo + hi) / 2;
            let j = take - i;
            if i < h && j > 0 && above(j - 1) > below(i) {
                lo = i + 1;
            } else if i > 0 && j < n - h && below(i - 1) > above(j) {
                hi = i - 1;
            } else {
                let last_below = if i > 0 {
                    below(i - 1)
                } else {
                    f64::NEG_INFINITY
                };
                let last_above = if j > 0 {
                    above(j - 1)
                } else {
                    f64::NEG_INFINITY
                };
                return last_below.max(last_above);
            }
        }
    };
    let low = ranked((n - 1) / 2);
    let high = if n % 2 == 1 { low } else { ranked(n / 2) };
    (median, f64::midpoint(low, high))
}

/// The count model: the probability of a count of at least `count` when
/// `expected` holds, under a negative binomial whose mean is the expected
/// count and whose variance is spread² × mean (a Poisson when the spread is
/// 1). A non-integer count is rounded down.
pub fn tail_probability(count: f64, expected: &Expected) -> f64 {
    let count = count.floor();
    if count <= 0.0 {
        return 1.0;
    }
    count_model(expected, |d| d.sf(count as u64 - 1))
}

/// The count model's other tail: the probability of a count of at most
/// `count` (rounded up).
pub fn lower_tail_probability(count: f64, expected: &Expected) -> f64 {
    let count = count.max(0.0).ceil();
    count_model(expected, |d| d.cdf(count as u64))
}

/// `tail` of the negative binomial (or Poisson) of the count model.
fn count_model(expected: &Expected, tail: impl Fn(&dyn DiscreteCDF<u64, f64>) -> f64) -> f64 {
    // A mean of exactly 0 would make any count impossible; the Anscombe
    // scale's floor keeps a little chance.
    let mean = expected.count().max(0.05);
    let overdispersion = expected.spread * expected.spread;
    // Both distributions accept any positive mean; 1 (no surprise) is the
    // answer for a mean they refuse, which cannot happen.
    let p = if overdispersion <= 1.0 + 1e-9 {
        Poisson::new(mean).ok().map(|d| tail(&d))
    } else {
        let r = mean / (overdispersion - 1.0);
        NegativeBinomial::new(r, r / (r + mean))
            .ok()
            .map(|d| tail(&d))
    };
    p.unwrap_or(1.0).clamp(0.0, 1.0)
}

/// The degrees of freedom of the real-valued tail: heavy enough that the
/// rare large residuals every real series has are not each a surprise
/// (chosen by cross-validation on NAB, see the crate's README).
pub const TAIL_DEGREES: f64 = 3.0;

/// The real-valued model: the probability of a residual at least `z`
/// spreads above the median under a Student-t with [`TAIL_DEGREES`].
pub fn real_tail_probability(z: f64) -> f64 {
    if z <= 0.0 {
        return 1.0;
    }
    StudentsT::new(0.0, 1.0, TAIL_DEGREES)
        .map_or(1.0, |t| t.sf(z))
        .clamp(0.0, 1.0)
}

/// A one-sided CUSUM: sums how far each standardized value exceeds `drift`,
/// never below zero. A sustained shift makes it climb; noise keeps it near 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cusum {
    /// The excess each step forgives (in spreads).
    pub drift: f64,
    /// The running sum.
    pub sum: f64,
}

impl Cusum {
    /// A CUSUM at zero.
    pub fn new(drift: f64) -> Self {
        Self { drift, sum: 0.0 }
    }

    /// Adds one standardized value (capped by the caller as it sees fit)
    /// and returns the sum.
    pub fn update(&mut self, z: f64) -> f64 {
        self.sum = (self.sum + z - self.drift).max(0.0);
        self.sum
    }
}

/// How serious an alert is; the names are PagerDuty's severities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look.
    Info,
    /// An alert: the score reached 1.
    Warning,
    /// Twice the alert level.
    Error,
    /// Four times the alert level.
    Critical,
}

impl Severity {
    /// The severity of a score: `None` below 0.5.
    pub fn of(score: f64) -> Option<Self> {
        match score {
            s if s >= 4.0 => Some(Self::Critical),
            s if s >= 2.0 => Some(Self::Error),
            s if s >= 1.0 => Some(Self::Warning),
            s if s >= 0.5 => Some(Self::Info),
            _ => None,
        }
    }

    /// The lowercase name (`"critical"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Critical => "critical",
        }
    }
}

/// What changed about the alert with this bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertEvent {
    /// An alert opened: the score reached 1 with no alert open and no
    /// cooldown running.
    Opened,
    /// The open alert's severity rose.
    Escalated,
    /// The open alert closed: the score stayed below the closing level for
    /// the quiet period and the cooldown has passed.
    Closed,
}

/// How finely [`Calibration`] records surprises (decimal digits).
const CALIBRATION_STEP: f64 = 0.02;
/// The largest surprise [`Calibration`] tells apart; larger ones count as it.
const CALIBRATION_TOP: f64 = 100.0;
/// The share of a series' buckets, the most surprising, that make its tail.
const TAIL_SHARE: f64 = 0.02;
/// The fewest buckets in the tail before the tail is trusted.
const TAIL_BUCKETS: f64 = 10.0;

/// How surprising this series' own buckets have been: the model's surprise
/// read against the series' history, so that one threshold means the same
/// rate of alerts on every series, whether the model fits it well or not.
///
/// Every bucket's surprise is recorded. For a new one, the chance that an
/// ordinary bucket of this series is at least as surprising is read off the
/// top [`TAIL_SHARE`] of the surprises seen, their tail, extended beyond the
/// largest seen by an exponential fitted to how far the tail reaches past
/// its start (a peaks-over-threshold estimate). A model that fits makes
/// surprise itself exponential; one that does not stretches or shrinks the
/// tail, and the fit follows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// How many surprises fell in each step, from 0.
    counts: Vec<u32>,
    /// How many were recorded.
    seen: u64,
}

impl Calibration {
    fn bin(surprise: f64) -> usize {
        ((surprise.clamp(0.0, CALIBRATION_TOP) / CALIBRATION_STEP) as usize)
            .min((CALIBRATION_TOP / CALIBRATION_STEP) as usize)
    }

    /// Records one bucket's surprise.
    pub fn record(&mut self, surprise: f64) {
        let b = Self::bin(surprise);
        if self.counts.len() <= b {
            self.counts.resize(b + 1, 0);
        }
        self.counts[b] += 1;
        self.seen += 1;
    }

    /// The chance that an ordinary bucket of this series is at least
    /// `surprise` surprising; `None` while the tail holds fewer than
    /// [`TAIL_BUCKETS`] buckets. Below the tail's start, where no alert can
    /// be, the chance falls log-linearly from 1 at no surprise to the
    /// tail's share at its start.
    pub fn chance(&self, surprise: f64) -> Option<f64> {
        let wanted = (self.seen as f64 * TAIL_SHARE).max(TAIL_BUCKETS);
        if (self.seen as f64) < TAIL_BUCKETS / TAIL_SHARE {
            return None;
        }
        // The tail: the highest steps holding at least `wanted` buckets.
        let (mut held, mut excess, mut start) = (0.0, 0.0, 0);
        for (b, &n) in self.counts.iter().enumerate().rev() {
            held += f64::from(n);
            excess += f64::from(n) * b as f64;
            start = b;
            if held >= wanted {
                break;
            }
        }
        let from = start as f64 * CALIBRATION_STEP;
        let share = held / self.seen as f64;
        if surprise <= from {
            return Some(share.powf(surprise / from.max(CALIBRATION_STEP)));
        }
        // Mean excess over the tail's start, in decimal digits; at least
        // one step, so a tail all at one value still has a reach.
        let reach = ((excess / held - start as f64) * CALIBRATION_STEP).max(CALIBRATION_STEP);
        Some(share * (-(surprise - from) / reach).exp())
    }
}

/// The detector's settings. The defaults were chosen by cross-validation
/// across the files of NAB (see the crate's README), one set for all.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectorConfig {
    /// How comparable buckets are chosen.
    pub baseline: BaselineConfig,
    /// What the values are: counts, or any real numbers.
    pub values: Values,
    /// Which way a value must move to alert.
    pub direction: Direction,
    /// How many alerts a week ordinary traffic may raise by chance: a
    /// bucket alerts when its tail probability is at most this many divided
    /// by the buckets in a week.
    pub false_alarms_per_week: f64,
    /// The least change from the expected value, as a share of it (0.5: half
    /// as much again), that may alert; 0 lets any change alert.
    pub min_change: f64,
    /// The CUSUM's drift. The CUSUM adds each bucket's rarity as a
    /// standard normal quantile (a bucket in its series' top 5% adds 1.64,
    /// one in its top 0.1% adds 3.09) less this drift.
    pub cusum_drift: f64,
    /// The most one bucket adds to the CUSUM, so a single wild bucket
    /// cannot hold an alert open for days.
    pub cusum_cap: f64,
    /// The CUSUM sum that scores 1 by itself.
    pub cusum_at_alert: f64,
    /// An open alert may close once the score stays below this...
    pub close_below: f64,
    /// ... for this long.
    pub quiet: TimeDelta,
    /// No new alert sooner than this after the last one opened.
    pub cooldown: TimeDelta,
}

impl Default for DetectorConfig {
    /// The settings chosen by cross-validation on NAB (see the crate's
    /// README): counts that rise; an alert when one bucket is as rare for
    /// its series as 0.01 false alarms a week, or when a run of rare buckets
    /// brings the CUSUM to 2.5 (drift 1.5); nothing that changed by less
    /// than 20%; closing after 6 hours below 0.3; 12 hours' cooldown.
    fn default() -> Self {
        Self {
            baseline: BaselineConfig::default(),
            values: Values::Counts,
            direction: Direction::Rise,
            false_alarms_per_week: 0.01,
            min_change: 0.2,
            cusum_drift: 1.5,
            cusum_cap: 12.0,
            cusum_at_alert: 2.5,
            close_below: 0.3,
            quiet: TimeDelta::hours(6),
            cooldown: TimeDelta::hours(12),
        }
    }
}

impl From<BaselineConfig> for DetectorConfig {
    /// The default detector over buckets chosen as `baseline` says.
    fn from(baseline: BaselineConfig) -> Self {
        Self {
            baseline,
            ..Self::default()
        }
    }
}

impl DetectorConfig {
    /// The default for a series whose meaning is not known, as in NAB: a
    /// change either way may alert.
    pub fn nab() -> Self {
        Self {
            direction: Direction::Both,
            ..Self::default()
        }
    }

    /// The surprise (decimal digits of the tail probability) at which one
    /// bucket alerts: `-log10(false_alarms_per_week / buckets per week)`.
    pub fn surprise_at_alert(&self) -> f64 {
        let per_week = (7 * DAY / self.baseline.bucket_seconds) as f64;
        -(self.false_alarms_per_week / per_week).log10()
    }
}

/// What the detector made of one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The bucket's start.
    pub at: DateTime<Utc>,
    /// Its value (a count for counts).
    pub count: f64,
    /// What it was expected to hold; `None` while warming up.
    pub expected: Option<Expected>,
    /// Standardized change from the expected level, in spreads: positive
    /// above it (0 while warming up).
    pub z: f64,
    /// −log10 of the tail probability in the watched direction (0 when the
    /// value has not moved that way).
    pub surprise: f64,
    /// The CUSUM after this bucket (the larger side when both are watched).
    pub cusum: f64,
    /// The crisis score: 1 is the alert level.
    pub score: f64,
    /// The score's severity.
    pub severity: Option<Severity>,
    /// Whether an alert is open after this bucket.
    pub alerting: bool,
    /// What changed about the alert.
    pub event: Option<AlertEvent>,
}

/// The crisis detector: baseline, tail model and CUSUM combined into one
/// score, with an alert that opens, escalates and closes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CrisisDetector {
    config: DetectorConfig,
    baseline: SeasonalBaseline,
    /// The CUSUM of rises.
    cusum: Cusum,
    /// The CUSUM of falls.
    #[serde(default)]
    falls: Option<Cusum>,
    /// The smallest change between two buckets recorded one after the
    /// other seen so far (on the baseline's scale): a real series'
    /// resolution, its noise floor.
    #[serde(default)]
    resolution: Option<f64>,
    /// How surprising the series' rises and falls have been.
    #[serde(default)]
    calibration: [Calibration; 2],
    /// The bucket where the open alert opened and its severity.
    open: Option<(i64, Severity)>,
    /// Buckets in a row below the closing level while open.
    quiet_for: i64,
}

impl CrisisDetector {
    /// A detector with no history. Errors say which setting cannot work.
    pub fn new(config: impl Into<DetectorConfig>) -> Result<Self> {
        let config = config.into();
        let positive = |v: f64, name: &str| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::Config(format!(
                    "{name} must be a positive number, not {v}"
                )))
            }
        };
        positive(config.false_alarms_per_week, "false_alarms_per_week")?;
        positive(config.cusum_at_alert, "cusum_at_alert")?;
        positive(config.close_below, "close_below")?;
        positive(config.cusum_cap, "cusum_cap")?;
        if !(config.cusum_drift.is_finite() && config.cusum_drift >= 0.0) {
            return Err(Error::Config("cusum_drift must be 0 or more".into()));
        }
        if !(config.min_change.is_finite() && config.min_change >= 0.0) {
            return Err(Error::Config("min_change must be 0 or more".into()));
        }
        if config.quiet < TimeDelta::zero() || config.cooldown < TimeDelta::zero() {
            return Err(Error::Config(
                "quiet and cooldown cannot be negative".into(),
            ));
        }
        let baseline = SeasonalBaseline::new(config.baseline)?;
        if config.surprise_at_alert() <= 0.0 {
            return Err(Error::Config(format!(
                "false_alarms_per_week must be fewer than the {} buckets of a week",
                7 * DAY / config.baseline.bucket_seconds
            )));
        }
        Ok(Self {
            baseline,
            cusum: Cusum::new(config.cusum_drift),
            falls: Some(Cusum::new(config.cusum_drift)),
            resolution: None,
            calibration: Default::default(),
            config,
            open: None,
            quiet_for: 0,
        })
    }

    /// The settings.
    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    /// Whether an alert is open, and its severity.
    pub fn open_alert(&self) -> Option<Severity> {
        self.open.map(|(_, s)| s)
    }

    /// The expected level from a median and raw spread, with the noise
    /// floor under the spread.
    fn expected_of(&self, (median, spread): (f64, f64)) -> Expected {
        let floor = match self.config.values {
            Values::Counts => 1.0,
            Values::Real => self.resolution.unwrap_or(0.0).max(f64::MIN_POSITIVE),
        };
        Expected {
            median,
            spread: spread.max(floor),
            values: self.config.values,
        }
    }

    /// −log10 of the tail probability of `value` moving `up` (or down)
    /// from `e`.
    fn surprise(value: f64, e: &Expected, up: bool) -> f64 {
        let z = if up { e.z(value) } else { -e.z(value) };
        if z <= 1.0 {
            // Neither model finds a surprise this close to the median.
            return 0.0;
        }
        let p = match (e.values, up) {
            (Values::Counts, true) => tail_probability(value, e),
            (Values::Counts, false) => lower_tail_probability(value, e),
            (Values::Real, _) => real_tail_probability(z),
        };
        -p.max(f64::MIN_POSITIVE).log10()
    }

    /// Takes the value of the bucket that starts at (or contains) `at`.
    /// Buckets come in time order, each once; a skipped bucket counts as
    /// missing. A value must be a finite number, and for counts 0 or more.
    pub fn push(&mut self, at: DateTime<Utc>, count: f64) -> Result<Assessment> {
        let values = self.config.values;
        if !count.is_finite() || (values == Values::Counts && count < 0.0) {
            return Err(Error::BadCount { at, count });
        }
        let bucket = self.baseline.bucket_of(at);
        let seasonal = self.baseline.expected(bucket).map(|e| self.expected_of(e));
        let recent = self.baseline.recent(bucket).map(|e| self.expected_of(e));
        let y = values.scaled(count);
        let last = self.baseline.newest();
        self.baseline.record(bucket, y)?;
        if let Some(last) = last
            && last != y
        {
            let step = (y - last).abs();
            self.resolution = Some(self.resolution.map_or(step, |r| r.min(step)));
        }
        let c = self.config;
        let (rise, fall) = match c.direction {
            Direction::Rise => (true, false),
            Direction::Fall => (false, true),
            Direction::Both => (true, true),
        };
        let mut surprises = [None; 2];
        let mut changed = false;
        if let Some(e) = &seasonal {
            // A bucket is surprising only when neither its time of day nor
            // its recent past explains it: the smaller surprise of the two.
            let judged = |up: bool| {
                let s = Self::surprise(count, e, up);
                recent.map_or(s, |r| s.min(Self::surprise(count, &r, up)))
            };
            changed = (count - e.value()).abs() >= c.min_change * e.value().abs();
            for (side, watched) in [rise, fall].into_iter().enumerate() {
                if watched {
                    surprises[side] = Some(judged(side == 0));
                }
            }
        }
        Ok(self.assess(at, count, seasonal, surprises, changed, true))
    }

    /// Reads the surprises of one bucket (rising, falling; `None` for a side
    /// not judged) against the series' history, adds them to the CUSUMs when
    /// `accumulate` (not when each surprise already sums a stretch of
    /// buckets), and moves the alert.
    pub(crate) fn assess(
        &mut self,
        at: DateTime<Utc>,
        count: f64,
        expected: Option<Expected>,
        surprises: [Option<f64>; 2],
        changed: bool,
        accumulate: bool,
    ) -> Assessment {
        let c = self.config;
        let bucket = self.baseline.bucket_of(at);
        let (mut z, mut surprise, mut rarity, mut cusum) = (0.0, 0.0, 0.0, self.cusum.sum);
        if let Some(e) = &expected {
            z = e.z(count);
            let mut sums = [0.0f64; 2];
            for (side, s) in surprises.into_iter().enumerate() {
                let Some(s) = s else { continue };
                let up = side == 0;
                let calibration = &mut self.calibration[side];
                let chance = calibration.chance(s);
                calibration.record(s);
                let digits = chance.map_or(0.0, |p| -p.max(f64::MIN_POSITIVE).log10());
                if changed && (count > e.value()) == up && digits > rarity {
                    (surprise, rarity) = (s, digits);
                }
                if !accumulate {
                    continue;
                }
                // The CUSUM sums how rare each bucket is on the series' own
                // scale: its chance as a standard normal quantile.
                // A bucket that changed too little adds nothing.
                let excess = chance.map_or(0.0, |p| {
                    -Normal::standard().inverse_cdf(p.clamp(f64::MIN_POSITIVE, 1.0))
                });
                let cap = if changed { c.cusum_cap } else { 0.0 };
                let excess = excess.clamp(-3.0, cap);
                sums[side] = if up {
                    self.cusum.update(excess)
                } else {
                    let falls = self.falls.get_or_insert(Cusum::new(c.cusum_drift));
                    falls.update(excess)
                };
            }
            cusum = sums[0].max(sums[1]);
        }
        let score = (rarity / c.surprise_at_alert()).max(cusum / c.cusum_at_alert);
        let severity = Severity::of(score);
        let buckets = |d: TimeDelta| d.num_seconds() / c.baseline.bucket_seconds;
        let mut event = None;
        if let Some((opened, open_severity)) = &mut self.open {
            self.quiet_for = if score < c.close_below {
                self.quiet_for + 1
            } else {
                0
            };
            let cooled = bucket - *opened >= buckets(c.cooldown);
            if self.quiet_for >= buckets(c.quiet) && cooled {
                self.open = None;
                self.cusum.sum = 0.0;
                if let Some(falls) = &mut self.falls {
                    falls.sum = 0.0;
                }
                event = Some(AlertEvent::Closed);
            } else if let Some(s) = severity
                && s > *open_severity
            {
                *open_severity = s;
                event = Some(AlertEvent::Escalated);
            }
        } else if score >= 1.0 {
            self.open = Some((bucket, severity.unwrap_or(Severity::Warning)));
            self.quiet_for = 0;
            event = Some(AlertEvent::Opened);
        }
        Assessment {
            at,
            count,
            expected,
            z,
            surprise,
            cusum,
            score,
            severity,
            alerting: self.open.is_some(),
            event,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
    }

    fn steady(i: i64) -> f64 {
        (30.0 + 15.0 * ((i % 288) as f64 / 288.0 * std::f64::consts::TAU).sin()).round()
            + (i * 7919 % 5) as f64
    }

    #[test]
    fn the_median_and_mad_are_of_the_comparable_buckets() {
        let config = BaselineConfig {
            bucket_seconds: 3_600,
            days: 3,
            neighbours: 0,
            min_days: 2,
            recent: 3,
        };
        let mut b = SeasonalBaseline::new(config).unwrap();
        // Three days of hourly buckets: hour 5 holds 10, 20, 90 on the
        // three days; every other hour 1.
        for day in 0..3 {
            for hour in 0..24 {
                let count = if hour == 5 {
                    [10.0, 20.0, 90.0][day]
                } else {
                    1.0
                };
                b.record(day as i64 * 24 + hour, anscombe(count)).unwrap();
            }
        }
        let (median, spread) = b.expected(3 * 24 + 5).unwrap();
        assert!((median - anscombe(20.0)).abs() < 1e-12);
        // MAD on the Anscombe scale: the middle of |a(10)-a(20)|, 0, |a(90)-a(20)|.
        let mad = (anscombe(20.0) - anscombe(10.0)).min(anscombe(90.0) - anscombe(20.0));
        assert!((spread - 1.4826 * mad).abs() < 1e-12);
        // The recent buckets: hours 21, 22, 23 of day 2, all 1.
        assert_eq!(b.recent(3 * 24), Some((anscombe(1.0), 0.0)));
        assert_eq!(b.recent(3 * 24 + 5), None, "none of its last 3 is in");
        assert_eq!(
            b.expected(5 + 24),
            b.recent(5 + 24),
            "one day only: the recent buckets"
        );
    }

    /// The median and MAD the plain way: sort the values, sort the
    /// deviations, take the middles.
    fn plain_median_and_mad(values: &[f64]) -> (f64, f64) {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = f64::midpoint(v[(n - 1) / 2], v[n / 2]);
        let mut d: Vec<f64> = v.iter().map(|x| (x - median).abs()).collect();
        d.sort_by(f64::total_cmp);
        (median, f64::midpoint(d[(n - 1) / 2], d[n / 2]))
    }

    proptest! {
        #[test]
        fn the_mad_search_finds_the_middle_deviation(
            values in proptest::collection::vec(-100.0f64..100.0, 1..80),
            ties in 0usize..4,
        ) {
            // Ties are common in counts: round some values to whole numbers.
            let values: Vec<f64> = values.iter().enumerate()
                .map(|(i, &x)| if i % 4 < ties { x.round() } else { x })
                .collect();
            let mut keys: Vec<u64> = values.iter().map(|&x| key_of(x)).collect();
            keys.sort_unstable();
            prop_assert_eq!(median_and_mad(&keys), plain_median_and_mad(&values));
        }

        #[test]
        fn replacing_keys_keeps_them_sorted(
            keys in proptest::collection::vec(0u64..40, 0..=MAX_WINDOW - MAX_DAYS),
            leave in proptest::collection::vec(any::<proptest::sample::Index>(), 0..=MAX_DAYS),
            came in proptest::collection::vec(0u64..40, 0..=MAX_DAYS),
        ) {
            // Windows up to the largest (28 days of 25 buckets), with many
            // equal keys, against removing and inserting the plain way.
            let mut keys = keys;
            keys.sort_unstable();
            let mut plain = keys.clone();
            let mut gone = vec![];
            for index in leave {
                if !plain.is_empty() {
                    gone.push(plain.remove(index.index(plain.len())));
                }
            }
            plain.extend(&came);
            plain.sort_unstable();
            let mut w = Window { keys, ..Window::default() };
            w.replace(&gone, &came);
            prop_assert_eq!(w.keys, plain);
        }

        #[test]
        fn the_moving_window_is_the_one_gathered_afresh(
            counts in proptest::collection::vec(proptest::option::weighted(0.9, 0u32..50), 1..400),
            neighbours in 0usize..3,
        ) {
            // Hourly buckets over a few days, some missing; each bucket's
            // window, moved on from the one before, against a baseline that
            // gathers it from scratch (a copy with no window).
            let config = BaselineConfig { bucket_seconds: 3_600, days: 3, neighbours, min_days: 2, recent: 5 };
            let mut moving = SeasonalBaseline::new(config).unwrap();
            let mut bucket = 0;
            for c in counts {
                bucket += 1;
                let Some(c) = c else { continue };
                let mut fresh = moving.clone();
                fresh.window = Window::default();
                fresh.recent = Window::default();
                prop_assert_eq!(moving.expected(bucket), fresh.expected(bucket));
                prop_assert_eq!(&moving.window.keys, &fresh.window.keys);
                if fresh.recent.of.is_some() {
                    prop_assert_eq!(&moving.recent.keys, &fresh.recent.keys);
                }
                moving.record(bucket, f64::from(c)).unwrap();
            }
        }
    }

    #[test]
    fn the_tail_is_poisson_at_unit_spread_and_wider_when_overdispersed() {
        let e = Expected {
            median: anscombe(4.0),
            spread: 1.0,
            values: Values::Counts,
        };
        // P(X >= 10 | Poisson(4)) = 1 - P(X <= 9) = 0.008132...
        assert!((tail_probability(10.0, &e) - 0.008_132_242_796_934_03).abs() < 1e-9);
        assert_eq!(tail_probability(0.0, &e), 1.0);
        let wide = Expected { spread: 2.0, ..e };
        assert!(tail_probability(10.0, &wide) > tail_probability(10.0, &e));
    }

    #[test]
    fn a_steady_stream_never_alerts_and_a_spike_alerts_once() {
        let mut d = CrisisDetector::new(DetectorConfig::default()).unwrap();
        let mut events = vec![];
        for i in 0..(10 * 288) {
            let at = start() + TimeDelta::minutes(5 * i);
            // A burst of two hours on day 9.
            let count = if (9 * 288..9 * 288 + 24).contains(&i) {
                600.0
            } else {
                steady(i)
            };
            // The first two days are judged by the last six hours alone,
            // where a daily rhythm can alert (see the module's docs).
            if let Some(e) = d.push(at, count).unwrap().event
                && i >= 3 * 288
            {
                events.push((i, e));
            }
        }
        assert_eq!(events[0], (9 * 288, AlertEvent::Opened));
        assert!(
            events
                .iter()
                .all(|(_, e)| *e != AlertEvent::Opened || events[0].0 == 9 * 288)
        );
        assert_eq!(
            events
                .iter()
                .filter(|(_, e)| *e == AlertEvent::Opened)
                .count(),
            1,
            "{events:?}"
        );
        assert_eq!(
            events.last().map(|e| e.1),
            Some(AlertEvent::Closed),
            "{events:?}"
        );
    }

    #[test]
    fn a_sustained_rise_alerts_within_four_hours() {
        let mut d = CrisisDetector::new(DetectorConfig::default()).unwrap();
        let mut first = None;
        for i in 0..(9 * 288) {
            let at = start() + TimeDelta::minutes(5 * i);
            // From day 8 on, half as much again: no single bucket is wild.
            let count = if i >= 8 * 288 {
                steady(i) * 1.6
            } else {
                steady(i)
            };
            let a = d.push(at, count.round()).unwrap();
            if a.event == Some(AlertEvent::Opened) && first.is_none() && i >= 3 * 288 {
                first = Some((i, a.surprise, a.cusum));
            }
        }
        let (i, _, _) = first.expect("the shift alerts");
        assert!(
            (8 * 288..8 * 288 + 48).contains(&i),
            "within four hours: {i}"
        );
    }

    #[test]
    fn bad_input_is_refused_not_guessed() {
        assert!(matches!(
            CrisisDetector::new(BaselineConfig {
                bucket_seconds: 7,
                ..BaselineConfig::default()
            }),
            Err(Error::Config(_))
        ));
        let mut d = CrisisDetector::new(DetectorConfig::default()).unwrap();
        d.push(start() + TimeDelta::minutes(10), 1.0).unwrap();
        assert!(matches!(
            d.push(start(), 1.0),
            Err(Error::OutOfOrder { .. })
        ));
        assert!(matches!(
            d.push(start() + TimeDelta::minutes(15), f64::NAN),
            Err(Error::BadCount { .. })
        ));
        assert!(matches!(
            d.push(start() + TimeDelta::minutes(15), -1.0),
            Err(Error::BadCount { .. })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// A detector restored from its JSON mid-stream decides exactly as
        /// the one that never stopped.
        #[test]
        fn a_restored_detector_goes_on_where_it_stopped(
            counts in prop::collection::vec(0u32..500, 2_400..2_600),
            cut in 1usize..2_300,
            gap in 0i64..3,
        ) {
            let config = DetectorConfig::default();
            let mut whole = CrisisDetector::new(config).unwrap();
            let mut first = CrisisDetector::new(config).unwrap();
            let at = |i: usize| start() + TimeDelta::minutes(5 * (i as i64 + gap * (i as i64 / 500)));
            let mut restored = None;
            for (i, &c) in counts.iter().enumerate() {
                let a = whole.push(at(i), c.into()).unwrap();
                let b = if i < cut {
                    first.push(at(i), c.into()).unwrap()
                } else {
                    let r = restored.get_or_insert_with(|| {
                        serde_json::from_str::<CrisisDetector>(&serde_json::to_string(&first).unwrap()).unwrap()
                    });
                    r.push(at(i), c.into()).unwrap()
                };
                prop_assert_eq!(a, b);
            }
        }

        /// The tail probability falls as the count rises.
        #[test]
        fn larger_counts_are_less_likely(median in 0.5f64..60.0, spread in 1.0f64..6.0, x in 0u32..2_000) {
            let e = Expected { median, spread, values: Values::Counts };
            let (low, lower) = (lower_tail_probability(x.into(), &e), lower_tail_probability(f64::from(x) + 1.0, &e));
            prop_assert!((0.0..=1.0).contains(&low) && lower + 1e-12 >= low, "{} {}", low, lower);
            let (p, q) = (tail_probability(x.into(), &e), tail_probability(f64::from(x) + 1.0, &e));
            prop_assert!((0.0..=1.0).contains(&p) && q <= p + 1e-12, "{} {}", p, q);
        }
    }
}
