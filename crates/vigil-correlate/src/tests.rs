//! The engine per correlation type, and its edges: order, lateness,
//! bucket boundaries, caps, chains, `generate`, snapshots.

use std::sync::Arc;

use chrono::{DateTime, Duration};
use serde_json::{Value, json};
use vigil_detect::{LoadOptions, RuleOutcome, RuleSet};
use vigil_model::{EventId, Fields, Timestamp};

use crate::*;

/// Base rules every test can refer to: `fail` (id …01), `success` (…02),
/// `recon_a` … `recon_c`, `traffic`.
const RULES: &str = "
title: Failed login
id: 00000000-0000-4000-8000-000000000001
name: fail
logsource: {product: test}
detection: {s: {action: fail}, condition: s}
---
title: Successful login
id: 00000000-0000-4000-8000-000000000002
name: success
logsource: {product: test}
detection: {s: {action: success}, condition: s}
---
title: Recon A
name: recon_a
logsource: {product: test}
detection: {s: {cmd: a}, condition: s}
---
title: Recon B
name: recon_b
logsource: {product: test}
detection: {s: {cmd: b}, condition: s}
---
title: Recon C
name: recon_c
logsource: {product: test}
detection: {s: {cmd: c}, condition: s}
---
title: Traffic
name: traffic
logsource: {product: test}
detection: {s: {kind: traffic}, condition: s}
";

pub(crate) fn compile(correlations: &str) -> (Arc<CorrelationSet>, Vec<RuleOutcome>) {
    let text = format!("{RULES}---\n{correlations}");
    let report = RuleSet::load_sources([("t.yml".to_owned(), text)], &LoadOptions::default());
    assert!(report.rejected().next().is_none(), "{:?}", report.outcomes);
    let (set, outcomes) = CorrelationSet::compile(&report);
    (Arc::new(set), outcomes)
}

fn loaded(correlations: &str) -> Arc<CorrelationSet> {
    let (set, outcomes) = compile(correlations);
    for o in &outcomes {
        assert!(o.result.is_ok(), "{o}");
    }
    set
}

pub(crate) fn at(secs: i64) -> Timestamp {
    DateTime::from_timestamp(1_764_000_000 + secs, 0).unwrap_or_default()
}

fn fields(v: Value) -> Fields {
    match v {
        Value::Object(m) => m.into(),
        _ => Fields::new(),
    }
}

/// A test harness: an engine, and events numbered as they are fed.
struct Run {
    engine: CorrelationEngine,
    next: u128,
}

impl Run {
    fn new(set: Arc<CorrelationSet>) -> Self {
        Self::with(set, EngineConfig::default())
    }

    fn with(set: Arc<CorrelationSet>, config: EngineConfig) -> Self {
        Run {
            engine: CorrelationEngine::new(set, config),
            next: 1,
        }
    }

    /// Feeds an event of tenant `acme` at `secs` matching `rules`.
    fn feed(&mut self, secs: i64, rules: &[&str], event: Value) -> Vec<Firing> {
        self.feed_as("acme", secs, rules, event)
    }

    fn feed_as(&mut self, tenant: &str, secs: i64, rules: &[&str], event: Value) -> Vec<Firing> {
        let n = self.next;
        self.next += 1;
        let evidence = Evidence {
            event: EventId(uuid::Uuid::from_u128(n)),
            fingerprint: n as u64,
            time: at(secs),
        };
        let doc = fields(event);
        let prepared =
            self.engine
                .set()
                .prepare(tenant, at(secs), evidence, &doc, rules.iter().copied());
        let mut out = Vec::new();
        self.engine.observe(prepared, at(secs), &mut out);
        out
    }
}

const FAIL: &str = "00000000-0000-4000-8000-000000000001";
const SUCCESS: &str = "00000000-0000-4000-8000-000000000002";

const MANY_FAILS: &str = "
title: Many failed logins
id: 10000000-0000-4000-8000-000000000001
level: high
correlation:
  type: event_count
  rules: [fail]
  group-by: [user]
  timespan: 10m
  condition: {gte: 3}
