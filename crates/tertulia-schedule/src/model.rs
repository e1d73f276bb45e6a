//! The best-time model: slot statistics that merge, and a hierarchical
//! shrinkage fit that states how sure it is.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};
use tertulia_core::{Platform, PostKind};
use tertulia_kpi::{Engagement, Kpi, PostView};

use crate::error::{Error, Result};
use crate::slot::{Slot, SlotWidth};

/// What the model optimises: one per-post KPI, by default engagement by
/// reach with likes + comments + shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The KPI.
    pub kpi: Kpi,
    /// How engagement is counted.
    pub engagement: Engagement,
}

impl Default for Outcome {
    fn default() -> Self {
        Outcome::from(Kpi::EngagementByReach)
    }
}

impl From<Kpi> for Outcome {
    fn from(kpi: Kpi) -> Self {
        Outcome {
            kpi,
            engagement: Engagement::default(),
        }
    }
}

impl Outcome {
    /// The usual outcome on `platform`: engagement by reach, or engagement
    /// by followers at post time where the platform reports no reach
    /// (Bluesky, Mastodon).
    pub fn for_platform(platform: &Platform) -> Outcome {
        Outcome::from(match platform {
            Platform::Bluesky | Platform::Mastodon => Kpi::EngagementByFollowers,
            _ => Kpi::EngagementByReach,
        })
    }

    /// The outcome of one post, `None` when undefined.
    pub fn of(&self, post: &PostView<'_>) -> Option<f64> {
        self.kpi
            .of(&self.engagement, post.metrics, post.followers, post.kind)
    }
}

/// One post as the model sees it: when, in which local slot, of which kind,
/// and how it did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// When it was published (for recency weights and time splits).
    pub at: DateTime<Utc>,
    /// Its slot index in the statistics' grid (see [`SlotWidth::index`]).
    pub slot: usize,
    /// Its kind.
    pub kind: PostKind,
    /// Its outcome.
    pub value: f64,
}

impl Observation {
    /// One post as the model sees it, with its slot read in `zone`; `None`
    /// when the post has no instant or its outcome is undefined.
    pub fn of_post(
        post: &PostView<'_>,
        width: SlotWidth,
        zone: Tz,
        outcome: &Outcome,
    ) -> Option<Observation> {
        let at = post.posted.at?;
        Some(Observation {
            at,
            slot: width.index_at(at, zone),
            kind: post.kind,
            value: outcome.of(post)?,
        })
    }
}

/// How slot statistics are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsOptions {
    /// The slot width.
    pub width: SlotWidth,
    /// The account's zone, whose local time the slots are in.
    pub zone: Tz,
    /// Recent posts weigh more: a post this much older than `as_of` weighs
    /// half. `None`: every post weighs the same.
    pub half_life: Option<TimeDelta>,
    /// The instant recency is measured from (required with a half-life).
    pub as_of: Option<DateTime<Utc>>,
}

impl From<Tz> for StatsOptions {
    fn from(zone: Tz) -> Self {
        StatsOptions {
            width: SlotWidth::default(),
            zone,
            half_life: None,
            as_of: None,
        }
    }
}

/// Weighted sums of one cell of posts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Sums {
    /// Posts.
    pub n: u64,
    /// Σ weight.
    pub w: f64,
    /// Σ weight².
    pub w2: f64,
    /// Σ weight × outcome.
    pub wy: f64,
    /// Σ weight × outcome².
    pub wyy: f64,
}

impl Sums {
    fn add(&mut self, w: f64, y: f64) {
        self.n += 1;
        self.w += w;
        self.w2 += w * w;
        self.wy += w * y;
        self.wyy += w * y * y;
    }

    fn merge(&mut self, o: &Sums) {
        self.n += o.n;
        self.w += o.w;
        self.w2 += o.w2;
        self.wy += o.wy;
        self.wyy += o.wyy;
    }

    fn mean(&self) -> Option<f64> {
        (self.w > 0.0).then(|| self.wy / self.w)
    }

    /// The effective number of posts, (Σw)² / Σw².
    fn effective(&self) -> f64 {
        if self.w2 > 0.0 {
            self.w * self.w / self.w2
        } else {
            0.0
        }
    }
}

const KINDS: usize = PostKind::ALL.len();

