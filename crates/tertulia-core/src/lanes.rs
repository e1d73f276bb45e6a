//! Text read in wide loads, for the tertulia crates that scan text
//! (moderation, sentiment): vectors of sixteen bytes from `wide` (SSE2 on
//! x86-64, NEON on AArch64, plain arrays elsewhere) in safe code, bit masks
//! from them, and words looked at eight bytes at a time.
//!
//! ```
//! use tertulia_core::lanes::{block_at, equal, mask_of};
//!
//! let text = b"a b  c";
//! // Bit `j` for byte `j`: the spaces.
//! assert_eq!(mask_of(&block_at(text, 0), |v| equal(v, b' ')), 0b11010);
//! ```

use std::ops::Range;

pub use wide::u8x16;

/// Sixteen bytes of `bytes` from `at` (little endian), zeros past the end.
/// Read from inside the bytes: a vector loaded from bytes just copied into
/// a buffer would wait for the copy to land.
#[inline(always)]
pub fn sixteen_at(bytes: &[u8], at: usize) -> u128 {
    let load = |from: usize| {
        u128::from_le_bytes(bytes[from..from + 16].try_into().expect("sixteen bytes"))
    };
    let len = bytes.len();
    if at + 16 <= len {
        load(at)
    } else if at >= len {
        0
    } else if len >= 16 {
        // The last sixteen bytes, moved down.
        load(len - 16) >> (8 * (at + 16 - len))
    } else {
        bytes[at..]
            .iter()
            .rev()
            .fold(0, |x, &b| x << 8 | u128::from(b))
    }
}

/// [`sixteen_at`] as a vector.
#[inline(always)]
pub fn lanes_at(bytes: &[u8], at: usize) -> u8x16 {
    u8x16::new(sixteen_at(bytes, at).to_le_bytes())
}

/// The lanes of `v` equal to `b`.
#[inline(always)]
pub fn equal(v: u8x16, b: u8) -> u8x16 {
    v.simd_eq(u8x16::splat(b))
}

/// The lanes of `v` in `lo..=hi`.
#[inline(always)]
pub fn within(v: u8x16, lo: u8, hi: u8) -> u8x16 {
    let d = v - u8x16::splat(lo);
    d.min(u8x16::splat(hi - lo)).simd_eq(d)
}

/// The 64 bytes of `bytes` from `at`, zeros past the end, as four vectors.
#[inline(always)]
pub fn block_at(bytes: &[u8], at: usize) -> [u8x16; 4] {
    std::array::from_fn(|k| lanes_at(bytes, at + 16 * k))
}

/// `test` on a block as a bit mask, bit `j` for byte `j`: set where `test`
/// sets the lane.
#[inline(always)]
pub fn mask_of(block: &[u8x16; 4], test: impl Fn(u8x16) -> u8x16) -> u64 {
    (0..4).fold(0, |m, k| {
        m | u64::from(test(block[k]).to_bitmask()) << (16 * k)
    })
}

/// The first eight bytes (at most) of the word `bytes[at]`, little endian,
/// zeros after it: one load of eight bytes where the text has them.
#[inline(always)]
pub fn word_head(bytes: &[u8], at: Range<usize>) -> u64 {
    let n = at.len().min(8);
    if bytes.len() < 8 {
        return bytes[at]
            .iter()
            .take(8)
            .rev()
            .fold(0, |v, &b| v << 8 | u64::from(b));
    }
    // The eight bytes from the word's start, or the last eight.
    let from = at.start.min(bytes.len() - 8);
    let v = u64::from_le_bytes(bytes[from..from + 8].try_into().expect("eight bytes"));
    (v >> (8 * (at.start - from))) & u64::MAX.checked_shr(64 - 8 * n as u32).unwrap_or(0)
}

