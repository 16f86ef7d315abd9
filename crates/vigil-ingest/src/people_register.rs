//! Enrichment with the people register: an event that names a badge or an
//! IT account gains the person behind it — `person_id`, `person_name` and
//! `hr_status` (their HR status on the day of the event) — before
//! detection, so rules can ask about the person rather than the card.
//!
//! The source's own fields are never overwritten: an access system's
//! `person_status` stays as sent (and is filled in from the register only
//! when the source said nothing), while `hr_status` is always the
//! register's word.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::Value;
use vigil_model::{EntityKind, Event, PersonStatus, TenantId};
use vigil_store::PersonRecord;

/// The people registers of every tenant, indexed for lookup by badge and
/// by account. Built once per register change; read by every batch.
#[derive(Debug, Default)]
pub struct PeopleRegister {
    tenants: HashMap<TenantId, TenantPeople>,
}

#[derive(Debug, Default)]
struct TenantPeople {
    people: Vec<PersonRecord>,
    by_badge: HashMap<String, usize>,
    by_account: HashMap<String, usize>,
}

/// An account name as it is compared: lower case, without a Windows
/// domain (`CORP\jsmith`) or a mail domain (`jsmith@corp.example`).
pub fn account_key(name: &str) -> String {
    let name = name.trim();
    let name = name.rsplit_once('\\').map_or(name, |(_, user)| user);
    let name = name.split_once('@').map_or(name, |(user, _)| user);
    name.to_lowercase()
}

impl PeopleRegister {
    /// An index of `people` (any tenants).
    pub fn new(people: Vec<PersonRecord>) -> Self {
        let mut tenants: HashMap<TenantId, TenantPeople> = HashMap::new();
        for person in people {
            let t = tenants.entry(person.tenant.clone()).or_default();
            let index = t.people.len();
            for badge in &person.badges {
                t.by_badge.entry(badge.trim().to_owned()).or_insert(index);
            }
            for account in &person.accounts {
                t.by_account.entry(account_key(account)).or_insert(index);
            }
            t.people.push(person);
        }
        Self { tenants }
    }

    /// How many people the register holds, all tenants together.
    pub fn len(&self) -> usize {
        self.tenants.values().map(|t| t.people.len()).sum()
    }

    /// Whether the register is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The person of `tenant` holding `badge`.
    pub fn by_badge(&self, tenant: &TenantId, badge: &str) -> Option<&PersonRecord> {
        let t = self.tenants.get(tenant)?;
        t.by_badge.get(badge.trim()).and_then(|i| t.people.get(*i))
    }

    /// The person of `tenant` with IT account `account`.
    pub fn by_account(&self, tenant: &TenantId, account: &str) -> Option<&PersonRecord> {
        let t = self.tenants.get(tenant)?;
        t.by_account
            .get(&account_key(account))
            .and_then(|i| t.people.get(*i))
    }

    /// Adds the person an event's badge (first) or account names; returns
    /// whether the fields changed.
    pub fn enrich(&self, event: &mut Event) -> bool {
        let Some(t) = self.tenants.get(&event.tenant) else {
            return false;
        };
        let person = event
            .entities
            .iter()
            .filter(|e| e.kind == EntityKind::Badge)
            .find_map(|e| t.by_badge.get(e.value.trim()))
            .or_else(|| {
                event
                    .entities
                    .iter()
                    .filter(|e| e.kind == EntityKind::User)
                    .find_map(|e| t.by_account.get(&account_key(&e.value)))
            })
            .and_then(|i| t.people.get(*i));
        let Some(person) = person else {
            return false;
        };
        let status = status_on(person, event.observed_at.date_naive());
        let fields = &mut event.fields;
        fields.insert("person_id".into(), Value::String(person.id.clone()));
        fields
            .entry("person_name")
            .or_insert_with(|| Value::String(person.name.clone()));
        fields.insert("hr_status".into(), Value::String(status.as_str().into()));
        fields
            .entry("person_status")
            .or_insert_with(|| Value::String(status.as_str().into()));
        true
    }
}

