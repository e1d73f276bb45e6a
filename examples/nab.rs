//! Run tertulia's crisis detector on Numenta Anomaly Benchmark files.
//!
//! - `cargo run --release --example nab -- IN.csv OUT.csv` reads a NAB data
//!   file (`timestamp,value`) and writes NAB's result format
//!   (`timestamp,value,anomaly_score`; a row scoring 0.5 or more is a
//!   detection), for NAB's own scorer to check.
//! - `cargo run --release --example nab -- --score [DIR]` runs every file of
//!   `DIR/windows.json` (default `../shared/data/nab-realtweets`), scores it
//!   with NAB's three profiles and prints the table next to the published
//!   detectors' scores on the same files; `--sensitivity` adds the scores
//!   with each setting moved away from its default.
//!
//! One parameter set for every file: `DetectorConfig::default()`, with the
//! bucket width read off the file.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};

use tertulia::crisis::detect::{BaselineConfig, DetectorConfig};
use tertulia::crisis::nab::{LabelledFile, Row, anomaly_scores, fitted, parse_data, score_corpus};

/// The published detectors' scores on these five files, each at its
/// published threshold (standard, reward_low_FP_rate, reward_low_FN_rate),
/// from `../shared/data/README.md`.
const PUBLISHED: [(&str, [f64; 3]); 12] = [
    ("ARTime", [83.8, 73.1, 89.2]),
    ("earthgeckoSkyline", [77.8, 59.8, 85.2]),
    ("contextOSE", [76.0, 75.7, 77.5]),
    ("htmjava", [70.1, 58.3, 73.8]),
    ("knncad", [68.6, 47.3, 77.0]),
    ("Numenta HTM", [66.1, 61.2, 69.1]),
    ("twitterADVec", [66.0, 42.7, 75.3]),
    ("windowedGaussian", [64.8, 39.8, 74.4]),
    ("relativeEntropy", [55.5, 52.1, 57.8]),
    ("randomCutForest", [53.2, 62.5, 67.9]),
    ("random", [36.2, 14.3, 47.1]),
    ("null", [0.0, 0.0, 0.0]),
];

fn read(path: &Path) -> Result<Vec<Row>, Box<dyn Error>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(parse_data(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

fn run(input: &Path, output: &Path) -> Result<(), Box<dyn Error>> {
    let rows = read(input)?;
    let scores = anomaly_scores(&rows, fitted(DetectorConfig::default(), &rows)?)?;
    let mut w = csv::Writer::from_path(output)?;
    w.write_record(["timestamp", "value", "anomaly_score"])?;
    for ((at, value), score) in rows.iter().zip(&scores) {
        let at = at.format("%Y-%m-%d %H:%M:%S").to_string();
        w.write_record([at, value.to_string(), score.to_string()])?;
    }
    w.flush()?;
    Ok(())
}

/// The files `DIR/windows.json` names, with their windows, and their names.
fn labelled(dir: &Path) -> Result<(Vec<String>, Vec<LabelledFile>), Box<dyn Error>> {
    let windows: BTreeMap<String, Vec<[String; 2]>> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("windows.json"))?)?;
    windows
        .iter()
        .map(|(key, spans)| {
            // NAB names files by category (`realTraffic/speed_6005.csv`);
            // a folder of one category may hold them without it.
            let file = key.rsplit('/').next().unwrap_or(key).to_owned();
            let path = if dir.join(key).is_file() {
                dir.join(key)
            } else {
                dir.join(&file)
            };
            let labelled =
                LabelledFile::new(read(&path)?, spans).map_err(|e| format!("{file}: {e}"))?;
            Ok((file, labelled))
        })
        .collect::<Result<Vec<_>, Box<dyn Error>>>()
        .map(|pairs| pairs.into_iter().unzip())
}

fn score(dir: &Path, sensitivity: bool) -> Result<(), Box<dyn Error>> {
    let (names, files) = labelled(dir)?;
    let ours = score_corpus(&files, DetectorConfig::default())?;
    println!("file                        rows  windows  detected  false alarms");
    for ((name, file), s) in names.iter().zip(&files).zip(&ours.files) {
        println!(
            "{name:<26} {:>6}  {:>7}  {:>8}  {:>12}",
            file.rows.len(),
            file.windows.len(),
            s.true_positives,
            s.false_positives
        );
    }
    println!("\ndetector               standard  reward_low_FP  reward_low_FN");
    let line = |name: &str, s: [f64; 3]| {
        println!("{name:<22} {:>8.1}  {:>13.1}  {:>13.1}", s[0], s[1], s[2]);
    };
    line("tertulia", ours.scores);
    for (name, s) in PUBLISHED {
        line(name, s);
    }
    if sensitivity {
        // Each setting moved on its own: how much the score owes to the
        // exact defaults.
        println!("\nsensitivity (one setting changed from the default)");
        let d = DetectorConfig::default();
        let changed: [(&str, DetectorConfig); 10] = [
            (
                "surprise_at_alert 30",
                DetectorConfig {
                    surprise_at_alert: 30.0,
                    ..d
                },
            ),
            (
                "surprise_at_alert 60",
                DetectorConfig {
                    surprise_at_alert: 60.0,
                    ..d
                },
            ),
            (
                "cusum_at_alert 40",
                DetectorConfig {
                    cusum_at_alert: 40.0,
                    ..d
                },
            ),
            (
                "cusum_at_alert 60",
                DetectorConfig {
                    cusum_at_alert: 60.0,
                    ..d
                },
            ),
            (
                "cusum_drift 1.0",
                DetectorConfig {
                    cusum_drift: 1.0,
                    ..d
                },
            ),
            (
                "cusum_drift 2.0",
                DetectorConfig {
                    cusum_drift: 2.0,
                    ..d
                },
            ),
            (
                "quiet 3 h",
                DetectorConfig {
                    quiet: chrono::TimeDelta::hours(3),
                    ..d
                },
            ),
            (
                "cooldown 24 h",
                DetectorConfig {
                    cooldown: chrono::TimeDelta::hours(24),
                    ..d
                },
            ),
            (
                "days 5",
                DetectorConfig {
                    baseline: BaselineConfig {
                        days: 5,
                        ..d.baseline
                    },
                    ..d
                },
            ),
            (
                "neighbours 1",
                DetectorConfig {
                    baseline: BaselineConfig {
                        neighbours: 1,
                        ..d.baseline
                    },
                    ..d
                },
            ),
        ];
        for (name, config) in changed {
            line(name, score_corpus(&files, config)?.scores);
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, rest @ ..] if flag == "--score" => {
            let sensitivity = rest.iter().any(|a| a == "--sensitivity");
            let rest: Vec<&String> = rest.iter().filter(|a| *a != "--sensitivity").collect();
            let dir = rest.first().map_or_else(
                || PathBuf::from("../shared/data/nab-realtweets"),
                PathBuf::from,
            );
            if !dir.join("windows.json").is_file() {
                println!("skipped: {} has no windows.json", dir.display());
                return Ok(());
            }
            score(&dir, sensitivity)
        }
        [input, output] => run(Path::new(input), Path::new(output)),
        _ => Err("usage: nab IN.csv OUT.csv | nab --score [DIR] [--sensitivity]".into()),
    }
}
