//! Correlation rules in a hunt: each of the seven Sigma correlation types
//! fires on a small file of events where its condition holds and not on
//! one where it does not; base rules that correlations keep silent are
//! not reported; the order events are read in does not change the alerts.

use std::sync::Arc;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use vigil_correlate::CorrelationSet;
use vigil_detect::{LoadOptions, RuleSet};
use vigil_hunt::{
    CorrelationAlert, CorrelationOptions, CorrelationStats, Hit, HuntObserver, HuntOptions, Hunter,
    Problem,
};

/// The base rules the correlations refer to (Windows Security events).
const BASE: &str = r#"
title: Failed logon
id: 9e000000-0000-4000-8000-000000000001
name: failed_logon
level: low
logsource: {product: windows, service: security}
detection: {s: {EventID: 4625}, condition: s}
---
title: Successful logon
id: 9e000000-0000-4000-8000-000000000002
name: successful_logon
level: low
logsource: {product: windows, service: security}
detection: {s: {EventID: 4624}, condition: s}
---
title: Connection allowed
id: 9e000000-0000-4000-8000-000000000003
name: connection
level: low
logsource: {product: windows, service: security}
detection: {s: {EventID: 5156}, condition: s}
---
title: Process created
id: 9e000000-0000-4000-8000-000000000004
name: process_created
level: low
logsource: {product: windows, service: security}
detection: {s: {EventID: 4688}, condition: s}
"#;

#[derive(Default)]
struct Collect {
    hits: Vec<Hit>,
    alerts: Vec<CorrelationAlert>,
    problems: Vec<String>,
}

impl HuntObserver for Collect {
    fn hit(&mut self, hit: Hit) {
        self.hits.push(hit);
    }

    fn problem(&mut self, problem: Problem) {
        self.problems.push(problem.message);
    }

    fn correlation(&mut self, alert: CorrelationAlert) {
        self.alerts.push(alert);
    }
}

/// Yesterday at 10:00 UTC: a time that holds on any day.
fn base_time() -> DateTime<Utc> {
    let yesterday = (Utc::now() - Duration::days(1)).date_naive();
    yesterday
        .and_hms_opt(10, 0, 0)
        .map(|t| t.and_utc())
        .expect("a time of day")
}

/// A Security event `seconds` after [`base_time`].
fn event(seconds: i64, id: u32, fields: Value) -> Value {
    let mut event = json!({
        "Channel": "Security",
        "EventID": id,
        "Computer": "dc1",
        "@timestamp": (base_time() + Duration::seconds(seconds))
            .to_rfc3339_opts(SecondsFormat::Millis, true),
    });
    if let (Some(event), Some(fields)) = (event.as_object_mut(), fields.as_object()) {
        event.extend(fields.clone());
    }
    event
}

/// Hunts `files` (each a list of events, read one after another) with the
/// base rules and `correlation`.
fn hunt(correlation: &str, files: &[Vec<Value>]) -> (Collect, CorrelationStats) {
    let report = RuleSet::load_sources(
        [
            ("base.yml".to_owned(), BASE.to_owned()),
            ("correlation.yml".to_owned(), correlation.to_owned()),
        ],
        &LoadOptions::default(),
    );
    assert!(report.rejected().next().is_none(), "{:?}", report.outcomes);
    let (set, outcomes) = CorrelationSet::compile(&report);
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    let mut hunter = Hunter::new(&report.ruleset, HuntOptions::default());
    hunter
        .correlate(Arc::new(set), CorrelationOptions::at(Utc::now()))
        .expect("correlate");
    let mut out = Collect::default();
    for (i, events) in files.iter().enumerate() {
        let lines: Vec<String> = events.iter().map(Value::to_string).collect();
        hunter
            .hunt_reader(
                &format!("file{i}.jsonl"),
                lines.join("\n").as_bytes(),
                &mut out,
            )
            .expect("hunt");
    }
    hunter.finish_correlations(&mut out);
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    (out, hunter.correlation_stats())
}

/// (title, group, window start offset in seconds, value, event count) of
/// each alert.
fn summary(alerts: &[CorrelationAlert]) -> Vec<(String, String, i64, f64, u64)> {
    alerts
        .iter()
        .map(|a| {
            (
                a.correlation.title.clone(),
                a.group_key(),
                (a.window_start - base_time()).num_seconds(),
                a.value,
                a.event_count,
            )
        })
        .collect()
}

fn failed(seconds: i64, user: &str, ip: &str) -> Value {
    event(
        seconds,
        4625,
        json!({"TargetUserName": user, "IpAddress": ip}),
    )
}

fn succeeded(seconds: i64, user: &str) -> Value {
    event(
        seconds,
        4624,
        json!({"TargetUserName": user, "IpAddress": "10.0.0.9"}),
    )
}

