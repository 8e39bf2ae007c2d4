//! The one place the tests start servers (see `servers`).
#![allow(dead_code)] // each test crate uses a different part of this module

mod servers;

pub use servers::{RedisServer, Sentinel};
