//! Quality on real text: the Davidson et al. (2017) tweets (MIT) against the
//! LDNOOBW English list (CC BY 4.0), and an evasion set generated from the
//! list's terms. Skips with a printed reason without ../shared/data.

use std::path::PathBuf;

use tertulia_moderation::{Normalizer, TermMatcher};

#[path = "support/disguise.rs"]
mod disguise;
use disguise::{DISGUISES, disguise};

fn data() -> Option<PathBuf> {
    let root = std::env::var_os("TERTULIA_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let dir = root.join("moderation");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} is absent (set TERTULIA_DATA)", dir.display());
        None
    }
}

fn terms(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("ldnoobw/en"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn flag_rates_per_class() {
    let Some(dir) = data() else { return };
    let n = Normalizer::default();
    let m = TermMatcher::new(n, terms(&dir).iter().map(|t| (t.as_str(), true))).unwrap();
    let mut reader = csv::Reader::from_path(dir.join("davidson2017/labeled_data.csv")).unwrap();
    let mut flagged = [0u32; 3];
    let mut total = [0u32; 3];
    for row in reader.records() {
        let row = row.unwrap();
        let class: usize = row[5].parse().unwrap();
        total[class] += 1;
        if m.is_match(&n.normalize(&row[6])) {
            flagged[class] += 1;
        }
    }
    let rate = |c: usize| 100.0 * f64::from(flagged[c]) / f64::from(total[c]);
    println!(
        "flagged: hate {:.1}% offensive {:.1}% neither {:.1}% ({total:?} tweets)",
        rate(0),
        rate(1),
        rate(2)
    );
    assert_eq!(total, [1430, 19190, 4163]);
    assert!(rate(2) <= 5.0, "neither flagged {:.1}%", rate(2));
}

#[test]
fn evasion_recall_per_disguise() {
    let Some(dir) = data() else { return };
    let terms = terms(&dir);
    let n = Normalizer::default();
    let m = TermMatcher::new(n, terms.iter().map(|t| (t.as_str(), true))).unwrap();
    let mut worst = 100.0f64;
    for how in DISGUISES {
        let mut missed = Vec::new();
        for term in &terms {
            let text = format!("you are such a {} today", disguise(term, how));
            if !m.is_match(&n.normalize(&text)) {
                missed.push(text);
            }
        }
        let recall = 100.0 * (1.0 - missed.len() as f64 / terms.len() as f64);
        println!(
            "{how}: recall {recall:.1}% ({} of {} missed) {:?}",
            missed.len(),
            terms.len(),
            &missed[..missed.len().min(5)]
        );
        worst = worst.min(recall);
    }
    assert!(worst >= 99.0, "worst recall {worst:.1}%");
}
