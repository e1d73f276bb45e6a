//! Run tertulia's crisis detector on Numenta Anomaly Benchmark files.
//!
//! - `cargo run --release --example nab -- IN.csv OUT.csv` reads a NAB data
//!   file (`timestamp,value`, any values, any timestamps) and writes NAB's
//!   result format (`timestamp,value,anomaly_score`, one row per input row
//!   in input order; a row scoring 0.5 or more is a detection), for NAB's
//!   own scorer to check.
//! - `cargo run --release --example nab -- --score [DIR ...]` reads every
//!   file named in each `DIR/windows.json` (by default
//!   `../shared/data/nab-realtweets` and `../shared/data/nab`), runs a grid
//!   of candidate settings over them, and prints NAB's scores by category
//!   and in total: in-sample (the settings best on all files, scored on
//!   those same files) and cross-validated (for each file, the settings best
//!   on the *other* files, scored on it), next to the published detectors'.
//!   `--sensitivity` adds the scores with each setting of the default moved
//!   by ±50%.
//!
//! One parameter set for every file and category; what a file is (its
//! bucket width, counts or real values) is read off the file itself.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};

use chrono::TimeDelta;
use tertulia::crisis::detect::DetectorConfig;
use tertulia::crisis::nab::{
    CostProfile, LabelledFile, Row, anomaly_scores, fitted, normalized_score, parse_data,
    score_labelled,
};

/// The published detectors' scores on the 53 files (standard,
/// reward_low_FP_rate, reward_low_FN_rate), each at its published
/// threshold, from `../shared/data/README.md`.
const PUBLISHED: [(&str, [f64; 3]); 7] = [
    ("ARTime", [74.0, 64.8, 79.3]),
    ("Numenta HTM", [70.2, 63.5, 74.0]),
    ("contextOSE", [69.4, 66.3, 72.8]),
    ("earthgeckoSkyline", [57.8, 48.7, 62.4]),
    ("knncad", [57.6, 44.5, 64.0]),
    ("relativeEntropy", [53.1, 45.9, 57.3]),
    ("null", [0.0, 0.0, 0.0]),
];

fn read(path: &Path) -> Result<Vec<Row>, Box<dyn Error>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(parse_data(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

fn run(input: &Path, output: &Path) -> Result<(), Box<dyn Error>> {
    let rows = read(input)?;
    let scores = anomaly_scores(&rows, fitted(DetectorConfig::nab(), &rows)?)?;
    let mut w = csv::Writer::from_path(output)?;
    w.write_record(["timestamp", "value", "anomaly_score"])?;
    for ((at, value), score) in rows.iter().zip(&scores) {
        let at = at.format("%Y-%m-%d %H:%M:%S").to_string();
        w.write_record([at, value.to_string(), score.to_string()])?;
    }
    w.flush()?;
    Ok(())
}

/// One labelled file and where it comes from.
struct File {
    category: String,
    name: String,
    labelled: LabelledFile,
}

/// The files `DIR/windows.json` names, with their windows.
fn labelled(dir: &Path) -> Result<Vec<File>, Box<dyn Error>> {
    let windows: BTreeMap<String, Vec<[String; 2]>> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("windows.json"))?)?;
    windows
        .iter()
        .map(|(key, spans)| {
            // NAB names files by category (`realTraffic/speed_6005.csv`);
            // a folder of one category may hold them without it.
            let (category, name) = key.rsplit_once('/').unwrap_or(("", key));
            let path = if dir.join(key).is_file() {
                dir.join(key)
            } else {
                dir.join(name)
            };
            let labelled =
                LabelledFile::new(read(&path)?, spans).map_err(|e| format!("{key}: {e}"))?;
            Ok(File {
                category: category.to_owned(),
                name: name.to_owned(),
                labelled,
            })
        })
        .collect()
}

/// How one setting did on one file: the raw score under each profile of
/// [`CostProfile::ALL`], and the detections and false alarms (standard).
#[derive(Clone, Copy, Default)]
struct Outcome {
    raw: [f64; 3],
    detected: usize,
    false_alarms: usize,
}

fn outcome(file: &LabelledFile, config: DetectorConfig) -> Result<Outcome, Box<dyn Error>> {
    let scores = score_labelled(file, config)?;
    Ok(Outcome {
        raw: scores.map(|s| s.raw),
        detected: scores[0].true_positives,
        false_alarms: scores[0].false_positives,
    })
}

/// Every candidate on every file, on all cores: `[candidate][file]`.
fn outcomes(
    files: &[File],
    candidates: &[DetectorConfig],
) -> Result<Vec<Vec<Outcome>>, Box<dyn Error>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = candidates.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = candidates
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|c| {
                            files
                                .iter()
                                .map(|f| outcome(&f.labelled, *c).map_err(|e| e.to_string()))
                                .collect::<Result<Vec<_>, String>>()
                        })
                        .collect::<Result<Vec<_>, String>>()
                })
            })
            .collect();
        let mut all = vec![];
        for h in handles {
            all.extend(h.join().map_err(|_| "a scoring thread panicked")??);
        }
        Ok(all)
    })
}

