//! The schema and its migrations.
//!
//! Migrations are an ordered list of SQL steps, each applied once, in one
//! `BEGIN IMMEDIATE` transaction together with the row in
//! `schema_migrations` that records it. Taking the write lock first means two
//! processes opening the same file at once cannot both apply a step. A
//! database that records a version this build does not know was written by a
//! newer Vigil: opening it fails with [`StoreError::SchemaTooNew`] rather than
//! guessing at a layout it cannot read.
//!
//! Layout choices, for the hot tables:
//! - Times are integer microseconds since the Unix epoch: compact, ordered,
//!   and compared without parsing. Sub-microsecond precision is dropped.
//! - Event and alert ids are 16-byte blobs. Event ids are UUIDv7, so the
//!   unique index on them grows at its right edge like the rowid does.
//! - `events` keeps its `fields` as JSON text, serialised once at ingest and
//!   searched with SQLite's JSON functions; there is no index per field.
//! - The archive tables (`events`, `alerts`, `dead_letters`) carry no foreign
//!   key to `tenants`: the tenant on them comes from a binding that was valid
//!   when the data arrived, and an acknowledged write must never fail because
//!   configuration changed while it was in flight.
//! - `alert_evidence` is keyed by (alert, content fingerprint), so replaying
//!   the same content never adds evidence twice.
//! - `alerts.seq` and `dead_letters.seq` are AUTOINCREMENT so that a sequence
//!   number, once handed out in a cursor, is never reused.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::StoreError;

/// One step of the schema's history.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    /// Its version; versions are 1, 2, 3 … in order.
    pub version: i64,
    /// What it does, for people reading `schema_migrations`.
    pub name: &'static str,
    /// The SQL, run as one batch.
    pub sql: &'static str,
}

/// Every migration this build knows, oldest first. Each later migration
/// lives in its own module beside the code that owns its tables, and is
/// listed here, one line each.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial schema",
        sql: INITIAL,
    },
    // Version 2: the desk (alarm queue, incidents, audit chain).
    Migration {
        version: 2,
        name: "the desk: records, feeds, leases, audit chain",
        sql: super::desk::DESK_SCHEMA,
    },
    // Version 3: the physical estate (devices, people, supervision).
    Migration {
        version: 3,
        name: "the physical estate: people, badges, accounts, devices, panel accounts, supervision",
        sql: super::estate::ESTATE_SCHEMA,
    },
    // Version 4: correlation state.
    Migration {
        version: 4,
        name: "correlation engine state",
        sql: super::correlation::CORRELATION_SCHEMA,
    },
    // Version 5: the site view's index of physical events.
    Migration {
        version: 5,
        name: "site view: physical events by site",
        sql: super::site_events::SITE_EVENTS_INDEX,
    },
    Migration {
        version: 6,
        name: "site view index without an IN list (cheaper inserts)",
        sql: super::site_events::SITE_EVENTS_INDEX_WITHOUT_IN,
    },
    Migration {
        version: 7,
        name: "desk alert feed written by ingest, not by triggers (no statement journal)",
        sql: super::ingest::ALERT_FEED_WITHOUT_TRIGGERS,
    },
    Migration {
        version: 8,
        name: "alert evidence indexed by time only while among an alert's earliest",
        sql: super::evidence::EVIDENCE_SHOWN_INDEX,
    },
    Migration {
        version: 9,
        name: "supervision history: device_status events by client and time",
        sql: super::search::DEVICE_STATUS_INDEX,
    },
    Migration {
        version: 10,
        name: "desk records by time, newest first (open alarms, triage's grouping read)",
        sql: super::desk::RECORDS_BY_TIME_INDEX,
    },
];

