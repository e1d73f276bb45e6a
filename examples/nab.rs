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

use chrono::{DateTime, NaiveDateTime, Utc};
use tertulia::crisis::detect::{BaselineConfig, DetectorConfig};
use tertulia::crisis::nab::{
    CostProfile, Window, anomaly_scores, normalized_score, score_file, typical_interval,
};

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

type Rows = Vec<(DateTime<Utc>, f64)>;

fn read(path: &Path) -> Result<(Vec<String>, Rows), Box<dyn Error>> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (mut names, mut rows) = (vec![], vec![]);
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let r = record.map_err(|e| format!("{}:{line}: {e}", path.display()))?;
        let (Some(t), Some(v)) = (r.get(0), r.get(1)) else {
            return Err(format!("{}:{line}: expected timestamp,value", path.display()).into());
        };
        let at = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
            .map_err(|e| format!("{}:{line}: timestamp {t:?}: {e}", path.display()))?
            .and_utc();
        let value: f64 = v
            .parse()
            .map_err(|e| format!("{}:{line}: value {v:?}: {e}", path.display()))?;
        names.push(t.to_owned());
        rows.push((at, value));
    }
    Ok((names, rows))
}

/// `base` with the bucket width read off the file.
fn config_for(rows: &Rows, base: DetectorConfig) -> Result<DetectorConfig, Box<dyn Error>> {
    let times: Vec<_> = rows.iter().map(|r| r.0).collect();
    let bucket_seconds = typical_interval(&times).ok_or("fewer than two rows")?;
    Ok(DetectorConfig {
        baseline: BaselineConfig {
            bucket_seconds,
            ..base.baseline
        },
        ..base
    })
}

fn run(input: &Path, output: &Path) -> Result<(), Box<dyn Error>> {
    let (names, rows) = read(input)?;
    let scores = anomaly_scores(&rows, config_for(&rows, DetectorConfig::default())?)?;
    let mut w = csv::Writer::from_path(output)?;
    w.write_record(["timestamp", "value", "anomaly_score"])?;
    for ((name, (_, value)), score) in names.iter().zip(&rows).zip(&scores) {
        w.write_record([name.clone(), value.to_string(), score.to_string()])?;
    }
    w.flush()?;
    Ok(())
}

/// A labelled file: row names, rows and windows.
type Labelled = (String, Vec<String>, Rows, Vec<Window>);

fn labelled(dir: &Path) -> Result<Vec<Labelled>, Box<dyn Error>> {
    let windows: BTreeMap<String, Vec<[String; 2]>> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("windows.json"))?)?;
    windows
        .iter()
        .map(|(key, spans)| {
            let file = key.rsplit('/').next().unwrap_or(key).to_owned();
            let (names, rows) = read(&dir.join(&file))?;
            // NAB's window instants carry microseconds; the rows do not.
            let labelled = spans
                .iter()
                .map(|[a, b]| {
                    Window::from_times(&names, &a[..19].to_owned(), &b[..19].to_owned())
                        .ok_or_else(|| format!("{file}: window {a} .. {b} holds no row"))
                })
                .collect::<Result<_, _>>()?;
            Ok((file, names, rows, labelled))
        })
        .collect()
}

/// Per file under the standard profile: rows, windows, windows detected,
/// false alarms.
type FileCounts = [usize; 4];

/// The three profiles' scores over all files, and each file's counts.
fn scores(
    files: &[Labelled],
    base: DetectorConfig,
) -> Result<([f64; 3], Vec<FileCounts>), Box<dyn Error>> {
    let (mut raw, mut count, mut per_file) = ([0.0; 3], 0, vec![]);
    for (_, _, rows, windows) in files {
        let detections: Vec<bool> = anomaly_scores(rows, config_for(rows, base)?)?
            .iter()
            .map(|s| *s >= 0.5)
            .collect();
        count += windows.len();
        for (k, (_, profile)) in CostProfile::ALL.iter().enumerate() {
            let s = score_file(&detections, windows, *profile);
            raw[k] += s.raw;
            if k == 0 {
                per_file.push([
                    rows.len(),
                    windows.len(),
                    s.true_positives,
                    s.false_positives,
                ]);
            }
        }
    }
    let mut out = [0.0; 3];
    for (k, (_, p)) in CostProfile::ALL.iter().enumerate() {
        out[k] = normalized_score(raw[k], count, *p);
    }
    Ok((out, per_file))
}

fn score(dir: &Path, sensitivity: bool) -> Result<(), Box<dyn Error>> {
    let files = labelled(dir)?;
    let (ours, per_file) = scores(&files, DetectorConfig::default())?;
    println!("file                        rows  windows  detected  false alarms");
    for ((file, ..), [rows, windows, detected, false_alarms]) in files.iter().zip(&per_file) {
        println!("{file:<26} {rows:>6}  {windows:>7}  {detected:>8}  {false_alarms:>12}");
    }
    println!("\ndetector               standard  reward_low_FP  reward_low_FN");
    let line = |name: &str, s: [f64; 3]| {
        println!("{name:<22} {:>8.1}  {:>13.1}  {:>13.1}", s[0], s[1], s[2]);
    };
    line("tertulia", ours);
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
            line(name, scores(&files, config)?.0);
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
