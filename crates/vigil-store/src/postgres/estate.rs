//! [`EstateStore`] for [`PgStore`]: the people register (replaced whole per
//! tenant in one transaction, its revision bumped), devices, panel accounts,
//! supervision states, and a site's recent physical events.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use tokio_postgres::Transaction;
use tokio_postgres::error::SqlState;

use vigil_model::{EventClass, PersonStatus, SiteId, SourceId, TenantId, Timestamp};

use super::codec::stored_time;
use super::{PgError, PgResult, PgStore, transaction};
use crate::encoding::{corrupt, micros};
use crate::estate::{
    DeviceRecord, EstateStore, PHYSICAL_EVENT_CLASSES, PanelAccountRecord, PeopleImport,
    PersonRecord, SiteEvent, SupervisionRecord,
};
use crate::{MAX_PAGE_SIZE, StoreError, TenantScope};

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

fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

async fn replace_people(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    people: &[PersonRecord],
) -> PgResult<PeopleImport> {
    let t = tenant.as_str();
    // Badges and accounts go with their people (ON DELETE CASCADE).
    tx.execute("DELETE FROM people WHERE tenant = $1", &[&t])
        .await?;
    let person = tx
        .prepare(
            "INSERT INTO people (tenant, id, name, status, status_from, status_until) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .await?;
    let badge = tx
        .prepare("INSERT INTO person_badges (tenant, badge, person) VALUES ($1, $2, $3)")
        .await?;
    let account = tx
        .prepare("INSERT INTO person_accounts (tenant, account, person) VALUES ($1, $2, $3)")
        .await?;
    let conflict = |what: &str, value: &str, id: &str| -> PgError {
        StoreError::Database(format!(
            "{what} `{value}` of person `{id}` is already given to someone else in tenant `{t}`"
        ))
        .into()
    };
    let mut import = PeopleImport::default();
    for p in people {
        let (from, until) = (
            p.status_from.map(|d| d.to_string()),
            p.status_until.map(|d| d.to_string()),
        );
        tx.execute(
            &person,
            &[&t, &p.id, &p.name, &p.status.as_str(), &from, &until],
        )
        .await
        .map_err(|e| -> PgError {
            if is_unique_violation(&e) {
                StoreError::Database(format!("person `{}` appears twice in tenant `{t}`", p.id))
                    .into()
            } else {
                e.into()
            }
        })?;
        for b in &p.badges {
            tx.execute(&badge, &[&t, b, &p.id]).await.map_err(|e| {
                if is_unique_violation(&e) {
                    conflict("badge", b, &p.id)
                } else {
                    e.into()
                }
            })?;
            import.badges += 1;
        }
        for a in &p.accounts {
            tx.execute(&account, &[&t, a, &p.id]).await.map_err(|e| {
                if is_unique_violation(&e) {
                    conflict("account", a, &p.id)
                } else {
                    e.into()
                }
            })?;
            import.accounts += 1;
        }
        import.people += 1;
    }
    import.revision = tx
        .query_one(
            "UPDATE estate_meta SET value = value + 1 WHERE key = 'people_revision' RETURNING value",
            &[],
        )
        .await?
        .try_get(0)?;
    Ok(import)
}

async fn people(
    client: &tokio_postgres::Client,
    scope: &TenantScope,
) -> PgResult<Vec<PersonRecord>> {
    let param = scope_param(scope);
    let rows = client
        .query(
            "SELECT tenant, id, name, status, status_from, status_until FROM people \
             WHERE $1::text IS NULL OR tenant = $1 ORDER BY tenant COLLATE \"C\", id COLLATE \"C\"",
            &[&param],
        )
        .await?;
    let mut out: Vec<PersonRecord> = Vec::new();
    let mut index = HashMap::new();
    for row in &rows {
        let (tenant, id, name, status): (String, String, String, String) = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        );
        let record = PersonRecord {
            tenant: tenant_id("person", &id, &tenant)?,
            status: PersonStatus::parse(&status)
                .ok_or_else(|| corrupt("person", &id, format_args!("status `{status}`")))?,
            status_from: date("person", &id, row.try_get(4)?)?,
            status_until: date("person", &id, row.try_get(5)?)?,
            id,
            name,
            badges: Vec::new(),
            accounts: Vec::new(),
        };
        index.insert((tenant, record.id.clone()), out.len());
        out.push(record);
    }
    for (table, column) in [("person_badges", "badge"), ("person_accounts", "account")] {
        let rows = client
            .query(
                &format!(
                    "SELECT tenant, person, {column} FROM {table} \
                     WHERE $1::text IS NULL OR tenant = $1 \
                     ORDER BY tenant COLLATE \"C\", person COLLATE \"C\", {column} COLLATE \"C\""
                ),
                &[&param],
            )
            .await?;
        for row in &rows {
            let (tenant, person, value): (String, String, String) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
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

const SITE_EVENTS: &str = "SELECT observed_at, class, device, fields FROM events \
     WHERE tenant = $1 AND site = $2 AND observed_at >= $3 \
       AND class IN ('physical_access', 'intrusion_alarm', 'fire_alarm', 'sensor_reading', 'video_analytics', 'device_status') \
     ORDER BY observed_at DESC LIMIT $4";

#[async_trait]
impl EstateStore for PgStore {
    async fn replace_people(
        &self,
        tenant: &TenantId,
        people: &[PersonRecord],
    ) -> Result<PeopleImport, StoreError> {
        Ok(transaction!(self, |tx| replace_people(
            &tx, tenant, people
        )
        .await?)?)
    }

    async fn people(&self, scope: &TenantScope) -> Result<Vec<PersonRecord>, StoreError> {
        Ok(people(&**self.client().await?, scope).await?)
    }

    async fn people_revision(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT value FROM estate_meta WHERE key = 'people_revision'",
                &[],
            )
            .await
            .map_err(PgError::from)?;
        Ok(match row {
            Some(r) => r.try_get(0).map_err(PgError::from)?,
            None => 0,
        })
    }

    async fn upsert_devices(&self, devices: &[DeviceRecord]) -> Result<(), StoreError> {
        Ok(transaction!(self, |tx| {
            let stmt = tx
                .prepare(
                    "INSERT INTO devices (tenant, id, site, kind, zone, name, covers_door, heartbeat_secs) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (tenant, id) DO UPDATE SET site = excluded.site, kind = excluded.kind, \
                       zone = excluded.zone, name = excluded.name, covers_door = excluded.covers_door, \
                       heartbeat_secs = excluded.heartbeat_secs",
                )
                .await?;
            for d in devices {
                tx.execute(
                    &stmt,
                    &[
                        &d.tenant.as_str(),
                        &d.id,
                        &d.site.as_ref().map(SiteId::as_str),
                        &d.kind,
                        &d.zone,
                        &d.name,
                        &d.covers_door,
                        &d.heartbeat_secs,
                    ],
                )
                .await?;
            }
        })?)
    }

    async fn devices(&self, scope: &TenantScope) -> Result<Vec<DeviceRecord>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT tenant, id, site, kind, zone, name, covers_door, heartbeat_secs \
                 FROM devices WHERE $1::text IS NULL OR tenant = $1 \
                 ORDER BY tenant COLLATE \"C\", id COLLATE \"C\"",
                &[&scope_param(scope)],
            )
            .await
            .map_err(PgError::from)?;
        let decode = |row: &tokio_postgres::Row| -> PgResult<DeviceRecord> {
            let (tenant, id): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            Ok(DeviceRecord {
                tenant: tenant_id("device", &id, &tenant)?,
                site: site_id("device", &id, row.try_get(2)?)?,
                kind: row.try_get(3)?,
                zone: row.try_get(4)?,
                name: row.try_get(5)?,
                covers_door: row.try_get(6)?,
                heartbeat_secs: row.try_get(7)?,
                id,
            })
        };
        Ok(rows.iter().map(decode).collect::<PgResult<Vec<_>>>()?)
    }

    async fn upsert_panel_accounts(
        &self,
        accounts: &[PanelAccountRecord],
    ) -> Result<(), StoreError> {
        Ok(transaction!(self, |tx| {
            let stmt = tx
                .prepare(
                    "INSERT INTO panel_accounts (source, account, tenant, site, panel, category, encrypted) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (source, account) DO UPDATE SET tenant = excluded.tenant, \
                       site = excluded.site, panel = excluded.panel, category = excluded.category, \
                       encrypted = excluded.encrypted",
                )
                .await?;
            for a in accounts {
                tx.execute(
                    &stmt,
                    &[
                        &a.source.as_str(),
                        &a.account,
                        &a.tenant.as_str(),
                        &a.site.as_ref().map(SiteId::as_str),
                        &a.panel,
                        &a.category,
                        &a.encrypted,
                    ],
                )
                .await?;
            }
        })?)
    }

    async fn panel_accounts(
        &self,
        scope: &TenantScope,
    ) -> Result<Vec<PanelAccountRecord>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT source, account, tenant, site, panel, category, encrypted \
                 FROM panel_accounts WHERE $1::text IS NULL OR tenant = $1 \
                 ORDER BY source COLLATE \"C\", account COLLATE \"C\"",
                &[&scope_param(scope)],
            )
            .await
            .map_err(PgError::from)?;
        let decode = |row: &tokio_postgres::Row| -> PgResult<PanelAccountRecord> {
            let (source, account, tenant): (String, String, String) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            Ok(PanelAccountRecord {
                source: source_id("panel account", &account, &source)?,
                tenant: tenant_id("panel account", &account, &tenant)?,
                site: site_id("panel account", &account, row.try_get(3)?)?,
                panel: row.try_get(4)?,
                category: row.try_get(5)?,
                encrypted: row.try_get(6)?,
                account,
            })
        };
        Ok(rows.iter().map(decode).collect::<PgResult<Vec<_>>>()?)
    }

    async fn save_supervision(&self, states: &[SupervisionRecord]) -> Result<(), StoreError> {
        Ok(transaction!(self, |tx| {
            let stmt = tx
                .prepare(
                    "INSERT INTO supervision (source, device, tenant, site, device_type, interval_secs, \
                       last_seen, lost_since, armed) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (source, device) DO UPDATE SET tenant = excluded.tenant, \
                       site = excluded.site, device_type = excluded.device_type, \
                       interval_secs = excluded.interval_secs, last_seen = excluded.last_seen, \
                       lost_since = excluded.lost_since, armed = excluded.armed",
                )
                .await?;
            for s in states {
                tx.execute(
                    &stmt,
                    &[
                        &s.source.as_str(),
                        &s.device,
                        &s.tenant.as_str(),
                        &s.site.as_ref().map(SiteId::as_str),
                        &s.device_type,
                        &s.interval_secs,
                        &micros(s.last_seen),
                        &s.lost_since.map(micros),
                        &s.armed,
                    ],
                )
                .await?;
            }
        })?)
    }

    async fn supervision(&self, scope: &TenantScope) -> Result<Vec<SupervisionRecord>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT source, device, tenant, site, device_type, interval_secs, last_seen, \
                   lost_since, armed \
                 FROM supervision WHERE $1::text IS NULL OR tenant = $1 \
                 ORDER BY source COLLATE \"C\", device COLLATE \"C\"",
                &[&scope_param(scope)],
            )
            .await
            .map_err(PgError::from)?;
        let decode = |row: &tokio_postgres::Row| -> PgResult<SupervisionRecord> {
            let (source, device, tenant): (String, String, String) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            let lost: Option<i64> = row.try_get(7)?;
            Ok(SupervisionRecord {
                source: source_id("supervision", &device, &source)?,
                tenant: tenant_id("supervision", &device, &tenant)?,
                site: site_id("supervision", &device, row.try_get(3)?)?,
                device_type: row.try_get(4)?,
                interval_secs: row.try_get(5)?,
                last_seen: stored_time("supervision", &device, "last_seen", row.try_get(6)?)?,
                lost_since: lost
                    .map(|l| stored_time("supervision", &device, "lost_since", l))
                    .transpose()?,
                armed: row.try_get(8)?,
                device,
            })
        };
        Ok(rows.iter().map(decode).collect::<PgResult<Vec<_>>>()?)
    }

    async fn recent_site_events(
        &self,
        tenant: &TenantId,
        site: &SiteId,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<SiteEvent>, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE_SIZE * 10) as i64;
        let client = self.client().await?;
        let rows = client
            .query(
                SITE_EVENTS,
                &[&tenant.as_str(), &site.as_str(), &micros(since), &limit],
            )
            .await
            .map_err(PgError::from)?;
        let decode = |row: &tokio_postgres::Row| -> PgResult<SiteEvent> {
            let what = "site event";
            let (at, class, device, fields): (i64, String, Option<String>, String) = (
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
            );
            let id = device.clone().unwrap_or_default();
            Ok(SiteEvent {
                observed_at: stored_time(what, &id, "observed_at", at)?,
                class: EventClass::parse(&class)
                    .filter(|c| PHYSICAL_EVENT_CLASSES.contains(c))
                    .ok_or_else(|| corrupt(what, &id, format_args!("class `{class}`")))?,
                fields: serde_json::from_str(&fields)
                    .map_err(|e| corrupt(what, &id, format_args!("fields: {e}")))?,
                device,
            })
        };
        Ok(rows.iter().map(decode).collect::<PgResult<Vec<_>>>()?)
    }
}
