//! Visitors through the desk service on a real store: retention erases a
//! visit's personal data once the client's period for visitor data has
//! passed after the visit ended — not a second before, never while the
//! visitor is on site, never under a legal hold — and records the count
//! (no names) in the audit chain. A watchlist entry added later screens
//! the visits still relevant again: a hit raises the alarm a screening at
//! pre-registration raises, once per visit and person listed — also when
//! the node saving the entry died before screening, or halfway: the next
//! start (on one node or several at once) raises what is missing, once.

mod common;

use chrono::Duration;
use common::{A, B, tenant, world};
use vigil_desk::DeskConfig;
use vigil_desk::governance::{DataClass, HoldScope, RetentionPolicy};
use vigil_desk::record::{DeskObject, from_record, to_record};
use vigil_desk::service::AlarmFilter;
use vigil_desk::service::VisitStep;
use vigil_desk::visitors::{
    ClientWatchlistEntry, ProviderWatchlistEntry, Screening, VisitorSecrets, VisitorSetup,
    WatchlistHit,
};
use vigil_desk::{Actor, service::Desk};
use vigil_model::{Clock, SiteId};
use vigil_store::sqlite::SqliteStore;
use vigil_store::{
    AlertDetection, AlertQuery, DeskStore, DeskWrite, IngestBatch, RecordQuery, Role, Store,
    TenantScope,
};
use vigil_visitors::TenantSecret;
use vigil_visitors::rules::VisitorRule;
use vigil_visitors::rules::watchlist_alarm;
use vigil_visitors::visit::{DocumentKind, IdentityDocument, PreRegistration};
use vigil_visitors::watchlist::{
    ClientWatchlist, MatchBasis, MatchedList, NewEntry, ProviderEntry, WatchlistMatch, hit_alarm,
};
use vigil_visitors::{ActorId, Visit};

/// A visit of tenant `t` pre-registered and approved, its window from `now`.
async fn approved_visit(desk: &Desk, t: &str, now: vigil_model::Timestamp) -> String {
    let host = Actor::person(&format!("{t}-host"), Role::ClientViewer, Some(tenant(t)));
    let approver = Actor::person(&format!("{t}-admin"), Role::ClientAdmin, Some(tenant(t)));
    let request = PreRegistration {
        visitor_name: "Zoë Kowalski".into(),
        company: "Acme Lifts".into(),
        purpose: "Lift maintenance".into(),
        host: "emp-042".into(),
        site: SiteId::new("hq").unwrap(),
        window_start: now,
        window_end: now + Duration::hours(2),
        zones: vec!["lobby".into()],
    };
    let v = desk
        .pre_register_visit(&host, &tenant(t), &request)
        .await
        .unwrap()
        .visit;
    let id = v.id.to_string();
    let approve = VisitStep::Approve {
        zones: None,
        reason: None,
    };
    desk.visit_step(&approver, &id, approve).await.unwrap();
    id
}

async fn visit_through(
    desk: &Desk,
    t: &str,
    now: vigil_model::Timestamp,
    sign_out: bool,
) -> String {
    let desk_op = Actor::person("op", Role::ProviderOperator, None);
    let id = approved_visit(desk, t, now).await;
    let document = IdentityDocument {
        kind: DocumentKind::Passport,
        number: "PA1234567".into(),
    };
    desk.visit_step(&desk_op, &id, VisitStep::Arrive { document })
        .await
        .unwrap();
    if sign_out {
        desk.visit_step(&desk_op, &id, VisitStep::SignOut)
            .await
            .unwrap();
    }
    id
}

