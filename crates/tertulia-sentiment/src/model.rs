//! The lexicon model: VADER's algorithm, compiled for speed.

use std::borrow::Cow;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use hashbrown::HashMap;
use tertulia_core::Sentiment;
use tertulia_core::lanes::{self, WordFilter, equal, u8x16, within, word_head, words_ending};

use crate::error::{Error, Result};
use crate::lexicon::Lexicon;
use crate::rules::Rules;
use crate::{Scores, SentimentModel};

// VADER's empirically derived constants.
const CAPS_BOOST: f64 = 0.733;
const NEGATION: f64 = -0.74;
const EXCLAMATION: f64 = 0.292;
const MAX_EXCLAMATIONS: usize = 4;
const QUESTION: f64 = 0.18;
const MAX_QUESTIONS: usize = 3;
const MANY_QUESTIONS: f64 = 0.96;
const NORMALIZATION_ALPHA: f64 = 15.0;

/// A hasher for short words: eight bytes per multiplication.
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes(c.try_into().expect("eight bytes"));
            self.0 = (self.0.rotate_left(26) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
        let mut v = 0u64;
        for &b in chunks.remainder() {
            v = v << 8 | u64::from(b);
        }
        self.0 =
            (self.0.rotate_left(26) ^ v ^ bytes.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

type Table<V> = HashMap<Box<str>, V, BuildHasherDefault<WordHasher>>;

/// A hasher for words of up to seven bytes packed in a `u64`.
#[derive(Default)]
struct PackedHasher(u64);

impl Hasher for PackedHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        let h = (self.0 ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 29);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The longest word kept packed in a `u64` (the eighth byte is the length).
const PACKED: usize = 7;

/// A word of up to [`PACKED`] bytes as one number, from its [`word_head`]:
/// compared in one step.
fn pack(len: usize, head: u64) -> u64 {
    head | (len as u64) << 56
}

// What a word does, as bit flags.
const NEGATES: u16 = 1;
const CONTRAST: u16 = 1 << 1;
const BOOSTER: u16 = 1 << 2;
const NO: u16 = 1 << 3;
const NO_CARRIER: u16 = 1 << 4;
const NEVER: u16 = 1 << 5;
const INTENSIFIER: u16 = 1 << 6;
const WITHOUT: u16 = 1 << 7;
const DOUBT: u16 = 1 << 8;
const LEAST: u16 = 1 << 9;
const LEAST_EXCEPTION: u16 = 1 << 10;
/// The first word of a two-word booster ("kind" of "kind of").
const BIGRAM_HEAD: u16 = 1 << 11;
/// The first word of a phrase of the lexicon.
const PHRASE_HEAD: u16 = 1 << 12;
/// The first word of an idiom.
const IDIOM_HEAD: u16 = 1 << 13;

/// What the model knows about one word.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Word {
    /// Its valence, if the lexicon has it.
    valence: Option<f64>,
    /// What it adds as a booster (negative for a dampener).
    boost: f64,
    flags: u16,
}

/// A word of the text being scored.
#[derive(Debug, Clone, Copy)]
struct Token {
    /// Where its lower-case (and, if the rules say so, accent-free) form
    /// is in [`Scratch::lower`].
    lower: (u32, u32),
    /// Written in capitals (Python's `str.isupper`).
    upper: bool,
    /// Followed by punctuation that ends a clause.
    ends_clause: bool,
    word: Word,
}

/// Buffers reused from one text to the next by [`LexiconModel::scores_with`].
#[derive(Debug, Default)]
pub struct Scratch {
    lower: String,
    tokens: Vec<Token>,
    valences: Vec<f64>,
    /// The text's `!` and `?`, counted as it is read.
    marks: Marks,
}

/// How many `!` and `?` a text holds.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Marks {
    exclamations: usize,
    questions: usize,
}

impl Scratch {
    fn lower(&self, t: &Token) -> &str {
        &self.lower[t.lower.0 as usize..t.lower.1 as usize]
    }
}

/// A sequence of words with a valence: an idiom, a booster of two words, a
/// phrase of the lexicon.
#[derive(Debug, Clone)]
struct Phrase {
    words: Vec<Box<str>>,
    value: f64,
}

/// A lexicon with its rules, compiled: VADER's algorithm for any language.
///
/// With [`Rules::english`] and [`Lexicon::english`] it scores as
/// vaderSentiment 3.3.2 (the reference Python) does; see the README for how it
/// compares with the `vader_sentiment` crate on VADER's 4,200 rated tweets.
///
/// ```
/// use tertulia_sentiment::{LexiconModel, SentimentModel};
///
/// let en = LexiconModel::english();
/// let good = en.scores("The support team was great").compound.score();
/// let very = en.scores("The support team was VERY great!!").compound.score();
/// let not = en.scores("The support team was not great").compound.score();
/// assert!(very > good && good > 0.0 && not < 0.0);
///
/// let es = LexiconModel::spanish();
/// assert!(es.scores("El envío llegó rápido, muy contentos").compound.score() > 0.3);
/// assert!(es.scores("no me gusta nada, pesimo servicio").compound.score() < -0.3);
/// ```
#[derive(Debug, Clone)]
pub struct LexiconModel {
    /// Words of more than [`PACKED`] bytes.
    words: Table<Word>,
    /// Words of up to [`PACKED`] bytes, packed: most words of social text.
    short: HashMap<u64, Word, BuildHasherDefault<PackedHasher>>,
    /// The words of both tables: most words of a text are in neither, and
    /// are turned away here.
    filter: WordFilter,
    /// Idioms, then two-word boosters, then phrases of the lexicon.
    idioms: Vec<Phrase>,
    bigram_boosters: Vec<Phrase>,
    phrases: Vec<Phrase>,
    emoji: Emoji,
    negation_suffix: Option<Box<str>>,
    clause_bound: bool,
    fold_accents: bool,
    /// Buffers that [`SentimentModel::scores`] reuses.
    scratch: Reused,
}

