//! AFINN-es (Apache-2.0), shipped in `data/afinn-es.tsv` and merged into the
//! default Spanish model: checked against its source in
//! `$TERTULIA_DATA/sentiment/afinn-es` (default `../../../shared/data`),
//! which these tests skip with a printed reason where it is absent; and the
//! share of texts the Spanish model knows a word of, before and after.

use std::path::PathBuf;

use tertulia_sentiment::{Format, Lexicon, LexiconModel, Rules, SentimentModel};

fn data() -> PathBuf {
    std::env::var_os("TERTULIA_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        })
}

#[test]
fn shipped_afinn_es_is_the_source_deduplicated() {
    let path = data().join("sentiment/afinn-es/AFINN-es-tidytext.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipped: {} is absent", path.display());
        return;
    };
    let (source, report) = Lexicon::parse(&text, Format::Afinn, "AFINN-es-tidytext.txt").unwrap();
    println!(
        "AFINN-es: {} lines, {} terms, {} merged, {} phrases",
        report.entries,
        source.len(),
        report.merged.len(),
        report.phrases
    );
    assert_eq!(report.entries, 2474, "every line is read");
    let shipped = Lexicon::afinn_es();
    assert_eq!(shipped.len(), source.len());
    for (term, valence) in source.iter() {
        let ours = shipped
            .get(term)
            .unwrap_or_else(|| panic!("{term:?} is not shipped"));
        assert!(
            (ours - valence).abs() < 1e-9,
            "{term}: {ours} against {valence}"
        );
    }
}

#[test]
fn the_default_spanish_model_knows_the_words_of_public_talk() {
    let es = LexiconModel::spanish();
    let brand_only = LexiconModel::new(&Lexicon::spanish_brand(), &Rules::spanish()).unwrap();
    for word in ["violencia", "crisis", "ruina", "miseria", "abandonado"] {
        let text = format!("hay {word} aquí");
        assert_eq!(
            brand_only.scores(&text).words,
            0,
            "{word} was not known before"
        );
        assert!(es.scores(&text).compound.score() < -0.1, "{word}");
    }
    // Our own ratings win where both lists have a word.
    assert_eq!(
        Lexicon::spanish().get("pésimo"),
        Lexicon::spanish_brand().get("pésimo")
    );
    // Words the rules read are left to them: "no" negates, it is not -0.8.
    assert_eq!(Lexicon::afinn_es().get("no"), Some(-0.8));
    assert_eq!(Lexicon::spanish().get("no"), None);
    assert!(es.scores("no me gusta").compound.score() < 0.0);
    assert!(
        es.scores("me siento muy abandonado").compound.score()
            < es.scores("me siento abandonado").compound.score()
    );
}

/// The share of texts with at least one word the model knows, with and
/// without AFINN-es. There is no real Spanish text corpus in the shared
/// data: this reads the simulated community's Spanish mentions, and the
/// Spanish profanity lists (spanlp, MIT) as words people write.
#[test]
fn share_of_texts_with_a_known_word() {
    let es = LexiconModel::spanish();
    let brand_only = LexiconModel::new(&Lexicon::spanish_brand(), &Rules::spanish()).unwrap();
    let sim =
        tertulia_sim::Simulation::new(tertulia_sim::SimConfig::default().with_weeks(4)).unwrap();
    let spanish: Vec<String> = sim
        .mentions()
        .filter(|m| {
            m.language
                .as_ref()
                .is_some_and(|l| l.as_str().starts_with("es"))
        })
        .map(|m| m.text.clone())
        .collect();
    let share = |model: &LexiconModel, texts: &[String]| {
        texts.iter().filter(|t| model.scores(t).words > 0).count() as f64 / texts.len() as f64
    };
    let (before, after) = (share(&brand_only, &spanish), share(&es, &spanish));
    println!(
        "simulated Spanish mentions ({}): {:.1}% with a known word before AFINN-es, {:.1}% after",
        spanish.len(),
        100.0 * before,
        100.0 * after
    );
    assert!(after >= before);
    let dir = data().join("moderation/spanlp-es");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("skipped the word lists: {} is absent", dir.display());
        return;
    };
    let mut terms: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "txt"))
        .filter(|e| e.file_name() != "PACKAGE-METADATA.txt")
        .flat_map(|e| {
            std::fs::read_to_string(e.path())
                .unwrap_or_default()
                .lines()
                .map(|l| l.trim().to_lowercase())
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
        })
        .collect();
    terms.sort();
    terms.dedup();
    let (before, after) = (share(&brand_only, &terms), share(&es, &terms));
    println!(
        "spanlp Spanish insults ({} distinct terms): {:.1}% known before AFINN-es, {:.1}% after",
        terms.len(),
        100.0 * before,
        100.0 * after
    );
    assert!(after > before);
}
