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
//! from, so a match is always reported in the original text.

use std::ops::Range;

use serde::{Deserialize, Serialize};
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    text: String,
    /// One per skeleton byte.
    meta: Vec<Meta>,
    /// Scratch: the character stream before joining and collapsing.
    chars: Vec<Char>,
    /// Scratch for ASCII text: its bytes, lower-cased and read.
    bytes: Vec<u8>,
    /// Scratch: the separators joining drops and the seams it leaves.
    drops: Vec<usize>,
    seam_at: Vec<usize>,
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
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The original byte range a skeleton byte range came from.
    pub fn original(&self, skeleton: Range<usize>) -> Range<usize> {
        if skeleton.is_empty() || skeleton.end > self.meta.len() {
            return 0..0;
        }
        self.meta[skeleton.start].start as usize..self.meta[skeleton.end - 1].end as usize
    }

    /// How many times the character at skeleton byte `i` repeated.
    pub fn run(&self, i: usize) -> u16 {
        self.meta[i].run
    }

    /// Whether skeleton byte `i` starts a letter that was joined to the one
    /// before it (a possible word boundary).
    pub fn seam(&self, i: usize) -> bool {
        self.meta.get(i).is_some_and(|m| m.seam)
    }

    fn clear(&mut self) {
        self.text.clear();
        self.meta.clear();
        self.chars.clear();
        self.bytes.clear();
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

/// The letter each ASCII byte stands for in leetspeak (digits, and `l`
/// read as `i`), itself otherwise. A table, not a `match`: a branch per
/// letter of running text mispredicts at every other byte.
const LEET: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        t[i] = i as u8;
        i += 1;
    }
    t[b'0' as usize] = b'o';
    t[b'1' as usize] = b'i';
    t[b'l' as usize] = b'i';
    t[b'3' as usize] = b'e';
    t[b'4' as usize] = b'a';
    t[b'5' as usize] = b's';
    t[b'7' as usize] = b't';
    t[b'8' as usize] = b'b';
    t
};

/// The letter a digit stands for in leetspeak, or the letter itself.
#[inline]
fn leet_digit(b: u8) -> u8 {
    LEET[usize::from(b & 0x7f)]
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
        if text.is_ascii() {
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

    /// The same steps on ASCII text, byte by byte: no decomposition, no
    /// lookalikes, and spans that are the bytes themselves.
    fn normalize_ascii(&self, text: &[u8], out: &mut Normalized) {
        let o = self.options;
        let mut bytes = std::mem::take(&mut out.bytes);
        if o.leet {
            bytes.extend(text.iter().map(u8::to_ascii_lowercase));
            leet(bytes.as_mut_slice());
        } else {
            bytes.extend(text.iter().map(u8::to_ascii_lowercase));
        }
        if o.join_spaced && has_spaced_letters(&bytes) {
            join_plan(bytes.as_slice(), &mut out.drops, &mut out.seam_at);
        }
        let n = bytes.len();
        out.text.reserve(n);
        out.meta.reserve(n);
        let word = |c: u8| o.collapse_repeats && (c.is_ascii_alphanumeric() || c == b'_');
        if out.drops.is_empty() {
            // Nothing joined: runs are contiguous. A repeat (rare) extends
            // the last character; everything else is pushed.
            let mut prev = 0u8;
            for (k, &c) in bytes.iter().enumerate() {
                if c == prev
                    && word(c)
                    && let Some(last) = out.meta.last_mut()
                {
                    last.run = last.run.saturating_add(1);
                    last.end = k as u32 + 1;
                    continue;
                }
                out.text.push(c as char);
                out.meta.push(Meta {
                    start: k as u32,
                    end: k as u32 + 1,
                    run: 1,
                    seam: false,
                });
                prev = c;
            }
        } else {
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
                // A run continues over joined letters: skip dropped separators.
                let (mut last, mut run) = (k, 1usize);
                if word(c) {
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
        out.bytes = bytes;
    }
}

/// Whether two single word characters stand separated by one space, dot or
/// hyphen anywhere (the least joining needs): most texts have none, and skip
/// the joining pass. The last five characters' classes ride in a shift
/// register, so the scan has no branch.
fn has_spaced_letters(b: &[u8]) -> bool {
    const OTHER: u32 = 0;
    const WORD: u32 = 1;
    const SEP: u32 = 2;
    let class = |c: u8| -> u32 {
        if c.is_ascii_alphanumeric() || c == b'_' {
            WORD
        } else if matches!(c, b' ' | b'.' | b'-') {
            SEP
        } else {
            OTHER
        }
    };
    // Text padded with an "other" character at both ends.
    let mut r = OTHER;
    let mut any = false;
    for c in b.iter().map(|&c| class(c)).chain(std::iter::once(OTHER)) {
        r = ((r << 2) | c) & 0x3ff;
        let at = |k: u32| (r >> (2 * k)) & 3;
        any |=
            (at(4) != WORD) & (at(3) == WORD) & (at(2) == SEP) & (at(1) == WORD) & (at(0) != WORD);
    }
    any
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
        self[i].is_ascii_alphanumeric() || self[i] == b'_'
    }
}

/// Reads leetspeak in place: digits always; `@ $ | +` in a token (a run of
/// word characters and those symbols) of two or more characters, or after a
/// word character; `!` before a word character. Every ASCII character goes
/// through the table, and only the rare symbols take a branch of their own.
fn leet<S: Stream + ?Sized>(s: &mut S) {
    let symbol = |c: char| matches!(c, '@' | '$' | '|' | '+');
    let n = s.len();
    let (mut token_end, mut long) = (0, false);
    for i in 0..n {
        let c = s.at(i);
        if c.is_ascii() {
            s.put(i, leet_digit(c as u8) as char);
        }
        if !matches!(c, '@' | '$' | '|' | '+' | '!') {
            continue;
        }
        if c == '!' {
            if i + 1 < n && s.word(i + 1) {
                s.put(i, 'i');
            }
            continue;
        }
        if i >= token_end {
            let mut j = i;
            while j < n && (symbol(s.at(j)) || s.word(j)) {
                j += 1;
            }
            token_end = j;
            long = j - i >= 2 || (i > 0 && s.word(i - 1));
        }
        if long && let Some(letter) = leet_symbol(c) {
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
        fn the_ascii_path_agrees_with_the_general_one(
            text in "[a-cA-C0-5 .!@$|+\\-_]{0,40}",
            options in proptest::array::uniform5(proptest::bool::ANY),
        ) {
            let [fold_accents, confusables, leet, join_spaced, collapse_repeats] = options;
            let n = Normalizer::new(NormalizeOptions { fold_accents, confusables, leet, join_spaced, collapse_repeats });
            let fast = n.normalize(&text);
            let mut general = Normalized::default();
            n.normalize_chars(&text, &mut general);
            proptest::prop_assert_eq!(fast.as_str(), general.as_str());
            proptest::prop_assert_eq!(&fast.meta, &general.meta);
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
