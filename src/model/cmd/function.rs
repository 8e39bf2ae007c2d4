//! FUNCTION FLUSH, LIST and DELETE: Redis 7.0's function libraries, of which the model has none.
//!
//! The model does not load function libraries (FUNCTION LOAD and FCALL answer that they are not
//! implemented); the commands that only inspect or clear the empty set answer as Redis does with
//! no library loaded, so clients and test suites that reset state (`FUNCTION FLUSH`) work.

use crate::model::frame::Frame;
use crate::model::parse::is_keyword;
use crate::model::server::{Call, Reply, Server};

/// ```text
/// FUNCTION FLUSH [ASYNC | SYNC]
/// ```
pub fn function_flush(_server: &mut Server, call: Call<'_>) -> Reply {
    match &call.args[2..] {
        [] => Frame::ok().into(),
        [mode] if is_keyword(mode, "ASYNC") || is_keyword(mode, "SYNC") => Frame::ok().into(),
        _ => Frame::error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option").into(),
    }
}

/// ```text
/// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
/// ```
pub fn function_list(_server: &mut Server, _call: Call<'_>) -> Reply {
    Frame::Array(vec![]).into()
}

/// ```text
/// FUNCTION DELETE library-name
/// ```
pub fn function_delete(_server: &mut Server, _call: Call<'_>) -> Reply {
    Frame::error("ERR Library not found").into()
}

/// ```text
/// FUNCTION LOAD [REPLACE] function-code
/// ```
pub fn function_load(_server: &mut Server, _call: Call<'_>) -> Reply {
    Frame::error("ERR FUNCTION LOAD is not implemented by the outbox-chaos model").into()
}

/// ```text
/// FCALL function numkeys [key ...] [arg ...]
/// ```
pub fn fcall(_server: &mut Server, _call: Call<'_>) -> Reply {
    Frame::error("ERR Function not found").into()
}
