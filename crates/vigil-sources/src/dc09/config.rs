//! A `dc09_tcp` / `dc09_udp` source's `[sources.dc09]` table, and its
//! resolution into the receiver it runs. Panel keys are read from the
//! environment variables the file names (`key_env`) or, kept private, from
//! the file (`key_hex`); no key is ever logged.

use std::collections::BTreeMap;

use chrono::Duration;
use serde::Deserialize;
use vigil_estate::supervision::TransmissionCategory;
use vigil_model::SiteId;

use super::{Dc09Receiver, PanelAccount, PanelKey, TimeWindow};
use crate::ConfigError;

/// A `dc09_tcp` / `dc09_udp` source's `[sources.dc09]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dc09Config {
    /// How far behind the receiver's clock a timestamp may be (seconds).
    #[serde(default = "default_behind")]
    pub time_behind_secs: u32,
    /// How far ahead (seconds).
    #[serde(default = "default_ahead")]
    pub time_ahead_secs: u32,
    /// The panel accounts this receiver serves.
    #[serde(default)]
    pub accounts: Vec<AccountConfig>,
}

fn default_behind() -> u32 {
    20
}
fn default_ahead() -> u32 {
    40
}

/// One panel account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// The account number as the panel sends it.
    pub account: String,
    /// The site its events belong to (else the source's).
    #[serde(default)]
    pub site: Option<SiteId>,
    /// Its device id in events (default `panel-<account>`).
    #[serde(default)]
    pub panel: Option<String>,
    /// Its EN 50136 transmission category (`SP1`–`SP6`, `DP1`–`DP4`),
    /// which sets its supervision interval.
    #[serde(default)]
    pub category: Option<String>,
    /// Its supervision interval in seconds, instead of the category's.
    #[serde(default)]
    pub supervision_secs: Option<u32>,
    /// Environment variable holding its AES key (32, 48 or 64 hex digits).
    #[serde(default)]
    pub key_env: Option<String>,
    /// Its AES key, in the file.
    #[serde(default)]
    pub key_hex: Option<String>,
    /// Panel zone number → Vigil zone.
    #[serde(default)]
    pub zones: BTreeMap<String, String>,
    /// Panel area number → Vigil zone.
    #[serde(default)]
    pub areas: BTreeMap<String, String>,
}

impl Dc09Config {
    /// The receiver these settings describe. `env` reads environment
    /// variables (a parameter so tests need not touch the environment).
    pub fn resolve(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Dc09Receiver, ConfigError> {
        let mut accounts = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for a in &self.accounts {
            let what = format!("panel account `{}`", a.account);
            if a.account.is_empty()
                || a.account.len() > crate::dc09::frame::MAX_ACCOUNT_LEN
                || !a.account.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(ConfigError(format!(
                    "{what}: an account is 1 to 16 letters or digits"
                )));
            }
            if !seen.insert(a.account.clone()) {
                return Err(ConfigError(format!("{what} is listed twice")));
            }
            let key = match (&a.key_env, &a.key_hex) {
                (Some(_), Some(_)) => {
                    return Err(ConfigError(format!(
                        "{what} gives both `key_env` and `key_hex`; keep one"
                    )));
                }
                (Some(var), None) => {
                    let text = env(var).ok_or_else(|| {
                        ConfigError(format!("{what}: environment variable `{var}` is not set"))
                    })?;
                    Some(
                        PanelKey::from_hex(&text)
                            .map_err(|e| ConfigError(format!("{what}: key in `{var}`: {e}")))?,
                    )
                }
                (None, Some(text)) => Some(
                    PanelKey::from_hex(text)
                        .map_err(|e| ConfigError(format!("{what}: `key_hex`: {e}")))?,
                ),
                (None, None) => None,
            };
            let supervision = match (a.supervision_secs, &a.category) {
                (Some(s), _) => Some(Duration::seconds(i64::from(s.max(1)))),
                (None, Some(c)) => Some(
                    c.parse::<TransmissionCategory>()
                        .map_err(|e| ConfigError(format!("{what}: {e}")))?
                        .reporting_time(),
                ),
                (None, None) => None,
            };
            let mut account = PanelAccount::new(&a.account);
            account.site = a.site.clone();
            if let Some(p) = &a.panel {
                account.panel = p.clone();
            }
            account.key = key;
            account.supervision = supervision;
            account.zones = a.zones.clone();
            account.areas = a.areas.clone();
            accounts.push(account);
        }
        Ok(Dc09Receiver::new(
            accounts,
            TimeWindow {
                behind: Duration::seconds(i64::from(self.time_behind_secs)),
                ahead: Duration::seconds(i64::from(self.time_ahead_secs)),
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(var: &str) -> Option<String> {
        (var == "KEY_1234").then(|| "000102030405060708090A0B0C0D0E0F".to_string())
    }

    #[test]
    fn dc09_settings_resolve_with_keys_from_the_environment_and_categories() {
        let config: Dc09Config = toml::from_str(
            r#"
            [[accounts]]
            account = "1234"
            site = "lon1"
            category = "SP4"
            key_env = "KEY_1234"
            zones = { "1" = "lon1-perimeter" }
            [[accounts]]
            account = "5678"
            supervision_secs = 90
            "#,
        )
        .unwrap();
        let r = config.resolve(&env).unwrap();
        let a = r.account("1234").unwrap();
        assert_eq!(a.key.as_ref().map(PanelKey::bits), Some(128));
        assert_eq!(a.supervision, Some(Duration::minutes(3)));
        assert_eq!(
            r.account("5678").unwrap().supervision,
            Some(Duration::seconds(90))
        );
        assert!(!format!("{r:?}").contains("0102030405"), "keys never show");
    }

    #[test]
    fn dc09_mistakes_are_named() {
        let err = |text: &str| {
            toml::from_str::<Dc09Config>(text)
                .unwrap()
                .resolve(&env)
                .unwrap_err()
                .0
        };
        assert!(
            err("[[accounts]]\naccount = \"1\"\nkey_env = \"NOPE\"").contains("`NOPE` is not set")
        );
        assert!(err("[[accounts]]\naccount = \"1\"\ncategory = \"SP9\"").contains("SP9"));
        assert!(err("[[accounts]]\naccount = \"1\"\nkey_hex = \"abc\"").contains("key_hex"));
        assert!(
            err("[[accounts]]\naccount = \"1\"\n[[accounts]]\naccount = \"1\"").contains("twice")
        );
        assert!(err("[[accounts]]\naccount = \"no spaces\"").contains("letters or digits"));
        assert!(toml::from_str::<Dc09Config>("nonsense = 1").is_err());
    }
}
