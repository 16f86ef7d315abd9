//! The physical estate in the binary: the estate sources' settings from
//! `vigil.toml`, starting their listeners, subscribers and pullers on a
//! node (with device supervision and the people register kept current),
//! and `vigil estate import-people` / `import-access`.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use clap::Subcommand;
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;
use vigil_estate::access::endpoint::{AccessEndpoint, READER_DEVICE_TYPE, expect_readers};
use vigil_estate::access::live::AccessConfig;
use vigil_estate::config::{Dc09Config, OnvifConfig, mqtt_password};
use vigil_estate::dc09::{Dc09Listener, Dc09Receiver};
use vigil_estate::mqtt::MqttSettings;
use vigil_estate::onvif::pullpoint::{PullCamera, PullSettings};
use vigil_estate::onvif::{CameraStates, OnvifPush};
use vigil_estate::supervision::SupervisionHandle;
use vigil_model::{SiteId, SourceBinding, SourceId, SourceKind, SystemClock, TenantId};
use vigil_pipeline::{Payload, Pipeline, PipelineConfig};
use vigil_store::{DeviceRecord, EstateStore, LocalBus, PanelAccountRecord, Store};

use crate::config::Resolved;

/// One estate source's resolved settings.
#[derive(Debug, Clone)]
pub enum EstateSetup {
    /// A DC-09 receiver (TCP or UDP, by the source's kind).
    Dc09(Dc09Receiver),
    /// An MQTT subscriber.
    Mqtt {
        /// Its settings.
        settings: MqttSettings,
        /// The password the settings name.
        password: Option<String>,
    },
    /// Cameras pushing notifications.
    OnvifPush(OnvifConfig),
    /// An access-control source's readers and their supervision
    /// (`[sources.access]` of an `http` source).
    Access(AccessConfig),
    /// Cameras to pull from.
    OnvifPull {
        /// The cameras.
        cameras: Vec<PullCamera>,
        /// The loop's settings.
        settings: PullSettings,
        /// Their places (for the device register).
        config: OnvifConfig,
    },
}

/// Estate settings by source.
pub type EstateSetups = BTreeMap<SourceId, EstateSetup>;

/// The kinds of estate sources, as configuration names them.
pub fn kind_of(name: &str) -> Option<SourceKind> {
    Some(match name {
        "dc09_tcp" => SourceKind::Dc09Tcp,
        "dc09_udp" => SourceKind::Dc09Udp,
        "mqtt" => SourceKind::Mqtt,
        "onvif_push" => SourceKind::OnvifPush,
        "onvif_pull" => SourceKind::OnvifPull,
        _ => return None,
    })
}