/// Per-slot (and per-kind) weighted outcome sums: a mergeable, serializable
/// accumulator, fitted with [`SlotStats::fit`].
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tertulia_core::{chrono_tz::Europe::Madrid, PostKind};
/// use tertulia_schedule::{FitOptions, Observation, SlotStats, SlotWidth};
/// use chrono::Weekday;
///
/// let mut stats = SlotStats::new(Madrid)?;
/// let at = Utc.with_ymd_and_hms(2026, 3, 3, 17, 0, 0).unwrap();
/// for (i, value) in [0.020, 0.031, 0.024, 0.029].into_iter().enumerate() {
///     let slot = SlotWidth::Hour.index(Weekday::Tue, 18 * 60 + i as u16);
///     stats.add(Observation { at, slot, kind: PostKind::Photo, value });
/// }
/// let best = stats.fit(&FitOptions::default())?;
/// // Four posts in one slot say nothing about how it compares with the
/// // other 167: every slot gets the account's level, and no verdict.
/// assert!(!best.has_evidence());
/// let tuesday = best.by_index()[SlotWidth::Hour.index(Weekday::Tue, 18 * 60)];
/// assert_eq!((tuesday.posts, tuesday.estimate), (4, best.level_estimate));
/// # Ok::<(), tertulia_schedule::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotStats {
    options: StatsOptions,
    /// Posts offered whose outcome was undefined.
    pub missing: u64,
    /// Observations below zero. With none, the outcome is taken to be a
    /// count or a rate, and intervals never reach below 0.
    #[serde(default)]
    negative: u64,
    /// `[slot * KINDS + kind]`, only non-empty cells.
    cells: BTreeMap<usize, Sums>,
    /// Unweighted sums per week since the Unix epoch, to measure how much the
    /// account's level drifts from week to week.
    weeks: BTreeMap<i64, Sums>,
}

impl SlotStats {
    /// Empty statistics; checks that a half-life is positive and comes with
    /// an `as_of` instant.
    pub fn new(options: impl Into<StatsOptions>) -> Result<Self> {
        let options = options.into();
        if let Some(h) = options.half_life {
            if h <= TimeDelta::zero() {
                return Err(Error::Setting {
                    field: "half-life",
                    value: format!("{} hours", h.num_hours()),
                    expected: "give a positive half-life, such as 30 days",
                });
            }
            if options.as_of.is_none() {
                return Err(Error::Setting {
                    field: "half-life",
                    value: format!("{} hours, from no instant", h.num_hours()),
                    expected: "give the instant recency is measured from (as_of) with a half-life",
                });
            }
        }
        Ok(SlotStats {
            options,
            missing: 0,
            negative: 0,
            cells: BTreeMap::new(),
            weeks: BTreeMap::new(),
        })
    }

    /// The settings.
    pub fn options(&self) -> &StatsOptions {
        &self.options
    }