/// The emoji a model reads as their descriptions.
#[derive(Debug, Clone, Default)]
struct Emoji {
    /// Which characters below U+0800 are emoji (`©`, `®`): text in a
    /// language with accents is read without a lookup per letter.
    low: [u64; 32],
    all: HashMap<char, Box<str>, BuildHasherDefault<WordHasher>>,
}

impl Emoji {
    fn with<'a>(mut self, emoji: impl IntoIterator<Item = (char, &'a str)>) -> Self {
        for (c, description) in emoji {
            let code = c as usize;
            if let Some(word) = self.low.get_mut(code / 64) {
                *word |= 1 << (code % 64);
            }
            self.all.insert(c, description.into());
        }
        self
    }

    /// Whether an ASCII character is one: ASCII text needs reading then.
    fn any_ascii(&self) -> bool {
        self.low[..2] != [0, 0]
    }

    fn get(&self, c: char) -> Option<&str> {
        let code = c as usize;
        match self.low.get(code / 64) {
            Some(word) if word >> (code % 64) & 1 == 0 => None,
            _ => self.all.get(&c).map(|d| &**d),
        }
    }
}

/// A [`Scratch`] kept by the model, so that [`SentimentModel::scores`]
/// allocates nothing once its buffers have grown. A model shared by threads
/// lends it to one at a time; the others, rather than wait, use buffers of
/// their own for that text.
#[derive(Debug, Default)]
struct Reused(std::sync::Mutex<Scratch>);

impl Clone for Reused {
    /// A fresh set of buffers: the copy's own.
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl LexiconModel {
    /// VADER for English: its lexicon, emoji descriptions and rules.
    pub fn english() -> Self {
        Self::new(&Lexicon::english(), &Rules::english()).expect("VADER's rules are valid")
    }

    /// Spanish with tertulia's built-in lexicon and rules, and VADER's emoji
    /// (whose English descriptions then find no Spanish words; add emoji
    /// you care about with [`LexiconModel::with_emoji`]).
    pub fn spanish() -> Self {
        Self::new(&Lexicon::spanish(), &Rules::spanish())
            .expect("the Spanish rules are valid")
            .with_emoji(SPANISH_EMOJI.iter().map(|&(c, d)| (c, d)))
    }

    /// Compiles a lexicon and rules. Fails if a rule word is empty or a
    /// booster or idiom value is not finite.
    pub fn new(lexicon: &Lexicon, rules: &Rules) -> Result<Self> {
        let fold = rules.fold_accents;
        let key = |w: &str| -> Box<str> { fold_word(&w.to_lowercase(), fold).into() };
        let mut model = LexiconModel {
            words: Table::default(),
            short: HashMap::default(),
            filter: WordFilter::default(),
            idioms: Vec::new(),
            bigram_boosters: Vec::new(),
            phrases: Vec::new(),
            emoji: Emoji::default().with(vader_sentiment::EMOJI_LEXICON.iter().filter_map(
                |(e, d)| {
                    let mut chars = e.chars();
                    // Text is read one character at a time, as in VADER:
                    // emoji of several characters never match.
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => Some((c, *d)),
                        _ => None,
                    }
                },
            )),
            scratch: Reused::default(),
            negation_suffix: rules.negation_suffix.as_deref().map(Box::from),
            clause_bound: rules.clause_bound,
            fold_accents: fold,
        };
        for (term, valence) in lexicon.iter() {
            let words: Vec<Box<str>> = term.split_whitespace().map(key).collect();
            if words.len() == 1 {
                model.word(&words[0]).valence = Some(valence);
            } else {
                model.word(&words[0]).flags |= PHRASE_HEAD;
                model.phrases.push(Phrase {
                    words,
                    value: valence,
                });
            }
        }
        let one = |what: &str, w: &str| -> Result<Box<str>> {
            let k = key(w);
            if k.is_empty() || k.contains(char::is_whitespace) {
                return Err(Error::Rules(format!(
                    "{what} {w:?} must be one word, not empty"
                )));
            }
            Ok(k)
        };
        let finite = |what: &str, w: &str, v: f64| -> Result<()> {
            if v.is_finite() {
                Ok(())
            } else {
                Err(Error::Rules(format!(
                    "the {what} {w:?} has value {v}: use a finite number"
                )))
            }
        };
        for w in &rules.negations {
            let k = one("the negation", w)?;
            model.word(&k).flags |= NEGATES;
        }
        for w in &rules.contrast {
            let k = one("the contrast word", w)?;
            model.word(&k).flags |= CONTRAST;
        }
        for (w, boost) in &rules.boosters {
            finite("booster", w, *boost)?;
            let words: Vec<Box<str>> = w.split_whitespace().map(key).collect();
            match words.len() {
                1 => {
                    let word = model.word(&words[0]);
                    word.flags |= BOOSTER;
                    word.boost = *boost;
                }
                2 => {
                    model.word(&words[0]).flags |= BIGRAM_HEAD;
                    model.bigram_boosters.push(Phrase {
                        words,
                        value: *boost,
                    });
                }
                _ => {
                    return Err(Error::Rules(format!(
                        "the booster {w:?} must be one or two words"
                    )));
                }
            }
        }
        for (w, value) in &rules.idioms {
            finite("idiom", w, *value)?;
            let words: Vec<Box<str>> = w.split_whitespace().map(key).collect();
            if words.is_empty() {
                return Err(Error::Rules("an idiom is empty".to_owned()));
            }
            model.word(&words[0]).flags |= IDIOM_HEAD;
            model.idioms.push(Phrase {
                words,
                value: *value,
            });
        }
        let mut flag_all = |flag: u16, list: &[String], what: &str| -> Result<()> {
            for w in list {
                let k = one(what, w)?;
                model.word(&k).flags |= flag;
            }
            Ok(())
        };
        if let Some((no, carriers)) = &rules.no {
            flag_all(NO, std::slice::from_ref(no), "\"no\"")?;
            flag_all(NO_CARRIER, carriers, "the word after \"no\"")?;
        }
        if let Some((never, intensifiers)) = &rules.never {
            flag_all(NEVER, std::slice::from_ref(never), "\"never\"")?;
            flag_all(INTENSIFIER, intensifiers, "the intensifier after \"never\"")?;
        }
        if let Some((without, doubt)) = &rules.without_doubt {
            flag_all(WITHOUT, std::slice::from_ref(without), "\"without\"")?;
            flag_all(DOUBT, std::slice::from_ref(doubt), "\"doubt\"")?;
        }
        if let Some((least, exceptions)) = &rules.least {
            flag_all(LEAST, std::slice::from_ref(least), "\"least\"")?;
            flag_all(LEAST_EXCEPTION, exceptions, "the exception to \"least\"")?;
        }
        // Longest phrases first, so "kind of death" loses to nothing shorter.
        model
            .phrases
            .sort_by_key(|p| std::cmp::Reverse(p.words.len()));
        let words = std::mem::take(&mut model.words);
        for (key, word) in words {
            model.filter.insert(key.as_bytes());
            if key.len() <= PACKED {
                let head = word_head(key.as_bytes(), 0..key.len());
                model.short.insert(pack(key.len(), head), word);
            } else {
                model.words.insert(key, word);
            }
        }
        Ok(model)
    }

