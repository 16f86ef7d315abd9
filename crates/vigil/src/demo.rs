//! `vigil demo`: the whole control room on one machine.
//!
//! Three simulated client organisations send their IT and physical events
//! through the real ingest paths — NDJSON over HTTP with each source's own
//! token, syslog over TCP to each syslog source's listener — on an
//! accelerated clock, with attack stories whose ground truth is written to
//! `ground-truth.jsonl` in the data folder.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use anyhow::Context;
use clap::Args;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use vigil_model::{Clock, ScaledClock, SourceId, SourceKind, SystemClock};
use vigil_server::auth::{hash_token, new_token};
use vigil_sim::{Emission, Payload as SimPayload, Simulator, World};
use vigil_store::{ApiToken, Role};

use vigil_sources::ConfiguredSource;

use crate::config::Resolved;
use crate::node::{Node, NodeSpec};

/// `vigil demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Data folder for the embedded database and the ground truth.
    #[arg(long, default_value = "./vigil-data")]
    data: PathBuf,
    /// Start over: remove this demo's database and ground truth first.
    #[arg(long)]
    fresh: bool,
    /// How many times faster than real time the simulated clock runs
    /// (60 = an hour a minute).
    #[arg(long, default_value_t = 60.0)]
    speed: f64,
    /// Address of the HTTP API.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Address of the SIA DC-09 receiver for real diallers (TCP and UDP;
    /// port 0 picks a free one, printed at start).
    #[arg(long, default_value = "127.0.0.1:9000")]
    dc09_listen: SocketAddr,
    /// Use this provider administrator token instead of generating one.
    #[arg(long, env = "VIGIL_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// Stop by itself after this long (real time), e.g. `30s`, `5m`.
    #[arg(long = "for", value_parser = humantime::parse_duration)]
    run_for: Option<StdDuration>,
    /// Seed of the simulation (same seed, same world and stories).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Further Sigma rule folders to load beside Vigil's own.
    #[arg(long)]
    rules: Vec<PathBuf>,
    /// CSAF advisories to import (every `.json` file of the folder), so the
    /// estate pages show which simulated devices they concern; without the
    /// folder the demo runs and says so.
    #[arg(long, default_value = "../shared/corpora/csaf/cisa-ot-2024")]
    advisories: PathBuf,
    /// An MQTT broker (`mqtt://127.0.0.1:1883`) for the simulated sensor
    /// gateways' Sparkplug B traffic; without it they stay silent.
    #[arg(long, env = "VIGIL_DEMO_MQTT_URL")]
    mqtt: Option<String>,
}

/// The files a demo owns in its data folder (and `--fresh` removes).
const DEMO_FILES: [&str; 4] = [
    "vigil.db",
    "vigil.db-wal",
    "vigil.db-shm",
    "ground-truth.jsonl",
];

/// The demo's ingest tokens: (source, token) for each HTTP source.
type IngestTokens = BTreeMap<SourceId, String>;

