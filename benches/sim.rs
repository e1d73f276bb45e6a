//! How fast the simulator generates a community of a million posts.
//!
//! The machine is shared and noisy, so the figure that counts is the ratio to
//! the baseline measured in the same run: cloning one finished post a million
//! times, which is the allocation every generated post pays for its strings.
//! `generate_posts` / `baseline_clone_a_post` says what the randomness, the
//! time-zone arithmetic and the texts cost on top of that.
//!
//! Run: `cargo bench --bench sim`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tertulia::sim::{SimConfig, Simulation};

fn simulate_a_million_posts(c: &mut Criterion) {
    // Three accounts, 100 weeks, 3,334 posts a week each: 1,000,200 posts.
    let sim = Simulation::new(
        SimConfig::default()
            .with_weeks(100)
            .with_posts_per_week(3_334),
    )
    .expect("a valid configuration");
    let posts = sim.truth().posts;
    let template = sim.posts().next().expect("at least one post");

    let mut group = c.benchmark_group("simulate_1m_posts");
    group.throughput(Throughput::Elements(posts));
    group.sample_size(10);
    group.bench_function("baseline_clone_a_post", |b| {
        b.iter(|| {
            (0..posts)
                .map(|_| black_box(&template).clone().text.len())
                .sum::<usize>()
        })
    });
    group.bench_function("generate_posts", |b| {
        b.iter(|| sim.posts().map(|p| black_box(p).text.len()).sum::<usize>())
    });
    group.finish();
}

criterion_group!(benches, simulate_a_million_posts);
criterion_main!(benches);
