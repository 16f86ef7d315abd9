//! The JetStream ingest log with a real pipeline and store: a batch
//! delivered twice adds one event and one alert; a log that cannot take a
//! batch refuses it; a stopped node's partitions are taken over.
//!
//! Runs when `VIGIL_TEST_NATS_URL` names a NATS server with JetStream;
//! without it the tests say they are skipped, and fail under `CI=true`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_detect::{LoadOptions, RuleSet};
use vigil_ingest::{IngestError, LoggedBatch, Payload, Pipeline, PipelineConfig};
use vigil_model::{SourceBinding, SourceId, SourceKind, SystemClock, Tenant, TenantId};
use vigil_nats::consumer::{self, ConsumerSettings, WorkerContext, Workers};
use vigil_nats::{ConnectSettings, JetStreamLog, LogMetrics, LogSettings, connect};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{AlertQuery, EventQuery, LocalBus, Store, TenantScope};

const RULE: &str = r#"
title: Camera tamper
id: 31111111-2222-3333-4444-555555555555
level: critical
logsource:
  product: vigil
  category: video_analytics
detection:
  selection:
    action: tamper
  condition: selection
"#;

/// A camera tamper event `camera` saw an hour ago, with `note` as padding.
fn line(camera: &str, note: &str) -> String {
    let time = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    serde_json::json!({
        "time": time,
        "class": "video_analytics",
        "camera": camera,
        "action": "tamper",
        "note": note,
    })
    .to_string()
}

fn nats_url() -> Option<String> {
    match std::env::var("VIGIL_TEST_NATS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("VIGIL_TEST_NATS_URL is not set but CI=true: the NATS tests must run")
        }
        _ => {
            println!("skipped: VIGIL_TEST_NATS_URL is not set");
            None
        }
    }
}

/// A deployment of its own on the shared server, its stream deleted when
/// the test ends, passed or not.
struct Deployment {
    client: async_nats::Client,
    url: String,
    name: String,
}

impl Deployment {
    async fn new(url: &str) -> Deployment {
        let client = connect(url, "test", &ConnectSettings::default())
            .await
            .expect("connect to NATS");
        let name = format!("t{}", uuid::Uuid::now_v7().simple());
        Deployment {
            client,
            url: url.to_owned(),
            name,
        }
    }

    async fn log(&self) -> JetStreamLog {
        let settings = LogSettings {
            name: self.name.clone(),
            partitions: 2,
            ..LogSettings::default()
        };
        JetStreamLog::open(self.client.clone(), &settings)
            .await
            .expect("open the log")
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // The test's runtime is blocked here, and with it the test's
        // client: a runtime and a connection of its own delete the stream.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(client) = connect(&url, "cleanup", &ConnectSettings::default()).await {
                    let _ = JetStreamLog::delete(client, &name).await;
                }
            });
        })
        .join();
    }
}

fn binding() -> SourceBinding {
    SourceBinding {
        id: SourceId::new("acme-video").unwrap(),
        tenant: TenantId::new("acme").unwrap(),
        site: None,
        kind: SourceKind::Http,
        product: "video".into(),
    }
}

async fn store() -> Arc<SqliteStore> {
    let store = Arc::new(SqliteStore::open_temporary(SqliteOptions::default()).unwrap());
    store
        .upsert_tenant(&Tenant {
            id: TenantId::new("acme").unwrap(),
            name: "Acme".into(),
        })
        .await
        .unwrap();
    store
}

fn pipeline(store: &Arc<SqliteStore>) -> Pipeline {
    let rules = RuleSet::load_sources([("t".into(), RULE.into())], &LoadOptions::default());
    Pipeline::new(
        store.clone(),
        Arc::new(LocalBus::new(16)),
        Arc::new(SystemClock),
        Arc::new(rules.ruleset),
        PipelineConfig::default(),
    )
}

async fn workers(
    log: &JetStreamLog,
    pipeline: &Pipeline,
    store: &Arc<SqliteStore>,
    node: &str,
) -> (Workers, LogMetrics) {
    let metrics = LogMetrics::default();
    pipeline.metrics().with_registry(|r| metrics.register(r));
    let context = WorkerContext {
        pipeline: pipeline.clone(),
        leases: store.clone(),
        states: store.clone(),
        correlations: None,
        node: node.into(),
    };
    let settings = ConsumerSettings {
        lease_ttl: Duration::from_secs(2),
        fetch_wait: Duration::from_millis(200),
        ..ConsumerSettings::default()
    };
    let w = consumer::start(log, context, settings, metrics.clone())
        .await
        .expect("start consumers");
    (w, metrics)
}

/// Waits (generously: a loaded 2-core machine applied 16,000 of 34,000
/// alerting events in 30 s) until `metrics` text of `pipeline` contains
/// `needle`.
async fn metric(pipeline: &Pipeline, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let text = pipeline.metrics().encode();
        if text.contains(needle) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "`{needle}` not within 300 s:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn counts(store: &Arc<SqliteStore>) -> (usize, usize, u64) {
    let events = store
        .events(&EventQuery {
            scope: TenantScope::All,
            from: None,
            to: None,
            fields: Vec::new(),
            cursor: None,
            limit: 100,
        })
        .await
        .unwrap()
        .items
        .len();
    let alerts = store
        .alerts(&AlertQuery::all_in(TenantScope::All, 10))
        .await
        .unwrap()
        .items;
    let evidence = alerts.first().map_or(0, |a| a.event_count);
    (events, alerts.len(), evidence)
}

