//! Retention of visitors' personal data under the client's governance
//! settings (`[retention] visitors`, `[tenants.retention] visitors`): a
//! visit over for longer than the period has its personal data erased
//! (`Visit::erase`), not deleted, so the forensic trail of identifiers
//! stays. Clients under a legal hold are skipped. Each client's run is one
//! write: the erased visits and one `visit.retention_erase` audit entry
//! holding the count and the SHA-256 of the visit ids — no names.

use sha2::{Digest, Sha256};
use vigil_model::TenantId;
use vigil_store::audit::AuditRecord;
use vigil_store::{DeskWrite, RecordQuery, TenantScope};
use vigil_visitors::retention::due_for_erasure;
use vigil_visitors::{ActorId, Visit};

use super::Desk;
use crate::DeskError;
use crate::governance::DataClass;
use crate::record::DeskObject;

/// Most visits erased per client and run (the next run takes the rest).
const ERASE_BATCH: usize = 500;

impl Desk {
    /// Erases the personal data of every visit past its client's period;
    /// how many were erased, per client.
    pub async fn erase_due_visits(&self) -> Result<Vec<(TenantId, u64)>, DeskError> {
        let policy = self.retention_policy();
        let now = self.now();
        let by = ActorId::new("system:retention").map_err(|e| DeskError::Config {
            source_name: "retention".into(),
            reason: e.to_string(),
        })?;
        let tenants: Vec<TenantId> = self
            .inner
            .store
            .tenants(&TenantScope::All)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        let mut out = Vec::new();
        for tenant in tenants {
            let Some(period) = policy.period(&tenant, DataClass::Visitors) else {
                continue;
            };
            if self.is_held(&tenant).await? {
                continue;
            }
            let mut q = RecordQuery::new(Visit::KIND, TenantScope::One(tenant.clone()));
            // Only visits that can be over and are not erased yet, the
            // earliest window end first.
            q.not_statuses = vec!["arrived".into(), "badge_issued".into(), "erased".into()];
            q.order = vigil_store::RecordOrder::Due;
            q.limit = vigil_store::MAX_PAGE_SIZE;
            let stored = self.list::<Visit>(&q).await?;
            let visits: Vec<&Visit> = stored.iter().map(|s| &s.value).collect();
            let due = due_for_erasure(visits.iter().copied(), Some(period), now);
            let mut records = Vec::new();
            let mut erased = Vec::new();
            let mut ids = Sha256::new();
            for s in stored.iter().filter(|s| due.contains(&s.value.id)) {
                if records.len() == ERASE_BATCH {
                    break;
                }
                let mut v = s.value.clone();
                if v.erase(by.clone(), now).is_err() {
                    continue;
                }
                ids.update(v.id.to_string().as_bytes());
                ids.update(b"\n");
                records.push(crate::record::to_record(&v, s.version)?);
                erased.push(v);
            }
            if records.is_empty() {
                continue;
            }
            let count = records.len() as u64;
            self.commit(DeskWrite {
                records,
                audit: vec![AuditRecord {
                    at: now,
                    actor: "system:retention".into(),
                    tenant: Some(tenant.clone()),
                    action: "visit.retention_erase".into(),
                    object: format!("tenant/{tenant}"),
                    before: None,
                    after: None,
                    detail: serde_json::json!({
                        "count": count,
                        "ids_sha256": hex::encode(ids.finalize()),
                        "period_days": period.num_days(),
                    }),
                }],
                ..Default::default()
            })
            .await?;
            let live = self.visitors_live();
            for v in erased {
                live.put_visit(v);
            }
            out.push((tenant, count));
        }
        Ok(out)
    }
}
