//! Fixtures shared by the store's SQLite-only integration tests: the
//! conformance suite's (one copy), and a fresh database per test.
#![allow(dead_code)]

#[path = "../conformance/fixtures.rs"]
mod fixtures;

pub use fixtures::*;

use vigil_store::sqlite::{SqliteOptions, SqliteStore};

/// A new store in a temporary directory.
pub fn store() -> SqliteStore {
    SqliteStore::open_temporary(SqliteOptions::default()).unwrap()
}