";

#[test]
fn event_count_fires_once_per_episode_per_group() {
    let mut run = Run::new(loaded(MANY_FAILS));
    assert!(run.feed(0, &[FAIL], json!({"user": "ann"})).is_empty());
    assert!(run.feed(10, &[FAIL], json!({"user": "bob"})).is_empty());
    assert!(run.feed(20, &[FAIL], json!({"user": "ann"})).is_empty());
    let fired = run.feed(30, &[FAIL], json!({"user": "ann"}));
    assert_eq!(fired.len(), 1);
    let f = &fired[0];
    assert!(f.first);
    assert_eq!((f.value, f.window_start, f.time), (3.0, at(0), at(30)));
    assert_eq!(f.group, vec![("user".to_owned(), "ann".to_owned())]);
    assert_eq!(f.group_key(), "user=ann");
    assert_eq!(f.evidence.len(), 3);
    assert_eq!(f.correlation.level, vigil_model::Severity::High);
    // More failures in the same episode extend it.
    let more = run.feed(40, &[FAIL], json!({"user": "ann"}));
    assert_eq!(
        (more.len(), more[0].first, more[0].window_start),
        (1, false, at(0))
    );
    assert_eq!(more[0].evidence.len(), 1);
    // Without the group-by field, the event does not take part.
    assert!(run.feed(50, &[FAIL], json!({"other": 1})).is_empty());
    assert_eq!(run.engine.metrics().missing_group_field, 1);
    // A fresh burst after the episode is a new one.
    for s in [2000, 2010] {
        assert!(run.feed(s, &[FAIL], json!({"user": "ann"})).is_empty());
    }
    let again = run.feed(2020, &[FAIL], json!({"user": "ann"}));
    assert_eq!((again[0].first, again[0].window_start), (true, at(2000)));
    assert_eq!(run.engine.metrics().firings, 2);
}

#[test]
fn a_window_across_an_hour_boundary_fires() {
    let mut run = Run::new(loaded(MANY_FAILS));
    // 10:58:20, 10:59:40, 11:01:00 (epoch-aligned hours): one sliding window.
    let hour = 3600;
    assert_eq!(at(hour).timestamp() % 3600, 0, "an epoch-aligned hour");
    assert!(
        run.feed(hour - 100, &[FAIL], json!({"user": "ann"}))
            .is_empty()
    );
    assert!(
        run.feed(hour - 20, &[FAIL], json!({"user": "ann"}))
            .is_empty()
    );
    let fired = run.feed(hour + 60, &[FAIL], json!({"user": "ann"}));
    assert_eq!(fired.len(), 1);
    assert!(fired[0].window_start < at(hour) && fired[0].time > at(hour));
}

#[test]
fn the_window_is_one_timespan_inclusive() {
    let mut run = Run::new(loaded(MANY_FAILS));
    run.feed(0, &[FAIL], json!({"user": "ann"}));
    run.feed(300, &[FAIL], json!({"user": "ann"}));
    // 601 s after the first: the first is out of the window.
    assert!(run.feed(601, &[FAIL], json!({"user": "ann"})).is_empty());
    let mut run = Run::new(loaded(MANY_FAILS));
    run.feed(0, &[FAIL], json!({"user": "ann"}));
    run.feed(300, &[FAIL], json!({"user": "ann"}));
    assert_eq!(run.feed(600, &[FAIL], json!({"user": "ann"})).len(), 1);
}

