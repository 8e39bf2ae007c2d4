//! The sorted set value: members with a score, ordered by (score, member) as Redis's skiplist.
//!
//! What it must never do: hold a NaN score (the commands refuse one before it gets here) or
//! iterate in an order that depends on a hasher.

use bytes::Bytes;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// A score with a total order (no NaN ever gets in; `-0` is stored as `0`, as equal in Redis).
#[derive(Clone, Copy, Debug)]
pub struct Score(pub f64);

impl PartialEq for Score {
    fn eq(&self, other: &Score) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Score) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Score) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[derive(Clone, Debug, Default)]
pub struct ZSet {
    scores: BTreeMap<Bytes, f64>,
    order: BTreeSet<(Score, Bytes)>,
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// Sets a member's score; true when the member is new.
    pub fn insert(&mut self, member: Bytes, score: f64) -> bool {
        debug_assert!(!score.is_nan(), "a NaN score reached the sorted set");
        let score = if score == 0.0 { 0.0 } else { score };
        let old = self.scores.insert(member.clone(), score);
        if let Some(old) = old {
            self.order.remove(&(Score(old), member.clone()));
        }
        self.order.insert((Score(score), member));
        old.is_none()
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove(member) {
            Some(score) => {
                self.order
                    .remove(&(Score(score), Bytes::copy_from_slice(member)));
                true
            }
            None => false,
        }
    }

    /// Members and scores from the lowest score up.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Bytes, f64)> + ExactSizeIterator {
        self.order.iter().map(|(score, member)| (member, score.0))
    }

    /// Members and scores from the first whose score is at least `min`, up (a score range's
    /// start, `zslFirstInRange` with an inclusive minimum).
    pub fn scores_from(&self, min: f64) -> impl Iterator<Item = (&Bytes, f64)> {
        self.order
            .range((Score(min), Bytes::new())..)
            .map(|(score, member)| (member, score.0))
    }

    /// The 0-based rank of a member from the lowest score.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        let key = (Score(score), Bytes::copy_from_slice(member));
        Some(self.order.range(..key).count())
    }

    /// The longest member, for OBJECT ENCODING's listpack limit.
    pub fn longest_member(&self) -> usize {
        self.scores.keys().map(|m| m.len()).max().unwrap_or(0)
    }

    pub fn approx_bytes(&self) -> usize {
        self.scores.keys().map(|m| m.len() + 24).sum()
    }
}
