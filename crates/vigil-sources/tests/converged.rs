//! The eight converged rules, each on a replayed scenario through the real
//! pipeline: Vigil's shipped rules (`rules/`, Sigma and Sigma correlation),
//! the estate's rules in code after them, the people register enriching
//! events, and a clock the scenario moves. Each scenario also has the
//! near miss that must not fire.

mod common;

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::SeedableRng;
use serde_json::{Value, json};
use vigil_correlate::{CorrelationSet, EngineConfig};
use vigil_detect::{Detector, LoadOptions, RuleSet};
use vigil_estate::converged::{
    ConvergedDetector, FIRST_ACCESS_ID, TAILGATING_ID, UNUSUAL_HOURS_ID, UsualHoursSettings,
};
use vigil_estate::supervision::{Heard, SupervisionHandle};
use vigil_ingest::{Payload, PeopleRegister, Pipeline, PipelineConfig};
use vigil_model::{Fields, ManualClock, SourceBinding, SourceKind};
use vigil_sources::dc09::{Dc09Receiver, Dc09Sender, PanelAccount, TimeWindow, Verdict};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{AlertQuery, LocalBus, PersonRecord, PersonStatus, Store, TenantScope};

const RULES: &str = "../../rules";
const DOOR_CAMERA: &str = "3b96c8f2-6f89-449e-9445-6ca75ab8fd5f";
const TWO_PLACES: &str = "3f94477b-993a-4d00-9a23-8c3e9497f7b5";
const ABSENT_PERSON: &str = "624e6d90-c94b-4828-b417-f4b2dbd5c284";
const CARD_TRYING: &str = "f1930273-9561-47f8-80ad-c01ca2632a21";
const LOST_THEN_INTRUSION: &str = "8df75348-a5a9-4fb8-ad9c-8f5818ac6417";
const LOST_WHILE_ARMED: &str = "a9a5a61d-ebaf-42fc-904b-0ef7203eab92";
const PATH_LOST: &str = "638c8a3c-6b9d-4723-8e03-84a6db87f44f";
const COOLING: &str = "fe76b1a2-846b-4c37-b9a9-eb6b9db48ef8";
const PANEL_INTRUSION: &str = "9c01e7fc-0f7a-468b-b92e-e62788e7b046";
const PANEL_LIFE_SAFETY: &str = "75830c89-a8ad-4311-9a3b-4bf88972e125";

fn rule_sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(RULES)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("the rules folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yml") {
                out.push((
                    path.display().to_string(),
                    std::fs::read_to_string(&path).expect("rule"),
                ));
            }
        }
    }
    out.sort();
    out
}

struct Scenario {
    pipeline: Pipeline,
    store: Arc<SqliteStore>,
    clock: Arc<ManualClock>,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 1, 0, 0).unwrap()
}

impl Scenario {
    async fn new() -> Self {
        let store = Arc::new(SqliteStore::open_temporary(SqliteOptions::default()).unwrap());
        store
            .upsert_tenant(&vigil_model::Tenant {
                id: vigil_model::TenantId::new("acme").unwrap(),
                name: "Acme".into(),
            })
            .await
            .unwrap();
        let report = RuleSet::load_sources(rule_sources(), &LoadOptions::default());
        let rejected: Vec<_> = report
            .outcomes
            .iter()
            .filter(|o| o.result.is_err())
            .collect();
        assert!(rejected.is_empty(), "{rejected:#?}");
        let (set, outcomes) = CorrelationSet::compile(&report);
        assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:#?}");
        let clock = Arc::new(ManualClock::new(t0()));
        let detector: Arc<dyn Detector> = Arc::new(ConvergedDetector::new(
            Arc::new(report.ruleset),
            UsualHoursSettings {
                learning: Duration::days(7),
                ..Default::default()
            },
        ));
        let pipeline = Pipeline::new(
            store.clone(),
            Arc::new(LocalBus::new(64)),
            clock.clone(),
            detector,
            PipelineConfig::default(),
        );
        pipeline.set_correlations(Some(Arc::new(vigil_ingest::CorrelationStage::new(
            Arc::new(set),
            EngineConfig::default(),
        ))));
        pipeline.set_people(Arc::new(PeopleRegister::new(vec![
            person("ann", &["1001"], &["ann"], PersonStatus::Active),
            person("bob", &["2002"], &["bob"], PersonStatus::OnLeave),
            person("cy", &["3003"], &["cy"], PersonStatus::Terminated),
        ])));
        Self {
            pipeline,
            store,
            clock,
        }
    }

