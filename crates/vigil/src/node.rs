//! A running Vigil node: store, rules, pipeline, HTTP API, every configured
//! source (started through the source registry) and housekeeping, wired
//! together. `serve` and `demo` both run one.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use chrono::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use vigil_detect::Detector;
use vigil_ingest::{CorrelationStage, Pipeline, PipelineConfig};
use vigil_model::{Clock, SourceId, SourceKind};
use vigil_server::AppState;
use vigil_sources::{ConfiguredSource, Limits, Registry, SourceContext};
use vigil_store::{Bus, CorrelationStateStore, DeskStore, Store};

use crate::cluster::BusConfig;
use crate::config::{Resolved, StoreConfig};
use crate::store::open_node_store;

/// Everything a node needs to start.
pub struct NodeSpec {
    /// Where the embedded database lives (and the audit signing key, unless
    /// the desk's configuration names another place).
    pub data_dir: PathBuf,
    /// Which store: SQLite in `data_dir` unless a PostgreSQL URL is given.
    pub store: StoreConfig,
    /// HTTPS certificate and key files; `None` serves plain HTTP.
    pub tls: Option<vigil_server::tls::TlsFiles>,
    /// Which bus: in process unless a NATS URL is given.
    pub bus: BusConfig,
    /// The HTTP API's address.
    pub listen: SocketAddr,
    /// How long each class of each client's data is kept, and the
    /// clients held by configuration (enforced hourly by the desk's
    /// retention job).
    pub retention: vigil_desk::governance::RetentionPolicy,
    /// Alert grouping window.
    pub alert_window: Duration,
    /// Input limits.
    pub limits: Limits,
    /// Tenants, sites, sources and tokens to register.
    pub resolved: Resolved,
    /// The rules.
    pub detector: Arc<dyn Detector>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The desk's configuration (secrets already resolved).
    pub desk: vigil_desk::DeskConfig,
}

/// A started node.
pub struct Node {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The store's estate part (people register, devices, supervision).
    pub estate_store: Arc<dyn vigil_store::EstateStore>,
    /// The HTTP API's bound address.
    pub http_addr: SocketAddr,
    /// Each listening source's bound address (syslog, DC-09).
    pub syslog_addrs: BTreeMap<SourceId, (SourceKind, SocketAddr)>,
    /// The desk.
    pub desk: vigil_desk::service::Desk,
    /// The event pipeline (for loading the people register at once).
    pub pipeline: Pipeline,
    desk_workers: vigil_desk::service::Workers,
    tasks: Vec<JoinHandle<()>>,
    http: JoinHandle<std::io::Result<()>>,
    shutdown: tokio::sync::watch::Sender<bool>,
    correlation: Option<CorrelationRun>,
    /// The ingest log's partition consumers, when the node shares its bus.
    consumers: Option<vigil_nats::consumer::Workers>,
}

/// Registers tenants, sites, sources and tokens.
pub async fn register(store: &dyn Store, resolved: &Resolved) -> anyhow::Result<()> {
    for (tenant, sites) in &resolved.tenants {
        store.upsert_tenant(tenant).await?;
        for site in sites {
            store.upsert_site(site).await?;
        }
    }
    for ConfiguredSource { binding, token, .. } in &resolved.sources {
        store.upsert_source(binding, *token).await?;
    }
    for token in &resolved.tokens {
        store.upsert_api_token(token).await?;
    }
    Ok(())
}

impl Node {
    /// Opens the store, registers the configuration, binds every listener
    /// and starts serving.
    pub async fn start(spec: NodeSpec) -> anyhow::Result<Node> {
        Self::start_with(spec, None).await
    }

