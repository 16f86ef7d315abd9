//! NATS lost mid-run: while the server is down, appends are refused (never
//! acknowledged) and the bus says it cannot reach the other nodes; once the
//! server is back, appends are taken again and the consumers apply them.
//!
//! Starts its own `nats-server` (JetStream, on a free port, in a temporary
//! folder, killed when the test ends). Runs when `VIGIL_TEST_NATS_URL` is
//! set (the machine has NATS for tests); without it the test says it is
//! skipped, and fails under `CI=true`.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_detect::{LoadOptions, RuleSet};
use vigil_ingest::{IngestError, Payload, Pipeline, PipelineConfig};
use vigil_model::{SourceBinding, SourceId, SourceKind, SystemClock, Tenant, TenantId};
use vigil_nats::consumer::{self, ConsumerSettings, WorkerContext};
use vigil_nats::{ConnectSettings, JetStreamLog, LogMetrics, LogSettings, NatsBus, connect};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{Bus, LocalBus, Store};

const SERVER: &str = "/usr/sbin/nats-server";

fn should_run() -> bool {
    match std::env::var("VIGIL_TEST_NATS_URL") {
        Ok(url) if !url.is_empty() => true,
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("VIGIL_TEST_NATS_URL is not set but CI=true: the NATS tests must run")
        }
        _ => {
            println!("skipped: VIGIL_TEST_NATS_URL is not set");
            false
        }
    }
}

/// A `nats-server` of the test's own, killed when dropped.
struct Server(Child);

impl Server {
    fn start(port: u16, dir: &Path) -> Server {
        let child = Command::new(SERVER)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SERVER}: {e}"));
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server(child)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
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

fn line(n: u32) -> Payload {
    Payload::Ndjson {
        body: format!(r#"{{"class":"video_analytics","camera":"cam-{n}","action":"motion"}}"#)
            .into_bytes(),
        first_line: 1,
        origin: None,
    }
}

#[tokio::test]
async fn while_nats_is_down_sources_are_refused_and_once_it_is_back_batches_flow_again() {
    if !should_run() {
        return;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(port, dir.path());
    let url = format!("nats://127.0.0.1:{port}");
    let client = connect(&url, "n1", &ConnectSettings::default())
        .await
        .unwrap();
    let bus = NatsBus::start(client.clone(), "vigil", "n1", 16)
        .await
        .unwrap();
    let log = JetStreamLog::open(client.clone(), &LogSettings::default())
        .await
        .unwrap();

    let store = Arc::new(SqliteStore::open_temporary(SqliteOptions::default()).unwrap());
    store
        .upsert_tenant(&Tenant {
            id: TenantId::new("acme").unwrap(),
            name: "Acme".into(),
        })
        .await
        .unwrap();
    let rules = RuleSet::load_sources(Vec::<(String, String)>::new(), &LoadOptions::default());
    let pipeline = Pipeline::new(
        store.clone(),
        Arc::new(LocalBus::new(16)),
        Arc::new(SystemClock),
        Arc::new(rules.ruleset),
        PipelineConfig::default(),
    );
    let metrics = LogMetrics::default();
    pipeline.metrics().with_registry(|r| metrics.register(r));
    let context = WorkerContext {
        pipeline: pipeline.clone(),
        leases: store.clone(),
        states: store.clone(),
        correlations: None,
        node: "n1".into(),
    };
    let settings = ConsumerSettings {
        fetch_wait: Duration::from_millis(200),
        ..ConsumerSettings::default()
    };
    let workers = consumer::start(&log, context, settings, metrics)
        .await
        .unwrap();
    pipeline.set_log(Some(Arc::new(log)));

    assert!(pipeline.ingest(&binding(), line(1)).await.unwrap().logged);
    assert_eq!(bus.reachable(), Ok(()));

    drop(server);
    let err = pipeline
        .ingest(&binding(), line(2))
        .await
        .expect_err("refused while NATS is down");
    assert!(matches!(err, IngestError::Log(_)), "{err}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while bus.reachable().is_ok() {
        assert!(Instant::now() < deadline, "the bus never noticed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Back on the same port, with the same stored stream.
    let _server = Server::start(port, dir.path());
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        match pipeline.ingest(&binding(), line(3)).await {
            Ok(outcome) if outcome.logged => break,
            other => assert!(Instant::now() < deadline, "not taken again: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(bus.reachable(), Ok(()));
    // Batches 1 and 3 (2 was refused) reach the store.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let text = pipeline.metrics().encode();
        if text.contains(r#"vigil_events_in_total{tenant="acme",source="acme-video"} 2"#) {
            break;
        }
        assert!(Instant::now() < deadline, "not applied:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    workers.stop().await;
}
