//! The normalizer: text as people mean it, with every offset kept.
//!
//! People who want past a filter write `fμ¢k`, `f u c k`, `fuuuuck`,
//! `f\u{200B}uck`, `ｆｕｃｋ` or `sh1t`. The normalizer turns each into one
//! *skeleton* that the matcher compares against equally normalized terms:
//!
//! 1. invisible characters are dropped (zero-width, bidi controls, soft
//!    hyphens);
//! 2. compatibility forms are unfolded (NFKC: fullwidth, ligatures,
//!    superscripts), and accents are dropped when `fold_accents` is on;
//! 3. letters are lower-cased, and non-ASCII lookalikes are replaced by the
//!    letter they imitate (Unicode UTS #39 confusables: Cyrillic `а`, Greek
//!    `ο`, ...);
//! 4. leetspeak is read: digits as letters (`0`→o, `1`→i, `3`→e, `4`→a,
//!    `5`→s, `7`→t, `8`→b), `@ $ | +` inside a word and `!` before a letter;
//!    `l` and `1` and `i` all become `i`, since any of them stands for the
//!    others;
//! 5. single letters separated by one kind of separator are joined: three
//!    or more separated by spaces (`f u c k`), two or more separated by dots or
//!    hyphens (`f.u.c.k`, `d.p`);
//! 6. runs of a repeated letter are collapsed to one, and the run length is
//!    kept: a term matches only where every letter repeats at least as
//!    often as in the term, so `fuuuck` matches `fuck` and `as` does not
//!    match `ass`.
//!
//! Each skeleton byte remembers the byte range of the original text it came
//! from, so a match is always reported in the original text. Most text is
//! ASCII with nothing to join: its skeleton byte `i` comes from original
//! byte `i` plus the bytes collapsed before it, so only the collapsed runs
//! are written down, and the text is read sixteen bytes at a time in
//! vector registers (SSE2 on x86-64, NEON on AArch64, through `wide`).

use std::ops::Range;

use serde::{Deserialize, Serialize};
use tertulia_core::lanes::{equal, sixteen_at, u8x16, within};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Which normalization steps run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct NormalizeOptions {
    /// Drop accents (é → e).
    pub fold_accents: bool,
    /// Read lookalike letters from other scripts as the letter they imitate.
    pub confusables: bool,
    /// Read digits and symbols as the letters they stand for.
    pub leet: bool,
    /// Join single letters separated by spaces or dots.
    pub join_spaced: bool,
    /// Collapse repeated letters.
    pub collapse_repeats: bool,
}

impl Default for NormalizeOptions {
    fn default() -> Self {
        NormalizeOptions {
            fold_accents: true,
            confusables: true,
            leet: true,
            join_spaced: true,
            collapse_repeats: true,
        }
    }
}

/// A normalized text: the skeleton, and for each of its bytes the original
/// byte range and the length of the run it collapsed.
///
/// Two are equal when their skeletons are, and each skeleton byte came from
/// the same place, whichever way the map is kept.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// The skeleton, with the dense map (the sparse map's is in `bytes`).
    text: String,
    /// How skeleton bytes map to the original.
    map: Map,
    /// The dense map: one entry per skeleton byte.
    meta: Vec<Meta>,
    /// The sparse map: the collapsed runs, by skeleton byte.
    repeats: Vec<Repeat>,
    /// Scratch: the character stream before joining and collapsing.
    chars: Vec<Char>,
    /// For ASCII text: its skeleton (the first `kept` bytes, with the
    /// sparse map; scratch beyond them), and its bytes read (for joining).
    bytes: Vec<u8>,
    kept: usize,
    read: Vec<u8>,
    /// Scratch: the separators joining drops and the seams it leaves.
    drops: Vec<usize>,
    seam_at: Vec<usize>,
}

impl PartialEq for Normalized {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
            && (0..self.len()).all(|i| {
                self.original(i..i + 1) == other.original(i..i + 1)
                    && self.run(i) == other.run(i)
                    && self.seam(i) == other.seam(i)
            })
    }
}

impl Eq for Normalized {}

/// Which map a [`Normalized`] keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Map {
    /// `meta`: text with other characters than ASCII, or joined letters.
    #[default]
    Dense,
    /// `repeats`: ASCII text where nothing was joined. Skeleton byte `i`
    /// comes from original byte `i` plus the bytes collapsed before it.
    Sparse,
}