/// Resolves an estate source's settings; `None` for other kinds.
pub fn resolve_source(
    kind: SourceKind,
    dc09: Option<&Dc09Config>,
    mqtt: Option<&MqttSettings>,
    onvif: Option<&OnvifConfig>,
    access: Option<&AccessConfig>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<EstateSetup>> {
    if let Some(access) = access {
        if kind != SourceKind::Http || dc09.is_some() || mqtt.is_some() || onvif.is_some() {
            bail!("only an http source (of product `access`) takes an `[sources.access]` table");
        }
        access.validate()?;
        return Ok(Some(EstateSetup::Access(access.clone())));
    }
    let none_given = |table: &str| format!("needs a `[sources.{table}]` table");
    Ok(Some(match kind {
        SourceKind::Dc09Tcp | SourceKind::Dc09Udp => {
            let config = dc09.with_context(|| none_given("dc09"))?;
            EstateSetup::Dc09(config.resolve(env)?)
        }
        SourceKind::Mqtt => {
            let settings = mqtt.with_context(|| none_given("mqtt"))?;
            EstateSetup::Mqtt {
                password: mqtt_password(settings, env)?,
                settings: settings.clone(),
            }
        }
        SourceKind::OnvifPush => EstateSetup::OnvifPush(onvif.cloned().unwrap_or(OnvifConfig {
            cameras: Vec::new(),
            heartbeat_secs: None,
            termination_secs: 60,
            pull_timeout_secs: 5,
        })),
        SourceKind::OnvifPull => {
            let config = onvif.with_context(|| none_given("onvif"))?;
            EstateSetup::OnvifPull {
                cameras: config.pull_cameras(env)?,
                settings: config.pull_settings(),
                config: config.clone(),
            }
        }
        _ => {
            if dc09.is_some() || mqtt.is_some() || onvif.is_some() {
                bail!("only dc09_*, mqtt and onvif_* sources take dc09, mqtt or onvif settings");
            }
            return Ok(None);
        }
    }))
}

/// What the estate runs on a node.
pub struct EstateRuntime {
    /// Its tasks (listeners, subscribers, pullers, supervision, register).
    pub tasks: Vec<JoinHandle<()>>,
    /// Bound addresses of its listeners.
    pub addrs: Vec<(SourceId, SourceKind, SocketAddr)>,
    /// The ONVIF push endpoint, to merge into the HTTP router.
    pub router: axum::Router,
}

/// How often (real time) supervision ticks and the register is checked.
const SUPERVISION_TICK: std::time::Duration = std::time::Duration::from_secs(1);
const REGISTER_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// Starts the estate's sources on a node.
pub async fn start(
    resolved: &Resolved,
    pipeline: &Pipeline,
    store: Arc<dyn Store>,
    estate_store: Arc<dyn EstateStore>,
) -> anyhow::Result<EstateRuntime> {
    let supervision = SupervisionHandle::new();
    let states = Arc::new(Mutex::new(CameraStates::new()));
    let mut tasks = Vec::new();
    let mut addrs = Vec::new();
    let mut push = OnvifPush {
        pipeline: pipeline.clone(),
        store,
        cameras: HashMap::new(),
        heartbeats: HashMap::new(),
        supervision: Some(supervision.clone()),
        states: states.clone(),
    };
    let mut access = AccessEndpoint {
        pipeline: pipeline.clone(),
        store: push.store.clone(),
        sources: HashMap::new(),
        supervision: Some(supervision.clone()),
    };
    let mut bindings = Vec::new();
    let mut panels = Vec::new();
    let mut devices = Vec::new();
    for source in &resolved.sources {
        let Some(setup) = resolved.estate.get(&source.binding.id) else {
            continue;
        };
        let binding = source.binding.clone();
        bindings.push(binding.clone());
        match setup {
            EstateSetup::Dc09(receiver) => {
                let Some(addr) = source.listen else {
                    bail!("source `{}` needs `listen`", binding.id);
                };
                for a in receiver.accounts() {
                    panels.push(PanelAccountRecord {
                        tenant: binding.tenant.clone(),
                        source: binding.id.clone(),
                        account: a.account.clone(),
                        site: a.site.clone().or(binding.site.clone()),
                        panel: a.panel.clone(),
                        category: None,
                        encrypted: a.key.is_some(),
                    });
                }
                let listener = Dc09Listener::new(
                    receiver.clone(),
                    binding.clone(),
                    pipeline.clone(),
                    Some(supervision.clone()),
                );
                let bound = if binding.kind == SourceKind::Dc09Udp {
                    let socket = UdpSocket::bind(addr).await.with_context(|| {
                        format!("source `{}` cannot listen on udp {addr}", binding.id)
                    })?;
                    let bound = socket.local_addr()?;
                    tasks.push(tokio::spawn(vigil_estate::dc09::serve_udp(
                        socket, listener,
                    )));
                    bound
                } else {
                    let tcp = TcpListener::bind(addr).await.with_context(|| {
                        format!("source `{}` cannot listen on tcp {addr}", binding.id)
                    })?;
                    let bound = tcp.local_addr()?;
                    tasks.push(tokio::spawn(vigil_estate::dc09::serve_tcp(tcp, listener)));
                    bound
                };
                tracing::info!(source = %binding.id, kind = binding.kind.as_str(), %bound, "DC-09 receiver");
                addrs.push((binding.id.clone(), binding.kind, bound));
            }
            EstateSetup::Mqtt { settings, password } => {
                let (settings, password, pipeline, supervision) = (
                    settings.clone(),
                    password.clone(),
                    pipeline.clone(),
                    supervision.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    let id = binding.id.clone();
                    if let Err(e) = vigil_estate::mqtt::run(
                        binding,
                        settings,
                        password,
                        pipeline,
                        Some(supervision),
                    )
                    .await
                    {
                        tracing::error!(source = %id, error = %e, "mqtt source stopped");
                    }
                }));
            }
            EstateSetup::OnvifPush(config) => {
                devices.extend(camera_records(&binding, config));
                push.cameras.insert(binding.id.clone(), config.places());
                if let Some(h) = config.heartbeat() {
                    push.heartbeats.insert(binding.id.clone(), h);
                    for c in &config.cameras {
                        supervision.expect(&vigil_estate::supervision::Heard {
                            binding: binding.clone(),
                            device: c.id.clone(),
                            device_type: "camera".into(),
                            interval: h,
                            at: pipeline.clock().now(),
                            armed: None,
                        });
                    }
                }
            }
            EstateSetup::Access(config) => {
                expect_readers(&supervision, &binding, config, pipeline.clock().now());
                devices.extend(reader_records(&binding, config));
                access.sources.insert(binding.id.clone(), config.clone());
            }
            EstateSetup::OnvifPull {
                cameras,
                settings,
                config,
            } => {
                devices.extend(camera_records(&binding, config));
                for camera in cameras {
                    tasks.push(tokio::spawn(vigil_estate::onvif::pullpoint::run(
                        binding.clone(),
                        camera.clone(),
                        pipeline.clone(),
                        states.clone(),
                        Some(supervision.clone()),
                        *settings,
                    )));
                }
            }
        }
    }
    if !panels.is_empty() {
        estate_store.upsert_panel_accounts(&panels).await?;
    }
    if !devices.is_empty() {
        estate_store.upsert_devices(&devices).await?;
    }
    tasks.push(tokio::spawn(vigil_estate::supervision::run(
        supervision,
        pipeline.clone(),
        Some(estate_store.clone()),
        bindings,
        SUPERVISION_TICK,
    )));
    tasks.push(tokio::spawn(
        vigil_estate::people_import::keep_register_current(
            pipeline.clone(),
            estate_store,
            REGISTER_CHECK,
        ),
    ));
    Ok(EstateRuntime {
        tasks,
        addrs,
        router: vigil_estate::onvif::router(push)
            .merge(vigil_estate::access::endpoint::router(access)),
    })
}