#[tokio::test]
async fn visitor_data_is_erased_after_the_clients_period_and_the_count_is_audited() {
    let w = world(DeskConfig::default()).await;
    let d = &w.desk;
    d.set_retention_policy(RetentionPolicy {
        defaults: [(DataClass::Visitors, Duration::days(30))].into(),
        ..Default::default()
    });
    let start = w.clock.now();
    let gone = visit_through(d, A, start, true).await;
    let on_site = visit_through(d, A, start, false).await;
    let held = visit_through(d, B, start, true).await;
    let admin = Actor::person("admin", Role::ProviderAdmin, None);
    d.place_legal_hold(&admin, &tenant(B), HoldScope::Tenant, "matter 12")
        .await
        .unwrap();

    w.clock.advance(Duration::days(30) - Duration::seconds(1));
    assert!(
        d.erase_due_visits().await.unwrap().is_empty(),
        "not a second before"
    );
    w.clock.advance(Duration::seconds(1));
    let done = d.erase_due_visits().await.unwrap();
    assert_eq!(done, vec![(tenant(A), 1)]);

    let v = d.visit(&admin, &gone).await.unwrap();
    assert!(v.erased_at.is_some());
    assert_eq!(v.visitor.name, "");
    assert_eq!(v.purpose, "");
    assert_eq!(v.host, "emp-042", "identifiers stay");
    assert!(d.visit(&admin, &on_site).await.unwrap().erased_at.is_none());
    assert!(d.visit(&admin, &held).await.unwrap().erased_at.is_none());
    assert!(d.erase_due_visits().await.unwrap().is_empty(), "done once");

    let entries = d.audit_entries(&admin, None, 200).await.unwrap();
    let erase: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "visit.retention_erase")
        .collect();
    assert_eq!(erase.len(), 1);
    assert!(
        erase[0].detail.contains("\"count\":1"),
        "{}",
        erase[0].detail
    );
    for e in &entries {
        assert!(!e.detail.contains("Kowalski"), "{}", e.detail);
    }
}

fn setup() -> VisitorSetup {
    let secret = |s: &[u8]| TenantSecret::new(s.to_vec()).unwrap();
    VisitorSetup {
        secrets: VisitorSecrets {
            tenants: [
                (tenant(A), secret(b"northgate-visitors-secret")),
                (tenant(B), secret(b"riverside-visitors-secret")),
            ]
            .into(),
            provider: Some(secret(b"provider-watchlist-key-1")),
        },
        ..Default::default()
    }
}

fn listing(name: &str) -> NewEntry {
    NewEntry {
        name: name.into(),
        birth_date: None,
        document: None,
        reason: "threatened the reception staff".into(),
    }
}

#[tokio::test]
async fn a_new_watchlist_entry_screens_the_visits_still_relevant_once() {
    let w = world(DeskConfig::default()).await;
    let d = &w.desk;
    d.set_visitor_setup(setup());
    let start = w.clock.now();
    let approved = approved_visit(d, A, start).await;
    let on_site = visit_through(d, A, start, false).await;
    let gone = visit_through(d, A, start, true).await;
    let other_client = approved_visit(d, B, start).await;
    w.clock.advance(Duration::minutes(30));

    // The client's entry: its own visits not yet over, not the one signed
    // out, not another client's.
    let admin = Actor::person("northgate-admin", Role::ClientAdmin, Some(tenant(A)));
    let added = d
        .add_client_watchlist_entry(&admin, &tenant(A), &listing("KOWALSKI Zoe"))
        .await
        .unwrap();
    let mut hit: Vec<String> = added.alarms.iter().map(|a| a.visit.to_string()).collect();
    hit.sort();
    let mut expected = vec![approved.clone(), on_site.clone()];
    expected.sort();
    assert_eq!(hit, expected, "not {gone}, not {other_client}");
    for a in &added.alarms {
        assert_eq!(a.rule, VisitorRule::ClientWatchlist);
        assert_eq!(a.rule_id, VisitorRule::ClientWatchlist.id());
        assert_eq!(a.tenant, tenant(A));
        assert_eq!(a.at, w.clock.now());
    }
    // The same person listed again, or the same entry saved twice: nothing new.
    let again = d
        .add_client_watchlist_entry(&admin, &tenant(A), &listing("Zoë Kowalski"))
        .await
        .unwrap();
    assert!(again.alarms.is_empty(), "{:?}", again.alarms);

    // The provider's entry: every client's relevant visits, a signal only.
    let lead = Actor::person("lead", Role::ProviderLead, None);
    let signal = d
        .add_provider_watchlist_entry(&lead, &listing("Zoe Kowalski"))
        .await
        .unwrap();
    let mut hit: Vec<String> = signal.alarms.iter().map(|a| a.visit.to_string()).collect();
    hit.sort();
    let mut expected = vec![approved.clone(), on_site.clone(), other_client.clone()];
    expected.sort();
    assert_eq!(hit, expected);
    for a in &signal.alarms {
        assert_eq!(a.rule, VisitorRule::ProviderWatchlist);
        assert_eq!(
            a.watchlist.as_ref().map(|m| &m.list),
            Some(&MatchedList::Provider)
        );
    }

    // After a restart (a new desk on the same store) nothing is raised twice.
    let restarted = Desk::new(
        w.store.clone(),
        w.clock.clone(),
        DeskConfig::default(),
        Some(vigil_store::audit::AuditSigner::from_secret([3; 32])),
    )
    .await
    .unwrap();
    restarted.set_visitor_setup(setup());
    let twice = restarted
        .add_provider_watchlist_entry(&lead, &listing("zoe kowalski"))
        .await
        .unwrap();
    assert!(twice.alarms.is_empty(), "{:?}", twice.alarms);
    let thrice = restarted
        .add_client_watchlist_entry(&admin, &tenant(A), &listing("Kowalski, Zoë"))
        .await
        .unwrap();
    assert!(thrice.alarms.is_empty(), "{:?}", thrice.alarms);

    // Someone else listed: no hit. A visit whose window is over: no hit.
    w.clock.advance(Duration::hours(3));
    let late = d
        .add_client_watchlist_entry(&admin, &tenant(A), &listing("Mallory Quinn"))
        .await
        .unwrap();
    assert!(late.alarms.is_empty());
    let b_admin = Actor::person("riverside-admin", Role::ClientAdmin, Some(tenant(B)));
    let over = d
        .add_client_watchlist_entry(&b_admin, &tenant(B), &listing("Zoe Kowalski"))
        .await
        .unwrap();
    assert!(
        over.alarms.is_empty(),
        "the window of {other_client} is over: {:?}",
        over.alarms
    );
}