    /// Adds one post: its slot is read in the statistics' zone, its outcome
    /// by `outcome`. A post with an undefined outcome or no instant is
    /// counted as missing.
    pub fn add_post<'a>(&mut self, post: impl Into<PostView<'a>>, outcome: &Outcome) {
        let (width, zone) = (self.options.width, self.options.zone);
        match Observation::of_post(&post.into(), width, zone, outcome) {
            Some(o) => self.add(o),
            None => self.missing += 1,
        }
    }

    /// Adds one observation. A non-finite value or a slot outside the grid
    /// is counted as missing.
    pub fn add(&mut self, o: Observation) {
        if !o.value.is_finite() || o.slot >= self.options.width.slots() {
            self.missing += 1;
            return;
        }
        let w = self.weight(o.at);
        self.negative += u64::from(o.value < 0.0);
        let kind = PostKind::ALL.iter().position(|&k| k == o.kind).unwrap_or(0);
        self.cells
            .entry(o.slot * KINDS + kind)
            .or_default()
            .add(w, o.value);
        let week = o.at.timestamp().div_euclid(7 * 86_400);
        self.weeks.entry(week).or_default().add(1.0, o.value);
    }

    fn weight(&self, at: DateTime<Utc>) -> f64 {
        match (self.options.half_life, self.options.as_of) {
            (Some(h), Some(as_of)) => {
                let age = (as_of - at).num_seconds() as f64 / h.num_seconds() as f64;
                // A post from the far future or past must not overflow.
                0.5f64.powf(age.clamp(-60.0, 1000.0))
            }
            _ => 1.0,
        }
    }

    /// Adds another shard's statistics, kept with the same settings.
    pub fn merge(&mut self, other: &SlotStats) -> Result<()> {
        if self.options != other.options {
            return Err(Error::Mismatch {
                setting: "options (width, zone, half-life or as_of)",
            });
        }
        self.missing += other.missing;
        self.negative += other.negative;
        for (k, s) in &other.cells {
            self.cells.entry(*k).or_default().merge(s);
        }
        for (k, s) in &other.weeks {
            self.weeks.entry(*k).or_default().merge(s);
        }
        Ok(())
    }

    /// Posts counted.
    pub fn posts(&self) -> u64 {
        self.cells.values().map(|s| s.n).sum()
    }

    /// Posts counted in slot `index`.
    pub fn posts_in(&self, index: usize) -> u64 {
        (0..KINDS)
            .filter_map(|k| self.cells.get(&(index * KINDS + k)))
            .map(|s| s.n)
            .sum()
    }

    /// The per-slot sums (kind effects divided out when `kind_effects` is
    /// given), the raw material of the fit and of naive slot means.
    fn slot_sums(&self, kind_effects: Option<&[f64; KINDS]>) -> Vec<Sums> {
        let mut slots = vec![Sums::default(); self.options.width.slots()];
        for (&key, s) in &self.cells {
            let k = kind_effects.map_or(1.0, |e| e[key % KINDS]);
            let slot = &mut slots[key / KINDS];
            slot.n += s.n;
            slot.w += s.w;
            slot.w2 += s.w2;
            slot.wy += s.wy / k;
            slot.wyy += s.wyy / (k * k);
        }
        slots
    }

    /// The plain weighted mean of each slot, without shrinkage (what most
    /// tools rank by); `None` for empty slots.
    pub fn naive_means(&self) -> Vec<Option<f64>> {
        self.slot_sums(None).iter().map(Sums::mean).collect()
    }

    /// Each kind's effect: its mean over the overall mean, shrunk towards 1
    /// as if five posts of the overall mean were added.
    fn kind_effects(&self) -> [f64; KINDS] {
        let mut by_kind = [Sums::default(); KINDS];
        let mut all = Sums::default();
        for (&key, s) in &self.cells {
            by_kind[key % KINDS].merge(s);
            all.merge(s);
        }
        let mut effects = [1.0; KINDS];
        if let Some(mu) = all.mean().filter(|m| *m > 0.0) {
            for (e, s) in effects.iter_mut().zip(&by_kind) {
                if let Some(m) = s.mean() {
                    let n = s.effective();
                    *e = ((m * n + mu * 5.0) / (n + 5.0) / mu).max(1e-6);
                }
            }
        }
        effects
    }

    /// Fits the model: see the crate documentation for the method.
    pub fn fit(&self, options: &FitOptions) -> Result<BestTimes> {
        options.check(self.options.width)?;
        let kind_effects = options.control_kind.then(|| self.kind_effects());
        let slots = self.slot_sums(kind_effects.as_ref());
        let mut all = Sums::default();
        slots.iter().for_each(|s| all.merge(s));
        let Some(mu) = all.mean() else {
            return Err(Error::Setting {
                field: "posts with a defined outcome",
                value: "0".into(),
                expected: "give posts that report what the outcome needs (for engagement by reach: likes, comments, shares and reach)",
            });
        };

        // Within-slot variance, pooled; the total variance when every
        // occupied slot has a single post.
        let occupied = slots.iter().filter(|s| s.n > 0).count() as f64;
        let n = all.n as f64;
        let total_var = (all.wyy / all.w - mu * mu).max(0.0);
        let within: f64 = slots
            .iter()
            .filter(|s| s.w > 0.0)
            .map(|s| (s.wyy - s.wy * s.wy / s.w).max(0.0))
            .sum();
        let sigma2 = if n > occupied {
            (within / all.w * n / (n - occupied)).max(1e-300)
        } else {
            total_var.max(1e-300)
        };

        // Shape of the prior: weekday and hour marginals shrunk towards the
        // level, or the audience-activity prior when given.
        let width = self.options.width;
        let mut prior_mean = vec![mu; width.slots()];
        let mut prior_var = vec![sigma2 / all.effective(); width.slots()];
        match &options.activity {
            Some(activity) => {
                let level: f64 = slots
                    .iter()
                    .zip(activity)
                    .map(|(s, a)| s.w * a)
                    .sum::<f64>()
                    / all.w;
                for (m, a) in prior_mean.iter_mut().zip(activity) {
                    *m = mu * a / level.max(1e-300);
                }
            }
            None => {
                let mut hours = vec![Sums::default(); 24];
                let mut days = vec![Sums::default(); 7];
                for (i, s) in slots.iter().enumerate() {
                    let slot = width.slot(i);
                    hours[usize::from(slot.hour())].merge(s);
                    days[slot.weekday.num_days_from_monday() as usize].merge(s);
                }
                let hour = shrink(&hours, sigma2, &[mu; 24]);
                let day = shrink(&days, sigma2, &[mu; 7]);
                for (i, (m, v)) in prior_mean.iter_mut().zip(&mut prior_var).enumerate() {
                    let slot = width.slot(i);
                    let (h, d) = (
                        usize::from(slot.hour()),
                        slot.weekday.num_days_from_monday() as usize,
                    );
                    *m = hour.estimate[h] + day.estimate[d] - mu;
                    *v += hour.variance[h] + day.variance[d];
                }
            }
        }

        // Slots shrunk towards their prior mean by how much data they hold.
        let Shrunk {
            estimate: estimates,
            variance: variances,
            tau2,
        } = shrink(&slots, sigma2, &prior_mean);
        let z = Normal::standard().inverse_cdf(1.0 - (1.0 - options.level) / 2.0);
        let floor = (self.negative == 0).then_some(0.0);
        let mut ranked: Vec<SlotEstimate> = (0..width.slots())
            .map(|i| {
                let s = &slots[i];
                let b = if s.n > 0 {
                    tau2 / (tau2 + sigma2 / s.effective())
                } else {
                    0.0
                };
                let var = if s.n > 0 {
                    variances[i] + (1.0 - b) * (1.0 - b) * prior_var[i]
                } else {
                    tau2 + prior_var[i]
                };
                let sd = var.sqrt();
                let estimate = estimates[i];
                let (low, high) = (
                    floor.map_or(estimate - z * sd, |f| (estimate - z * sd).max(f)),
                    estimate + z * sd,
                );
                SlotEstimate {
                    slot: width.slot(i),
                    estimate,
                    low,
                    high,
                    sd,
                    posts: s.n,
                    naive_mean: s.mean(),
                    // A slot needs posts of its own for a verdict: its
                    // neighbours' evidence is only its prior.
                    verdict: if s.n < options.min_posts {
                        Verdict::Unclear
                    } else if low > mu {
                        Verdict::Better
                    } else if high < mu {
                        Verdict::Worse
                    } else {
                        Verdict::Unclear
                    },
                }
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.estimate
                .total_cmp(&a.estimate)
                .then(a.slot.index().cmp(&b.slot.index()))
        });

        Ok(BestTimes {
            width,
            zone: self.options.zone,
            level: options.level,
            kind_effects: kind_effects.map(|e| {
                PostKind::ALL
                    .into_iter()
                    .zip(e)
                    .filter(|(k, _)| {
                        self.cells
                            .keys()
                            .any(|key| PostKind::ALL[key % KINDS] == *k)
                    })
                    .collect()
            }),
            posts: all.n,
            missing: self.missing,
            level_estimate: mu,
            post_sd: sigma2.sqrt(),
            slot_sd: tau2.sqrt(),
            drift_sd: self.drift(total_var).sqrt(),
            floor,
            ranked,
        })
    }

    /// The variance of the account's weekly level beyond what sampling
    /// explains (0 with fewer than three weeks).
    fn drift(&self, total_var: f64) -> f64 {
        let means: Vec<(f64, f64)> = self
            .weeks
            .values()
            .filter_map(|s| Some((s.mean()?, s.n as f64)))
            .collect();
        if means.len() < 3 {
            return 0.0;
        }
        let k = means.len() as f64;
        let grand = means.iter().map(|(m, _)| m).sum::<f64>() / k;
        let spread = means.iter().map(|(m, _)| (m - grand).powi(2)).sum::<f64>() / (k - 1.0);
        let sampling = means.iter().map(|(_, n)| total_var / n).sum::<f64>() / k;
        (spread - sampling).max(0.0)
    }
}

