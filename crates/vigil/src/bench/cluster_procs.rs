//! The processes `vigil bench cluster` runs: `nats-server`s (one, or three
//! routed into a cluster), `vigil serve` nodes started from this very
//! binary, and a PostgreSQL schema of the run's own. Each is ended (or
//! dropped) when its guard is dropped, whatever happened.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A port free right now (the OS picks it; the process started next binds it).
pub(super) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// NATS servers of the benchmark's own, killed when dropped.
pub(super) struct Nats {
    servers: Vec<Child>,
    ports: Vec<u16>,
}

impl Nats {
    /// Starts `count` servers with JetStream (routed into a cluster when
    /// more than one), storing under `dir`, and waits until JetStream takes
    /// a stream with `count` replicas.
    pub(super) async fn start(binary: &Path, count: usize, dir: &Path) -> anyhow::Result<Nats> {
        let routes = (0..count)
            .map(|_| free_port())
            .collect::<anyhow::Result<Vec<u16>>>()?;
        let route_urls = routes
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut nats = Nats {
            servers: Vec::new(),
            ports: Vec::new(),
        };
        for (i, route) in routes.iter().enumerate() {
            let port = free_port()?;
            let mut command = Command::new(binary);
            command
                .args(["-a", "127.0.0.1", "-p", &port.to_string()])
                .args(["-n", &format!("bench-n{i}"), "-js", "-sd"])
                .arg(dir.join(format!("nats-{i}")))
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(dir.join(format!("nats-{i}.log")))?)
                .kill_on_drop(true);
            if count > 1 {
                command
                    .args(["--cluster_name", "vigil-bench"])
                    .args(["--cluster", &format!("nats://127.0.0.1:{route}")])
                    .args(["--routes", &route_urls]);
            }
            let child = command.spawn().with_context(|| {
                format!(
                    "cannot start {} (install nats-server or pass --nats-server PATH)",
                    binary.display()
                )
            })?;
            nats.servers.push(child);
            nats.ports.push(port);
        }
        nats.wait_ready(count, StdDuration::from_secs(60)).await?;
        Ok(nats)
    }

    /// The client URLs, comma separated.
    pub(super) fn urls(&self) -> String {
        self.ports
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    async fn wait_ready(&self, replicas: usize, limit: StdDuration) -> anyhow::Result<()> {
        let started = Instant::now();
        let settings = vigil_nats::ConnectSettings::default();
        let probe = vigil_nats::LogSettings {
            name: "benchprobe".into(),
            partitions: 1,
            replicas,
            ..Default::default()
        };
        loop {
            let client = vigil_nats::connect(&self.urls(), "bench", &settings).await?;
            match vigil_nats::JetStreamLog::open(client.clone(), &probe).await {
                Ok(_) => {
                    vigil_nats::JetStreamLog::delete(client, &probe.name).await?;
                    return Ok(());
                }
                Err(e) if started.elapsed() > limit => {
                    bail!("the NATS servers' JetStream is not ready within {limit:?}: {e}")
                }
                Err(_) => tokio::time::sleep(StdDuration::from_millis(250)).await,
            }
        }
    }
}

/// A `vigil serve` node, killed (SIGKILL) when dropped.
pub(super) struct NodeProcess {
    child: Child,
    /// Its name on the bus.
    pub(super) name: String,
    /// Its base URL (`http://127.0.0.1:port`).
    pub(super) base: String,
    log: PathBuf,
}

impl NodeProcess {
    /// Starts `vigil serve --config vigil.toml` in `dir` and waits until it
    /// says where it serves.
    pub(super) async fn start(dir: &Path, name: &str) -> anyhow::Result<NodeProcess> {
        let log = dir.join("node.log");
        let mut child = Command::new(std::env::current_exe().context("this binary's path")?)
            .args(["serve", "--config", "vigil.toml"])
            .current_dir(dir)
            .env("VIGIL_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log)?)
            .kill_on_drop(true)
            .spawn()
            .context("cannot start a vigil node")?;
        let stdout = child.stdout.take().context("the node's output")?;
        let mut lines = BufReader::new(stdout).lines();
        let serving = tokio::time::timeout(StdDuration::from_secs(120), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("vigil serving on ") {
                    return Some(url.trim().to_owned());
                }
            }
            None
        })
        .await;
        // Keep reading, so that the node never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        match serving {
            Ok(Some(base)) => Ok(NodeProcess {
                child,
                name: name.to_owned(),
                base,
                log,
            }),
            _ => bail!(
                "node {name} did not start; its log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ),
        }
    }

    /// Kills it at once, as a machine that loses power stops.
    pub(super) async fn kill(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// The end of its log, for an error.
    pub(super) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// A PostgreSQL connection for reading what the nodes stored.
pub(super) struct Db {
    client: tokio_postgres::Client,
}

impl Db {
    /// Connects to `url`, reading `schema`.
    pub(super) async fn connect(url: &str, schema: &str) -> anyhow::Result<Db> {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .with_context(|| {
                format!(
                    "cannot reach PostgreSQL at {}",
                    vigil_store::postgres::redact_url(url)
                )
            })?;
        tokio::spawn(connection);
        client
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}"
            ))
            .await?;
        Ok(Db { client })
    }

    /// Events stored so far.
    pub(super) async fn events(&self) -> anyhow::Result<i64> {
        Ok(self
            .client
            .query_one("SELECT count(*) FROM events", &[])
            .await?
            .get(0))
    }

    /// The ingest partitions' lease holders, and when each lease runs out.
    pub(super) async fn holders(&self) -> anyhow::Result<Vec<(String, String)>> {
        Ok(self
            .client
            .query(
                "SELECT name, holder FROM desk_leases WHERE name LIKE 'ingest-p%' ORDER BY name",
                &[],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    /// Drops `schema` and everything in it.
    pub(super) async fn drop_schema(&self, schema: &str) -> anyhow::Result<()> {
        self.client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .await
            .with_context(|| format!("cannot drop the benchmark's schema {schema}"))
    }
}
