//! The threat model, one module per attack surface: every test here talks real HTTP to the
//! real Autopilot service and names the hole it closes. Each module's doc says what an
//! attacker tries and what the service answers instead.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bodies;
mod budget;
mod jwt;
mod query;
mod requests;
mod tokens;