/// A run of a repeated character that the sparse map collapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Repeat {
    /// The skeleton byte it became.
    at: u32,
    /// How many times the character repeated.
    len: u32,
    /// Bytes collapsed up to and including this run.
    shift: u32,
}

/// What a skeleton byte came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Meta {
    /// The original byte range.
    start: u32,
    end: u32,
    /// How many times its character repeated there.
    run: u16,
    /// Whether joining spaced letters may have glued a one-letter word on
    /// here (the second and the last letter of a joined run). A seam counts
    /// as a word boundary: in "a b a d" the term "bad" may start after "a".
    seam: bool,
}

/// One character of the stream: itself, its original span, and whether a
/// joined separator came just before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Char {
    c: char,
    start: u32,
    end: u32,
    seam: bool,
}

impl Normalized {
    /// The skeleton.
    ///
    /// The skeleton of ASCII text is kept as bytes and read as text here
    /// (checked, in time linear in its length): matching reads the bytes
    /// ([`Normalized::as_bytes`]), and no time goes to checking text nobody
    /// reads.
    pub fn as_str(&self) -> &str {
        match self.map {
            Map::Sparse => std::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            Map::Dense => &self.text,
        }
    }

    /// The skeleton's bytes.
    ///
    /// ```
    /// use tertulia_moderation::Normalizer;
    ///
    /// let n = Normalizer::default().normalize("Sooo B4D");
    /// assert_eq!(n.as_bytes(), b"so bad");
    /// assert_eq!(n.as_str(), "so bad");
    /// assert_eq!(n.original(3..6), 5..8);
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        match self.map {
            Map::Sparse => &self.bytes[..self.kept],
            Map::Dense => self.text.as_bytes(),
        }
    }

    /// The skeleton's length in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the skeleton is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the skeleton bytes `at` to `out`, if they lie on character
    /// boundaries (as matches of text do).
    pub(crate) fn push_at(&self, at: Range<usize>, out: &mut String) {
        match self.map {
            // ASCII, a byte at a time: cheaper than checking a few bytes.
            Map::Sparse => out.extend(
                self.as_bytes()
                    .get(at)
                    .unwrap_or_default()
                    .iter()
                    .map(|&b| char::from(b)),
            ),
            Map::Dense => out.push_str(self.text.get(at).unwrap_or_default()),
        }
    }

    /// The character that starts at skeleton byte `i`, if one does.
    pub(crate) fn char_at(&self, i: usize) -> Option<char> {
        match self.map {
            Map::Sparse => self.as_bytes().get(i).map(|&b| char::from(b)),
            Map::Dense => self.text.get(i..)?.chars().next(),
        }
    }

    /// The original byte range a skeleton byte range came from.
    pub fn original(&self, skeleton: Range<usize>) -> Range<usize> {
        if skeleton.is_empty() || skeleton.end > self.len() {
            return 0..0;
        }
        let last = skeleton.end - 1;
        match self.map {
            Map::Dense => self.meta[skeleton.start].start as usize..self.meta[last].end as usize,
            Map::Sparse => {
                let start = skeleton.start + self.shift_before(skeleton.start);
                let end = last + self.shift_before(last) + self.repeat_len(last);
                start..end
            }
        }
    }

    /// How many times the character at skeleton byte `i` repeated.
    pub fn run(&self, i: usize) -> u16 {
        match self.map {
            Map::Dense => self.meta.get(i).map_or(1, |m| m.run),
            Map::Sparse => u16::try_from(self.repeat_len(i)).unwrap_or(u16::MAX),
        }
    }

    /// Whether skeleton byte `i` starts a letter that was joined to the one
    /// before it (a possible word boundary).
    #[inline]
    pub fn seam(&self, i: usize) -> bool {
        self.map == Map::Dense && self.meta.get(i).is_some_and(|m| m.seam)
    }

    /// Whether joining spaced letters left seams, possible word boundaries
    /// inside words.
    pub(crate) fn has_seams(&self) -> bool {
        !self.seam_at.is_empty()
    }

    /// Bytes collapsed before skeleton byte `i` (sparse map).
    fn shift_before(&self, i: usize) -> usize {
        let k = self.repeats.partition_point(|r| (r.at as usize) < i);
        k.checked_sub(1)
            .map_or(0, |k| self.repeats[k].shift as usize)
    }

    /// The run length at skeleton byte `i` (sparse map).
    fn repeat_len(&self, i: usize) -> usize {
        self.repeats
            .binary_search_by_key(&i, |r| r.at as usize)
            .map_or(1, |k| self.repeats[k].len as usize)
    }

    fn clear(&mut self) {
        self.text.clear();
        self.kept = 0;
        self.map = Map::Dense;
        self.meta.clear();
        self.repeats.clear();
        self.chars.clear();
        self.read.clear();
        self.drops.clear();
        self.seam_at.clear();
    }

    fn push(&mut self, c: Char, end: u32, run: u16) {
        let before = self.text.len();
        self.text.push(c.c);
        for _ in before..self.text.len() {
            self.meta.push(Meta {
                start: c.start,
                end,
                run,
                seam: c.seam,
            });
        }
    }
}

