//! The framework's own acceptance tests over real HTTP, on a second model that has nothing
//! to do with Autopilot: keys other than `id`, an Int64 key, an enum, a DateTimeOffset, a
//! Duration, a complex and a collection property, computed and write-only properties.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod actions;
mod apply;
mod asynchronous;
mod auth;
mod batch;
mod compute;
mod concurrency;
mod crud;
mod dataset;
mod delta;
mod edm;
// Shared with the acceptance tests, which use more of it.
#[allow(dead_code)]
#[path = "../support/csdl_xml.rs"]
mod csdl_xml;
mod errors;
mod foreign_keys;
mod functions;
mod fuzz;
mod geo;
mod helpers;
mod keys;
mod limits;
mod many_to_many;
mod media;
mod metadata;
mod operations;
#[path = "../support/postgres.rs"]
mod postgres;
mod properties;
mod protocol;
mod relations;
mod secure_helpers;
mod tenants;
mod values;
#[path = "../support/vocabulary.rs"]
mod vocabulary;
