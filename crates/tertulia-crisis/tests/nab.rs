//! The detector's defaults keep beating the published detectors on NAB's
//! realTweets files, scored by our port of NAB's scorer.
//!
//! Reads `$TERTULIA_DATA/nab-realtweets` (default `../../../shared/data`
//! from this crate); skips with a printed reason where it is absent.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tertulia_crisis::detect::DetectorConfig;
use tertulia_crisis::nab::{LabelledFile, parse_data, score_corpus};

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
    let files: Vec<LabelledFile> = windows
        .iter()
        .map(|(key, spans)| {
            let path = dir.join(key.rsplit('/').next().unwrap());
            let rows = parse_data(&std::fs::read_to_string(path).unwrap()).unwrap();
            LabelledFile::new(rows, spans).unwrap()
        })
        .collect();
    let count: usize = files.iter().map(|f| f.windows.len()).sum();
    assert_eq!(count, 16, "the five files hold 16 windows");
    let [standard, low_fp, low_fn] = score_corpus(&files, DetectorConfig::default())
        .unwrap()
        .scores;
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
