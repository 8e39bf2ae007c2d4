//! The Redis model: a RESP server written in this project (ARCHITECTURE.md#srcmodel).
//!
//! # Layout (as tokio's mini-redis)
//!
//! - [`frame`]: RESP bytes ↔ frames; request parsing in two steps (check, parse).
//! - [`parse`]: argument helpers with Redis's error texts.
//! - [`server`]: the network-agnostic core: `execute(client, args, now_ms) -> Reply`.
//! - [`cmd`]: the command table, one file per command family.
//! - [`geohash`]: Redis's geohash code (C) behind the GEO commands.
//! - [`keyspace`]: keys, typed values, expiry, WATCH bookkeeping; [`stream`]: the stream type.
//! - [`rdb`]: the RDB value format of DUMP and RESTORE.
//! - [`config`]: the parameters CONFIG GET/SET see, with Redis's defaults.
//! - [`lua`]: the Lua 5.1 sandbox behind EVAL; [`longdouble`]: Redis's `long double` sums (C).
//! - [`replication`]: the replication id, offset, backlog, replicas and stream; snapshots.
//! - [`sentinel`]: Redis Sentinel: failure detection, election and failover over the protocol.
//! - [`net`]: the adapters that put the core on a socket: a turmoil host and a real TCP server.
//!
//! The reference is Redis 7.0.15: replies and error texts match it byte for byte, which the
//! differential test (`tests/differential.rs`) checks against a real `redis-server`.

pub(crate) mod cmd;
pub(crate) mod config;
pub mod frame;
pub(crate) mod geohash;
pub(crate) mod keyspace;
pub(crate) mod longdouble;
pub(crate) mod lua;
pub mod net;
pub(crate) mod parse;
pub(crate) mod persist;
pub(crate) mod rdb;
pub mod replication;
pub mod sentinel;
pub mod server;
pub(crate) mod stream;
pub(crate) mod zset;
