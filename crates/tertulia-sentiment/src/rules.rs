//! The rules around the lexicon: which words negate, boost, dampen or turn
//! the sentence, per language.

use serde::{Deserialize, Serialize};

/// How much a booster adds to the word it modifies, as in VADER.
pub const BOOST: f64 = 0.293;

/// The words that change the valence of the words near them.
///
/// [`Rules::english`] are VADER's rules, word for word; [`Rules::spanish`]
/// are ours, made to the same pattern. Edit a copy to adapt a language (add
/// slang boosters, a negation your community uses) and build a model with
/// [`LexiconModel::new`](crate::LexiconModel::new).
///
/// What each rule does to a lexicon word:
/// - a **negation** up to three words before multiplies it by -0.74;
/// - a **booster** up to three words before adds its amount (0.95 and 0.9
///   of it at two and three words away), away from zero, so "very bad" is
///   worse than "bad";
/// - the first **contrast** word ("but") halves what comes before it and
///   multiplies by 1.5 what comes after;
/// - an **idiom** replaces the valence of its words ("to die for");
/// - the word in **no** negates the next three words and weighs nothing
///   itself before a lexicon word ("no problem");
/// - **never** followed by an intensifier ("never so") intensifies instead
///   of negating; **without doubt** does not negate; **least** negates
///   unless after one of its exceptions ("at least").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Rules {
    /// Words that negate what follows.
    pub negations: Vec<String>,
    /// A piece of a word that makes it a negation ("n't").
    pub negation_suffix: Option<String>,
    /// Boosters (positive amount) and dampeners (negative), one or two words.
    pub boosters: Vec<(String, f64)>,
    /// Words that turn the sentence: "but".
    pub contrast: Vec<String>,
    /// Phrases whose valence replaces that of their words.
    pub idioms: Vec<(String, f64)>,
    /// The word that negates up to three words ahead ("no"), and the words
    /// that carry it on ("or", "nor").
    pub no: Option<(String, Vec<String>)>,
    /// "never" and the intensifiers after which it intensifies ("so", "this").
    pub never: Option<(String, Vec<String>)>,
    /// A negation and the word after which it does not negate ("without doubt").
    pub without_doubt: Option<(String, String)>,
    /// "least" and the words after which it does not negate ("at", "very").
    pub least: Option<(String, Vec<String>)>,
    /// Stop negations and boosters at the end of a clause (a word followed
    /// by `, ; : . ! ?`), so "no me gusta nada, pésimo" keeps "pésimo"
    /// negative. VADER's rules reach across punctuation.
    pub clause_bound: bool,
    /// Match words without their accents (so "pesimo" finds "pésimo"),
    /// keeping ñ: how Spanish is often typed on phones.
    pub fold_accents: bool,
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| (*w).to_owned()).collect()
}

fn scored(list: &[&str], amount: f64) -> impl Iterator<Item = (String, f64)> {
    list.iter().map(move |w| ((*w).to_owned(), amount))
}

impl Rules {
    /// Whether the rules give `term` a role of its own: a negation, a
    /// booster or dampener, or a contrast word.
    pub fn has_role(&self, term: &str) -> bool {
        self.negations.iter().any(|w| w == term)
            || self.boosters.iter().any(|(w, _)| w == term)
            || self.contrast.iter().any(|w| w == term)
    }

