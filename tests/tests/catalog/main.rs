//! The catalog product (`catalog-model`, specified by `shared/catalog-model/MODEL.md`) over
//! real HTTP: its service document, its demo data and its storage rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod addressing;
mod asynchronous;
mod delta;
mod metadata;
mod operations;
mod protocol;
mod queries;
mod relationships;
mod seed;
mod service;