/// Whether `bytes` are all ASCII, sixteen at a time, the last sixteen
/// overlapping (std's `is_ascii` reads what is left after 64-byte chunks one
/// byte at a time).
fn all_ascii(bytes: &[u8]) -> bool {
    let high = (0..bytes.len())
        .step_by(16)
        .fold(0, |m, at| m | sixteen_at(bytes, at));
    high & u128::from_le_bytes([0x80; 16]) == 0
}

/// Characters that change nothing a reader sees.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{E0000}'..='\u{E007F}')
}

/// A word character of the skeleton.
#[inline]
pub(crate) fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether each byte is an ASCII word character.
pub(crate) const WORD_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'_';
        i += 1;
    }
    t
};

/// Each ASCII byte lower-cased, and with `leet` read as the letter it stands
/// for in leetspeak (digits, and `l` read as `i`). A table, not a `match`: a
/// branch per letter of running text mispredicts at every other byte. (The
/// vector path does the same sixteen bytes at once, see [`lower`].)
const fn lower_table(leet: bool) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).to_ascii_lowercase();
        i += 1;
    }
    if !leet {
        return t;
    }
    let mut k = 0;
    while k < LEET_DIGITS.len() {
        let (digit, letter) = LEET_DIGITS[k];
        t[digit as usize] = letter;
        k += 1;
    }
    t[b'l' as usize] = b'i';
    t[b'L' as usize] = b'i';
    t
}

/// The digits leetspeak reads as letters.
const LEET_DIGITS: [(u8, u8); 7] = [
    (b'0', b'o'),
    (b'1', b'i'),
    (b'3', b'e'),
    (b'4', b'a'),
    (b'5', b's'),
    (b'7', b't'),
    (b'8', b'b'),
];

const LOWER: [u8; 256] = lower_table(false);
const LOWER_LEET: [u8; 256] = lower_table(true);

/// The leet symbols, which need their neighbours to be read.
const fn is_leet_symbol(b: u8) -> bool {
    matches!(b, b'@' | b'$' | b'|' | b'+' | b'!')
}

/// Leet symbols that stand for a letter inside a word.
#[inline]
fn leet_symbol(c: char) -> Option<char> {
    Some(match c {
        '@' => 'a',
        '$' => 's',
        '|' | '!' => 'i',
        '+' => 't',
        _ => return None,
    })
}

/// The normalizer. Cheap to clone; [`Normalizer::normalize_into`] reuses
/// the buffers of a [`Normalized`] so normalizing a stream allocates once.
///
/// ```
/// use tertulia_moderation::Normalizer;
///
/// let n = Normalizer::default();
/// let text = "so \u{200B}ｓ h 1 t !";
/// let out = n.normalize(text);
/// assert_eq!(out.as_str(), "so shit !");
/// // The skeleton's "shit" came from this part of the original:
/// let at = out.as_str().find("shit").unwrap();
/// assert_eq!(&text[out.original(at..at + 4)], "ｓ h 1 t");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Normalizer {
    options: NormalizeOptions,
}

impl Normalizer {
    /// A normalizer with these steps.
    pub fn new(options: NormalizeOptions) -> Self {
        Normalizer { options }
    }

    /// Its steps.
    pub fn options(&self) -> NormalizeOptions {
        self.options
    }

    /// `text` normalized into a new value.
    pub fn normalize(&self, text: &str) -> Normalized {
        let mut out = Normalized::default();
        self.normalize_into(text, &mut out);
        out
    }