#[test]
fn value_count_counts_distinct_values_and_tuples() {
    let set = loaded(
        "title: Spray\ncorrelation:\n  type: value_count\n  rules: [fail]\n  group-by: [src]\n  timespan: 1h\n  condition:\n    field: user\n    gte: 3\n",
    );
    let mut run = Run::new(set);
    for (s, user) in [(0, "a"), (1, "b"), (2, "a"), (3, "b")] {
        assert!(
            run.feed(s, &[FAIL], json!({"src": "10.0.0.1", "user": user}))
                .is_empty()
        );
    }
    let fired = run.feed(4, &[FAIL], json!({"src": "10.0.0.1", "user": "c"}));
    assert_eq!((fired.len(), fired[0].value), (1, 3.0));
    // Missing the counted field: not counted, and said so.
    run.feed(5, &[FAIL], json!({"src": "10.0.0.1"}));
    assert_eq!(run.engine.metrics().missing_value, 1);

    let tuples = loaded(
        "title: Pairs\ncorrelation:\n  type: value_count\n  rules: [fail]\n  group-by: []\n  timespan: 1h\n  condition:\n    field: [user, host]\n    gte: 3\n",
    );
    let mut run = Run::new(tuples);
    run.feed(0, &[FAIL], json!({"user": "a", "host": "x"}));
    run.feed(1, &[FAIL], json!({"user": "a", "host": "y"}));
    run.feed(2, &[FAIL], json!({"user": "a", "host": "y"}));
    assert_eq!(
        run.feed(3, &[FAIL], json!({"user": "b", "host": "x"}))
            .len(),
        1
    );
}

const RECON: &str = "title: Recon\nlevel: high\ncorrelation:\n  type: temporal\n  rules: [recon_a, recon_b, recon_c]\n  group-by: [host]\n  timespan: 5m\n";

fn recon_ids(set: &CorrelationSet) -> Vec<String> {
    set.correlations().next().unwrap().rules.clone()
}

#[test]
fn temporal_needs_every_rule_in_any_order_within_the_group() {
    let set = loaded(RECON);
    let ids = recon_ids(&set);
    let (a, b, c) = (ids[0].as_str(), ids[1].as_str(), ids[2].as_str());
    let mut run = Run::new(set);
    assert!(run.feed(0, &[c], json!({"host": "h1"})).is_empty());
    assert!(run.feed(10, &[a], json!({"host": "h1"})).is_empty());
    assert!(
        run.feed(20, &[b], json!({"host": "h2"})).is_empty(),
        "another host"
    );
    let fired = run.feed(30, &[b], json!({"host": "h1"}));
    assert_eq!((fired.len(), fired[0].value), (1, 3.0));
    // The same rule three times is one rule.
    let mut run = Run::new(loaded(RECON));
    for s in 0..3 {
        assert!(run.feed(s, &[a], json!({"host": "h1"})).is_empty());
    }
}

#[test]
fn temporal_ordered_needs_the_order_and_respects_the_group() {
    let text = RECON.replace("type: temporal", "type: temporal_ordered");
    let set = loaded(&text);
    let ids = recon_ids(&set);
    let (a, b, c) = (ids[0].as_str(), ids[1].as_str(), ids[2].as_str());
    let mut run = Run::new(Arc::clone(&set));
    run.feed(0, &[c], json!({"host": "h1"}));
    run.feed(10, &[b], json!({"host": "h1"}));
    assert!(
        run.feed(20, &[a], json!({"host": "h1"})).is_empty(),
        "c, b, a is out of order"
    );
    run.feed(30, &[b], json!({"host": "h1"}));
    let fired = run.feed(40, &[c], json!({"host": "h1"}));
    assert_eq!(fired.len(), 1, "a (20), b (30), c (40)");
    assert_eq!(fired[0].window_start, at(20), "where the sequence starts");

    // Out of order arrival within the allowed lateness: the order is the
    // events' time, not their arrival.
    let mut run = Run::new(set);
    run.feed(100, &[c], json!({"host": "h9"}));
    run.feed(80, &[b], json!({"host": "h9"}));
    let fired = run.feed(60, &[a], json!({"host": "h9"}));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].time, at(100));
}

