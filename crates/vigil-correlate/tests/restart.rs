//! A restart changes nothing: random event streams, a snapshot at a
//! random point (through bytes), a restore, and the rest of the stream
//! give the same firings as one uninterrupted run.

use std::sync::Arc;

use proptest::prelude::*;
use serde_json::json;
use vigil_correlate::{
    CorrelationEngine, CorrelationSet, EngineConfig, Evidence, Firing, Snapshot,
};
use vigil_detect::{LoadOptions, RuleSet};
use vigil_model::{EventId, Fields};

const RULES: &str = "
title: A
id: 00000000-0000-4000-8000-00000000000a
name: a
logsource: {product: test}
detection: {s: {k: a}, condition: s}
---
title: B
id: 00000000-0000-4000-8000-00000000000b
name: b
logsource: {product: test}
detection: {s: {k: b}, condition: s}
---
title: Count
name: count_a
correlation: {type: event_count, rules: [a], group-by: [g], timespan: 60s, condition: {gte: 3}}
---
title: Values
correlation: {type: value_count, rules: [a, b], group-by: [g], timespan: 90s, condition: {field: v, gte: 2}}
---
title: Ordered
correlation: {type: temporal_ordered, rules: [count_a, b], group-by: [g], timespan: 120s}
---
title: Any order
generate: true
correlation: {type: temporal, rules: [a, b], group-by: [g], timespan: 30s}
---
title: Sum
correlation: {type: value_sum, rules: [b], group-by: [g], timespan: 60s, condition: {field: n, gt: 10}}
---
title: Average
correlation: {type: value_avg, rules: [a], group-by: [], timespan: 45s, condition: {field: n, gte: 4}}
---
title: Share
correlation: {type: value_percentile, rules: [b], group-by: [g], timespan: 100s, condition: {field: v, lte: 40}}
";

fn set() -> Arc<CorrelationSet> {
    let report = RuleSet::load_sources(
        [("r.yml".to_owned(), RULES.to_owned())],
        &LoadOptions::default(),
    );
    assert!(report.rejected().next().is_none(), "{:?}", report.outcomes);
    let (set, outcomes) = CorrelationSet::compile(&report);
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    Arc::new(set)
}

/// One generated event: (seconds, which rules, group, value, number, tenant).
type Step = (i64, u8, u8, u8, u8, bool);

fn feed(
    engine: &mut CorrelationEngine,
    set: &CorrelationSet,
    n: usize,
    step: Step,
    out: &mut Vec<Firing>,
) {
    let (secs, rules, g, v, num, other_tenant) = step;
    let base = chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap_or_default();
    let time = base + chrono::Duration::seconds(secs);
    let ids: Vec<&str> = [
        (rules & 1 != 0).then_some("00000000-0000-4000-8000-00000000000a"),
        (rules & 2 != 0).then_some("00000000-0000-4000-8000-00000000000b"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut doc = Fields::new();
    doc.insert("g".into(), json!(format!("g{g}")));
    doc.insert("v".into(), json!(format!("v{v}")));
    doc.insert("n".into(), json!(num));
    let evidence = Evidence {
        event: EventId(uuid::Uuid::from_u128(n as u128 + 1)),
        // Some content repeats, as replays do.
        fingerprint: (n % 37) as u64,
        time,
    };
    let tenant = if other_tenant { "globex" } else { "acme" };
    let prepared = set.prepare(tenant, time, evidence, &doc, ids);
    engine.observe(prepared, time, out);
}

fn small_config() -> EngineConfig {
    EngineConfig {
        allowed_lateness: chrono::Duration::seconds(20),
        max_groups: 7,
        max_entries_per_group: 6,
        max_evidence: 4,
        ..EngineConfig::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_restart_gives_the_same_firings(
        jitter in prop::collection::vec((-25i64..30, 0u8..4, 0u8..4, 0u8..3, 0u8..9, prop::bool::weighted(0.2)), 1..120),
        cut in 0usize..120,
    ) {
        let set = set();
        // Mostly forward in time, with some events out of order or late.
        let mut clock = 0i64;
        let steps: Vec<Step> = jitter
            .into_iter()
            .map(|(dt, r, g, v, n, t)| {
                clock += dt.max(0);
                (clock + dt.min(0), r, g, v, n, t)
            })
            .collect();
        let cut = cut.min(steps.len());

        let mut straight = CorrelationEngine::new(Arc::clone(&set), small_config());
        let mut expected = Vec::new();
        for (n, step) in steps.iter().enumerate() {
            feed(&mut straight, &set, n, *step, &mut expected);
        }

        let mut first = CorrelationEngine::new(Arc::clone(&set), small_config());
        let mut got = Vec::new();
        for (n, step) in steps.iter().enumerate().take(cut) {
            feed(&mut first, &set, n, *step, &mut got);
        }
        let bytes = first.snapshot().to_bytes();
        drop(first);
        let snapshot = Snapshot::from_bytes(&bytes).expect("readable");
        let (mut second, report) = CorrelationEngine::restore(Arc::clone(&set), small_config(), snapshot);
        prop_assert_eq!(report.dropped_changed + report.dropped_unknown, 0);
        for (n, step) in steps.iter().enumerate().skip(cut) {
            feed(&mut second, &set, n, *step, &mut got);
        }
        prop_assert_eq!(&got, &expected);
        prop_assert_eq!(second.metrics(), straight.metrics());
        prop_assert!(second.group_count() <= 7);
    }
}
