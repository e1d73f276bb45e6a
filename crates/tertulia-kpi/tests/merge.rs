//! Accumulators merge exactly: any split, any order, through a checkpoint.

use proptest::prelude::*;
use tertulia_core::chrono_tz::America::Mexico_City;
use tertulia_core::{Metric, Metrics, PostKind};
use tertulia_kpi::{Grouping, Kpi, KpiOptions, Kpis, PostTotals};
use tertulia_sim::{SimConfig, Simulation};

fn metrics() -> impl Strategy<Value = (Metrics, Option<u64>, PostKind)> {
    let count = || proptest::option::weighted(0.85, 0u64..50_000);
    (
        proptest::collection::vec(count(), Metric::ALL.len()),
        count(),
        proptest::sample::select(PostKind::ALL.to_vec()),
    )
        .prop_map(|(values, followers, kind)| {
            let mut m = Metrics::default();
            for (metric, v) in Metric::ALL.into_iter().zip(values) {
                m.set(metric, v);
            }
            (m, followers, kind)
        })
}

fn fold(items: &[(Metrics, Option<u64>, PostKind)]) -> PostTotals {
    let mut t = PostTotals::default();
    for (m, f, k) in items {
        t.add(m, *f, *k);
    }
    t
}

proptest! {
    #[test]
    fn post_totals_merge_any_split_in_any_order(
        items in proptest::collection::vec(metrics(), 0..120),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..5),
    ) {
        let whole = fold(&items);
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(items.len() + 1)).collect();
        cuts.sort_unstable();
        let mut shards = Vec::new();
        let mut from = 0;
        for cut in cuts.into_iter().chain([items.len()]) {
            shards.push(fold(&items[from..cut]));
            from = cut;
        }
        let mut forward = PostTotals::default();
        for s in &shards {
            forward.merge(s).unwrap();
        }
        let mut backward = PostTotals::default();
        for s in shards.iter().rev() {
            // Through a checkpoint, as a shard that travelled would.
            let json = serde_json::to_string(s).unwrap();
            backward.merge(&serde_json::from_str(&json).unwrap()).unwrap();
        }
        prop_assert_eq!(&forward, &whole);
        prop_assert_eq!(&backward, &whole);
        for kpi in Kpi::ALL {
            let t = whole.totals(kpi);
            prop_assert_eq!(t.used() + t.missing, t.posts);
            prop_assert!(t.rated + t.undefined == t.used());
        }
    }
}

proptest! {
    #[test]
    fn one_posts_totals_give_its_own_rates((m, followers, kind) in metrics()) {
        let totals = fold(&[(m, followers, kind)]);
        let engagement = totals.engagement();
        for kpi in Kpi::ALL {
            let own = kpi.of(&engagement, &m, followers, kind);
            let folded = totals.totals(kpi).mean_of_rates();
            match (own, folded) {
                (Some(a), Some(b)) => prop_assert!((a - b).abs() <= 1e-9 * a.max(1.0), "{kpi}: {a} vs {b}"),
                (a, b) => prop_assert_eq!(a, b, "{}", kpi),
            }
        }
    }
}

#[test]
fn a_community_split_by_week_merges_into_the_whole() {
    let sim = Simulation::new(SimConfig::default().with_weeks(4)).unwrap();
    let options = KpiOptions {
        grouping: Some(Grouping::Week),
        ..KpiOptions::from(Mexico_City)
    };
    let mut whole = Kpis::new(options.clone());
    for p in sim.posts() {
        whole.add_post(&p);
    }
    for m in sim.mentions() {
        whole.add_mention(&m);
    }
    let mut merged = Kpis::new(options.clone());
    for week in (0..4).rev() {
        let mut shard = Kpis::new(options.clone());
        for (p, _) in sim.labelled_posts_in_weeks(week..week + 1) {
            shard.add_post(&p);
        }
        let json = serde_json::to_string(&shard).unwrap();
        merged.merge(&serde_json::from_str(&json).unwrap()).unwrap();
    }
    for m in sim.mentions() {
        merged.add_mention(&m);
    }
    assert_eq!(merged, whole);
    let report = whole.report();
    assert_eq!(report.groups.len(), 4);
    assert_eq!(
        report.changes.len(),
        3 * 4,
        "one change per headline KPI per week"
    );
    let other = Kpis::new(KpiOptions::from(Mexico_City));
    assert!(
        merged.merge(&other).is_err(),
        "different settings do not merge"
    );
}
