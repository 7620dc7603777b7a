//! OData 4.01 protocol as data: the entity data model, typed values, CSDL writers, the
//! OData JSON format and the OData error type. This crate performs no I/O.

#![warn(missing_docs)]

pub mod bind;
pub mod csdl;
pub mod edm;
pub mod error;
pub mod eval;
pub mod json;
pub mod query;
pub mod value;
