//! The moderation evaluation: flag rates per class on the Davidson et al.
//! (2017) tweets (MIT) with the LDNOOBW English list (CC BY 4.0) as
//! includes-word rules, and recall on an evasion set generated from the
//! list's terms, per disguise.
//!
//! Run: `cargo run --release -p tertulia-moderation --example evaluate`
//! (reads `$TERTULIA_DATA/moderation`, default `../shared/data`).

use std::path::PathBuf;

use tertulia_moderation::{Action, Engine, Field, Item, MatchKind, Rule};

#[path = "../tests/support/disguise.rs"]
mod disguise;

fn main() {
    let root = std::env::var_os("TERTULIA_DATA")
        .map_or_else(|| PathBuf::from("../shared/data"), PathBuf::from);
    let dir = root.join("moderation");
    let Ok(list) = std::fs::read_to_string(dir.join("ldnoobw/en")) else {
        eprintln!("skipped: {} is absent (set TERTULIA_DATA)", dir.display());
        return;
    };
    let terms: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let rules = vec![Rule::new("ldnoobw-en", Action::Remove).matching(
        Field::Body,
        MatchKind::IncludesWord,
        terms.iter().copied(),
    )];
    let mut engine = Engine::new(rules).expect("the list compiles");
    let flagged = |engine: &mut Engine, body: &str| {
        engine
            .decide(&Item {
                id: String::new(),
                body: body.to_owned(),
                ..Item::default()
            })
            .action
            != Action::None
    };

    let mut reader =
        csv::Reader::from_path(dir.join("davidson2017/labeled_data.csv")).expect("the corpus");
    let (mut hits, mut totals) = ([0u32; 3], [0u32; 3]);
    for row in reader.records() {
        let row = row.expect("a row");
        let class: usize = row[5].parse().expect("a class");
        totals[class] += 1;
        hits[class] += u32::from(flagged(&mut engine, &row[6]));
    }
    println!(
        "Flag rate with the {} LDNOOBW English terms, normalizer on:",
        terms.len()
    );
    for (c, name) in ["hate speech", "offensive", "neither"].iter().enumerate() {
        println!(
            "  {name:<12} {:>5.1}% of {}",
            100.0 * f64::from(hits[c]) / f64::from(totals[c]),
            totals[c]
        );
    }
    println!("Recall on the evasion set (\"you are such a <disguised term> today\"):");
    for how in disguise::DISGUISES {
        let caught = terms
            .iter()
            .filter(|t| {
                flagged(
                    &mut engine,
                    &format!("you are such a {} today", disguise::disguise(t, how)),
                )
            })
            .count();
        println!(
            "  {how:<22} {:>5.1}%",
            100.0 * caught as f64 / terms.len() as f64
        );
    }
}
