//! The desk's configuration: the `[desk]` table of `vigil.toml`.
//!
//! ```toml
//! [desk]
//! auto_close_threshold = 0.95     # the model closes alarms it is this sure are false
//! auto_close_min_verdicts = 200   # … once it has learned from this many verdicts
//! group_window_minutes = 30
//! sop_dirs = ["/etc/vigil/sops"]
//! signing_key = "/etc/vigil/audit-signing.key"   # default: audit-signing.key in the data folder
//! # signing_key_env = "VIGIL_AUDIT_SIGNING_KEY"   # or: the secret key (hex) in the environment
//! trusted_keys = ["/etc/vigil/audit-2025.pub"]    # earlier keys' public keys (hex or files)
//!
//! [desk.smtp]
//! host = "smtp.example.org"
//! port = 587
//! from = "vigil@provider.example"
//! starttls = true
//! username = "vigil"
//! password_env = "VIGIL_SMTP_PASSWORD"
//!
//! [[desk.clients]]
//! tenant = "northgate"
//! tier = "gold"
//! [[desk.clients.endpoints]]
//! name = "acs"
//! url = "https://acs.northgate.example/vigil"
//! secret_env = "VIGIL_NORTHGATE_ACS_SECRET"
//! actions = ["disable_badge", "lock_down_door"]
//! [desk.clients.escalation]
//! min_severity = "high"
//! [[desk.clients.escalation.levels]]
//! after_minutes = 10
//! notify = [{ name = "Shift lead", role = "shift_lead", email = "lead@provider.example" }]
//!
//! [[desk.assets]]
//! tenant = "northgate"
//! entity = "lon1-hall-a-door"
//! criticality = 5
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vigil_model::{EntityKind, TenantId};

use crate::DeskError;
use crate::alarm::Alarm;
use crate::escalation::EscalationPolicy;
use crate::response::Backoff;

/// SMTP relay for escalation e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// The relay's host.
    pub host: String,
    /// Its port.
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// The sender address.
    pub from: String,
    /// Upgrade with STARTTLS (required when credentials are given).
    #[serde(default)]
    pub starttls: bool,
    /// User name, if the relay wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// Environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
}

fn default_smtp_port() -> u16 {
    25
}

/// A client's webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Its name (actions and escalation refer to it).
    pub name: String,
    /// Its URL.
    pub url: String,
    /// Environment variable holding the HMAC secret.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// Response actions it carries (`disable_badge`, `lock_down_door`,
    /// `block_address`, `isolate_host`).
    #[serde(default)]
    pub actions: Vec<String>,
    /// The secret, resolved from `secret_env` at start-up (never written).
    #[serde(skip)]
    pub secret: Option<Vec<u8>>,
}

/// Per-client desk settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The tenant.
    pub tenant: TenantId,
    /// Contract tier (a key of `tiers`).
    #[serde(default = "default_tier")]
    pub tier: String,
    /// Webhook endpoints.
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
    /// Escalation policy.
    #[serde(default)]
    pub escalation: Option<EscalationPolicy>,
}

fn default_tier() -> String {
    "silver".into()
}

/// How critical an asset or zone is (1–5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criticality {
    /// The tenant.
    pub tenant: TenantId,
    /// The asset (entity value) or zone.
    #[serde(alias = "zone")]
    pub entity: String,
    /// 1 (low) to 5 (crown jewels).
    pub criticality: u8,
}

/// The desk's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeskConfig {
    /// Whether the model may close alarms by itself.
    pub auto_close: bool,
    /// How sure it must be.
    pub auto_close_threshold: f64,
    /// After how many verdicts it may.
    pub auto_close_min_verdicts: u64,
    /// Alarms this close in time may be related.
    pub group_window_minutes: i64,
    /// Folders of SOP files.
    pub sop_dirs: Vec<PathBuf>,
    /// Load the SOPs built into Vigil (for its own rules).
    pub builtin_sops: bool,
    /// The audit signing key file (default: in the data folder).
    pub signing_key: Option<PathBuf>,
    /// An environment variable holding the audit signing key (64 hex
    /// characters), instead of a file.
    pub signing_key_env: Option<String>,
    /// The public keys of earlier signing keys (hex, or files holding one
    /// key a line): after a rotation, the checkpoints they signed keep
    /// verifying.
    pub trusted_keys: Vec<String>,
    /// `trusted_keys` read, by [`DeskConfig::resolve`].
    #[serde(skip)]
    pub earlier_keys: Vec<[u8; 32]>,
    /// Seconds between audit checkpoints.
    pub checkpoint_interval_secs: u64,
    /// SMTP relay for e-mail.
    pub smtp: Option<SmtpConfig>,
    /// Tier weights.
    pub tiers: HashMap<String, f64>,
    /// Per-client settings.
    pub clients: Vec<ClientConfig>,
    /// Asset and zone criticality.
    pub assets: Vec<Criticality>,
    /// Retries of webhooks and e-mail.
    pub delivery_backoff: Backoff,
    /// When a supervised device counts as flapping in the service report.
    pub flapping: crate::reporting::service::FlapRule,
}

