//! Many terms, one pass: the compiled literal matcher.

use std::ops::Range;

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, MatchKind, StartKind};
use serde::{Deserialize, Serialize};

use hashbrown::HashTable;

use tertulia_core::lanes::{WordFilter, block_at, equal, mask_of, u8x16, word_head, words_ending};

use crate::normalize::{Normalized, Normalizer, is_word, word_lanes};

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
    /// The skeleton bytes whose letter repeats in the term, with how often:
    /// the text must repeat it at least as often there.
    runs: Vec<(usize, u16)>,
    /// A whole-word term that is not one word (several words, other
    /// characters inside or in front): found by walking from where it
    /// starts.
    phrase: bool,
}

/// What a word of the text may start: the one-word terms it is, and the
/// two bytes that follow it in each phrase that starts with it (the second
/// `None` when the phrase ends there).
#[derive(Debug, Clone, Default)]
struct Entry {
    /// The word's first eight bytes, as [`word_head`] reads them: a word of
    /// eight bytes or fewer is known by them and its length.
    head: u64,
    patterns: Vec<usize>,
    phrases: Vec<(u8, Option<u8>)>,
}

/// Folds eight bytes of a word into its hash.
#[inline]
fn fold(h: u64, chunk: u64) -> u64 {
    (h.rotate_left(23) ^ chunk).wrapping_mul(0x0100_0000_01b3_0001)
}