fn reader_records(binding: &SourceBinding, config: &AccessConfig) -> Vec<DeviceRecord> {
    config
        .readers
        .iter()
        .map(|r| DeviceRecord {
            tenant: binding.tenant.clone(),
            id: r.id.clone(),
            site: binding.site.clone(),
            kind: READER_DEVICE_TYPE.into(),
            zone: r.zone.clone(),
            name: r.name.clone(),
            covers_door: None,
            heartbeat_secs: config.interval_of(&r.id).map(|d| d.num_seconds()),
        })
        .collect()
}

fn camera_records(binding: &SourceBinding, config: &OnvifConfig) -> Vec<DeviceRecord> {
    config
        .cameras
        .iter()
        .map(|c| DeviceRecord {
            tenant: binding.tenant.clone(),
            id: c.id.clone(),
            site: binding.site.clone(),
            kind: "camera".into(),
            zone: c.zone.clone(),
            name: None,
            covers_door: c.covers_door.clone(),
            heartbeat_secs: config.heartbeat_secs.map(i64::from),
        })
        .collect()
}

/// `vigil estate …`
#[derive(Debug, Subcommand)]
pub enum EstateCommand {
    /// Replace a tenant's people register with an HR export (CSV or JSON):
    /// people, status (active, on leave, terminated, with dates), badges,
    /// IT accounts.
    ImportPeople {
        /// The export.
        file: PathBuf,
        /// The tenant it describes.
        #[arg(long)]
        tenant: TenantId,
        /// Data folder of the embedded store.
        #[arg(long, default_value = "./vigil-data")]
        data: PathBuf,
    },
    /// Import an access-control system's CSV export as events.
    ImportAccess {
        /// The export.
        file: PathBuf,
        /// The tenant it belongs to.
        #[arg(long)]
        tenant: TenantId,
        /// The site it belongs to.
        #[arg(long)]
        site: Option<SiteId>,
        /// The source to record it under (default `access-import-<tenant>`).
        #[arg(long)]
        source: Option<SourceId>,
        /// Data folder of the embedded store.
        #[arg(long, default_value = "./vigil-data")]
        data: PathBuf,
    },
}