#[test]
fn value_sum_and_value_avg() {
    let sum = loaded(
        "title: Exfil\ncorrelation:\n  type: value_sum\n  rules: [traffic]\n  group-by: [src]\n  timespan: 1h\n  condition:\n    field: bytes\n    gt: 1000\n",
    );
    let traffic = sum.correlations().next().unwrap().rules[0].clone();
    let mut run = Run::new(sum);
    assert!(
        run.feed(0, &[&traffic], json!({"src": "a", "bytes": 600}))
            .is_empty()
    );
    assert!(
        run.feed(1, &[&traffic], json!({"src": "a", "bytes": "not a number"}))
            .is_empty()
    );
    let fired = run.feed(2, &[&traffic], json!({"src": "a", "bytes": "500"}));
    assert_eq!((fired.len(), fired[0].value), (1, 1100.0));

    let avg = loaded(
        "title: Big\ncorrelation:\n  type: value_avg\n  rules: [traffic]\n  group-by: [src]\n  timespan: 1h\n  condition:\n    field: bytes\n    gt: 500\n",
    );
    let mut run = Run::new(avg);
    assert!(
        run.feed(0, &[&traffic], json!({"src": "a", "bytes": 100}))
            .is_empty()
    );
    assert!(
        run.feed(1, &[&traffic], json!({"src": "a", "bytes": 800}))
            .is_empty(),
        "avg 450"
    );
    assert_eq!(
        run.feed(2, &[&traffic], json!({"src": "a", "bytes": 900}))
            .len(),
        1,
        "avg 600"
    );
}

#[test]
fn value_percentile_finds_rare_values() {
    let set = loaded(
        "title: Rare process\ncorrelation:\n  type: value_percentile\n  rules: [traffic]\n  group-by: [host]\n  timespan: 24h\n  condition:\n    field: image\n    lte: 10\n",
    );
    let traffic = set.correlations().next().unwrap().rules[0].clone();
    let mut run = Run::new(set);
    for s in 0..19 {
        assert!(
            run.feed(s, &[&traffic], json!({"host": "h", "image": "svchost.exe"}))
                .is_empty()
        );
    }
    // 1 of 20 = 5%.
    let fired = run.feed(20, &[&traffic], json!({"host": "h", "image": "evil.exe"}));
    assert_eq!((fired.len(), fired[0].value), (1, 5.0));
}

#[test]
fn upper_bounds_and_ranges() {
    let set = loaded(
        "title: Some\ncorrelation:\n  type: event_count\n  rules: [fail]\n  group-by: [user]\n  timespan: 1h\n  condition: {gt: 1, lte: 2}\n",
    );
    let mut run = Run::new(set);
    assert!(run.feed(0, &[FAIL], json!({"user": "a"})).is_empty());
    assert_eq!(run.feed(1, &[FAIL], json!({"user": "a"})).len(), 1);
    let neq = loaded(
        "title: Neq\ncorrelation:\n  type: event_count\n  rules: [fail]\n  group-by: [user]\n  timespan: 1h\n  condition: {neq: 1}\n",
    );
    let mut run = Run::new(neq);
    assert!(run.feed(0, &[FAIL], json!({"user": "a"})).is_empty());
    assert_eq!(run.feed(1, &[FAIL], json!({"user": "a"})).len(), 1);
}

#[test]
fn late_events_are_dropped_and_counted() {
    let mut run = Run::with(
        loaded(MANY_FAILS),
        EngineConfig {
            allowed_lateness: Duration::seconds(60),
            ..EngineConfig::default()
        },
    );
    run.feed(1000, &[FAIL], json!({"user": "a"}));
    run.feed(950, &[FAIL], json!({"user": "a"}));
    assert_eq!(run.feed(939, &[FAIL], json!({"user": "a"})).len(), 0);
    assert_eq!(run.engine.metrics().late_dropped, 1);
    // Another tenant has its own watermark.
    assert!(
        run.feed_as("globex", 10, &[FAIL], json!({"user": "a"}))
            .is_empty()
    );
    assert_eq!(run.engine.metrics().late_dropped, 1);
    // An event from the far future does not move the watermark past now.
    let mut run = Run::new(loaded(MANY_FAILS));
    let evidence = Evidence {
        event: EventId(uuid::Uuid::from_u128(99)),
        fingerprint: 99,
        time: at(1_000_000),
    };
    let doc = fields(json!({"user": "a"}));
    let p = run
        .engine
        .set()
        .prepare("acme", at(1_000_000), evidence, &doc, [FAIL]);
    run.engine.observe(p, at(0), &mut Vec::new());
    run.feed(10, &[FAIL], json!({"user": "a"}));
    assert_eq!(run.engine.metrics().late_dropped, 0);
}

