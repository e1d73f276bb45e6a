//! Quality on real text: the Davidson et al. (2017) tweets (MIT) against the
//! LDNOOBW English list (CC BY 4.0), and an evasion set generated from the
//! list's terms. Skips with a printed reason without ../shared/data.

use std::path::PathBuf;

use tertulia_moderation::{Normalizer, TermMatcher};

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

/// The term disguised one way, as people do to get past a filter.
fn disguise(term: &str, how: &str) -> String {
    let multi_word = term.contains(' ');
    match how {
        "leetspeak" => term
            .chars()
            .map(|c| match c {
                'a' => '4',
                'e' => '3',
                'i' => '1',
                'o' => '0',
                's' => '5',
                't' => '7',
                c => c,
            })
            .collect(),
        "lookalike letters" => term
            .chars()
            .map(|c| match c {
                'a' => '\u{0430}',
                'e' => '\u{0435}',
                'o' => '\u{043E}',
                'p' => '\u{0440}',
                'c' => '\u{0441}',
                'x' => '\u{0445}',
                'y' => '\u{0443}',
                'i' => '\u{0456}',
                's' => '\u{0455}',
                'j' => '\u{0458}',
                c => c,
            })
            .collect(),
        "zero-width characters" => {
            let mut out = String::new();
            for (i, c) in term.chars().enumerate() {
                if i > 0 && c != ' ' {
                    out.push('\u{200B}');
                }
                out.push(c);
            }
            out
        }
        "spacing" => {
            let sep = if multi_word { '.' } else { ' ' };
            term.split(' ')
                .map(|w| {
                    w.chars()
                        .map(String::from)
                        .collect::<Vec<_>>()
                        .join(&sep.to_string())
                })
                .collect::<Vec<_>>()
                .join(" ")
        }
        "repeated letters" => term
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i == 1 && c.is_alphabetic() {
                    c.to_string().repeat(4)
                } else {
                    c.to_string()
                }
            })
            .collect(),
        "fullwidth forms" => term
            .chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap(),
                c => c,
            })
            .collect(),
        "accents" => term
            .chars()
            .map(|c| match c {
                'a' => 'á',
                'e' => 'é',
                'i' => 'í',
                'o' => 'ó',
                'u' => 'ú',
                'n' => 'ñ',
                c => c,
            })
            .collect(),
        other => unreachable!("{other}"),
    }
}

#[test]
fn evasion_recall_per_disguise() {
    let Some(dir) = data() else { return };
    let terms = terms(&dir);
    let n = Normalizer::default();
    let m = TermMatcher::new(n, terms.iter().map(|t| (t.as_str(), true))).unwrap();
    let mut worst = 100.0f64;
    for how in [
        "leetspeak",
        "lookalike letters",
        "zero-width characters",
        "spacing",
        "repeated letters",
        "fullwidth forms",
        "accents",
    ] {
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