/// Runs `vigil estate …`.
pub async fn run(command: EstateCommand) -> anyhow::Result<()> {
    match command {
        EstateCommand::ImportPeople { file, tenant, data } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let people = vigil_estate::people_import::parse(&tenant, &text)
                .with_context(|| format!("{} is not a people export", file.display()))?;
            let store = crate::node::open_sqlite(&data)?;
            ensure_tenant(store.as_ref(), &tenant).await?;
            let import = store.replace_people(&tenant, &people).await?;
            println!(
                "tenant {tenant}: {} people, {} badges, {} accounts (register revision {}); a running server picks it up within seconds",
                import.people, import.badges, import.accounts, import.revision
            );
            Ok(())
        }
        EstateCommand::ImportAccess {
            file,
            tenant,
            site,
            source,
            data,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let rows = vigil_estate::access::parse_csv(&text)
                .with_context(|| format!("{} is not an access-control export", file.display()))?;
            let sqlite = crate::node::open_sqlite(&data)?;
            ensure_tenant(sqlite.as_ref(), &tenant).await?;
            let id = match source {
                Some(id) => id,
                None => SourceId::new(&format!("access-import-{tenant}"))
                    .context("cannot name the import source; pass --source")?,
            };
            let binding = SourceBinding {
                id,
                tenant: tenant.clone(),
                site,
                kind: SourceKind::File,
                product: "access".into(),
            };
            sqlite.upsert_source(&binding, None).await?;
            let people = sqlite
                .people(&vigil_store::TenantScope::One(tenant))
                .await?;
            let detector = crate::rules::load_for_serving(true, &[])?;
            let store: Arc<dyn Store> = sqlite;
            let pipeline = Pipeline::new(
                store,
                Arc::new(LocalBus::new(16)),
                Arc::new(SystemClock),
                detector,
                PipelineConfig::default(),
            );
            pipeline.set_people(Arc::new(vigil_pipeline::PeopleRegister::new(people)));
            let mut stored = 0;
            let mut refused = Vec::new();
            for chunk in rows.chunks(2_000) {
                let outcome = pipeline
                    .ingest(&binding, Payload::Records(chunk.to_vec()))
                    .await?;
                stored += outcome.accepted;
                refused.extend(outcome.rejected);
            }
            println!(
                "{}: {stored} events stored, {} rows refused",
                file.display(),
                refused.len()
            );
            for r in chunk_reasons(&rows) {
                println!("  refused: {r}");
            }
            Ok(())
        }
    }
}

fn chunk_reasons(rows: &[vigil_estate::access::ImportedRow]) -> Vec<String> {
    rows.iter()
        .filter_map(|(r, _)| r.as_ref().err().cloned())
        .take(10)
        .collect()
}

async fn ensure_tenant(store: &dyn Store, tenant: &TenantId) -> anyhow::Result<()> {
    if store
        .tenants(&vigil_store::TenantScope::One(tenant.clone()))
        .await?
        .is_empty()
    {
        store
            .upsert_tenant(&vigil_model::Tenant {
                id: tenant.clone(),
                name: tenant.to_string(),
            })
            .await?;
        eprintln!("tenant `{tenant}` did not exist; created it");
    }
    Ok(())
}
