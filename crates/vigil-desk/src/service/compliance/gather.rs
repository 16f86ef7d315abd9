//! Reading what the evidence queries need, in one client's scope, from
//! existing store reads: sources and the event archive, supervision and
//! the device register, incidents, the token register checked against the
//! store token by token, and the audit log. The audit log is read whole
//! (every tenant's entries) to check the chain, but only this client's and
//! provider-wide entries are looked at for acts; only the verdict leaves.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;

use vigil_compliance::evidence::Span;
use vigil_compliance::evidence::access::{AccessFacts, FormerActor, Holder};
use vigil_compliance::evidence::audit::{AuditFacts, CheckpointFact};
use vigil_compliance::evidence::incidents::{IncidentFact, IncidentFacts};
use vigil_compliance::evidence::logging::{LoggingFacts, Retention, SourceFacts, retention_cutoff};
use vigil_compliance::evidence::physical::{
    PhysicalFacts, RegisteredDevice, SupervisedDevice, SupervisionFacts,
};
use vigil_model::{EntityKind, Event, TenantId, Timestamp};
use vigil_store::audit::{AuditEntry, verify_log};
use vigil_store::{
    Cursor, EstateStore, EventQuery, MAX_PAGE_SIZE, PHYSICAL_EVENT_CLASSES, RecordOrder,
    RecordQuery, StoreError, TenantScope,
};

use super::EvidenceSettings;
use crate::DeskError;
use crate::incident::Incident;
use crate::record::DeskObject;
use crate::reporting::service::uptime::{HealthInput, device_availability};
use crate::service::Desk;
use crate::sla::SlaMarkKind;

/// Events read for one pack, at most (counts past it are lower bounds).
const MAX_EVENTS: usize = 200_000;
/// Incidents read for one pack, at most.
const MAX_INCIDENTS: usize = 20_000;
/// Audit entries read to check the chain, at most.
const MAX_AUDIT_ENTRIES: usize = 2_000_000;

/// Everything the evidence queries read.
pub(super) struct Facts {
    pub(super) logging: LoggingFacts,
    pub(super) supervision: SupervisionFacts,
    pub(super) incidents: IncidentFacts,
    pub(super) physical: PhysicalFacts,
    pub(super) access: AccessFacts,
    pub(super) audit: AuditFacts,
    pub(super) notes: Vec<String>,
}

/// What one pass over the period's events counted.
#[derive(Default)]
struct EventCounts {
    by_source: HashMap<String, (u64, Timestamp)>,
    by_class: BTreeMap<String, u64>,
    by_device: HashMap<String, u64>,
    capped: bool,
}

impl EventCounts {
    fn add(&mut self, e: &Event) {
        let s = self
            .by_source
            .entry(e.source.id.to_string())
            .or_insert((0, e.observed_at));
        s.0 += 1;
        s.1 = s.1.max(e.observed_at);
        if PHYSICAL_EVENT_CLASSES.contains(&e.class) {
            *self
                .by_class
                .entry(e.class.as_str().to_owned())
                .or_default() += 1;
        }
        let named = e
            .entities
            .iter()
            .filter(|x| {
                matches!(
                    x.kind,
                    EntityKind::Door | EntityKind::Camera | EntityKind::Device | EntityKind::Sensor
                )
            })
            .map(|x| x.value.as_str());
        let mut devices: Vec<&str> = named.chain(e.source.device.as_deref()).collect();
        devices.sort_unstable();
        devices.dedup();
        for d in devices {
            *self.by_device.entry(d.to_owned()).or_default() += 1;
        }
    }
}

