//! Adding a source takes one module and one line of registration: this
//! test adds a kind Vigil does not ship — `line_tcp`, JSON lines over TCP,
//! each line answered `ok` once durable — and runs it through the same
//! registry, configuration and ingest path as the built-in sources.

mod common;

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use vigil_estate::supervision::SupervisionHandle;
use vigil_model::{SourceKind, SystemClock};
use vigil_sources::{
    Configured, Env, Needs, Registry, Source, SourceContext, SourceSection, Started,
};
use vigil_store::Store;

/// The whole source: its settings table, its decoding (one JSON object a
/// line), its listener, and the acknowledgement after durability.
mod line_tcp {
    use super::*;
    use anyhow::Context;
    use vigil_ingest::Payload;

    /// `[sources.line]`: what to answer for each durable line.
    #[derive(Debug, Clone, serde::Deserialize)]
    pub struct LineConfig {
        pub ack: String,
    }

    pub struct LineTcp;

    impl Source for LineTcp {
        type Settings = LineConfig;

        fn kinds(&self) -> &'static [&'static str] {
            &["line_tcp"]
        }

        fn tables(&self) -> &'static [&'static str] {
            &["line"]
        }

        fn needs(&self, _kind: SourceKind) -> Needs {
            Needs {
                listen: true,
                token: false,
            }
        }

        fn configure(&self, section: &SourceSection, _env: Env<'_>) -> anyhow::Result<LineConfig> {
            section
                .table("line")?
                .context("needs a `[sources.line]` table")
        }

        async fn start(
            &self,
            sources: Vec<Configured<LineConfig>>,
            context: &SourceContext,
        ) -> anyhow::Result<Started> {
            let mut started = Started::default();
            for source in sources {
                let listener = TcpListener::bind(source.listen.context("listen")?).await?;
                started.addrs.push((
                    source.binding.id.clone(),
                    source.binding.kind,
                    listener.local_addr()?,
                ));
                let pipeline = context.pipeline.clone();
                started.tasks.push(tokio::spawn(async move {
                    while let Ok((stream, _)) = listener.accept().await {
                        let (read, mut write) = stream.into_split();
                        let mut lines = BufReader::new(read).lines();
                        while let Ok(Some(line)) = lines.next_line().await {
                            let payload = Payload::Ndjson {
                                body: line.into_bytes(),
                                first_line: 1,
                                origin: None,
                            };
                            // Acknowledged only once the ingest path says durable.
                            if pipeline.ingest(&source.binding, payload).await.is_ok() {
                                let ack = format!("{}\n", source.settings.ack);
                                let _ = write.write_all(ack.as_bytes()).await;
                            }
                        }
                    }
                }));
            }
            Ok(started)
        }
    }
}

#[tokio::test]
async fn a_new_kind_is_one_module_and_one_line_of_registration() {
    // The one line.
    let registry = Registry::built_in().with(line_tcp::LineTcp);
    assert!(registry.kinds().contains(&"line_tcp"));

    let section: SourceSection = toml::from_str(
        r#"
        id = "acme-lines"
        tenant = "acme"
        kind = "line_tcp"
        product = "custom"
        listen = "127.0.0.1:0"
        [line]
        ack = "ok"
        "#,
    )
    .unwrap();
    let no_env = |_: &str| None;
    let configured = registry.configure(&section, &no_env).unwrap();
    assert_eq!(configured.binding.kind.as_str(), "line_tcp");

    // Its mistakes are named like any source's.
    let mut without_table = section.clone();
    without_table.tables.clear();
    let e = format!(
        "{:#}",
        registry.configure(&without_table, &no_env).unwrap_err()
    );
    assert!(
        e.contains("source `acme-lines`") && e.contains("[sources.line]"),
        "{e}"
    );
    let mut stray = section.clone();
    stray
        .tables
        .insert("dc09".into(), toml::Value::Table(Default::default()));
    let e = format!("{:#}", registry.configure(&stray, &no_env).unwrap_err());
    assert!(e.contains("unknown field `dc09`"), "{e}");

    let (pipeline, store) = common::pipeline_with(Arc::new(SystemClock), &[]).await;
    store
        .upsert_source(&configured.binding, None)
        .await
        .unwrap();
    let context = SourceContext {
        pipeline,
        store: store.clone(),
        supervision: SupervisionHandle::new(),
        device_reports: None,
        limits: Default::default(),
    };
    let running = registry.start(&[configured], &context).await.unwrap();
    let addr = running
        .addrs
        .iter()
        .find(|(id, _, _)| id.as_str() == "acme-lines")
        .map(|(_, _, addr)| *addr)
        .expect("the new source listens");

    let stream = TcpStream::connect(addr).await.unwrap();
    let (read, mut write) = stream.into_split();
    write
        .write_all(b"{\"message\":\"hello from a new kind\"}\n")
        .await
        .unwrap();
    let mut answers = BufReader::new(read).lines();
    let ack = tokio::time::timeout(std::time::Duration::from_secs(30), answers.next_line())
        .await
        .expect("an answer")
        .unwrap();
    assert_eq!(ack.as_deref(), Some("ok"));
    // The answer came after the event was durable.
    let stored = common::events(&store).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].source.kind.as_str(), "line_tcp");
    assert_eq!(stored[0].fields["message"], "hello from a new kind");
    for task in running.tasks {
        task.abort();
    }
}
