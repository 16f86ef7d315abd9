//! Watchlist hits at pre-registration and arrival through the desk service
//! on a real store: the desk raises each hit itself, once per screening;
//! a hit stored with its step and not raised (the node died before its
//! alarm, or between its alarm and marking it raised) is raised by the next
//! node or the desk's timer as the same alarm; a retried arrival raises
//! nothing.

mod common;

use chrono::Duration;
use common::visitors::{
    another_node, approved_visit, listing, setup, watchlist_alarms, watchlist_alerts,
    zoe_listed_world, zoe_request,
};
use common::{A, tenant, world};
use vigil_desk::Actor;
use vigil_desk::DeskConfig;
use vigil_desk::record::{DeskObject, from_record, to_record};
use vigil_desk::service::{Desk, VisitStep};
use vigil_desk::visitors::{ClientWatchlistEntry, Screening, WatchlistHit};
use vigil_model::Clock;
use vigil_store::sqlite::SqliteStore;
use vigil_store::{
    AlertDetection, AlertQuery, DeskStore, DeskWrite, IngestBatch, RecordQuery, Role, Store,
    TenantScope,
};
use vigil_visitors::rules::{VisitorRule, watchlist_alarm};
use vigil_visitors::visit::{DocumentKind, IdentityDocument};
use vigil_visitors::watchlist::{MatchBasis, MatchedList, NewEntry, WatchlistMatch, hit_alarm};
use vigil_visitors::{ActorId, Visit};

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
    let w = zoe_listed_world().await;
    let d = &w.desk;
    let admin = Actor::person("northgate-admin", Role::ClientAdmin, Some(tenant(A)));
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

#[tokio::test]
async fn a_retried_pre_registration_with_its_key_makes_one_visit_one_hit_and_one_alarm() {
    let w = zoe_listed_world().await;
    let d = &w.desk;
    let host = Actor::person("northgate-host", Role::ClientViewer, Some(tenant(A)));
    let request = zoe_request(w.clock.now());
    let key = Some("3f2c1e9a-7b4d-4c1e-9f0a-5d6e7f8a9b0c");

    let first = d
        .pre_register_visit(&host, &tenant(A), &request, key)
        .await
        .unwrap();
    assert_eq!(first.alarms.len(), 1);
    // The answer was lost; the client sends the same request again, later,
    // and twice at once.
    w.clock.advance(Duration::minutes(1));
    let a = tenant(A);
    let (again, at_once, also) = tokio::join!(
        d.pre_register_visit(&host, &a, &request, key),
        d.pre_register_visit(&host, &a, &request, key),
        d.pre_register_visit(&host, &a, &request, key),
    );
    for retry in [again, at_once, also] {
        let retry = retry.unwrap();
        assert_eq!(retry.visit, first.visit);
        assert!(retry.alarms.is_empty(), "{:?}", retry.alarms);
    }
    let visits = w
        .store
        .desk_records(&RecordQuery::new(Visit::KIND, TenantScope::All))
        .await
        .unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(hit_records(&w.store).await.len(), 1);
    let client_rule = VisitorRule::ClientWatchlist.id().to_owned();
    assert_eq!(
        watchlist_alerts(&w.store).await,
        vec![(A.to_owned(), client_rule, 1)]
    );

    // Three first attempts at once with a new key: one visit, and one
    // hit raised among them.
    let mut second = zoe_request(w.clock.now());
    second.purpose = "Second look at the lifts".into();
    let fresh = Some("9d1f4b2e-second-visit");
    let (x, y, z) = tokio::join!(
        d.pre_register_visit(&host, &a, &second, fresh),
        d.pre_register_visit(&host, &a, &second, fresh),
        d.pre_register_visit(&host, &a, &second, fresh),
    );
    let attempts = [x.unwrap(), y.unwrap(), z.unwrap()];
    assert!(attempts.iter().all(|o| o.visit == attempts[0].visit));
    assert_ne!(attempts[0].visit.id, first.visit.id);
    let alarms: usize = attempts.iter().map(|o| o.alarms.len()).sum();
    assert_eq!(alarms, 1);
    let visits = w
        .store
        .desk_records(&RecordQuery::new(Visit::KIND, TenantScope::All))
        .await
        .unwrap();
    assert_eq!(visits.len(), 2);
    assert_eq!(hit_records(&w.store).await.len(), 2);

    // The key again with another request: refused, nothing made.
    let mut other = request.clone();
    other.purpose = "Annual inspection".into();
    let reused = d.pre_register_visit(&host, &tenant(A), &other, key).await;
    assert!(
        matches!(
            reused,
            Err(vigil_desk::DeskError::IdempotencyKeyReused { .. })
        ),
        "{reused:?}"
    );
    // Another host's key of the same text is theirs: a visit of its own.
    let colleague = Actor::person("northgate-host-2", Role::ClientViewer, Some(tenant(A)));
    let theirs = d
        .pre_register_visit(&colleague, &tenant(A), &request, key)
        .await
        .unwrap();
    assert_ne!(theirs.visit.id, first.visit.id);
    // Without a key, each request is a visit of its own, as before.
    let plain = d
        .pre_register_visit(&host, &tenant(A), &request, None)
        .await
        .unwrap();
    assert_ne!(plain.visit.id, first.visit.id);
    // A key that is no key.
    for bad in ["", "with space", &"k".repeat(256)] {
        let refused = d
            .pre_register_visit(&host, &tenant(A), &request, Some(bad))
            .await;
        assert!(
            matches!(refused, Err(vigil_desk::DeskError::Invalid { .. })),
            "{bad:?}: {refused:?}"
        );
    }
}