/// The watchlist alerts in the store: (tenant, rule, evidence count),
/// sorted.
async fn watchlist_alerts(store: &SqliteStore) -> Vec<(String, String, u64)> {
    let page = store
        .alerts(&AlertQuery::all_in(TenantScope::All, 100))
        .await
        .unwrap();
    let rules = [
        VisitorRule::ClientWatchlist.id(),
        VisitorRule::ProviderWatchlist.id(),
    ];
    let mut out: Vec<_> = page
        .items
        .into_iter()
        .filter(|a| rules.contains(&a.rule_id.as_str()))
        .map(|a| (a.tenant.to_string(), a.rule_id, a.event_count))
        .collect();
    out.sort();
    out
}

/// The watchlist alarms on the desk after triage: (tenant, rule), sorted.
async fn watchlist_alarms(desk: &Desk) -> Vec<(String, String)> {
    desk.triage_once().await.unwrap();
    let admin = Actor::person("admin", Role::ProviderAdmin, None);
    let every = AlarmFilter {
        limit: 100,
        ..Default::default()
    };
    let mut out: Vec<_> = desk
        .alarms(&admin, &every)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.rule_title.contains("Watchlist"))
        .map(|a| (a.tenant.to_string(), a.rule_id))
        .collect();
    out.sort();
    out
}

/// A desk started on `w`'s store, as a node starting (or another node).
async fn another_node(w: &common::World, setup: Option<VisitorSetup>) -> Desk {
    let desk = Desk::new(
        w.store.clone(),
        w.clock.clone(),
        DeskConfig::default(),
        Some(vigil_store::audit::AuditSigner::from_secret([3; 32])),
    )
    .await
    .unwrap();
    if let Some(setup) = setup {
        desk.set_visitor_setup(setup);
    }
    desk
}

