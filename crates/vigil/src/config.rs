//! `vigil.toml`: what `vigil serve` runs.
//!
//! Secrets never sit in the file in clear: tokens are given as their SHA-256
//! (`token_sha256`, from `vigil token new`) or read from the environment
//! (`token_env`), and are hashed before they reach the store.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;
use vigil_desk::governance::{Residency, RetentionPolicy, check_reason, check_residency};
use vigil_model::{Site, SiteId, Tenant, TenantId};
use vigil_sources::{ConfiguredSource, Registry, token_secret};
use vigil_store::{ApiToken, Role};

/// The whole configuration file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the embedded database lives.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// The HTTP API's address.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Events older than this many days are deleted (0 keeps them forever;
    /// absent, 90). The older spelling of `[retention] events`; give one or
    /// the other.
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// How long each class of data is kept (`[retention]`, periods such as
    /// `"90d"` or `"forever"`), for every client without its own
    /// `[tenants.retention]`.
    #[serde(default)]
    pub retention: vigil_desk::governance::RetentionConfig,
    /// Detections of one rule about one thing within this many minutes land
    /// on one alert.
    #[serde(default = "default_alert_window_minutes")]
    pub alert_window_minutes: u32,
    /// Whether Vigil's own shipped rules are loaded.
    #[serde(default = "default_true")]
    pub builtin_rules: bool,
    /// Further Sigma rule folders.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Processing pipelines applied to every rule before it is compiled:
    /// built-in names (`windows`, `windows-nested`, `windows-4688`,
    /// `linux-auditd`, `vigil`) or paths of pySigma pipeline YAML files.
    #[serde(default)]
    pub pipelines: Vec<String>,
    /// Values for the `expand` placeholders of rules (`%name%`), by name
    /// without the `%`s: `[placeholders] known_cdcs = ["DC01", "DC02"]`.
    /// A rule naming a placeholder with no value here is not loaded.
    #[serde(default)]
    pub placeholders: std::collections::BTreeMap<String, Vec<String>>,
    /// Correlation engine limits (`[correlation]`).
    #[serde(default)]
    pub correlation: vigil_ingest::CorrelationSettings,
    /// Largest ingest request body, in bytes.
    #[serde(default = "default_max_ingest_bytes")]
    pub max_ingest_bytes: usize,
    /// Failed authentications allowed per client address and per token
    /// prefix within a minute before `429` (default 20).
    #[serde(default)]
    pub max_failed_auth_per_minute: Option<u32>,
    /// Client organisations.
    #[serde(default)]
    pub tenants: Vec<TenantConfig>,
    /// Event sources, each bound to a tenant; each kind's source type reads
    /// its own table (`vigil_sources`).
    #[serde(default)]
    pub sources: Vec<vigil_sources::SourceSection>,
    /// API tokens for people and integrations.
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
    /// The operator's desk: triage, SOPs, clients' endpoints and escalation.
    #[serde(default)]
    pub desk: vigil_desk::DeskConfig,
    /// Where the store lives (`[store]`): absent, the embedded SQLite
    /// database in `data_dir`; with `url`, a PostgreSQL database that
    /// several nodes may share.
    #[serde(default)]
    pub store: StoreConfig,
    /// HTTPS for the API and console (`[tls]`): absent, plain HTTP.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// The bus shared with other nodes (`[bus]`): absent, an in-process
    /// bus; with `url`, NATS.
    #[serde(default)]
    pub bus: crate::cluster::BusConfig,
    /// Visitors across clients (`[visitors]`: the provider watchlist's key).
    #[serde(default)]
    pub visitors: Option<crate::visitors::VisitorsConfig>,
    /// The folder the file is in: paths it names (holiday calendars) are
    /// relative to it.
    #[serde(skip)]
    pub base_dir: Option<PathBuf>,
}

/// The `[tls]` section: PEM files, relative to the configuration's folder.
/// Either file may be replaced while the node runs (a renewed certificate):
/// the next connection is served with the new one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
}

impl Config {
    /// The `[tls]` files with relative paths taken from the configuration's
    /// folder.
    pub fn tls_files(&self) -> Option<vigil_server::tls::TlsFiles> {
        let at = |p: &PathBuf| match &self.base_dir {
            Some(base) if p.is_relative() => base.join(p),
            _ => p.clone(),
        };
        self.tls.as_ref().map(|t| vigil_server::tls::TlsFiles {
            cert: at(&t.cert),
            key: at(&t.key),
        })
    }
}

