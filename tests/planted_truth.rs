//! The planted truth is what the simulator generates: computing plain
//! engagement from the generated posts, as a user would, finds the planted
//! best slot of every account and the planted order of post kinds.

use std::collections::BTreeMap;

use chrono::{Datelike, Timelike};
use tertulia::core::{Post, PostKind};
use tertulia::sim::{SimConfig, Simulation};

/// Interactions and their denominator (reach where the platform reports it,
/// followers at post time where it does not), summed per key.
#[derive(Default, Clone, Copy)]
struct Sums {
    interactions: f64,
    exposure: f64,
    posts: u32,
    // For the standard error of the ratio: sums of y^2, x^2 and xy.
    yy: f64,
    xx: f64,
    xy: f64,
}

impl Sums {
    fn add(&mut self, post: &Post) {
        let m = post.metrics;
        let (Some(l), Some(c), Some(s)) = (m.likes, m.comments, m.shares) else {
            return; // a planted missing count: leave the post out, never count it as 0
        };
        let exposure = m
            .reach
            .or(post.author.followers)
            .expect("followers are known");
        let (y, x) = ((l + c + s) as f64, exposure as f64);
        self.interactions += y;
        self.exposure += x;
        self.posts += 1;
        self.yy += y * y;
        self.xx += x * x;
        self.xy += x * y;
    }

    fn rate(&self) -> f64 {
        self.interactions / self.exposure
    }

    /// The standard error of [`Sums::rate`], from the residuals y - rate * x.
    fn standard_error(&self) -> f64 {
        let r = self.rate();
        let residuals = self.yy - 2.0 * r * self.xy + r * r * self.xx;
        residuals.max(0.0).sqrt() / self.exposure
    }
}

fn community() -> Simulation {
    // Two years of a busy community: about 160 posts per weekday-hour slot
    // in the daytime, a dozen at night. The planted sweet spot engages 35%
    // more than the next slot; with per-post luck of 50% (coefficient of
    // variation) a slot's rate is known to about 5%, so the sweet spot stands
    // out from every other slot, even the luckiest of them.
    Simulation::new(
        SimConfig::default()
            .with_seed(7)
            .with_weeks(104)
            .with_posts_per_week(150),
    )
    .expect("valid configuration")
}

#[test]
fn each_account_engages_most_in_its_planted_best_slot() {
    let sim = community();
    let accounts = sim.accounts();
    let mut slots = vec![BTreeMap::<(u32, u32), Sums>::new(); accounts.len()];
    for post in sim.posts() {
        let a = accounts
            .iter()
            .position(|a| a.profile.handle == post.author.handle)
            .unwrap();
        let local = post.created_at.with_timezone(&accounts[a].time_zone);
        let key = (local.weekday().num_days_from_monday(), local.hour());
        slots[a].entry(key).or_default().add(&post);
    }
    for (a, truth) in sim.truth().accounts.iter().enumerate() {
        let planted = truth.best_slots[0];
        let planted_key = (
            planted.weekday.num_days_from_monday(),
            u32::from(planted.hour),
        );
        let observed = slots[a]
            .iter()
            .filter(|(_, s)| s.posts >= 5)
            .max_by(|x, y| x.1.rate().total_cmp(&y.1.rate()))
            .map(|(k, _)| *k)
            .unwrap();
        assert_eq!(
            observed, planted_key,
            "{}: observed best {observed:?}, planted {planted:?}",
            truth.handle
        );

        // Across all well-sampled slots, observed rates follow the planted profile.
        let pairs: Vec<(f64, f64)> = slots[a]
            .iter()
            .filter(|(_, s)| s.posts >= 20)
            .map(|(&(d, h), s)| (truth.profile.values[d as usize][h as usize], s.rate()))
            .collect();
        assert!(pairs.len() > 60, "{} well-sampled slots", pairs.len());
        let r = pearson(&pairs);
        assert!(r > 0.9, "{}: correlation {r}", truth.handle);
    }
}

#[test]
fn post_kinds_rank_as_planted() {
    let sim = community();
    let mut kinds = BTreeMap::<PostKind, Sums>::new();
    let mut planted_rate = BTreeMap::<PostKind, (f64, f64)>::new();
    for (post, truth) in sim.labelled_posts() {
        // Compare kinds within one account, so the account's own level cancels out.
        if truth.account == 1 {
            kinds.entry(post.kind).or_default().add(&post);
            let e = planted_rate.entry(post.kind).or_default();
            e.0 += truth.expected_rate * truth.reach as f64;
            e.1 += truth.reach as f64;
        }
    }
    // Each kind's observed rate is its planted rate, within four standard errors.
    for (kind, sums) in &kinds {
        let (weighted, reach) = planted_rate[kind];
        let expected = weighted / reach;
        let (observed, se) = (sums.rate(), sums.standard_error());
        assert!(se < 0.05 * expected, "{kind}: too few posts to tell ({se})");
        assert!(
            (observed - expected).abs() < 4.0 * se,
            "{kind}: observed {observed} ± {se} vs planted {expected}"
        );
    }
    // And kinds whose planted effects differ by 10% or more come in the planted order.
    let effects = &sim.truth().kind_effects;
    let mut compared = 0;
    for (a, sa) in &kinds {
        for (b, sb) in &kinds {
            if effects[a] > 1.1 * effects[b] {
                assert!(sa.rate() > sb.rate(), "{a} should engage more than {b}");
                compared += 1;
            }
        }
    }
    assert!(
        compared >= 3,
        "only {compared} pairs differ enough to compare"
    );
}

#[test]
fn followers_grow_as_planted() {
    let sim = community();
    let truth = &sim.truth().accounts[0];
    let last = sim
        .posts()
        .filter(|p| p.author.handle == truth.handle)
        .last()
        .unwrap();
    let followers = last.author.followers.unwrap() as f64;
    let end = truth.followers_end as f64;
    assert!(
        followers <= end && followers > 0.99 * end,
        "{followers} vs {end}"
    );
}

fn pearson(pairs: &[(f64, f64)]) -> f64 {
    let n = pairs.len() as f64;
    let (mx, my) = pairs
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    sxy / (sxx * syy).sqrt()
}
