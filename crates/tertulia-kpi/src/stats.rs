//! Intervals and significance tests: how sure a figure is, and whether two
//! figures really differ.
//!
//! Three kinds of rate, three intervals:
//! - a **proportion** (a share of distinct people or events, at most 1, such
//!   as engaged users by reach or the response rate) gets the Wilson score
//!   interval, which stays inside [0, 1] and behaves at 0 and 1;
//! - a **count per exposure** (interactions per person reached, likes per
//!   post) gets the exact Poisson (Garwood) interval on the count, divided by
//!   the exposure. It treats interactions as independent events; real posts
//!   vary more than that, so read it as the least uncertainty there is;
//! - a **mean of per-post rates** gets a normal interval from the observed
//!   spread of the per-post rates (Student's t for small samples), cut to
//!   the values the mean can take: never below 0, and never above 1 for a
//!   proportion. A mean of counts from a few skewed posts would otherwise
//!   show a negative lower bound ("21.50 [-213.56–256.56]"); cutting it
//!   keeps the interval's coverage, since the true mean lies inside the
//!   range anyway.

use serde::{Deserialize, Serialize};
use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, Gamma, Normal, StudentsT};

use crate::error::{Error, Result};

/// The confidence level of intervals and the significance level of tests,
/// as a probability in (0, 1). The default is 0.95.
///
/// ```
/// use tertulia_kpi::Confidence;
///
/// let c = Confidence::new(0.90)?;
/// assert!((c.z() - 1.6449).abs() < 1e-4);
/// assert!(Confidence::new(1.0).is_err());
/// assert_eq!(Confidence::default().level(), 0.95);
/// # Ok::<(), tertulia_kpi::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Confidence(f64);

impl Default for Confidence {
    fn default() -> Self {
        Confidence(0.95)
    }
}

impl Confidence {
    /// A confidence level strictly between 0 and 1.
    pub fn new(level: f64) -> Result<Self> {
        if level.is_finite() && level > 0.0 && level < 1.0 {
            Ok(Confidence(level))
        } else {
            Err(Error::Setting {
                field: "confidence level",
                value: level.to_string(),
                expected: "give a probability strictly between 0 and 1, such as 0.95",
            })
        }
    }

    /// The level, such as 0.95.
    pub fn level(self) -> f64 {
        self.0
    }

    /// The significance level of tests, 1 - level (0.05 at 95%).
    pub fn alpha(self) -> f64 {
        1.0 - self.0
    }

    /// The two-sided standard normal quantile (1.96 at 95%).
    pub fn z(self) -> f64 {
        standard_normal().inverse_cdf(1.0 - self.alpha() / 2.0)
    }
}

impl TryFrom<f64> for Confidence {
    type Error = Error;
    fn try_from(level: f64) -> Result<Self> {
        Confidence::new(level)
    }
}

impl From<Confidence> for f64 {
    fn from(c: Confidence) -> f64 {
        c.0
    }
}

/// An interval estimate: the figure lies between `low` and `high` at the
/// stated confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The lower bound.
    pub low: f64,
    /// The upper bound.
    pub high: f64,
}

impl Interval {
    /// Whether `x` lies inside, bounds included.
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }

    /// This interval cut to `[low, high]`, the values the figure can take.
    ///
    /// ```
    /// use tertulia_kpi::Interval;
    ///
    /// let i = Interval { low: -213.56, high: 256.56 }.within(0.0, f64::INFINITY);
    /// assert_eq!((i.low, i.high), (0.0, 256.56));
    /// ```
    pub fn within(self, low: f64, high: f64) -> Interval {
        Interval {
            low: self.low.clamp(low, high),
            high: self.high.clamp(low, high),
        }
    }

    /// This interval multiplied by `k`.
    pub(crate) fn scaled(self, k: f64) -> Interval {
        Interval {
            low: self.low * k,
            high: self.high * k,
        }
    }
}