    /// As [`Node::start`], with correlations (and how often their state is
    /// saved): their state is restored from the store before any listener
    /// opens, saved periodically, and saved again by [`Node::stop`].
    pub async fn start_with(
        spec: NodeSpec,
        correlations: Option<(Arc<CorrelationStage>, std::time::Duration)>,
    ) -> anyhow::Result<Node> {
        let node_store = open_node_store(&spec.store, &spec.data_dir).await?;
        let rules = Arc::new(crate::rules::rule_facts());
        let levels = vigil_desk::service::ServiceLevels {
            contracts: spec.resolved.contracts.clone(),
            rules: (*rules).clone(),
            nis2: spec.resolved.nis2.clone(),
        };
        let store: Arc<dyn Store> = node_store.clone();
        let correlation_store: Arc<dyn CorrelationStateStore> = node_store.clone();
        let estate_store: Arc<dyn vigil_store::EstateStore> = node_store.clone();
        let lease_store: Arc<dyn DeskStore> = node_store.clone();
        let desk_store: Arc<dyn DeskStore> = node_store;
        register(store.as_ref(), &spec.resolved).await?;
        let (desk, desk_workers) = crate::desk::start_desk(
            desk_store,
            spec.clock.clone(),
            spec.desk,
            levels,
            &spec.data_dir,
        )
        .await?;
        desk.set_evidence_settings(crate::compliance::evidence_settings(
            spec.retention
                .defaults
                .get(&vigil_desk::governance::DataClass::Events)
                .copied(),
            &spec.resolved.tokens,
        ));
        desk.set_retention_policy(spec.retention.clone());
        desk.set_residency(spec.resolved.residency.clone());
        desk.set_response_plans(spec.resolved.response_plans.clone());
        desk.set_rule_notes(crate::rules::rule_notes());
        crate::site_images::store(&desk, &spec.resolved.site_images).await?;
        // Visitors: the desk writes visits into the live state the
        // pipeline's visitor rules read.
        let visitors = Arc::new(vigil_visitors::live::VisitorsLive::new(
            spec.resolved.visitors.live.clone(),
        ));
        desk.set_visitor_setup(spec.resolved.visitors.setup.clone());
        desk.set_visitors_live(visitors.clone()).await?;
        let cluster = crate::cluster::Cluster::open(&spec.bus).await?;
        let bus: Arc<dyn Bus> = cluster.bus.clone();
        let pipeline = Pipeline::new(
            store.clone(),
            bus.clone(),
            spec.clock.clone(),
            // The estate's converged rules that need state run after Sigma,
            // then the visitor rules.
            Arc::new(vigil_visitors::detector::VisitorDetector::new(
                Arc::new(vigil_estate::converged::ConvergedDetector::new(
                    spec.detector,
                    Default::default(),
                )),
                visitors.clone(),
            )),
            PipelineConfig {
                alert_window: spec.alert_window,
            },
        );

        let mut tasks = Vec::new();
        // Sharing the ingest, each partition's consumer keeps its own
        // correlation state; the node keeps none of its own.
        let (correlations, consumers) = if cluster.is_shared() {
            let (stage, every) = correlations
                .map_or((None, std::time::Duration::from_secs(60)), |(s, e)| {
                    (Some(s), e)
                });
            let workers = cluster
                .start_consumers(
                    &pipeline,
                    lease_store,
                    correlation_store.clone(),
                    stage,
                    every,
                )
                .await?;
            (None, workers)
        } else {
            (correlations, None)
        };
        let correlation = match correlations {
            Some((stage, every)) => Some(
                CorrelationRun::start(stage, every, &pipeline, correlation_store, &spec.clock)
                    .await
                    .map(|(run, task)| {
                        tasks.push(task);
                        run
                    })?,
            ),
            None => None,
        };
        let supervision = vigil_estate::supervision::SupervisionHandle::new();
        // The devices the configuration names are on record before any
        // source hears one of them.
        crate::configured_inventory::record(&desk, &spec.resolved).await;
        // What devices say about themselves goes to the desk's inventory.
        let (device_reports, reports_task) = crate::device_reports::start(desk.clone());
        tasks.push(reports_task);
        let context = SourceContext {
            pipeline: pipeline.clone(),
            store: store.clone(),
            supervision: supervision.clone(),
            device_reports: Some(device_reports),
            limits: spec.limits.clone(),
        };
        let sources = Registry::built_in()
            .start(&spec.resolved.sources, &context)
            .await?;
        if !sources.panels.is_empty() {
            estate_store.upsert_panel_accounts(&sources.panels).await?;
        }
        if !sources.devices.is_empty() {
            estate_store.upsert_devices(&sources.devices).await?;
        }
        tasks.extend(sources.tasks);
        tasks.push(tokio::spawn(vigil_estate::supervision::run(
            supervision,
            pipeline.clone(),
            Some(estate_store.clone()),
            spec.resolved
                .sources
                .iter()
                .map(|s| s.binding.clone())
                .collect(),
            SUPERVISION_TICK,
        )));
        tasks.push(tokio::spawn(
            vigil_estate::people_import::keep_register_current(
                pipeline.clone(),
                estate_store.clone(),
                REGISTER_CHECK,
            ),
        ));
        let syslog_addrs: BTreeMap<SourceId, (SourceKind, SocketAddr)> = sources
            .addrs
            .into_iter()
            .map(|(id, kind, addr)| (id, (kind, addr)))
            .collect();

        let cameras = crate::video::media_cameras(&spec.resolved.sources);
        if !cameras.is_empty() {
            tasks.push(tokio::spawn(crate::video::run(desk.clone(), cameras)));
        }
        tasks.push(tokio::spawn(visitor_clock(
            visitors,
            pipeline.clone(),
            spec.clock.clone(),
        )));
        if spec.retention.deletes_anything() {
            tasks.push(tokio::spawn(retention_task(
                desk.clone(),
                spec.clock.clone(),
            )));
        }

        // The certificate is read before anything listens: a node that
        // cannot serve HTTPS as configured does not start.
        let tls = match &spec.tls {
            Some(files) => Some(vigil_server::tls::server_config(files.clone())?),
            None => None,
        };
        let listener = TcpListener::bind(spec.listen)
            .await
            .with_context(|| format!("cannot listen for HTTP on {}", spec.listen))?;
        let http_addr = listener.local_addr()?;
        let app = vigil_server::router(AppState {
            pipeline: pipeline.clone(),
            store: store.clone(),
            bus,
            desk: desk.clone(),
            sessions: match spec.limits.max_failed_auth_per_minute {
                Some(n) => vigil_server::session::SessionStore::with_auth_limit(n),
                None => Default::default(),
            },
            estate: vigil_server::site_plan::EstateView {
                store: Some(estate_store.clone()),
                plans: Arc::new(spec.resolved.plans.clone()),
                rules,
            },
        })
        .merge(sources.router)
        .merge(vigil_console::router());
        // `GET /` is the console's for browsers and Elasticsearch's version
        // object for shippers (`bulk` sources).
        let app = match sources.api_root {
            Some(root) => root.around(app),
            None => app,
        };
        let (shutdown, mut shutdown_rx) = tokio::sync::watch::channel(false);
        let https = tls.is_some();
        let http = tokio::spawn(async move {
            if let Some(config) = tls {
                return vigil_server::tls::serve(listener, app, config, shutdown_rx).await;
            }
            // The client's address is what failed logins are counted against.
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = shutdown_rx.wait_for(|stop| *stop).await;
                })
                .await
        });
        tracing::info!(%http_addr, https, "HTTP API listening");
        Ok(Node {
            store,
            estate_store,
            desk,
            pipeline,
            desk_workers,
            http_addr,
            syslog_addrs,
            tasks,
            http,
            shutdown,
            correlation,
            consumers,
        })
    }

    /// Stops accepting, lets requests in flight finish, and stops.
    pub async fn stop(self) -> anyhow::Result<()> {
        for task in &self.tasks {
            task.abort();
        }
        let _ = self.shutdown.send(true);
        // Graceful shutdown waits for every open connection, and a console's
        // live stream (server-sent events) never ends by itself: give
        // requests in flight a few seconds, then stop regardless.
        let mut http = self.http;
        match tokio::time::timeout(std::time::Duration::from_secs(5), &mut http).await {
            Ok(joined) => joined.context("HTTP server task failed")??,
            Err(_) => {
                tracing::info!("closing connections still open (live streams)");
                http.abort();
            }
        }
        if let Some(correlation) = &self.correlation {
            correlation.save().await;
        }
        if let Some(consumers) = self.consumers {
            // Each saves its partition's correlation state for the next holder.
            consumers.stop().await;
        }
        self.desk_workers.stop().await;
        if let Err(e) = self.desk.save_model().await {
            tracing::warn!(error = %e, "could not save the false-alarm model");
        }
        Ok(())
    }
}