#[test]
fn replayed_content_is_not_counted_twice() {
    let set = loaded(MANY_FAILS);
    let mut engine = CorrelationEngine::new(Arc::clone(&set), EngineConfig::default());
    let doc = fields(json!({"user": "a"}));
    let mut out = Vec::new();
    for replay in 0..3u128 {
        // Same content (fingerprint 7), new event id each time.
        let evidence = Evidence {
            event: EventId(uuid::Uuid::from_u128(100 + replay)),
            fingerprint: 7,
            time: at(0),
        };
        let p = set.prepare("acme", at(0), evidence, &doc, [FAIL]);
        engine.observe(p, at(0), &mut out);
    }
    assert!(out.is_empty());
    assert_eq!(engine.metrics().duplicates, 2);
}

#[test]
fn caps_evict_least_recent_groups_and_oldest_entries() {
    let mut run = Run::with(
        loaded(MANY_FAILS),
        EngineConfig {
            max_groups: 2,
            max_entries_per_group: 2,
            ..EngineConfig::default()
        },
    );
    run.feed(0, &[FAIL], json!({"user": "a"}));
    run.feed(1, &[FAIL], json!({"user": "b"}));
    run.feed(2, &[FAIL], json!({"user": "a"}));
    run.feed(3, &[FAIL], json!({"user": "c"}));
    assert_eq!(run.engine.group_count(), 2);
    assert_eq!(
        run.engine.metrics().groups_evicted,
        1,
        "b was least recently fed"
    );
    run.feed(4, &[FAIL], json!({"user": "a"}));
    assert_eq!(run.engine.metrics().entries_evicted, 1);
    assert_eq!(run.engine.entry_count(), 3);
}

#[test]
fn expired_groups_are_dropped() {
    let mut run = Run::new(loaded(MANY_FAILS));
    run.feed(0, &[FAIL], json!({"user": "a"}));
    run.feed(1, &[FAIL], json!({"user": "b"}));
    run.feed(5000, &[FAIL], json!({"user": "c"}));
    assert_eq!(run.engine.group_count(), 1);
    assert_eq!(run.engine.metrics().groups_expired, 2);
    assert_eq!(run.engine.expire(), 0);
}

/// The specification's example: many failures, then a success.
const BRUTE_FORCE: &str = "
title: Many failures then a success
id: 20000000-0000-4000-8000-000000000001
level: critical
correlation:
  type: temporal_ordered
  rules: [many_failed, success]
  group-by: [user]
  timespan: 10m
---
title: Many failed logins
id: 20000000-0000-4000-8000-000000000002
name: many_failed
correlation:
  type: event_count
  rules: [fail]
  group-by: [user, host]
  timespan: 10m
  condition: {gte: 3}
";

#[test]
fn chained_correlations_fire_through_the_chain_and_only_the_outer_alerts() {
    let set = loaded(BRUTE_FORCE);
    assert!(!set.generates(FAIL) && !set.generates(SUCCESS));
    let metas: Vec<_> = set.correlations().cloned().collect();
    assert_eq!(metas[0].title, "Many failed logins", "inner first");
    assert!(!metas[0].raises_alerts && metas[1].raises_alerts);
    let mut run = Run::new(set);
    assert!(
        run.feed(0, &[SUCCESS], json!({"user": "ann"})).is_empty(),
        "success before failures"
    );
    for s in [10, 20, 30] {
        assert!(
            run.feed(s, &[FAIL], json!({"user": "ann", "host": "vpn"}))
                .is_empty()
        );
    }
    assert!(
        run.feed(40, &[SUCCESS], json!({"user": "bob"})).is_empty(),
        "another user"
    );
    let fired = run.feed(50, &[SUCCESS], json!({"user": "ann"}));
    assert_eq!(fired.len(), 1);
    let f = &fired[0];
    assert_eq!(f.correlation.title, "Many failures then a success");
    assert_eq!(f.window_start, at(30), "the inner firing's time");
    assert_eq!(f.evidence.len(), 4, "three failures and the success");
}

