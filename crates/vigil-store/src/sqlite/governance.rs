//! [`crate::DeskStore::delete_expired`] for SQLite: one writer job deletes
//! one batch of a class and appends its proof, so the deletion and its
//! audit entry share a transaction.
//!
//! Each statement deletes through the same indexes the reads use
//! ((tenant, time) for the archive tables, (kind, tenant, …) for desk
//! records) and returns what it deleted (`RETURNING`), so the ids come from
//! the rows that actually went, not from a read that could race a write.

use rusqlite::Connection;
use rusqlite::types::Value;
use uuid::Uuid;

use super::audit_log;
use super::codec::micros;
use crate::StoreError;
use crate::governance::{
    DataClass, Deletion, ExpiryRequest, PURGE_TABLES, TenantPurge, ids_digest, proof_of,
    proof_record, purge_record,
};

/// `?, ?, …` for `n` values (callers add nothing when `n` is zero).
fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Deletes one batch and records it; runs inside the writer's transaction.
pub(crate) fn delete_expired(
    conn: &Connection,
    request: &ExpiryRequest,
) -> Result<Deletion, StoreError> {
    let tenant = request.tenant.as_str();
    let before = micros(request.before);
    let limit = i64::try_from(request.limit).unwrap_or(i64::MAX);
    let kept_alerts: Vec<Value> = request
        .keep_alerts
        .iter()
        .map(|a| Value::Blob(a.0.as_bytes().to_vec()))
        .collect();
    let mut params: Vec<Value> = vec![Value::Text(tenant.to_owned()), before.into()];
    let mut ids = match request.class {
        DataClass::Events => {
            let keep = if kept_alerts.is_empty() {
                String::new()
            } else {
                format!(
                    " AND id NOT IN (SELECT event_id FROM alert_evidence WHERE alert_id IN ({}))",
                    placeholders(kept_alerts.len())
                )
            };
            params.extend(kept_alerts);
            params.push(limit.into());
            let sql = format!(
                "DELETE FROM events WHERE seq IN (SELECT seq FROM events \
                 WHERE tenant = ? AND observed_at < ?{keep} LIMIT ?) RETURNING id"
            );
            uuids(conn, &sql, params)?
        }
        DataClass::Alerts => {
            let keep = if kept_alerts.is_empty() {
                String::new()
            } else {
                format!(" AND id NOT IN ({})", placeholders(kept_alerts.len()))
            };
            params.extend(kept_alerts);
            params.push(limit.into());
            let sql = format!(
                "DELETE FROM alerts WHERE seq IN (SELECT seq FROM alerts \
                 WHERE tenant = ? AND last_seen < ?{keep} LIMIT ?) RETURNING id"
            );
            let ids = uuids(conn, &sql, params)?;
            // The desk's view of each alert goes with it: its alarm, the
            // records hanging off the alarm, and any unread feed entry.
            let mut alarm = conn
                .prepare_cached("DELETE FROM desk_records WHERE kind = 'alarm' AND alert = ?1")?;
            let mut feed =
                conn.prepare_cached("DELETE FROM desk_alert_feed WHERE alert_id = ?1")?;
            for id in &ids {
                let uuid = Uuid::parse_str(id).map_err(|e| StoreError::Database(e.to_string()))?;
                alarm.execute([uuid.as_bytes().to_vec()])?;
                feed.execute([uuid.as_bytes().to_vec()])?;
                delete_linked(conn, tenant, "alarm", id)?;
            }
            ids
        }
        DataClass::Incidents => {
            let keep = if request.keep_incidents.is_empty() {
                String::new()
            } else {
                format!(
                    " AND id NOT IN ({})",
                    placeholders(request.keep_incidents.len())
                )
            };
            params.extend(
                request
                    .keep_incidents
                    .iter()
                    .map(|i| Value::from(i.clone())),
            );
            params.push(limit.into());
            let sql = format!(
                "DELETE FROM desk_records WHERE rowid IN (SELECT rowid FROM desk_records \
                 WHERE kind = 'incident' AND tenant = ? AND status = 'closed' \
                 AND updated_at < ?{keep} LIMIT ?) RETURNING id"
            );
            let ids = texts(conn, &sql, params)?;
            for id in &ids {
                delete_linked(conn, tenant, "incident", id)?;
            }
            ids
        }
        DataClass::DeadLetters => {
            params.push(limit.into());
            let mut stmt = conn.prepare_cached(
                "DELETE FROM dead_letters WHERE seq IN (SELECT seq FROM dead_letters \
                 WHERE tenant = ? AND received_at < ? LIMIT ?) RETURNING seq",
            )?;
            let rows =
                stmt.query_map(rusqlite::params_from_iter(params), |r| r.get::<_, i64>(0))?;
            rows.map(|r| r.map(|seq| seq.to_string()))
                .collect::<Result<Vec<_>, _>>()?
        }
        // Erased in place by the desk; nothing of the store's to delete.
        DataClass::Visitors => Vec::new(),
    };
    let proof = proof_of(request, &mut ids);
    let audit_seq = if ids.is_empty() {
        None
    } else {
        Some(audit_log::append(conn, &proof_record(request, &proof))?)
    };
    Ok(Deletion {
        ids,
        proof,
        audit_seq,
    })
}

