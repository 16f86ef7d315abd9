//! The source types a node knows, and the one loop that configures and
//! starts them.

use std::any::Any;
use std::collections::HashSet;
use std::fmt::Debug;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::{Context, bail};
use tokio::task::JoinHandle;
use vigil_model::{SourceBinding, SourceId, SourceKind};
use vigil_store::{DeviceRecord, PanelAccountRecord, TokenHash};

use crate::config::{Env, SourceSection, token_secret};
use crate::source::{Configured, Needs, Source, SourceContext, Started};

/// A source's settings with their type erased, so that one list holds
/// every kind's.
trait Settings: Any + Debug + Send + Sync {}
impl<T: Any + Debug + Send + Sync> Settings for T {}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A [`Source`] with its settings type erased.
trait AnySource: Send + Sync {
    fn kinds(&self) -> &'static [&'static str];
    fn tables(&self) -> &'static [&'static str];
    fn needs(&self, kind: SourceKind) -> Needs;
    fn configure(&self, section: &SourceSection, env: Env<'_>)
    -> anyhow::Result<Arc<dyn Settings>>;
    fn start<'a>(
        &'a self,
        sources: Vec<&'a ConfiguredSource>,
        context: &'a SourceContext,
    ) -> BoxFuture<'a, anyhow::Result<Started>>;
}

struct Typed<S>(S);

impl<S: Source> AnySource for Typed<S> {
    fn kinds(&self) -> &'static [&'static str] {
        self.0.kinds()
    }
    fn tables(&self) -> &'static [&'static str] {
        self.0.tables()
    }
    fn needs(&self, kind: SourceKind) -> Needs {
        self.0.needs(kind)
    }
    fn configure(
        &self,
        section: &SourceSection,
        env: Env<'_>,
    ) -> anyhow::Result<Arc<dyn Settings>> {
        Ok(Arc::new(self.0.configure(section, env)?))
    }
    fn start<'a>(
        &'a self,
        sources: Vec<&'a ConfiguredSource>,
        context: &'a SourceContext,
    ) -> BoxFuture<'a, anyhow::Result<Started>> {
        Box::pin(async move {
            let mut typed = Vec::with_capacity(sources.len());
            for s in sources {
                let settings: Arc<dyn Any + Send + Sync> = s.settings.clone();
                let Ok(settings) = settings.downcast::<S::Settings>() else {
                    bail!(
                        "source `{}` was configured by another registry",
                        s.binding.id
                    );
                };
                typed.push(Configured {
                    binding: s.binding.clone(),
                    listen: s.listen,
                    settings: (*settings).clone(),
                });
            }
            self.0.start(typed, context).await
        })
    }
}

/// A `[[sources]]` entry checked by its kind's source type: ready to
/// register in the store and to start.
#[derive(Debug, Clone)]
pub struct ConfiguredSource {
    /// The binding.
    pub binding: SourceBinding,
    /// Its ingest token's hash, for token-bound kinds.
    pub token: Option<TokenHash>,
    /// Where it listens, for listening kinds.
    pub listen: Option<SocketAddr>,
    settings: Arc<dyn Settings>,
}

impl ConfiguredSource {
    /// A source of a kind with nothing to start beside its binding (files
    /// imported with `vigil ingest`, sources built by hand in the demo).
    pub fn new(
        binding: SourceBinding,
        token: Option<TokenHash>,
        listen: Option<SocketAddr>,
    ) -> Self {
        Self {
            binding,
            token,
            listen,
            settings: Arc::new(()),
        }
    }

    /// The settings its type resolved, when they are of type `T`.
    pub fn settings<T: Any>(&self) -> Option<&T> {
        let settings: &dyn Any = self.settings.as_ref();
        settings.downcast_ref()
    }

    /// The same source with other settings (the demo builds its sources'
    /// settings itself, without a configuration file).
    pub fn with_settings<T: Any + Debug + Send + Sync>(mut self, settings: T) -> Self {
        self.settings = Arc::new(settings);
        self
    }
}

/// What every started source gave a node.
#[derive(Default)]
pub struct Running {
    /// The sources' tasks.
    pub tasks: Vec<JoinHandle<()>>,
    /// Bound addresses of every listener.
    pub addrs: Vec<(SourceId, SourceKind, SocketAddr)>,
    /// Their HTTP endpoints.
    pub router: axum::Router,
    /// The devices they know of.
    pub devices: Vec<DeviceRecord>,
    /// The alarm-panel accounts they serve.
    pub panels: Vec<PanelAccountRecord>,
    /// What answers `GET /` to API clients (Elasticsearch's shippers ask
    /// there first), to put around the node's whole router.
    pub api_root: Option<crate::bulk::ApiRoot>,
}

