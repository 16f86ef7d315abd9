//! A `[[sources]]` entry of `vigil.toml` as written, before its kind's
//! source type has checked it.

use std::net::SocketAddr;

use serde::Deserialize;
use vigil_model::{SiteId, SourceId, TenantId};

/// Looks up an environment variable (a parameter, so that tests need not
/// touch the process environment).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// What was wrong with a source's settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// One `[[sources]]` entry: the fields every source has, and the tables
/// (`[sources.dc09]`, `[sources.mqtt]` …) that its kind reads.
#[derive(Debug, Clone, Deserialize)]
pub struct SourceSection {
    /// Slug, unique across the installation.
    pub id: SourceId,
    /// The tenant every event from it belongs to.
    pub tenant: TenantId,
    /// The site every event from it belongs to.
    pub site: Option<SiteId>,
    /// Its kind (`http`, `syslog_tcp`, `dc09_udp`, …).
    pub kind: String,
    /// The product behind it (`windows`, `fortigate`, `access` …).
    pub product: String,
    /// Where it listens, for listening kinds.
    pub listen: Option<SocketAddr>,
    /// Its ingest token's SHA-256, hex, for token-bound kinds.
    pub token_sha256: Option<String>,
    /// An environment variable holding its ingest token.
    pub token_env: Option<String>,
    /// Every other key: the tables its kind reads. A key its kind does not
    /// read is refused, as an unknown field.
    #[serde(flatten)]
    pub tables: toml::Table,
}

impl SourceSection {
    /// The table `name` (`dc09` for `[sources.dc09]`), parsed, if given.
    pub fn table<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, ConfigError> {
        match self.tables.get(name) {
            None => Ok(None),
            Some(value) => value
                .clone()
                .try_into()
                .map(Some)
                .map_err(|e| ConfigError(format!("`[sources.{name}]`: {e}"))),
        }
    }
}

/// A secret given as its SHA-256 (`token_sha256`, hex) or as the name of an
/// environment variable that holds it (`token_env`), hashed; `None` when
/// neither is given. Secrets never sit in the configuration in clear.
pub fn token_secret(
    what: &str,
    sha256: Option<&str>,
    env_var: Option<&str>,
    env: Env<'_>,
) -> anyhow::Result<Option<vigil_store::TokenHash>> {
    use vigil_store::token::{hash_token, parse_token_hash};
    match (sha256, env_var) {
        (Some(_), Some(_)) => {
            anyhow::bail!("{what} gives both `token_sha256` and `token_env`; keep one")
        }
        (Some(hex_text), None) => match parse_token_hash(hex_text) {
            Some(hash) => Ok(Some(hash)),
            None => anyhow::bail!(
                "{what}: `token_sha256` must be 64 hex digits (see `vigil token new`)"
            ),
        },
        (None, Some(var)) => match env(var) {
            Some(token) if !token.trim().is_empty() => Ok(Some(hash_token(token.trim()))),
            _ => anyhow::bail!("{what}: environment variable `{var}` is not set"),
        },
        (None, None) => Ok(None),
    }
}
