//! The correlation stage through `Pipeline::ingest` and a real store:
//! silent base rules, correlation alerts with their evidence, replays, and
//! state that survives a restart through the store.

use std::sync::Arc;

use vigil_correlate::{CorrelationSet, EngineConfig};
use vigil_detect::{LoadOptions, RuleSet};
use vigil_ingest::{CorrelationStage, LoggedBatch, Payload, Pipeline, PipelineConfig};
use vigil_model::{ManualClock, SourceBinding, SourceId, SourceKind, Tenant, TenantId};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{AlertQuery, CorrelationStateStore, LocalBus, Store, TenantScope};

const RULES: &str = r#"
title: Door access denied
id: 31111111-0000-4000-8000-000000000001
name: access_denied
level: low
logsource: {product: vigil, category: physical_access}
detection:
  selection: {action: access_denied}
  condition: selection
---
title: Door forced open
id: 31111111-0000-4000-8000-000000000002
name: door_forced
level: high
logsource: {product: vigil, category: physical_access}
detection:
  selection: {action: door_forced_open}
  condition: selection
---
title: Badge probing then a forced door
id: 31111111-0000-4000-8000-00000000000c
level: critical
correlation:
  type: temporal_ordered
  rules: [denied_burst, door_forced]
  group-by: [door]
  timespan: 10m
---
title: Burst of denied badges at one door
id: 31111111-0000-4000-8000-00000000000b
name: denied_burst
correlation:
  type: event_count
  rules: [access_denied]
  group-by: [door]
  timespan: 5m
  condition: {gte: 3}
"#;

fn line(time: &str, action: &str, badge: &str) -> String {
    format!(
        r#"{{"time":"2026-11-26T{time}Z","class":"physical_access","action":"{action}","door":"dh1-east","badge":"{badge}"}}"#
    )
}

fn payload(lines: &[String]) -> Payload {
    Payload::Ndjson {
        body: lines.join("\n").into_bytes(),
        first_line: 1,
        origin: None,
    }
}

struct Node {
    store: Arc<SqliteStore>,
    pipeline: Pipeline,
    stage: Arc<CorrelationStage>,
}

async fn start(path: &std::path::Path) -> Node {
    let store = Arc::new(SqliteStore::open(path, SqliteOptions::default()).unwrap());
    store
        .upsert_tenant(&Tenant {
            id: TenantId::new("acme").unwrap(),
            name: "Acme".into(),
        })
        .await
        .unwrap();
    let report = RuleSet::load_sources([("r.yml".into(), RULES.into())], &LoadOptions::default());
    assert!(report.rejected().next().is_none(), "{:?}", report.outcomes);
    let (set, outcomes) = CorrelationSet::compile(&report);
    assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
    let clock = Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
    ));
    let pipeline = Pipeline::new(
        store.clone(),
        Arc::new(LocalBus::new(16)),
        clock,
        Arc::new(report.ruleset),
        PipelineConfig::default(),
    );
    let stage = Arc::new(CorrelationStage::new(
        Arc::new(set),
        EngineConfig::default(),
    ));
    pipeline.set_correlations(Some(stage.clone()));
    Node {
        store,
        pipeline,
        stage,
    }
}

fn binding() -> SourceBinding {
    SourceBinding {
        id: SourceId::new("acme-access").unwrap(),
        tenant: TenantId::new("acme").unwrap(),
        site: None,
        kind: SourceKind::Http,
        product: "access".into(),
    }
}

