//! The Redis model (see DESIGN.md section 3).