/// The source types a node knows.
pub struct Registry {
    types: Vec<Box<dyn AnySource>>,
}

impl Registry {
    /// A registry without types.
    pub fn empty() -> Self {
        Self { types: Vec::new() }
    }

    /// Every source type Vigil ships. Adding a protocol is one line here.
    pub fn built_in() -> Self {
        Self::empty()
            .with(crate::http::HttpSource)
            .with(crate::syslog::SyslogSource)
            .with(crate::dc09::Dc09Source)
            .with(crate::mqtt::MqttSource)
            .with(crate::onvif::OnvifSource)
            .with(crate::otlp::OtlpSource)
            .with(crate::hec::HecSource)
            .with(crate::bulk::BulkSource)
            .with(crate::relp::RelpSource)
    }

    /// Adds a source type, making its kinds known.
    ///
    /// # Panics
    /// When a kind's name is not a valid kind name, or another type already
    /// serves it: both are programming errors, found by the first test.
    pub fn with<S: Source>(mut self, source: S) -> Self {
        for name in source.kinds() {
            if let Err(e) = SourceKind::register(name) {
                panic!("{e}");
            }
            assert!(
                self.type_of(name).is_none(),
                "two source types serve `{name}`"
            );
        }
        self.types.push(Box::new(Typed(source)));
        self
    }

    fn type_of(&self, kind: &str) -> Option<&dyn AnySource> {
        self.types
            .iter()
            .find(|t| t.kinds().contains(&kind))
            .map(|t| t.as_ref())
    }

    /// Every kind, in the order the types were added.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.types.iter().flat_map(|t| t.kinds()).copied().collect()
    }

    /// Checks one `[[sources]]` entry through its kind's type. The tenant
    /// and site it names are the caller's to check.
    pub fn configure(
        &self,
        section: &SourceSection,
        env: Env<'_>,
    ) -> anyhow::Result<ConfiguredSource> {
        let what = format!("source `{}`", section.id);
        let Some((kind, source)) =
            SourceKind::known(&section.kind).and_then(|k| Some((k, self.type_of(k.as_str())?)))
        else {
            let kinds = self.kinds();
            let expected = match kinds.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                Some((last, _)) => (*last).to_owned(),
                None => "none (no source types are registered)".to_owned(),
            };
            bail!("{what} has kind `{}`; expected {expected}", section.kind);
        };
        if let Some(key) = section
            .tables
            .keys()
            .find(|k| !source.tables().contains(&k.as_str()))
        {
            let tables = source.tables();
            let hint = if tables.is_empty() {
                format!("a {kind} source takes no tables")
            } else {
                format!("a {kind} source takes `{}`", tables.join("`, `"))
            };
            bail!("{what}: unknown field `{key}` ({hint})");
        }
        let token = token_secret(
            &what,
            section.token_sha256.as_deref(),
            section.token_env.as_deref(),
            env,
        )?;
        let needs = source.needs(kind);
        if needs.token && token.is_none() {
            bail!("{what} is an {kind} source and needs `token_sha256` or `token_env`");
        }
        if needs.listen && section.listen.is_none() {
            bail!("{what} is a {kind} source and needs `listen`, e.g. \"0.0.0.0:5514\"");
        }
        if section.product.trim().is_empty() {
            bail!("{what} needs a `product`");
        }
        let settings = source
            .configure(section, env)
            .with_context(|| what.clone())?;
        Ok(ConfiguredSource {
            binding: SourceBinding {
                id: section.id.clone(),
                tenant: section.tenant.clone(),
                site: section.site.clone(),
                kind,
                product: section.product.clone(),
            },
            token,
            listen: section.listen,
            settings,
        })
    }

    /// Starts every source, type by type. Every type starts, with or
    /// without sources, so that its endpoints answer (an unknown token gets
    /// `401`, not `404`); a source whose kind no type serves (an imported
    /// file) has nothing to start.
    pub async fn start(
        &self,
        sources: &[ConfiguredSource],
        context: &SourceContext,
    ) -> anyhow::Result<Running> {
        let mut running = Running::default();
        let mut seen = HashSet::new();
        for source in &self.types {
            let mine: Vec<&ConfiguredSource> = sources
                .iter()
                .filter(|s| source.kinds().contains(&s.binding.kind.as_str()))
                .filter(|s| seen.insert(s.binding.id.clone()))
                .collect();
            let started = source.start(mine, context).await?;
            running.tasks.extend(started.tasks);
            running.addrs.extend(started.addrs);
            running.router = running.router.merge(started.router);
            running.devices.extend(started.devices);
            running.panels.extend(started.panels);
            running.api_root = running.api_root.or(started.api_root);
        }
        Ok(running)
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::built_in()
    }
}
