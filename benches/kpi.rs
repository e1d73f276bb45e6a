//! How fast the KPI accumulators fold a simulated community of a million posts.
//!
//! The machine is shared and noisy, so the figure that counts is the ratio to
//! the baseline measured in the same run: one pass over the same posts that
//! only sums their likes, the least any KPI pass must do.
//!
//! - `post_totals`: every per-post KPI (15 rates, each both ways) over every
//!   post: a post-update is one post folded into one rate accumulator, so
//!   post-updates per second are 15 × posts per second.
//! - `kpis_by_kind`: the typical report: the same 15 KPIs overall and by post
//!   kind, the daily engagement rate (local days in Madrid) and follower growth.
//! - `merge_1000_shards`: folding 1,000 shard checkpoints of the per-post KPIs
//!   into one, as a batch engine would after a map step.
//!
//! Run: `cargo bench --bench kpi`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tertulia::core::Post;
use tertulia::core::chrono_tz::Europe::Madrid;
use tertulia::kpi::{Grouping, KpiOptions, Kpis, PostTotals};
use tertulia::sim::{SimConfig, Simulation};

fn community() -> Vec<Post> {
    // Three accounts, 100 weeks, 3,334 posts a week each: 1,000,200 posts.
    let sim = Simulation::new(
        SimConfig::default()
            .with_weeks(100)
            .with_posts_per_week(3_334),
    )
    .expect("a valid configuration");
    sim.posts().collect()
}

fn fold_a_million_posts(c: &mut Criterion) {
    let posts = community();
    let mut group = c.benchmark_group("kpi_1m_posts");
    group.throughput(Throughput::Elements(posts.len() as u64));
    group.sample_size(10);
    group.bench_function("baseline_sum_likes", |b| {
        b.iter(|| {
            black_box(&posts)
                .iter()
                .filter_map(|p| p.metrics.likes)
                .sum::<u64>()
        })
    });
    group.bench_function("post_totals", |b| {
        b.iter(|| {
            let mut totals = PostTotals::default();
            for p in black_box(&posts) {
                totals.add_post(p);
            }
            totals
        })
    });
    group.bench_function("kpis_by_kind", |b| {
        b.iter(|| {
            let mut kpis = Kpis::new(KpiOptions {
                grouping: Some(Grouping::Kind),
                ..KpiOptions::from(Madrid)
            });
            for p in black_box(&posts) {
                kpis.add_post(p);
            }
            kpis
        })
    });
    let shards: Vec<PostTotals> = posts
        .chunks(posts.len().div_ceil(1000))
        .map(|chunk| {
            let mut t = PostTotals::default();
            chunk.iter().for_each(|p| t.add_post(p));
            t
        })
        .collect();
    group.bench_function("merge_1000_shards", |b| {
        b.iter(|| {
            let mut all = PostTotals::default();
            for s in black_box(&shards) {
                all.merge(s).expect("same definition");
            }
            all
        })
    });
    group.finish();
}

criterion_group!(benches, fold_a_million_posts);
criterion_main!(benches);
