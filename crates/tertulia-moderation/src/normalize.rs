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
//!    or more separated by spaces (`f u c k`), two or more separated by dots,
//!    hyphens or underscores (`f.u.c.k`, `d.p`);
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
    starts: Vec<u32>,
    ends: Vec<u32>,
    runs: Vec<u16>,
    /// Skeleton bytes where joining spaced letters may have glued a
    /// one-letter word on: the second and the last letter of a joined run.
    /// A seam counts as a word boundary (in "a b a d" the term "bad" may
    /// start after "a").
    seams: Vec<bool>,
    /// Scratch: the character stream before joining and collapsing.
    chars: Vec<Char>,
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
        if skeleton.is_empty() || skeleton.start >= self.starts.len() {
            return 0..0;
        }
        self.starts[skeleton.start] as usize..self.ends[skeleton.end - 1] as usize
    }

    /// How many times the character at skeleton byte `i` repeated.
    pub fn run(&self, i: usize) -> u16 {
        self.runs[i]
    }

    /// Whether skeleton byte `i` starts a letter that was joined to the one
    /// before it (a possible word boundary).
    pub fn seam(&self, i: usize) -> bool {
        self.seams.get(i).copied().unwrap_or(false)
    }

    fn clear(&mut self) {
        self.text.clear();
        self.starts.clear();
        self.ends.clear();
        self.runs.clear();
        self.seams.clear();
        self.chars.clear();
    }

    fn push(&mut self, c: Char, end: u32, run: u16) {
        let before = self.text.len();
        self.text.push(c.c);
        for _ in before..self.text.len() {
            self.starts.push(c.start);
            self.ends.push(end);
            self.runs.push(run);
            self.seams.push(c.seam);
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

/// The letter a digit stands for in leetspeak, or the letter itself.
#[inline]
fn leet_digit(b: u8) -> u8 {
    match b {
        b'0' => b'o',
        b'1' | b'l' => b'i',
        b'3' => b'e',
        b'4' => b'a',
        b'5' => b's',
        b'7' => b't',
        b'8' => b'b',
        other => other,
    }
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
        let o = self.options;
        // 1-4: one character stream, each character with its original span.
        for (i, c) in text.char_indices() {
            let (start, end) = (i as u32, (i + c.len_utf8()) as u32);
            if c.is_ascii() {
                out.chars.push(Char {
                    c: c.to_ascii_lowercase(),
                    start,
                    end,
                    seam: false,
                });
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
                    if o.confusables && !l.is_ascii() {
                        let mut buf = [0u8; 4];
                        for s in unicode_security::skeleton(l.encode_utf8(&mut buf)) {
                            for s in s.to_lowercase() {
                                out.chars.push(Char {
                                    c: s,
                                    start,
                                    end,
                                    seam: false,
                                });
                            }
                        }
                    } else {
                        out.chars.push(Char {
                            c: l,
                            start,
                            end,
                            seam: false,
                        });
                    }
                }
            };
            if o.fold_accents {
                decompose_compatible(c, &mut unfolded);
            } else {
                std::iter::once(c).nfkc().for_each(unfolded);
            }
        }
        if o.leet {
            leet(&mut out.chars);
        }
        if o.join_spaced {
            join_spaced(&mut out.chars);
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
}

/// Reads leetspeak in place: digits always; `@ $ | +` in a token (a run of
/// word characters and those symbols) of two or more characters; `!`
/// before a word character.
fn leet(chars: &mut [Char]) {
    let symbol = |c: char| matches!(c, '@' | '$' | '|' | '+');
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].c;
        if c.is_ascii_alphanumeric() {
            chars[i].c = leet_digit(c as u8) as char;
            i += 1;
        } else if symbol(c) {
            let mut j = i;
            while j < chars.len() && (symbol(chars[j].c) || is_word(chars[j].c)) {
                j += 1;
            }
            let long = j - i >= 2 || (i > 0 && is_word(chars[i - 1].c));
            for ch in &mut chars[i..j] {
                if ch.c.is_ascii_alphanumeric() {
                    ch.c = leet_digit(ch.c as u8) as char;
                } else if long && let Some(letter) = leet_symbol(ch.c) {
                    ch.c = letter;
                }
            }
            i = j.max(i + 1);
        } else {
            if c == '!' && chars.get(i + 1).is_some_and(|n| is_word(n.c)) {
                chars[i].c = 'i';
            }
            i += 1;
        }
    }
}

/// Joins three or more single word characters separated by one kind of
/// separator, marking each joined letter as a seam.
fn join_spaced(chars: &mut Vec<Char>) {
    let sep = |c: char| matches!(c, ' ' | '.' | '-' | '_');
    let single = |chars: &[Char], i: usize| {
        is_word(chars[i].c)
            && (i == 0 || !is_word(chars[i - 1].c))
            && (i + 1 >= chars.len() || !is_word(chars[i + 1].c))
    };
    let mut drop = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !single(chars, i) {
            i += 1;
            continue;
        }
        let first_sep = chars.get(i + 1).map(|c| c.c);
        let mut j = i;
        // A letter that opens a chain with another separator belongs to that
        // chain: in "a 2 g.i.r.l.s", "g" goes with "irls", not with "a 2".
        let opens_other_chain = |k: usize| {
            let other = chars.get(k + 1).map(|c| c.c);
            other != first_sep
                && (0..2).all(|step| {
                    let at = k + 2 * step;
                    at + 2 < chars.len()
                        && sep(chars[at + 1].c)
                        && Some(chars[at + 1].c) == other
                        && single(chars, at + 2)
                })
        };
        while j + 2 < chars.len()
            && sep(chars[j + 1].c)
            && Some(chars[j + 1].c) == first_sep
            && single(chars, j + 2)
            && !opens_other_chain(j + 2)
        {
            j += 2;
        }
        // Three letters for spaces ("a b c" can be words); two for dots,
        // hyphens and underscores, which separate no words ("d.p").
        let needed = if first_sep == Some(' ') { 3 } else { 2 };
        if (j - i) / 2 + 1 >= needed {
            for k in (i + 1..j).step_by(2) {
                drop.push(k);
            }
            // A one-letter word may have been joined at either end ("a b a d
            // d o g" holds "bad" after "a"): the second and the last letter
            // are seams, possible word starts and ends. Inner letters are not,
            // so "d i s p u t a" does not hold "puta".
            chars[i + 2].seam = true;
            chars[j].seam = true;
            i = j + 1;
        } else {
            // Too short: the next letter may start a sequence of its own.
            i += 1;
        }
    }
    if !drop.is_empty() {
        let mut d = drop.into_iter().peekable();
        let mut k = 0;
        chars.retain(|_| {
            let gone = d.peek() == Some(&k);
            if gone {
                d.next();
            }
            k += 1;
            !gone
        });
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