impl Desk {
    /// Reads every fact the evidence queries need for `tenant` over `span`.
    pub(super) async fn gather(
        &self,
        tenant: &TenantId,
        span: Span,
        now: Timestamp,
        settings: &EvidenceSettings,
        estate: Option<&dyn EstateStore>,
    ) -> Result<Facts, DeskError> {
        let scope = TenantScope::One(tenant.clone());
        let mut notes = Vec::new();
        // What has not happened yet is not counted: the period ends at now.
        let measured_to = span.to.min(now).max(span.from);
        let events = self.count_events(&scope, span.from, measured_to).await?;
        if events.capped {
            notes.push(format!(
                "Only the newest {MAX_EVENTS} events of the period were counted; counts are lower bounds."
            ));
        }
        let logging = self
            .logging_facts(&scope, &events, settings.retention, now)
            .await?;
        let (supervision, physical) = self
            .estate_facts(&scope, span.from, measured_to, &events, estate, &mut notes)
            .await?;
        let incidents = self.incident_facts(&scope, span).await?;
        if incidents.capped {
            notes.push(format!(
                "Only the newest {MAX_INCIDENTS} incidents were read."
            ));
        }
        let (audit, entries) = self.audit_facts(tenant).await?;
        if !audit.complete {
            notes.push(format!(
                "Only the newest {MAX_AUDIT_ENTRIES} audit entries were read."
            ));
        }
        let access = self.access_facts(tenant, span, settings, &entries).await?;
        Ok(Facts {
            logging,
            supervision,
            incidents,
            physical,
            access,
            audit,
            notes,
        })
    }

    async fn count_events(
        &self,
        scope: &TenantScope,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<EventCounts, DeskError> {
        let mut query = EventQuery {
            scope: scope.clone(),
            from: Some(from),
            to: Some(to),
            fields: vec![],
            cursor: None,
            limit: MAX_PAGE_SIZE,
        };
        let mut counts = EventCounts::default();
        let mut read = 0;
        loop {
            let page = self.inner.store.events(&query).await?;
            read += page.items.len();
            for e in &page.items {
                counts.add(e);
            }
            let Some(next) = page.next_cursor else { break };
            if read >= MAX_EVENTS {
                counts.capped = true;
                break;
            }
            query.cursor = Some(Cursor::decode(&next)?);
        }
        Ok(counts)
    }

    async fn logging_facts(
        &self,
        scope: &TenantScope,
        events: &EventCounts,
        retention: Retention,
        now: Timestamp,
    ) -> Result<LoggingFacts, DeskError> {
        let store = &self.inner.store;
        let bindings = store.sources(scope).await?;
        let sources: Vec<SourceFacts> = bindings
            .iter()
            .map(|b| {
                let seen = events.by_source.get(b.id.as_str());
                SourceFacts {
                    id: b.id.to_string(),
                    kind: b.kind.as_str().to_owned(),
                    product: b.product.clone(),
                    site: b.site.as_ref().map(|s| s.to_string()),
                    events: seen.map_or(0, |s| s.0),
                    last_event: seen.map(|s| s.1),
                }
            })
            .collect();
        let other_events = events
            .by_source
            .iter()
            .filter(|(id, _)| !bindings.iter().any(|b| b.id.as_str() == id.as_str()))
            .map(|(_, (n, _))| n)
            .sum();
        let past_limit = match retention {
            Retention::Days(days) => {
                let query = EventQuery {
                    scope: scope.clone(),
                    from: None,
                    to: Some(retention_cutoff(now, days)),
                    fields: vec![],
                    cursor: None,
                    limit: 1,
                };
                store
                    .events(&query)
                    .await?
                    .items
                    .first()
                    .map(|e| e.observed_at)
            }
            Retention::Unknown | Retention::Unlimited => None,
        };
        Ok(LoggingFacts {
            sources,
            other_events,
            capped: events.capped,
            retention,
            past_limit,
            read_at: now,
        })
    }

    async fn estate_facts(
        &self,
        scope: &TenantScope,
        from: Timestamp,
        to: Timestamp,
        events: &EventCounts,
        estate: Option<&dyn EstateStore>,
        notes: &mut Vec<String>,
    ) -> Result<(SupervisionFacts, PhysicalFacts), DeskError> {
        let Some(estate) = estate else {
            notes.push("No estate store was given: supervision and devices are not read.".into());
            return Ok(Default::default());
        };
        let records = estate.supervision(scope).await?;
        let register = estate.devices(scope).await?;
        let marks = self.device_marks(scope, from, to, notes).await?;
        // Evidence says what happened: no planned maintenance is left out
        // (that is the contract's reckoning, for the service report).
        let (rows, _) = device_availability(
            &records,
            &register,
            &marks,
            HealthInput {
                maintenance: &Default::default(),
                flapping: &Default::default(),
            },
            from,
            to,
        );
        let devices = rows
            .iter()
            .map(|r| {
                let record = records.iter().find(|s| s.device == r.device);
                SupervisedDevice {
                    id: r.device.clone(),
                    name: r.name.clone(),
                    kind: r.kind.clone(),
                    site: r.site.clone(),
                    interval_secs: record.map_or(0, |s| s.interval_secs),
                    lost_since: record.and_then(|s| s.lost_since),
                    losses: r.losses,
                    down_secs: r.down_s.round() as i64,
                }
            })
            .collect();
        let physical = PhysicalFacts {
            devices: register
                .iter()
                .map(|d| RegisteredDevice {
                    id: d.id.clone(),
                    name: d.name.clone().unwrap_or_else(|| d.id.clone()),
                    kind: d.kind.clone(),
                    site: d.site.as_ref().map(|s| s.to_string()),
                    supervised: records.iter().any(|s| s.device == d.id),
                    events: events.by_device.get(&d.id).copied().unwrap_or(0),
                })
                .collect(),
            events_by_class: events.by_class.clone(),
            capped: events.capped,
        };
        Ok((
            SupervisionFacts {
                devices,
                measured_to: Some(to),
            },
            physical,
        ))
    }

    async fn incident_facts(
        &self,
        scope: &TenantScope,
        span: Span,
    ) -> Result<IncidentFacts, DeskError> {
        let mut q = RecordQuery::new(Incident::KIND, scope.clone());
        q.at_from = Some(span.from);
        q.at_to = Some(span.to);
        q.order = RecordOrder::Newest;
        q.limit = MAX_PAGE_SIZE;
        let mut incidents = Vec::new();
        let mut capped = false;
        loop {
            let page = self.list::<Incident>(&q).await?;
            let n = page.len();
            incidents.extend(page.into_iter().map(|s| incident_fact(&s.value)));
            if n < MAX_PAGE_SIZE {
                break;
            }
            if incidents.len() >= MAX_INCIDENTS {
                capped = true;
                break;
            }
            q.offset += n;
        }
        incidents.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then(a.id.cmp(&b.id)));
        Ok(IncidentFacts {
            incidents,
            sops: self.sops().len(),
            capped,
        })
    }

