//! Redis persistence as the model keeps it: which keyspace a restarted server finds after a
//! *process crash* (everything the process had written to the OS survives in the page cache) and
//! after a *power loss* (only what was fsynced survives).
//!
//! There are no files: a [`Disk`] holds the two states that matter as keyspaces. The page-cache
//! state is the live keyspace itself, because every write the model acknowledges has already
//! been handed to the OS (Redis writes its AOF buffer in `beforeSleep`, before it sends replies);
//! the durable state is a copy of the keyspace taken at each fsync:
//!
//! - `none`: nothing is written; any restart comes back empty, unless a client's SAVE wrote a
//!   snapshot, which every later restart loads (the last one SAVE wrote).
//! - `aof-always`: fsync before every reply, so the durable state is the live one; nothing is
//!   ever copied.
//! - `aof-everysec`: an fsync once per simulated second of the process's life when something
//!   ran since the last one (Redis fsyncs in a background thread when the second changed; the
//!   fsync is instant here, and Redis's postponement of a slow fsync by up to 2 s is not
//!   modelled). A crash keeps every write, a power loss rolls back to the last fsync.
//! - `rdb`: a snapshot every interval when something ran since the last one, written and
//!   fsynced in one instant (Redis forks, writes, fsyncs and renames; the fork's point in time is
//!   what the file holds). Crash and power loss alike roll back to the last snapshot.
//!
//! SAVE ([`Disk::save`]) writes a snapshot at once under `none` and `rdb` (under `rdb` it is the
//! cron's snapshot, taken early); under `aof-*` Redis loads the AOF, not the snapshot, at start,
//! so SAVE changes nothing a restart finds.
//!
//! Cost: one keyspace copy per fsync or snapshot at most, only when a command ran since the last
//! one, and only one copy held at a time, so memory is bounded by two keyspaces and time by one
//! copy per simulated second (`aof-everysec`) or per interval (`rdb`). Values share their bytes
//! (`Bytes` is reference-counted); streams are copied.
//!
//! The disk belongs to one server, not to a host's process: a replica will need a disk of its own
//! with the same rules (its full resync writes a snapshot, its replication stream appends to its
//! AOF), so replication can reuse [`Disk`] as it is, one per Redis host.
//!
//! This module never reads a clock (time is passed in) and never decides when a crash happens:
//! the simulation's nemesis does, and the simulation's Redis host drives the fsync cron.

use crate::model::keyspace::Keyspace;

/// `appendfsync everysec`.
pub const EVERYSEC_MS: u64 = 1_000;

/// When the server makes its writes durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    None,
    AofAlways,
    AofEverysec,
    Rdb { interval_ms: u64 },
}

impl Policy {
    /// How often the cron fsyncs or snapshots; `None` when nothing is periodic.
    pub fn period_ms(self) -> Option<u64> {
        match self {
            Policy::None | Policy::AofAlways => None,
            Policy::AofEverysec => Some(EVERYSEC_MS),
            Policy::Rdb { interval_ms } => Some(interval_ms),
        }
    }
}

/// How the server went down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// The process died; the OS and its page cache did not.
    Crash,
    /// The machine lost power: the page cache is gone too.
    PowerLoss,
}

/// What a restart finds, relative to the last acknowledged write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// Every write: nothing acknowledged is lost.
    Everything,
    /// The keyspace as of this simulated time (the last fsync or snapshot); later writes are gone.
    UntilMs(u64),
    /// An empty keyspace.
    Nothing,
}

/// The durable side of one Redis server, across its restarts.
#[derive(Clone, Debug)]
pub struct Disk {
    policy: Policy,
    /// The keyspace as of the last fsync or snapshot, and when it was taken
    /// (`aof-everysec` and `rdb` only).
    synced: Keyspace,
    synced_at_ms: u64,
    /// The server's command count at that fsync; `None` forces the next one (the page cache
    /// holds writes the durable copy lacks).
    synced_at_commands: Option<u64>,
    /// A SAVE wrote the durable copy: under `none`, a restart loads it (`dump.rdb`).
    saved: bool,
}