/// How often (real time) supervision ticks and the people register is
/// checked for a new revision.
const SUPERVISION_TICK: std::time::Duration = std::time::Duration::from_secs(1);
const REGISTER_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs the desk's retention job once an hour of the node's clock (checked
/// every real minute, so an accelerated clock deletes on time too); each
/// deletion's proof goes to the audit chain.
async fn retention_task(desk: vigil_desk::service::Desk, clock: Arc<dyn Clock>) {
    let mut last = None;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        let now = clock.now();
        if last.is_some_and(|l| now - l < Duration::hours(1)) {
            continue;
        }
        last = Some(now);
        match desk.enforce_retention().await {
            Ok(done) if done.is_empty() => {}
            Ok(done) => tracing::info!(
                deleted = done.iter().map(|d| d.deleted).sum::<u64>(),
                "data past retention deleted"
            ),
            Err(e) => tracing::warn!(error = %e, "retention failed; retrying next hour"),
        }
        match desk.erase_due_visits().await {
            Ok(done) if done.is_empty() => {}
            Ok(done) => tracing::info!(
                erased = done.iter().map(|d| d.1).sum::<u64>(),
                "visitors' personal data past retention erased"
            ),
            Err(e) => tracing::warn!(error = %e, "visitor retention failed; retrying next hour"),
        }
    }
}

