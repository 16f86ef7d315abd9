//! [`EstateStore`] for [`SqliteStore`], and the estate's migration (3).
//!
//! The people register is replaced per tenant in one transaction (an HR
//! export is a whole snapshot); `estate_meta.people_revision` moves on every
//! replacement so a running pipeline can tell, cheaply, that it must reload.
//! Badge and account names are unique per tenant: the primary keys refuse
//! an export that gives one badge to two people. Panel keys are not here.

use async_trait::async_trait;
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};
use vigil_model::{PersonStatus, SiteId, SourceId, TenantId, Timestamp};

use super::SqliteStore;
use super::codec::{corrupt, micros};
use crate::estate::{
    DeviceRecord, EstateStore, PanelAccountRecord, PeopleImport, PersonRecord, SiteEvent,
    SupervisionRecord,
};
use crate::{StoreError, TenantScope};

/// Migration 3: the physical estate.
pub(crate) const ESTATE_SCHEMA: &str = r#"
CREATE TABLE estate_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO estate_meta (key, value) VALUES ('people_revision', 0);

CREATE TABLE people (
    tenant       TEXT NOT NULL REFERENCES tenants (id),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    status       TEXT NOT NULL,
    status_from  TEXT,
    status_until TEXT,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

CREATE TABLE person_badges (
    tenant TEXT NOT NULL,
    badge  TEXT NOT NULL,
    person TEXT NOT NULL,
    PRIMARY KEY (tenant, badge),
    FOREIGN KEY (tenant, person) REFERENCES people (tenant, id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE person_accounts (
    tenant  TEXT NOT NULL,
    account TEXT NOT NULL,
    person  TEXT NOT NULL,
    PRIMARY KEY (tenant, account),
    FOREIGN KEY (tenant, person) REFERENCES people (tenant, id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE devices (
    tenant         TEXT NOT NULL REFERENCES tenants (id),
    id             TEXT NOT NULL,
    site           TEXT,
    kind           TEXT NOT NULL,
    zone           TEXT,
    name           TEXT,
    covers_door    TEXT,
    heartbeat_secs INTEGER,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

CREATE TABLE panel_accounts (
    source    TEXT NOT NULL,
    account   TEXT NOT NULL,
    tenant    TEXT NOT NULL REFERENCES tenants (id),
    site      TEXT,
    panel     TEXT NOT NULL,
    category  TEXT,
    encrypted INTEGER NOT NULL,
    PRIMARY KEY (source, account)
) WITHOUT ROWID;

CREATE TABLE supervision (
    source        TEXT NOT NULL,
    device        TEXT NOT NULL,
    tenant        TEXT NOT NULL,
    site          TEXT,
    device_type   TEXT NOT NULL,
    interval_secs INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    lost_since    INTEGER,
    armed         INTEGER,
    PRIMARY KEY (source, device)
) WITHOUT ROWID;
CREATE INDEX supervision_by_tenant ON supervision (tenant);
"#;

#[async_trait]
impl EstateStore for SqliteStore {
    async fn replace_people(
        &self,
        tenant: &TenantId,
        people: &[PersonRecord],
    ) -> Result<PeopleImport, StoreError> {
        let (tenant, people) = (tenant.clone(), people.to_vec());
        self.writer
            .run_custom(move |conn| replace_people(conn, &tenant, &people))
            .await
    }

    async fn people(&self, scope: &TenantScope) -> Result<Vec<PersonRecord>, StoreError> {
        let scope = scope.clone();
        self.readers.run(move |c| people(c, &scope)).await
    }

    async fn people_revision(&self) -> Result<i64, StoreError> {
        self.readers
            .run(|c| {
                Ok(c.query_row(
                    "SELECT value FROM estate_meta WHERE key = 'people_revision'",
                    [],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0))
            })
            .await
    }

    async fn upsert_devices(&self, devices: &[DeviceRecord]) -> Result<(), StoreError> {
        let devices = devices.to_vec();
        self.writer
            .run_custom(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "INSERT INTO devices (tenant, id, site, kind, zone, name, covers_door, heartbeat_secs)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (tenant, id) DO UPDATE SET site = excluded.site, kind = excluded.kind,
                       zone = excluded.zone, name = excluded.name, covers_door = excluded.covers_door,
                       heartbeat_secs = excluded.heartbeat_secs",
                )?;
                for d in &devices {
                    stmt.execute(params![
                        d.tenant.as_str(),
                        d.id,
                        d.site.as_ref().map(SiteId::as_str),
                        d.kind,
                        d.zone,
                        d.name,
                        d.covers_door,
                        d.heartbeat_secs
                    ])?;
                }
                Ok(())
            })
            .await
    }

    async fn devices(&self, scope: &TenantScope) -> Result<Vec<DeviceRecord>, StoreError> {
        let scope = scope.clone();
        self.readers
            .run(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT tenant, id, site, kind, zone, name, covers_door, heartbeat_secs
                     FROM devices WHERE ?1 IS NULL OR tenant = ?1 ORDER BY tenant, id",
                )?;
                let rows = stmt.query_map([scope_param(&scope)], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (tenant, id, site, kind, zone, name, covers_door, heartbeat_secs) = row?;
                    out.push(DeviceRecord {
                        tenant: tenant_id("device", &id, &tenant)?,
                        site: site_id("device", &id, site)?,
                        id,
                        kind,
                        zone,
                        name,
                        covers_door,
                        heartbeat_secs,
                    });
                }
                Ok(out)
            })
            .await
    }

    async fn upsert_panel_accounts(
        &self,
        accounts: &[PanelAccountRecord],
    ) -> Result<(), StoreError> {
        let accounts = accounts.to_vec();
        self.writer
            .run_custom(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "INSERT INTO panel_accounts (source, account, tenant, site, panel, category, encrypted)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (source, account) DO UPDATE SET tenant = excluded.tenant,
                       site = excluded.site, panel = excluded.panel, category = excluded.category,
                       encrypted = excluded.encrypted",
                )?;
                for a in &accounts {
                    stmt.execute(params![
                        a.source.as_str(),
                        a.account,
                        a.tenant.as_str(),
                        a.site.as_ref().map(SiteId::as_str),
                        a.panel,
                        a.category,
                        a.encrypted
                    ])?;
                }
                Ok(())
            })
            .await
    }

    async fn panel_accounts(
        &self,
        scope: &TenantScope,
    ) -> Result<Vec<PanelAccountRecord>, StoreError> {
        let scope = scope.clone();
        self.readers
            .run(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT source, account, tenant, site, panel, category, encrypted
                     FROM panel_accounts WHERE ?1 IS NULL OR tenant = ?1 ORDER BY source, account",
                )?;
                let rows = stmt.query_map([scope_param(&scope)], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (source, account, tenant, site, panel, category, encrypted) = row?;
                    out.push(PanelAccountRecord {
                        source: source_id("panel account", &account, &source)?,
                        tenant: tenant_id("panel account", &account, &tenant)?,
                        site: site_id("panel account", &account, site)?,
                        account,
                        panel,
                        category,
                        encrypted,
                    });
                }
                Ok(out)
            })
            .await
    }

    async fn save_supervision(&self, states: &[SupervisionRecord]) -> Result<(), StoreError> {
        let states = states.to_vec();
        self.writer
            .run_custom(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "INSERT INTO supervision (source, device, tenant, site, device_type, interval_secs,
                       last_seen, lost_since, armed)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (source, device) DO UPDATE SET tenant = excluded.tenant,
                       site = excluded.site, device_type = excluded.device_type,
                       interval_secs = excluded.interval_secs, last_seen = excluded.last_seen,
                       lost_since = excluded.lost_since, armed = excluded.armed",
                )?;
                for s in &states {
                    stmt.execute(params![
                        s.source.as_str(),
                        s.device,
                        s.tenant.as_str(),
                        s.site.as_ref().map(SiteId::as_str),
                        s.device_type,
                        s.interval_secs,
                        micros(s.last_seen),
                        s.lost_since.map(micros),
                        s.armed
                    ])?;
                }
                Ok(())
            })
            .await
    }

    async fn supervision(&self, scope: &TenantScope) -> Result<Vec<SupervisionRecord>, StoreError> {
        let scope = scope.clone();
        self.readers
            .run(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT source, device, tenant, site, device_type, interval_secs, last_seen,
                       lost_since, armed
                     FROM supervision WHERE ?1 IS NULL OR tenant = ?1 ORDER BY source, device",
                )?;
                let rows = stmt.query_map([scope_param(&scope)], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get::<_, i64>(6)?,
                        r.get::<_, Option<i64>>(7)?,
                        r.get(8)?,
                    ))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (
                        source,
                        device,
                        tenant,
                        site,
                        device_type,
                        interval_secs,
                        last,
                        lost,
                        armed,
                    ) = row?;
                    out.push(SupervisionRecord {
                        source: source_id("supervision", &device, &source)?,
                        tenant: tenant_id("supervision", &device, &tenant)?,
                        site: site_id("supervision", &device, site)?,
                        last_seen: time("supervision", &device, last)?,
                        lost_since: lost.map(|l| time("supervision", &device, l)).transpose()?,
                        device,
                        device_type,
                        interval_secs,
                        armed,
                    });
                }
                Ok(out)
            })
            .await
    }

    async fn recent_site_events(
        &self,
        tenant: &TenantId,
        site: &SiteId,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<SiteEvent>, StoreError> {
        self.read_site_events(tenant, site, since, limit).await
    }
}