#[tokio::test]
async fn a_batch_delivered_twice_adds_one_event_and_one_alert() {
    let Some(url) = nats_url() else { return };
    let deployment = Deployment::new(&url).await;
    let log = deployment.log().await;
    let store = store().await;
    let pipeline = pipeline(&store);
    let batch = LoggedBatch {
        id: rand_id(),
        binding: binding(),
        received_at: chrono::Utc::now(),
        payload: Payload::Ndjson {
            body: format!("{}\n", line("cam-7", "")).into_bytes(),
            first_line: 1,
            origin: None,
        },
    };
    log.append_batch(batch.clone()).await.expect("append");
    // The same batch again, as JetStream redelivers it (no message id, so
    // the stream's duplicate window does not drop it: the pipeline must).
    let subject = vigil_nats::subject_of(&deployment.name, &batch.binding.tenant, 2);
    let js = async_nats::jetstream::new(deployment.client.clone());
    js.publish(subject, vigil_nats::encode(&batch).into())
        .await
        .unwrap()
        .await
        .expect("second copy stored");

    let (w, _) = workers(&log, &pipeline, &store, "n1").await;
    let p = vigil_nats::partition_of(&batch.binding.tenant, 2);
    metric(
        &pipeline,
        &format!("vigil_ingest_log_applied_total{{partition=\"{p}\"}} 2"),
    )
    .await;
    assert_eq!(
        counts(&store).await,
        (1, 1, 1),
        "(events, alerts, evidence)"
    );
    w.stop().await;
}

#[tokio::test]
async fn a_log_that_cannot_take_the_batch_refuses_it() {
    let Some(url) = nats_url() else { return };
    let deployment = Deployment::new(&url).await;
    let log = deployment.log().await;
    let store = store().await;
    let pipeline = pipeline(&store);
    pipeline.set_log(Some(Arc::new(log)));
    let ok = pipeline
        .ingest(&binding(), Payload::Records(Vec::new()))
        .await
        .expect("taken while the stream is there");
    assert!(ok.logged);
    // The stream gone, JetStream cannot take the batch: the source must
    // hear a refusal, never an acknowledgement.
    JetStreamLog::delete(deployment.client.clone(), &deployment.name)
        .await
        .unwrap();
    let started = Instant::now();
    let err = pipeline
        .ingest(&binding(), Payload::Records(Vec::new()))
        .await
        .expect_err("refused");
    assert!(matches!(err, IngestError::Log(_)), "{err}");
    assert!(err.to_string().contains("send again"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[tokio::test]
async fn a_stopped_nodes_partitions_are_taken_over_and_its_batches_applied() {
    let Some(url) = nats_url() else { return };
    let deployment = Deployment::new(&url).await;
    let log = deployment.log().await;
    let store = store().await;
    let (p1, p2) = (pipeline(&store), pipeline(&store));
    let (w1, _) = workers(&log, &p1, &store, "n1").await;
    metric(
        &p1,
        r#"vigil_ingest_log_partition_held{partition="0",node="n1"} 1"#,
    )
    .await;
    metric(
        &p1,
        r#"vigil_ingest_log_partition_held{partition="1",node="n1"} 1"#,
    )
    .await;
    let (w2, _) = workers(&log, &p2, &store, "n2").await;
    w1.stop().await;
    p2.set_log(Some(Arc::new(log.clone())));
    p2.ingest(
        &binding(),
        Payload::Ndjson {
            body: format!("{}\n", line("cam-7", "")).into_bytes(),
            first_line: 1,
            origin: None,
        },
    )
    .await
    .expect("logged");
    let p = vigil_nats::partition_of(&binding().tenant, 2);
    metric(
        &p2,
        &format!("vigil_ingest_log_partition_held{{partition=\"{p}\",node=\"n2\"}} 1"),
    )
    .await;
    metric(
        &p2,
        &format!("vigil_ingest_log_applied_total{{partition=\"{p}\"}} 1"),
    )
    .await;
    assert_eq!(counts(&store).await, (1, 1, 1));
    w2.stop().await;
}

fn rand_id() -> u128 {
    uuid::Uuid::now_v7().as_u128()
}

#[tokio::test]
async fn a_body_larger_than_a_nats_message_is_logged_in_parts_and_every_line_applied() {
    let Some(url) = nats_url() else { return };
    let deployment = Deployment::new(&url).await;
    let log = deployment.log().await;
    let store = store().await;
    let pipeline = pipeline(&store);
    // Larger than the server's largest message (1 MB unless configured).
    let max = deployment.client.server_info().max_payload;
    // Long lines (2 KB of note each), so that three messages' worth is a
    // few thousand events, not tens of thousands: the test is about the
    // parts, and each line raises an alert.
    let note = "x".repeat(2048);
    let lines = max * 3 / line("cam-0", &note).len() + 1;
    let body: String = (0..lines)
        .map(|i| line(&format!("cam-{i}"), &note) + "\n")
        .collect();
    assert!(body.len() > 2 * max);
    let (w, _) = workers(&log, &pipeline, &store, "n1").await;
    pipeline.set_log(Some(Arc::new(log)));
    let outcome = pipeline
        .ingest(
            &binding(),
            Payload::Ndjson {
                body: body.into_bytes(),
                first_line: 1,
                origin: None,
            },
        )
        .await
        .expect("logged in parts");
    assert!(outcome.logged);
    assert_eq!(
        outcome.logged_records,
        Some(lines),
        "the answer counts every line the log took"
    );
    metric(
        &pipeline,
        &format!(r#"vigil_events_in_total{{tenant="acme",source="acme-video"}} {lines}"#),
    )
    .await;
    w.stop().await;
}
