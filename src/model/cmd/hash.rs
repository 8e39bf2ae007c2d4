//! hash commands (stub: being written).

use crate::model::cmd::not_yet;
use crate::model::server::{Call, Reply, Server};

pub fn hset(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn hget(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn hgetall(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn hincrby(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}