    /// VADER's rules for English (Hutto and Gilbert, 2014; vaderSentiment 3.3.2).
    pub fn english() -> Self {
        let boosters = scored(
            &[
                "absolutely",
                "amazingly",
                "awfully",
                "completely",
                "considerable",
                "considerably",
                "decidedly",
                "deeply",
                "effing",
                "enormous",
                "enormously",
                "entirely",
                "especially",
                "exceptional",
                "exceptionally",
                "extreme",
                "extremely",
                "fabulously",
                "flipping",
                "flippin",
                "frackin",
                "fracking",
                "fricking",
                "frickin",
                "frigging",
                "friggin",
                "fully",
                "fuckin",
                "fucking",
                "fuggin",
                "fugging",
                "greatly",
                "hella",
                "highly",
                "hugely",
                "incredible",
                "incredibly",
                "intensely",
                "major",
                "majorly",
                "more",
                "most",
                "particularly",
                "purely",
                "quite",
                "really",
                "remarkably",
                "so",
                "substantially",
                "thoroughly",
                "total",
                "totally",
                "tremendous",
                "tremendously",
                "uber",
                "unbelievably",
                "unusually",
                "utter",
                "utterly",
                "very",
            ],
            BOOST,
        )
        .chain(scored(
            &[
                "almost",
                "barely",
                "hardly",
                "just enough",
                "kind of",
                "kinda",
                "kindof",
                "kind-of",
                "less",
                "little",
                "marginal",
                "marginally",
                "occasional",
                "occasionally",
                "partly",
                "scarce",
                "scarcely",
                "slight",
                "slightly",
                "somewhat",
                "sort of",
                "sorta",
                "sortof",
                "sort-of",
            ],
            -BOOST,
        ))
        .collect();
        Rules {
            negations: words(&[
                "aint",
                "arent",
                "cannot",
                "cant",
                "couldnt",
                "darent",
                "didnt",
                "doesnt",
                "ain't",
                "aren't",
                "can't",
                "couldn't",
                "daren't",
                "didn't",
                "doesn't",
                "dont",
                "hadnt",
                "hasnt",
                "havent",
                "isnt",
                "mightnt",
                "mustnt",
                "neither",
                "don't",
                "hadn't",
                "hasn't",
                "haven't",
                "isn't",
                "mightn't",
                "mustn't",
                "neednt",
                "needn't",
                "never",
                "none",
                "nope",
                "nor",
                "not",
                "nothing",
                "nowhere",
                "oughtnt",
                "shant",
                "shouldnt",
                "uhuh",
                "wasnt",
                "werent",
                "oughtn't",
                "shan't",
                "shouldn't",
                "uh-uh",
                "wasn't",
                "weren't",
                "without",
                "wont",
                "wouldnt",
                "won't",
                "wouldn't",
                "rarely",
                "seldom",
                "despite",
            ]),
            negation_suffix: Some("n't".to_owned()),
            boosters,
            contrast: words(&["but"]),
            idioms: vec![
                ("the shit".to_owned(), 3.0),
                ("the bomb".to_owned(), 3.0),
                ("bad ass".to_owned(), 1.5),
                ("badass".to_owned(), 1.5),
                ("bus stop".to_owned(), 0.0),
                ("yeah right".to_owned(), -2.0),
                ("kiss of death".to_owned(), -1.5),
                ("to die for".to_owned(), 3.0),
                ("beating heart".to_owned(), 3.1),
                ("broken heart".to_owned(), -2.9),
            ],
            no: Some(("no".to_owned(), words(&["or", "nor"]))),
            never: Some(("never".to_owned(), words(&["so", "this"]))),
            without_doubt: Some(("without".to_owned(), "doubt".to_owned())),
            least: Some(("least".to_owned(), words(&["at", "very"]))),
            clause_bound: false,
            fold_accents: false,
        }
    }

    /// tertulia's rules for Spanish: VADER's pattern with Spanish words.
    /// "no" is a plain negation here (it does not carry a valence of its
    /// own), "pero" and "sino" turn the sentence, "sin duda" does not negate,
    /// negations stop at the end of a clause (Spanish doubles them: "no me
    /// gusta nada") and accents are optional.
    pub fn spanish() -> Self {
        let boosters = scored(
            &[
                "muy",
                "mucho",
                "mucha",
                "muchos",
                "muchas",
                "muchísimo",
                "muchísima",
                "demasiado",
                "demasiada",
                "super",
                "súper",
                "tan",
                "tanto",
                "tanta",
                "bastante",
                "totalmente",
                "completamente",
                "absolutamente",
                "realmente",
                "increíblemente",
                "extremadamente",
                "sumamente",
                "especialmente",
                "profundamente",
                "enormemente",
                "altamente",
                "verdaderamente",
                "re",
                "recontra",
                "mega",
                "híper",
                "más",
                "tremendamente",
                "terriblemente",
                "súmamente",
            ],
            BOOST,
        )
        .chain(scored(
            &[
                "poco",
                "algo",
                "apenas",
                "casi",
                "ligeramente",
                "medio",
                "un poco",
                "un tanto",
                "levemente",
                "parcialmente",
                "relativamente",
                "menos",
            ],
            -BOOST,
        ))
        .collect();
        Rules {
            negations: words(&[
                "no", "nunca", "jamás", "ni", "tampoco", "nada", "nadie", "ningún", "ninguna",
                "ninguno", "sin", "nop", "nel",
            ]),
            negation_suffix: None,
            boosters,
            contrast: words(&["pero", "sino"]),
            idioms: vec![
                ("de lujo".to_owned(), 3.0),
                ("de diez".to_owned(), 3.0),
                ("de maravilla".to_owned(), 3.0),
                ("ni fu ni fa".to_owned(), 0.0),
                ("tomar el pelo".to_owned(), -2.0),
                ("me toman el pelo".to_owned(), -2.0),
                ("ya te vale".to_owned(), -1.5),
                ("qué bien".to_owned(), 2.0),
                ("menos mal".to_owned(), 1.5),
                ("mala leche".to_owned(), -2.0),
            ],
            no: None,
            never: Some(("nunca".to_owned(), words(&["tan"]))),
            without_doubt: Some(("sin".to_owned(), "duda".to_owned())),
            least: None,
            clause_bound: true,
            fold_accents: true,
        }
    }
}
