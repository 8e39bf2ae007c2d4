//! string commands (stub: being written).

use crate::model::cmd::not_yet;
use crate::model::server::{Call, Reply, Server};

pub fn get(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn set(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn incrby(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}
