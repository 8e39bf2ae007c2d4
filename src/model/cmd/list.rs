//! list commands (stub: being written).

use crate::model::cmd::not_yet;
use crate::model::server::{Call, Reply, Server};

pub fn rpush(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn lrange(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}
