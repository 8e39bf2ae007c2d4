//! Seed ranges (`A..B`, end excluded) and shards (`I/N`, 1-based), as scenario files and the
//! sweep command line give them. Parsing only; errors say what was expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// Seeds `start..end` (end excluded, never empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SeedRange {
    pub start: u64,
    pub end: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SeedRangeError {
    #[error("expected a seed range `A..B` (e.g. `0..100`), found `{0}`")]
    Shape(String),
    #[error("`{0}` is not a seed (an unsigned 64-bit integer)")]
    Seed(String),
    #[error("the seed range `{0}` is empty: its start must be below its end")]
    Empty(String),
}

impl FromStr for SeedRange {
    type Err = SeedRangeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let (a, b) = text
            .split_once("..")
            .ok_or_else(|| SeedRangeError::Shape(s.to_string()))?;
        if b.starts_with('=') {
            return Err(SeedRangeError::Shape(s.to_string()));
        }
        let seed = |x: &str| {
            x.trim()
                .parse::<u64>()
                .map_err(|_| SeedRangeError::Seed(x.trim().to_string()))
        };
        let (start, end) = (seed(a)?, seed(b)?);
        if start >= end {
            return Err(SeedRangeError::Empty(text.to_string()));
        }
        Ok(SeedRange { start, end })
    }
}

impl TryFrom<String> for SeedRange {
    type Error = SeedRangeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<SeedRange> for String {
    fn from(r: SeedRange) -> String {
        r.to_string()
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl SeedRange {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }

    pub fn iter(&self) -> Range<u64> {
        self.start..self.end
    }
}

/// Shard `index` of `count` (1-based, as CI matrices count): `--shard 2/4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("expected a shard `I/N` with 1 <= I <= N (e.g. `1/4`), found `{0}`")]
    Shape(String),
}

impl FromStr for Shard {
    type Err = ShardError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ShardError::Shape(s.to_string());
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Seeds are dealt round-robin, so every shard gets the same mix of early and late seeds.
    pub fn owns(&self, seed: u64, range: SeedRange) -> bool {
        (seed - range.start) % u64::from(self.count) == u64::from(self.index - 1)
    }

    /// This shard's seeds of `range`, ascending.
    pub fn seeds(self, range: SeedRange) -> impl Iterator<Item = u64> {
        range.iter().filter(move |s| self.owns(*s, range))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges() {
        assert_eq!(
            "0..100".parse::<SeedRange>(),
            Ok(SeedRange { start: 0, end: 100 })
        );
        assert_eq!(" 5 .. 7 ".parse::<SeedRange>().map(|r| r.len()), Ok(2));
        assert_eq!(
            "5..5".parse::<SeedRange>(),
            Err(SeedRangeError::Empty("5..5".into()))
        );
        assert_eq!(
            "7".parse::<SeedRange>(),
            Err(SeedRangeError::Shape("7".into()))
        );
        assert_eq!(
            "0..=3".parse::<SeedRange>(),
            Err(SeedRangeError::Shape("0..=3".into()))
        );
        assert_eq!(
            "a..3".parse::<SeedRange>(),
            Err(SeedRangeError::Seed("a".into()))
        );
        assert_eq!(
            "0..-3".parse::<SeedRange>(),
            Err(SeedRangeError::Seed("-3".into()))
        );
        assert_eq!(SeedRange { start: 3, end: 9 }.to_string(), "3..9");
    }

    #[test]
    fn shards_partition_a_range() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "1/0", "1", "a/b", "1/4/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let range: SeedRange = "10..20".parse().unwrap();
        let shards: Vec<Vec<u64>> = (1..=3)
            .map(|i| Shard { index: i, count: 3 }.seeds(range).collect())
            .collect();
        assert_eq!(shards[0], vec![10, 13, 16, 19]);
        let mut all: Vec<u64> = shards.concat();
        all.sort();
        assert_eq!(all, range.iter().collect::<Vec<_>>());
        assert_eq!(Shard::ALL.seeds(range).count(), 10);
    }
}
