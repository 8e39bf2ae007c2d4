//! Redis Sentinel in the model: the Sentinels that watch a primary and its replicas, agree that
//! it is down, elect a leader and fail over to the best replica (ARCHITECTURE.md#srcmodel).
//!
//! - [`state`]: one Sentinel's state and decisions (`sentinel.c` of Redis 7.0.15), time passed
//!   in: SDOWN, ODOWN, votes per epoch, the failover state machine, hellos.
//! - [`cmd`]: the commands a Sentinel answers (`SENTINEL get-master-addr-by-name`,
//!   `is-master-down-by-addr`, `master`, `replicas`, `sentinels`, hello `PUBLISH`, `PING`).
//! - [`net`]: the Sentinel on a network: its timer, its links to servers and Sentinels, its
//!   clients; generic over the dialer, so it runs as a turmoil host and on real TCP alike.
//!
//! A Sentinel talks to the servers only through the Redis protocol (`PING`, `INFO`, `REPLICAOF`
//! in a `MULTI` block), never through the model's memory: the same Sentinel drives the model's
//! servers in the simulation and real `redis-server` processes in `tests/sentinel.rs`. Like the
//! rest of the model it must never import another part of the project but `rng`.

pub mod cmd;
pub mod net;
pub mod state;

pub use net::{SentinelDialer, SentinelNode, Stream};
pub use state::{InstanceAddr, Sentinel, SentinelConfig};
