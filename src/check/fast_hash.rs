//! A fast hasher for the checkers' lookup-only maps, keyed by strings borrowed from the history.
//!
//! std's default SipHash resists hash flooding, which a history read from our own run does not
//! need, and was a fifth of the checkers' time on a million records. This is the multiply-rotate
//! word hash of rustc's `FxHasher`, written here in a few lines: fixed, unseeded, so a map built
//! with it behaves the same in every run. Maps using it are only looked up, never iterated
//! into anything order-dependent.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
/// A `HashSet` with [`FastHasher`].
pub type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

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
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
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
        assert_eq!(h("worker-1"), h("worker-1"));
    }
}