    /// Adds or replaces emoji descriptions: each emoji (one character) is
    /// read as its description, so a description in the model's language
    /// gives the emoji that language's valence.
    pub fn with_emoji<'a>(mut self, emoji: impl IntoIterator<Item = (char, &'a str)>) -> Self {
        self.emoji = self.emoji.with(emoji);
        self
    }

    fn word(&mut self, key: &str) -> &mut Word {
        self.words.entry(key.into()).or_default()
    }

    /// Scores `text` with buffers from `scratch`, allocating nothing once they
    /// have grown: the fast path for scoring a stream.
    pub fn scores_with(&self, text: &str, scratch: &mut Scratch) -> Scores {
        let text = self.prepare(text);
        self.tokenize(&text, scratch);
        let n = scratch.tokens.len();
        let upper = scratch.tokens.iter().filter(|t| t.upper).count();
        let caps_differ = upper > 0 && upper < n;
        scratch.valences.clear();
        let mut skip = 0;
        let mut words = 0;
        for i in 0..n {
            let t = scratch.tokens[i];
            // Words inside a phrase, boosters ("very", the "kind" of "kind
            // of") weigh nothing themselves.
            let modifier = t.word.flags & BOOSTER != 0
                || (t.word.flags & BIGRAM_HEAD != 0
                    && self.starts(scratch, i, &self.bigram_boosters).is_some());
            let v = if skip > 0 {
                skip -= 1;
                0.0
            } else if modifier {
                0.0
            } else {
                let mut word = t.word;
                if t.word.flags & PHRASE_HEAD != 0
                    && let Some(p) = self.starts(scratch, i, &self.phrases)
                {
                    word.valence = Some(p.value);
                    skip = p.words.len() - 1;
                }
                self.valence(scratch, i, word, caps_differ)
            };
            words += u32::from(v != 0.0);
            scratch.valences.push(v);
        }
        if let Some(but) = scratch
            .tokens
            .iter()
            .position(|t| t.word.flags & CONTRAST != 0)
        {
            for (i, v) in scratch.valences.iter_mut().enumerate() {
                if i < but {
                    *v *= 0.5;
                } else if i > but {
                    *v *= 1.5;
                }
            }
        }
        total(&scratch.valences, scratch.marks, words)
    }

    /// Decodes the HTML entities that platforms leave in text (`&amp;`,
    /// `&gt;`: "&gt;:[" is the emoticon ">:["), then VADER's emoji step:
    /// each emoji becomes its description, after a space.
    fn prepare<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let text = tertulia_core::decode_entities(text);
        if (text.is_ascii() && !self.emoji.any_ascii())
            || !text.chars().any(|c| self.emoji.get(c).is_some())
        {
            return text;
        }
        let mut out = String::with_capacity(text.len() + 32);
        let mut after_space = true;
        for c in text.chars() {
            if let Some(d) = self.emoji.get(c) {
                if !after_space {
                    out.push(' ');
                }
                out.push_str(d);
                after_space = false;
            } else {
                out.push(c);
                after_space = c == ' ';
            }
        }
        Cow::Owned(out)
    }

    /// Splits on white space and looks each word up, without the
    /// punctuation around it unless the lexicon has it with (emoticons).
    fn tokenize(&self, text: &str, scratch: &mut Scratch) {
        scratch.lower.clear();
        scratch.tokens.clear();
        if text.is_ascii() {
            self.tokenize_ascii(text, scratch);
        } else {
            self.tokenize_chars(text, scratch);
        }
    }

    /// [`LexiconModel::tokenize`] for ASCII text.
    fn tokenize_ascii(&self, text: &str, scratch: &mut Scratch) {
        let Scratch {
            lower,
            tokens,
            marks,
            ..
        } = scratch;
        *marks = Marks::default();
        // Lower-case the whole text at once; words are ranges of it.
        lower.push_str(text);
        lower.make_ascii_lowercase();
        // Words are runs of bytes that are not white space, read from bit
        // masks of 64 bytes at a time: where a word starts and ends, its
        // letters' case, and the punctuation around it.
        let bytes = text.as_bytes();
        let (mut start, mut carry) = (0, 0u64);
        for base in (0..bytes.len()).step_by(64) {
            let block = lanes::block_at(bytes, base);
            let mask = |test: fn(u8x16) -> u8x16| lanes::mask_of(&block, test);
            let past_end = (!0u64)
                .checked_shl((bytes.len() - base) as u32)
                .unwrap_or(0);
            let word = !(mask(space_lanes) | past_end);
            let (upper, lower_case) = (
                mask(|v| within(v, b'A', b'Z')),
                mask(|v| within(v, b'a', b'z')),
            );
            let punctuation = mask(punctuation_lanes);
            marks.exclamations += mask(|v| equal(v, b'!')).count_ones() as usize;
            marks.questions += mask(|v| equal(v, b'?')).count_ones() as usize;
            let before = word << 1 | carry;
            let edges = (word & !before, !word & before);
            words_ending(base, edges, &mut start, |at| {
                let (start, end) = (at.start, at.end);
                let raw = &bytes[at];
                let (upper, around) = if start >= base {
                    let (s, e) = ((start - base) as u32, (end - base) as u32);
                    let inside = (!0u64 >> (64 - (e - s))) << s;
                    let lead = (!(punctuation >> s)).trailing_zeros().min(e - s);
                    let trail = (!(punctuation << (64 - e))).leading_zeros().min(e - s);
                    let trail = if lead == e - s { 0 } else { trail };
                    (
                        upper & inside != 0 && lower_case & inside == 0,
                        (lead as usize, trail as usize),
                    )
                } else {
                    ascii_shape(raw)
                };
                tokens.push(self.token(raw, lower, (start, end), upper, around));
                true
            });
            carry = word >> 63;
        }
        if carry == 1 {
            let raw = &bytes[start..];
            let (upper, around) = ascii_shape(raw);
            tokens.push(self.token(raw, lower, (start, bytes.len()), upper, around));
        }
    }

    /// [`LexiconModel::tokenize`] character by character, for text that is
    /// not all ASCII.
    fn tokenize_chars(&self, text: &str, scratch: &mut Scratch) {
        let Scratch {
            lower,
            tokens,
            marks,
            ..
        } = scratch;
        let count = |mark: u8| text.bytes().filter(|&b| b == mark).count();
        *marks = Marks {
            exclamations: count(b'!'),
            questions: count(b'?'),
        };
        for raw in text.split(is_space).filter(|s| !s.is_empty()) {
            let start = lower.len();
            let (mut any_upper, mut any_lower) = (false, false);
            for c in raw.chars() {
                if c.is_ascii() {
                    any_upper |= c.is_ascii_uppercase();
                    any_lower |= c.is_ascii_lowercase();
                    lower.push(c.to_ascii_lowercase());
                    continue;
                }
                any_upper |= c.is_uppercase();
                any_lower |= c.is_lowercase();
                for l in c.to_lowercase() {
                    lower.push(if self.fold_accents { fold_char(l) } else { l });
                }
            }
            tokens.push(self.token(
                raw.as_bytes(),
                lower,
                (start, lower.len()),
                any_upper && !any_lower,
                punctuation_around(raw.as_bytes()),
            ));
        }
    }

    /// The word `lower[at]`.
    #[inline(always)]
    fn lookup(&self, lower: &str, at: Range<usize>) -> Option<Word> {
        let head = word_head(lower.as_bytes(), at.clone());
        if !self.filter.may_hold(at.len(), head) {
            return None;
        }
        if at.len() <= PACKED {
            self.short.get(&pack(at.len(), head)).copied()
        } else {
            self.words.get(&lower[at]).copied()
        }
    }

    /// Looks up the word `raw`, whose lower-case form is `lower` from
    /// `start` to `end`: as written when the lexicon has it so (emoticons:
    /// ":)", ":-(", ":l"), else without the punctuation around it.
    #[inline(always)]
    fn token(
        &self,
        raw: &[u8],
        lower: &str,
        (start, end): (usize, usize),
        upper: bool,
        (lead, trail): (usize, usize),
    ) -> Token {
        // Punctuation is ASCII and its own lower case: the stripped word is
        // the same bytes in the lower-case form.
        let inner = (start + lead, end - trail);
        let lookup = |(a, b): (usize, usize)| self.lookup(lower, a..b);
        // The token as written first, when the lexicon has it so: ":l" is
        // an emoticon (-1.7), not the word "l" (+2.0) with punctuation.
        let (range, word) = if lead + trail == 0 {
            (inner, lookup(inner))
        } else {
            match lookup((start, end)) {
                Some(w) if w.valence.is_some() => ((start, end), Some(w)),
                whole if inner.0 >= inner.1 => ((start, end), whole),
                _ => (inner, lookup(inner)),
            }
        };
        let mut word = word.unwrap_or_default();
        // Most words do not hold the suffix's punctuation (the `'` of
        // "n't"): one pass over the bytes before comparing windows.
        let word_bytes = &lower.as_bytes()[range.0..range.1];
        if let Some(suffix) = &self.negation_suffix
            && let Some(key) =
                (suffix.bytes().find(|b| !b.is_ascii_alphanumeric())).or(suffix.bytes().last())
            && word_bytes.contains(&key)
            && word_bytes
                .windows(suffix.len())
                .any(|w| w == suffix.as_bytes())
        {
            word.flags |= NEGATES;
        }
        Token {
            lower: (range.0 as u32, range.1 as u32),
            upper,
            ends_clause: matches!(raw.last(), Some(b',' | b';' | b':' | b'.' | b'!' | b'?')),
            word,
        }
    }

    /// The phrase of `list` that the words from `i` spell, if any.
    fn starts<'p>(&self, s: &Scratch, i: usize, list: &'p [Phrase]) -> Option<&'p Phrase> {
        list.iter().find(|p| self.spells(s, i, p))
    }

    /// Whether the words from `i` are `p`'s.
    fn spells(&self, s: &Scratch, i: usize, p: &Phrase) -> bool {
        s.tokens.len() >= i + p.words.len()
            && p.words
                .iter()
                .zip(&s.tokens[i..])
                .all(|(w, t)| **w == *s.lower(t))
    }

    /// Whether the words `range` make one of `list`, whose first words are
    /// flagged `head`; its value.
    fn sequence(
        &self,
        s: &Scratch,
        range: Range<usize>,
        list: &[Phrase],
        head: u16,
    ) -> Option<f64> {
        if s.tokens[range.start].word.flags & head == 0 {
            return None;
        }
        list.iter()
            .find(|p| p.words.len() == range.len() && self.spells(s, range.start, p))
            .map(|p| p.value)
    }

    /// The valence of the lexicon word at `i` after the words before it.
    fn valence(&self, s: &Scratch, i: usize, word: Word, caps_differ: bool) -> f64 {
        let Some(base) = word.valence else {
            return 0.0;
        };
        let tokens = &s.tokens;
        let flag = |j: usize, f: u16| tokens[j].word.flags & f != 0;
        let mut v = base;
        // "no" weighs nothing before the word it negates ("no problem"), but
        // a run of "no"s is a loud no (vaderSentiment 3.3.2 scores "NO NO
        // NO" positive: each "no" negates the next).
        let is_no = word.flags & NO != 0;
        if is_no && i + 1 < tokens.len() && tokens[i + 1].word.valence.is_some() && !flag(i + 1, NO)
        {
            v = 0.0;
        }
        if !is_no
            && ((i > 0 && flag(i - 1, NO))
                || (i > 1 && flag(i - 2, NO))
                || (i > 2 && flag(i - 3, NO) && flag(i - 1, NO_CARRIER)))
        {
            v = base * NEGATION;
        }
        if tokens[i].upper && caps_differ {
            v += if v > 0.0 { CAPS_BOOST } else { -CAPS_BOOST };
        }
        for back in 1..=3 {
            if i < back || (self.clause_bound && tokens[i - back].ends_clause) {
                break;
            }
            if tokens[i - back].word.valence.is_some() {
                continue;
            }
            let before = &tokens[i - back];
            if before.word.flags & BOOSTER != 0 {
                let mut b = if v < 0.0 {
                    -before.word.boost
                } else {
                    before.word.boost
                };
                if before.upper && caps_differ {
                    b += if v > 0.0 { CAPS_BOOST } else { -CAPS_BOOST };
                }
                v += b * [1.0, 0.95, 0.9][back - 1];
            }
            v = match back {
                1 if before.word.flags & NEGATES != 0 => v * NEGATION,
                2 if flag(i - 2, NEVER) && flag(i - 1, INTENSIFIER) => v * 1.25,
                2 if flag(i - 2, WITHOUT) && flag(i - 1, DOUBT) => v,
                2 if before.word.flags & NEGATES != 0 => v * NEGATION,
                3 if (flag(i - 3, NEVER) && flag(i - 2, INTENSIFIER))
                    || flag(i - 1, INTENSIFIER) =>
                {
                    v * 1.25
                }
                3 if flag(i - 3, WITHOUT) && (flag(i - 2, DOUBT) || flag(i - 1, DOUBT)) => v,
                3 if before.word.flags & NEGATES != 0 => v * NEGATION,
                _ => v,
            };
            if back == 3 {
                v = self.idioms(s, i, v);
            }
        }
        if i > 0
            && tokens[i - 1].word.valence.is_none()
            && flag(i - 1, LEAST)
            && (i == 1 || !flag(i - 2, LEAST_EXCEPTION))
        {
            v *= NEGATION;
        }
        v
    }

    /// VADER's idiom step, for a word with three words before it.
    fn idioms(&self, s: &Scratch, i: usize, mut v: f64) -> f64 {
        let n = s.tokens.len();
        let around = [i - 1..i + 1, i - 2..i + 1, i - 2..i, i - 3..i, i - 3..i - 1];
        if let Some(value) = around
            .into_iter()
            .find_map(|r| self.sequence(s, r, &self.idioms, IDIOM_HEAD))
        {
            v = value;
        }
        if n > i + 1
            && let Some(value) = self.sequence(s, i..i + 2, &self.idioms, IDIOM_HEAD)
        {
            v = value;
        }
        if n > i + 2
            && let Some(value) = self.sequence(s, i..i + 3, &self.idioms, IDIOM_HEAD)
        {
            v = value;
        }
        for r in [i - 3..i, i - 3..i - 1, i - 2..i] {
            if let Some(b) = self.sequence(s, r, &self.bigram_boosters, BIGRAM_HEAD) {
                v += b;
            }
        }
        v
    }
}