    /// `text` normalized into `out`, reusing its buffers.
    pub fn normalize_into(&self, text: &str, out: &mut Normalized) {
        out.clear();
        if all_ascii(text.as_bytes()) {
            self.normalize_ascii(text.as_bytes(), out);
        } else {
            self.normalize_chars(text, out);
        }
    }

    /// Every step, character by character.
    fn normalize_chars(&self, text: &str, out: &mut Normalized) {
        let o = self.options;
        // 1-3: one character stream, each character with its original span.
        for (i, c) in text.char_indices() {
            let (start, end) = (i as u32, (i + c.len_utf8()) as u32);
            let mut push = |c: char| {
                out.chars.push(Char {
                    c,
                    start,
                    end,
                    seam: false,
                })
            };
            if c.is_ascii() {
                push(c.to_ascii_lowercase());
                continue;
            }
            if invisible(c) {
                continue;
            }
            let mut unfolded = |d: char| {
                if o.fold_accents && is_combining_mark(d) {
                    return;
                }
                for l in d.to_lowercase() {
                    // Only letters have lookalikes worth reading: "¡" is not "i".
                    if o.confusables && !l.is_ascii() && l.is_alphabetic() {
                        let mut buf = [0u8; 4];
                        for s in unicode_security::skeleton(l.encode_utf8(&mut buf)) {
                            s.to_lowercase().for_each(&mut push);
                        }
                    } else {
                        push(l);
                    }
                }
            };
            if o.fold_accents {
                decompose_compatible(c, &mut unfolded);
            } else {
                std::iter::once(c).nfkc().for_each(unfolded);
            }
        }
        // 4-5.
        if o.leet {
            leet(out.chars.as_mut_slice());
        }
        if o.join_spaced {
            join_plan(out.chars.as_slice(), &mut out.drops, &mut out.seam_at);
            for &k in &out.seam_at {
                out.chars[k].seam = true;
            }
            let mut drops = out.drops.iter().peekable();
            let mut k = 0;
            out.chars.retain(|_| {
                let gone = drops.peek() == Some(&&k);
                if gone {
                    drops.next();
                }
                k += 1;
                !gone
            });
        }
        // 6: collapse runs, keeping their lengths.
        let chars = std::mem::take(&mut out.chars);
        let mut k = 0;
        while k < chars.len() {
            let first = chars[k];
            let mut j = k + 1;
            if o.collapse_repeats && is_word(first.c) {
                while j < chars.len() && chars[j].c == first.c {
                    j += 1;
                }
            }
            let run = u16::try_from(j - k).unwrap_or(u16::MAX);
            out.push(first, chars[j - 1].end, run);
            k = j;
        }
        out.chars = chars;
    }