/// Saves a client's and the provider's entry as the desk's first write
/// does — marked for re-screening — and nothing more: the node died
/// before screening. Returns the client's entry.
async fn saved_then_crashed(w: &common::World, name: &str) -> ClientWatchlistEntry {
    let now = w.clock.now();
    let setup = setup();
    let secret = &setup.secrets.tenants[&tenant(A)];
    let entry = ClientWatchlist::default()
        .add(
            format!("watch-{name}"),
            &listing(name),
            secret,
            ActorId::new("northgate-admin").unwrap(),
            now,
        )
        .unwrap()
        .clone();
    let client = ClientWatchlistEntry {
        tenant: tenant(A),
        entry,
        rescreening: true,
    };
    let key = setup.secrets.provider.as_ref().unwrap();
    let provider = ProviderWatchlistEntry {
        id: format!("pwatch-{name}"),
        entry: ProviderEntry::new(key, Some(name), None, None).unwrap(),
        added_by: "lead".into(),
        added_at: now,
        rescreening: true,
    };
    w.store
        .desk_commit(DeskWrite {
            records: vec![
                to_record(&client, 0).unwrap(),
                to_record(&provider, 0).unwrap(),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    client
}

#[tokio::test]
async fn a_re_screening_a_node_did_not_finish_raises_its_alarms_once_at_the_next_start() {
    let w = world(DeskConfig::default()).await;
    let d = &w.desk;
    d.set_visitor_setup(setup());
    let start = w.clock.now();
    let approved = approved_visit(d, A, start).await;
    let _other_client = approved_visit(d, B, start).await;
    w.clock.advance(Duration::minutes(10));
    let crashed = saved_then_crashed(&w, "Zoe Kowalski").await;
    assert!(
        watchlist_alerts(&w.store).await.is_empty(),
        "nothing raised yet"
    );

    // A node whose visitor secrets are not set yet leaves it marked.
    let unset = another_node(&w, None).await;
    assert!(unset.rescreen_pending().await.unwrap().is_empty());
    assert!(watchlist_alerts(&w.store).await.is_empty());

    // Two nodes start at once: each finishes what it finds.
    w.clock.advance(Duration::minutes(5));
    let (n1, n2) = (
        another_node(&w, Some(setup())).await,
        another_node(&w, Some(setup())).await,
    );
    let (r1, r2) = tokio::join!(n1.rescreen_pending(), n2.rescreen_pending());
    let mut hit: Vec<String> = r1
        .unwrap()
        .into_iter()
        .chain(r2.unwrap())
        .map(|a| format!("{}:{}", a.visit, a.rule_id))
        .collect();
    hit.sort();
    hit.dedup();
    assert_eq!(hit.len(), 3, "{hit:?}");
    let rerun = n1.rescreen_pending().await.unwrap();
    assert!(rerun.is_empty(), "raised again: {rerun:?}");
    // Each alarm once, with one piece of evidence, at the time the entry
    // was saved.
    let client_rule = VisitorRule::ClientWatchlist.id().to_owned();
    let provider_rule = VisitorRule::ProviderWatchlist.id().to_owned();
    let expected_alerts = vec![
        (A.to_owned(), client_rule.clone(), 1),
        (A.to_owned(), provider_rule.clone(), 1),
        (B.to_owned(), provider_rule.clone(), 1),
    ];
    assert_eq!(watchlist_alerts(&w.store).await, expected_alerts);
    let expected_alarms = vec![
        (A.to_owned(), client_rule.clone()),
        (A.to_owned(), provider_rule.clone()),
        (B.to_owned(), provider_rule.clone()),
    ];
    assert_eq!(watchlist_alarms(&n1).await, expected_alarms);
    let admin = Actor::person("northgate-admin", Role::ClientAdmin, Some(tenant(A)));
    let listed = n1.client_watchlist(&admin, &tenant(A)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].entry.id, crashed.entry.id);
    assert!(!listed[0].rescreening, "the mark is cleared");
    let alerts = w
        .store
        .alerts(&AlertQuery::all_in(TenantScope::All, 100))
        .await
        .unwrap();
    let client_alert = alerts
        .items
        .iter()
        .find(|a| a.rule_id == client_rule)
        .unwrap();
    assert_eq!(client_alert.first_seen, crashed.entry.added_at);
    assert_eq!(
        client_alert.group_key,
        format!("user:visit:{approved}").to_ascii_lowercase()
    );

    // A second start raises nothing.
    let again = another_node(&w, Some(setup())).await;
    assert!(again.rescreen_pending().await.unwrap().is_empty());
    assert_eq!(watchlist_alerts(&w.store).await, expected_alerts);
    assert_eq!(watchlist_alarms(&again).await, expected_alarms);
}

#[tokio::test]
async fn a_node_dying_after_an_alarm_and_before_its_hit_record_leaves_the_same_alarm() {
    let w = world(DeskConfig::default()).await;
    let d = &w.desk;
    d.set_visitor_setup(setup());
    let start = w.clock.now();
    let id = approved_visit(d, A, start).await;
    let crashed = saved_then_crashed(&w, "Zoe Kowalski").await;
    // The node committed the client hit's alarm, then died.
    let op = Actor::person("op", Role::ProviderOperator, None);
    let visit = d.visit(&op, &id).await.unwrap();
    let secret = &setup().secrets.tenants[&tenant(A)];
    let hit = WatchlistMatch {
        list: MatchedList::Client {
            entry: crashed.entry.id.clone(),
        },
        basis: MatchBasis::Name,
    };
    let person = crashed.entry.person_key(secret);
    let name = format!("{}:client:{}", visit.id, person.as_str());
    let candidate = watchlist_alarm(&visit, &hit, crashed.entry.added_at);
    let alarm = hit_alarm(&candidate, &name, Duration::hours(1));
    let evidence = vec![(alarm.event.id, alarm.fingerprint, alarm.event.observed_at)];
    w.store
        .commit(IngestBatch {
            events: vec![alarm.event],
            fingerprints: vec![alarm.fingerprint],
            detections: vec![AlertDetection {
                alert: alarm.alert,
                evidence,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let client_rule = VisitorRule::ClientWatchlist.id().to_owned();
    assert_eq!(
        watchlist_alerts(&w.store).await,
        vec![(A.to_owned(), client_rule.clone(), 1)]
    );

    w.clock.advance(Duration::minutes(3));
    let next = another_node(&w, Some(setup())).await;
    assert_eq!(next.rescreen_pending().await.unwrap().len(), 2);
    let provider_rule = VisitorRule::ProviderWatchlist.id().to_owned();
    assert_eq!(
        watchlist_alerts(&w.store).await,
        vec![
            (A.to_owned(), client_rule.clone(), 1),
            (A.to_owned(), provider_rule.clone(), 1),
        ],
        "the client hit is the alarm already committed, not a second"
    );
    assert_eq!(
        watchlist_alarms(&next).await,
        vec![(A.to_owned(), client_rule), (A.to_owned(), provider_rule)]
    );
}

#[tokio::test]
async fn the_desk_timers_finish_a_re_screening_left_marked() {
    let w = world(DeskConfig::default()).await;
    w.desk.set_visitor_setup(setup());
    approved_visit(&w.desk, A, w.clock.now()).await;
    saved_then_crashed(&w, "Zoe Kowalski").await;
    let node = another_node(&w, Some(setup())).await;
    let workers = node.start_workers(std::time::Duration::from_millis(50));
    let limit = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let admin = Actor::person("northgate-admin", Role::ClientAdmin, Some(tenant(A)));
    while node.client_watchlist(&admin, &tenant(A)).await.unwrap()[0].rescreening {
        assert!(
            std::time::Instant::now() < limit,
            "the mark was not cleared"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    workers.stop().await;
    let client_rule = VisitorRule::ClientWatchlist.id().to_owned();
    let provider_rule = VisitorRule::ProviderWatchlist.id().to_owned();
    assert_eq!(
        watchlist_alerts(&w.store).await,
        vec![
            (A.to_owned(), client_rule, 1),
            (A.to_owned(), provider_rule, 1)
        ]
    );
}

/// The client's entry listing the document `PA1234567` under another name,
/// added by the client's administrator: a hit at arrival only.
async fn document_listed(desk: &Desk) -> ClientWatchlistEntry {
    let admin = Actor::person("northgate-admin", Role::ClientAdmin, Some(tenant(A)));
    let entry = NewEntry {
        document: Some(passport()),
        ..listing("Someone Else")
    };
    let added = desk
        .add_client_watchlist_entry(&admin, &tenant(A), &entry)
        .await
        .unwrap();
    assert!(added.alarms.is_empty(), "no visit carries a document yet");
    added.entry
}

fn passport() -> IdentityDocument {
    IdentityDocument {
        kind: DocumentKind::Passport,
        number: "PA1234567".into(),
    }
}

/// The watchlist hits stored: (id, status), sorted.
async fn hit_records(store: &SqliteStore) -> Vec<(String, String)> {
    let mut q = RecordQuery::new(WatchlistHit::KIND, TenantScope::All);
    q.limit = 100;
    let mut out: Vec<_> = store
        .desk_records(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.status))
        .collect();
    out.sort();
    out
}

/// The front desk signs visit `id` in, as the desk's write does — the
/// visit at its new version and the hit it found, pending, in one write —
/// then, when `alarm`, commits the hit's alarm; and the node dies.
async fn arrived_then_crashed(
    w: &common::World,
    id: &str,
    entry: &ClientWatchlistEntry,
    alarm: bool,
) {
    let now = w.clock.now();
    let setup = setup();
    let secret = &setup.secrets.tenants[&tenant(A)];
    let record = w
        .store
        .desk_record(Visit::KIND, id, &TenantScope::All)
        .await
        .unwrap()
        .unwrap();
    let stored = from_record::<Visit>(record).unwrap();
    let mut visit = stored.value;
    visit
        .arrive(
            ActorId::new("op").unwrap(),
            &passport(),
            &setup.settings(&tenant(A)),
            secret,
            now,
        )
        .unwrap();
    let matched = WatchlistMatch {
        list: MatchedList::Client {
            entry: entry.entry.id.clone(),
        },
        basis: MatchBasis::Document,
    };
    let hit = WatchlistHit {
        tenant: tenant(A),
        visit: visit.id,
        list: "client".into(),
        person: entry.entry.person_key(secret).as_str().to_owned(),
        at: now,
        screening: Some(Screening::Arrival),
        matched: Some(matched.clone()),
        pending: true,
    };
    w.store
        .desk_commit(DeskWrite {
            records: vec![
                to_record(&visit, stored.version).unwrap(),
                to_record(&hit, 0).unwrap(),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    if alarm {
        let candidate = watchlist_alarm(&visit, &matched, now);
        let alarm = hit_alarm(&candidate, &hit.id(), Duration::hours(1));
        let evidence = vec![(alarm.event.id, alarm.fingerprint, now)];
        w.store
            .commit(IngestBatch {
                events: vec![alarm.event],
                fingerprints: vec![alarm.fingerprint],
                detections: vec![AlertDetection {
                    alert: alarm.alert,
                    evidence,
                }],
                ..Default::default()
            })
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn listed_visitors_are_raised_by_the_desk_once_per_screening_and_a_retried_arrival_raises_nothing()
 {
    let w = world(DeskConfig::default()).await;
    let d = &w.desk;
    d.set_visitor_setup(setup());
    let admin = Actor::person("northgate-admin", Role::ClientAdmin, Some(tenant(A)));
    d.add_client_watchlist_entry(&admin, &tenant(A), &listing("Zoe Kowalski"))
        .await
        .unwrap();
    let client_rule = VisitorRule::ClientWatchlist.id().to_owned();

    // Pre-registration: the desk commits the alarm itself, the hit raised.
    let id = approved_visit(d, A, w.clock.now()).await;
    assert_eq!(
        watchlist_alerts(&w.store).await,
        vec![(A.to_owned(), client_rule.clone(), 1)]
    );
    let hits = hit_records(&w.store).await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].0.ends_with(":pre_registration"), "{hits:?}");
    assert_eq!(hits[0].1, "raised");

    // Arrival: the visitor at the desk is news, evidence on the same alarm
    // (the visit's, within the hour), with the rule and severity of a name
    // match.
    w.clock.advance(Duration::minutes(5));
    let op = Actor::person("op", Role::ProviderOperator, None);
    let arrived = d
        .visit_step(
            &op,
            &id,
            VisitStep::Arrive {
                document: passport(),
            },
        )
        .await
        .unwrap();
    assert_eq!(arrived.alarms.len(), 1);
    let a = &arrived.alarms[0];
    assert_eq!(a.rule_id, client_rule);
    assert_eq!(a.severity, vigil_model::Severity::Medium);
    assert_eq!(a.at, w.clock.now());
    assert_eq!(
        watchlist_alerts(&w.store).await,
        vec![(A.to_owned(), client_rule.clone(), 2)]
    );

    // The arrival retried (the answer was lost): refused, nothing raised.
    let retried = d
        .visit_step(
            &op,
            &id,
            VisitStep::Arrive {
                document: passport(),
            },
        )
        .await;
    assert!(
        matches!(retried, Err(vigil_desk::DeskError::Transition { .. })),
        "{retried:?}"
    );
    assert_eq!(
        watchlist_alerts(&w.store).await,
        vec![(A.to_owned(), client_rule.clone(), 2)]
    );
    assert!(d.raise_pending_hits().await.unwrap().is_empty());
    assert!(
        hit_records(&w.store)
            .await
            .iter()
            .all(|(_, s)| s == "raised"),
        "{:?}",
        hit_records(&w.store).await
    );
    assert_eq!(watchlist_alarms(d).await, vec![(A.to_owned(), client_rule)]);

    // The same person listed again: the visit hit them, nothing new.
    let again = d
        .add_client_watchlist_entry(&admin, &tenant(A), &listing("Kowalski, Zoë"))
        .await
        .unwrap();
    assert!(again.alarms.is_empty(), "{:?}", again.alarms);
}

#[tokio::test]
async fn a_node_dying_after_an_arrivals_alarm_and_before_its_hit_is_marked_leaves_one_alarm() {
    let w = world(DeskConfig::default()).await;
    let d = &w.desk;
    d.set_visitor_setup(setup());
    let entry = document_listed(d).await;
    let id = approved_visit(d, A, w.clock.now()).await;
    assert!(
        watchlist_alerts(&w.store).await.is_empty(),
        "the name is not listed"
    );
    w.clock.advance(Duration::minutes(2));
    arrived_then_crashed(&w, &id, &entry, true).await;
    let client_rule = VisitorRule::ClientWatchlist.id().to_owned();
    let one = vec![(A.to_owned(), client_rule.clone(), 1)];
    assert_eq!(watchlist_alerts(&w.store).await, one);

    // The next node (or two at once) raises the pending hit: the same alarm.
    w.clock.advance(Duration::minutes(3));
    let (n1, n2) = (
        another_node(&w, Some(setup())).await,
        another_node(&w, Some(setup())).await,
    );
    let (r1, r2) = tokio::join!(n1.raise_pending_hits(), n2.raise_pending_hits());
    let raised = r1.unwrap().len() + r2.unwrap().len();
    assert!((1..=2).contains(&raised), "{raised}");
    assert_eq!(
        watchlist_alerts(&w.store).await,
        one,
        "the alarm already committed, not a second"
    );
    assert!(n1.raise_pending_hits().await.unwrap().is_empty());
    let hits = hit_records(&w.store).await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].0.ends_with(":arrival"), "{hits:?}");
    assert_eq!(hits[0].1, "raised");

    // The arrival retried by the front desk: refused, no second alarm.
    let op = Actor::person("op", Role::ProviderOperator, None);
    let retried = n1
        .visit_step(
            &op,
            &id,
            VisitStep::Arrive {
                document: passport(),
            },
        )
        .await;
    assert!(retried.is_err(), "{retried:?}");
    assert_eq!(watchlist_alerts(&w.store).await, one);
    let alerts = w
        .store
        .alerts(&AlertQuery::all_in(TenantScope::All, 100))
        .await
        .unwrap();
    let alert = alerts
        .items
        .iter()
        .find(|a| a.rule_id == client_rule)
        .unwrap();
    assert_eq!(alert.first_seen, w.clock.now() - Duration::minutes(3));
    assert_eq!(
        alert.severity,
        vigil_model::Severity::High,
        "a document match"
    );
    assert_eq!(
        watchlist_alarms(&n1).await,
        vec![(A.to_owned(), client_rule)]
    );
}

#[tokio::test]
async fn the_desk_timers_raise_a_hit_a_node_stored_and_did_not_raise() {
    let w = world(DeskConfig::default()).await;
    w.desk.set_visitor_setup(setup());
    let entry = document_listed(&w.desk).await;
    let id = approved_visit(&w.desk, A, w.clock.now()).await;
    arrived_then_crashed(&w, &id, &entry, false).await;
    assert!(watchlist_alerts(&w.store).await.is_empty());
    let node = another_node(&w, Some(setup())).await;
    let workers = node.start_workers(std::time::Duration::from_millis(50));
    let limit = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while hit_records(&w.store)
        .await
        .iter()
        .any(|(_, s)| s == "pending")
    {
        assert!(std::time::Instant::now() < limit, "the hit was not raised");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    workers.stop().await;
    assert_eq!(
        watchlist_alerts(&w.store).await,
        vec![(
            A.to_owned(),
            VisitorRule::ClientWatchlist.id().to_owned(),
            1
        )]
    );
}