/// The candidate settings the cross-validation chooses among: the default
/// with the alert rate, the least change, the CUSUM level and the cooldown
/// each on a few values a person would try.
fn candidates() -> Vec<DetectorConfig> {
    let d = DetectorConfig::nab();
    let mut all = vec![];
    for rate in [0.003, 0.01, 0.03, 0.1, 0.3, 1.0] {
        for min_change in [0.0, 0.2, 0.5] {
            for cusum in [1.5, 2.5, 5.0, 10.0] {
                for cooldown in [6, 12, 24] {
                    all.push(DetectorConfig {
                        false_alarms_per_week: rate,
                        min_change,
                        cusum_at_alert: cusum,
                        cooldown: TimeDelta::hours(cooldown),
                        ..d
                    });
                }
            }
        }
    }
    all
}

/// The index of the candidate with the highest raw score under profile `k`
/// over the files `keep` admits.
fn best(table: &[Vec<Outcome>], k: usize, keep: impl Fn(usize) -> bool) -> usize {
    let total = |c: &Vec<Outcome>| -> f64 {
        c.iter()
            .enumerate()
            .filter(|(f, _)| keep(*f))
            .map(|(_, o)| o.raw[k])
            .sum()
    };
    (0..table.len())
        .max_by(|&a, &b| total(&table[a]).total_cmp(&total(&table[b])))
        .unwrap_or(0)
}

fn describe(c: &DetectorConfig) -> String {
    format!(
        "{} false alarms/week, min change {}, CUSUM {}, cooldown {} h",
        c.false_alarms_per_week,
        c.min_change,
        c.cusum_at_alert,
        c.cooldown.num_hours()
    )
}

fn score(dirs: &[PathBuf], sensitivity: bool) -> Result<(), Box<dyn Error>> {
    let mut files = vec![];
    for dir in dirs {
        if dir.join("windows.json").is_file() {
            files.extend(labelled(dir)?);
        } else {
            println!("skipped: {} has no windows.json", dir.display());
        }
    }
    if files.is_empty() {
        return Ok(());
    }
    let candidates = candidates();
    let table = outcomes(&files, &candidates)?;
    // In-sample: one candidate for all files, best on them all under each
    // profile. Cross-validated: each file scored with the candidate best on
    // the other files.
    let mut in_sample = vec![[0.0; 3]; files.len()];
    let mut held_out = vec![[0.0; 3]; files.len()];
    let mut chosen = [0; 3];
    for (k, choice) in chosen.iter_mut().enumerate() {
        *choice = best(&table, k, |_| true);
        for f in 0..files.len() {
            in_sample[f][k] = table[*choice][f].raw[k];
            held_out[f][k] = table[best(&table, k, |g| g != f)][f].raw[k];
        }
    }
    let standard = &table[chosen[0]];
    println!("file                                     rows  windows  detected  false alarms");
    for (f, file) in files.iter().enumerate() {
        println!(
            "{:<38} {:>6}  {:>7}  {:>8}  {:>12}",
            format!("{}/{}", file.category, file.name),
            file.labelled.rows.len(),
            file.labelled.windows.len(),
            standard[f].detected,
            standard[f].false_alarms
        );
    }
    let mut categories: Vec<&str> = files.iter().map(|f| f.category.as_str()).collect();
    categories.sort_unstable();
    categories.dedup();
    let normalized = |raws: &[[f64; 3]], keep: &dyn Fn(usize) -> bool| -> ([f64; 3], usize) {
        let windows: usize = (0..files.len())
            .filter(|&f| keep(f))
            .map(|f| files[f].labelled.windows.len())
            .sum();
        let mut s = [0.0; 3];
        for (k, (_, profile)) in CostProfile::ALL.iter().enumerate() {
            let raw: f64 = (0..files.len())
                .filter(|&f| keep(f))
                .map(|f| raws[f][k])
                .sum();
            s[k] = normalized_score(raw, windows, *profile);
        }
        (s, windows)
    };
    println!(
        "\n{:<22} {:>5} {:>7}   {:>26}   {:>26}",
        "", "", "", "in-sample", "cross-validated"
    );
    println!(
        "{:<22} {:>5} {:>7}   {:>8} {:>8} {:>8}   {:>8} {:>8} {:>8}",
        "category",
        "files",
        "windows",
        "standard",
        "low_FP",
        "low_FN",
        "standard",
        "low_FP",
        "low_FN"
    );
    let row = |name: &str, keep: &dyn Fn(usize) -> bool| {
        let (a, windows) = normalized(&in_sample, keep);
        let (b, _) = normalized(&held_out, keep);
        let n = (0..files.len()).filter(|&f| keep(f)).count();
        if windows == 0 {
            // No window: only false alarms can happen.
            let alarms: usize = (0..files.len())
                .filter(|&f| keep(f))
                .map(|f| standard[f].false_alarms)
                .sum();
            println!("{name:<22} {n:>5} {windows:>7}   {alarms} false alarms (no window to score)");
        } else {
            println!(
                "{name:<22} {n:>5} {windows:>7}   {:>8.1} {:>8.1} {:>8.1}   {:>8.1} {:>8.1} {:>8.1}",
                a[0], a[1], a[2], b[0], b[1], b[2]
            );
        }
    };
    for category in &categories {
        row(category, &|f| files[f].category == *category);
    }
    row("all", &|_| true);
    println!("\ndetector               standard  reward_low_FP  reward_low_FN");
    for (name, s) in PUBLISHED {
        println!("{name:<22} {:>8.1}  {:>13.1}  {:>13.1}", s[0], s[1], s[2]);
    }
    for (k, (profile, _)) in CostProfile::ALL.iter().enumerate() {
        println!(
            "\nbest on all files for {profile}: {}",
            describe(&candidates[chosen[k]])
        );
    }
    println!(
        "default (DetectorConfig::nab()): {}",
        describe(&DetectorConfig::nab())
    );
    if sensitivity {
        sensitivities(&files)?;
    }
    Ok(())
}