    /// The same steps on ASCII text in one pass, 64 bytes at a time: no
    /// decomposition, no lookalikes, and spans that are the bytes
    /// themselves. Each block is lower-cased and read as leetspeak sixteen
    /// bytes at a time, in vectors that also give masks of its word bytes,
    /// separators, leet symbols and repeats; the masks spot spaced letters
    /// and read most leet symbols, and the block is copied to the skeleton
    /// without its repeats, which go into the sparse map. No step branches
    /// on the bytes of running text. Only text with spaced letters takes the
    /// joining path. The skeleton stays in `bytes`: turning it into a `str`
    /// would check it, and matching reads bytes.
    fn normalize_ascii(&self, text: &[u8], out: &mut Normalized) {
        let o = self.options;
        let table = if o.leet { &LOWER_LEET } else { &LOWER };
        // Scratch with a block to spare (it only grows): written by index.
        let mut skeleton = std::mem::take(&mut out.bytes);
        if skeleton.len() < text.len() + 64 {
            skeleton.resize(text.len() + 64, 0);
        }
        // Skeleton bytes written; the token of leet symbols being read; the
        // block before's word and separator masks and last byte read.
        let (mut kept, mut token) = (0usize, Token::default());
        let (mut words_before, mut seps_before, mut last) = (0u64, 0u64, 0u8);
        let mut spaced = false;
        // Spaced letters: a word byte alone between two non-word bytes, a
        // separator, and another. Bit `j` looks back from byte `j`.
        let spaced_in = |words: u64, seps: u64, words_before: u64, seps_before: u64| {
            let back = |m: u64, before: u64, k: u32| (m << k) | (before >> (64 - k));
            !words
                & back(words, words_before, 1)
                & back(seps, seps_before, 2)
                & back(words, words_before, 3)
                & !back(words, words_before, 4)
                != 0
        };
        for base in (0..text.len()).step_by(64) {
            let n = (text.len() - base).min(64);
            // The block as read, and past its end zeros (neither word bytes
            // nor separators): 64 bytes more, so that any 64 from a byte of
            // the block can be copied at once.
            let mut block = [0u8; 128];
            let (mut words, mut seps, mut symbols, mut bangs) = (0u64, 0u64, 0u64, 0u64);
            // Whether a byte is the one before it again, as read.
            let mut read_again = 0u64;
            for k in (0..4).take_while(|k| 16 * k < n) {
                let (this, before) = chunk_lanes(text, base + 16 * k);
                let v = lower(this, o.leet);
                block[16 * k..16 * k + 16].copy_from_slice(&v.to_array());
                let bits = |m: u8x16| u64::from(m.to_bitmask()) << (16 * k);
                words |= bits(word_lanes(v));
                seps |= bits(separator_lanes(v));
                if o.leet {
                    symbols |= bits(symbol_lanes(v));
                    bangs |= bits(equal(v, b'!'));
                }
                read_again |= bits(v.simd_eq(lower(before, o.leet)));
            }
            // Leet symbols, read from the masks where they tell: the byte
            // after a `!`, and a token that ends inside the block (`!` is not
            // of a token). A symbol read as a letter is compared again, and so
            // is the byte after it, and the first with the block before's last.
            let read_words = words;
            let tokens = words | (symbols & !bangs);
            while symbols != 0 {
                let j = symbols.trailing_zeros();
                symbols &= symbols - 1;
                let i = base + j as usize;
                let after_word = ((words << 1) | (words_before >> 63)) >> j & 1 == 1;
                let letter = if bangs >> j & 1 == 1 {
                    let word_next = match j {
                        63 => text.get(i + 1).is_some_and(|&b| WORD_BYTE[usize::from(b)]),
                        _ => read_words >> (j + 1) & 1 == 1,
                    };
                    word_next.then_some('i')
                } else {
                    if i >= token.end {
                        let run = (!(tokens >> j)).trailing_zeros();
                        token = match j + run {
                            64 => Token::at(text, i, after_word),
                            _ => Token {
                                end: i + run as usize,
                                long: run >= 2 || after_word,
                            },
                        };
                    }
                    leet_symbol(char::from(text[i])).filter(|_| token.long)
                };
                if let Some(letter) = letter {
                    block[j as usize] = letter as u8;
                    words |= 1 << j;
                    for k in j.max(1)..(j + 2).min(64) {
                        let k = k as usize;
                        read_again &= !(1 << k);
                        read_again |= u64::from(block[k] == block[k - 1]) << k;
                    }
                }
            }
            read_again = (read_again & !1) | u64::from(block[0] == last);
            spaced |= spaced_in(words, seps, words_before, seps_before);
            // A repeat: a word byte equal to the one before.
            let repeats = if o.collapse_repeats {
                words & read_again
            } else {
                0
            };
            // The block goes in without its repeats, up to each with one
            // fixed-size copy: what it writes past them, the next copy
            // overwrites.
            let mut from = 0;
            let mut rest = repeats;
            while rest != 0 {
                let j = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                skeleton[kept..kept + 64].copy_from_slice(&block[from..from + 64]);
                kept += j - from;
                repeat(&mut out.repeats, kept - 1, base + j + 1 - kept);
                from = j + 1;
            }
            skeleton[kept..kept + 64].copy_from_slice(&block[from..from + 64]);
            kept += n - from;
            (words_before, seps_before, last) = (words, seps, block[n - 1]);
        }
        spaced |= spaced_in(0, 0, words_before, seps_before);
        if o.join_spaced && spaced {
            // Read again, whole, to plan the joining.
            let mut read = std::mem::take(&mut out.read);
            read.clear();
            read.extend(text.iter().map(|&b| table[usize::from(b)]));
            if o.leet {
                leet_symbols(read.as_mut_slice());
            }
            join_plan(read.as_slice(), &mut out.drops, &mut out.seam_at);
            let joined = !out.drops.is_empty();
            if joined {
                out.repeats.clear();
                collapse_joined(&read, o.collapse_repeats, out);
            }
            out.read = read;
            if joined {
                out.bytes = skeleton;
                return;
            }
        }
        out.map = Map::Sparse;
        out.kept = kept;
        out.bytes = skeleton;
    }
}

