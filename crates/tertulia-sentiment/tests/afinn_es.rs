//! A Spanish lexicon loaded at run time: AFINN-es (Apache-2.0) from
//! `$TERTULIA_DATA/sentiment/afinn-es` (default `../../../shared/data`);
//! skips with a printed reason where it is absent.

use std::path::PathBuf;

use tertulia_sentiment::{Format, Lexicon, LexiconModel, Rules, SentimentModel};

#[test]
fn afinn_es_loads_and_extends_the_built_in_lexicon() {
    let root = std::env::var_os("TERTULIA_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    let path = root.join("sentiment/afinn-es/AFINN-es-tidytext.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipped: {} is absent", path.display());
        return;
    };
    let (loaded, report) = Lexicon::parse(&text, Format::Afinn, "AFINN-es-tidytext.txt").unwrap();
    println!(
        "AFINN-es: {} lines, {} terms, {} merged, {} phrases",
        report.entries,
        loaded.len(),
        report.merged.len(),
        report.phrases
    );
    assert_eq!(report.entries, 2474, "every line is read");
    // The data's README counts 262 duplicated terms (translation collisions).
    assert!(report.merged.len() >= 200, "{}", report.merged.len());
    assert!(loaded.len() < 2474 - 200);
    assert!(report.phrases > 100);
    let mut lexicon = Lexicon::spanish();
    let built_in = lexicon.len();
    lexicon.extend(&loaded);
    assert!(lexicon.len() > built_in + 1500);
    let model = LexiconModel::new(&lexicon, &Rules::spanish()).unwrap();
    // "abandonado" is in AFINN-es and not in our built-in list.
    assert_eq!(
        LexiconModel::spanish().scores("me siento abandonado").words,
        0
    );
    assert!(model.scores("me siento abandonado").compound.score() < -0.2);
    assert!(
        model.scores("me siento muy abandonado").compound.score()
            < model.scores("me siento abandonado").compound.score()
    );
}
