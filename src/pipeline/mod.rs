//! The outbox pipeline under test (see DESIGN.md section 2).