/// The correlation stage of a running node and where its state is saved.
struct CorrelationRun {
    stage: Arc<CorrelationStage>,
    store: Arc<dyn CorrelationStateStore>,
    clock: Arc<dyn Clock>,
}

impl CorrelationRun {
    /// Restores the saved state, installs the stage in `pipeline`, and
    /// starts the task that saves the state every `every`.
    async fn start(
        stage: Arc<CorrelationStage>,
        every: std::time::Duration,
        pipeline: &Pipeline,
        store: Arc<dyn CorrelationStateStore>,
        clock: &Arc<dyn Clock>,
    ) -> anyhow::Result<(CorrelationRun, JoinHandle<()>)> {
        match stage
            .load(store.as_ref())
            .await
            .context("cannot read the saved correlation state")?
        {
            Some(report) => tracing::info!(
                groups = report.groups,
                dropped_changed = report.dropped_changed,
                dropped_unknown = report.dropped_unknown,
                "correlation state restored"
            ),
            None => tracing::info!("no saved correlation state; starting empty"),
        }
        pipeline.set_correlations(Some(stage.clone()));
        let task = tokio::spawn(vigil_ingest::save_periodically(
            stage.clone(),
            store.clone(),
            clock.clone(),
            every.max(std::time::Duration::from_secs(1)),
        ));
        let run = CorrelationRun {
            stage,
            store,
            clock: clock.clone(),
        };
        Ok((run, task))
    }

    /// Saves the state now; a failure is logged (the node is stopping).
    async fn save(&self) {
        match self.stage.save(self.store.as_ref(), self.clock.now()).await {
            Ok(()) => tracing::info!("correlation state saved"),
            Err(e) => tracing::warn!(error = %e, "correlation state not saved"),
        }
    }
}

/// The visitor rules on the desk's clock: every five seconds the escort
/// checks whose window closed with nobody to decide them (no later event of
/// the client came) are raised, each as a `visitor` event the pipeline's
/// visitor detector turns into an alarm; every ten minutes visits the rules
/// no longer need are dropped.
async fn visitor_clock(
    live: Arc<vigil_visitors::live::VisitorsLive>,
    pipeline: Pipeline,
    clock: Arc<dyn vigil_model::Clock>,
) {
    const PRUNE_EVERY: u32 = 120;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    let mut ticks: u32 = 0;
    loop {
        tick.tick().await;
        let now = clock.now();
        for candidate in live.expire(now) {
            let fields = vigil_visitors::detector::escort_event(&candidate);
            let raw = serde_json::to_vec(&fields).unwrap_or_default();
            let binding = vigil_visitors::detector::source_binding(&candidate);
            if let Err(e) = pipeline
                .ingest(
                    &binding,
                    vigil_ingest::Payload::Records(vec![(Ok(fields), raw)]),
                )
                .await
            {
                tracing::error!(error = %e, visit = %candidate.visit, "an escort check could not be recorded");
            }
        }
        if ticks.is_multiple_of(PRUNE_EVERY) {
            live.prune(now);
        }
        ticks = ticks.wrapping_add(1);
    }
}
