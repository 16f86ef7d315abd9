//! Vendor advisories at the desk: imported provider-wide (each newer
//! revision replaces the one held; an older or the same one is left), and
//! read back into a matching catalogue that each node caches until the
//! next import moves the catalogue mark.

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_lifecycle::advisory::Advisory;
use vigil_lifecycle::matching::Catalogue;
use vigil_store::{DeskWrite, RecordQuery, TenantScope};

use crate::lifecycle::{AdvisoryImport, AdvisoryRecord, CatalogueMark};
use crate::record::{DeskObject, Stored, audit, from_record, to_record};
use crate::service::Desk;
use crate::{Actor, DeskError, Permission};

impl Desk {
    /// Imports advisories (already parsed and checked by the caller, who
    /// names the file of any that does not validate) in one transaction,
    /// with one audit entry per advisory written.
    pub async fn import_advisories(
        &self,
        actor: &Actor,
        advisories: Vec<Advisory>,
    ) -> Result<AdvisoryImport, DeskError> {
        actor.require(Permission::ImportAdvisories, None)?;
        let now = self.now();
        let held: BTreeMap<String, Stored<AdvisoryRecord>> = self
            .list_all::<AdvisoryRecord>(RecordQuery::new(AdvisoryRecord::KIND, TenantScope::All))
            .await?
            .into_iter()
            .map(|s| (s.value.id(), s))
            .collect();
        let mut result = AdvisoryImport {
            documents: advisories.len(),
            ..Default::default()
        };
        // The newest revision of each id among those given.
        let mut newest: BTreeMap<String, Advisory> = BTreeMap::new();
        for a in advisories {
            let id = a.document.tracking.id.clone();
            match newest.get(&id) {
                Some(n)
                    if n.document.tracking.current_release_date
                        >= a.document.tracking.current_release_date =>
                {
                    result.unchanged += 1;
                }
                Some(_) => {
                    result.unchanged += 1;
                    newest.insert(id, a);
                }
                None => {
                    newest.insert(id, a);
                }
            }
        }
        let mut write = DeskWrite::default();
        for (id, advisory) in newest {
            let before = held.get(&id);
            if let Some(b) = before
                && b.value.advisory.document.tracking.current_release_date
                    >= advisory.document.tracking.current_release_date
            {
                result.unchanged += 1;
                continue;
            }
            match before {
                Some(_) => result.replaced += 1,
                None => result.added += 1,
            }
            let after = AdvisoryRecord {
                advisory,
                imported_at: now,
                imported_by: actor.name.clone(),
            };
            write
                .records
                .push(to_record(&after, before.map_or(0, |b| b.version))?);
            let action = if before.is_some() {
                "replace"
            } else {
                "import"
            };
            write.audit.push(audit(
                actor,
                action,
                before.map(|b| &b.value),
                Some(&after),
                serde_json::Value::Null,
                now,
            ));
        }
        if write.records.is_empty() {
            return Ok(result);
        }
        let mark = CatalogueMark {
            written: write.records.len(),
            updated_at: now,
        };
        let mark_version = self
            .store()
            .desk_record(CatalogueMark::KIND, &mark.id(), &TenantScope::All)
            .await?
            .map_or(0, |r| r.version);
        write.records.push(to_record(&mark, mark_version)?);
        self.commit(write).await?;
        Ok(result)
    }

    /// How many advisories the catalogue holds.
    pub async fn advisory_count(&self, actor: &Actor) -> Result<usize, DeskError> {
        actor.require(Permission::View, None)?;
        Ok(self.catalogue().await?.len())
    }

    /// The catalogue every device is matched against: built from the
    /// store once, then again only after an import moved the mark.
    pub(crate) async fn catalogue(&self) -> Result<Arc<Catalogue>, DeskError> {
        let mark = self
            .store()
            .desk_record(CatalogueMark::KIND, "catalogue", &TenantScope::All)
            .await?
            .map_or(0, |r| r.version);
        let cache = &self.inner.lifecycle.catalogue;
        if let Some((version, catalogue)) = cache.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
            && *version == mark
        {
            return Ok(catalogue.clone());
        }
        let mut q = RecordQuery::new(AdvisoryRecord::KIND, TenantScope::All);
        q.limit = vigil_store::MAX_PAGE_SIZE;
        let mut catalogue = Catalogue::default();
        loop {
            let page = self.store().desk_records(&q).await?;
            let full = page.len() == vigil_store::MAX_PAGE_SIZE;
            for record in page {
                let stored: Stored<AdvisoryRecord> = from_record(record)?;
                catalogue.add(stored.value.advisory);
            }
            if !full {
                break;
            }
            q.offset += vigil_store::MAX_PAGE_SIZE;
        }
        let catalogue = Arc::new(catalogue);
        *cache.lock().unwrap_or_else(|p| p.into_inner()) = Some((mark, catalogue.clone()));
        Ok(catalogue)
    }
}