impl SentimentModel for LexiconModel {
    fn scores(&self, text: &str) -> Scores {
        match self.scratch.0.try_lock() {
            Ok(mut scratch) => self.scores_with(text, &mut scratch),
            // A panic while scoring leaves only buffers that the next text
            // clears.
            Err(std::sync::TryLockError::Poisoned(p)) => {
                self.scores_with(text, &mut p.into_inner())
            }
            Err(std::sync::TryLockError::WouldBlock) => {
                self.scores_with(text, &mut Scratch::default())
            }
        }
    }
}

/// Python's `str.split()` white space.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// How many bytes of ASCII punctuation `raw` starts with, and ends with
/// (none at the end when it is all punctuation).
fn punctuation_around(raw: &[u8]) -> (usize, usize) {
    let lead = raw.iter().take_while(|b| b.is_ascii_punctuation()).count();
    let trail = if lead == raw.len() {
        0
    } else {
        raw.iter()
            .rev()
            .take_while(|b| b.is_ascii_punctuation())
            .count()
    };
    (lead, trail)
}

/// Whether an ASCII word is in capitals (Python's `str.isupper`), and
/// [`punctuation_around`] it: what the masks say of a word inside a block,
/// for one across two.
fn ascii_shape(raw: &[u8]) -> (bool, (usize, usize)) {
    let upper = raw.iter().any(u8::is_ascii_uppercase) && !raw.iter().any(u8::is_ascii_lowercase);
    (upper, punctuation_around(raw))
}

