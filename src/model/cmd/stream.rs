//! stream commands (stub: being written).

use crate::model::cmd::not_yet;
use crate::model::server::{Call, Reply, Server};

pub fn xadd(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xlen(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xrange(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xrevrange(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xdel(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xtrim(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xgroup_create(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xgroup_setid(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xgroup_destroy(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xgroup_createconsumer(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xgroup_delconsumer(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xreadgroup(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xread(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xack(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xpending(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xclaim(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xautoclaim(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xinfo_stream(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xinfo_groups(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn xinfo_consumers(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}
