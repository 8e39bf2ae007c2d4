//! connection commands (stub: being written).

use crate::model::cmd::not_yet;
use crate::model::server::{Call, Reply, Server};

pub fn ping(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn echo(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn select(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn hello(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn client_setinfo(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn client_setname(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn client_getname(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn client_id(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn info(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn role(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn flushall(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn dbsize(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}

pub fn quit(_server: &mut Server, call: Call<'_>) -> Reply {
    not_yet(call)
}
