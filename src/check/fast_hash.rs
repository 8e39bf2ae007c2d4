//! A fast hasher for the checkers' lookup-only maps, keyed by strings borrowed from the history.
//!
//! std's default SipHash resists hash flooding, which a history read from our own run does not
//! need, and was a fifth of the checkers' time on a million records. This is the multiply-rotate
//! word hash of rustc's `FxHasher`, written here in a few lines: fixed, unseeded, so a map built
//! with it behaves the same in every run. Maps using it are only looked up, never iterated
//! into anything order-dependent.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[derive(Clone, Copy, Default)]
pub struct FastHasher {
    hash: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        // The tail (most ids are 6 to 10 bytes) read as up to one u32, one u16 and one byte, and
        // added as one word: a copy into a zeroed buffer was a `memcpy` call per hash.
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.add(tail_word(rest));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// The up to 7 bytes of `rest` as one little-endian word (the bytes of the zero-padded copy,
/// plus the length in the top byte so that tails of different lengths differ).
#[inline]
fn tail_word(rest: &[u8]) -> u64 {
    let mut word = (rest.len() as u64) << 56;
    let mut shift = 0;
    let mut rest = rest;
    if let Some((four, after)) = rest.split_first_chunk::<4>() {
        word |= u64::from(u32::from_le_bytes(*four));
        shift = 32;
        rest = after;
    }
    if let Some((two, after)) = rest.split_first_chunk::<2>() {
        word |= u64::from(u16::from_le_bytes(*two)) << shift;
        shift += 16;
        rest = after;
    }
    if let Some(one) = rest.first() {
        word |= u64::from(*one) << shift;
    }
    word
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_that_differ_hash_apart_and_equal_ones_alike() {
        let mut m: FastMap<&str, u32> = FastMap::default();
        for (i, s) in ["d-0000001", "d-0000010", "d-00000010", "", "a"]
            .into_iter()
            .enumerate()
        {
            m.insert(s, i as u32);
        }
        assert_eq!(m.len(), 5);
        assert_eq!(m.get("d-0000010"), Some(&1));
        assert_eq!(m.get(""), Some(&3));
        let h = |s: &str| {
            let mut x = FastHasher::default();
            x.write(s.as_bytes());
            x.finish()
        };
        assert_ne!(h("d-0000001"), h("d-0000002"));
        // Every tail length, and tails that differ only in their length (a zero byte).
        for n in 0..16 {
            let s = "abcdefghijklmnop";
            assert_ne!(h(&s[..n]), h(&s[..n + 1]), "{n}");
        }
        assert_ne!(h("\0"), h("\0\0"));
        assert_ne!(h("1-0x"), h("1-0y"));
        assert_eq!(h("worker-1"), h("worker-1"));
    }
}