/// Group means shrunk towards their priors (empirical Bayes).
struct Shrunk {
    /// Each group's estimate.
    estimate: Vec<f64>,
    /// Its posterior variance (τ² for an empty group).
    variance: Vec<f64>,
    /// The spread of true group means around their priors.
    tau2: f64,
}

/// Empirical-Bayes shrinkage of group means towards `priors`: the spread of
/// true group means (τ²) is estimated by the method of moments, and each
/// group moves towards its prior by σ²/n / (τ² + σ²/n).
fn shrink(groups: &[Sums], sigma2: f64, priors: &[f64]) -> Shrunk {
    let tau2 = slot_spread(groups, sigma2, priors);
    let (estimate, variance) = groups
        .iter()
        .zip(priors)
        .map(|(s, &p)| match s.mean() {
            Some(m) => {
                let v = sigma2 / s.effective();
                let b = tau2 / (tau2 + v);
                (p + b * (m - p), b * v)
            }
            None => (p, tau2),
        })
        .unzip();
    Shrunk {
        estimate,
        variance,
        tau2,
    }
}

/// The method-of-moments spread τ² of true group means around their priors.
fn slot_spread(groups: &[Sums], sigma2: f64, priors: &[f64]) -> f64 {
    let (mut sq, mut noise, mut k) = (0.0, 0.0, 0.0);
    for (s, p) in groups.iter().zip(priors) {
        if let Some(m) = s.mean() {
            sq += (m - p).powi(2);
            noise += sigma2 / s.effective();
            k += 1.0;
        }
    }
    if k < 2.0 {
        0.0
    } else {
        ((sq - noise) / k).max(0.0)
    }
}

