//! Valence lexicons: words and phrases with how positive or negative they are.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// AFINN-es, deduplicated (see `data/README.md`).
const AFINN_ES: &str = include_str!("../data/afinn-es.tsv");

/// The largest valence, as in VADER: -4 is the most negative, +4 the most
/// positive.
pub const MAX_VALENCE: f64 = 4.0;

/// The layout of a lexicon file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Format {
    /// VADER's: `token<TAB>mean<TAB>sd<TAB>[ratings]`, valences from -4 to 4.
    Vader,
    /// AFINN's: `term<TAB>integer`, valences from -5 to 5, scaled by 0.8 to
    /// VADER's range. Terms may be phrases of several words.
    Afinn,
}

impl Format {
    /// A valence of this format on VADER's scale.
    fn to_vader(self, value: f64) -> f64 {
        match self {
            Format::Vader => value,
            Format::Afinn => value * MAX_VALENCE / 5.0,
        }
    }
}

/// What reading a lexicon file found besides its entries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// Entries read.
    pub entries: usize,
    /// Terms listed more than once, each kept once with the mean of its
    /// valences (machine-translated lexicons map several words to one).
    pub merged: Vec<String>,
    /// How many entries are phrases of several words.
    pub phrases: usize,
}

/// Words and phrases with a valence from -4 to 4, keyed in lower case.
///
/// Build one from a file with [`Lexicon::parse`], start from the built-in
/// ones ([`Lexicon::english`], [`Lexicon::spanish`]) and add your brand's
/// words with [`Lexicon::insert`].
///
/// ```
/// use tertulia_sentiment::{Format, Lexicon};
///
/// let (lexicon, report) = Lexicon::parse("genial\t3\nfatal\t-3\nfatal\t-2\n", Format::Afinn, "mine.txt")?;
/// assert_eq!(lexicon.get("GENIAL"), Some(2.4)); // 3 on AFINN's scale is 2.4 on VADER's
/// assert_eq!(lexicon.get("fatal"), Some(-2.0)); // the mean of -2.4 and -1.6
/// assert_eq!(report.merged, ["fatal"]);
/// # Ok::<(), tertulia_sentiment::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Lexicon {
    entries: BTreeMap<String, f64>,
}

impl Lexicon {
    /// An empty lexicon.
    pub fn new() -> Self {
        Self::default()
    }

    /// VADER's English lexicon (7,500 words, emoticons and slang; MIT,
    /// C.J. Hutto) as vaderSentiment 3.3.2 has it: the `vader_sentiment`
    /// crate's list with the two words 3.3.2 added, "heart" (3.2) and
    /// "hearts" (3.3). Kept as VADER rated it: no word is left out or
    /// re-weighted to suit the tweets we measure on.
    pub fn english() -> Self {
        let entries = vader_sentiment::LEXICON
            .iter()
            .map(|(word, &valence)| (word.to_lowercase(), valence))
            .chain([("heart".to_owned(), 3.2), ("hearts".to_owned(), 3.3)])
            .collect();
        Lexicon { entries }
    }

    /// The default Spanish lexicon: AFINN-es ([`Lexicon::afinn_es`], about
    /// 2,100 words and phrases of general public talk: "violencia",
    /// "crisis", "ruina") under tertulia's own list of about 400 words of
    /// customer and brand conversation (service, product, price, delivery,
    /// trust, with their inflections), whose valences win where both have a
    /// word. AFINN-es words that the Spanish rules read as negations,
    /// boosters or contrasts ("no", "terriblemente") are left to the rules.
    pub fn spanish() -> Self {
        let rules = crate::Rules::spanish();
        let mut lexicon = Lexicon::afinn_es();
        lexicon.entries.retain(|term, _| !rules.has_role(term));
        lexicon.extend(&Lexicon::spanish_brand());
        lexicon
    }

    /// tertulia's own Spanish list alone: about 400 words of customer and
    /// brand conversation with their inflections, rated for it. Smaller and
    /// more precise than [`Lexicon::spanish`], which it is part of, but
    /// silent on much of general public talk.
    pub fn spanish_brand() -> Self {
        let mut lexicon = Lexicon::new();
        for &(valence, words) in crate::spanish::LEXICON {
            for &word in words {
                lexicon.entries.insert(word.to_owned(), valence);
            }
        }
        lexicon
    }

    /// AFINN-es (Apache-2.0; Finn Årup Nielsen and the Technical University
    /// of Denmark, as the R package tidytext ships it), shipped with this
    /// crate: 2,131 Spanish words and phrases on VADER's scale (AFINN's
    /// -5..5 × 0.8), each listed once with the mean of its machine
    /// translations' valences. See `data/README.md` in this crate.
    ///
    /// ```
    /// use tertulia_sentiment::Lexicon;
    ///
    /// let afinn = Lexicon::afinn_es();
    /// assert_eq!(afinn.len(), 2_131);
    /// assert_eq!(afinn.get("violencia"), Some(-2.4)); // -3 on AFINN's scale
    /// ```
    pub fn afinn_es() -> Self {
        let (lexicon, _) = Lexicon::parse(AFINN_ES, Format::Afinn, "afinn-es.tsv")
            .expect("the shipped AFINN-es parses");
        lexicon
    }

