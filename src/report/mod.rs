//! Reports (WIP).