/// How to fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// The level of the stated intervals, in (0, 1). Default 0.9.
    pub level: f64,
    /// Divide out each post kind's effect before comparing slots, so a slot
    /// is not "best" only because videos were posted there.
    pub control_kind: bool,
    /// An audience-activity prior for cold start: one non-negative value
    /// per slot (how many followers are online), used as the shape of the
    /// prior instead of the weekday and hour marginals.
    pub activity: Option<Vec<f64>>,
    /// The posts a slot needs of its own before it is called better or
    /// worse. Default 3.
    pub min_posts: u64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            level: 0.9,
            control_kind: false,
            activity: None,
            min_posts: 3,
        }
    }
}

impl FitOptions {
    fn check(&self, width: SlotWidth) -> Result<()> {
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(Error::Setting {
                field: "interval level",
                value: self.level.to_string(),
                expected: "give a probability strictly between 0 and 1, such as 0.9",
            });
        }
        if let Some(a) = &self.activity
            && (a.len() != width.slots()
                || a.iter().any(|x| !x.is_finite() || *x < 0.0)
                || a.iter().all(|x| *x == 0.0))
        {
            return Err(Error::Setting {
                field: "activity prior",
                value: format!("{} values", a.len()),
                expected: "give one non-negative value per slot of the grid, not all zero",
            });
        }
        Ok(())
    }
}

/// Whether a slot really differs from the account's typical level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Its interval lies above the account's level: a real difference.
    Better,
    /// Its interval lies below the account's level.
    Worse,
    /// Its interval holds the account's level, or fewer than
    /// [`FitOptions::min_posts`] posts fell in it: not enough evidence.
    Unclear,
}

/// One slot's estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SlotEstimate {
    /// The slot, in the account's local time.
    pub slot: Slot,
    /// The shrunk estimate of the slot's mean outcome.
    pub estimate: f64,
    /// The lower bound of its interval at the fit's level.
    pub low: f64,
    /// The upper bound.
    pub high: f64,
    /// Its posterior standard deviation.
    pub sd: f64,
    /// Posts that fell in it.
    pub posts: u64,
    /// Their plain weighted mean (kind effects divided out if asked).
    pub naive_mean: Option<f64>,
    /// Better, worse or not distinguishable from the account's level.
    pub verdict: Verdict,
}