fn scope_param(scope: &TenantScope) -> Option<String> {
    match scope {
        TenantScope::All => None,
        TenantScope::One(t) => Some(t.to_string()),
    }
}

fn tenant_id(what: &'static str, id: &str, text: &str) -> Result<TenantId, StoreError> {
    TenantId::new(text).map_err(|e| corrupt(what, id, e))
}

fn source_id(what: &'static str, id: &str, text: &str) -> Result<SourceId, StoreError> {
    SourceId::new(text).map_err(|e| corrupt(what, id, e))
}

fn site_id(
    what: &'static str,
    id: &str,
    text: Option<String>,
) -> Result<Option<SiteId>, StoreError> {
    text.map(|s| SiteId::new(&s).map_err(|e| corrupt(what, id, e)))
        .transpose()
}

fn time(what: &'static str, id: &str, micros: i64) -> Result<Timestamp, StoreError> {
    chrono::DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| corrupt(what, id, format_args!("time {micros} is out of range")))
}

fn date(
    what: &'static str,
    id: &str,
    text: Option<String>,
) -> Result<Option<NaiveDate>, StoreError> {
    text.map(|t| {
        NaiveDate::parse_from_str(&t, "%Y-%m-%d")
            .map_err(|e| corrupt(what, id, format_args!("date `{t}`: {e}")))
    })
    .transpose()
}