/// The lanes of ASCII `v` that hold word bytes: letters (either case),
/// digits and `_`.
#[inline(always)]
pub(crate) fn word_lanes(v: u8x16) -> u8x16 {
    within(v | u8x16::splat(0x20), b'a', b'z') | within(v, b'0', b'9') | equal(v, b'_')
}

/// The sixteen bytes of `text` from `at`, and the sixteen from `at - 1` (a
/// zero before the first).
#[inline(always)]
fn chunk_lanes(text: &[u8], at: usize) -> (u8x16, u8x16) {
    let this = sixteen_at(text, at);
    let before = match at {
        0 => this << 8,
        _ => sixteen_at(text, at - 1),
    };
    (
        u8x16::new(this.to_le_bytes()),
        u8x16::new(before.to_le_bytes()),
    )
}

/// ASCII lower-cased and, with `leet`, with the letters digits stand for:
/// [`LOWER`] or [`LOWER_LEET`], sixteen bytes at once.
#[inline(always)]
fn lower(v: u8x16, leet: bool) -> u8x16 {
    let mut v = v | (within(v, b'A', b'Z') & u8x16::splat(0x20));
    if leet {
        v ^= equal(v, b'l') & u8x16::splat(b'l' ^ b'i');
        if within(v, b'0', b'9').any() {
            for (digit, letter) in LEET_DIGITS {
                v ^= equal(v, digit) & u8x16::splat(digit ^ letter);
            }
        }
    }
    v
}

/// The leet symbols (see [`is_leet_symbol`]).
#[inline(always)]
fn symbol_lanes(v: u8x16) -> u8x16 {
    equal(v, b'@') | equal(v, b'$') | equal(v, b'|') | equal(v, b'+') | equal(v, b'!')
}

/// The separators joining reads: space, dot, hyphen.
#[inline(always)]
fn separator_lanes(v: u8x16) -> u8x16 {
    equal(v, b' ') | within(v, b'-', b'.')
}

/// Counts one more repeat of skeleton byte `at`, `shift` the bytes
/// collapsed so far with it.
#[inline]
fn repeat(repeats: &mut Vec<Repeat>, at: usize, shift: usize) {
    let (at, shift) = (at as u32, shift as u32);
    match repeats.last_mut() {
        Some(r) if r.at == at => {
            r.len += 1;
            r.shift = shift;
        }
        _ => repeats.push(Repeat { at, len: 2, shift }),
    }
}

/// Where the token of leet symbols being read ends, and whether it is long
/// enough (or follows a word character) for its symbols to be letters.
#[derive(Debug, Clone, Copy, Default)]
struct Token {
    end: usize,
    long: bool,
}

/// The letter the leet symbol at `i` stands for, if it stands for one: `!`
/// before a word character; `@ $ | +` in a token (a run of word characters
/// and those symbols) of two or more characters, or after a word character
/// (`after_word`, as the character before was read). Only the characters
/// ahead are looked at, and reading leetspeak keeps each one's word-ness, so
/// they may be read or not yet.
fn symbol_letter<S: Stream + ?Sized>(
    s: &S,
    i: usize,
    after_word: bool,
    token: &mut Token,
) -> Option<char> {
    let c = s.at(i);
    if c == '!' {
        return (i + 1 < s.len() && s.word(i + 1)).then_some('i');
    }
    if i >= token.end {
        *token = Token::at(s, i, after_word);
    }
    leet_symbol(c).filter(|_| token.long)
}

impl Token {
    /// The token that starts at `i`, read character by character.
    fn at<S: Stream + ?Sized>(s: &S, i: usize, after_word: bool) -> Token {
        let mut j = i;
        while j < s.len() && (matches!(s.at(j), '@' | '$' | '|' | '+') || s.word(j)) {
            j += 1;
        }
        Token {
            end: j,
            long: j - i >= 2 || after_word,
        }
    }
}

