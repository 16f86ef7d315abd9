//! Sigma rules: parse (YAML → syntax tree), bind conditions, apply
//! modifiers, compile, match.
//!
//! The stages are kept apart so that later work can slot in between them:
//! processing pipelines rewrite the [`ast`] before compiling, correlation
//! rules consume detections after matching.

pub mod ast;
pub(crate) mod compile;
pub mod condition;
pub mod correlation;
pub(crate) mod explain;
pub(crate) mod lazy_regex;
pub(crate) mod matcher;
pub(crate) mod modifiers;
pub mod parse;
pub(crate) mod pattern;
#[cfg(test)]
pub(crate) mod reference;
pub(crate) mod rule_id;
pub(crate) mod values;

#[cfg(test)]
pub(crate) mod differential_tests;