/// Runs the demo until `--for` elapses or Ctrl-C.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    if args.fresh {
        for name in DEMO_FILES {
            let path = args.data.join(name);
            if path.exists() {
                std::fs::remove_file(&path)
                    .with_context(|| format!("--fresh cannot remove {}", path.display()))?;
            }
        }
    }
    let world = World::generate(args.seed);
    let start = SystemClock.now();
    let clock: Arc<dyn Clock> = Arc::new(ScaledClock::new(start, args.speed));

    let admin_token = args.admin_token.clone().unwrap_or_else(new_token);
    let analyst_token = new_token();
    let (mut resolved, ingest_tokens, viewer_tokens) =
        demo_setup(&world, &admin_token, args.mqtt.as_deref(), args.dc09_listen);
    resolved.nis2 = crate::demo_analyst::nis2_profiles(&world)?;
    let approver_tokens = crate::demo_lifecycle::approver_tokens(&world, &mut resolved);
    resolved.tokens.push(ApiToken {
        name: "demo-analyst".into(),
        role: Role::ProviderOperator,
        tenant: None,
        hash: hash_token(&analyst_token),
    });
    let (detector, correlations) = crate::rules::load_engine(true, &args.rules, &[])?;
    // The simulated clock runs fast: what is minutes of lateness to a real
    // source is seconds here, so the demo allows an hour.
    let correlation_settings = vigil_ingest::CorrelationSettings {
        allowed_lateness_seconds: 3600,
        ..Default::default()
    };
    let correlations = crate::rules::correlation_stage(correlations, &correlation_settings);
    let node = Node::start_with(
        NodeSpec {
            data_dir: args.data.clone(),
            store: Default::default(),
            tls: None,
            bus: Default::default(),
            listen: args.listen,
            retention: vigil_desk::governance::RetentionPolicy::events_only(Some(
                chrono::Duration::days(30),
            )),
            alert_window: chrono::Duration::hours(1),
            limits: Default::default(),
            resolved,
            detector,
            clock: clock.clone(),
            desk: Default::default(),
        },
        correlations,
    )
    .await?;

    print_banner(
        &args,
        &node,
        &admin_token,
        &viewer_tokens,
        &ingest_tokens,
        &world,
    );
    let mut approvers =
        String::from("Client administrators (approve their client's work orders and visits):\n");
    for (tenant, token) in &approver_tokens {
        approvers.push_str(&format!("  {:<14} {token}\n", tenant.as_str()));
    }
    println!("{approvers}");

    for (tenant, people) in crate::demo_estate::people(&world) {
        node.estate_store.replace_people(&tenant, &people).await?;
    }
    // The register task would notice within seconds, but the simulator's
    // first badge reads come sooner and must already resolve to people.
    let people = node
        .estate_store
        .people(&vigil_store::TenantScope::All)
        .await?;
    node.pipeline
        .set_people(std::sync::Arc::new(vigil_ingest::PeopleRegister::new(
            people,
        )));
    // The clients' systems and visitors, through the node's API, while the
    // simulation starts.
    let loading = {
        let world = world.clone();
        let clock = clock.clone();
        let advisories = args.advisories.clone();
        let loader = crate::demo_lifecycle::EstateLoader::new(
            format!("http://{}", node.http_addr),
            admin_token.clone(),
            approver_tokens,
        );
        let node_desk = node.desk.clone();
        tokio::spawn(async move {
            crate::demo_lifecycle::import_advisories(&node_desk, &advisories).await;
            for tw in &world.tenants {
                loader.load(tw, clock.now()).await;
            }
            println!("demo estate and visitors loaded");
        })
    };
    let estate = crate::demo_estate::EstateDriver::new(
        &world,
        clock.clone(),
        node.http_addr,
        node.syslog_addrs
            .iter()
            .filter(|(_, (kind, _))| *kind == SourceKind::Dc09Tcp)
            .map(|(id, (_, addr))| (id.clone(), *addr))
            .collect(),
        world
            .all_sources()
            .into_iter()
            .filter(|b| b.kind == SourceKind::OnvifPush)
            .filter_map(|b| Some((b.id.clone(), ingest_tokens.get(&b.id)?.clone())))
            .collect(),
        args.mqtt.as_deref(),
    );
    let driver = Driver::new(
        &world,
        args.seed,
        start,
        clock.clone(),
        node.http_addr,
        ingest_tokens,
        node.syslog_addrs.clone(),
        args.data.join("ground-truth.jsonl"),
    )?
    .with_estate(estate)
    .with_analyst(crate::demo_analyst::Analyst::new(
        format!("http://{}", node.http_addr),
        analyst_token,
    ));
    let mut driving = tokio::spawn(driver.run());
    let stop_after = async {
        match args.run_for {
            Some(limit) => tokio::time::sleep(limit).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = stop_after => {}
        _ = crate::shutdown_signal() => {}
        ended = &mut driving => {
            // The driver only ends by failing; say why, then stop cleanly.
            match ended {
                Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "simulator stopped"),
                Err(e) => tracing::error!(error = %e, "simulator stopped"),
                Ok(Ok(())) => {}
            }
        }
    }
    driving.abort();
    loading.abort();
    eprintln!("demo stopping; data kept in {}", args.data.display());
    node.stop().await
}

/// Tenants, sites, sources and tokens for the simulated world.
fn demo_setup(
    world: &World,
    admin_token: &str,
    mqtt: Option<&str>,
    dc09_listen: SocketAddr,
) -> (Resolved, IngestTokens, BTreeMap<String, String>) {
    let mut resolved = Resolved {
        tenants: Vec::new(),
        sources: Vec::new(),
        tokens: vec![ApiToken {
            name: "admin".into(),
            role: Role::ProviderAdmin,
            tenant: None,
            hash: hash_token(admin_token),
        }],
        plans: crate::demo_estate::floor_plans(world),
        contracts: Default::default(),
        nis2: Default::default(),
        retention: Default::default(),
        residency: Default::default(),
        response_plans: crate::demo_response::response_plans(world),
        site_images: Vec::new(),
        visitors: Default::default(),
    };
    let mut ingest_tokens = IngestTokens::new();
    let mut viewer_tokens = BTreeMap::new();
    for tw in &world.tenants {
        resolved.tenants.push((tw.tenant.clone(), tw.sites.clone()));
        let viewer = new_token();
        resolved.tokens.push(ApiToken {
            name: format!("{}-viewer", tw.tenant.id),
            role: Role::ClientViewer,
            tenant: Some(tw.tenant.id.clone()),
            hash: hash_token(&viewer),
        });
        viewer_tokens.insert(tw.tenant.id.to_string(), viewer);
        for binding in &tw.sources {
            let (token, listen) = match binding.kind {
                SourceKind::Http | SourceKind::OnvifPush => {
                    let token = new_token();
                    let hash = hash_token(&token);
                    ingest_tokens.insert(binding.id.clone(), token);
                    (Some(hash), None)
                }
                SourceKind::SyslogTcp | SourceKind::SyslogUdp | SourceKind::Dc09Tcp => {
                    (None, Some(SocketAddr::from(([127, 0, 0, 1], 0))))
                }
                // Sensor gateways publish only when a broker is given.
                SourceKind::Mqtt if mqtt.is_none() => continue,
                _ => (None, None),
            };
            let source = ConfiguredSource::new(binding.clone(), token, listen);
            resolved
                .sources
                .extend(crate::demo_estate::configure(source, tw, mqtt));
        }
    }
    resolved
        .sources
        .extend(crate::demo_estate::dialler_sources(world, dc09_listen));
    (resolved, ingest_tokens, viewer_tokens)
}

