//! The detector's defaults keep beating the published detectors on NAB's
//! realTweets files, scored by our port of NAB's scorer.
//!
//! Reads `$TERTULIA_DATA/nab-realtweets` (default `../../../shared/data`
//! from this crate); skips with a printed reason where it is absent.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDateTime;
use tertulia_crisis::detect::DetectorConfig;
use tertulia_crisis::nab::{CostProfile, Window, anomaly_scores, normalized_score, score_file};

#[test]
fn the_defaults_beat_artime_and_context_ose() {
    let root = std::env::var_os("TERTULIA_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    let dir = root.join("nab-realtweets");
    let Ok(text) = std::fs::read_to_string(dir.join("windows.json")) else {
        println!("skipped: {} has no windows.json", dir.display());
        return;
    };
    let windows: BTreeMap<String, Vec<[String; 2]>> = serde_json::from_str(&text).unwrap();
    let (mut raw, mut count) = ([0.0; 3], 0);
    for (key, spans) in &windows {
        let path = dir.join(key.rsplit('/').next().unwrap());
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let (mut names, mut rows) = (vec![], vec![]);
        for r in reader.records() {
            let r = r.unwrap();
            let at = NaiveDateTime::parse_from_str(&r[0], "%Y-%m-%d %H:%M:%S").unwrap();
            names.push(r[0].to_owned());
            rows.push((at.and_utc(), r[1].parse::<f64>().unwrap()));
        }
        let detections: Vec<bool> = anomaly_scores(&rows, DetectorConfig::default())
            .unwrap()
            .iter()
            .map(|s| *s >= 0.5)
            .collect();
        let labelled: Vec<Window> = spans
            .iter()
            .map(|[a, b]| {
                Window::from_times(&names, &a[..19].to_owned(), &b[..19].to_owned()).unwrap()
            })
            .collect();
        count += labelled.len();
        for (k, (_, p)) in CostProfile::ALL.iter().enumerate() {
            raw[k] += score_file(&detections, &labelled, *p).raw;
        }
    }
    assert_eq!(count, 16, "the five files hold 16 windows");
    let score = |k: usize| normalized_score(raw[k], count, CostProfile::ALL[k].1);
    let (standard, low_fp, low_fn) = (score(0), score(1), score(2));
    println!(
        "NAB realTweets: standard {standard:.1}, reward_low_FP {low_fp:.1}, reward_low_FN {low_fn:.1}"
    );
    assert!(
        standard > 83.8,
        "ARTime scores 83.8 (standard); we score {standard:.1}"
    );
    assert!(
        low_fp > 75.7,
        "contextOSE scores 75.7 (reward_low_FP); we score {low_fp:.1}"
    );
    assert!(
        low_fn > 89.2,
        "ARTime scores 89.2 (reward_low_FN); we score {low_fn:.1}"
    );
}