/// White space as Python's `str.split()` sees it (and [`is_space`]), in
/// ASCII.
#[inline(always)]
fn space_lanes(v: u8x16) -> u8x16 {
    within(v, 0x09, 0x0d) | within(v, 0x1c, 0x20)
}

/// ASCII punctuation, as [`u8::is_ascii_punctuation`].
#[inline(always)]
fn punctuation_lanes(v: u8x16) -> u8x16 {
    within(v, b'!', b'/') | within(v, b':', b'@') | within(v, b'[', b'`') | within(v, b'{', b'~')
}

/// VADER's sum: "!" and "?" push the total away from zero, then it is
/// normalized into `[-1, 1]`; the positive, negative and neutral shares
/// count each neutral word as one.
fn total(valences: &[f64], marks: Marks, words: u32) -> Scores {
    if valences.is_empty() {
        return Scores::neutral();
    }
    let exclamations = marks.exclamations.min(MAX_EXCLAMATIONS);
    let questions = marks.questions;
    let question_boost = match questions {
        0 | 1 => 0.0,
        q if q <= MAX_QUESTIONS => q as f64 * QUESTION,
        _ => MANY_QUESTIONS,
    };
    let emphasis = exclamations as f64 * EXCLAMATION + question_boost;
    let mut sum: f64 = valences.iter().sum();
    if sum > 0.0 {
        sum += emphasis;
    } else if sum < 0.0 {
        sum -= emphasis;
    }
    let compound = (sum / (sum * sum + NORMALIZATION_ALPHA).sqrt()).clamp(-1.0, 1.0);
    let (mut positive, mut negative, mut neutral) = (0.0, 0.0, 0.0);
    for &v in valences {
        if v > 0.0 {
            positive += v + 1.0;
        } else if v < 0.0 {
            negative += v - 1.0;
        } else {
            neutral += 1.0;
        }
    }
    if positive > -negative {
        positive += emphasis;
    } else if positive < -negative {
        negative -= emphasis;
    }
    let all = positive - negative + neutral;
    Scores {
        compound: Sentiment::new(compound)
            .unwrap_or_else(|_| Sentiment::new(0.0).expect("0 is a sentiment")),
        positive: positive / all,
        negative: -negative / all,
        neutral: neutral / all,
        words,
    }
}

