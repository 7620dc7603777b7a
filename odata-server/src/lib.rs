//! An actix-web OData 4.01 service over any `odata-core` model, stored with sqlx.
//!
//! A reuser declares a model, binds its collections to tables with [`service::Service`],
//! and starts [`app::Application`] with [`config::Settings`] and a sqlx migrator.

#![warn(missing_docs)]

pub mod action;
pub mod admission;
pub mod app;
pub mod auth;
pub mod capabilities;
pub mod cli;
pub mod compute;
pub mod config;
pub mod context;
pub mod dataset;
pub mod delta;
pub mod error;
pub mod expand;
pub mod function;
mod handlers;
mod initial;
mod jobs;
pub mod limits;
pub mod media;
pub mod negotiation;
pub mod paging;
pub mod plan;
pub mod preconditions;
pub mod prefer;
pub mod query;
pub mod routing;
pub mod service;
pub mod sql;
pub mod store;
pub mod telemetry;
