//! How fast the crisis detector reads a stream of buckets.
//!
//! Data: NAB's five realTweets files (MIT), 79,000 five-minute buckets, from
//! `$TERTULIA_DATA/nab-realtweets` (default `../shared/data`); without them,
//! prints why and measures nothing.
//!
//! - `detector`: `CrisisDetector::push` on every bucket of the five files
//!   (a fresh detector per file).
//! - `baseline_windowed_gaussian`: NAB's windowedGaussian idea in its
//!   simplest streaming form (mean and variance of the last 288 buckets, kept
//!   as running sums): the cheapest detector worth the name, for a ratio.
//!
//! - `crisis_watch/*`: the default simulated community's mentions (26
//!   weeks) through `Watch` (signals, both detectors, keywords) with 15-minute
//!   buckets, with sentiment already scored and with sentiment scored on the
//!   way; `baseline_clone_and_count` clones each mention, the floor of any
//!   pipeline that owns its mentions.
//!
//! Run: `cargo bench --bench crisis`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tertulia::core::Mention;
use tertulia::crisis::detect::{CrisisDetector, DetectorConfig};
use tertulia::crisis::nab::{Row, parse_data};
use tertulia::crisis::watch::{Watch, WatchConfig};
use tertulia::sentiment::ByLanguage;
use tertulia::sim::{SimConfig, Simulation};

fn files() -> Option<Vec<Vec<Row>>> {
    let root = std::env::var_os("TERTULIA_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data"));
    let dir = root.join("nab-realtweets");
    ["AAPL", "AMZN", "CRM", "CVS", "FB"]
        .iter()
        .map(|name| {
            let text =
                std::fs::read_to_string(dir.join(format!("Twitter_volume_{name}.csv"))).ok()?;
            Some(parse_data(&text).expect("a NAB data file"))
        })
        .collect()
}

fn windowed_gaussian(rows: &[Row]) -> usize {
    const W: usize = 288;
    let (mut sum, mut squares, mut alerts) = (0.0, 0.0, 0);
    for (i, &(_, v)) in rows.iter().enumerate() {
        if i >= W {
            let n = W as f64;
            let mean = sum / n;
            let sd = (squares / n - mean * mean).max(1e-9).sqrt();
            alerts += usize::from((v - mean) / sd > 6.0);
            let old = rows[i - W].1;
            sum -= old;
            squares -= old * old;
        }
        sum += v;
        squares += v * v;
    }
    alerts
}

fn detect(c: &mut Criterion) {
    let Some(files) = files() else {
        eprintln!(
            "crisis benchmark skipped: ../shared/data/nab-realtweets is absent (set TERTULIA_DATA)"
        );
        return;
    };
    let points: usize = files.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("crisis_nab");
    group.throughput(Throughput::Elements(points as u64));
    group.bench_function("detector", |b| {
        b.iter(|| {
            let mut alerts = 0;
            for rows in &files {
                let mut d = CrisisDetector::new(DetectorConfig::default()).expect("the defaults");
                for &(at, v) in rows {
                    alerts += usize::from(d.push(at, black_box(v)).expect("in order").alerting);
                }
            }
            alerts
        })
    });
    group.bench_function("baseline_windowed_gaussian", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|r| windowed_gaussian(black_box(r)))
                .sum::<usize>()
        })
    });
    group.finish();
}

/// Mentions of a simulated community through signals and both detectors.
fn watch(c: &mut Criterion) {
    let sim = Simulation::new(SimConfig::default()).expect("the default simulation");
    let sentiment = ByLanguage::english_and_spanish();
    let mentions: Vec<Mention> = sim.mentions().collect();
    let mut scored = mentions.clone();
    sentiment.annotate(&mut scored);
    let config = || {
        let mut config = WatchConfig::default();
        config.signals.bucket_seconds = 900;
        config
    };
    let mut group = c.benchmark_group("crisis_watch");
    group.throughput(Throughput::Elements(mentions.len() as u64));
    group.sample_size(20);
    group.bench_function("signals_and_detectors", |b| {
        b.iter(|| {
            let mut w = Watch::new(config()).expect("valid");
            let mut alerts = 0;
            for m in &scored {
                for step in w.push(black_box(m)).expect("in order") {
                    alerts += step.alerts.len();
                }
            }
            alerts
        })
    });
    group.bench_function("sentiment_signals_and_detectors", |b| {
        b.iter(|| {
            let mut w = Watch::new(config()).expect("valid");
            let mut alerts = 0;
            for m in &mentions {
                let mut m = m.clone();
                m.sentiment = Some(sentiment.scores_in(&m.text, m.language.as_ref()).compound);
                for step in w.push(&m).expect("in order") {
                    alerts += step.alerts.len();
                }
            }
            alerts
        })
    });
    group.bench_function("baseline_clone_and_count", |b| {
        b.iter(|| {
            mentions
                .iter()
                .map(|m| black_box(m.clone()).text.len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, detect, watch);
criterion_main!(benches);