/// Lower-case letters without their accents, keeping ñ.
fn fold_char(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        c => c,
    }
}

fn fold_word(w: &str, fold: bool) -> Cow<'_, str> {
    if fold && !w.is_ascii() {
        Cow::Owned(w.chars().map(fold_char).collect())
    } else {
        Cow::Borrowed(w)
    }
}

/// Spanish descriptions of the emoji most used about brands.
const SPANISH_EMOJI: &[(char, &str)] = &[
    ('😀', "feliz"),
    ('😁', "feliz"),
    ('😂', "risa"),
    ('🤣', "risa"),
    ('😊', "contento"),
    ('😍', "encanta"),
    ('🥰', "encanta"),
    ('😘', "cariño"),
    ('🙂', "bien"),
    ('😉', "bien"),
    ('👍', "bien"),
    ('👏', "bravo"),
    ('🙌', "genial"),
    ('💪', "fuerza"),
    ('🎉', "celebración"),
    ('❤', "amor"),
    ('💕', "amor"),
    ('🔥', "genial"),
    ('⭐', "excelente"),
    ('😞', "triste"),
    ('😢', "triste"),
    ('😭', "llorando"),
    ('😠', "enfadado"),
    ('😡', "furioso"),
    ('🤬', "furioso"),
    ('🤮', "asco"),
    ('🤢', "asco"),
    ('👎', "mal"),
    ('💩', "basura"),
    ('😤', "enfadado"),
    ('🙄', "harto"),
    ('😒', "molesto"),
    ('😱', "horror"),
    ('💔', "decepción"),
];

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn ascii_words_are_read_as_character_by_character(
            // Up to three blocks of 64 bytes: words, capitals, punctuation,
            // every kind of white space.
            text in "([a-cA-CnNtT'!?.,:()]|\\t|\\n|\\x0b|\\x1c| |  |HAPPY|n't|:\\)){0,90}",
        ) {
            static MODEL: std::sync::LazyLock<LexiconModel> =
                std::sync::LazyLock::new(LexiconModel::english);
            let model = &*MODEL;
            let (mut fast, mut general) = (Scratch::default(), Scratch::default());
            model.tokenize_ascii(&text, &mut fast);
            model.tokenize_chars(&text, &mut general);
            // The ASCII path keeps the whole text lower-cased, the other only
            // its words: the same words, wherever they are.
            let read = |s: &Scratch| -> Vec<_> {
                s.tokens
                    .iter()
                    .map(|t| (s.lower(t).to_owned(), t.upper, t.ends_clause, t.word))
                    .collect()
            };
            proptest::prop_assert_eq!(read(&fast), read(&general));
            proptest::prop_assert_eq!(fast.marks, general.marks);
        }
    }

    fn c(model: &LexiconModel, text: &str) -> f64 {
        model.scores(text).compound.score()
    }

    #[test]
    fn emoticons_written_with_letters_keep_their_sign() {
        let en = LexiconModel::english();
        for (emoticon, valence) in [(":l", -1.7), ("=l", -1.2), (":L", -1.7)] {
            let s = en.scores(emoticon);
            assert!(s.compound.score() < 0.0, "{emoticon}: {s:?}");
            assert_eq!(s.words, 1, "{emoticon}");
            let alone = en.scores(&format!("meh {emoticon}"));
            assert!(
                alone.compound.score() < 0.0,
                "{emoticon}: {alone:?} (valence {valence})"
            );
        }
        // A word with punctuation the lexicon does not list is the word.
        assert!(en.scores("good!").compound.score() > 0.0);
        assert!(en.scores("(good)").compound.score() > 0.0);
        // VADER 3.3.2's lexicon as it is: "heart" is positive.
        assert!(en.scores("heart").compound.score() > 0.5);
    }

    /// Values from vaderSentiment 3.3.2's own examples (its README), to
    /// three decimals as it prints them.
    #[test]
    fn matches_the_reference_examples() {
        let en = LexiconModel::english();
        let cases = [
            ("VADER is smart, handsome, and funny.", 0.8316),
            ("VADER is smart, handsome, and funny!", 0.8439),
            ("VADER is very smart, handsome, and funny.", 0.8545),
            ("VADER is VERY SMART, handsome, and FUNNY.", 0.9227),
            ("VADER is VERY SMART, handsome, and FUNNY!!!", 0.9342),
            (
                "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
                0.9469,
            ),
            ("VADER is not smart, handsome, nor funny.", -0.7424),
            ("The book was good.", 0.4404),
            ("At least it isn't a horrible book.", 0.431),
            ("The book was only kind of good.", 0.3832),
            (
                "The plot was good, but the characters are uncompelling and the dialog is not great.",
                -0.7042,
            ),
            ("Today SUX!", -0.5461),
            ("Today only kinda sux! But I'll get by, lol", 0.5249),
            ("Make sure you :) or :D today!", 0.8633),
            ("Not bad at all", 0.431),
        ];
        for (text, expected) in cases {
            let got = c(&en, text);
            assert!(
                (got - expected).abs() < 5e-4,
                "{text:?}: {got} vs {expected}"
            );
        }
    }

    #[test]
    fn empty_and_wordless_texts_are_neutral() {
        let en = LexiconModel::english();
        assert!(
            c(&en, "Catch utf-8 emoji such as 😁") > 0.3,
            "emoji read as their description"
        );
        for text in ["", "   ", "the of and", "?!?!"] {
            let s = en.scores(text);
            assert_eq!(s.compound.score(), 0.0, "{text:?}");
            assert_eq!(s.words, 0);
        }
    }

    #[test]
    fn emoji_below_u0800_and_ones_added_are_read() {
        // "©" is one of VADER's emoji below U+0800, where the model keeps
        // bits; "í" and "#" are not, until they are added.
        let en = LexiconModel::english();
        assert!(en.emoji.get('©').is_some() && en.emoji.get('😍').is_some());
        assert!(en.emoji.get('í').is_none() && en.emoji.get('a').is_none());
        assert_eq!(c(&en, "¡sí!"), 0.0);
        let loving = en.clone().with_emoji([('í', "love"), ('#', "love")]);
        assert!(c(&loving, "¡sí!") > 0.5);
        // An ASCII emoji is read in ASCII text too.
        assert_eq!(c(&en, "#"), 0.0);
        assert!(c(&loving, "#") > 0.5);
    }

    #[test]
    fn threads_sharing_a_model_score_as_one_alone() {
        // The model lends its buffers to one thread at a time; the others
        // use their own. Either way the scores are the same.
        let en = LexiconModel::english();
        let texts = [
            "I love it!!",
            "not good at all",
            "Meh 😐",
            "VERY bad, but fine",
        ];
        let alone: Vec<f64> = texts.iter().map(|t| c(&en, t)).collect();
        std::thread::scope(|scope| {
            let runs: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        (0..500)
                            .flat_map(|_| texts.iter().map(|t| c(&en, t)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for run in runs {
                let got = run.join().unwrap();
                assert!(got.chunks(texts.len()).all(|chunk| chunk == alone));
            }
        });
    }

    #[test]
    fn spanish_rules_negate_boost_and_turn() {
        let es = LexiconModel::spanish();
        let bueno = c(&es, "el producto es bueno");
        assert!(bueno > 0.3);
        assert!(c(&es, "el producto es muy bueno") > bueno);
        assert!(c(&es, "el producto no es bueno") < 0.0);
        assert!(c(&es, "el producto es BUENO y barato") > c(&es, "el producto es bueno y barato"));
        assert!(c(&es, "es bueno, pero la atención fue pésima") < 0.0);
        assert!(c(&es, "sin duda es excelente") > 0.5);
        assert_eq!(c(&es, "pesimo"), c(&es, "pésimo"), "accents are optional");
        assert!(c(&es, "me encanta 😍") > c(&es, "me encanta"));
    }

    #[test]
    fn loaded_phrases_score_as_one_word() {
        let mut lexicon = Lexicon::new();
        lexicon.insert("caso omiso", -2.0).unwrap();
        lexicon.insert("caso", 1.0).unwrap();
        let model = LexiconModel::new(&lexicon, &Rules::spanish()).unwrap();
        let s = model.scores("hicieron caso omiso");
        assert_eq!(s.words, 1);
        assert!(s.compound.score() < 0.0);
        assert!(model.scores("me hicieron caso").compound.score() > 0.0);
    }

    static MODELS: std::sync::LazyLock<[LexiconModel; 2]> =
        std::sync::LazyLock::new(|| [LexiconModel::english(), LexiconModel::spanish()]);

    proptest::proptest! {
        #[test]
        fn any_text_gives_scores_in_range(text in "\\PC{0,80}") {
            for model in MODELS.iter() {
                let s = model.scores(&text);
                let c = s.compound.score();
                proptest::prop_assert!((-1.0..=1.0).contains(&c));
                let total = s.positive + s.negative + s.neutral;
                proptest::prop_assert!(total == 0.0 || (total - 1.0).abs() < 1e-9);
                // Reusing buffers changes nothing.
                let mut scratch = Scratch::default();
                model.scores_with("warm up the buffers, NOT BAD!", &mut scratch);
                proptest::prop_assert_eq!(model.scores_with(&text, &mut scratch), s);
            }
        }
    }

    #[test]
    fn bad_rules_are_refused() {
        let mut rules = Rules::english();
        rules.boosters.push(("way too much".to_owned(), 0.3));
        assert!(LexiconModel::new(&Lexicon::new(), &rules).is_err());
        let mut rules = Rules::english();
        rules.negations.push(" ".to_owned());
        assert!(LexiconModel::new(&Lexicon::new(), &rules).is_err());
        let mut rules = Rules::english();
        rules.idioms.push(("x y".to_owned(), f64::INFINITY));
        assert!(LexiconModel::new(&Lexicon::new(), &rules).is_err());
    }
}