impl Default for DeskConfig {
    fn default() -> Self {
        Self {
            auto_close: true,
            auto_close_threshold: 0.95,
            auto_close_min_verdicts: 200,
            group_window_minutes: 30,
            sop_dirs: Vec::new(),
            builtin_sops: true,
            signing_key: None,
            signing_key_env: None,
            trusted_keys: Vec::new(),
            earlier_keys: Vec::new(),
            checkpoint_interval_secs: 60,
            smtp: None,
            tiers: HashMap::from([
                ("gold".into(), 1.2),
                ("silver".into(), 1.0),
                ("bronze".into(), 0.85),
            ]),
            clients: Vec::new(),
            assets: Vec::new(),
            delivery_backoff: Backoff::default(),
            flapping: Default::default(),
        }
    }
}

/// Criticality of anything not configured.
pub const DEFAULT_CRITICALITY: u8 = 3;

impl DeskConfig {
    /// Checks values and resolves secrets from the environment; errors say
    /// which client, endpoint or field.
    pub fn resolve(mut self) -> Result<Self, DeskError> {
        let bad = |reason: String| DeskError::Config {
            source_name: "[desk]".into(),
            reason,
        };
        if !(0.5..=1.0).contains(&self.auto_close_threshold) {
            return Err(bad(format!(
                "auto_close_threshold {} must be between 0.5 and 1",
                self.auto_close_threshold
            )));
        }
        if let Some(problem) = self.flapping.problem() {
            return Err(bad(problem));
        }
        for client in &mut self.clients {
            if !self.tiers.contains_key(&client.tier) {
                return Err(bad(format!(
                    "client {}: unknown tier `{}`",
                    client.tenant, client.tier
                )));
            }
            if let Some(policy) = &client.escalation {
                policy.validate(&client.tenant)?;
                for level in &policy.levels {
                    for r in &level.notify {
                        if let Some(w) = &r.webhook
                            && !client.endpoints.iter().any(|e| &e.name == w)
                        {
                            return Err(bad(format!(
                                "client {}: escalation names unknown endpoint `{w}`",
                                client.tenant
                            )));
                        }
                    }
                }
            }
            for e in &mut client.endpoints {
                if let Some(var) = &e.secret_env {
                    let secret = std::env::var(var).map_err(|_| {
                        bad(format!(
                            "client {} endpoint {}: environment variable {var} is not set",
                            client.tenant, e.name
                        ))
                    })?;
                    e.secret = Some(secret.into_bytes());
                }
            }
        }
        if self.signing_key.is_some() && self.signing_key_env.is_some() {
            return Err(bad(
                "give the audit signing key as signing_key (a file) or signing_key_env, not both"
                    .into(),
            ));
        }
        self.earlier_keys = Vec::new();
        for given in &self.trusted_keys {
            let keys = vigil_store::audit::read_public_keys(given)
                .map_err(|e| bad(format!("trusted_keys: {e}")))?;
            self.earlier_keys.extend(keys);
        }
        for a in &self.assets {
            if !(1..=5).contains(&a.criticality) {
                return Err(bad(format!(
                    "asset {} of {}: criticality must be 1 to 5",
                    a.entity, a.tenant
                )));
            }
        }
        Ok(self)
    }

    /// Where the audit signing key is read from: the environment variable,
    /// the configured file, or `audit-signing.key` in `data_dir`.
    pub fn signing_key_source(&self, data_dir: &Path) -> vigil_store::audit::SigningKeySource {
        use vigil_store::audit::{AuditSigner, SigningKeySource};
        match (&self.signing_key_env, &self.signing_key) {
            (Some(var), _) => SigningKeySource::Env(var.clone()),
            (None, Some(path)) => SigningKeySource::File(path.clone()),
            (None, None) => SigningKeySource::File(data_dir.join(AuditSigner::FILE_NAME)),
        }
    }

    /// The client's settings.
    pub fn client(&self, tenant: &TenantId) -> Option<&ClientConfig> {
        self.clients.iter().find(|c| &c.tenant == tenant)
    }

    /// The client's tier weight (1 when unconfigured).
    pub fn tier_weight(&self, tenant: &TenantId) -> f64 {
        self.client(tenant)
            .and_then(|c| self.tiers.get(&c.tier))
            .copied()
            .unwrap_or(1.0)
    }

