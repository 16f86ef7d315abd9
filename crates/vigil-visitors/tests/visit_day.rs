//! A visitor's day through the crate's public API, fed by normalized access
//! events as the pipeline produces them: pre-registration and screening,
//! approval, arrival, badge, the rules, the roll call, sign-out, retention.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use serde_json::json;
use vigil_model::{
    Entity, EntityKind, Event, EventClass, EventId, Severity, SiteId, SourceId, SourceKind,
    SourceRef, TenantId, Timestamp,
};
use vigil_visitors::retention::due_for_erasure;
use vigil_visitors::roll_call::{OnSiteKind, RollCall};
use vigil_visitors::rules::{RuleSettings, VisitorRule, VisitorRules, watchlist_alarm};
use vigil_visitors::visit::{DocumentKind, IdentityDocument, PreRegistration};
use vigil_visitors::watchlist::{
    ClientWatchlist, MatchedList, NewEntry, ProviderEntry, ProviderWatchlist, Subject, screen,
};
use vigil_visitors::{AccessObservation, ActorId, TenantSecret, Visit, VisitId, VisitSettings};

fn actor(id: &str) -> ActorId {
    ActorId::new(id).unwrap()
}

fn tenant() -> TenantId {
    TenantId::new("northgate").unwrap()
}

/// A badge read as the access source and the people register leave it.
fn read(at: Timestamp, badge: &str, person: Option<&str>, door: &str, zone: &str) -> Event {
    let mut fields = serde_json::Map::new();
    fields.insert("action".into(), json!("access_granted"));
    if let Some(p) = person {
        fields.insert("person_id".into(), json!(p));
    }
    Event {
        id: EventId::new_at(at, [7; 10]),
        tenant: tenant(),
        site: Some(SiteId::new("lon1").unwrap()),
        observed_at: at,
        received_at: at,
        source: SourceRef {
            id: SourceId::new("acs").unwrap(),
            kind: SourceKind::Http,
            product: "access".into(),
            device: Some(format!("reader-{door}")),
        },
        class: EventClass::PhysicalAccess,
        severity: Severity::Info,
        entities: vec![
            Entity::new(EntityKind::Badge, badge),
            Entity::new(EntityKind::Door, door),
            Entity::new(EntityKind::Zone, zone),
        ],
        fields: fields.into(),
    }
}