impl Disk {
    /// A disk with nothing on it, at simulated time 0.
    pub fn new(policy: Policy) -> Disk {
        if let Policy::Rdb { interval_ms } = policy {
            assert!(interval_ms > 0, "a snapshot interval of 0 ms");
        }
        Disk {
            policy,
            synced: Keyspace::new(),
            synced_at_ms: 0,
            synced_at_commands: Some(0),
            saved: false,
        }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The cron's fsync (`aof-everysec`) or snapshot (`rdb`) at `now_ms`: copies `live` unless
    /// no command ran since the last one (`commands` counts every command of every incarnation).
    /// Returns whether it copied.
    pub fn sync(&mut self, live: &Keyspace, commands: u64, now_ms: u64) -> bool {
        if self.policy.period_ms().is_none() || self.synced_at_commands == Some(commands) {
            return false;
        }
        assert!(now_ms >= self.synced_at_ms, "the disk's clock went back");
        self.synced = live.data_copy();
        self.synced_at_ms = now_ms;
        self.synced_at_commands = Some(commands);
        true
    }

    /// SAVE at `now_ms`: the keyspace `live` is written and fsynced as an RDB file in one
    /// instant, and a restart loads it when the server has no AOF (Redis loads the AOF instead
    /// when `appendonly` is on, so under `aof-*` nothing changes). `commands` as for
    /// [`Disk::sync`]. Returns whether the durable state changed.
    pub fn save(&mut self, live: &Keyspace, commands: u64, now_ms: u64) -> bool {
        match self.policy {
            Policy::AofAlways | Policy::AofEverysec => false,
            Policy::None | Policy::Rdb { .. } => {
                assert!(now_ms >= self.synced_at_ms, "the disk's clock went back");
                self.synced = live.data_copy();
                self.synced_at_ms = now_ms;
                self.synced_at_commands = Some(commands);
                self.saved = true;
                true
            }
        }
    }

    /// The keyspace a restart finds after `loss`, given the live keyspace at that instant, and
    /// what it keeps. WATCHes and wake-ups never survive.
    pub fn survivor(&mut self, live: Keyspace, loss: Loss) -> (Keyspace, Kept) {
        match (self.policy, loss) {
            (Policy::None, _) if !self.saved => (Keyspace::new(), Kept::Nothing),
            (Policy::None, _) => (self.synced.data_copy(), Kept::UntilMs(self.synced_at_ms)),
            (Policy::AofAlways, _) => (live.into_data(), Kept::Everything),
            (Policy::AofEverysec, Loss::Crash) => {
                // The page cache still holds writes the disk lacks: the next fsync must run.
                self.synced_at_commands = None;
                (live.into_data(), Kept::Everything)
            }
            (Policy::AofEverysec, Loss::PowerLoss) | (Policy::Rdb { .. }, _) => {
                (self.synced.data_copy(), Kept::UntilMs(self.synced_at_ms))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::keyspace::Value;
    use bytes::Bytes;

    fn with(keys: &[&str]) -> Keyspace {
        let mut ks = Keyspace::new();
        for k in keys {
            ks.set(Bytes::from(k.to_string()), Value::String(Bytes::from("v")));
        }
        ks
    }

    fn keys(ks: &Keyspace) -> Vec<String> {
        ks.keys(0)
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect()
    }

    #[test]
    fn a_crash_keeps_the_page_cache_and_a_power_loss_only_what_was_fsynced() {
        let mut disk = Disk::new(Policy::AofEverysec);
        assert!(disk.sync(&with(&["a"]), 1, 1_000));
        let (after_crash, kept) = disk.survivor(with(&["a", "b"]), Loss::Crash);
        assert_eq!(
            (keys(&after_crash), kept),
            (vec!["a".into(), "b".into()], Kept::Everything)
        );
        let (after_power_loss, kept) = disk.survivor(with(&["a", "b"]), Loss::PowerLoss);
        assert_eq!(
            (keys(&after_power_loss), kept),
            (vec!["a".into()], Kept::UntilMs(1_000))
        );
    }

    #[test]
    fn everysec_fsyncs_only_when_a_command_ran_and_after_a_crash_restart() {
        let mut disk = Disk::new(Policy::AofEverysec);
        assert!(!disk.sync(&with(&[]), 0, 1_000), "nothing ran yet");
        assert!(disk.sync(&with(&["a"]), 5, 2_000));
        assert!(!disk.sync(&with(&["a"]), 5, 3_000), "nothing ran since");
        assert_eq!(disk.synced_at_ms, 2_000);
        // A crash restarts from the page cache ("a", "b") with no new command: the next fsync
        // must still run, or a later power loss would lose "b".
        let (live, _) = disk.survivor(with(&["a", "b"]), Loss::Crash);
        assert!(disk.sync(&live, 5, 4_000));
        let (back, kept) = disk.survivor(with(&["a", "b", "c"]), Loss::PowerLoss);
        assert_eq!(
            (keys(&back), kept),
            (vec!["a".into(), "b".into()], Kept::UntilMs(4_000))
        );
    }

    #[test]
    fn rdb_keeps_the_last_snapshot_after_a_crash_or_a_power_loss() {
        let policy = Policy::Rdb { interval_ms: 5_000 };
        assert_eq!(policy.period_ms(), Some(5_000));
        let mut disk = Disk::new(policy);
        let (empty, kept) = disk.survivor(with(&["a"]), Loss::Crash);
        assert_eq!(
            (keys(&empty), kept),
            (Vec::<String>::new(), Kept::UntilMs(0))
        );
        assert!(disk.sync(&with(&["a"]), 3, 5_000));
        for loss in [Loss::Crash, Loss::PowerLoss] {
            let (back, kept) = disk.survivor(with(&["a", "b"]), loss);
            assert_eq!(
                (keys(&back), kept),
                (vec!["a".into()], Kept::UntilMs(5_000))
            );
        }
    }

    #[test]
    fn always_keeps_everything_and_none_nothing() {
        let mut always = Disk::new(Policy::AofAlways);
        assert_eq!(Policy::AofAlways.period_ms(), None);
        assert!(!always.sync(&with(&["a"]), 1, 1_000), "always never copies");
        for loss in [Loss::Crash, Loss::PowerLoss] {
            let (back, kept) = always.survivor(with(&["a"]), loss);
            assert_eq!((keys(&back), kept), (vec!["a".into()], Kept::Everything));
            let (back, kept) = Disk::new(Policy::None).survivor(with(&["a"]), loss);
            assert_eq!((keys(&back), kept), (Vec::<String>::new(), Kept::Nothing));
        }
    }

    #[test]
    fn save_is_what_a_restart_without_aof_loads() {
        // none: nothing survives until a SAVE, then the saved keyspace does, whatever followed.
        let mut none = Disk::new(Policy::None);
        let (back, kept) = none.survivor(with(&["a"]), Loss::Crash);
        assert_eq!((keys(&back), kept), (Vec::<String>::new(), Kept::Nothing));
        assert!(none.save(&with(&["a"]), 2, 1_500));
        for loss in [Loss::Crash, Loss::PowerLoss] {
            let (back, kept) = none.survivor(with(&["a", "b"]), loss);
            assert_eq!(
                (keys(&back), kept),
                (vec!["a".into()], Kept::UntilMs(1_500))
            );
        }
        // rdb: SAVE is a snapshot between two of the cron's; the cron skips when nothing ran.
        let mut rdb = Disk::new(Policy::Rdb { interval_ms: 5_000 });
        assert!(rdb.save(&with(&["a"]), 3, 2_000));
        assert!(
            !rdb.sync(&with(&["a"]), 3, 5_000),
            "nothing ran since the SAVE"
        );
        let (back, kept) = rdb.survivor(with(&["a", "b"]), Loss::PowerLoss);
        assert_eq!(
            (keys(&back), kept),
            (vec!["a".into()], Kept::UntilMs(2_000))
        );
        // aof-*: the AOF is what loads; SAVE changes nothing.
        for policy in [Policy::AofAlways, Policy::AofEverysec] {
            let mut aof = Disk::new(policy);
            assert!(!aof.save(&with(&["a"]), 1, 1_000));
            let (back, _) = aof.survivor(with(&[]), Loss::PowerLoss);
            assert!(keys(&back).is_empty(), "{policy:?}");
        }
    }

    #[test]
    fn a_durable_copy_drops_watches() {
        let mut live = with(&["a"]);
        live.watch(7, Bytes::from("a"));
        live.touch(b"a");
        assert!(live.is_dirty(7));
        let mut disk = Disk::new(Policy::AofEverysec);
        disk.sync(&live, 1, 1_000);
        let (back, _) = disk.survivor(live, Loss::PowerLoss);
        assert!(!back.is_dirty(7));
    }
}