#[test]
fn generate_true_keeps_the_referred_rules_alerting() {
    let set = loaded(
        "title: c\ngenerate: true\ncorrelation:\n  type: event_count\n  rules: [fail]\n  group-by: [user]\n  timespan: 1h\n  condition: {gte: 2}\n---\ntitle: d\ncorrelation:\n  type: event_count\n  rules: [success]\n  group-by: [user]\n  timespan: 1h\n  condition: {gte: 2}\n",
    );
    assert!(set.generates(FAIL));
    assert!(!set.generates(SUCCESS));
    assert!(
        set.generates("00000000-0000-4000-8000-00000000ffff"),
        "not referred to"
    );
}

#[test]
fn aliases_join_different_fields() {
    let set = loaded(
        "title: Error then connection\ncorrelation:\n  type: temporal\n  rules: [fail, success]\n  group-by: [ip]\n  timespan: 10s\n  aliases:\n    ip:\n      fail: destination.ip\n      success: source.ip\n",
    );
    let mut run = Run::new(set);
    run.feed(
        0,
        &[FAIL],
        json!({"destination": {"ip": "10.0.0.5"}, "source": {"ip": "1.1.1.1"}}),
    );
    let fired = run.feed(5, &[SUCCESS], json!({"source": {"ip": "10.0.0.5"}}));
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].group_key(), "ip=10.0.0.5");
}

#[test]
fn unknown_and_bad_references_are_precise() {
    let (set, outcomes) = compile(
        "title: Bad\ncorrelation:\n  type: event_count\n  rules: [fail, nobody]\n  group-by: [user]\n  timespan: 1h\n  condition: {gte: 2}\n---\ntitle: Chain on bad\ncorrelation:\n  type: event_count\n  rules: [6e000000-0000-4000-8000-000000000000]\n  group-by: [user]\n  timespan: 1h\n  condition: {gte: 2}\n",
    );
    assert!(set.is_empty());
    let e = outcomes[0].result.clone().unwrap_err().to_string();
    assert!(e.contains("`nobody`, which is unknown"), "{e}");
    let (_, outcomes) = compile(
        "title: Loop A\nid: a0000000-0000-4000-8000-000000000000\nname: loop_a\ncorrelation:\n  type: event_count\n  rules: [loop_b]\n  group-by: [user]\n  timespan: 1h\n  condition: {gte: 2}\n---\ntitle: Loop B\nname: loop_b\ncorrelation:\n  type: event_count\n  rules: [loop_a]\n  group-by: [user]\n  timespan: 1h\n  condition: {gte: 2}\n",
    );
    for o in &outcomes {
        let e = o.result.clone().unwrap_err().to_string();
        assert!(e.contains("cycle"), "{e}");
    }
    let (_, outcomes) = compile(
        "title: Outer\ncorrelation:\n  type: temporal\n  rules: [inner, success]\n  group-by: [host]\n  timespan: 1h\n---\ntitle: Inner\nname: inner\ncorrelation:\n  type: event_count\n  rules: [fail]\n  group-by: [user]\n  timespan: 1h\n  condition: {gte: 2}\n",
    );
    let e = outcomes[0].result.clone().unwrap_err().to_string();
    assert!(
        e.contains("carry only its group-by values (user), not `host`"),
        "{e}"
    );
    assert!(outcomes[1].result.is_ok());
    let (_, outcomes) = compile(
        "title: Dup\nid: 00000000-0000-4000-8000-000000000001\ncorrelation:\n  type: temporal\n  rules: [fail, success]\n  timespan: 1h\n",
    );
    assert!(
        outcomes[0]
            .result
            .clone()
            .unwrap_err()
            .to_string()
            .contains("duplicate rule id")
    );
}