/// A person's status on `day`: a termination counts from its date, a leave
/// from its first day until (not including) its last.
pub fn status_on(person: &PersonRecord, day: NaiveDate) -> PersonStatus {
    let started = person.status_from.is_none_or(|from| day >= from);
    let not_ended = person.status_until.is_none_or(|until| day < until);
    match person.status {
        PersonStatus::Active => PersonStatus::Active,
        s if started && not_ended => s,
        _ => PersonStatus::Active,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{Entity, EventClass, EventId, Severity, SourceId, SourceKind, SourceRef};

    fn person(
        id: &str,
        status: PersonStatus,
        from: Option<&str>,
        until: Option<&str>,
    ) -> PersonRecord {
        let date = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        PersonRecord {
            tenant: TenantId::new("acme").unwrap(),
            id: id.into(),
            name: format!("Name of {id}"),
            status,
            status_from: from.map(date),
            status_until: until.map(date),
            badges: vec![format!("b-{id}")],
            accounts: vec![format!("{id}@acme.example")],
        }
    }

    fn event(tenant: &str, day: &str, entities: Vec<Entity>) -> Event {
        Event {
            id: EventId::new_at(chrono::DateTime::from_timestamp(0, 0).unwrap(), [0; 10]),
            tenant: TenantId::new(tenant).unwrap(),
            site: None,
            observed_at: chrono::DateTime::parse_from_rfc3339(&format!("{day}T12:00:00Z"))
                .unwrap()
                .into(),
            received_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            source: SourceRef {
                id: SourceId::new("s").unwrap(),
                kind: SourceKind::Http,
                product: "access".into(),
                device: None,
            },
            class: EventClass::PhysicalAccess,
            severity: Severity::Info,
            entities,
            fields: Default::default(),
        }
    }

    #[test]
    fn badges_and_accounts_resolve_to_the_person_and_their_status_that_day() {
        let register = PeopleRegister::new(vec![
            person("ann", PersonStatus::Terminated, Some("2026-11-20"), None),
            person(
                "bob",
                PersonStatus::OnLeave,
                Some("2026-11-01"),
                Some("2026-12-01"),
            ),
        ]);
        assert_eq!(register.len(), 2);
        let mut e = event(
            "acme",
            "2026-11-25",
            vec![Entity::new(EntityKind::Badge, "b-ann")],
        );
        assert!(register.enrich(&mut e));
        assert_eq!(e.fields["person_id"], "ann");
        assert_eq!(e.fields["hr_status"], "terminated");
        let mut before = event(
            "acme",
            "2026-11-19",
            vec![Entity::new(EntityKind::Badge, "b-ann")],
        );
        register.enrich(&mut before);
        assert_eq!(
            before.fields["hr_status"], "active",
            "not yet terminated that day"
        );

        let mut vpn = event(
            "acme",
            "2026-11-15",
            vec![Entity::new(EntityKind::User, "ACME\\BOB")],
        );
        assert!(register.enrich(&mut vpn));
        assert_eq!(
            (
                vpn.fields["person_id"].as_str(),
                vpn.fields["hr_status"].as_str()
            ),
            (Some("bob"), Some("on_leave"))
        );
        let mut back = event(
            "acme",
            "2026-12-01",
            vec![Entity::new(EntityKind::User, "bob")],
        );
        register.enrich(&mut back);
        assert_eq!(back.fields["hr_status"], "active", "back on the until day");
    }

    #[test]
    fn the_source_keeps_its_word_and_tenants_stay_apart() {
        let register =
            PeopleRegister::new(vec![person("ann", PersonStatus::Terminated, None, None)]);
        let mut e = event(
            "acme",
            "2026-11-25",
            vec![Entity::new(EntityKind::Badge, "b-ann")],
        );
        e.fields.insert("person_status".into(), "active".into());
        e.fields.insert("person_name".into(), "A. Other".into());
        register.enrich(&mut e);
        assert_eq!(e.fields["person_status"], "active");
        assert_eq!(e.fields["person_name"], "A. Other");
        assert_eq!(e.fields["hr_status"], "terminated");
        let mut elsewhere = event(
            "other",
            "2026-11-25",
            vec![Entity::new(EntityKind::Badge, "b-ann")],
        );
        assert!(!register.enrich(&mut elsewhere));
        let mut unknown = event(
            "acme",
            "2026-11-25",
            vec![Entity::new(EntityKind::Badge, "nobody")],
        );
        assert!(!register.enrich(&mut unknown));
        assert!(unknown.fields.is_empty());
    }

    #[test]
    fn account_keys_drop_domains_and_case() {
        assert_eq!(account_key("CORP\\JSmith"), "jsmith");
        assert_eq!(account_key(" jsmith@corp.example "), "jsmith");
        assert_eq!(account_key("jsmith"), "jsmith");
    }
}
