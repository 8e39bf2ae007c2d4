//! keys commands (stub: being written).

use crate::model::cmd::not_yet;
use crate::model::server::{Call, Reply, Server};

pub fn del(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn exists(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn type_(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn pexpire(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn pttl(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}
