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
use common::visitors::{
    another_node, approved_visit, listing, setup, visit_through, watchlist_alarms, watchlist_alerts,
};
use common::{A, B, tenant, world};
use vigil_desk::DeskConfig;
use vigil_desk::governance::{DataClass, HoldScope, RetentionPolicy};
use vigil_desk::record::to_record;
use vigil_desk::visitors::{ClientWatchlistEntry, ProviderWatchlistEntry};
use vigil_desk::{Actor, service::Desk};
use vigil_model::Clock;
use vigil_store::{
    AlertDetection, AlertQuery, DeskStore, DeskWrite, IngestBatch, Role, Store, TenantScope,
};
use vigil_visitors::ActorId;
use vigil_visitors::rules::VisitorRule;
use vigil_visitors::rules::watchlist_alarm;
use vigil_visitors::watchlist::{
    ClientWatchlist, MatchBasis, MatchedList, ProviderEntry, WatchlistMatch, hit_alarm,
};

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