/// The default with each setting moved by ±50% on its own, scored on all
/// files: how much the score owes to the exact default.
fn sensitivities(files: &[File]) -> Result<(), Box<dyn Error>> {
    let d = DetectorConfig::nab();
    let mut changed: Vec<(String, DetectorConfig)> = vec![("default".into(), d)];
    for by in [0.5, 1.5] {
        let tag = if by < 1.0 { "-50%" } else { "+50%" };
        let hours = |t: TimeDelta| TimeDelta::minutes((t.num_minutes() as f64 * by) as i64);
        let mut baseline = d.baseline;
        baseline.days = ((d.baseline.days as f64 * by).round() as usize).max(1);
        changed.extend([
            (
                format!("false_alarms_per_week {tag}"),
                DetectorConfig {
                    false_alarms_per_week: d.false_alarms_per_week * by,
                    ..d
                },
            ),
            (
                format!("min_change {tag}"),
                DetectorConfig {
                    min_change: d.min_change * by,
                    ..d
                },
            ),
            (
                format!("cusum_at_alert {tag}"),
                DetectorConfig {
                    cusum_at_alert: d.cusum_at_alert * by,
                    ..d
                },
            ),
            (
                format!("cusum_drift {tag}"),
                DetectorConfig {
                    cusum_drift: d.cusum_drift * by,
                    ..d
                },
            ),
            (
                format!("cooldown {tag}"),
                DetectorConfig {
                    cooldown: hours(d.cooldown),
                    ..d
                },
            ),
            (
                format!("quiet {tag}"),
                DetectorConfig {
                    quiet: hours(d.quiet),
                    ..d
                },
            ),
            (format!("days {tag}"), DetectorConfig { baseline, ..d }),
        ]);
    }
    let configs: Vec<DetectorConfig> = changed.iter().map(|c| c.1).collect();
    let table = outcomes(files, &configs)?;
    let windows: usize = files.iter().map(|f| f.labelled.windows.len()).sum();
    println!("\nsensitivity (all files; one setting moved from the default)");
    println!(
        "{:<28} {:>8} {:>8} {:>8}",
        "setting", "standard", "low_FP", "low_FN"
    );
    for ((name, _), per_file) in changed.iter().zip(&table) {
        let mut s = [0.0; 3];
        for (k, (_, profile)) in CostProfile::ALL.iter().enumerate() {
            let raw: f64 = per_file.iter().map(|o| o.raw[k]).sum();
            s[k] = normalized_score(raw, windows, *profile);
        }
        println!("{name:<28} {:>8.1} {:>8.1} {:>8.1}", s[0], s[1], s[2]);
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, rest @ ..] if flag == "--score" => {
            let sensitivity = rest.iter().any(|a| a == "--sensitivity");
            let mut dirs: Vec<PathBuf> = rest
                .iter()
                .filter(|a| *a != "--sensitivity")
                .map(PathBuf::from)
                .collect();
            if dirs.is_empty() {
                dirs = vec![
                    PathBuf::from("../shared/data/nab-realtweets"),
                    PathBuf::from("../shared/data/nab"),
                ];
            }
            score(&dirs, sensitivity)
        }
        [input, output] => run(Path::new(input), Path::new(output)),
        _ => Err("usage: nab IN.csv OUT.csv | nab --score [DIR ...] [--sensitivity]".into()),
    }
}
