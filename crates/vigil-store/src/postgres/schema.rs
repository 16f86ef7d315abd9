//! The PostgreSQL schema and its migrations.
//!
//! Migrations are an ordered list of SQL steps, each applied once in one
//! transaction with the row in `schema_migrations` that records it, under an
//! advisory lock: several nodes starting at once against one database apply
//! each step exactly once. A database recording a version this build does
//! not know was written by a newer Vigil and is refused
//! ([`StoreError::SchemaTooNew`]), as in SQLite.
//!
//! The layout is the SQLite store's, with these differences:
//! - `events` is partitioned by range of `observed_at` (one partition per
//!   UTC day, created on demand and listed in `event_partitions`), so
//!   retention drops whole days. Its unique key is therefore
//!   `(id, observed_at)` (a partitioned table's unique keys must hold the
//!   partition key); an event id names one receipt, which has one observed
//!   time, so replays are still recognised. `seq` comes from a sequence.
//! - ids are `uuid`, hashes and raw input `bytea`, booleans `boolean`;
//!   times stay integer microseconds and JSON stays text (exact round trips,
//!   the same cursors as SQLite).
//! - evidence is indexed by (alert, observed time) whole: the SQLite store's
//!   partial "shown" index saves pages of its single writer's log, a cost
//!   PostgreSQL's concurrent writers do not share in the same way.
//! - the desk's alert feed is written by the ingest commit (as SQLite's
//!   since its migration 7), without triggers.

use tokio_postgres::Client;

use super::{Lock, PgResult};
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

/// Every migration this build knows, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial schema: configuration, partitioned event archive, alerts, desk, audit chain, estate, correlation state",
        sql: INITIAL,
    },
    Migration {
        version: 2,
        name: "supervision history: device_status events by client and time",
        sql: DEVICE_STATUS_INDEX,
    },
    Migration {
        version: 3,
        name: "desk records by time, newest first (open alarms, triage's grouping read)",
        sql: RECORDS_BY_TIME_INDEX,
    },
];

/// Desk records of one kind newest first, every client's and one client's:
/// the service-level pass's and the dashboards' reads of the open alarms,
/// and triage's of the alarms a new one may join, without sorting every
/// matching record for each page (see the embedded store's migration 10).
const RECORDS_BY_TIME_INDEX: &str = "
CREATE INDEX desk_records_by_time ON desk_records (kind, at DESC, id);
CREATE INDEX desk_records_by_tenant_time ON desk_records (kind, tenant, at DESC, id);
";

/// The supervision history (`device_status` events) of a client by time,
/// for the service report's and the evidence packs' device availability,
/// which would otherwise read every event of the client's month. Partial,
/// so the other events' inserts do not pay for it; created on the
/// partitioned table, so every day's partition gets it.
const DEVICE_STATUS_INDEX: &str = "
CREATE INDEX events_device_status_by_time ON events (tenant, observed_at)
    WHERE class = 'device_status';
";