/// The Wilson score interval of a proportion `successes / trials`.
///
/// `None` when there are no trials, or when successes exceed trials (then the
/// figure is not a proportion, for example clicks counted twice).
///
/// ```
/// use tertulia_kpi::{stats, Confidence};
///
/// let i = stats::wilson(8, 10, Confidence::default()).unwrap();
/// assert!((i.low - 0.4902).abs() < 1e-4 && (i.high - 0.9433).abs() < 1e-4);
/// assert!(stats::wilson(0, 0, Confidence::default()).is_none());
/// ```
pub fn wilson(successes: u128, trials: u128, confidence: Confidence) -> Option<Interval> {
    if trials == 0 || successes > trials {
        return None;
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z = confidence.z();
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // At the edges the bound is exactly 0 or 1; rounding must not move it.
    Some(Interval {
        low: if successes == 0 {
            0.0
        } else {
            (centre - half).max(0.0)
        },
        high: if successes == trials {
            1.0
        } else {
            (centre + half).min(1.0)
        },
    })
}

/// The exact (Garwood) Poisson interval of `count` events over `exposure`
/// units, as a rate per unit. `None` when the exposure is zero.
///
/// ```
/// use tertulia_kpi::{stats, Confidence};
///
/// // 10 events in 1 unit: the classic [4.795, 18.390].
/// let i = stats::poisson(10, 1, Confidence::default()).unwrap();
/// assert!((i.low - 4.7954).abs() < 1e-3 && (i.high - 18.3904).abs() < 1e-3);
/// ```
pub fn poisson(count: u128, exposure: u128, confidence: Confidence) -> Option<Interval> {
    if exposure == 0 {
        return None;
    }
    let tail = confidence.alpha() / 2.0;
    let x = count as f64;
    let low = if count == 0 {
        0.0
    } else {
        gamma_quantile(x, tail)
    };
    let high = gamma_quantile(x + 1.0, 1.0 - tail);
    Some(Interval { low, high }.scaled(1.0 / exposure as f64))
}

/// The quantile of the Gamma(shape, 1) distribution. Exact inversion for
/// small shapes; for large ones the Wilson–Hilferty cube-root normal
/// approximation, whose relative error there is far below 1e-6.
fn gamma_quantile(shape: f64, p: f64) -> f64 {
    if shape < 1e4 {
        Gamma::new(shape, 1.0)
            .expect("shape is positive and finite")
            .inverse_cdf(p)
    } else {
        let z = standard_normal().inverse_cdf(p);
        let k = 1.0 / (9.0 * shape);
        shape * (1.0 - k + z * k.sqrt()).powi(3)
    }
}

/// The normal interval of a mean from its sample size, mean and sample
/// variance; Student's t below 30 values. `None` below two values.
pub fn mean_interval(n: u64, mean: f64, variance: f64, confidence: Confidence) -> Option<Interval> {
    if n < 2 || !variance.is_finite() {
        return None;
    }
    let q = 1.0 - confidence.alpha() / 2.0;
    let critical = if n < 30 {
        StudentsT::new(0.0, 1.0, (n - 1) as f64)
            .expect("degrees of freedom are positive")
            .inverse_cdf(q)
    } else {
        standard_normal().inverse_cdf(q)
    };
    let half = critical * (variance.max(0.0) / n as f64).sqrt();
    Some(Interval {
        low: mean - half,
        high: mean + half,
    })
}

/// The test behind a [`Comparison`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// Two proportions: the pooled two-proportion z test.
    TwoProportionZ,
    /// Two Poisson rates: the exact conditional binomial test (given the
    /// total count, is the split the exposures predict?).
    ConditionalBinomial,
    /// Two means of per-post rates: Welch's t test.
    WelchT,
}

/// Whether two figures differ by more than chance would explain.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The test used.
    pub test: Test,
    /// The first figure (the baseline, for example the previous period).
    pub a: f64,
    /// The second figure.
    pub b: f64,
    /// `b - a`.
    pub difference: f64,
    /// `(b - a) / a`; `None` when `a` is zero.
    pub relative_change: Option<f64>,
    /// The two-sided p-value.
    pub p_value: f64,
    /// Whether `p_value` is below the significance level.
    pub significant: bool,
}

