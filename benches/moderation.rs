//! How fast the moderation engine decides real tweets, against an
//! AutoModerator-style evaluation in the same run.
//!
//! Corpus: the Davidson et al. (2017) tweets (MIT), 24,783 of them. Rules:
//! every term of LDNOOBW English and Spanish (CC BY 4.0) and of the spanlp
//! Spanish per-country lists (MIT) as its own includes-word rule, 50 regex
//! rules and two author rules: 1,418 rules.
//!
//! - `engine`: tertulia's engine, normalizer on, all rules compiled together,
//!   deciding the tweets as a stream (`Engine::decide_each`, which asks the
//!   regex set about two tweets at once).
//! - `engine_one_by_one`: the same, one `Engine::decide_into` per tweet into
//!   one reused decision.
//! - `step_normalizer`, `step_regex_set`: two of the engine's steps alone,
//!   the normalizer and the regex set of the 50 regex rules, to see where
//!   its time goes.
//! - `engine_not_ascii`: the same with an emoji after each tweet, so every
//!   text takes the normalizer's general (non-ASCII) path.
//! - `baseline_per_rule_regex`: what AutoModerator does: each rule its own
//!   case-insensitive Unicode regex (reddit's includes-word pattern), tried in
//!   turn on each tweet. It runs on the first 500 tweets only (it is slow);
//!   compare the two by throughput (bytes per second).
//!
//! Reads `$TERTULIA_DATA/moderation` (default `../shared/data`); without it,
//! prints why and measures nothing. Run: `cargo bench --bench moderation`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use regex::{Regex, RegexBuilder, RegexSetBuilder};
use tertulia::moderation::{
    Action, AuthorCondition, Decision, Engine, Field, Item, ItemAuthor, MatchKind, Normalized,
    Normalizer, Rule, pattern,
};

/// Fifty regex rules of the kinds communities write: contacts, money,
/// links, shouting, repeated punctuation, giveaways.
const REGEXES: [&str; 10] = [
    r"free\s+(money|crypto|followers|iphone)",
    r"\d{3}[-. ]\d{3}[-. ]\d{4}",
    r"(click|tap)\s+(here|the link)",
    r"[!?]{4,}",
    r"(dm|message)\s+me\s+for",
    r"earn\s+\$?\d+\s*(k|usd|dollars)?\s+(a|per)\s+(day|week)",
    r"bit\.ly/\w+",
    r"(whats|what's)app\s*\+?\d",
    r"(giveaway|sorteo)\s+(time|now|ya)",
    r"(subscribe|suscr[ií]bete)\s+to\s+my",
];

fn data() -> Option<PathBuf> {
    let root = std::env::var_os("TERTULIA_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data"));
    let dir = root.join("moderation");
    dir.is_dir().then_some(dir)
}

fn terms(dir: &std::path::Path) -> Vec<String> {
    let mut files = vec![dir.join("ldnoobw/en"), dir.join("ldnoobw/es")];
    let mut spanlp: Vec<PathBuf> = std::fs::read_dir(dir.join("spanlp-es"))
        .map(|d| {
            d.filter_map(|e| Some(e.ok()?.path()))
                // The per-country lists (ARG.txt, ...), not the package's
                // own description (PACKAGE-METADATA.txt).
                .filter(|p| {
                    p.extension().is_some_and(|e| e == "txt")
                        && p.file_stem().and_then(|s| s.to_str()).is_some_and(|s| {
                            s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
                        })
                })
                .collect()
        })
        .unwrap_or_default();
    spanlp.sort();
    files.extend(spanlp);
    let mut all: Vec<String> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|t| {
            t.lines()
                .map(|l| l.trim().to_lowercase())
                .collect::<Vec<_>>()
        })
        .filter(|l| !l.is_empty() && l.chars().any(char::is_alphanumeric))
        .collect();
    all.sort();
    all.dedup();
    all
}

fn rules(terms: &[String]) -> Vec<Rule> {
    let mut rules: Vec<Rule> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Rule::new(format!("term-{i}"), Action::Remove).matching(
                Field::Body,
                MatchKind::IncludesWord,
                [t.as_str()],
            )
        })
        .collect();
    for i in 0..50 {
        let p = format!(
            "{}{}",
            REGEXES[i % REGEXES.len()],
            "(?:)".repeat(i / REGEXES.len())
        );
        rules.push(Rule::new(format!("regex-{i}"), Action::Review).matching(
            Field::Body,
            MatchKind::Regex,
            [p],
        ));
    }
    rules.push(
        Rule::new("new-accounts", Action::Review).with_author(AuthorCondition {
            account_age_days: Some("< 2".parse().unwrap()),
            ..AuthorCondition::default()
        }),
    );
    rules.push(
        Rule::new("unknown-small", Action::Report).with_author(AuthorCondition {
            followers: Some("< 3".parse().unwrap()),
            reputation: Some("< 0".parse().unwrap()),
            satisfy_any_threshold: true,
            ..AuthorCondition::default()
        }),
    );
    rules
}