/// Mixes a word hash so that its low bits (the index's buckets) depend on
/// every byte.
#[inline]
fn mix(h: u64) -> u64 {
    let m = (h ^ (h >> 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    m ^ (m >> 29)
}

/// The hash of a word for the index: its length, then its bytes eight at a
/// time ([`word_head`] of each), one multiplication per chunk.
fn hash(word: &[u8]) -> u64 {
    let h = word
        .chunks(8)
        .fold(word.len() as u64, |h, c| fold(h, word_head(c, 0..c.len())));
    mix(h)
}

/// A set of terms compiled for one pass over normalized text: the cost of
/// matching does not grow with the number of terms.
///
/// A whole-word term matches only between non-word characters of the
/// skeleton, so `Scunthorpe`, `assessment` and `classic` stay innocent.
/// Such terms are found word by word: the words of the text come from masks
/// of its word bytes, sixteen bytes to a vector; an 8 KiB filter, keyed by
/// each word's length and first eight bytes in one multiplication, turns
/// away nearly every word that no term starts with, and the few left are
/// looked up exactly. Terms of several
/// words are walked from their first word in an anchored automaton, and so
/// is all text where joining spaced letters left seams inside words. Terms
/// that may match inside words go through one unanchored automaton.
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
    /// Every term, by index.
    patterns: Vec<Pattern>,
    /// One-word terms and the first words of phrases: the words, and by
    /// their hash (the one the scan computes as it reads) their place.
    entries: Vec<(Box<[u8]>, Entry)>,
    index: HashTable<usize>,
    /// The index's words.
    filter: WordFilter,
    /// The first bytes of whole-word terms that start with a non-word
    /// character.
    leads: Vec<u8>,
    /// Every whole-word term, anchored; with the term of each automaton
    /// pattern.
    words: Option<DFA>,
    word_patterns: Vec<usize>,
    /// Terms that may match inside words, unanchored; with the term of each
    /// pattern.
    anywhere: Option<AhoCorasick>,
    anywhere_patterns: Vec<usize>,
}

impl TermMatcher {
    /// Compiles `terms` (each with whether it must match a whole word),
    /// normalized by `normalizer`. A term that normalizes to nothing is an
    /// error.
    pub fn new<S: AsRef<str>>(
        normalizer: Normalizer,
        terms: impl IntoIterator<Item = (S, bool)>,
    ) -> crate::Result<Self> {
        let mut patterns = Vec::new();
        let mut leads = Vec::new();
        let mut entries: Vec<(Box<[u8]>, Entry)> = Vec::new();
        let mut index = HashTable::new();
        let (mut words, mut word_patterns) = (Vec::new(), Vec::new());
        let (mut anywhere, mut anywhere_patterns) = (Vec::new(), Vec::new());
        for (term, (text, whole_word)) in terms.into_iter().enumerate() {
            let n = normalizer.normalize(text.as_ref());
            let skeleton = n.as_str();
            if skeleton.trim().is_empty() {
                return Err(crate::Error::EmptyTerm {
                    term: text.as_ref().to_owned(),
                });
            }
            let first_word = skeleton
                .split(|c| !is_word(c))
                .next()
                .filter(|w| !w.is_empty());
            let phrase = first_word.is_none_or(|w| w.len() < skeleton.len());
            patterns.push(Pattern {
                term,
                runs: (0..skeleton.len())
                    .map(|i| (i, n.run(i)))
                    .filter(|&(_, run)| run > 1)
                    .collect(),
                phrase,
            });
            if !whole_word {
                anywhere.push(skeleton.to_owned());
                anywhere_patterns.push(term);
                continue;
            }
            match first_word {
                Some(first) => {
                    let first = first.as_bytes();
                    let h = hash(first);
                    let at = match index.find(h, |&e: &usize| &*entries[e].0 == first) {
                        Some(&at) => at,
                        None => {
                            index.insert_unique(h, entries.len(), |&e| hash(&entries[e].0));
                            let head = word_head(first, 0..first.len());
                            entries.push((
                                first.into(),
                                Entry {
                                    head,
                                    ..Entry::default()
                                },
                            ));
                            entries.len() - 1
                        }
                    };
                    let entry = &mut entries[at].1;
                    if phrase {
                        let rest = &skeleton.as_bytes()[first.len()..];
                        entry.phrases.push((rest[0], rest.get(1).copied()));
                    } else {
                        entry.patterns.push(term);
                    }
                }
                None => {
                    let lead = skeleton.as_bytes()[0];
                    if !leads.contains(&lead) {
                        leads.push(lead);
                    }
                }
            }
            words.push(skeleton.to_owned());
            word_patterns.push(term);
        }
        let mut filter = WordFilter::default();
        for (word, _) in &entries {
            filter.insert(word);
        }
        let error = |e: aho_corasick::BuildError| crate::Error::Automaton(e.to_string());
        let words = if words.is_empty() {
            None
        } else {
            Some(
                aho_corasick::dfa::Builder::new()
                    .match_kind(MatchKind::Standard)
                    .start_kind(StartKind::Anchored)
                    .build(&words)
                    .map_err(error)?,
            )
        };
        let anywhere = if anywhere.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .kind(Some(AhoCorasickKind::DFA))
                    .match_kind(MatchKind::Standard)
                    .build(&anywhere)
                    .map_err(error)?,
            )
        };
        Ok(TermMatcher {
            normalizer,
            patterns,
            entries,
            index,
            filter,
            leads,
            words,
            word_patterns,
            anywhere,
            anywhere_patterns,
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
        self.for_each(text, |term, at| {
            out.push(TermMatch {
                term,
                span: text.original(at.clone()),
                normalized: {
                    let mut s = String::new();
                    text.push_at(at.clone(), &mut s);
                    s
                },
                skeleton: at,
            });
            true
        });
    }

    /// Whether any term matches.
    pub fn is_match(&self, text: &Normalized) -> bool {
        let mut found = false;
        self.for_each(text, |_, _| {
            found = true;
            false
        });
        found
    }

    /// Calls `f` with the term and the skeleton range of every match, until
    /// `f` returns `false`, allocating nothing. Whole-word matches come
    /// first, by start.
    pub fn for_each(&self, text: &Normalized, mut f: impl FnMut(usize, Range<usize>) -> bool) {
        let go_on = if text.has_seams() {
            self.walk_all(text, &mut f)
        } else {
            self.by_word(text, &mut f)
        };
        if !go_on {
            return;
        }
        let Some(ac) = &self.anywhere else { return };
        for m in ac.find_overlapping_iter(text.as_bytes()) {
            let p = &self.patterns[self.anywhere_patterns[m.pattern().as_usize()]];
            if runs_hold(p, text, m.start()) && !f(p.term, m.range()) {
                return;
            }
        }
    }

    /// Reads the text word by word: one-word terms by lookup, phrases by a
    /// walk from their first word (or their first character, when that is
    /// not a word's). Returns `false` when `f` asked to stop.
    ///
    /// The text is read 64 bytes at a time into a mask of its word bytes (and
    /// one of the bytes that may start a term with a non-word character);
    /// words are then found between the mask's edges, with no work for the
    /// bytes inside them.
    fn by_word(&self, text: &Normalized, f: &mut impl FnMut(usize, Range<usize>) -> bool) -> bool {
        if self.words.is_none() {
            return true;
        }
        let bytes = text.as_bytes();
        // Where the word being read started, and whether the byte before
        // this block was a word byte.
        let (mut start, mut carry) = (0, 0u64);
        for base in (0..bytes.len()).step_by(64) {
            let (words, leads) = self.masks(text, base);
            let before = (words << 1) | carry;
            let (starts, ends) = (words & !before, !words & before);
            // A term that starts with a non-word character starts after one.
            let leads = leads & !words & !before;
            let go_on = if leads == 0 {
                words_ending(base, (starts, ends), &mut start, |w| self.word(text, w, f))
            } else {
                self.events(text, base, (starts, ends, leads), &mut start, f)
            };
            if !go_on {
                return false;
            }
            carry = words >> 63;
        }
        carry == 0 || self.word(text, start..bytes.len(), f)
    }

    /// Reads a block's word starts, word ends and the starts of terms that
    /// start with a non-word character, in order.
    fn events(
        &self,
        text: &Normalized,
        base: usize,
        (starts, ends, leads): (u64, u64, u64),
        start: &mut usize,
        f: &mut impl FnMut(usize, Range<usize>) -> bool,
    ) -> bool {
        let mut events = starts | ends | leads;
        while events != 0 {
            let j = events.trailing_zeros();
            events &= events - 1;
            let i = base + j as usize;
            // Each byte is at most one of the three.
            let go_on = if starts >> j & 1 == 1 {
                *start = i;
                true
            } else if ends >> j & 1 == 1 {
                self.word(text, *start..i, f)
            } else {
                self.walk(text, i, true, f)
            };
            if !go_on {
                return false;
            }
        }
        true
    }

    /// The 64 skeleton bytes from `base` as two masks, bit `j` for byte
    /// `base + j`: the bytes of word characters, and the bytes that start a
    /// term with a non-word character. Bytes past the end are neither.
    #[inline]
    fn masks(&self, text: &Normalized, base: usize) -> (u64, u64) {
        let block = block_at(text.as_bytes(), base);
        let mask = |test: &dyn Fn(u8x16) -> u8x16| mask_of(&block, test);
        let leads = if self.leads.is_empty() {
            0
        } else {
            mask(&|v| self.leads.iter().fold(u8x16::ZERO, |m, &b| m | equal(v, b)))
        };
        // Bytes of characters that are not ASCII have their high bit set.
        if mask(&|v| v) == 0 {
            return (mask(&word_lanes), leads);
        }
        // Only a skeleton with a dense map holds such characters: its text
        // is at hand.
        let s = text.as_str();
        let bytes = &s.as_bytes()[base..s.len().min(base + 64)];
        // Characters that are not ASCII, decoded: from the one this block
        // starts inside.
        let mut words = 0;
        let (mut from, mut to) = (base, base + bytes.len());
        while !s.is_char_boundary(from) {
            from -= 1;
        }
        while !s.is_char_boundary(to) {
            to += 1;
        }
        for (k, c) in s[from..to].char_indices() {
            if is_word(c) {
                for at in (from + k).max(base)..from + k + c.len_utf8() {
                    if at < base + 64 {
                        words |= 1 << (at - base);
                    }
                }
            }
        }
        (words, leads)
    }

    /// Looks up one word of the text: the one-word terms it is, and the
    /// phrases that start with it.
    #[inline(always)]
    fn word(
        &self,
        text: &Normalized,
        at: Range<usize>,
        f: &mut impl FnMut(usize, Range<usize>) -> bool,
    ) -> bool {
        let bytes = text.as_bytes();
        let head = word_head(bytes, at.clone());
        if !self.filter.may_hold(at.len(), head) {
            return true;
        }
        let word = &bytes[at.clone()];
        let h = if word.len() <= 8 {
            mix(fold(word.len() as u64, head))
        } else {
            hash(word)
        };
        let same = |&e: &usize| {
            let (known, entry) = &self.entries[e];
            match word.len() {
                0..=8 => known.len() == word.len() && entry.head == head,
                _ => **known == *word,
            }
        };
        let Some(&e) = self.index.find(h, same) else {
            return true;
        };
        let entry = &self.entries[e].1;
        for &t in &entry.patterns {
            if runs_hold(&self.patterns[t], text, at.start) && !f(t, at.clone()) {
                return false;
            }
        }
        // A phrase is walked only where the bytes after the word could
        // continue it.
        let after = &text.as_bytes()[at.end..];
        let continues = entry
            .phrases
            .iter()
            .any(|&(a, b)| after.first() == Some(&a) && b.is_none_or(|b| after.get(1) == Some(&b)));
        !continues || self.walk(text, at.start, true, f)
    }

    /// Walks the anchored automaton from every place a word may start: the
    /// text's start, after a non-word character, or at a seam.
    fn walk_all(&self, text: &Normalized, f: &mut impl FnMut(usize, Range<usize>) -> bool) -> bool {
        let s = text.as_str();
        let mut after_word = false;
        for (i, c) in s.char_indices() {
            if (!after_word || text.seam(i)) && !self.walk(text, i, false, f) {
                return false;
            }
            after_word = is_word(c);
        }
        true
    }

    /// Walks the anchored automaton from skeleton byte `start`, reporting
    /// whole-word matches (only phrases when `phrases_only`).
    fn walk(
        &self,
        text: &Normalized,
        start: usize,
        phrases_only: bool,
        f: &mut impl FnMut(usize, Range<usize>) -> bool,
    ) -> bool {
        let Some(dfa) = &self.words else { return true };
        let bytes = text.as_bytes();
        let mut sid = dfa
            .start_state(Anchored::Yes)
            .expect("the automaton is anchored");
        for (j, &b) in bytes[start..].iter().enumerate() {
            sid = dfa.next_state(Anchored::Yes, sid, b);
            if !dfa.is_special(sid) {
                continue;
            }
            if dfa.is_dead(sid) {
                break;
            }
            if !dfa.is_match(sid) {
                continue;
            }
            let end = start + j + 1;
            for k in 0..dfa.match_len(sid) {
                let id = dfa.match_pattern(sid, k);
                // A term that merely ends here started later.
                if end - dfa.pattern_len(id) != start {
                    continue;
                }
                let p = &self.patterns[self.word_patterns[id.as_usize()]];
                if (p.phrase || !phrases_only)
                    && ends_word(text, end)
                    && runs_hold(p, text, start)
                    && !f(p.term, start..end)
                {
                    return false;
                }
            }
        }
        true
    }
}

/// Whether a whole-word match may end before skeleton byte `end`: at the
/// end, before a non-word character, or before a seam that joining left
/// ahead of a last letter.
fn ends_word(text: &Normalized, end: usize) -> bool {
    match text.char_at(end) {
        Some(c) if is_word(c) => {
            text.seam(end) && text.char_at(end + c.len_utf8()).is_none_or(|c| !is_word(c))
        }
        _ => true,
    }
}

/// Whether the text repeats each letter at least as often as the term.
fn runs_hold(p: &Pattern, text: &Normalized, start: usize) -> bool {
    p.runs.iter().all(|&(k, need)| text.run(start + k) >= need)
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

    /// Every match by brute force: each term tried at each character.
    fn naive(terms: &[(String, bool)], text: &Normalized) -> Vec<(usize, Range<usize>)> {
        let s = text.as_str();
        let mut out = Vec::new();
        for (term, (t, whole)) in terms.iter().enumerate() {
            let n = Normalizer::default().normalize(t);
            let t = n.as_str();
            for (i, _) in s.char_indices().filter(|(i, _)| s[*i..].starts_with(t)) {
                let end = i + t.len();
                let inside = s[..i].chars().next_back().is_some_and(is_word) && !text.seam(i);
                if *whole && (inside || !ends_word(text, end)) {
                    continue;
                }
                if (0..t.len()).all(|k| text.run(i + k) >= n.run(k)) {
                    out.push((term, i..end));
                }
            }
        }
        out.sort_by_key(|(t, r)| (r.start, r.end, *t));
        out
    }

    proptest::proptest! {
        #[test]
        fn the_automata_find_what_brute_force_finds(
            terms in proptest::collection::vec(("[abs1 .é]{1,4}", proptest::bool::ANY), 1..6),
            // Up to three blocks of 64 bytes.
            text in "[abs1@ .é-]{0,100}",
        ) {
            let terms: Vec<(String, bool)> = terms
                .into_iter()
                .filter(|(t, _)| !Normalizer::default().normalize(t).as_str().trim().is_empty())
                .collect();
            let m = TermMatcher::new(Normalizer::default(), terms.iter().map(|(t, w)| (t.as_str(), *w))).unwrap();
            let n = Normalizer::default().normalize(&text);
            let mut found: Vec<(usize, Range<usize>)> =
                m.find(&n).into_iter().map(|f| (f.term, f.skeleton)).collect();
            found.sort_by_key(|(t, r)| (r.start, r.end, *t));
            proptest::prop_assert_eq!(found, naive(&terms, &n));
        }
    }

    #[test]
    fn words_across_blocks_are_whole() {
        // Text is read in blocks of 64 bytes, with and without a term that
        // starts with a non-word character.
        let terms = [("ab", true), ("b", true), ("-ab", true)];
        for pad in 56..72 {
            for lead in ["é", "e"] {
                let text = format!("{lead}{}ab-", "-".repeat(pad));
                assert_eq!(found(&terms[..2], &text), ["ab"], "{text:?}");
                assert_eq!(found(&terms, &text), ["-ab", "ab"], "{text:?}");
            }
        }
    }

    #[test]
    fn nothing_to_match_is_fine_and_empty_terms_are_refused() {
        let m = TermMatcher::new(Normalizer::default(), Vec::<(&str, bool)>::new()).unwrap();
        assert!(!m.is_match(&Normalizer::default().normalize("anything")));
        assert!(TermMatcher::new(Normalizer::default(), [("\u{200B}", true)]).is_err());
    }
}