/// The fitted model: every slot ranked, with intervals and verdicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestTimes {
    /// The slot width.
    pub width: SlotWidth,
    /// The account's zone.
    pub zone: Tz,
    /// The level of the intervals.
    pub level: f64,
    /// The kind effects divided out, when asked.
    pub kind_effects: Option<Vec<(PostKind, f64)>>,
    /// Posts fitted.
    pub posts: u64,
    /// Posts whose outcome was undefined.
    pub missing: u64,
    /// The account's typical level (weighted mean outcome).
    pub level_estimate: f64,
    /// The spread of single posts within a slot.
    pub post_sd: f64,
    /// The spread of true slot means around their prior.
    pub slot_sd: f64,
    /// The spread of the account's weekly level over time.
    pub drift_sd: f64,
    /// The least value the outcome can take, which no interval goes below:
    /// 0 when no observation was negative (counts and rates), else `None`.
    #[serde(default)]
    pub floor: Option<f64>,
    /// Every slot, best estimate first. A slot without posts of its own is
    /// estimated from its prior alone (its weekday and hour, or the activity
    /// prior): see [`BestTimes::observed`] for the slots with posts.
    pub ranked: Vec<SlotEstimate>,
}

impl BestTimes {
    /// Whether any slot is better than the account's level with the stated
    /// confidence. When not, the ranking is mostly the prior's shape and
    /// noise: say so rather than recommend.
    pub fn has_evidence(&self) -> bool {
        self.ranked.iter().any(|s| s.verdict == Verdict::Better)
    }

    /// The slots with posts of their own, best estimate first: the ranking
    /// to show people, since an empty slot's estimate is only its prior's.
    pub fn observed(&self) -> impl Iterator<Item = &SlotEstimate> {
        self.ranked.iter().filter(|s| s.posts > 0)
    }

    /// The slots whose interval lies above the account's level, best first.
    pub fn better(&self) -> impl Iterator<Item = &SlotEstimate> {
        self.ranked.iter().filter(|s| s.verdict == Verdict::Better)
    }

    /// The estimate of every slot by index.
    pub fn by_index(&self) -> Vec<&SlotEstimate> {
        let mut out = vec![&self.ranked[0]; self.ranked.len()];
        for s in &self.ranked {
            out[s.slot.index()] = s;
        }
        out
    }