async fn alerts(store: &SqliteStore) -> Vec<vigil_model::Alert> {
    store
        .alerts(&AlertQuery::all_in(TenantScope::All, 100))
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn a_chain_across_batches_and_a_restart_raises_one_alert() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.db");
    let b = binding();
    let denied: Vec<String> = ["10:00:00", "10:01:00", "10:02:00"]
        .iter()
        .enumerate()
        .map(|(i, t)| line(t, "access_denied", &format!("badge-{i}")))
        .collect();
    {
        let node = start(&path).await;
        // Two batches: the burst straddles them.
        node.pipeline
            .ingest(&b, payload(&denied[..2]))
            .await
            .unwrap();
        let out = node
            .pipeline
            .ingest(&b, payload(&denied[2..]))
            .await
            .unwrap();
        assert_eq!(
            out.alerts_created, 0,
            "the base rule is silent, the burst alone raises nothing"
        );
        assert!(alerts(&node.store).await.is_empty());
        node.stage
            .save(
                node.store.as_ref() as &dyn CorrelationStateStore,
                node.pipeline.clock().now(),
            )
            .await
            .unwrap();
        let metrics = node.pipeline.metrics().encode();
        assert!(
            metrics.contains("vigil_correlation_firings_total 1"),
            "{metrics}"
        );
        assert!(metrics.contains("vigil_correlation_groups 2"), "{metrics}");
    }
    // A restart: a new pipeline, state from the store.
    let node = start(&path).await;
    let report = node
        .stage
        .load(node.store.as_ref() as &dyn CorrelationStateStore)
        .await
        .unwrap()
        .expect("state was saved");
    assert_eq!(report.groups, 2);
    let forced = vec![line("10:04:00", "door_forced_open", "-")];
    let out = node.pipeline.ingest(&b, payload(&forced)).await.unwrap();
    // `door_forced` is referred to by the outer correlation without
    // `generate: true`, so only the correlation raises an alert.
    assert_eq!(out.alerts_created, 1);
    let raised = alerts(&node.store).await;
    assert_eq!(raised.len(), 1);
    let alert = &raised[0];
    assert_eq!(alert.rule_title, "Badge probing then a forced door");
    assert_eq!(alert.severity, vigil_model::Severity::Critical);
    assert_eq!(alert.group_key, "door=dh1-east");
    assert_eq!(
        alert.event_count, 4,
        "three denied badges and the forced door"
    );

    // Replaying the forced door changes nothing.
    let again = node.pipeline.ingest(&b, payload(&forced)).await.unwrap();
    assert_eq!((again.alerts_created, again.alerts_updated), (0, 0));
    let raised = alerts(&node.store).await;
    assert_eq!((raised.len(), raised[0].event_count), (1, 4));
}

#[tokio::test]
async fn without_a_stage_every_detection_raises_its_own_alert() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(&dir.path().join("vigil.db")).await;
    node.pipeline.set_correlations(None);
    let lines = vec![line("10:00:00", "access_denied", "b1")];
    let out = node
        .pipeline
        .ingest(&binding(), payload(&lines))
        .await
        .unwrap();
    assert_eq!(out.alerts_created, 1);
}

/// A batch as the ingest log delivers it, with a fixed id.
fn logged(id: u128, lines: &[String]) -> LoggedBatch {
    LoggedBatch {
        id,
        binding: binding(),
        received_at: chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
        payload: payload(lines),
    }
}

#[tokio::test]
async fn a_partitions_stage_hands_its_state_to_the_next_holder_and_redelivery_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.db");
    let denied: Vec<String> = ["10:00:00", "10:01:00", "10:02:00"]
        .iter()
        .enumerate()
        .map(|(i, t)| line(t, "access_denied", &format!("badge-{i}")))
        .collect();
    {
        // The first holder of partition 3 applies the burst with the
        // partition's own stage and saves it under the partition's name.
        let node = start(&path).await;
        let stage = Arc::new(node.stage.fresh());
        let out = node
            .pipeline
            .apply(logged(1, &denied), Some(stage.clone()))
            .await
            .unwrap();
        assert_eq!(out.accepted, 3);
        let states = node.store.as_ref() as &dyn CorrelationStateStore;
        stage
            .save_as(states, "ingest-p3", node.pipeline.clock().now())
            .await
            .unwrap();
    }
    // The next holder restores it; the node-wide state was never written.
    let node = start(&path).await;
    let states = node.store.as_ref() as &dyn CorrelationStateStore;
    assert!(node.stage.load(states).await.unwrap().is_none());
    let stage = Arc::new(node.stage.fresh());
    let report = stage
        .load_from(states, "ingest-p3")
        .await
        .unwrap()
        .expect("the partition's state");
    assert_eq!(report.groups, 2);
    let forced = vec![line("10:04:00", "door_forced_open", "-")];
    let out = node
        .pipeline
        .apply(logged(2, &forced), Some(stage.clone()))
        .await
        .unwrap();
    assert_eq!(out.alerts_created, 1, "the chain spans the two holders");
    let raised = alerts(&node.store).await;
    assert_eq!((raised.len(), raised[0].event_count), (1, 4));

    // The first batch delivered again: the same event ids, nothing added.
    node.pipeline
        .apply(logged(1, &denied), Some(stage.clone()))
        .await
        .unwrap();
    let events = node
        .store
        .events(&vigil_store::EventQuery {
            scope: TenantScope::All,
            from: None,
            to: None,
            fields: Vec::new(),
            cursor: None,
            limit: 100,
        })
        .await
        .unwrap()
        .items;
    assert_eq!(
        events.len(),
        4,
        "three denied badges and the forced door, once each"
    );
    let raised = alerts(&node.store).await;
    assert_eq!((raised.len(), raised[0].event_count), (1, 4));
}
