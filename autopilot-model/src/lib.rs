//! Autopilot model.