/// The `[store]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// A PostgreSQL URL (`postgres://user:password@host:5432/vigil`); when
    /// absent, SQLite in the data folder.
    pub url: Option<String>,
    /// The PostgreSQL schema for Vigil's tables (created if missing);
    /// absent, the connection's default (`public`).
    pub schema: Option<String>,
    /// Where the store is (`EU/DE`): every client with a `residency` must
    /// admit it, or the configuration is refused.
    pub residency: Option<String>,
}

impl StoreConfig {
    /// Checks the section: a schema only with a URL, and a URL that is
    /// PostgreSQL's.
    pub fn check(&self) -> anyhow::Result<()> {
        match &self.url {
            None if self.schema.is_some() => {
                anyhow::bail!("[store] schema is set without a url: the schema is PostgreSQL's")
            }
            Some(url) if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) => {
                anyhow::bail!(
                    "[store] url `{}` is not a PostgreSQL URL (postgres://…)",
                    vigil_store::postgres::redact_url(url)
                )
            }
            _ => Ok(()),
        }
    }
}

/// A tenant and its sites.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// Slug.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// Its sites.
    #[serde(default)]
    pub sites: Vec<SiteConfig>,
    /// Its service contract (`[tenants.contract]`): priority classes with
    /// their targets, service calendars and the rules that class alarms
    /// and incidents; without one, the default contract applies.
    #[serde(default)]
    pub contract: Option<vigil_contract::ContractConfig>,
    /// Its NIS-2 profile (`[tenants.nis2]`), when it is a NIS-2 entity:
    /// sector, entity type, turnover, Member State, competent authority.
    #[serde(default)]
    pub nis2: Option<vigil_compliance::nis2::Nis2ProfileConfig>,
    /// How long its data is kept, class by class (`[tenants.retention]`),
    /// where it differs from `[retention]`.
    #[serde(default)]
    pub retention: Option<vigil_desk::governance::RetentionConfig>,
    /// A legal hold on everything it owns (`legal_hold = { reason = "…" }`):
    /// nothing of it is deleted while the hold is in the configuration.
    #[serde(default)]
    pub legal_hold: Option<LegalHoldConfig>,
    /// Where its data must stay (`EU`, `EU/DE`); the store's `residency`
    /// must lie within it.
    #[serde(default)]
    pub residency: Option<String>,
    /// The response schedule of its contract (`[tenants.response]`): whom
    /// to call, in order; steps required before an alarm is closed.
    #[serde(default)]
    pub response: Option<vigil_desk::procedure::ResponsePlan>,
    /// Its visitors (`[tenants.visitors]`): the secret documents are hashed
    /// under, the document policy, escort and exit zones.
    #[serde(default)]
    pub visitors: Option<crate::visitors::TenantVisitorsConfig>,
}

/// A legal hold set in configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalHoldConfig {
    /// Why (the matter or request it serves).
    pub reason: String,
}

/// A site of a tenant.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Slug, unique within the tenant.
    pub id: SiteId,
    /// Display name.
    pub name: String,
    /// IANA time zone.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// Its floor plan for the site view: size, areas (zones) and devices
    /// with optional positions (`floor_plan = { width = 1000, height = 600,
    /// areas = [...], devices = [...] }`).
    #[serde(default)]
    pub floor_plan: Option<vigil_server::site_plan::FloorPlan>,
    /// A drawing of the site (SVG or PNG, at most 2 MiB, relative to this
    /// file's folder) under the plan's devices.
    #[serde(default)]
    pub floor_plan_image: Option<PathBuf>,
}

/// An API token.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// A name for people.
    pub name: String,
    /// `provider_admin`, `provider_lead`, `provider_operator`, `client_admin`
    /// or `client_viewer`.
    pub role: String,
    /// The tenant, for client roles.
    pub tenant: Option<TenantId>,
    /// The token's SHA-256, hex.
    pub token_sha256: Option<String>,
    /// An environment variable holding the token.
    pub token_env: Option<String>,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("./vigil-data")
}
fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_alert_window_minutes() -> u32 {
    60
}
fn default_true() -> bool {
    true
}
fn default_max_ingest_bytes() -> usize {
    16 * 1024 * 1024
}
fn default_timezone() -> String {
    "UTC".into()
}