fn print_banner(
    args: &DemoArgs,
    node: &Node,
    admin_token: &str,
    viewer_tokens: &BTreeMap<String, String>,
    ingest_tokens: &IngestTokens,
    world: &World,
) {
    let url = format!("http://{}", node.http_addr);
    let mut out = String::new();
    out.push_str(&format!(
        "\nVigil demo — {} client organisations, simulated clock at {}× real time, seed {}\n\n",
        world.tenants.len(),
        args.speed,
        args.seed
    ));
    out.push_str(&format!("  API            {url}/api/v1/alerts\n"));
    out.push_str(&format!("  API document   {url}/api/openapi.json\n"));
    out.push_str(&format!("  data folder    {}\n\n", args.data.display()));
    out.push_str("Log in (provider administrator, sees every client):\n");
    out.push_str(&format!("  token          {admin_token}\n"));
    out.push_str(&format!(
        "  try            curl -H 'Authorization: Bearer {admin_token}' {url}/api/v1/alerts\n\n"
    ));
    out.push_str(&format!(
        "Console: {url}/ — log in with the administrator token above\n\n"
    ));
    out.push_str("Client viewers (each sees only its own organisation):\n");
    for (tenant, token) in viewer_tokens {
        out.push_str(&format!("  {tenant:<14} {token}\n"));
    }
    out.push_str("\nSimulated sources:\n");
    for tw in &world.tenants {
        for binding in &tw.sources {
            let how = match (
                ingest_tokens.get(&binding.id),
                node.syslog_addrs.get(&binding.id),
            ) {
                (Some(token), _) if binding.kind == SourceKind::OnvifPush => {
                    format!("ONVIF Notify to {url}/onvif/notify/{token}/<camera>")
                }
                (Some(token), _) => format!("POST {url}/api/v1/ingest  token {token}"),
                (None, Some((kind, addr))) => format!("{} {addr}", kind.as_str()),
                (None, None) => "-".into(),
            };
            out.push_str(&format!("  {:<24} {how}\n", binding.id.as_str()));
        }
    }
    // The receiver's bound addresses, which differ from `--dc09-listen`
    // when it asks for port 0.
    let dialler_addrs: Vec<String> = node
        .syslog_addrs
        .iter()
        .filter(|(id, _)| id.as_str().contains("-dialler-"))
        .map(|(_, (kind, addr))| format!("{} {addr}", kind.as_str()))
        .collect();
    out.push_str(&format!(
        "\nAlarm panels: a SIA DC-09 receiver for real diallers ({}), tenant {}:\n  account {} in clear, account {} with AES-128 key {}\n",
        dialler_addrs.join(", "),
        world.tenants.first().map(|t| t.tenant.id.to_string()).unwrap_or_default(),
        crate::demo_estate::DIALLER_PLAIN_ACCOUNT,
        crate::demo_estate::DIALLER_AES_ACCOUNT,
        crate::demo_estate::DIALLER_AES_KEY,
    ));
    out.push_str(&format!(
        "\nAttack stories are written to {} as they start.\n",
        args.data.join("ground-truth.jsonl").display()
    ));
    match args.run_for {
        Some(d) => out.push_str(&format!(
            "Stopping by itself after {}.\n",
            humantime::format_duration(d)
        )),
        None => out.push_str("Press Ctrl-C to stop.\n"),
    }
    println!("{out}");
}

