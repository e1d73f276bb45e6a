//! What the queue costs on top of the platform: claiming, publishing and
//! recording 2,000 due targets with `MemoryConnector` behind the worker.
//!
//! The machine is shared and noisy, so the figure that counts is the ratio
//! to the baseline measured in the same run: the same 2,000 publishes made
//! straight on the connector, with no store. The workers claim 128 targets
//! at a time and have 32 publishes under way (the defaults, 32 and 8, suit
//! a real platform's rate limits and give about half the throughput here).
//!
//! - `connector_only`: the baseline.
//! - `sqlite_1_worker`: one worker on a SQLite file, on a single-threaded
//!   runtime (one core).
//! - `postgres_4_workers`: four workers on one PostgreSQL database, on a
//!   two-thread runtime, when `TERTULIA_POSTGRES_URL` names a server (the
//!   user must be allowed to create databases); skipped with a line
//!   otherwise.
//!
//! Run: `cargo bench --bench queue` (with `TERTULIA_POSTGRES_URL` for the
//! PostgreSQL figure).

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tertulia::connect::{Connector, IdempotencyKey, MemoryConnector, PublishRequest};
use tertulia::core::{ManualClock, Platform};
use tertulia::store::{Channel, Content, NewPost, Store, conformance};
use tertulia::worker::{Connectors, Options, Worker};

const TARGETS: usize = 2_000;

fn at() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("an instant")
}

/// A store at `address` with `TARGETS` posts due at `at()`.
async fn queue(address: &str) -> Store {
    let store = Store::open(address).await.expect("a store");
    store
        .add_channel(&Channel {
            name: "a".into(),
            platform: Platform::Bluesky,
            account: "brand.example".into(),
            zone: chrono_tz::UTC,
            constraints: Default::default(),
        })
        .await
        .expect("a channel");
    for i in 0..TARGETS {
        store
            .add_post(&NewPost {
                content: Content::text(format!("post {i}")),
                channels: vec!["a".into()],
                at: Some(at()),
                zone: chrono_tz::UTC,
                approver: None,
                by: "bench".into(),
            })
            .await
            .expect("a post");
    }
    store
}

fn worker(store: &Store, platform: &MemoryConnector, id: &str) -> Worker {
    let mut c = Connectors::new();
    c.insert("a", Arc::new(platform.clone()) as Arc<dyn Connector>);
    let mut o = Options::new(id);
    o.metric_ages.clear();
    o.batch = 128;
    o.concurrency = 32;
    Worker::new(store.clone(), c, Arc::new(ManualClock::new(at())), o).expect("a worker")
}

fn queue_overhead(c: &mut Criterion) {
    let one_core = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let two = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a folder");
    let mut group = c.benchmark_group("queue_2000_targets");
    group.throughput(Throughput::Elements(TARGETS as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));

    group.bench_function("connector_only", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let platform = MemoryConnector::new();
                let requests: Vec<PublishRequest> = (0..TARGETS)
                    .map(|i| {
                        let key = IdempotencyKey::new(format!("k{i}")).expect("a key");
                        PublishRequest::text(key, format!("post {i}"))
                    })
                    .collect();
                let start = Instant::now();
                one_core.block_on(async {
                    for r in &requests {
                        platform.publish(r).await.expect("published");
                    }
                });
                total += start.elapsed();
            }
            total
        });
    });

    let mut n = 0;
    group.bench_function("sqlite_1_worker", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let path = dir.path().join(format!("q{n}.db"));
                let store = one_core.block_on(queue(path.to_str().expect("a path")));
                let platform = MemoryConnector::new();
                let w = worker(&store, &platform, "w");
                let start = Instant::now();
                let pass = one_core.block_on(w.run_once()).expect("a pass");
                total += start.elapsed();
                assert_eq!(pass.published, TARGETS);
                one_core.block_on(store.close());
            }
            total
        });
    });

    match std::env::var("TERTULIA_POSTGRES_URL") {
        Ok(admin) if !admin.is_empty() => {
            group.bench_function("postgres_4_workers", |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let store = two.block_on(async {
                            let url = conformance::fresh_postgres(&admin)
                                .await
                                .expect("a database");
                            queue(&url).await
                        });
                        let platform = MemoryConnector::new();
                        let workers: Vec<Worker> = (0..4)
                            .map(|i| worker(&store, &platform, &format!("w{i}")))
                            .collect();
                        let start = Instant::now();
                        let published: usize = two.block_on(async {
                            let handles: Vec<_> = workers
                                .into_iter()
                                .map(|w| {
                                    tokio::spawn(async move {
                                        w.run_once().await.expect("a pass").published
                                    })
                                })
                                .collect();
                            let mut sum = 0;
                            for h in handles {
                                sum += h.await.expect("a worker");
                            }
                            sum
                        });
                        total += start.elapsed();
                        assert_eq!(published, TARGETS);
                        two.block_on(store.close());
                    }
                    total
                });
            });
        }
        _ => eprintln!(
            "postgres_4_workers skipped: set TERTULIA_POSTGRES_URL to a server where the user may create databases"
        ),
    }
    group.finish();
}

criterion_group!(benches, queue_overhead);
criterion_main!(benches);