fn connection(seconds: i64, source: &str, bytes: u64) -> Value {
    event(
        seconds,
        5156,
        json!({"SourceAddress": source, "Bytes": bytes}),
    )
}

fn process(seconds: i64, image: &str) -> Value {
    event(seconds, 4688, json!({"NewProcessName": image}))
}

const EVENT_COUNT: &str = r#"
title: Many failed logons
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 5m
  condition: {gte: 3}
"#;

#[test]
fn event_count_fires_on_three_failures_in_five_minutes_only() {
    let burst = vec![
        failed(0, "jdoe", "10.0.0.1"),
        failed(60, "jdoe", "10.0.0.1"),
        failed(120, "jdoe", "10.0.0.1"),
        failed(150, "other", "10.0.0.1"),
    ];
    let (out, stats) = hunt(EVENT_COUNT, &[burst]);
    assert_eq!(
        summary(&out.alerts),
        vec![(
            "Many failed logons".into(),
            "TargetUserName=jdoe".into(),
            0,
            3.0,
            3
        )]
    );
    assert_eq!(out.alerts[0].events.len(), 3);
    let (origin, _) = out.alerts[0].events[0].place.clone().expect("a place");
    assert_eq!(&*origin, "file0.jsonl");
    // The failures only feed the correlation (`generate` is false).
    assert!(out.hits.is_empty(), "{:?}", out.hits);
    assert_eq!((stats.fed, stats.silenced, stats.alerts), (4, 4, 1));

    let spread = vec![
        failed(0, "jdoe", "10.0.0.1"),
        failed(200, "jdoe", "10.0.0.1"),
        failed(400, "jdoe", "10.0.0.1"),
    ];
    assert!(hunt(EVENT_COUNT, &[spread]).0.alerts.is_empty());
}

#[test]
fn events_read_out_of_time_order_make_the_same_alerts() {
    let events = vec![
        failed(0, "jdoe", "10.0.0.1"),
        failed(60, "jdoe", "10.0.0.1"),
        failed(120, "jdoe", "10.0.0.1"),
        failed(180, "jdoe", "10.0.0.1"),
        failed(900, "jdoe", "10.0.0.1"),
        failed(960, "jdoe", "10.0.0.1"),
        failed(1000, "jdoe", "10.0.0.1"),
    ];
    let (in_order, _) = hunt(EVENT_COUNT, std::slice::from_ref(&events));
    assert_eq!(
        summary(&in_order.alerts),
        vec![
            (
                "Many failed logons".into(),
                "TargetUserName=jdoe".into(),
                0,
                4.0,
                4
            ),
            (
                "Many failed logons".into(),
                "TargetUserName=jdoe".into(),
                900,
                3.0,
                3
            ),
        ]
    );
    let mut reversed = events.clone();
    reversed.reverse();
    // The later events in one file, the earlier ones in another read after
    // it, each file backwards: as EVTX chunks and rotated logs come.
    let split = vec![reversed[..3].to_vec(), reversed[3..].to_vec()];
    let (out_of_order, _) = hunt(EVENT_COUNT, &split);
    assert_eq!(summary(&out_of_order.alerts), summary(&in_order.alerts));
}

#[test]
fn value_count_fires_on_three_users_from_one_address_only() {
    let rule = r#"
title: Password spraying
correlation:
  type: value_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 5m
  condition: {gte: 3, field: TargetUserName}
"#;
    let spray = vec![
        failed(0, "alice", "10.0.0.7"),
        failed(10, "bob", "10.0.0.7"),
        failed(20, "carol", "10.0.0.7"),
    ];
    let (out, _) = hunt(rule, &[spray]);
    assert_eq!(
        summary(&out.alerts),
        vec![(
            "Password spraying".into(),
            "IpAddress=10.0.0.7".into(),
            0,
            3.0,
            3
        )]
    );
    let one_user = vec![
        failed(0, "alice", "10.0.0.7"),
        failed(10, "alice", "10.0.0.7"),
        failed(20, "alice", "10.0.0.7"),
    ];
    assert!(hunt(rule, &[one_user]).0.alerts.is_empty());
}

#[test]
fn temporal_fires_on_both_rules_in_any_order_for_one_user_only() {
    let rule = r#"
title: Failure and success
correlation:
  type: temporal
  rules: [failed_logon, successful_logon]
  group-by: [TargetUserName]
  timespan: 5m
"#;
    let (out, _) = hunt(
        rule,
        &[vec![succeeded(0, "jdoe"), failed(30, "jdoe", "10.0.0.1")]],
    );
    assert_eq!(
        summary(&out.alerts),
        vec![(
            "Failure and success".into(),
            "TargetUserName=jdoe".into(),
            0,
            2.0,
            2
        )]
    );
    let other_user = vec![failed(0, "jdoe", "10.0.0.1"), succeeded(30, "other")];
    assert!(hunt(rule, &[other_user]).0.alerts.is_empty());
}