    /// The interval, at the fit's level, for the mean outcome of `posts`
    /// future posts in slot `index`: the slot's uncertainty, the spread of
    /// single posts and the drift of the account's level over time.
    pub fn predictive(&self, index: usize, posts: u64) -> Option<(f64, f64)> {
        let s = self.ranked.iter().find(|s| s.slot.index() == index)?;
        let z = Normal::standard().inverse_cdf(1.0 - (1.0 - self.level) / 2.0);
        let var = s.sd * s.sd
            + self.post_sd * self.post_sd / posts.max(1) as f64
            + self.drift_sd * self.drift_sd;
        let low = s.estimate - z * var.sqrt();
        Some((
            self.floor.map_or(low, |f| low.max(f)),
            s.estimate + z * var.sqrt(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Weekday};
    use chrono_tz::UTC;
    use proptest::prelude::*;

    fn obs(day: i64, slot: usize, value: f64) -> Observation {
        Observation {
            at: Utc.timestamp_opt(1_700_000_000 + day * 86_400, 0).unwrap(),
            slot,
            kind: PostKind::Photo,
            value,
        }
    }

    #[test]
    fn a_clear_winner_is_found_and_called_better() {
        let mut stats = SlotStats::new(UTC).unwrap();
        let best = SlotWidth::Hour.index(Weekday::Thu, 19 * 60);
        for day in 0..400 {
            for slot in (0..168).step_by(7) {
                let noise = ((day * 31 + slot as i64 * 17) % 11) as f64 / 1000.0;
                stats.add(obs(day, slot, 0.02 + noise));
            }
            stats.add(obs(day, best, 0.05 + (day % 5) as f64 / 1000.0));
        }
        let fit = stats.fit(&FitOptions::default()).unwrap();
        assert_eq!(fit.ranked[0].slot.index(), best);
        assert_eq!(fit.ranked[0].verdict, Verdict::Better);
        assert!(fit.has_evidence());
        // An empty slot falls back to its prior, with a wide interval.
        let empty = fit.ranked.iter().find(|s| s.posts == 0).unwrap();
        assert_eq!(empty.verdict, Verdict::Unclear);
    }

    #[test]
    fn pure_noise_is_not_ranked_as_evidence() {
        let mut stats = SlotStats::new(UTC).unwrap();
        for day in 0..60 {
            for slot in 0..168 {
                if (day + slot as i64) % 9 == 0 {
                    let noise = ((day * 131 + slot as i64 * 71) % 23) as f64 / 1000.0;
                    stats.add(obs(day, slot, 0.02 + noise));
                }
            }
        }
        let fit = stats.fit(&FitOptions::default()).unwrap();
        assert!(!fit.has_evidence(), "{:?}", fit.ranked[0]);
    }

    #[test]
    fn an_activity_prior_shapes_a_cold_start() {
        // Three posts, all alike: the data cannot rank slots, the prior can.
        let mut stats = SlotStats::new(UTC).unwrap();
        for slot in [10, 50, 90] {
            stats.add(obs(0, slot, 0.02));
        }
        let evening = SlotWidth::Hour.index(Weekday::Wed, 20 * 60);
        let mut activity = vec![1.0; 168];
        activity[evening] = 3.0;
        let fit = stats
            .fit(&FitOptions {
                activity: Some(activity),
                ..FitOptions::default()
            })
            .unwrap();
        assert_eq!(fit.ranked[0].slot.index(), evening);
        assert_eq!(
            fit.ranked[0].verdict,
            Verdict::Unclear,
            "a prior is not evidence"
        );
        let bad = FitOptions {
            activity: Some(vec![1.0; 10]),
            ..FitOptions::default()
        };
        assert!(stats.fit(&bad).is_err());
    }

    #[test]
    fn settings_are_checked() {
        let bad = StatsOptions {
            half_life: Some(TimeDelta::days(30)),
            ..StatsOptions::from(UTC)
        };
        assert!(SlotStats::new(bad).is_err());
        let stats = SlotStats::new(UTC).unwrap();
        assert!(stats.fit(&FitOptions::default()).is_err(), "no posts");
        let level = FitOptions {
            level: 1.0,
            ..FitOptions::default()
        };
        assert!(stats.fit(&level).is_err());
    }

    #[test]
    fn intervals_of_counts_stay_at_or_above_zero() {
        let mut stats = SlotStats::new(UTC).unwrap();
        // Skewed counts: mostly small, now and then large.
        for day in 0..40 {
            for slot in [3usize, 40, 77, 120] {
                let y = if (day + slot as i64) % 9 == 0 {
                    400.0
                } else {
                    2.0
                };
                stats.add(obs(day, slot, y));
            }
        }
        let fit = stats.fit(&FitOptions::default()).unwrap();
        assert_eq!(fit.floor, Some(0.0));
        assert!(
            fit.ranked.iter().all(|s| s.low >= 0.0),
            "a count's interval reaches below 0"
        );
        let (low, _) = fit.predictive(3, 1).unwrap();
        assert!(low >= 0.0);
        let observed: Vec<usize> = fit.observed().map(|s| s.slot.index()).collect();
        assert_eq!(observed.len(), 4);
        assert!(
            fit.observed()
                .zip(fit.observed().skip(1))
                .all(|(a, b)| a.estimate >= b.estimate)
        );
        // With negative outcomes nothing is assumed.
        stats.add(obs(1, 3, -5.0));
        assert_eq!(stats.fit(&FitOptions::default()).unwrap().floor, None);
    }

    proptest! {
        #[test]
        fn merging_any_split_matches_the_whole(
            items in proptest::collection::vec((0i64..300, 0usize..168, 0.0f64..0.2), 2..120),
            cut in any::<prop::sample::Index>(),
        ) {
            let options = StatsOptions {
                half_life: Some(TimeDelta::days(45)),
                as_of: Some(Utc.timestamp_opt(1_700_000_000 + 300 * 86_400, 0).unwrap()),
                ..StatsOptions::from(UTC)
            };
            let fold = |v: &[(i64, usize, f64)]| {
                let mut s = SlotStats::new(options).unwrap();
                for &(d, slot, y) in v { s.add(obs(d, slot, y)); }
                s
            };
            let whole = fold(&items);
            let cut = cut.index(items.len() + 1);
            let mut merged = fold(&items[cut..]);
            merged.merge(&fold(&items[..cut])).unwrap();
            prop_assert_eq!(merged.posts(), whole.posts());
            let (a, b) = (merged.fit(&FitOptions::default()).unwrap(), whole.fit(&FitOptions::default()).unwrap());
            for (x, y) in a.by_index().iter().zip(b.by_index()) {
                prop_assert!((x.estimate - y.estimate).abs() <= 1e-9 * y.estimate.abs().max(1e-3));
            }
            let json = serde_json::to_string(&whole).unwrap();
            let back: SlotStats = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back.posts(), whole.posts());
        }
    }
}
