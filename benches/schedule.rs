//! How fast the best-time model fits a million posts, and how fast the
//! planner places 10,000 drafts over 90 days.
//!
//! The machine is shared and noisy, so the figures that count are the ratios
//! to the baselines measured in the same run:
//! - `fit_1m_posts`: the baseline sums the million outcomes (one pass over the
//!   same data); `fit` folds them into slot statistics (15-minute slots, post
//!   kinds, weekly drift, 30-day half-life) and fits the model.
//! - `plan_10k_drafts_90_days`: the baseline builds the three channels'
//!   candidate calendars (15-minute slots over 90 days, blackouts, quiet
//!   hours) with no draft; `plan` then places 10,000 drafts with priorities,
//!   windows of one to four weeks, a quota, a minimum gap and 500 evergreen
//!   reposts.
//!
//! Run: `cargo bench --bench schedule`.

use std::hint::black_box;

use chrono::{NaiveTime, TimeDelta, Weekday};
use criterion::{Criterion, criterion_group, criterion_main};
use tertulia::core::chrono_tz::America::{Mexico_City, New_York};
use tertulia::core::chrono_tz::Europe::Madrid;
use tertulia::core::{Platform, Post};
use tertulia::schedule::{
    Channel, Constraints, Draft, Evergreen, FitOptions, Observation, Outcome, Planner, QuietHours,
    SlotStats, SlotWidth, StatsOptions, WeeklyWindow,
};
use tertulia::sim::{SimConfig, Simulation};

fn observations() -> Vec<Observation> {
    // Three accounts, 100 weeks, 3,334 posts a week each: 1,000,200 posts,
    // read on engagement by followers (Bluesky reports no reach).
    let sim = Simulation::new(
        SimConfig::default()
            .with_weeks(100)
            .with_posts_per_week(3_334),
    )
    .expect("a valid configuration");
    let outcome = Outcome::from(tertulia::kpi::Kpi::EngagementByFollowers);
    sim.posts()
        .filter_map(|p: Post| {
            Observation::of_post(&(&p).into(), SlotWidth::Quarter, Madrid, &outcome)
        })
        .collect()
}

fn fit(c: &mut Criterion) {
    let obs = observations();
    let options = StatsOptions {
        width: SlotWidth::Quarter,
        half_life: Some(TimeDelta::days(30)),
        as_of: obs.iter().map(|o| o.at).max(),
        ..StatsOptions::from(Madrid)
    };
    let fit_options = FitOptions {
        control_kind: true,
        ..FitOptions::default()
    };
    let mut group = c.benchmark_group("fit_1m_posts");
    group.sample_size(10);
    group.bench_function("baseline_sum_outcomes", |b| {
        b.iter(|| black_box(&obs).iter().map(|o| o.value).sum::<f64>())
    });
    group.bench_function("fit", |b| {
        b.iter(|| {
            let mut stats = SlotStats::new(options).expect("valid options");
            for o in black_box(&obs) {
                stats.add(*o);
            }
            stats.fit(&fit_options).expect("posts to fit")
        })
    });
    group.finish();
}

fn plan(c: &mut Criterion) {
    let obs = observations();
    let start = obs.iter().map(|o| o.at).max().expect("posts");
    let constraints = Constraints {
        max_per_day: Some(60),
        min_gap_minutes: Some(15),
        weekly_blackouts: vec![WeeklyWindow {
            weekday: Weekday::Mon,
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
            label: "stand-up".into(),
        }],
        blackouts: Vec::new(),
        quiet_hours: Some(QuietHours {
            start: NaiveTime::from_hms_opt(1, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
        }),
    };
    let zones = [
        ("es", Madrid, Platform::Facebook),
        ("mx", Mexico_City, Platform::Instagram),
        ("us", New_York, Platform::Bluesky),
    ];
    let channels: Vec<Channel> = zones
        .iter()
        .map(|(id, zone, platform)| Channel {
            id: (*id).into(),
            platform: platform.clone(),
            account: (*id).into(),
            zone: *zone,
            constraints: constraints.clone(),
        })
        .collect();
    let mut planner = Planner::new(channels, start, 90).expect("a valid horizon");
    for &(id, zone, _) in &zones {
        let mut stats = SlotStats::new(StatsOptions {
            width: SlotWidth::Quarter,
            ..StatsOptions::from(zone)
        })
        .unwrap();
        obs.iter().for_each(|o| stats.add(*o));
        planner = planner
            .with_model(id, stats.fit(&FitOptions::default()).unwrap())
            .unwrap();
    }
    // A fixed pseudo-random sequence: the same drafts every run.
    let mut x: u64 = 7;
    let mut next = |n: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % n
    };
    let drafts: Vec<Draft> = (0..10_000)
        .map(|i| {
            let earliest = start + TimeDelta::hours(next(60 * 24) as i64);
            Draft {
                id: format!("d{i:05}"),
                platform: zones[next(3) as usize].2.clone(),
                channel: None,
                priority: next(5) as i32,
                earliest,
                latest: earliest + TimeDelta::days(7 + next(22) as i64),
                evergreen: (i % 20 == 0).then_some(Evergreen {
                    cooldown_days: 14,
                    max_reposts: 1,
                }),
                text: None,
            }
        })
        .collect();
    let placed = planner.plan(&drafts, &[]).expect("a feasible plan");
    assert_eq!(
        placed.assignments.len(),
        10_000 + 500 - placed.unplaced.len()
    );

    let mut group = c.benchmark_group("plan_10k_drafts_90_days");
    group.sample_size(10);
    group.bench_function("baseline_calendars_only", |b| {
        b.iter(|| planner.plan(&[], &[]).unwrap())
    });
    group.bench_function("plan", |b| {
        b.iter(|| planner.plan(black_box(&drafts), &[]).unwrap())
    });
    group.finish();
}

criterion_group!(benches, fit, plan);
criterion_main!(benches);