#[test]
fn temporal_ordered_fires_on_failure_then_success_only() {
    let rule = r#"
title: Failure then success
correlation:
  type: temporal_ordered
  rules: [failed_logon, successful_logon]
  group-by: [TargetUserName]
  timespan: 5m
"#;
    let (out, _) = hunt(
        rule,
        &[vec![failed(0, "jdoe", "10.0.0.1"), succeeded(30, "jdoe")]],
    );
    assert_eq!(
        summary(&out.alerts),
        vec![(
            "Failure then success".into(),
            "TargetUserName=jdoe".into(),
            0,
            2.0,
            2
        )]
    );
    let backwards = vec![succeeded(0, "jdoe"), failed(30, "jdoe", "10.0.0.1")];
    assert!(hunt(rule, &[backwards]).0.alerts.is_empty());
}

#[test]
fn value_sum_fires_over_a_thousand_bytes_only() {
    let rule = r#"
title: Much data out
correlation:
  type: value_sum
  rules: [connection]
  group-by: [SourceAddress]
  timespan: 5m
  condition: {gt: 1000, field: Bytes}
"#;
    let (out, _) = hunt(
        rule,
        &[vec![
            connection(0, "10.1.1.1", 600),
            connection(60, "10.1.1.1", 600),
        ]],
    );
    assert_eq!(
        summary(&out.alerts),
        vec![(
            "Much data out".into(),
            "SourceAddress=10.1.1.1".into(),
            0,
            1200.0,
            2
        )]
    );
    let little = vec![
        connection(0, "10.1.1.1", 300),
        connection(60, "10.1.1.1", 300),
    ];
    assert!(hunt(rule, &[little]).0.alerts.is_empty());
}

#[test]
fn value_avg_fires_on_a_high_average_only() {
    let rule = r#"
title: Large connections
correlation:
  type: value_avg
  rules: [connection]
  group-by: [SourceAddress]
  timespan: 5m
  condition: {gt: 500, field: Bytes}
"#;
    let (out, _) = hunt(
        rule,
        &[vec![
            connection(0, "10.1.1.2", 600),
            connection(60, "10.1.1.2", 800),
        ]],
    );
    assert_eq!(
        summary(&out.alerts),
        vec![(
            "Large connections".into(),
            "SourceAddress=10.1.1.2".into(),
            0,
            700.0,
            2
        )]
    );
    let low = vec![
        connection(0, "10.1.1.2", 100),
        connection(30, "10.1.1.2", 900),
        connection(60, "10.1.1.2", 200),
    ];
    let (out, _) = hunt(rule, &[low]);
    // 100 alone, then 500, then 400: never above 500.
    assert!(out.alerts.is_empty(), "{:?}", summary(&out.alerts));
}

#[test]
fn value_percentile_fires_on_a_rare_process_only() {
    let rule = r#"
title: Rare process on a host
correlation:
  type: value_percentile
  rules: [process_created]
  group-by: [Computer]
  timespan: 1h
  condition: {lte: 20, field: NewProcessName}
"#;
    let mut common: Vec<Value> = (0..9)
        .map(|i| process(i * 60, r"C:\Windows\System32\cmd.exe"))
        .collect();
    common.push(process(600, r"C:\Users\Public\evil.exe"));
    let (out, _) = hunt(rule, &[common]);
    assert_eq!(
        summary(&out.alerts),
        vec![(
            "Rare process on a host".into(),
            "Computer=dc1".into(),
            0,
            10.0,
            10
        )]
    );
    let few = vec![
        process(0, r"C:\Windows\System32\cmd.exe"),
        process(60, r"C:\Windows\System32\cmd.exe"),
        process(120, r"C:\Users\Public\evil.exe"),
    ];
    assert!(hunt(rule, &[few]).0.alerts.is_empty());
}

#[test]
fn generate_true_keeps_the_base_rule_detections_and_untimed_events_are_counted() {
    let rule = format!("{EVENT_COUNT}generate: true\n");
    let mut events = vec![
        failed(0, "jdoe", "10.0.0.1"),
        failed(60, "jdoe", "10.0.0.1"),
        failed(120, "jdoe", "10.0.0.1"),
    ];
    let mut untimed = failed(130, "jdoe", "10.0.0.1");
    untimed.as_object_mut().map(|o| o.remove("@timestamp"));
    events.push(untimed);
    let (out, stats) = hunt(&rule, &[events]);
    assert_eq!(out.hits.len(), 4);
    assert_eq!(out.alerts.len(), 1);
    assert_eq!((stats.fed, stats.untimed, stats.silenced), (3, 1, 0));
}