/// The configuration checked and turned into domain values.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Tenants with their sites.
    pub tenants: Vec<(Tenant, Vec<Site>)>,
    /// Sources, checked by their kinds' source types.
    pub sources: Vec<ConfiguredSource>,
    /// API tokens.
    pub tokens: Vec<ApiToken>,
    /// Floor plans of the sites that have one.
    pub plans: vigil_server::site_plan::SitePlans,
    /// The clients' service contracts (the default for those without one).
    pub contracts: vigil_contract::ContractSet,
    /// The NIS-2 profiles of the clients that are NIS-2 entities.
    pub nis2: std::collections::HashMap<TenantId, vigil_compliance::nis2::Nis2Profile>,
    /// Retention per class and client, and the clients held by configuration.
    pub retention: RetentionPolicy,
    /// Where each client with a residency must keep its data (the store
    /// admits every one of them: checked here).
    pub residency: std::collections::BTreeMap<TenantId, Residency>,
    /// The clients' response plans (`[tenants.response]`).
    pub response_plans: vigil_desk::procedure::ResponsePlans,
    /// The sites' floor-plan images.
    pub site_images: Vec<crate::site_images::SiteImageFile>,
    /// Visitors: secrets, settings and rules per client.
    pub visitors: crate::visitors::ResolvedVisitors,
}

impl Config {
    /// Reads and checks a configuration file. Errors name the file and, for
    /// syntax errors, the line and column.
    pub fn load(path: &Path) -> anyhow::Result<(Config, Resolved)> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read configuration {}", path.display()))?;
        let mut config: Config = toml::from_str(&text)
            .with_context(|| format!("configuration {} is not valid", path.display()))?;
        config.base_dir = path.parent().map(Path::to_path_buf);
        if let Some(base) = &config.base_dir {
            for source in &mut config.sources {
                vigil_sources::tls::files_relative_to(source, base);
            }
        }
        let resolved = config
            .resolve(&|var| std::env::var(var).ok())
            .with_context(|| format!("configuration {} is not valid", path.display()))?;
        Ok((config, resolved))
    }

    /// Checks cross-references and turns the file into domain values.
    /// `env` looks up environment variables (a parameter so tests need not
    /// touch the process environment).
    pub fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Resolved> {
        self.store.check()?;
        self.bus.check(self.store.url.as_deref())?;
        let mut retention = retention_defaults(self.retention_days, &self.retention)?;
        let store_residency = self
            .store
            .residency
            .as_deref()
            .map(Residency::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("[store] residency: {e}"))?;
        let mut residency = std::collections::BTreeMap::new();
        let mut tenant_ids = HashSet::new();
        let mut site_ids = HashSet::new();
        let mut tenants = Vec::new();
        let mut plans = vigil_server::site_plan::SitePlans::new();
        let mut contracts = vigil_contract::ContractSet::default();
        let mut nis2 = std::collections::HashMap::new();
        let mut response_plans = vigil_desk::procedure::ResponsePlans::new();
        let mut site_images = Vec::new();
        for t in &self.tenants {
            if !tenant_ids.insert(t.id.clone()) {
                bail!("tenant `{}` is defined twice", t.id);
            }
            if let Some(contract) = &t.contract {
                contracts.insert(
                    t.id.clone(),
                    contract.validate(t.id.as_str(), self.base_dir.as_deref())?,
                );
            }
            if let Some(profile) = &t.nis2 {
                nis2.insert(t.id.clone(), profile.validate(&t.id)?);
            }
            if let Some(plan) = &t.response {
                plan.validate(&t.id)?;
                response_plans.insert(t.id.clone(), plan.clone());
            }
            if let Some(own) = &t.retention {
                let place = format!("[tenants.retention] of tenant `{}`:", t.id);
                retention.tenants.insert(t.id.clone(), own.periods(&place)?);
            }
            if let Some(tag) = &t.residency {
                let tag = Residency::parse(tag)
                    .map_err(|e| anyhow::anyhow!("residency of tenant `{}`: {e}", t.id))?;
                residency.insert(t.id.clone(), tag);
            }
            if let Some(hold) = &t.legal_hold {
                let reason = check_reason(&hold.reason)
                    .with_context(|| format!("legal_hold of tenant `{}`", t.id))?;
                retention.config_holds.insert(t.id.clone(), reason);
            }
            let mut sites = Vec::new();
            for s in &t.sites {
                if !site_ids.insert((t.id.clone(), s.id.clone())) {
                    bail!("site `{}` is defined twice in tenant `{}`", s.id, t.id);
                }
                if let Some(plan) = &s.floor_plan {
                    plan.check()
                        .with_context(|| format!("site `{}` of tenant `{}`", s.id, t.id))?;
                    plans.insert((t.id.clone(), s.id.clone()), plan.clone());
                }
                if let Some(file) = &s.floor_plan_image {
                    let base = self.base_dir.as_deref();
                    site_images.push(crate::site_images::read(base, &t.id, &s.id, file)?);
                }
                sites.push(Site {
                    tenant: t.id.clone(),
                    id: s.id.clone(),
                    name: s.name.clone(),
                    timezone: s.timezone.clone(),
                });
            }
            tenants.push((
                Tenant {
                    id: t.id.clone(),
                    name: t.name.clone(),
                },
                sites,
            ));
        }

        check_residency(store_residency.as_ref(), &residency).map_err(anyhow::Error::msg)?;

        let registry = Registry::built_in();
        let mut source_ids = HashSet::new();
        let mut listen_addrs = HashSet::new();
        let mut sources = Vec::new();
        for s in &self.sources {
            let what = format!("source `{}`", s.id);
            if !source_ids.insert(s.id.clone()) {
                bail!("{what} is defined twice");
            }
            if !tenant_ids.contains(&s.tenant) {
                bail!("{what} names tenant `{}`, which is not defined", s.tenant);
            }
            if let Some(site) = &s.site
                && !site_ids.contains(&(s.tenant.clone(), site.clone()))
            {
                bail!(
                    "{what} names site `{site}`, which tenant `{}` does not have",
                    s.tenant
                );
            }
            let source = registry.configure(s, env)?;
            if let Some(addr) = source.listen
                && !listen_addrs.insert((source.binding.kind, addr))
            {
                bail!("{what} listens on {addr}, which another source already uses");
            }
            sources.push(source);
        }

        let mut tokens = Vec::new();
        let mut token_names = HashSet::new();
        for t in &self.tokens {
            let what = format!("token `{}`", t.name);
            if !token_names.insert(t.name.clone()) {
                bail!("{what} is defined twice");
            }
            let Some(role) = Role::parse(&t.role) else {
                bail!(
                    "{what} has role `{}`; expected provider_admin, provider_lead, provider_operator, client_admin or client_viewer",
                    t.role
                );
            };
            match (&t.tenant, role.is_provider()) {
                (None, false) => bail!("{what} has a client role and needs a `tenant`"),
                (Some(_), true) => bail!("{what} has a provider role and must not name a tenant"),
                (Some(tenant), false) if !tenant_ids.contains(tenant) => {
                    bail!("{what} names tenant `{tenant}`, which is not defined")
                }
                _ => {}
            }
            let Some(hash) = token_secret(
                &what,
                t.token_sha256.as_deref(),
                t.token_env.as_deref(),
                env,
            )?
            else {
                bail!("{what} needs `token_sha256` or `token_env`");
            };
            tokens.push(ApiToken {
                name: t.name.clone(),
                role,
                tenant: t.tenant.clone(),
                hash,
            });
        }
        let visitors = crate::visitors::resolve(
            self.visitors.as_ref(),
            self.tenants.iter().map(|t| (&t.id, t.visitors.as_ref())),
            env,
        )?;
        Ok(Resolved {
            visitors,
            tenants,
            sources,
            tokens,
            plans,
            contracts,
            nis2,
            retention,
            residency,
            response_plans,
            site_images,
        })
    }
}

