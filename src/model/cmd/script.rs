//! script commands (stub: being written).

use crate::model::cmd::not_yet;
use crate::model::server::{Call, Reply, Server};

pub fn eval(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn evalsha(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn script_load(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn script_exists(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn script_flush(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}