/// The words that end in a block of 64 bytes at `base`, from the masks of
/// where words start and end in it (bit `j` for byte `base + j`): `f` gets
/// each, in order, until it returns `false`. Starts and ends alternate, so
/// each end closes the word of the start before it; the first may close a
/// word from an earlier block, which `start` holds, and `start` is left at
/// a word still open at the block's end.
///
/// ```
/// use tertulia_core::lanes::words_ending;
///
/// // "ab cd" then a word still open: starts at 0, 3 and 6, ends at 2 and 5.
/// let (mut start, mut words) = (0, vec![]);
/// words_ending(0, (0b100_1001, 0b10_0100), &mut start, |w| {
///     words.push(w);
///     true
/// });
/// assert_eq!((words, start), (vec![0..2, 3..5], 6));
/// ```
#[inline(always)]
pub fn words_ending(
    base: usize,
    (mut starts, mut ends): (u64, u64),
    start: &mut usize,
    mut f: impl FnMut(Range<usize>) -> bool,
) -> bool {
    while ends != 0 {
        if starts.trailing_zeros() < ends.trailing_zeros() {
            *start = base + starts.trailing_zeros() as usize;
            starts &= starts - 1;
        }
        let end = base + ends.trailing_zeros() as usize;
        ends &= ends - 1;
        if !f(*start..end) {
            return false;
        }
    }
    if starts != 0 {
        *start = base + starts.trailing_zeros() as usize;
    }
    true
}

/// A set of words as bits of an 8 KiB filter (in the first-level cache),
/// each keyed by its length and [`word_head`] in one multiplication: a word
/// not in the set is nearly always turned away before any hash of it is
/// taken. A word in the set is always let through.
///
/// ```
/// use tertulia_core::lanes::{WordFilter, word_head};
///
/// let mut filter = WordFilter::default();
/// filter.insert(b"happy");
/// let text = b"so happy";
/// assert!(filter.may_hold(5, word_head(text, 3..8)));
/// ```
#[derive(Debug, Clone)]
pub struct WordFilter {
    bits: Box<[u64]>,
}

impl Default for WordFilter {
    fn default() -> Self {
        WordFilter {
            bits: vec![0; 1 << (Self::BITS - 6)].into_boxed_slice(),
        }
    }
}

impl WordFilter {
    /// 2^16 bits.
    const BITS: u32 = 16;

    /// Adds `word`.
    pub fn insert(&mut self, word: &[u8]) {
        let bit = Self::bit(word.len(), word_head(word, 0..word.len()));
        self.bits[bit >> 6] |= 1 << (bit & 63);
    }

    /// Whether the word of `len` bytes that starts with `head` (its
    /// [`word_head`]) may be in the set.
    #[inline(always)]
    pub fn may_hold(&self, len: usize, head: u64) -> bool {
        let bit = Self::bit(len, head);
        self.bits[bit >> 6] >> (bit & 63) & 1 == 1
    }

    #[inline(always)]
    fn bit(len: usize, head: u64) -> usize {
        (head
            .wrapping_add(len as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            >> (64 - Self::BITS)) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn lanes_are_the_bytes_then_zeros(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..70),
            at in 0usize..80,
        ) {
            let got = sixteen_at(&bytes, at).to_le_bytes();
            for (k, &b) in got.iter().enumerate() {
                proptest::prop_assert_eq!(b, bytes.get(at + k).copied().unwrap_or(0));
            }
            let m = mask_of(&block_at(&bytes, at), |v| within(v, b'a', b'z') | equal(v, 0xff));
            for k in 0..64 {
                let b = bytes.get(at + k).copied().unwrap_or(0);
                proptest::prop_assert_eq!(m >> k & 1 == 1, b.is_ascii_lowercase() || b == 0xff);
            }
        }

        #[test]
        fn a_word_head_is_its_first_eight_bytes_and_the_filter_keeps_every_word(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 1..40),
            start in 0usize..40,
            len in 1usize..20,
        ) {
            let start = start % bytes.len();
            let end = (start + len).min(bytes.len());
            let head = word_head(&bytes, start..end);
            let expected = bytes[start..end]
                .iter()
                .take(8)
                .rev()
                .fold(0u64, |v, &b| v << 8 | u64::from(b));
            proptest::prop_assert_eq!(head, expected);
            let mut filter = WordFilter::default();
            filter.insert(&bytes[start..end]);
            proptest::prop_assert!(filter.may_hold(end - start, head));
        }
    }
}
