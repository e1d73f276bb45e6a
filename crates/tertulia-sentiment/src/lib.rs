//! **Sentiment**: how positive or negative a mention is, in English and
//! Spanish, a million short texts a second.
//!
//! Social text is short, informal and emphatic: "not bad at all", "VERY
//! disappointed!!!", "me encanta 😍". A lexicon of word valences with the
//! rules around them (negation, boosters such as "very"/"muy", capitals,
//! exclamation marks, "but"/"pero", emoji) reads it well, explains itself,
//! and is fast. This crate is VADER's algorithm (Hutto and Gilbert, 2014)
//! written for speed: one hash lookup per word, no allocation per text on
//! the streaming path. English uses VADER's own lexicon; Spanish uses our
//! built-in lexicon, or one you load at run time ([`Lexicon::parse`]).
//!
//! Models are plugged in through [`SentimentModel`], so a user with a better
//! model (a classifier, a service) drops it in where ours was.
//!
//! # Example
//!
//! ```
//! use tertulia_core::Polarity;
//! use tertulia_sentiment::{ByLanguage, SentimentModel};
//!
//! let model = ByLanguage::english_and_spanish();
//! let s = model.scores("Worst delivery EVER, still waiting!!!");
//! assert_eq!(s.compound.polarity(), Polarity::Negative);
//! let s = model.scores("Gracias por la ayuda, sois geniales");
//! assert_eq!(s.compound.polarity(), Polarity::Positive);
//! ```
//!
//! # How do I load a Spanish lexicon file?
//!
//! ```no_run
//! use tertulia_sentiment::{Format, Lexicon, LexiconModel, Rules};
//!
//! let text = std::fs::read_to_string("AFINN-es.txt").expect("readable");
//! let (loaded, report) = Lexicon::parse(&text, Format::Afinn, "AFINN-es.txt")?;
//! println!("{} terms, {} merged duplicates", report.entries, report.merged.len());
//! let mut lexicon = Lexicon::spanish();
//! lexicon.extend(&loaded);
//! let model = LexiconModel::new(&lexicon, &Rules::spanish())?;
//! # Ok::<(), tertulia_sentiment::Error>(())
//! ```

mod error;
pub mod eval;
mod lexicon;
mod model;
mod rules;
mod spanish;

use serde::{Deserialize, Serialize};
use tertulia_core::{Language, Mention, Sentiment};

pub use error::{Error, Result};
pub use lexicon::{Format, Lexicon, LoadReport, MAX_VALENCE};
pub use model::{LexiconModel, Scratch};
pub use rules::{BOOST, Rules};

/// What a model says about one text.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// The overall sentiment, -1 to 1.
    pub compound: Sentiment,
    /// The share of the text that is positive, 0 to 1.
    pub positive: f64,
    /// The share that is negative.
    pub negative: f64,
    /// The share that is neutral. The three shares add to 1, or are all 0
    /// for a text without words.
    pub neutral: f64,
    /// How many words carried sentiment: 0 means the model found nothing to
    /// judge by, which is not the same as a neutral text.
    pub words: u32,
}

impl Scores {
    /// The scores of a text without words.
    pub fn neutral() -> Self {
        Scores {
            compound: Sentiment::new(0.0).expect("0 is a sentiment"),
            positive: 0.0,
            negative: 0.0,
            neutral: 0.0,
            words: 0,
        }
    }
}

/// A sentiment model: text in, [`Scores`] out.
///
/// Implement it to plug your own model into tertulia; [`SentimentModelExt`]
/// then gives it the conveniences.
pub trait SentimentModel: Send + Sync {
    /// Scores one text.
    fn scores(&self, text: &str) -> Scores;
}

impl<M: SentimentModel + ?Sized> SentimentModel for &M {
    fn scores(&self, text: &str) -> Scores {
        (**self).scores(text)
    }
}

impl<M: SentimentModel + ?Sized> SentimentModel for Box<M> {
    fn scores(&self, text: &str) -> Scores {
        (**self).scores(text)
    }
}

impl<M: SentimentModel + ?Sized> SentimentModel for std::sync::Arc<M> {
    fn scores(&self, text: &str) -> Scores {
        (**self).scores(text)
    }
}