/// Collapses runs of ASCII text with joined letters into the skeleton and
/// its dense map: a run continues over the separators joining dropped.
fn collapse_joined(bytes: &[u8], collapse: bool, out: &mut Normalized) {
    let n = bytes.len();
    out.text.reserve(n);
    out.meta.reserve(n);
    let (mut drops, mut seams) = (0, 0);
    let mut k = 0;
    while k < n {
        if out.drops.get(drops) == Some(&k) {
            drops += 1;
            k += 1;
            continue;
        }
        let c = bytes[k];
        let seam = out.seam_at.get(seams) == Some(&k);
        seams += usize::from(seam);
        let (mut last, mut run) = (k, 1usize);
        if collapse && WORD_BYTE[usize::from(c)] {
            loop {
                let skip = usize::from(out.drops.get(drops) == Some(&(last + 1)));
                let next = last + 1 + skip;
                if next < n && bytes[next] == c {
                    drops += skip;
                    seams += usize::from(out.seam_at.get(seams) == Some(&next));
                    last = next;
                    run += 1;
                } else {
                    break;
                }
            }
        }
        out.text.push(c as char);
        out.meta.push(Meta {
            start: k as u32,
            end: last as u32 + 1,
            run: u16::try_from(run).unwrap_or(u16::MAX),
            seam,
        });
        k = last + 1;
    }
}

/// A character stream the leetspeak and joining passes read and rewrite:
/// characters with spans, or the bytes of ASCII text.
trait Stream {
    fn len(&self) -> usize;
    fn at(&self, i: usize) -> char;
    fn put(&mut self, i: usize, c: char);
    /// Whether character `i` is a word character.
    fn word(&self, i: usize) -> bool {
        is_word(self.at(i))
    }
}

impl Stream for [Char] {
    fn len(&self) -> usize {
        <[Char]>::len(self)
    }
    fn at(&self, i: usize) -> char {
        self[i].c
    }
    fn put(&mut self, i: usize, c: char) {
        self[i].c = c;
    }
}

impl Stream for [u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }
    fn at(&self, i: usize) -> char {
        self[i] as char
    }
    fn put(&mut self, i: usize, c: char) {
        // Leetspeak only ever writes ASCII letters.
        self[i] = c as u8;
    }
    fn word(&self, i: usize) -> bool {
        WORD_BYTE[usize::from(self[i])]
    }
}

/// Reads leetspeak in place: every ASCII character through the table, then
/// the symbols.
fn leet<S: Stream + ?Sized>(s: &mut S) {
    for i in 0..s.len() {
        let c = s.at(i);
        if c.is_ascii() {
            s.put(i, LOWER_LEET[c as usize] as char);
        }
    }
    leet_symbols(s);
}

/// Reads the leet symbols in place: `@ $ | +` in a token (a run of word
/// characters and those symbols) of two or more characters, or after a word
/// character; `!` before a word character.
fn leet_symbols<S: Stream + ?Sized>(s: &mut S) {
    let mut token = Token::default();
    for i in 0..s.len() {
        let c = s.at(i);
        if c.is_ascii()
            && is_leet_symbol(c as u8)
            && let Some(letter) = symbol_letter(s, i, i > 0 && s.word(i - 1), &mut token)
        {
            s.put(i, letter);
        }
    }
}

