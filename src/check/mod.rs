//! The history of a run and the checkers that judge it. Imports no world.

pub mod history;
