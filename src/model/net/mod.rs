//! The network adapters of the Redis model: the only code that touches sockets, clocks and tasks.
//!
//! - [`conn`]: one connection's loop, generic over any byte stream (real TCP or turmoil's
//!   simulated TCP): buffered reads, pipelined requests, one write per batch of replies, blocked
//!   clients served in FIFO order, protocol errors answered and the connection closed as Redis
//!   does. [`Shared`] is the server as its connections share it, single-threaded like Redis
//!   (`Rc<RefCell<…>>` on a `LocalSet`: the Lua engine is not `Send`).
//! - [`replication`]: the feed of each replica, the replica's link to its primary, the
//!   primary's PING: the bytes of `model::replication` on the wire.
//! - [`clock`]: the milliseconds every command is given: simulated time plus a fixed epoch in a
//!   simulation, the wall clock only in the real TCP server.
//! - [`tcp`]: `outbox-chaos serve-model` on a real port. The same server as a turmoil host is
//!   simulation-only code and lives in `sim::net`.
//!
//! Nothing here may decide a reply: replies come from [`crate::model::server::Server`]. Nothing
//! here may use threads or the wall clock in the simulated path.

pub(crate) mod clock;
pub(crate) mod conn;
pub mod replication;
pub(crate) mod tcp;

pub use clock::Clock;
pub use conn::{serve_connection, serve_connection_from, Shared};
pub use replication::{Dial, Io};
pub use tcp::{bind_tcp, serve_tcp, serve_tcp_blocking};