/// Plans the joining of single letters separated by one kind of
/// separator: the separators to drop (ascending) and the letters that become
/// seams.
fn join_plan<S: Stream + ?Sized>(s: &S, drops: &mut Vec<usize>, seams: &mut Vec<usize>) {
    let n = s.len();
    let sep = |c: char| matches!(c, ' ' | '.' | '-');
    let single =
        |i: usize| s.word(i) && (i == 0 || !s.word(i - 1)) && (i + 1 >= n || !s.word(i + 1));
    let mut i = 0;
    while i < n {
        // Most characters are not a single letter before a separator: one
        // comparison sends them on.
        if i + 2 >= n || !sep(s.at(i + 1)) || !single(i) {
            i += 1;
            continue;
        }
        let first_sep = s.at(i + 1);
        // A letter that opens a chain with another separator belongs to that
        // chain: in "a 2 g.i.r.l.s", "g" goes with "irls", not with "a 2".
        let opens_other_chain = |k: usize| {
            k + 1 < n
                && s.at(k + 1) != first_sep
                && (0..2).all(|step| {
                    let at = k + 2 * step;
                    at + 2 < n && sep(s.at(at + 1)) && s.at(at + 1) == s.at(k + 1) && single(at + 2)
                })
        };
        let mut j = i;
        while j + 2 < n && s.at(j + 1) == first_sep && single(j + 2) && !opens_other_chain(j + 2) {
            j += 2;
        }
        // Three letters for spaces ("a b c" can be words); two for dots and
        // hyphens, which separate no words ("d.p").
        let needed = if first_sep == ' ' { 3 } else { 2 };
        if (j - i) / 2 + 1 >= needed {
            drops.extend((i + 1..j).step_by(2));
            // A one-letter word may have been joined at either end ("a b a d
            // d o g" holds "bad" after "a"): the second and the last letter
            // are seams, possible word starts and ends. Inner letters are not,
            // so "d i s p u t a" does not hold "puta".
            seams.push(i + 2);
            if j != i + 2 {
                seams.push(j);
            }
            i = j + 1;
        } else {
            // Too short: the next letter may start a sequence of its own.
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skeleton(s: &str) -> String {
        Normalizer::default().normalize(s).as_str().to_owned()
    }

    #[test]
    fn disguises_fall_to_one_skeleton() {
        for disguised in [
            "fuck",
            "FUCK",
            "f\u{200B}u\u{200D}ck",
            "ｆｕｃｋ",
            "f u c k",
            "f.u.c.k",
            "fúck",
            "fuuuuck",
            "fu\u{0441}k",
            "ƒuck",
        ] {
            assert_eq!(skeleton(disguised), "fuck", "{disguised:?}");
        }
        assert_eq!(skeleton("sh1t"), "shit");
        assert_eq!(skeleton("$h!t"), "shit");
        assert_eq!(skeleton("@$$"), "as");
        assert_eq!(skeleton("hello!"), "heio!");
        assert_eq!(skeleton("a b"), "a b", "two letters are not joined");
    }

    #[test]
    fn offsets_point_into_the_original() {
        let text = "¡Qué ｐ\u{200B}ｕｔａ vida!";
        let n = Normalizer::default().normalize(text);
        let at = n.as_str().find("puta").unwrap();
        assert_eq!(&text[n.original(at..at + 4)], "ｐ\u{200B}ｕｔａ");
        let runs = Normalizer::default().normalize("fuuuck");
        assert_eq!(runs.as_str(), "fuck");
        assert_eq!(runs.run(1), 3);
        assert_eq!(&"fuuuck"[runs.original(1..2)], "uuu");
    }

    proptest::proptest! {
        #[test]
        fn all_ascii_is_is_ascii(text in "(\\PC|[a-z]{1,20}){0,40}") {
            proptest::prop_assert_eq!(all_ascii(text.as_bytes()), text.is_ascii());
        }

        #[test]
        fn the_ascii_path_agrees_with_the_general_one(
            // Up to three blocks of 64 bytes, runs and all.
            text in "([a-cA-CiIlLzZ0-9 .,#!@$|+\\-_]|aaa|b b|LlL){0,70}",
            options in proptest::array::uniform5(proptest::bool::ANY),
        ) {
            let [fold_accents, confusables, leet, join_spaced, collapse_repeats] = options;
            let n = Normalizer::new(NormalizeOptions { fold_accents, confusables, leet, join_spaced, collapse_repeats });
            let fast = n.normalize(&text);
            let mut general = Normalized::default();
            n.normalize_chars(&text, &mut general);
            proptest::prop_assert_eq!(fast.as_str(), general.as_str());
            // Whichever map each keeps, they must say the same thing.
            let len = fast.as_str().len();
            for i in 0..len {
                proptest::prop_assert_eq!(fast.run(i), general.run(i));
                proptest::prop_assert_eq!(fast.seam(i), general.seam(i));
                for j in i + 1..=len {
                    proptest::prop_assert_eq!(fast.original(i..j), general.original(i..j));
                }
            }
        }
    }

    #[test]
    fn what_crosses_a_block_reads_as_in_one() {
        let n = Normalizer::default();
        for pad in 56..72 {
            for pattern in ["a b c", "d.p", "aaa", "@$$", "x.y.z", "ab cd"] {
                for filler in ["#", "q"] {
                    let text = format!("{}{pattern} {}", filler.repeat(pad), filler.repeat(3));
                    let mut general = Normalized::default();
                    n.normalize_chars(&text, &mut general);
                    assert_eq!(n.normalize(&text), general, "{text:?}");
                }
            }
        }
    }

    #[test]
    fn steps_can_be_turned_off() {
        let plain = Normalizer::new(NormalizeOptions {
            fold_accents: false,
            confusables: false,
            leet: false,
            join_spaced: false,
            collapse_repeats: false,
        });
        assert_eq!(plain.normalize("Sh1t é").as_str(), "sh1t é");
    }
}
