//! transaction commands (stub: being written).

use crate::model::cmd::not_yet;
use crate::model::server::{Call, Reply, Server};

pub fn multi(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn exec(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn discard(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn watch(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn unwatch(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}
