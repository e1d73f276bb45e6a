//! One rate, accumulated over posts and reported both ways.

use serde::{Deserialize, Serialize};

use crate::stats::{self, Comparison, Confidence, Interval};

/// What a rate measures, which decides its interval and its test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateKind {
    /// A share of distinct people or events, at most 1 (engaged users by
    /// reach, video completion): Wilson interval, two-proportion z test.
    Proportion,
    /// Events per unit of exposure (interactions per person reached, per
    /// follower, per post): Poisson interval, conditional binomial test.
    PerExposure,
}

/// Scale of the fixed-point sums of per-post rates: 2^40, so each rate is
/// kept to about 1e-12 and sums are exact integers. Integer sums make merging
/// exact and independent of order, which floating-point sums are not.
const SCALE: f64 = (1u64 << 40) as f64;

/// `x`, a rate already multiplied by 2^40, as an integer.
#[inline]
fn fixed(x: f64) -> u128 {
    // One machine instruction in the common case; the wide conversion for
    // rates above about 8 million (it saturates above 10^26).
    if x < 9.223_372_036_854_775e18 {
        x as i64 as u128
    } else {
        x as u128
    }
}

fn unfixed(x: u128) -> f64 {
    x as f64 / SCALE
}

/// The running totals of one rate `numerator / denominator` over posts: a
/// mergeable, serializable accumulator.
///
/// Each post gives a numerator and a denominator, either of which may be
/// missing. A post with both is *used*: its counts enter the ratio of sums,
/// and its own rate enters the mean of per-post rates unless its denominator
/// is zero (then its rate is *undefined* and it is counted as such). A post
/// with either missing is counted as *missing* and enters nothing.
///
/// ```
/// use tertulia_kpi::{Confidence, RateKind, RateTotals};
///
/// let mut shard_a = RateTotals::default();
/// shard_a.add(Some(30), Some(1_000)); // 3%
/// shard_a.add(Some(5), None);         // reach not reported
/// let mut shard_b = RateTotals::default();
/// shard_b.add(Some(10), Some(100));   // 10%
/// shard_b.add(Some(2), Some(0));      // reach 0: undefined on its own
///
/// shard_a.merge(&shard_b);
/// let rate = shard_a.rate(RateKind::PerExposure, Confidence::default());
/// assert_eq!((rate.posts, rate.used, rate.missing, rate.undefined), (4, 3, 1, 1));
/// // 42 / 1100 as a ratio of sums; (3% + 10%) / 2 as a mean of per-post rates.
/// assert!((rate.ratio_of_sums.unwrap().value - 42.0 / 1100.0).abs() < 1e-12);
/// assert!((rate.mean_of_rates.unwrap().value - 0.065).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RateTotals {
    /// Posts offered.
    pub posts: u64,
    /// Posts with the numerator or the denominator not reported.
    pub missing: u64,
    /// Posts used whose denominator is zero.
    pub undefined: u64,
    /// Sum of the numerators of used posts.
    pub numerator: u128,
    /// Sum of the denominators of used posts.
    pub denominator: u128,
    /// Posts with a defined per-post rate.
    pub rated: u64,
    /// Sum of the per-post rates, in units of 2^-40.
    pub rate_sum: u128,
    /// Sum of the squared per-post rates, in units of 2^-40.
    pub rate_square_sum: u128,
}

impl RateTotals {
    /// Adds one post.
    #[inline]
    pub fn add(&mut self, numerator: Option<u64>, denominator: Option<u64>) {
        self.posts += 1;
        let (Some(n), Some(d)) = (numerator, denominator) else {
            self.missing += 1;
            return;
        };
        self.numerator += u128::from(n);
        self.denominator += u128::from(d);
        if d == 0 {
            self.undefined += 1;
        } else {
            let r = n as f64 / d as f64;
            self.rated += 1;
            self.rate_sum = self.rate_sum.saturating_add(fixed(r * SCALE));
            self.rate_square_sum = self.rate_square_sum.saturating_add(fixed(r * r * SCALE));
        }
    }

    /// Adds the totals of another shard. Exact: any split, merged in any
    /// order, gives the same totals as one pass over all posts.
    pub fn merge(&mut self, other: &RateTotals) {
        self.posts += other.posts;
        self.missing += other.missing;
        self.undefined += other.undefined;
        self.numerator += other.numerator;
        self.denominator += other.denominator;
        self.rated += other.rated;
        self.rate_sum = self.rate_sum.saturating_add(other.rate_sum);
        self.rate_square_sum = self.rate_square_sum.saturating_add(other.rate_square_sum);
    }

    /// Posts used: both counts reported.
    pub fn used(&self) -> u64 {
        self.posts - self.missing
    }

