//! A site's recent physical events for [`SqliteStore`]
//! ([`crate::EstateStore::recent_site_events`]), and the migrations of
//! their index (5, and 6 which rewrites it): a partial index over the
//! physical event classes by tenant, site and time.

use vigil_model::{EventClass, SiteId, TenantId, Timestamp};

use super::SqliteStore;
use super::codec::{corrupt, micros};
use crate::estate::{PHYSICAL_EVENT_CLASSES, SiteEvent};
use crate::{MAX_PAGE_SIZE, StoreError};

/// Migration 5: the index of physical events by site, as first written.
pub(crate) const SITE_EVENTS_INDEX: &str = r#"
CREATE INDEX events_physical_by_site ON events (tenant, site, observed_at)
    WHERE class IN ('physical_access', 'intrusion_alarm', 'fire_alarm', 'sensor_reading', 'video_analytics', 'device_status');
"#;

/// Migration 6: the same index with its `WHERE` written as comparisons.
/// SQLite evaluates an index's `WHERE` for every row inserted, and an `IN`
/// list of more than two values builds a temporary b-tree each time: that
/// was about a third of the cost of inserting an event (measured with
/// callgrind in `vigil bench dc09`). The `WHERE` must stay the same text as
/// the query's class filter ([`SITE_EVENTS`]) for SQLite to use the index.
pub(crate) const SITE_EVENTS_INDEX_WITHOUT_IN: &str = r#"
DROP INDEX events_physical_by_site;
CREATE INDEX events_physical_by_site ON events (tenant, site, observed_at)
    WHERE (class = 'physical_access' OR class = 'intrusion_alarm' OR class = 'fire_alarm' OR class = 'sensor_reading' OR class = 'video_analytics' OR class = 'device_status');
"#;

const SITE_EVENTS: &str = "SELECT observed_at, class, device, fields FROM events
     WHERE tenant = ?1 AND site = ?2 AND observed_at >= ?3
       AND (class = 'physical_access' OR class = 'intrusion_alarm' OR class = 'fire_alarm' OR class = 'sensor_reading' OR class = 'video_analytics' OR class = 'device_status')
     ORDER BY observed_at DESC LIMIT ?4";

impl SqliteStore {
    /// The body of [`crate::EstateStore::recent_site_events`], kept beside
    /// the index whose `WHERE` its query must repeat.
    pub(super) async fn read_site_events(
        &self,
        tenant: &TenantId,
        site: &SiteId,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<SiteEvent>, StoreError> {
        let (tenant, site) = (tenant.to_string(), site.to_string());
        let limit = limit.clamp(1, MAX_PAGE_SIZE * 10) as i64;
        self.readers
            .run(move |c| {
                let mut stmt = c.prepare_cached(SITE_EVENTS)?;
                let rows =
                    stmt.query_map(rusqlite::params![tenant, site, micros(since), limit], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, String>(3)?,
                        ))
                    })?;
                let mut out = Vec::new();
                for row in rows {
                    let (at, class, device, fields) = row?;
                    let what = "site event";
                    let id = device.clone().unwrap_or_default();
                    let observed_at =
                        chrono::DateTime::from_timestamp_micros(at).ok_or_else(|| {
                            corrupt(what, &id, format_args!("time {at} out of range"))
                        })?;
                    let class = EventClass::parse(&class)
                        .filter(|c| PHYSICAL_EVENT_CLASSES.contains(c))
                        .ok_or_else(|| corrupt(what, &id, format_args!("class `{class}`")))?;
                    let fields = serde_json::from_str(&fields)
                        .map_err(|e| corrupt(what, &id, format_args!("fields: {e}")))?;
                    out.push(SiteEvent {
                        observed_at,
                        class,
                        device,
                        fields,
                    });
                }
                Ok(out)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::SqliteOptions;
    use crate::{EstateStore, IngestBatch, Store};
    use vigil_model::{Event, EventId, Severity, SourceId, SourceKind, SourceRef};

    fn event(site: &str, class: EventClass, secs: i64, device: &str) -> Event {
        let at = chrono::DateTime::from_timestamp(1_764_000_000 + secs, 0).unwrap();
        let mut fields = vigil_model::Fields::new();
        fields.insert("door".into(), device.into());
        Event {
            id: EventId::new_at(at, [secs as u8; 10]),
            tenant: TenantId::new("t").unwrap(),
            site: Some(SiteId::new(site).unwrap()),
            observed_at: at,
            received_at: at,
            source: SourceRef {
                id: SourceId::new("s").unwrap(),
                kind: SourceKind::Http,
                product: "access".into(),
                device: Some(device.into()),
            },
            class,
            severity: Severity::Info,
            entities: vec![],
            fields,
        }
    }

    #[tokio::test]
    async fn recent_site_events_are_physical_of_the_site_newest_first_and_bounded() {
        let store = SqliteStore::open_temporary(SqliteOptions::default()).unwrap();
        let events = vec![
            event("lon1", EventClass::PhysicalAccess, 1, "d1"),
            event("lon1", EventClass::Authentication, 2, "host"),
            event("lon1", EventClass::IntrusionAlarm, 3, "p1"),
            event("man1", EventClass::PhysicalAccess, 4, "d9"),
            event("lon1", EventClass::PhysicalAccess, 5, "d2"),
        ];
        let fingerprints = (0..events.len() as u64).collect();
        store
            .commit(IngestBatch {
                events,
                fingerprints,
                ..Default::default()
            })
            .await
            .unwrap();
        let (t, lon1) = (TenantId::new("t").unwrap(), SiteId::new("lon1").unwrap());
        let since = chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        let got = store
            .recent_site_events(&t, &lon1, since, 10)
            .await
            .unwrap();
        let devices: Vec<_> = got.iter().map(|e| e.device.as_deref().unwrap()).collect();
        assert_eq!(devices, ["d2", "p1", "d1"]);
        assert_eq!(got[0].fields["door"], "d2");
        let got = store.recent_site_events(&t, &lon1, since, 2).await.unwrap();
        assert_eq!(got.len(), 2);
        let later = since + chrono::Duration::seconds(4);
        let got = store
            .recent_site_events(&t, &lon1, later, 10)
            .await
            .unwrap();
        assert_eq!(got.len(), 1);
        // The query is served by the partial index.
        let plan: String = store
            .readers
            .run(|c| {
                let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {SITE_EVENTS}"))?;
                let rows = stmt.query_map(rusqlite::params!["t", "lon1", 0, 10], |r| {
                    r.get::<_, String>(3)
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?.join("; "))
            })
            .await
            .unwrap();
        assert!(plan.contains("events_physical_by_site"), "{plan}");
        // Inserting an event evaluates the index's `WHERE` without building a
        // temporary b-tree for it (an `IN` list of six classes did, per row).
        let ops: Vec<String> = store
            .readers
            .run(|c| {
                let mut stmt = c.prepare(
                    "EXPLAIN INSERT INTO events (id, tenant, site, observed_at, received_at, \
                     source_id, source_kind, product, device, class, severity, entities, fields) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )?;
                let nulls =
                    rusqlite::params_from_iter(std::iter::repeat_n(rusqlite::types::Null, 13));
                let rows = stmt.query_map(nulls, |r| r.get::<_, String>(1))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
            .unwrap();
        assert!(ops.iter().any(|op| op == "IdxInsert"), "{ops:?}");
        assert!(!ops.iter().any(|op| op == "OpenEphemeral"), "{ops:?}");
    }
}
