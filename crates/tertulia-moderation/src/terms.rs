//! Many terms, one pass: the compiled literal matcher.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::{Deserialize, Serialize};

use crate::normalize::{Normalized, Normalizer, is_word};

/// Where a term matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermMatch {
    /// The term's index, in the order the terms were given.
    pub term: usize,
    /// The byte range in the original text.
    pub span: Range<usize>,
    /// The byte range in the normalized text.
    pub skeleton: Range<usize>,
    /// The normalized form that matched.
    pub normalized: String,
}

#[derive(Debug, Clone)]
struct Pattern {
    term: usize,
    /// Each skeleton byte's run length in the term: the text must repeat
    /// each letter at least as often.
    runs: Vec<u16>,
    whole_word: bool,
}

/// A set of terms compiled into one automaton over normalized text: the
/// cost of matching does not grow with the number of terms.
///
/// A whole-word term matches only between non-word characters of the
/// skeleton, so `Scunthorpe`, `assessment` and `classic` stay innocent.
///
/// ```
/// use tertulia_moderation::{Normalizer, TermMatcher};
///
/// let m = TermMatcher::new(Normalizer::default(), [("ass", true), ("puta", true)])?;
/// let text = "a classic @$$ and a d i s p u t a";
/// let found = m.find(&Normalizer::default().normalize(text));
/// assert_eq!(found.len(), 1);
/// assert_eq!(&text[found[0].span.clone()], "@$$");
/// # Ok::<(), tertulia_moderation::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TermMatcher {
    normalizer: Normalizer,
    automaton: Option<AhoCorasick>,
    patterns: Vec<Pattern>,
}

impl TermMatcher {
    /// Compiles `terms` (each with whether it must match a whole word),
    /// normalized by `normalizer`. A term that normalizes to nothing is an
    /// error.
    pub fn new<S: AsRef<str>>(
        normalizer: Normalizer,
        terms: impl IntoIterator<Item = (S, bool)>,
    ) -> crate::Result<Self> {
        let mut skeletons = Vec::new();
        let mut patterns = Vec::new();
        for (term, (text, whole_word)) in terms.into_iter().enumerate() {
            let n = normalizer.normalize(text.as_ref());
            if n.as_str().trim().is_empty() {
                return Err(crate::Error::EmptyTerm {
                    term: text.as_ref().to_owned(),
                });
            }
            patterns.push(Pattern {
                term,
                runs: (0..n.as_str().len()).map(|i| n.run(i)).collect(),
                whole_word,
            });
            skeletons.push(n.as_str().to_owned());
        }
        let automaton = if skeletons.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .kind(Some(AhoCorasickKind::DFA))
                    .match_kind(MatchKind::Standard)
                    .build(&skeletons)
                    .map_err(|e| crate::Error::Automaton(e.to_string()))?,
            )
        };
        Ok(TermMatcher {
            normalizer,
            automaton,
            patterns,
        })
    }

    /// The normalizer texts must go through before matching.
    pub fn normalizer(&self) -> Normalizer {
        self.normalizer
    }

    /// Every match in a text normalized by [`TermMatcher::normalizer`].
    pub fn find(&self, text: &Normalized) -> Vec<TermMatch> {
        let mut out = Vec::new();
        self.find_into(text, &mut out);
        out
    }

    /// Appends every match to `out`.
    pub fn find_into(&self, text: &Normalized, out: &mut Vec<TermMatch>) {
        let s = text.as_str();
        self.for_each(text, |term, at| {
            out.push(TermMatch {
                term,
                span: text.original(at.clone()),
                normalized: s[at.clone()].to_owned(),
                skeleton: at,
            });
        });
    }

    /// Calls `f` with the term and the skeleton range of every match,
    /// allocating nothing.
    pub fn for_each(&self, text: &Normalized, mut f: impl FnMut(usize, Range<usize>)) {
        let Some(ac) = &self.automaton else { return };
        for m in ac.find_overlapping_iter(text.as_str()) {
            let p = &self.patterns[m.pattern().as_usize()];
            if self.accepts(p, text, m.start(), m.end()) {
                f(p.term, m.start()..m.end());
            }
        }
    }

    /// Whether any term matches.
    pub fn is_match(&self, text: &Normalized) -> bool {
        let Some(ac) = &self.automaton else {
            return false;
        };
        ac.find_overlapping_iter(text.as_str()).any(|m| {
            let p = &self.patterns[m.pattern().as_usize()];
            self.accepts(p, text, m.start(), m.end())
        })
    }

    fn accepts(&self, p: &Pattern, text: &Normalized, start: usize, end: usize) -> bool {
        let s = text.as_str();
        if p.whole_word {
            // A seam left by joining spaced letters counts as a boundary:
            // a match may start at one, or end just before the last letter.
            let before = s[..start].chars().next_back().is_some_and(is_word) && !text.seam(start);
            let after = s[end..].chars().next().is_some_and(is_word)
                && !(text.seam(end) && s[end..].chars().nth(1).is_none_or(|c| !is_word(c)));
            if before || after {
                return false;
            }
        }
        p.runs
            .iter()
            .enumerate()
            .all(|(k, &need)| text.run(start + k) >= need)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(terms: &[(&str, bool)], text: &str) -> Vec<String> {
        let n = Normalizer::default();
        let m = TermMatcher::new(n, terms.iter().copied()).unwrap();
        m.find(&n.normalize(text))
            .into_iter()
            .map(|f| text[f.span].to_owned())
            .collect()
    }

    #[test]
    fn innocent_words_stay_innocent() {
        let en = [
            ("cunt", true),
            ("ass", true),
            ("puta", true),
            ("cock", true),
        ];
        for text in [
            "Scunthorpe",
            "assessment",
            "classic",
            "computadora",
            "disputa",
            "reputación",
            "peacock",
            "as I said",
        ] {
            assert!(found(&en, text).is_empty(), "{text}");
        }
        assert_eq!(found(&en, "what an a$$"), ["a$$"]);
        assert_eq!(found(&en, "puuuuta"), ["puuuuta"]);
        assert_eq!(
            found(&[("puta", false)], "disputa"),
            ["puta"],
            "substring terms do match inside words"
        );
    }

    #[test]
    fn nothing_to_match_is_fine_and_empty_terms_are_refused() {
        let m = TermMatcher::new(Normalizer::default(), Vec::<(&str, bool)>::new()).unwrap();
        assert!(!m.is_match(&Normalizer::default().normalize("anything")));
        assert!(TermMatcher::new(Normalizer::default(), [("\u{200B}", true)]).is_err());
    }
}