fn moderate(c: &mut Criterion) {
    let Some(dir) = data() else {
        eprintln!(
            "moderation benchmark skipped: ../shared/data/moderation is absent (set TERTULIA_DATA)"
        );
        return;
    };
    let mut reader =
        csv::Reader::from_path(dir.join("davidson2017/labeled_data.csv")).expect("the corpus");
    let items: Vec<Item> = reader
        .records()
        .enumerate()
        .map(|(i, r)| Item {
            id: i.to_string(),
            body: r.expect("a row")[6].to_owned(),
            author: Some(ItemAuthor {
                name: format!("user{}", i % 997),
                account_age_days: Some((i % 30) as f64),
                followers: Some((i % 50) as u64),
                ..ItemAuthor::default()
            }),
            ..Item::default()
        })
        .collect();
    let terms = terms(&dir);
    let rules = rules(&terms);
    eprintln!(
        "{} rules ({} terms), {} tweets",
        rules.len(),
        terms.len(),
        items.len()
    );
    let mut engine = Engine::new(rules.clone()).expect("rules compile");

    // Items flagged (decided as a stream), and the bytes of text read.
    let flagged = |engine: &mut Engine, items: &[Item]| {
        let mut n = 0;
        engine.decide_each(black_box(items), |_, d| {
            n += usize::from(d.action != Action::None)
        });
        n
    };
    let flagged_one_by_one = |engine: &mut Engine, items: &[Item]| {
        let mut d = Decision::default();
        items
            .iter()
            .filter(|i| {
                engine.decide_into(black_box(i), &mut d);
                d.action != Action::None
            })
            .count()
    };
    let bytes = |items: &[Item]| items.iter().map(|i| i.body.len() as u64).sum();
    let mut group = c.benchmark_group("moderate_davidson");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes(&items)));
    group.bench_function("engine", |b| b.iter(|| flagged(&mut engine, &items)));
    group.bench_function("engine_one_by_one", |b| {
        b.iter(|| flagged_one_by_one(&mut engine, &items))
    });

    // Two of the engine's steps alone, to see where its time goes: the
    // normalizer, and the regex set (the 50 regex rules) asked whether
    // anything matches.
    let normalizer = Normalizer::default();
    let mut normalized = Normalized::default();
    group.bench_function("step_normalizer", |b| {
        b.iter(|| {
            items
                .iter()
                .map(|i| {
                    normalizer.normalize_into(black_box(&i.body), &mut normalized);
                    normalized.len()
                })
                .sum::<usize>()
        })
    });
    let set = RegexSetBuilder::new(
        rules
            .iter()
            .flat_map(|r| &r.text)
            .filter(|t| t.kind == MatchKind::Regex)
            .map(|t| pattern(t.kind, &t.values, false)),
    )
    .size_limit(1 << 24)
    .build()
    .expect("compiles");
    group.bench_function("step_regex_set", |b| {
        b.iter(|| {
            items
                .iter()
                .filter(|i| set.is_match(black_box(&i.body)))
                .count()
        })
    });

    // The same tweets with an emoji at the end: text that is not all ASCII
    // takes the general path (decomposition, lookalikes, a dense map).
    let emoji: Vec<Item> = items
        .iter()
        .map(|i| Item {
            body: format!("{} \u{1F602}", i.body),
            ..i.clone()
        })
        .collect();
    group.throughput(Throughput::Bytes(bytes(&emoji)));
    group.bench_function("engine_not_ascii", |b| {
        b.iter(|| flagged(&mut engine, &emoji))
    });

    // AutoModerator's way: one regex per rule, each tried in turn.
    let baseline: Vec<Regex> = rules
        .iter()
        .flat_map(|r| r.text.iter())
        .map(|t| {
            RegexBuilder::new(&pattern(t.kind, &t.values, false))
                .size_limit(1 << 24)
                .build()
                .expect("compiles")
        })
        .collect();
    let few = &items[..500];
    group.throughput(Throughput::Bytes(bytes(few)));
    group.bench_function("baseline_per_rule_regex", |b| {
        b.iter(|| {
            few.iter()
                .filter(|i| baseline.iter().any(|re| re.is_match(black_box(&i.body))))
                .count()
        })
    });
    group.finish();
}

criterion_group!(benches, moderate);
criterion_main!(benches);