    /// Reads a lexicon file. `source_name` names it in errors. Blank lines
    /// are skipped; a term listed twice is kept once with the mean valence
    /// (see [`LoadReport::merged`]).
    pub fn parse(text: &str, format: Format, source_name: &str) -> Result<(Self, LoadReport)> {
        let mut sums: BTreeMap<String, (f64, u32)> = BTreeMap::new();
        let mut report = LoadReport::default();
        for (n, line) in text.lines().enumerate() {
            let bad = |problem: String| Error::Lexicon {
                source_name: source_name.to_owned(),
                line: n + 1,
                problem,
            };
            if line.trim().is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            let term = fields.next().unwrap_or_default().trim();
            let Some(value) = fields.next() else {
                return Err(bad(format!(
                    "no TAB after {term:?}: write the term, a TAB, then its valence"
                )));
            };
            let value: f64 = value.trim().parse().map_err(|_| {
                bad(format!(
                    "the valence of {term:?} is {value:?}, not a number"
                ))
            })?;
            if term.is_empty() {
                return Err(bad("the term is empty".to_owned()));
            }
            let valence = format.to_vader(value);
            check(term, valence).map_err(|e| bad(e.to_string()))?;
            let entry = sums.entry(term.to_lowercase()).or_default();
            entry.0 += valence;
            entry.1 += 1;
            report.entries += 1;
        }
        let mut lexicon = Lexicon::new();
        for (term, (sum, count)) in sums {
            if count > 1 {
                report.merged.push(term.clone());
            }
            if term.split_whitespace().nth(1).is_some() {
                report.phrases += 1;
            }
            lexicon.entries.insert(term, sum / f64::from(count));
        }
        Ok((lexicon, report))
    }

    /// Adds or replaces a word or phrase (several words separated by
    /// spaces), in any case.
    pub fn insert(&mut self, term: &str, valence: f64) -> Result<()> {
        check(term, valence)?;
        let term = term.split_whitespace().collect::<Vec<_>>().join(" ");
        self.entries.insert(term.to_lowercase(), valence);
        Ok(())
    }

    /// Adds every entry of `other`, replacing the same terms here.
    pub fn extend(&mut self, other: &Lexicon) {
        self.entries
            .extend(other.entries.iter().map(|(t, &v)| (t.clone(), v)));
    }

    /// Removes a term; returns its valence if it was there.
    pub fn remove(&mut self, term: &str) -> Option<f64> {
        self.entries.remove(&term.to_lowercase())
    }

    /// The valence of a term, in any case.
    pub fn get(&self, term: &str) -> Option<f64> {
        self.entries.get(&term.to_lowercase()).copied()
    }

    /// How many terms.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it has no terms.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The terms and their valences, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.entries.iter().map(|(t, &v)| (t.as_str(), v))
    }
}

fn check(term: &str, valence: f64) -> Result<()> {
    if valence.is_finite() && valence.abs() <= MAX_VALENCE && !term.trim().is_empty() {
        Ok(())
    } else {
        Err(Error::Valence {
            word: term.to_owned(),
            valence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vader_lines_are_read_with_their_mean() {
        let text = "$:\t-1.5\t0.80623\t[-1, -1, -1]\n:)\t2.0\t1.0\t[2, 2]\n";
        let (lexicon, report) = Lexicon::parse(text, Format::Vader, "v.txt").unwrap();
        assert_eq!(lexicon.get("$:"), Some(-1.5));
        assert_eq!(lexicon.get(":)"), Some(2.0));
        assert_eq!(report.entries, 2);
    }

    #[test]
    fn bad_lines_say_where_and_what() {
        let err = Lexicon::parse("ok\t1\nbad 2\n", Format::Afinn, "x.txt").unwrap_err();
        assert!(
            err.to_string().starts_with("x.txt, line 2: no TAB"),
            "{err}"
        );
        let err = Lexicon::parse("w\tmucho\n", Format::Afinn, "x.txt").unwrap_err();
        assert!(err.to_string().contains("not a number"), "{err}");
        let err = Lexicon::parse("w\t9\n", Format::Vader, "x.txt").unwrap_err();
        assert!(err.to_string().contains("from -4 to 4"), "{err}");
        assert!(Lexicon::new().insert("w", f64::NAN).is_err());
    }

    #[test]
    fn phrases_are_counted_and_kept() {
        let (lexicon, report) =
            Lexicon::parse("caso omiso\t-2\nbien\t2\n", Format::Afinn, "p").unwrap();
        assert_eq!(report.phrases, 1);
        assert_eq!(lexicon.get("Caso Omiso"), Some(-1.6));
    }

    #[test]
    fn the_built_in_lexicons_are_there() {
        let en = Lexicon::english();
        assert!(en.len() > 7000);
        assert_eq!(en.get("good"), Some(1.9));
        let es = Lexicon::spanish();
        assert!(es.len() > 300, "{}", es.len());
        assert!(es.get("pésimo").unwrap() < -2.0);
        for (term, valence) in es.iter() {
            assert_eq!(term, term.to_lowercase(), "built-in terms are lower case");
            assert!(check(term, valence).is_ok(), "{term}");
        }
    }
}
