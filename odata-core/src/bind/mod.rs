//! Binding: the untyped query AST checked against the EDM into a typed tree.

mod typed;

pub use typed::*;