/// Days of events kept when the configuration says nothing (as before
/// retention per class).
pub const DEFAULT_EVENT_RETENTION_DAYS: u32 = 90;

/// The defaults of every client: `[retention]`, with `retention_days` as
/// the events period when `[retention]` does not give one (90 days when
/// neither does). Giving both is refused: one of them would be ignored.
pub fn retention_defaults(
    retention_days: Option<u32>,
    section: &vigil_desk::governance::RetentionConfig,
) -> anyhow::Result<vigil_desk::governance::RetentionPolicy> {
    let periods = section.periods("[retention]")?;
    let events = match (
        retention_days,
        periods.get(&vigil_desk::governance::DataClass::Events),
    ) {
        (Some(_), Some(_)) => anyhow::bail!(
            "retention_days and [retention] events both say how long events are kept; keep one (events = \"90d\")"
        ),
        (Some(days), None) => (days > 0).then(|| chrono::Duration::days(i64::from(days))),
        (None, Some(period)) => *period,
        (None, None) => Some(chrono::Duration::days(i64::from(
            DEFAULT_EVENT_RETENTION_DAYS,
        ))),
    };
    let mut policy = vigil_desk::governance::RetentionPolicy::events_only(events);
    for (class, period) in periods {
        if let (Some(period), false) = (period, class == vigil_desk::governance::DataClass::Events)
        {
            policy.defaults.insert(class, period);
        }
    }
    Ok(policy)
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