const INITIAL: &str = r#"
CREATE TABLE tenants (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE sites (
    tenant   TEXT NOT NULL REFERENCES tenants (id),
    id       TEXT NOT NULL,
    name     TEXT NOT NULL,
    timezone TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE sources (
    id         TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL REFERENCES tenants (id),
    site       TEXT,
    kind       TEXT NOT NULL,
    product    TEXT NOT NULL,
    token_hash BYTEA UNIQUE,
    FOREIGN KEY (tenant, site) REFERENCES sites (tenant, id)
);
CREATE INDEX sources_by_tenant ON sources (tenant, id);

CREATE TABLE api_tokens (
    hash   BYTEA PRIMARY KEY,
    name   TEXT NOT NULL,
    role   TEXT NOT NULL,
    tenant TEXT REFERENCES tenants (id)
);

CREATE SEQUENCE events_seq;
CREATE TABLE events (
    seq         BIGINT NOT NULL DEFAULT nextval('events_seq'),
    id          UUID NOT NULL,
    tenant      TEXT NOT NULL,
    site        TEXT,
    observed_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    source_id   TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    product     TEXT NOT NULL,
    device      TEXT,
    class       TEXT NOT NULL,
    severity    BIGINT NOT NULL,
    entities    TEXT NOT NULL,
    fields      TEXT NOT NULL,
    fingerprint BIGINT,
    UNIQUE (id, observed_at)
) PARTITION BY RANGE (observed_at);
-- The event search's page order (observed_at DESC, seq DESC) within a tenant.
CREATE INDEX events_by_tenant_time ON events (tenant, observed_at, seq);
-- The site view's physical events.
CREATE INDEX events_physical_by_site ON events (tenant, site, observed_at)
    WHERE class IN ('physical_access', 'intrusion_alarm', 'fire_alarm', 'sensor_reading', 'video_analytics', 'device_status');

-- The day partitions of `events`: [from_micros, to_micros).
CREATE TABLE event_partitions (
    from_micros BIGINT PRIMARY KEY,
    to_micros   BIGINT NOT NULL,
    name        TEXT NOT NULL UNIQUE
);

CREATE TABLE alerts (
    seq          BIGSERIAL PRIMARY KEY,
    id           UUID NOT NULL UNIQUE,
    tenant       TEXT NOT NULL,
    site         TEXT,
    rule_id      TEXT NOT NULL,
    rule_title   TEXT NOT NULL,
    severity     BIGINT NOT NULL,
    status       TEXT NOT NULL,
    group_key    TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    first_seen   BIGINT NOT NULL,
    last_seen    BIGINT NOT NULL,
    event_count  BIGINT NOT NULL,
    entities     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX alerts_by_tenant ON alerts (tenant, seq);
CREATE INDEX alerts_by_status ON alerts (status, seq);
CREATE INDEX alerts_by_tenant_status ON alerts (tenant, status, seq);

CREATE TABLE alert_evidence (
    alert_id    UUID NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    fingerprint BIGINT NOT NULL,
    event_id    UUID NOT NULL,
    observed_at BIGINT NOT NULL,
    PRIMARY KEY (alert_id, fingerprint)
);
CREATE INDEX alert_evidence_by_time ON alert_evidence (alert_id, observed_at, event_id);

CREATE TABLE dead_letters (
    seq         BIGSERIAL PRIMARY KEY,
    tenant      TEXT NOT NULL,
    source      TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    raw         BYTEA NOT NULL
);
CREATE INDEX dead_letters_by_tenant ON dead_letters (tenant, seq);
CREATE INDEX dead_letters_by_source ON dead_letters (source, seq);

CREATE TABLE desk_records (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    tenant     TEXT,
    version    BIGINT NOT NULL,
    status     TEXT NOT NULL,
    rank       DOUBLE PRECISION NOT NULL,
    owner      TEXT,
    link       TEXT,
    alert      UUID,
    at         BIGINT NOT NULL,
    due_at     BIGINT,
    updated_at BIGINT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX desk_records_queue ON desk_records (kind, status, rank DESC, at);
CREATE INDEX desk_records_by_tenant ON desk_records (kind, tenant, status, rank DESC, at);
CREATE INDEX desk_records_due ON desk_records (kind, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX desk_records_link ON desk_records (kind, link) WHERE link IS NOT NULL;
CREATE INDEX desk_records_alert ON desk_records (alert) WHERE alert IS NOT NULL;

CREATE TABLE desk_feed (
    seq    BIGSERIAL PRIMARY KEY,
    tenant TEXT,
    kind   TEXT NOT NULL,
    id     TEXT NOT NULL,
    status TEXT NOT NULL,
    rank   DOUBLE PRECISION NOT NULL,
    at     BIGINT NOT NULL
);
CREATE INDEX desk_feed_by_tenant ON desk_feed (tenant, seq);

CREATE TABLE desk_alert_feed (
    seq      BIGSERIAL PRIMARY KEY,
    alert_id UUID NOT NULL
);

CREATE TABLE desk_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE audit_entries (
    seq           BIGINT PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    tenant        TEXT,
    action        TEXT NOT NULL,
    object        TEXT NOT NULL,
    before_digest BYTEA,
    after_digest  BYTEA,
    detail        TEXT NOT NULL,
    prev_hash     BYTEA NOT NULL,
    hash          BYTEA NOT NULL
);
CREATE INDEX audit_entries_by_tenant ON audit_entries (tenant, seq);

CREATE TABLE audit_checkpoints (
    seq       BIGINT PRIMARY KEY,
    tree_size BIGINT NOT NULL,
    root      BYTEA NOT NULL,
    at        BIGINT NOT NULL,
    key       BYTEA NOT NULL,
    signature BYTEA NOT NULL
);

CREATE TABLE estate_meta (
    key   TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO estate_meta (key, value) VALUES ('people_revision', 0);

CREATE TABLE people (
    tenant       TEXT NOT NULL REFERENCES tenants (id),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    status       TEXT NOT NULL,
    status_from  TEXT,
    status_until TEXT,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE person_badges (
    tenant TEXT NOT NULL,
    badge  TEXT NOT NULL,
    person TEXT NOT NULL,
    PRIMARY KEY (tenant, badge),
    FOREIGN KEY (tenant, person) REFERENCES people (tenant, id) ON DELETE CASCADE
);

CREATE TABLE person_accounts (
    tenant  TEXT NOT NULL,
    account TEXT NOT NULL,
    person  TEXT NOT NULL,
    PRIMARY KEY (tenant, account),
    FOREIGN KEY (tenant, person) REFERENCES people (tenant, id) ON DELETE CASCADE
);

CREATE TABLE devices (
    tenant         TEXT NOT NULL REFERENCES tenants (id),
    id             TEXT NOT NULL,
    site           TEXT,
    kind           TEXT NOT NULL,
    zone           TEXT,
    name           TEXT,
    covers_door    TEXT,
    heartbeat_secs BIGINT,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE panel_accounts (
    source    TEXT NOT NULL,
    account   TEXT NOT NULL,
    tenant    TEXT NOT NULL REFERENCES tenants (id),
    site      TEXT,
    panel     TEXT NOT NULL,
    category  TEXT,
    encrypted BOOLEAN NOT NULL,
    PRIMARY KEY (source, account)
);

CREATE TABLE supervision (
    source        TEXT NOT NULL,
    device        TEXT NOT NULL,
    tenant        TEXT NOT NULL,
    site          TEXT,
    device_type   TEXT NOT NULL,
    interval_secs BIGINT NOT NULL,
    last_seen     BIGINT NOT NULL,
    lost_since    BIGINT,
    armed         BOOLEAN,
    PRIMARY KEY (source, device)
);
CREATE INDEX supervision_by_tenant ON supervision (tenant);

CREATE TABLE correlation_state (
    engine   TEXT PRIMARY KEY,
    snapshot BYTEA NOT NULL,
    saved_at BIGINT NOT NULL
);
"#;

/// The schema version this build writes.
pub(crate) fn current_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Brings the database up to this build's schema; returns the migrations
/// applied (empty when it was already current).
pub(crate) async fn migrate(client: &mut Client, lock_space: i32) -> Result<Vec<i64>, StoreError> {
    Ok(apply(client, lock_space, MIGRATIONS).await?)
}

async fn apply(
    client: &mut Client,
    lock_space: i32,
    migrations: &[Migration],
) -> PgResult<Vec<i64>> {
    let supported = migrations.last().map_or(0, |m| m.version);
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&lock_space, &(Lock::Migrate as i32)],
    )
    .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version BIGINT PRIMARY KEY,
             name    TEXT NOT NULL
         )",
    )
    .await?;
    let found: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0)::BIGINT FROM schema_migrations",
            &[],
        )
        .await?
        .try_get(0)?;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported }.into());
    }
    let mut applied = Vec::new();
    for step in migrations.iter().filter(|m| m.version > found) {
        tx.batch_execute(step.sql).await.map_err(|e| {
            StoreError::Database(format!(
                "migration {} ({}) failed: {}",
                step.version,
                step.name,
                e.as_db_error()
                    .map_or_else(|| e.to_string(), |d| d.message().to_owned())
            ))
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&step.version, &step.name],
        )
        .await?;
        applied.push(step.version);
    }
    tx.commit().await?;
    Ok(applied)
}