    /// The highest criticality of the assets and zones the alarm names.
    pub fn criticality(&self, alarm: &Alarm) -> u8 {
        let mut best: Option<u8> = None;
        for a in self.assets.iter().filter(|a| a.tenant == alarm.tenant) {
            let named = alarm
                .entities
                .iter()
                .any(|e| e.value.eq_ignore_ascii_case(&a.entity))
                || alarm
                    .group_key
                    .split_once(':')
                    .is_some_and(|(_, v)| v.eq_ignore_ascii_case(&a.entity));
            if named {
                best = Some(best.map_or(a.criticality, |b| b.max(a.criticality)));
            }
        }
        best.unwrap_or(DEFAULT_CRITICALITY)
    }

    /// The endpoint that carries `action` for `tenant`.
    pub fn endpoint_for(&self, tenant: &TenantId, action: &str) -> Option<&Endpoint> {
        self.client(tenant)?
            .endpoints
            .iter()
            .find(|e| e.actions.iter().any(|a| a == action))
    }

    /// The named endpoint of `tenant`.
    pub fn endpoint(&self, tenant: &TenantId, name: &str) -> Option<&Endpoint> {
        self.client(tenant)?
            .endpoints
            .iter()
            .find(|e| e.name == name)
    }
}

/// Entity kinds whose values are looked up as assets (zones by name too).
pub const ASSET_KINDS: [EntityKind; 7] = [
    EntityKind::Host,
    EntityKind::Door,
    EntityKind::Camera,
    EntityKind::Sensor,
    EntityKind::Device,
    EntityKind::Zone,
    EntityKind::Ip,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_table_parses_and_resolves() {
        let text = r#"
auto_close_threshold = 0.9
[smtp]
host = "127.0.0.1"
from = "vigil@example.org"
[[clients]]
tenant = "northgate"
tier = "gold"
[[clients.endpoints]]
name = "acs"
url = "http://127.0.0.1:9/acs"
actions = ["disable_badge"]
[clients.escalation]
[[clients.escalation.levels]]
after_minutes = 10
notify = [{ name = "lead", role = "shift_lead", email = "lead@example.org" }, { name = "hook", role = "client_contact", webhook = "acs" }]
[[assets]]
tenant = "northgate"
entity = "door-1"
criticality = 5
"#;
        let c: DeskConfig = toml::from_str(text).unwrap();
        let c = c.resolve().unwrap();
        let n = TenantId::new("northgate").unwrap();
        assert_eq!(c.tier_weight(&n), 1.2);
        assert_eq!(c.tier_weight(&TenantId::new("x").unwrap()), 1.0);
        assert_eq!(
            c.endpoint_for(&n, "disable_badge").map(|e| e.name.as_str()),
            Some("acs")
        );
        assert!(c.endpoint_for(&n, "isolate_host").is_none());
        assert_eq!(c.smtp.as_ref().map(|s| s.port), Some(25));
    }

    #[test]
    fn mistakes_are_named() {
        let err = toml::from_str::<DeskConfig>("auto_clos = true")
            .unwrap_err()
            .to_string();
        assert!(err.contains("auto_clos"), "{err}");
        let c: DeskConfig =
            toml::from_str("[[clients]]\ntenant = \"a\"\ntier = \"platinum\"").unwrap();
        assert!(c.resolve().unwrap_err().to_string().contains("platinum"));
        let c: DeskConfig = toml::from_str(
            "[[clients]]\ntenant = \"a\"\n[[clients.endpoints]]\nname = \"x\"\nurl = \"http://x\"\nsecret_env = \"VIGIL_TEST_SURELY_UNSET_8731\"",
        )
        .unwrap();
        assert!(
            c.resolve()
                .unwrap_err()
                .to_string()
                .contains("VIGIL_TEST_SURELY_UNSET_8731")
        );
    }

    #[test]
    fn the_signing_key_comes_from_one_place_and_earlier_keys_are_read() {
        let (a, b) = (hex::encode([1u8; 32]), hex::encode([2u8; 32]));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("old.pub");
        std::fs::write(&file, format!("{b}\n")).unwrap();
        let text = format!(
            "signing_key_env = \"VIGIL_AUDIT_KEY\"\ntrusted_keys = [\"{a}\", \"{}\"]",
            file.display()
        );
        let c: DeskConfig = toml::from_str(&text).unwrap();
        let c = c.resolve().unwrap();
        assert_eq!(c.earlier_keys, vec![[1u8; 32], [2u8; 32]]);
        assert_eq!(
            c.signing_key_source(dir.path()),
            vigil_store::audit::SigningKeySource::Env("VIGIL_AUDIT_KEY".into())
        );
        let both: DeskConfig =
            toml::from_str("signing_key = \"/k\"\nsigning_key_env = \"V\"").unwrap();
        let err = both.resolve().unwrap_err().to_string();
        assert!(err.contains("not both"), "{err}");
        let bad: DeskConfig = toml::from_str("trusted_keys = [\"nope\"]").unwrap();
        let err = bad.resolve().unwrap_err().to_string();
        assert!(
            err.contains("trusted_keys") && err.contains("`nope`"),
            "{err}"
        );
    }
}
