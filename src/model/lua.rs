//! The Lua 5.1 scripting engine (stub: being written).

/// The Lua interpreter of one server.
pub struct Engine {}
