//! The history hash: 64-bit FNV-1a over the history's JSON-lines serialisation (each record's
//! line and its newline), printed as 16 hex digits.
//!
//! It is the determinism test's yardstick: one seed run twice must give the same hash. It is
//! our own code, with no dependency, so an upgrade can never change it; and it hashes exactly
//! the bytes `history.jsonl` holds, so a file and its hash can be checked against each other.

use super::Record;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// An incremental FNV-1a 64 hasher.
#[derive(Clone, Copy, Debug)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Fnv64 {
        Fnv64(FNV_OFFSET)
    }
}

impl Fnv64 {
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(FNV_PRIME);
        }
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// One record as one line of `history.jsonl`, without the newline. Field order is the struct's.
pub fn record_line(record: &Record) -> String {
    serde_json::to_string(record).expect("a history record always serialises")
}

/// The hash of a whole history.
pub fn history_hash(history: &[Record]) -> u64 {
    let mut h = Fnv64::default();
    for r in history {
        h.write(record_line(r).as_bytes());
        h.write(b"\n");
    }
    h.finish()
}

/// `history-hash` as printed: 16 lowercase hex digits.
pub fn format_hash(hash: u64) -> String {
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::testkit::*;

    #[test]
    fn fnv1a_known_values() {
        let hash = |s: &str| {
            let mut h = Fnv64::default();
            h.write(s.as_bytes());
            h.finish()
        };
        assert_eq!(hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn same_history_same_hash_and_any_change_shows() {
        let (a, _) = clean_run();
        let (mut b, _) = clean_run();
        assert_eq!(history_hash(&a), history_hash(&b));
        b[3].time_ms += 1;
        assert_ne!(history_hash(&a), history_hash(&b));
        assert_eq!(format_hash(history_hash(&[])), "cbf29ce484222325");
        assert_eq!(format_hash(1).len(), 16);
    }
}