    /// Σ numerator / Σ denominator, or `None` when Σ denominator is zero.
    pub fn ratio_of_sums(&self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64)
    }

    /// The mean of the defined per-post rates, or `None` when there is none.
    pub fn mean_of_rates(&self) -> Option<f64> {
        (self.rated > 0).then(|| unfixed(self.rate_sum) / self.rated as f64)
    }

    /// The sample variance of the per-post rates (two or more needed).
    pub fn rate_variance(&self) -> Option<f64> {
        if self.rated < 2 {
            return None;
        }
        let n = self.rated as f64;
        let sum = unfixed(self.rate_sum);
        let var = (unfixed(self.rate_square_sum) - sum * sum / n) / (n - 1.0);
        Some(var.max(0.0))
    }

    /// The figures, with intervals at `confidence`.
    pub fn rate(&self, kind: RateKind, confidence: Confidence) -> Rate {
        let pooled = match kind {
            RateKind::Proportion => stats::wilson(self.numerator, self.denominator, confidence),
            RateKind::PerExposure => stats::poisson(self.numerator, self.denominator, confidence),
        };
        Rate {
            kind,
            posts: self.posts,
            used: self.used(),
            missing: self.missing,
            undefined: self.undefined,
            numerator: self.numerator,
            denominator: self.denominator,
            ratio_of_sums: self.ratio_of_sums().map(|value| Estimate {
                value,
                interval: pooled,
            }),
            mean_of_rates: self.mean_of_rates().map(|value| Estimate {
                value,
                // Per-post rates are never negative, and a proportion's are
                // at most 1 (when the data keeps to that).
                interval: self
                    .rate_variance()
                    .and_then(|var| stats::mean_interval(self.rated, value, var, confidence))
                    .map(|i| match kind {
                        RateKind::Proportion if value <= 1.0 => i.within(0.0, 1.0),
                        _ => i.within(0.0, f64::INFINITY),
                    }),
            }),
        }
    }

    /// Whether this shard's ratio of sums differs from `baseline`'s by more
    /// than chance explains, with the test that fits `kind`.
    pub fn compare(
        &self,
        baseline: &RateTotals,
        kind: RateKind,
        confidence: Confidence,
    ) -> Option<Comparison> {
        let (a, b) = (baseline, self);
        match kind {
            RateKind::Proportion => stats::compare_proportions(
                a.numerator,
                a.denominator,
                b.numerator,
                b.denominator,
                confidence,
            ),
            RateKind::PerExposure => stats::compare_poisson(
                a.numerator,
                a.denominator,
                b.numerator,
                b.denominator,
                confidence,
            ),
        }
    }

    /// Whether this shard's mean of per-post rates differs from
    /// `baseline`'s (Welch's t test).
    pub fn compare_means(
        &self,
        baseline: &RateTotals,
        confidence: Confidence,
    ) -> Option<Comparison> {
        let group = |t: &RateTotals| Some((t.rated, t.mean_of_rates()?, t.rate_variance()?));
        stats::compare_means(group(baseline)?, group(self)?, confidence)
    }
}

/// A figure and its interval, when one can be given.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The figure.
    pub value: f64,
    /// Where the figure lies at the report's confidence level.
    pub interval: Option<Interval>,
}