/// Deletes the desk records that hang off an alarm or an incident (SOP
/// runs, deliveries, service-level crossings, NIS-2 reminders): they link
/// to it by its id or by `kind:id`. Other alarms of its group are not
/// among them (an alarm links to its group, and alarms are left alone).
fn delete_linked(conn: &Connection, tenant: &str, kind: &str, id: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "DELETE FROM desk_records WHERE tenant = ?1 AND kind <> 'alarm' \
         AND (link = ?2 OR link = ?3)",
    )?
    .execute((tenant, id, format!("{kind}:{id}")))?;
    Ok(())
}

fn uuids(conn: &Connection, sql: &str, params: Vec<Value>) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
        r.get::<_, Vec<u8>>(0)
    })?;
    let mut ids = Vec::new();
    for blob in rows {
        let blob = blob?;
        let uuid = Uuid::from_slice(&blob).map_err(|e| StoreError::Corrupt {
            what: "deleted row",
            id: hex::encode(&blob),
            reason: e.to_string(),
        })?;
        ids.push(uuid.to_string());
    }
    Ok(ids)
}

fn texts(conn: &Connection, sql: &str, params: Vec<Value>) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
        r.get::<_, String>(0)
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Deletes everything left of `tenant` and records it; runs inside the
/// writer's transaction.
pub(crate) fn purge_tenant(
    conn: &Connection,
    tenant: &vigil_model::TenantId,
    actor: &str,
    at: vigil_model::Timestamp,
) -> Result<TenantPurge, StoreError> {
    let t = tenant.as_str();
    let mut records: Vec<String> = {
        let mut stmt =
            conn.prepare("DELETE FROM desk_records WHERE tenant = ?1 RETURNING kind, id")?;
        let rows = stmt.query_map([t], |r| {
            Ok(format!(
                "{}/{}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?
            ))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let mut rows = std::collections::BTreeMap::new();
    let feed = conn.execute(
        "DELETE FROM desk_alert_feed WHERE alert_id IN (SELECT id FROM alerts WHERE tenant = ?1)",
        [t],
    )?;
    if feed > 0 {
        rows.insert("desk_alert_feed".to_owned(), feed as u64);
    }
    for (table, column) in PURGE_TABLES {
        let n = conn.execute(&format!("DELETE FROM {table} WHERE {column} = ?1"), [t])?;
        if n > 0 {
            rows.insert((*table).to_owned(), n as u64);
        }
    }
    let mut purge = TenantPurge {
        tenant: tenant.clone(),
        desk_records: records.len() as u64,
        desk_records_sha256: hex::encode(ids_digest(&mut records)),
        rows,
        audit_seq: 0,
    };
    purge.audit_seq = audit_log::append(conn, &purge_record(&purge, actor, at))?;
    Ok(purge)
}
