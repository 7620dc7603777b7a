//! Acceptance test helpers.
