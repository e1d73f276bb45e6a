//! Backtest: train on the past, test on the future.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{BestTimes, FitOptions, Observation, SlotStats, StatsOptions};
use crate::slot::Slot;

/// How to backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestOptions {
    /// Posts before this instant train the model; posts from it on test it.
    pub cutoff: DateTime<Utc>,
    /// How many top slots a recommendation holds. Default 10.
    pub top: usize,
    /// How to fit.
    pub fit: FitOptions,
}

impl From<DateTime<Utc>> for BacktestOptions {
    fn from(cutoff: DateTime<Utc>) -> Self {
        BacktestOptions {
            cutoff,
            top: 10,
            fit: FitOptions::default(),
        }
    }
}

/// One ranking's results on held-out posts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    /// Its top slots.
    pub top: Vec<Slot>,
    /// Held-out posts that fell in them.
    pub held_out_posts: u64,
    /// Top slots that held at least one held-out post.
    pub held_out_slots: usize,
    /// The mean held-out outcome of those slots (each slot counts once).
    pub mean: Option<f64>,
    /// `mean / random - 1`: how much better than a random slot.
    pub lift_vs_random: Option<f64>,
    /// Spearman correlation between the ranking's estimates and the
    /// held-out slot means, over slots with held-out posts.
    pub rank_agreement: Option<f64>,
    /// Slots left out of `top` because they tie with slots below the cut:
    /// which of them would be "top" is arbitrary (by slot index), so none
    /// is. A flat fit ties everywhere: its `top` is empty.
    #[serde(default)]
    pub tied_at_cut: usize,
}

/// What a backtest found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    /// The first instant of the test period.
    pub cutoff: DateTime<Utc>,
    /// Posts trained on.
    pub train_posts: usize,
    /// Posts tested on.
    pub test_posts: usize,
    /// Slots with at least one held-out post.
    pub test_slots: usize,
    /// Whether the trained model found any slot really better.
    pub evidence: bool,
    /// The expected held-out outcome of a random slot: the mean of the
    /// held-out slot means.
    pub random_mean: f64,
    /// What the model recommends: its top slots that it calls better than
    /// the account's level. Empty when it has no evidence: then it abstains,
    /// and has no held-out figure of its own (following it is posting when
    /// you would anyway).
    pub recommended: Ranking,
    /// The model's top slots by estimate, called better or not.
    pub model: Ranking,
    /// The naive ranking by raw training slot means, as most tools do: only
    /// slots with training posts.
    pub naive: Ranking,
    /// `recommended.mean / naive.mean - 1`, when both have held-out posts;
    /// `None` when the model abstains or its slots hold no held-out post.
    pub lift_vs_naive: Option<f64>,
    /// The level of the predictive intervals checked.
    pub level: f64,
    /// Held-out slots whose mean fell inside its predictive interval.
    pub covered: usize,
    /// `covered / test_slots`: near `level` when the intervals are honest.
    pub coverage: Option<f64>,
    /// The model fitted on the training posts.
    pub fitted: BestTimes,
}

/// Trains on the observations before `options.cutoff`, tests on the rest.
/// With a half-life, recency is measured from the cutoff.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tertulia_core::chrono_tz::Europe::Madrid;
/// use tertulia_schedule::{backtest, Observation, Outcome, SlotWidth, StatsOptions};
/// use tertulia_sim::{SimConfig, Simulation};
///
/// let sim = Simulation::new(SimConfig::default().with_weeks(30).with_posts_per_week(60))?;
/// let madrid = &sim.accounts()[0];
/// let observations: Vec<Observation> = sim
///     .posts()
///     .filter(|p| p.author.handle == madrid.profile.handle)
///     .filter_map(|p| Observation::of_post(&(&p).into(), SlotWidth::Hour, madrid.time_zone, &Outcome::default()))
///     .collect();
/// let cutoff = sim.period().start() + chrono::TimeDelta::weeks(20);
/// let result = backtest(&observations, StatsOptions::from(Madrid), &cutoff.into())?;
/// assert!(result.model.lift_vs_random.unwrap() > 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn backtest(
    observations: &[Observation],
    stats: StatsOptions,
    options: &BacktestOptions,
) -> Result<Backtest> {
    let stats = StatsOptions {
        as_of: stats.half_life.map(|_| options.cutoff),
        ..stats
    };
    let (train, test): (Vec<&Observation>, Vec<&Observation>) =
        observations.iter().partition(|o| o.at < options.cutoff);
    if train.is_empty() || test.is_empty() || options.top == 0 {
        return Err(Error::Split {
            cutoff: options.cutoff,
            train: train.len(),
            test: test.len(),
            expected: "choose a cutoff with posts on both sides, and at least one top slot",
        });
    }
    let mut trained = SlotStats::new(stats)?;
    train.iter().for_each(|o| trained.add(**o));
    let fitted = trained.fit(&options.fit)?;
    let naive_means = trained.naive_means();

    // Held-out slot means.
    let slots = stats.width.slots();
    let mut sums = vec![(0u64, 0.0f64); slots];
    for o in &test {
        if o.slot < slots && o.value.is_finite() {
            sums[o.slot].0 += 1;
            sums[o.slot].1 += o.value;
        }
    }
    let held: Vec<Option<(u64, f64)>> = sums
        .iter()
        .map(|&(n, s)| (n > 0).then(|| (n, s / n as f64)))
        .collect();
    let tested: Vec<usize> = (0..slots).filter(|&i| held[i].is_some()).collect();
    let random_mean = tested
        .iter()
        .map(|&i| held[i].expect("tested").1)
        .sum::<f64>()
        / tested.len() as f64;

    let by_index = fitted.by_index();
    let model_scores: Vec<f64> = by_index.iter().map(|s| s.estimate).collect();
    // The naive ranking has nothing to say about slots without training
    // posts: they rank last.
    let naive_scores: Vec<f64> = naive_means
        .iter()
        .map(|m| m.unwrap_or(f64::NEG_INFINITY))
        .collect();
    let eval = |scores: &[f64], chosen: Vec<usize>| {
        ranking(scores, chosen, &held, &tested, random_mean, stats.width)
    };
    let (model_top, model_ties) = top(&model_scores, options.top);
    let (naive_top, naive_ties) = top(&naive_scores, options.top);
    let model = Ranking {
        tied_at_cut: model_ties,
        ..eval(&model_scores, model_top)
    };
    let naive = Ranking {
        tied_at_cut: naive_ties,
        ..eval(&naive_scores, naive_top)
    };
    let better: Vec<usize> = fitted
        .better()
        .take(options.top)
        .map(|s| s.slot.index())
        .collect();
    let recommended = eval(&model_scores, better);

    let covered = tested
        .iter()
        .filter(|&&i| {
            let (n, mean) = held[i].expect("tested");
            fitted
                .predictive(i, n)
                .is_some_and(|(low, high)| low <= mean && mean <= high)
        })
        .count();

    Ok(Backtest {
        cutoff: options.cutoff,
        train_posts: train.len(),
        test_posts: test.len(),
        test_slots: tested.len(),
        evidence: fitted.has_evidence(),
        random_mean,
        lift_vs_naive: match (recommended.mean, naive.mean) {
            (Some(m), Some(n)) if n != 0.0 => Some(m / n - 1.0),
            _ => None,
        },
        recommended,
        model,
        naive,
        level: options.fit.level,
        covered,
        coverage: Some(covered as f64 / tested.len() as f64),
        fitted,
    })
}

