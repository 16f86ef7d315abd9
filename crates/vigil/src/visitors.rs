//! Visitors in `vigil.toml`: the provider's watchlist key (`[visitors]`)
//! and each client's secret and settings (`[tenants.visitors]`), resolved
//! into the desk's [`VisitorSetup`] and the live rules' settings.
//!
//! Secrets are read from environment variables only (`*_env`), never from
//! the file, and must be at least 16 bytes.
//!
//! ```toml
//! [visitors]
//! provider_key_env = "VIGIL_VISITORS_PROVIDER_KEY"
//!
//! [[tenants]]
//! id = "northgate"
//! [tenants.visitors]
//! secret_env = "NORTHGATE_VISITORS_SECRET"
//! document_policy = "keyed_hash"        # or "not_recorded"
//! max_window_hours = 12
//! early_arrival_minutes = 30
//! escort_zones = ["server-room"]
//! exit_zones = ["car-park"]
//! ```

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, bail};
use serde::Deserialize;
use vigil_desk::visitors::{VisitorSecrets, VisitorSetup};
use vigil_model::TenantId;
use vigil_visitors::TenantSecret;
use vigil_visitors::live::{LiveSettings, TenantRules};
use vigil_visitors::visit::{DocumentPolicy, VisitSettings};

/// `[visitors]`: what is the provider's across clients.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitorsConfig {
    /// The environment variable holding the key of the provider's
    /// watchlist (absent: no provider list).
    #[serde(default)]
    pub provider_key_env: Option<String>,
}

/// `[tenants.visitors]`: one client's visitor settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantVisitorsConfig {
    /// The environment variable holding the client's secret (documents
    /// and its watchlist are keyed hashes under it). Absent: no document is
    /// kept, whatever `document_policy` says.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// `keyed_hash` (default) or `not_recorded`.
    #[serde(default)]
    pub document_policy: Option<DocumentPolicy>,
    /// The longest visit window, in hours (default 12).
    #[serde(default)]
    pub max_window_hours: Option<u32>,
    /// How early a visitor may be signed in, in minutes (default 30).
    #[serde(default)]
    pub early_arrival_minutes: Option<u32>,
    /// Zones a visitor may enter only with their host.
    #[serde(default)]
    pub escort_zones: Vec<String>,
    /// Zones that mean outside, for the roll call.
    #[serde(default)]
    pub exit_zones: Vec<String>,
}

/// The visitor configuration resolved.
#[derive(Debug, Clone, Default)]
pub struct ResolvedVisitors {
    /// The desk's secrets and settings.
    pub setup: VisitorSetup,
    /// The live rules' settings.
    pub live: LiveSettings,
}

fn secret(
    what: &str,
    var: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<TenantSecret> {
    let Some(value) = env(var) else {
        bail!("{what} names environment variable `{var}`, which is not set");
    };
    TenantSecret::new(value.into_bytes()).with_context(|| format!("{what}: the value of `{var}`"))
}

/// Resolves `[visitors]` and each client's `[tenants.visitors]`.
pub fn resolve<'a>(
    provider: Option<&VisitorsConfig>,
    tenants: impl IntoIterator<Item = (&'a TenantId, Option<&'a TenantVisitorsConfig>)>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<ResolvedVisitors> {
    let mut out = ResolvedVisitors::default();
    if let Some(var) = provider.and_then(|p| p.provider_key_env.as_deref()) {
        out.setup.secrets.provider = Some(secret("[visitors] provider_key_env", var, env)?);
    }
    let mut secrets = VisitorSecrets {
        provider: out.setup.secrets.provider.clone(),
        ..Default::default()
    };
    let mut rules = BTreeMap::new();
    for (tenant, config) in tenants {
        let Some(c) = config else { continue };
        let what = format!("[tenants.visitors] of tenant `{tenant}`");
        if let Some(var) = &c.secret_env {
            secrets.tenants.insert(
                tenant.clone(),
                secret(&format!("{what} secret_env"), var, env)?,
            );
        }
        let defaults = VisitSettings::default();
        let settings = VisitSettings {
            max_window: match c.max_window_hours {
                Some(0) => bail!("{what}: max_window_hours must be at least 1"),
                Some(h) => chrono::Duration::hours(i64::from(h)),
                None => defaults.max_window,
            },
            early_arrival: c.early_arrival_minutes.map_or(defaults.early_arrival, |m| {
                chrono::Duration::minutes(i64::from(m))
            }),
            document_policy: c.document_policy.unwrap_or(defaults.document_policy),
        };
        out.setup.settings.insert(tenant.clone(), settings);
        let zones = |list: &[String], field: &str| -> anyhow::Result<BTreeSet<String>> {
            list.iter()
                .map(|z| {
                    let z = z.trim();
                    if z.is_empty() || z.len() > 64 {
                        bail!("{what}: {field} holds an empty or overlong zone");
                    }
                    Ok(z.to_owned())
                })
                .collect()
        };
        rules.insert(
            tenant.clone(),
            TenantRules {
                escort_zones: zones(&c.escort_zones, "escort_zones")?,
                exit_zones: zones(&c.exit_zones, "exit_zones")?,
            },
        );
    }
    out.setup.secrets = secrets;
    out.live.tenants = rules;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(var: &str) -> Option<String> {
        match var {
            "NG_VISITORS" => Some("a-secret-of-enough-length".into()),
            "SHORT" => Some("short".into()),
            _ => None,
        }
    }

    #[test]
    fn secrets_come_from_the_environment_and_mistakes_are_named() {
        let ng = TenantId::new("northgate").unwrap();
        let c: TenantVisitorsConfig = toml::from_str(
            "secret_env = \"NG_VISITORS\"\ndocument_policy = \"not_recorded\"\nescort_zones = [\"vault\"]",
        )
        .unwrap();
        let r = resolve(None, [(&ng, Some(&c))], &env).unwrap();
        assert!(r.setup.secrets.tenants.contains_key(&ng));
        assert_eq!(
            r.setup.settings(&ng).document_policy,
            DocumentPolicy::NotRecorded
        );
        assert!(r.live.tenants[&ng].escort_zones.contains("vault"));

        let missing: TenantVisitorsConfig = toml::from_str("secret_env = \"NOPE\"").unwrap();
        let err = resolve(None, [(&ng, Some(&missing))], &env).unwrap_err();
        assert!(format!("{err:#}").contains("`NOPE`"), "{err:#}");
        let short = VisitorsConfig {
            provider_key_env: Some("SHORT".into()),
        };
        let err = resolve(Some(&short), [], &env).unwrap_err();
        assert!(format!("{err:#}").contains("provider_key_env"), "{err:#}");
        assert!(toml::from_str::<TenantVisitorsConfig>("secret = \"x\"").is_err());
    }
}