    /// Ingests `fields` through `binding`, with the clock at their time.
    async fn send(&self, binding: &SourceBinding, at: DateTime<Utc>, mut fields: Value) {
        self.clock.set(at);
        fields["time"] = Value::String(at.to_rfc3339());
        let Value::Object(map) = fields else {
            panic!("an object")
        };
        let raw = serde_json::to_vec(&map).unwrap();
        self.pipeline
            .ingest(binding, Payload::Records(vec![(Ok(map.into()), raw)]))
            .await
            .unwrap();
    }

    async fn records(
        &self,
        binding: &SourceBinding,
        at: DateTime<Utc>,
        records: Vec<(Fields, Vec<u8>)>,
    ) {
        self.clock.set(at);
        let records = records.into_iter().map(|(f, r)| (Ok(f), r)).collect();
        self.pipeline
            .ingest(binding, Payload::Records(records))
            .await
            .unwrap();
    }

    async fn rules_fired(&self) -> Vec<String> {
        let page = self
            .store
            .alerts(&AlertQuery::all_in(TenantScope::All, 1000))
            .await
            .unwrap();
        page.items.iter().map(|a| a.rule_id.clone()).collect()
    }

    async fn count(&self, rule: &str) -> usize {
        self.rules_fired()
            .await
            .iter()
            .filter(|r| *r == rule)
            .count()
    }
}

fn person(id: &str, badges: &[&str], accounts: &[&str], status: PersonStatus) -> PersonRecord {
    PersonRecord {
        tenant: vigil_model::TenantId::new("acme").unwrap(),
        id: id.into(),
        name: id.into(),
        status,
        status_from: None,
        status_until: None,
        badges: badges.iter().map(|s| s.to_string()).collect(),
        accounts: accounts.iter().map(|s| s.to_string()).collect(),
    }
}

fn access() -> SourceBinding {
    common::binding("acme-access", SourceKind::Http, "access")
}

#[tokio::test]
async fn rule_1_door_held_while_the_camera_covering_it_is_blinded() {
    let s = Scenario::new().await;
    let cameras = common::binding("acme-cameras", SourceKind::OnvifPush, "onvif");
    let tamper = |door: &str| json!({"class": "video_analytics", "action": "tamper", "camera": "cam-1", "covers_door": door, "active": true});
    s.send(&cameras, t0(), tamper("hall-1")).await;
    s.send(
        &access(),
        t0() + Duration::minutes(2),
        json!({"class": "physical_access", "action": "door_held_open", "door": "hall-1"}),
    )
    .await;
    assert_eq!(s.count(DOOR_CAMERA).await, 1, "{:?}", s.rules_fired().await);
    // A camera over another door, and a door held an hour later: nothing.
    s.send(&cameras, t0() + Duration::minutes(30), tamper("hall-2"))
        .await;
    s.send(
        &access(),
        t0() + Duration::minutes(90),
        json!({"class": "physical_access", "action": "door_held_open", "door": "hall-2"}),
    )
    .await;
    assert_eq!(s.count(DOOR_CAMERA).await, 1);
}

