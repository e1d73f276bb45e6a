//! Text read sixteen bytes at a time, for the tertulia crates that scan
//! text (moderation, sentiment): vectors of `wide` (SSE2 on x86-64, NEON on
//! AArch64, plain arrays elsewhere) in safe code, and bit masks from them.
//!
//! ```
//! use tertulia_core::lanes::{equal, mask};
//!
//! let text = b"a b  c";
//! // Bit `j` for byte `j`: the spaces.
//! assert_eq!(mask(text, 0, |v| equal(v, b' ')), 0b11010);
//! ```

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

/// `test` on the 64 bytes of `bytes` from `at` (zeros past the end) as a
/// bit mask, bit `j` for byte `at + j`.
#[inline(always)]
pub fn mask(bytes: &[u8], at: usize, test: impl Fn(u8x16) -> u8x16) -> u64 {
    mask_of(&block_at(bytes, at), test)
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
            let m = mask(&bytes, at, |v| within(v, b'a', b'z') | equal(v, 0xff));
            for k in 0..64 {
                let b = bytes.get(at + k).copied().unwrap_or(0);
                proptest::prop_assert_eq!(m >> k & 1 == 1, b.is_ascii_lowercase() || b == 0xff);
            }
        }
    }
}
