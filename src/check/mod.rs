//! The history of a run, the final state it left, and the checkers that judge them.
//! Imports no world.

pub mod history;
pub mod state;