/// A rate over a set of posts, reported both ways, with what was left out.
///
/// `ratio_of_sums` (Σ numerator / Σ denominator) weighs each post by its
/// denominator: it answers "of everyone reached, how many engaged?".
/// `mean_of_rates` weighs each post equally: it answers "how does a typical
/// post do?". They differ, often by a factor of two, and neither is wrong;
/// say which one a figure is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// What the rate measures.
    pub kind: RateKind,
    /// Posts offered.
    pub posts: u64,
    /// Posts with both counts reported.
    pub used: u64,
    /// Posts left out because a count was not reported.
    pub missing: u64,
    /// Posts used whose own rate is undefined (denominator zero).
    pub undefined: u64,
    /// Σ numerator over used posts.
    pub numerator: u128,
    /// Σ denominator over used posts.
    pub denominator: u128,
    /// Σ numerator / Σ denominator; `None` when Σ denominator is zero.
    pub ratio_of_sums: Option<Estimate>,
    /// The mean of per-post rates; `None` when no post has a defined rate.
    pub mean_of_rates: Option<Estimate>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item() -> impl Strategy<Value = (Option<u64>, Option<u64>)> {
        (
            proptest::option::weighted(0.9, 0u64..1_000_000),
            proptest::option::weighted(0.9, 0u64..10_000_000),
        )
    }

    fn totals(items: &[(Option<u64>, Option<u64>)]) -> RateTotals {
        let mut t = RateTotals::default();
        for &(n, d) in items {
            t.add(n, d);
        }
        t
    }

    proptest! {
        #[test]
        fn merging_any_split_equals_the_whole(
            items in proptest::collection::vec(item(), 0..200),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let whole = totals(&items);
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(items.len() + 1)).collect();
            cuts.sort_unstable();
            let mut merged = RateTotals::default();
            let mut from = 0;
            for cut in cuts.into_iter().chain([items.len()]) {
                merged.merge(&totals(&items[from..cut]));
                from = cut;
            }
            prop_assert_eq!(merged, whole);
        }

        #[test]
        fn order_does_not_matter(
            a in proptest::collection::vec(item(), 0..50),
            b in proptest::collection::vec(item(), 0..50),
            c in proptest::collection::vec(item(), 0..50),
        ) {
            let (ta, tb, tc) = (totals(&a), totals(&b), totals(&c));
            let mut abc = ta; abc.merge(&tb); abc.merge(&tc);
            let mut cba = tc; cba.merge(&tb); cba.merge(&ta);
            let mut bc = tb; bc.merge(&tc);
            let mut a_bc = ta; a_bc.merge(&bc);
            prop_assert_eq!(abc, cba);
            prop_assert_eq!(abc, a_bc);
        }

        #[test]
        fn merged_rates_lie_between_their_parts(
            a in proptest::collection::vec(item(), 1..50),
            b in proptest::collection::vec(item(), 1..50),
        ) {
            let (ta, tb) = (totals(&a), totals(&b));
            let mut m = ta; m.merge(&tb);
            // Both the ratio of sums (a mediant) and the mean of rates (a
            // weighted mean) lie between the parts' figures.
            for f in [RateTotals::ratio_of_sums, RateTotals::mean_of_rates] {
                if let (Some(x), Some(y), Some(z)) = (f(&ta), f(&tb), f(&m)) {
                    let tol = 1e-9 * x.max(y);
                    prop_assert!(x.min(y) - tol <= z && z <= x.max(y) + tol, "{} {} {}", x, y, z);
                }
            }
            let rate = m.rate(RateKind::PerExposure, Confidence::default());
            prop_assert_eq!(rate.used + rate.missing, rate.posts);
            if let Some(e) = rate.ratio_of_sums {
                let i = e.interval.unwrap();
                prop_assert!(i.low <= e.value && e.value <= i.high);
            }
        }

        #[test]
        fn mean_and_variance_match_a_direct_computation(
            items in proptest::collection::vec((0u64..10_000, 1u64..100_000), 2..100),
        ) {
            let t = totals(&items.iter().map(|&(n, d)| (Some(n), Some(d))).collect::<Vec<_>>());
            let rates: Vec<f64> = items.iter().map(|&(n, d)| n as f64 / d as f64).collect();
            let n = rates.len() as f64;
            let mean = rates.iter().sum::<f64>() / n;
            let var = rates.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
            prop_assert!((t.mean_of_rates().unwrap() - mean).abs() <= 1e-9 * mean.max(1e-3));
            prop_assert!((t.rate_variance().unwrap() - var).abs() <= 1e-6 * var.max(1e-6));
        }
    }

    proptest! {
        #[test]
        fn intervals_of_means_stay_in_the_rates_range(
            items in proptest::collection::vec((0u64..5_000, 1u64..5_000), 2..6),
        ) {
            let t = totals(&items.iter().map(|&(n, d)| (Some(n), Some(d))).collect::<Vec<_>>());
            for kind in [RateKind::PerExposure, RateKind::Proportion] {
                let e = t.rate(kind, Confidence::default()).mean_of_rates.unwrap();
                let i = e.interval.unwrap();
                prop_assert!(i.low >= 0.0 && i.low <= e.value && e.value <= i.high);
                if kind == RateKind::Proportion && e.value <= 1.0 {
                    prop_assert!(i.high <= 1.0);
                }
            }
        }
    }

    #[test]
    fn a_mean_of_few_skewed_counts_has_no_negative_bound() {
        // Likes per post of two posts, 1 and 42: Student's t with one degree
        // of freedom reaches far below 0, which no mean of counts can be.
        let mut t = RateTotals::default();
        t.add(Some(1), Some(1));
        t.add(Some(42), Some(1));
        let e = t
            .rate(RateKind::PerExposure, Confidence::default())
            .mean_of_rates
            .unwrap();
        let i = e.interval.unwrap();
        assert_eq!(i.low, 0.0);
        assert!(i.high > 200.0, "{i:?}");
    }

    #[test]
    fn nothing_defined_is_none_not_zero() {
        let mut t = RateTotals::default();
        assert_eq!(t.ratio_of_sums(), None);
        assert_eq!(t.mean_of_rates(), None);
        t.add(Some(3), Some(0));
        assert_eq!(t.ratio_of_sums(), None);
        assert_eq!(t.mean_of_rates(), None);
        assert_eq!((t.used(), t.undefined), (1, 1));
        let back: RateTotals = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn huge_rates_are_kept_not_wrapped() {
        let mut t = RateTotals::default();
        t.add(Some(u64::MAX), Some(1));
        t.add(Some(u64::MAX), Some(1));
        assert!((t.mean_of_rates().unwrap() / u64::MAX as f64 - 1.0).abs() < 1e-9);
    }
}