fn replace_people(
    conn: &Connection,
    tenant: &TenantId,
    people: &[PersonRecord],
) -> Result<PeopleImport, StoreError> {
    let t = tenant.as_str();
    // Badges and accounts go with their people (ON DELETE CASCADE).
    conn.execute("DELETE FROM people WHERE tenant = ?1", [t])?;
    let mut person = conn.prepare_cached(
        "INSERT INTO people (tenant, id, name, status, status_from, status_until)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut badge = conn
        .prepare_cached("INSERT INTO person_badges (tenant, badge, person) VALUES (?1, ?2, ?3)")?;
    let mut account = conn.prepare_cached(
        "INSERT INTO person_accounts (tenant, account, person) VALUES (?1, ?2, ?3)",
    )?;
    let conflict = |what: &str, value: &str, id: &str| {
        StoreError::Database(format!(
            "{what} `{value}` of person `{id}` is already given to someone else in tenant `{t}`"
        ))
    };
    let mut import = PeopleImport::default();
    for p in people {
        person
            .execute(params![
                t,
                p.id,
                p.name,
                p.status.as_str(),
                p.status_from.map(|d| d.to_string()),
                p.status_until.map(|d| d.to_string())
            ])
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StoreError::Database(format!("person `{}` appears twice in tenant `{t}`", p.id))
                }
                other => other.into(),
            })?;
        for b in &p.badges {
            badge
                .execute(params![t, b, p.id])
                .map_err(|_| conflict("badge", b, &p.id))?;
            import.badges += 1;
        }
        for a in &p.accounts {
            account
                .execute(params![t, a, p.id])
                .map_err(|_| conflict("account", a, &p.id))?;
            import.accounts += 1;
        }
        import.people += 1;
    }
    conn.execute(
        "UPDATE estate_meta SET value = value + 1 WHERE key = 'people_revision'",
        [],
    )?;
    import.revision = conn.query_row(
        "SELECT value FROM estate_meta WHERE key = 'people_revision'",
        [],
        |r| r.get(0),
    )?;
    Ok(import)
}

fn people(conn: &Connection, scope: &TenantScope) -> Result<Vec<PersonRecord>, StoreError> {
    let param = scope_param(scope);
    let mut stmt = conn.prepare_cached(
        "SELECT tenant, id, name, status, status_from, status_until FROM people
         WHERE ?1 IS NULL OR tenant = ?1 ORDER BY tenant, id",
    )?;
    let rows = stmt.query_map([&param], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    let mut out: Vec<PersonRecord> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for row in rows {
        let (tenant, id, name, status, from, until) = row?;
        let record = PersonRecord {
            tenant: tenant_id("person", &id, &tenant)?,
            status: PersonStatus::parse(&status)
                .ok_or_else(|| corrupt("person", &id, format_args!("status `{status}`")))?,
            status_from: date("person", &id, from)?,
            status_until: date("person", &id, until)?,
            id,
            name,
            badges: Vec::new(),
            accounts: Vec::new(),
        };
        index.insert((tenant, record.id.clone()), out.len());
        out.push(record);
    }
    for (table, column) in [("person_badges", "badge"), ("person_accounts", "account")] {
        let mut stmt = conn.prepare(&format!(
            "SELECT tenant, person, {column} FROM {table} WHERE ?1 IS NULL OR tenant = ?1
             ORDER BY tenant, person, {column}"
        ))?;
        let rows = stmt.query_map([&param], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (tenant, person, value) = row?;
            if let Some(p) = index.get(&(tenant, person)).and_then(|i| out.get_mut(*i)) {
                if table == "person_badges" {
                    p.badges.push(value);
                } else {
                    p.accounts.push(value);
                }
            }
        }
    }
    Ok(out)
}