#[test]
fn a_visitors_day() {
    let now = Utc::now();
    let settings = VisitSettings::default();
    let secret = TenantSecret::new(*b"northgate-visitor-secret").unwrap();
    let provider_key = TenantSecret::new(*b"the-provider-watchlist-key").unwrap();
    let s = Duration::seconds;
    let mut audits = Vec::new();

    // The client lists someone; the provider lists a document across clients.
    let mut client = ClientWatchlist::default();
    client
        .add(
            "wl-1".into(),
            &NewEntry {
                name: "Mallory Quinn".into(),
                birth_date: None,
                document: None,
                reason: "trespass, March".into(),
            },
            &secret,
            actor("security-lead"),
            now,
        )
        .unwrap();
    let stolen = IdentityDocument {
        kind: DocumentKind::IdentityCard,
        number: "ID-555-000".into(),
    };
    let mut provider = ProviderWatchlist::default();
    provider.add(ProviderEntry::new(&provider_key, None, None, Some(&stolen)).unwrap());

    // Two pre-registrations: one clean, one on the client's list.
    let request = |name: &str| PreRegistration {
        visitor_name: name.into(),
        company: "Acme Lifts".into(),
        purpose: "Lift maintenance".into(),
        host: "emp-042".into(),
        site: SiteId::new("lon1").unwrap(),
        window_start: now + s(60),
        window_end: now + Duration::hours(4),
        zones: vec!["lobby".into(), "plant-room".into()],
    };
    let zoe_request = request("Zoë Kowalski");
    let (mut zoe, a) = Visit::pre_register(
        VisitId::new_at(now, [1; 10]),
        tenant(),
        &zoe_request,
        actor("emp-042"),
        &settings,
        now,
    )
    .unwrap();
    audits.push(a);
    let screened =
        |subject: &Subject<'_>| screen(subject, &client, &secret, &provider, &provider_key);
    assert!(screened(&Subject::pre_registration(&zoe_request)).is_empty());
    let mallory_request = request("QUINN, Mallory");
    let (mut mallory, a) = Visit::pre_register(
        VisitId::new_at(now, [2; 10]),
        tenant(),
        &mallory_request,
        actor("emp-042"),
        &settings,
        now,
    )
    .unwrap();
    audits.push(a);
    let hits = screened(&Subject::pre_registration(&mallory_request));
    assert_eq!(hits.len(), 1);
    let alarm = watchlist_alarm(&mallory, &hits[0], now);
    assert_eq!(alarm.rule, VisitorRule::ClientWatchlist);
    audits.push(
        mallory
            .refuse(actor("approver-1"), "on the watchlist", now)
            .unwrap(),
    );

    // Zoë is approved, arrives, is screened with her document, gets a badge.
    audits.push(zoe.approve(actor("approver-1"), None, None, now).unwrap());
    let start = zoe.window.start;
    let passport = IdentityDocument {
        kind: DocumentKind::Passport,
        number: "PA1234567".into(),
    };
    audits.push(
        zoe.arrive(actor("desk-1"), &passport, &settings, &secret, start)
            .unwrap(),
    );
    assert!(screened(&Subject::arrival(&zoe, &passport)).is_empty());
    // The stolen card would have been a provider signal and nothing more.
    let hit = &screened(&Subject::arrival(&zoe, &stolen))[0];
    assert_eq!(hit.list, MatchedList::Provider);
    audits.push(zoe.issue_badge(actor("desk-1"), "V-7", start).unwrap());

    // Her badge in use, with the host and without.
    let mut rules = VisitorRules::new(RuleSettings {
        escort_zones: ["plant-room".to_owned()].into(),
        ..RuleSettings::default()
    });
    let mut roll_call = RollCall::new(Default::default(), Duration::hours(16));
    let t = start + s(120);
    let events = [
        read(t, "E-42", Some("emp-042"), "d-plant", "plant-room"),
        read(t + s(10), "V-7", None, "d-plant", "plant-room"),
        read(t + s(60), "V-7", None, "d-server", "server-hall"),
        read(t + s(600), "V-7", None, "d-plant", "plant-room"),
        read(t + s(700), "E-43", Some("ann"), "d-office", "office"),
    ];
    let mut fired = Vec::new();
    for e in &events {
        let obs = AccessObservation::from_event(e).unwrap();
        roll_call.observe(&obs);
        fired.extend(
            rules
                .observe(&obs, [&zoe, &mallory])
                .into_iter()
                .map(|a| (a.rule, a.at)),
        );
    }
    assert_eq!(
        fired,
        [
            (VisitorRule::ZoneNotGranted, t + s(60)),
            (VisitorRule::EscortMissing, t + s(600)),
        ]
    );

    let names = BTreeMap::from([("ann".to_owned(), "Ann Archer".to_owned())]);
    let lon1 = SiteId::new("lon1").unwrap();
    let list = roll_call.on_site(&tenant(), &lon1, [&zoe, &mallory], &names, t + s(800));
    let who: Vec<_> = list
        .iter()
        .map(|l| (l.kind, l.name.as_deref(), l.last_seen.zone.as_deref()))
        .collect();
    assert_eq!(
        who,
        [
            (OnSiteKind::Employee, Some("Ann Archer"), Some("office")),
            (OnSiteKind::Employee, None, Some("plant-room")),
            (
                OnSiteKind::Visitor,
                Some("Zoë Kowalski"),
                Some("plant-room")
            ),
        ]
    );

    // She leaves; the badge, still in someone's pocket, is tried a second later.
    let out = t + Duration::hours(1);
    audits.push(zoe.sign_out(actor("desk-1"), out).unwrap());
    let late =
        AccessObservation::from_event(&read(out + s(1), "V-7", None, "d-lobby", "lobby")).unwrap();
    let alarms = rules.observe(&late, [&zoe]);
    assert_eq!(alarms[0].rule, VisitorRule::AfterSignOut);
    assert!(
        roll_call
            .on_site(&tenant(), &lon1, [&zoe], &names, out + s(2))
            .iter()
            .all(|l| l.kind != OnSiteKind::Visitor)
    );

    // Thirty days on, both visits' personal data goes.
    let retention = Some(Duration::days(30));
    let later = out + Duration::days(30);
    let due = due_for_erasure([&zoe, &mallory], retention, later);
    assert_eq!(due, [zoe.id, mallory.id]);
    audits.push(zoe.erase(actor("retention"), later).unwrap());
    audits.push(mallory.erase(actor("retention"), later).unwrap());

    // Nothing personal ever reached the audit trail, and nothing is left.
    let trail = serde_json::to_string(&audits).unwrap();
    let left = serde_json::to_string(&[&zoe, &mallory]).unwrap();
    for personal in [
        "Zoë",
        "Kowalski",
        "Mallory",
        "Quinn",
        "Acme",
        "Lift",
        "PA1234567",
        "watchlist",
    ] {
        assert!(!trail.contains(personal), "{personal} in the audit trail");
        assert!(!left.contains(personal), "{personal} left after erasure");
    }
    assert_eq!(audits.len(), 9);
}