    /// The chain's verification, and the entries read (newest first).
    async fn audit_facts(
        &self,
        tenant: &TenantId,
    ) -> Result<(AuditFacts, Vec<AuditEntry>), DeskError> {
        let store = &self.inner.store;
        let mut entries: Vec<AuditEntry> = Vec::new();
        let mut before = None;
        let mut complete = true;
        loop {
            let page = store
                .audit_entries(&TenantScope::All, before, MAX_PAGE_SIZE)
                .await?;
            let Some(last) = page.last() else { break };
            before = Some(last.seq);
            let short = page.len() < MAX_PAGE_SIZE || last.seq <= 1;
            entries.extend(page);
            if short {
                break;
            }
            if entries.len() >= MAX_AUDIT_ENTRIES {
                complete = false;
                break;
            }
        }
        // The export carries the newest checkpoint and the earlier ones it
        // proves consistent: the checkpoints the store lets the desk read.
        let checkpoints = match store.audit_export(tenant).await {
            Ok(export) => {
                let mut cps: Vec<_> = export.earlier.into_iter().map(|e| e.checkpoint).collect();
                cps.push(export.checkpoint);
                cps
            }
            Err(StoreError::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        // The current key and those it replaced; with no signer, each
        // checkpoint's own key.
        let trusted: Vec<[u8; 32]> = match self.signer() {
            Some(s) => std::iter::once(s.public_key())
                .chain(self.config().earlier_keys.iter().copied())
                .collect(),
            None => Vec::new(),
        };
        let mut facts = AuditFacts {
            entries: entries.len() as u64,
            checkpoints: checkpoints.len() as u64,
            newest: checkpoints.last().map(|c| CheckpointFact {
                seq: c.seq,
                tree_size: c.tree_size,
                at: c.at,
                key: hex::encode(c.key),
            }),
            unsigned_tail: 0,
            problem: None,
            complete,
        };
        if complete {
            let ascending = entries.iter().rev().cloned().map(Ok::<_, Infallible>);
            let report = match verify_log(ascending, &checkpoints, &trusted) {
                Ok(r) => r,
                Err(never) => match never {},
            };
            facts.unsigned_tail = report.unsigned_tail;
            facts.problem = report.problem.map(|p| p.to_string());
        }
        Ok((facts, entries))
    }

    async fn access_facts(
        &self,
        tenant: &TenantId,
        span: Span,
        settings: &EvidenceSettings,
        entries: &[AuditEntry],
    ) -> Result<AccessFacts, DeskError> {
        // Only this client's entries and provider-wide ones: another
        // client's acts are not this client's to see.
        let visible = || {
            entries
                .iter()
                .filter(|e| e.tenant.as_ref().is_none_or(|t| t == tenant))
        };
        let in_span = |e: &&AuditEntry| e.at >= span.from && e.at < span.to;
        let person = |name: &str| !name.starts_with("system:") && !name.starts_with("cli:");
        // Entries are newest first: the first found is the last act.
        let last_act = |name: &str| visible().find(|e| e.actor == name);
        let mut holders = Vec::new();
        let register_known = settings.tokens.is_some();
        match &settings.tokens {
            Some(tokens) => {
                for t in tokens {
                    let provider = t.role.is_provider() && t.tenant.is_none();
                    if !provider && t.tenant.as_ref() != Some(tenant) {
                        continue;
                    }
                    let stored = self.inner.store.api_token(&t.hash).await?;
                    let last = last_act(&t.name);
                    holders.push(Holder {
                        name: t.name.clone(),
                        role: t.role.as_str().to_owned(),
                        all_clients: provider,
                        registered: stored
                            .is_some_and(|s| s.role == t.role && s.tenant == t.tenant),
                        last_act: last.map(|e| e.at),
                        last_action: last.map(|e| e.action.clone()),
                    });
                }
            }
            None => {
                let mut seen: Vec<&str> = Vec::new();
                for e in visible().filter(in_span).filter(|e| person(&e.actor)) {
                    if !seen.contains(&e.actor.as_str()) {
                        seen.push(&e.actor);
                        holders.push(Holder {
                            name: e.actor.clone(),
                            role: "unknown".into(),
                            all_clients: false,
                            registered: false,
                            last_act: Some(e.at),
                            last_action: Some(e.action.clone()),
                        });
                    }
                }
            }
        }
        let mut former: Vec<FormerActor> = Vec::new();
        if register_known {
            for e in visible()
                .filter(in_span)
                .filter(|e| e.tenant.as_ref() == Some(tenant) && person(&e.actor))
            {
                if holders.iter().any(|h| h.name == e.actor) {
                    continue;
                }
                match former.iter_mut().find(|f| f.name == e.actor) {
                    Some(f) => f.acts += 1,
                    None => former.push(FormerActor {
                        name: e.actor.clone(),
                        acts: 1,
                        last_act: e.at,
                    }),
                }
            }
        }
        let count = |action: &str, all: bool| {
            entries
                .iter()
                .filter(|e| e.action == action && e.at >= span.from && e.at < span.to)
                .filter(|e| all || e.tenant.as_ref().is_none_or(|t| t == tenant))
                .count() as u64
        };
        Ok(AccessFacts {
            register_known,
            holders,
            former,
            logins: count("session.login", false),
            failed_authentications: count("auth.failed", true),
        })
    }
}

/// An incident as the evidence reads it: its times from the marks its
/// clocks read (the first time each state was entered).
fn incident_fact(i: &Incident) -> IncidentFact {
    let entered = |state: &str| {
        i.sla_marks.iter().find_map(|m| match &m.kind {
            SlaMarkKind::State { state: s } if s.as_str() == state => Some(m.at),
            _ => None,
        })
    };
    let closed_at = (i.state.as_str() == "closed")
        .then(|| {
            i.sla_marks.iter().rev().find_map(|m| match &m.kind {
                SlaMarkKind::State { state: s } if s.as_str() == "closed" => Some(m.at),
                _ => None,
            })
        })
        .flatten();
    let contained_at = match (entered("contained"), entered("closed")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    IncidentFact {
        id: i.id.clone(),
        title: i.title.clone(),
        severity: i.severity.as_str().to_owned(),
        category: i.category.as_str().to_owned(),
        state: i.state.as_str().to_owned(),
        opened_at: i.opened_at,
        triaged_at: entered("triaged"),
        notified_at: i
            .sla_marks
            .iter()
            .find_map(|m| matches!(m.kind, SlaMarkKind::Notified).then_some(m.at)),
        contained_at,
        closed_at,
        resolution: i.resolution.as_ref().and_then(|(k, _)| {
            serde_json::to_value(k)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
        }),
        lessons_learned: i.lessons_learned.clone(),
        alarms: i.alarms.len(),
        observables: i.observables.len(),
    }
}