const INITIAL: &str = r#"
CREATE TABLE tenants (
    id   TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sites (
    tenant   TEXT NOT NULL REFERENCES tenants (id),
    id       TEXT NOT NULL,
    name     TEXT NOT NULL,
    timezone TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

CREATE TABLE sources (
    id         TEXT PRIMARY KEY NOT NULL,
    tenant     TEXT NOT NULL REFERENCES tenants (id),
    site       TEXT,
    kind       TEXT NOT NULL,
    product    TEXT NOT NULL,
    token_hash BLOB UNIQUE,
    FOREIGN KEY (tenant, site) REFERENCES sites (tenant, id)
);
CREATE INDEX sources_by_tenant ON sources (tenant, id);

CREATE TABLE api_tokens (
    hash   BLOB PRIMARY KEY NOT NULL,
    name   TEXT NOT NULL,
    role   TEXT NOT NULL,
    tenant TEXT REFERENCES tenants (id)
) WITHOUT ROWID;

CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    id          BLOB NOT NULL UNIQUE,
    tenant      TEXT NOT NULL,
    site        TEXT,
    observed_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    source_id   TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    product     TEXT NOT NULL,
    device      TEXT,
    class       TEXT NOT NULL,
    severity    INTEGER NOT NULL,
    entities    TEXT NOT NULL,
    fields      TEXT NOT NULL,
    fingerprint INTEGER
);
CREATE INDEX events_by_tenant_time ON events (tenant, observed_at);

CREATE TABLE alerts (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           BLOB NOT NULL UNIQUE,
    tenant       TEXT NOT NULL,
    site         TEXT,
    rule_id      TEXT NOT NULL,
    rule_title   TEXT NOT NULL,
    severity     INTEGER NOT NULL,
    status       TEXT NOT NULL,
    group_key    TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    event_count  INTEGER NOT NULL,
    entities     TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX alerts_by_tenant ON alerts (tenant, seq);
CREATE INDEX alerts_by_status ON alerts (status, seq);
CREATE INDEX alerts_by_tenant_status ON alerts (tenant, status, seq);

CREATE TABLE alert_evidence (
    alert_id    BLOB NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    fingerprint INTEGER NOT NULL,
    event_id    BLOB NOT NULL,
    observed_at INTEGER NOT NULL,
    PRIMARY KEY (alert_id, fingerprint)
) WITHOUT ROWID;
CREATE INDEX alert_evidence_by_time ON alert_evidence (alert_id, observed_at, event_id);

CREATE TABLE dead_letters (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    source      TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    raw         BLOB NOT NULL
);
CREATE INDEX dead_letters_by_tenant ON dead_letters (tenant, seq);
CREATE INDEX dead_letters_by_source ON dead_letters (source, seq);
"#;

/// The schema version this build writes.
pub(crate) fn current_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Brings the database up to this build's schema; returns the migrations
/// applied (empty when it was already current).
pub(crate) fn migrate(conn: &mut Connection) -> Result<Vec<i64>, StoreError> {
    apply(conn, MIGRATIONS)
}

/// Applies the steps of `migrations` that the database has not seen yet.
fn apply(conn: &mut Connection, migrations: &[Migration]) -> Result<Vec<i64>, StoreError> {
    let supported = migrations.last().map_or(0, |m| m.version);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY NOT NULL,
             name    TEXT NOT NULL
         )",
    )?;
    let found: i64 = tx
        .query_row("SELECT max(version) FROM schema_migrations", [], |row| {
            row.get::<_, Option<i64>>(0)
        })
        .optional()?
        .flatten()
        .unwrap_or(0);
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    let mut applied = Vec::new();
    for step in migrations.iter().filter(|m| m.version > found) {
        tx.execute_batch(step.sql).map_err(|e| {
            StoreError::Database(format!(
                "migration {} ({}) failed: {e}",
                step.version, step.name
            ))
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
            (step.version, step.name),
        )?;
        applied.push(step.version);
    }
    tx.commit()?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(conn: &Connection) -> Vec<i64> {
        let mut stmt = conn
            .prepare("SELECT version FROM schema_migrations ORDER BY version")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn versions_are_consecutive_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.name);
        }
    }

    #[test]
    fn a_fresh_database_gets_every_step_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        let all: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(migrate(&mut conn).unwrap(), all);
        assert_eq!(migrate(&mut conn).unwrap(), Vec::<i64>::new());
        assert_eq!(versions(&conn), all);
    }

    #[test]
    fn only_new_steps_are_applied_on_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        const STEPS: &[Migration] = &[
            Migration {
                version: 1,
                name: "one",
                sql: "CREATE TABLE one (x INTEGER)",
            },
            Migration {
                version: 2,
                name: "two",
                sql: "CREATE TABLE two (x INTEGER)",
            },
        ];
        {
            let mut conn = Connection::open(&path).unwrap();
            assert_eq!(apply(&mut conn, &STEPS[..1]).unwrap(), vec![1]);
        }
        let mut conn = Connection::open(&path).unwrap();
        // Re-running step 1 would fail ("table one already exists").
        assert_eq!(apply(&mut conn, STEPS).unwrap(), vec![2]);
        assert_eq!(versions(&conn), vec![1, 2]);
    }

    #[test]
    fn a_failed_step_leaves_nothing_behind() {
        let mut conn = Connection::open_in_memory().unwrap();
        const STEPS: &[Migration] = &[
            Migration {
                version: 1,
                name: "good",
                sql: "CREATE TABLE good (x INTEGER)",
            },
            Migration {
                version: 2,
                name: "bad",
                sql: "CREATE TABLE good (x INTEGER)",
            },
        ];
        let err = apply(&mut conn, STEPS).unwrap_err();
        assert!(err.to_string().contains("migration 2 (bad)"), "{err}");
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'good'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?1, 'from the future')",
            [current_version() + 1],
        )
        .unwrap();
        match migrate(&mut conn) {
            Err(StoreError::SchemaTooNew { found, supported }) => {
                assert_eq!(found, current_version() + 1);
                assert_eq!(supported, current_version());
            }
            other => panic!("expected SchemaTooNew, got {other:?}"),
        }
    }
}