#[test]
fn snapshot_and_restore_continue_where_it_left_off() {
    let set = loaded(BRUTE_FORCE);
    let mut run = Run::new(Arc::clone(&set));
    for s in [10, 20, 30] {
        run.feed(s, &[FAIL], json!({"user": "ann", "host": "vpn"}));
    }
    let bytes = run.engine.snapshot().to_bytes();
    let snapshot = Snapshot::from_bytes(&bytes).unwrap();
    assert_eq!(
        snapshot.group_count(),
        2,
        "the inner group and the outer one"
    );
    let (engine, report) =
        CorrelationEngine::restore(Arc::clone(&set), EngineConfig::default(), snapshot);
    assert_eq!(report.groups, 2);
    let mut restarted = Run { engine, next: 100 };
    let fired = restarted.feed(50, &[SUCCESS], json!({"user": "ann"}));
    assert_eq!(fired.len(), 1);
    assert_eq!(restarted.engine.metrics().firings, 2, "counters carry over");

    // A changed definition is not restored into.
    let changed = loaded(&BRUTE_FORCE.replace("gte: 3", "gte: 4"));
    let snapshot = Snapshot::from_bytes(&bytes).unwrap();
    let (_, report) = CorrelationEngine::restore(changed, EngineConfig::default(), snapshot);
    // The inner correlation changed; the outer one (fed by the inner's
    // firings) did not.
    assert_eq!((report.groups, report.dropped_changed), (1, 1));
    assert!(Snapshot::from_bytes(b"{}").is_err());
    assert!(Snapshot::from_bytes(&bytes[..bytes.len() / 2]).is_err());
}

#[test]
fn prepare_detections_reads_an_event_at_its_own_time_only_when_it_feeds() {
    let text = format!(
        "{RULES}---\ntitle: Bursts\ncorrelation: {{type: event_count, rules: [fail], group-by: [user], timespan: 5m, condition: {{gte: 2}}}}\n"
    );
    let report = RuleSet::load_sources([("t.yml".to_owned(), text)], &LoadOptions::default());
    let (set, _) = CorrelationSet::compile(&report);
    let event = |v: Value| vigil_model::Event {
        id: EventId(uuid::Uuid::from_u128(7)),
        tenant: vigil_model::TenantId::new("acme").unwrap_or_else(|e| panic!("{e}")),
        site: None,
        observed_at: at(10),
        received_at: at(99),
        source: vigil_model::SourceRef {
            id: vigil_model::SourceId::new("s").unwrap_or_else(|e| panic!("{e}")),
            kind: vigil_model::SourceKind::Http,
            product: "test".into(),
            device: None,
        },
        class: vigil_model::EventClass::Other,
        severity: vigil_model::Severity::Info,
        entities: Vec::new(),
        fields: fields(v),
    };
    let detect = |e: &vigil_model::Event| {
        let mut out = Vec::new();
        vigil_detect::Detector::detect(&report.ruleset, e, &mut out);
        out
    };
    let failed = event(json!({"action": "fail", "user": "jdoe"}));
    let prepared = set
        .prepare_detections(&failed, 42, &detect(&failed))
        .unwrap_or_else(|| panic!("a failure feeds the burst"));
    assert_eq!(
        (prepared.time(), prepared.evidence().time),
        (at(10), at(10))
    );
    assert_eq!(prepared.evidence().fingerprint, 42);
    let recon = event(json!({"cmd": "a", "user": "jdoe"}));
    assert_eq!(recon.observed_at, at(10));
    assert!(set.prepare_detections(&recon, 1, &detect(&recon)).is_none());
}
