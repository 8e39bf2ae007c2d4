//! The stream data type: entries, consumer groups, pending entries lists (stub: being written).

/// A stream value.
#[derive(Clone, Debug, Default)]
pub struct Stream {}