/// Conveniences for every [`SentimentModel`].
pub trait SentimentModelExt: SentimentModel {
    /// The overall sentiment of `text`.
    fn sentiment(&self, text: &str) -> Sentiment {
        self.scores(text).compound
    }

    /// Sets each mention's `sentiment` from its text, replacing any there.
    fn annotate(&self, mentions: &mut [Mention]) {
        for m in mentions {
            m.sentiment = Some(self.scores(&m.text).compound);
        }
    }
}

impl<M: SentimentModel + ?Sized> SentimentModelExt for M {}

/// One model per language, chosen by a mention's language tag, or, for text
/// without one, the model that finds the most sentiment words in it.
///
/// ```
/// use tertulia_core::Language;
/// use tertulia_sentiment::{ByLanguage, LexiconModel, SentimentModel};
///
/// let model = ByLanguage::new().with(Language::en(), LexiconModel::english());
/// assert!(model.scores_in("love it", Some(&Language::new("en-GB")?)).compound.score() > 0.5);
/// # Ok::<(), tertulia_core::Error>(())
/// ```
#[derive(Default)]
pub struct ByLanguage {
    models: Vec<(String, Box<dyn SentimentModel>)>,
}

impl std::fmt::Debug for ByLanguage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.models.iter().map(|(l, _)| l))
            .finish()
    }
}

impl ByLanguage {
    /// No models yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// tertulia's English (VADER) and Spanish models.
    pub fn english_and_spanish() -> Self {
        Self::new()
            .with(Language::en(), LexiconModel::english())
            .with(Language::es(), LexiconModel::spanish())
    }

    /// Adds (or replaces) the model for a language, by its primary subtag:
    /// the model for `es` serves `es-MX` too.
    pub fn with(mut self, language: Language, model: impl SentimentModel + 'static) -> Self {
        let primary = language.primary().to_owned();
        self.models.retain(|(l, _)| *l != primary);
        self.models.push((primary, Box::new(model)));
        self
    }

    /// Scores `text` with the model for `language`; without a language, or
    /// without a model for it, as [`SentimentModel::scores`] does.
    pub fn scores_in(&self, text: &str, language: Option<&Language>) -> Scores {
        language
            .and_then(|l| self.models.iter().find(|(p, _)| p == l.primary()))
            .map_or_else(|| self.scores(text), |(_, m)| m.scores(text))
    }

    /// Sets each mention's `sentiment`, with the model for its language.
    pub fn annotate(&self, mentions: &mut [Mention]) {
        for m in mentions {
            m.sentiment = Some(self.scores_in(&m.text, m.language.as_ref()).compound);
        }
    }
}

impl SentimentModel for ByLanguage {
    /// The scores of the model that finds the most sentiment words (the first
    /// added wins a tie); neutral without models.
    fn scores(&self, text: &str) -> Scores {
        let mut best: Option<Scores> = None;
        for (_, model) in &self.models {
            let s = model.scores(text);
            if best.is_none_or(|b| s.words > b.words) {
                best = Some(s);
            }
        }
        best.unwrap_or_else(Scores::neutral)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_choose_the_model() {
        let model = ByLanguage::english_and_spanish();
        // "pésimo" is negative in Spanish, and not in VADER's lexicon.
        let es = Language::new("es-AR").unwrap();
        assert!(model.scores_in("pésimo", Some(&es)).compound.score() < 0.0);
        assert_eq!(model.scores_in("pésimo", Some(&Language::en())).words, 0);
        // Without a tag, the model that knows more of the words.
        assert!(
            model
                .scores("el servicio fue pésimo y lento")
                .compound
                .score()
                < -0.3
        );
        assert!(
            model
                .scores("the service was awful and slow")
                .compound
                .score()
                < -0.3
        );
        assert_eq!(ByLanguage::new().scores("hello"), Scores::neutral());
    }

    #[test]
    fn shares_add_to_one_and_scores_serialize() {
        let s = LexiconModel::english().scores("good but terrible and okay");
        assert!((s.positive + s.negative + s.neutral - 1.0).abs() < 1e-12);
        let back: Scores = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back.words, s.words);
    }
}
