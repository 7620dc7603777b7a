//! An actix-web OData 4.01 service over any `odata-core` model, stored with sqlx.
//!
//! A reuser declares a model, binds its collections to tables with [`service::Service`],
//! and starts [`app::Application`] with [`config::Settings`] and a sqlx migrator.

#![warn(missing_docs)]

pub mod app;
pub mod config;
pub mod context;
pub mod error;
mod handlers;
pub mod negotiation;
pub mod query;
pub mod routing;
pub mod service;
pub mod store;
pub mod telemetry;