impl Comparison {
    fn new(test: Test, a: f64, b: f64, p_value: f64, confidence: Confidence) -> Self {
        let p_value = p_value.clamp(0.0, 1.0);
        Comparison {
            test,
            a,
            b,
            difference: b - a,
            relative_change: (a != 0.0).then(|| (b - a) / a),
            p_value,
            significant: p_value < confidence.alpha(),
        }
    }
}

/// Compares the proportions `x1 / n1` and `x2 / n2` with the pooled
/// two-proportion z test. `None` when a group has no trials or a count
/// exceeds its trials.
///
/// ```
/// use tertulia_kpi::{stats, Confidence};
///
/// // 120 of 1000 against 145 of 1000 replied to: p ≈ 0.1, could be chance.
/// let c = stats::compare_proportions(120, 1000, 145, 1000, Confidence::default()).unwrap();
/// assert!(!c.significant && (c.p_value - 0.099).abs() < 0.002);
/// let c = stats::compare_proportions(120, 1000, 180, 1000, Confidence::default()).unwrap();
/// assert!(c.significant);
/// ```
pub fn compare_proportions(
    x1: u128,
    n1: u128,
    x2: u128,
    n2: u128,
    confidence: Confidence,
) -> Option<Comparison> {
    if n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2 {
        return None;
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let pooled = (x1 + x2) as f64 / (n1 + n2) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    let p_value = if se == 0.0 {
        // Both all-or-nothing and equal pooled: identical only if p1 == p2.
        if p1 == p2 { 1.0 } else { 0.0 }
    } else {
        2.0 * (1.0 - standard_normal().cdf(((p2 - p1) / se).abs()))
    };
    Some(Comparison::new(
        Test::TwoProportionZ,
        p1,
        p2,
        p_value,
        confidence,
    ))
}

/// Compares the rates `x1 / e1` and `x2 / e2` of events per unit of exposure
/// with the exact conditional binomial test. `None` when an exposure is zero.
///
/// ```
/// use tertulia_kpi::{stats, Confidence};
///
/// // 300 interactions per 10,000 reached against 360 per 10,000.
/// let c = stats::compare_poisson(300, 10_000, 360, 10_000, Confidence::default()).unwrap();
/// assert!(c.significant);
/// assert!((c.relative_change.unwrap() - 0.2).abs() < 1e-12);
/// ```
pub fn compare_poisson(
    x1: u128,
    e1: u128,
    x2: u128,
    e2: u128,
    confidence: Confidence,
) -> Option<Comparison> {
    if e1 == 0 || e2 == 0 {
        return None;
    }
    let (r1, r2) = (x1 as f64 / e1 as f64, x2 as f64 / e2 as f64);
    let total = x1 + x2;
    let p_value = if total == 0 {
        1.0
    } else {
        let share = e1 as f64 / (e1 as f64 + e2 as f64);
        let trials = u64::try_from(total).unwrap_or(u64::MAX);
        let k = u64::try_from(x1).unwrap_or(u64::MAX);
        let split = Binomial::new(share, trials).expect("share is in (0, 1)");
        let at_most = split.cdf(k);
        let at_least = if k == 0 { 1.0 } else { split.sf(k - 1) };
        2.0 * at_most.min(at_least)
    };
    Some(Comparison::new(
        Test::ConditionalBinomial,
        r1,
        r2,
        p_value,
        confidence,
    ))
}

/// Compares two means of per-post rates with Welch's t test, from each
/// group's size, mean and sample variance. `None` below two values a group.
pub fn compare_means(
    (n1, mean1, var1): (u64, f64, f64),
    (n2, mean2, var2): (u64, f64, f64),
    confidence: Confidence,
) -> Option<Comparison> {
    if n1 < 2 || n2 < 2 {
        return None;
    }
    let (s1, s2) = (var1.max(0.0) / n1 as f64, var2.max(0.0) / n2 as f64);
    let se2 = s1 + s2;
    let p_value = if se2 == 0.0 {
        if mean1 == mean2 { 1.0 } else { 0.0 }
    } else {
        let t = (mean2 - mean1) / se2.sqrt();
        let df = se2 * se2 / (s1 * s1 / (n1 - 1) as f64 + s2 * s2 / (n2 - 1) as f64);
        let dist = StudentsT::new(0.0, 1.0, df).expect("degrees of freedom are positive");
        2.0 * dist.sf(t.abs())
    };
    Some(Comparison::new(
        Test::WelchT,
        mean1,
        mean2,
        p_value,
        confidence,
    ))
}

fn standard_normal() -> Normal {
    Normal::standard()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn wilson_matches_published_values_and_edges() {
        let c = Confidence::default();
        // Newcombe (1998), table I: 81/263 -> 0.2553 .. 0.3662.
        let i = wilson(81, 263, c).unwrap();
        assert!(
            close(i.low, 0.2553, 1e-3) && close(i.high, 0.3662, 1e-3),
            "{i:?}"
        );
        let zero = wilson(0, 20, c).unwrap();
        assert_eq!(zero.low, 0.0);
        assert!(close(zero.high, 0.1611, 1e-3), "{zero:?}");
        let all = wilson(20, 20, c).unwrap();
        assert_eq!(all.high, 1.0);
        assert!(wilson(21, 20, c).is_none());
    }

    #[test]
    fn poisson_matches_tables_and_large_counts_agree() {
        let c = Confidence::default();
        let zero = poisson(0, 1, c).unwrap();
        assert_eq!(zero.low, 0.0);
        assert!(close(zero.high, 3.6889, 1e-4), "{zero:?}");
        let one = poisson(1, 1, c).unwrap();
        assert!(close(one.low, 0.0253, 1e-3) && close(one.high, 5.5716, 1e-4));
        // Either side of the switch to Wilson–Hilferty the bounds agree.
        let below = Gamma::new(9_999.5, 1.0).unwrap().inverse_cdf(0.975);
        let k: f64 = 1.0 / (9.0 * 9_999.5);
        let z = standard_normal().inverse_cdf(0.975);
        let approx = 9_999.5 * (1.0 - k + z * k.sqrt()).powi(3);
        assert!(close(approx, below, 1e-7), "{approx} vs {below}");
        let big = poisson(1_000_000, 50_000_000, c).unwrap();
        assert!(big.contains(0.02) && big.high - big.low < 0.0002);
        assert!(poisson(3, 0, c).is_none());
    }

    #[test]
    fn tests_give_textbook_p_values() {
        let c = Confidence::default();
        // 45/100 vs 60/100: z = 2.1232, p = 0.0337.
        let t = compare_proportions(45, 100, 60, 100, c).unwrap();
        assert!(close(t.p_value, 0.0337, 1e-2) && t.significant, "{t:?}");
        // Equal rates are never significant.
        let same = compare_poisson(50, 1000, 50, 1000, c).unwrap();
        assert!(same.p_value > 0.99 && !same.significant);
        // 10 vs 25 events over equal exposure: exact binomial p = 0.0167.
        let p = compare_poisson(10, 100, 25, 100, c).unwrap();
        assert!(close(p.p_value, 0.0167, 2e-2), "{p:?}");
        // Welch: n=10 each, means 0 and 1, variances 1 and 1: t = 2.236, p = 0.038.
        let w = compare_means((10, 0.0, 1.0), (10, 1.0, 1.0), c).unwrap();
        assert!(close(w.p_value, 0.0382, 2e-2) && w.significant, "{w:?}");
        assert!(compare_means((1, 0.0, 0.0), (10, 1.0, 1.0), c).is_none());
    }

    #[test]
    fn mean_interval_uses_t_for_small_samples() {
        let c = Confidence::default();
        let i = mean_interval(5, 10.0, 4.0, c).unwrap();
        // t(4, 0.975) = 2.7764, se = sqrt(4/5).
        assert!(
            close(i.high - 10.0, 2.7764 * (0.8f64).sqrt(), 1e-4),
            "{i:?}"
        );
        assert!(mean_interval(1, 10.0, 0.0, c).is_none());
    }
}
