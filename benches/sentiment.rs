//! How fast the sentiment models read short social texts.
//!
//! Data: VADER's 4,200 rated tweets (MIT), from
//! `$TERTULIA_DATA/sentiment/vader/tweets_GroundTruth.txt` (default
//! `../shared/data`); without them, prints why and measures nothing.
//!
//! - `tertulia_english_stream`: `LexiconModel::scores_with`, buffers reused.
//! - `tertulia_english`: `SentimentModel::scores`, through the buffers the
//!   model keeps (borrowed under a lock per text).
//! - `tertulia_spanish_stream`: the Spanish model on the same texts (mostly
//!   unknown words to it: the cost of reading, not of scoring).
//! - `vader_sentiment_crate`: `SentimentIntensityAnalyzer::polarity_scores`
//!   of the `vader_sentiment` crate, the baseline.
//!
//! Run: `cargo bench --bench sentiment`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tertulia::sentiment::eval::parse_ground_truth;
use tertulia::sentiment::{LexiconModel, Scratch, SentimentModel};

fn sentiment(c: &mut Criterion) {
    let root = std::env::var_os("TERTULIA_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data"));
    let path = root.join("sentiment/vader/tweets_GroundTruth.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "sentiment benchmark skipped: {} is absent (set TERTULIA_DATA)",
            path.display()
        );
        return;
    };
    let texts: Vec<String> = parse_ground_truth(&text, "tweets_GroundTruth.txt")
        .expect("VADER's ground truth")
        .into_iter()
        .map(|r| r.text)
        .collect();
    let english = LexiconModel::english();
    let spanish = LexiconModel::spanish();
    let vader = vader_sentiment::SentimentIntensityAnalyzer::new();
    let mut group = c.benchmark_group("sentiment");
    group.throughput(Throughput::Elements(texts.len() as u64));
    let mut scratch = Scratch::default();
    for (name, model) in [
        ("tertulia_english_stream", &english),
        ("tertulia_spanish_stream", &spanish),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                texts
                    .iter()
                    .map(|t| model.scores_with(t, &mut scratch).compound.score())
                    .sum::<f64>()
            })
        });
    }
    group.bench_function("tertulia_english", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| english.scores(t).compound.score())
                .sum::<f64>()
        })
    });
    group.bench_function("vader_sentiment_crate", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| vader.polarity_scores(black_box(t))["compound"])
                .sum::<f64>()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = sentiment
}
criterion_main!(benches);