/// Feeds the simulator's output into the node through the real protocols.
struct Driver {
    estate: Option<crate::demo_estate::EstateDriver>,
    sim: Simulator,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    ingest_url: String,
    ingest_tokens: IngestTokens,
    syslog_addrs: BTreeMap<SourceId, (SourceKind, SocketAddr)>,
    syslog_streams: BTreeMap<SourceId, TcpStream>,
    ground_truth: std::fs::File,
    analyst: Option<crate::demo_analyst::Analyst>,
}

impl Driver {
    #[allow(clippy::too_many_arguments)]
    fn new(
        world: &World,
        seed: u64,
        start: vigil_model::Timestamp,
        clock: Arc<dyn Clock>,
        http_addr: SocketAddr,
        ingest_tokens: IngestTokens,
        syslog_addrs: BTreeMap<SourceId, (SourceKind, SocketAddr)>,
        ground_truth_path: PathBuf,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            sim: Simulator::new(world, seed, start),
            clock,
            http: reqwest::Client::new(),
            ingest_url: format!("http://{http_addr}/api/v1/ingest"),
            ingest_tokens,
            syslog_addrs,
            syslog_streams: BTreeMap::new(),
            ground_truth: open_append(&ground_truth_path)?,
            estate: None,
            analyst: None,
        })
    }

    /// Opens incidents for the stories that become one, as an analyst.
    fn with_analyst(mut self, analyst: crate::demo_analyst::Analyst) -> Self {
        self.analyst = Some(analyst);
        self
    }

    /// Delivers the simulator's DC-09, ONVIF and Sparkplug traffic too.
    fn with_estate(mut self, estate: crate::demo_estate::EstateDriver) -> Self {
        self.estate = Some(estate);
        self
    }

    /// Runs until dropped; returns only on a failure to record ground truth.
    async fn run(mut self) -> anyhow::Result<()> {
        let mut tick = tokio::time::interval(StdDuration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let emissions = self.sim.advance_to(self.clock.now());
            let truths = self.record_ground_truth()?;
            self.deliver(emissions).await;
            if let Some(analyst) = &self.analyst {
                for truth in &truths {
                    analyst.handle(truth).await;
                }
            }
        }
    }

    fn record_ground_truth(&mut self) -> anyhow::Result<Vec<vigil_sim::GroundTruth>> {
        let truths = self.sim.take_ground_truth();
        for truth in &truths {
            tracing::info!(story = %truth.story, tenant = %truth.tenant, "attack story started");
            let line = serde_json::to_string(truth)?;
            writeln!(self.ground_truth, "{line}")?;
        }
        self.ground_truth.flush()?;
        Ok(truths)
    }

    async fn deliver(&mut self, emissions: Vec<Emission>) {
        let mut json: BTreeMap<SourceId, Vec<u8>> = BTreeMap::new();
        let mut syslog: BTreeMap<SourceId, Vec<u8>> = BTreeMap::new();
        let mut estate = Vec::new();
        for e in emissions {
            match e.payload {
                SimPayload::Json(fields) => {
                    let body = json.entry(e.source).or_default();
                    if serde_json::to_writer(&mut *body, &fields).is_ok() {
                        body.push(b'\n');
                    }
                }
                SimPayload::Syslog(line) => {
                    // RFC 6587 octet counting: `LEN SP MSG`.
                    let frames = syslog.entry(e.source).or_default();
                    frames.extend_from_slice(format!("{} ", line.len()).as_bytes());
                    frames.extend_from_slice(line.as_bytes());
                }
                other => estate.push((e.source, e.at, other)),
            }
        }
        for (source, body) in json {
            let Some(token) = self.ingest_tokens.get(&source) else {
                continue;
            };
            let sent = self
                .http
                .post(&self.ingest_url)
                .bearer_auth(token)
                .header("content-type", "application/x-ndjson")
                .body(body)
                .send()
                .await
                .and_then(|r| r.error_for_status());
            if let Err(e) = sent {
                tracing::warn!(%source, error = %e, "demo could not deliver events");
            }
        }
        for (source, frames) in syslog {
            if let Err(e) = self.send_syslog(&source, &frames).await {
                tracing::warn!(%source, error = %e, "demo could not deliver syslog");
                self.syslog_streams.remove(&source);
            }
        }
        if let Some(driver) = &mut self.estate {
            driver.deliver(estate).await;
        }
    }

    async fn send_syslog(&mut self, source: &SourceId, frames: &[u8]) -> anyhow::Result<()> {
        if !self.syslog_streams.contains_key(source) {
            let Some((_, addr)) = self.syslog_addrs.get(source) else {
                return Ok(());
            };
            let stream = TcpStream::connect(addr).await?;
            self.syslog_streams.insert(source.clone(), stream);
        }
        if let Some(stream) = self.syslog_streams.get_mut(source) {
            stream.write_all(frames).await?;
        }
        Ok(())
    }
}

fn open_append(path: &Path) -> anyhow::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))
}