#[tokio::test]
async fn rule_2_badged_in_while_the_same_persons_account_logs_in_over_vpn() {
    let s = Scenario::new().await;
    let vpn = common::binding("acme-vpn", SourceKind::SyslogTcp, "vpn");
    s.send(&access(), t0(), json!({"class": "physical_access", "action": "access_granted", "door": "lobby", "badge": "1001"})).await;
    s.clock.set(t0() + Duration::minutes(12));
    let line = format!(
        "<166>{} vpn-gw01 %ASA-6-113004: AAA user authentication Successful : server = 10.20.1.10 : user = ann",
        (t0() + Duration::minutes(12)).format("%b %e %H:%M:%S")
    );
    s.pipeline
        .ingest(
            &vpn,
            Payload::Syslog {
                frames: vec![line.into_bytes()],
                broken: Vec::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(s.count(TWO_PLACES).await, 1, "{:?}", s.rules_fired().await);
    // Bob badges in and Ann logs in again: two people, no finding.
    s.send(&access(), t0() + Duration::minutes(120), json!({"class": "physical_access", "action": "access_granted", "door": "lobby", "badge": "2002"})).await;
    assert_eq!(s.count(TWO_PLACES).await, 1);
}

#[tokio::test]
async fn rule_3_a_badge_of_a_person_on_leave_opens_a_door() {
    let s = Scenario::new().await;
    s.send(&access(), t0(), json!({"class": "physical_access", "action": "access_granted", "door": "pharmacy", "badge": "2002"})).await;
    assert_eq!(s.count(ABSENT_PERSON).await, 1);
    s.send(&access(), t0(), json!({"class": "physical_access", "action": "access_granted", "door": "pharmacy", "badge": "1001"})).await;
    assert_eq!(
        s.count(ABSENT_PERSON).await,
        1,
        "an active person is not a finding"
    );
    s.send(&access(), t0() + Duration::hours(3), json!({"class": "physical_access", "action": "access_granted", "door": "yard", "badge": "3003"})).await;
    assert_eq!(
        s.count(ABSENT_PERSON).await,
        2,
        "a terminated person's badge"
    );
    s.send(&access(), t0() + Duration::hours(4), json!({"class": "physical_access", "action": "access_denied", "reason": "expired", "door": "yard", "badge": "3003"})).await;
    assert_eq!(
        s.count(ABSENT_PERSON).await,
        2,
        "a refused badge opened nothing"
    );
}

#[tokio::test]
async fn rule_4_a_critical_zone_at_an_odd_hour_or_for_the_first_time() {
    let s = Scenario::new().await;
    let grant = |zone: &str| json!({"class": "physical_access", "action": "access_granted", "door": "d", "zone": zone, "badge": "1001"});
    for day in 0..9 {
        s.send(
            &access(),
            t0() + Duration::days(day) + Duration::hours(8),
            grant("lon1-hall-1"),
        )
        .await;
    }
    assert_eq!(
        s.count(UNUSUAL_HOURS_ID).await + s.count(FIRST_ACCESS_ID).await,
        0,
        "habits, no findings"
    );
    s.send(
        &access(),
        t0() + Duration::days(9) + Duration::hours(2),
        grant("lon1-hall-1"),
    )
    .await;
    assert_eq!(s.count(UNUSUAL_HOURS_ID).await, 1);
    s.send(
        &access(),
        t0() + Duration::days(9) + Duration::hours(9),
        grant("lon1-mmr"),
    )
    .await;
    assert_eq!(s.count(FIRST_ACCESS_ID).await, 1);
}

#[tokio::test]
async fn rule_5_card_trying_at_one_door() {
    let s = Scenario::new().await;
    let denied = |badge: &str| json!({"class": "physical_access", "action": "access_denied", "reason": "unknown_card", "door": "cd-room", "badge": badge});
    for (i, badge) in ["9001", "9002", "9003"].iter().enumerate() {
        s.send(
            &access(),
            t0() + Duration::seconds(20 * i as i64),
            denied(badge),
        )
        .await;
    }
    s.send(&access(), t0() + Duration::seconds(90), json!({"class": "physical_access", "action": "access_granted", "door": "cd-room", "badge": "1001"})).await;
    assert_eq!(s.count(CARD_TRYING).await, 1, "{:?}", s.rules_fired().await);
    // Two denials and a grant elsewhere: nothing.
    s.send(&access(), t0() + Duration::hours(2), denied("9009"))
        .await;
    s.send(
        &access(),
        t0() + Duration::hours(2) + Duration::seconds(10),
        denied("9009"),
    )
    .await;
    s.send(&access(), t0() + Duration::hours(2) + Duration::seconds(30), json!({"class": "physical_access", "action": "access_granted", "door": "cd-room", "badge": "1001"})).await;
    assert_eq!(s.count(CARD_TRYING).await, 1);
}

#[tokio::test]
async fn rule_6_a_panel_goes_dark_while_armed_then_alarms() {
    let s = Scenario::new().await;
    let arc = common::binding("acme-arc", SourceKind::Dc09Tcp, "sia-dc09");
    let mut account = PanelAccount::new("1234");
    account.supervision = Some(Duration::minutes(3));
    let receiver = Dc09Receiver::new([account], TimeWindow::default());
    let sender = Dc09Sender::new("1234");
    let supervision = SupervisionHandle::new();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut frame = |seq: u16, payload: &str, at: DateTime<Utc>| {
        let token = if payload.is_empty() {
            "NULL"
        } else {
            "SIA-DCS"
        };
        match receiver.receive(
            &sender.frame(seq, token, payload, at, true, &mut rng),
            at,
            &mut rng,
        ) {
            Verdict::Accept(a) => a,
            Verdict::Reject(r) => panic!("{}", r.reason),
        }
    };
    // Set at 01:00, polls until 01:02, then silence.
    let set = frame(1, "Nri1id1/CL1", t0());
    supervision.heard(Heard {
        binding: arc.clone(),
        device: set.panel.clone(),
        device_type: "intrusion_panel".into(),
        interval: Duration::minutes(3),
        at: t0(),
        armed: set.armed,
    });
    s.records(&arc, t0(), set.records).await;
    for m in 1..=2 {
        let at = t0() + Duration::minutes(m);
        let poll = frame(1 + m as u16, "", at);
        supervision.heard(Heard {
            binding: arc.clone(),
            device: poll.panel,
            device_type: "intrusion_panel".into(),
            interval: Duration::minutes(3),
            at,
            armed: None,
        });
    }
    let tick = t0() + Duration::minutes(6);
    s.clock.set(tick);
    vigil_estate::supervision::task::record(&s.pipeline, &supervision.take_transitions(tick)).await;
    let fired = s.rules_fired().await;
    assert!(
        fired.contains(&PATH_LOST.to_string()) && fired.contains(&LOST_WHILE_ARMED.to_string()),
        "{fired:?}"
    );
    let alarm = frame(9, "Nri1/BA001", t0() + Duration::minutes(8));
    s.records(&arc, t0() + Duration::minutes(8), alarm.records)
        .await;
    assert_eq!(
        s.count(LOST_THEN_INTRUSION).await,
        1,
        "{:?}",
        s.rules_fired().await
    );
}

#[tokio::test]
async fn rule_7_temperature_rising_with_a_cooling_fault_in_the_same_zone() {
    let s = Scenario::new().await;
    let sensors = common::binding("acme-sensors", SourceKind::Mqtt, "sensors");
    s.send(&sensors, t0(), json!({"class": "device_status", "device": "crac-1", "device_type": "cooling_unit", "status": "fault", "zone": "hall-1"})).await;
    s.send(&sensors, t0() + Duration::minutes(8), json!({"class": "sensor_reading", "sensor": "t-1", "metric": "temperature", "value": 28.1, "state": "high", "zone": "hall-2"})).await;
    assert_eq!(s.count(COOLING).await, 0, "another zone");
    s.send(&sensors, t0() + Duration::minutes(9), json!({"class": "sensor_reading", "sensor": "t-2", "metric": "temperature", "value": 28.3, "state": "high", "zone": "hall-1"})).await;
    assert_eq!(s.count(COOLING).await, 1, "{:?}", s.rules_fired().await);
}

#[tokio::test]
async fn rule_8_more_people_through_the_door_than_badges() {
    let s = Scenario::new().await;
    let grant = json!({"class": "physical_access", "action": "access_granted", "door": "mantrap", "badge": "1001"});
    let counted = |n: u32| json!({"class": "physical_access", "action": "people_counted", "door": "mantrap", "count": n});
    s.send(&access(), t0(), grant.clone()).await;
    s.send(&access(), t0() + Duration::seconds(4), counted(1))
        .await;
    assert_eq!(s.count(TAILGATING_ID).await, 0);
    s.send(&access(), t0() + Duration::minutes(5), grant).await;
    s.send(
        &access(),
        t0() + Duration::minutes(5) + Duration::seconds(4),
        counted(2),
    )
    .await;
    assert_eq!(s.count(TAILGATING_ID).await, 1);
}

#[tokio::test]
async fn rule_1_door_forced_and_the_covering_camera_loses_its_signal_or_goes_offline() {
    let s = Scenario::new().await;
    let cameras = common::binding("acme-cameras", SourceKind::OnvifPush, "onvif");
    // Forced, then the camera over it loses its signal two minutes later.
    s.send(
        &access(),
        t0(),
        json!({"class": "physical_access", "action": "door_forced_open", "door": "dock-1"}),
    )
    .await;
    s.send(&cameras, t0() + Duration::minutes(2), json!({"class": "video_analytics", "action": "signal_loss", "camera": "cam-2", "covers_door": "dock-1", "active": true})).await;
    assert_eq!(s.count(DOOR_CAMERA).await, 1, "{:?}", s.rules_fired().await);

    // A camera over dock-2 goes silent: supervision loses it, and the
    // device register says which door it covers.
    let supervision = SupervisionHandle::new();
    let at = t0() + Duration::hours(2);
    for (camera, at) in [("cam-3", at), ("cam-4", at)] {
        supervision.heard(Heard {
            binding: cameras.clone(),
            device: camera.into(),
            device_type: "camera".into(),
            interval: Duration::minutes(1),
            at,
            armed: None,
        });
    }
    let place = |camera: &str, door: &str| vigil_store::DeviceRecord {
        tenant: vigil_model::TenantId::new("acme").unwrap(),
        id: camera.into(),
        site: None,
        kind: "camera".into(),
        zone: None,
        name: None,
        covers_door: Some(door.into()),
        heartbeat_secs: Some(60),
    };
    let places: vigil_estate::supervision::task::DevicePlaces = [
        (("acme", "cam-3"), place("cam-3", "dock-2")),
        (("acme", "cam-4"), place("cam-4", "dock-3")),
    ]
    .into_iter()
    .map(|((t, c), d)| ((vigil_model::TenantId::new(t).unwrap(), c.to_owned()), d))
    .collect();
    let tick = at + Duration::minutes(2);
    s.clock.set(tick);
    vigil_estate::supervision::task::record_placed(
        &s.pipeline,
        &supervision.take_transitions(tick),
        &places,
    )
    .await;
    s.send(
        &access(),
        tick + Duration::minutes(1),
        json!({"class": "physical_access", "action": "door_held_open", "door": "dock-2"}),
    )
    .await;
    assert_eq!(s.count(DOOR_CAMERA).await, 2, "{:?}", s.rules_fired().await);
    // A door whose camera is fine, held open at the same time: nothing more.
    s.send(
        &access(),
        tick + Duration::minutes(1),
        json!({"class": "physical_access", "action": "door_held_open", "door": "dock-9"}),
    )
    .await;
    assert_eq!(s.count(DOOR_CAMERA).await, 2);
}

#[tokio::test]
async fn rule_2_either_order_and_only_a_login_that_came_over_the_vpn() {
    let s = Scenario::new().await;
    let vpn = common::binding("acme-vpn-json", SourceKind::Http, "vpn");
    let login = |user: &str, logon_type: Option<&str>| {
        let mut f = json!({"class": "authentication", "user": user, "outcome": "success", "src_ip": "198.51.100.7"});
        if let Some(t) = logon_type {
            f["logon_type"] = t.into();
        }
        f
    };
    // A workstation logon on site after badging in is not two places.
    s.send(&access(), t0(), json!({"class": "physical_access", "action": "access_granted", "door": "lobby", "badge": "1001"})).await;
    s.send(&vpn, t0() + Duration::minutes(5), login("ann", None))
        .await;
    assert_eq!(s.count(TWO_PLACES).await, 0, "{:?}", s.rules_fired().await);
    // The VPN first, the badge 20 minutes later: one person, two places.
    s.send(&vpn, t0() + Duration::hours(3), login("ann", Some("vpn")))
        .await;
    s.send(&access(), t0() + Duration::hours(3) + Duration::minutes(20), json!({"class": "physical_access", "action": "access_granted", "door": "lobby", "badge": "1001"})).await;
    assert_eq!(s.count(TWO_PLACES).await, 1, "{:?}", s.rules_fired().await);
    // The VPN again 80 minutes after the last badge: outside the window.
    s.send(
        &vpn,
        t0() + Duration::hours(4) + Duration::minutes(40),
        login("ann", Some("vpn")),
    )
    .await;
    assert_eq!(s.count(TWO_PLACES).await, 1);
}

#[tokio::test]
async fn rule_6_near_misses_a_disarmed_panel_and_an_alarm_from_another_panel() {
    let s = Scenario::new().await;
    let arc = common::binding("acme-arc", SourceKind::Dc09Tcp, "sia-dc09");
    let accounts = ["1234", "5678"].map(|a| {
        let mut account = PanelAccount::new(a);
        account.supervision = Some(Duration::minutes(3));
        account
    });
    let receiver = Dc09Receiver::new(accounts, TimeWindow::default());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
    let mut frame = |account: &str, seq: u16, payload: &str, at: DateTime<Utc>| {
        let f = Dc09Sender::new(account).frame(seq, "SIA-DCS", payload, at, true, &mut rng);
        match receiver.receive(&f, at, &mut rng) {
            Verdict::Accept(a) => a,
            Verdict::Reject(r) => panic!("{}", r.reason),
        }
    };
    let supervision = SupervisionHandle::new();
    // Panel 1234 is unset (disarmed) and then goes silent.
    let unset = frame("1234", 1, "Nri1id1/OP1", t0());
    supervision.heard(Heard {
        binding: arc.clone(),
        device: unset.panel.clone(),
        device_type: "intrusion_panel".into(),
        interval: Duration::minutes(3),
        at: t0(),
        armed: unset.armed,
    });
    assert_eq!(unset.armed, Some(false));
    s.records(&arc, t0(), unset.records).await;
    let tick = t0() + Duration::minutes(5);
    s.clock.set(tick);
    vigil_estate::supervision::task::record(&s.pipeline, &supervision.take_transitions(tick)).await;
    let fired = s.rules_fired().await;
    assert!(fired.contains(&PATH_LOST.to_string()), "{fired:?}");
    assert!(
        !fired.contains(&LOST_WHILE_ARMED.to_string()),
        "a disarmed site going dark is a fault, not this finding: {fired:?}"
    );
    // A burglary alarm from another panel, whose line is fine.
    let alarm = frame("5678", 2, "Nri1/BA003", t0() + Duration::minutes(7));
    s.records(&arc, t0() + Duration::minutes(7), alarm.records)
        .await;
    assert_eq!(s.count(LOST_THEN_INTRUSION).await, 0);
    assert_eq!(
        s.count(PANEL_INTRUSION).await,
        1,
        "the alarm is an alarm of its own"
    );
    // Its restore raises nothing; a fire alarm is a life-safety alarm.
    let restore = frame("5678", 3, "Nri1/BR003", t0() + Duration::minutes(9));
    s.records(&arc, t0() + Duration::minutes(9), restore.records)
        .await;
    assert_eq!(s.count(PANEL_INTRUSION).await, 1);
    let fire = frame("5678", 4, "Nri1/FA012", t0() + Duration::minutes(10));
    s.records(&arc, t0() + Duration::minutes(10), fire.records)
        .await;
    assert_eq!(s.count(PANEL_LIFE_SAFETY).await, 1);
}