/// The `n` best-scored slot indexes with a finite score, best first, and
/// how many were left out because they tie with the first slot below the
/// cut (an order among equals would be the slots' index, not the data's).
fn top(scores: &[f64], n: usize) -> (Vec<usize>, usize) {
    let mut order: Vec<usize> = (0..scores.len())
        .filter(|&i| scores[i].is_finite())
        .collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let Some(&below) = order.get(n) else {
        return (order, 0);
    };
    order.truncate(n);
    let kept = order
        .iter()
        .take_while(|&&i| scores[i] > scores[below])
        .count();
    let tied = order.len() - kept;
    order.truncate(kept);
    (order, tied)
}

/// How `chosen` slots did on held-out posts, and how `scores` rank the
/// held-out slots.
fn ranking(
    scores: &[f64],
    chosen: Vec<usize>,
    held: &[Option<(u64, f64)>],
    tested: &[usize],
    random_mean: f64,
    width: crate::slot::SlotWidth,
) -> Ranking {
    let hits: Vec<(u64, f64)> = chosen.iter().filter_map(|&i| held[i]).collect();
    let mean =
        (!hits.is_empty()).then(|| hits.iter().map(|h| h.1).sum::<f64>() / hits.len() as f64);
    let finite: Vec<usize> = tested
        .iter()
        .copied()
        .filter(|&i| scores[i].is_finite())
        .collect();
    let rank_agreement = spearman(
        &finite.iter().map(|&i| scores[i]).collect::<Vec<_>>(),
        &finite
            .iter()
            .map(|&i| held[i].expect("tested").1)
            .collect::<Vec<_>>(),
    );
    Ranking {
        tied_at_cut: 0,
        top: chosen.iter().map(|&i| width.slot(i)).collect(),
        held_out_posts: hits.iter().map(|h| h.0).sum(),
        held_out_slots: hits.len(),
        lift_vs_random: mean
            .filter(|_| random_mean != 0.0)
            .map(|m| m / random_mean - 1.0),
        mean,
        rank_agreement,
    }
}

/// Spearman's rank correlation (ties get their average rank); `None` below
/// three pairs or when either side is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 3 {
        return None;
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let mean = (n + 1.0) / 2.0;
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - mean) * (y - mean);
        va += (x - mean).powi(2);
        vb += (y - mean).powi(2);
    }
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut out = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[k] = rank;
        }
        i = j + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_at_the_cut_are_not_a_ranking() {
        // A flat fit: every slot the same. No slot is top.
        assert_eq!(top(&[1.0; 8], 3), (vec![], 3));
        // Two clear winners, then a tie across the cut.
        assert_eq!(top(&[5.0, 1.0, 9.0, 1.0, 1.0], 3), (vec![2, 0], 1));
        // Slots without a score never make the top.
        let none = f64::NEG_INFINITY;
        assert_eq!(top(&[none, 2.0, none], 3), (vec![1], 0));
    }

    #[test]
    fn spearman_handles_ties_and_constants() {
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]), Some(1.0));
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[3.0, 2.0, 1.0]), None);
        let r = spearman(&[1.0, 2.0, 2.0, 4.0], &[1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!((r - 0.9486833).abs() < 1e-6, "{r}");
    }
}
