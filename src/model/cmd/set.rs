//! set commands (stub: being written).

use crate::model::cmd::not_yet;
use crate::model::server::{Call, Reply, Server};

pub fn sadd(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn sismember(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn scard(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}
