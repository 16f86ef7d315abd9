//! The estate sources' settings in `vigil.toml` (the `dc09`, `mqtt` and
//! `onvif` tables of a `[[sources]]` entry), and their resolution into the
//! values the listeners run with. Secrets — panel keys, MQTT and camera
//! passwords — are read from the environment variables the file names
//! (`key_env`, `password_env`); a panel key may also be written in the file
//! (`key_hex`), which must then be kept private. No secret is ever logged.

use std::collections::BTreeMap;

use chrono::Duration;
use serde::Deserialize;
use vigil_model::SiteId;

use crate::dc09::{Dc09Receiver, PanelAccount, PanelKey, TimeWindow};
use crate::mqtt::MqttSettings;
use crate::onvif::CameraPlace;
use crate::onvif::pullpoint::{Credentials, PullCamera, PullSettings};
use crate::supervision::TransmissionCategory;

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

/// What was wrong with an estate source's settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

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

/// An `onvif_push` / `onvif_pull` source's `[sources.onvif]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnvifConfig {
    /// The cameras.
    #[serde(default)]
    pub cameras: Vec<CameraConfig>,
    /// Supervise each camera with this interval (seconds).
    #[serde(default)]
    pub heartbeat_secs: Option<u32>,
    /// PullPoint subscription length (seconds).
    #[serde(default = "default_termination")]
    pub termination_secs: u32,
    /// How long one pull waits (seconds).
    #[serde(default = "default_pull_timeout")]
    pub pull_timeout_secs: u32,
}

fn default_termination() -> u32 {
    60
}
fn default_pull_timeout() -> u32 {
    5
}

/// One camera.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    /// Its id in events (and, for push, in its notification URL).
    pub id: String,
    /// The zone it watches.
    #[serde(default)]
    pub zone: Option<String>,
    /// The door it covers.
    #[serde(default)]
    pub covers_door: Option<String>,
    /// For pull: its event service URL.
    #[serde(default)]
    pub url: Option<String>,
    /// For pull: the user name.
    #[serde(default)]
    pub username: Option<String>,
    /// For pull: environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
}

impl CameraConfig {
    /// Where the camera is.
    pub fn place(&self) -> CameraPlace {
        CameraPlace {
            id: self.id.clone(),
            zone: self.zone.clone(),
            covers_door: self.covers_door.clone(),
        }
    }
}

impl OnvifConfig {
    /// The cameras' places, by id.
    pub fn places(&self) -> std::collections::HashMap<String, CameraPlace> {
        self.cameras
            .iter()
            .map(|c| (c.id.clone(), c.place()))
            .collect()
    }

    /// The heartbeat interval, when cameras are supervised.
    pub fn heartbeat(&self) -> Option<Duration> {
        self.heartbeat_secs
            .map(|s| Duration::seconds(i64::from(s.max(1))))
    }

    /// The cameras to pull from, with their credentials.
    pub fn pull_cameras(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<PullCamera>, ConfigError> {
        self.cameras
            .iter()
            .map(|c| {
                let what = format!("camera `{}`", c.id);
                let url = c.url.clone().ok_or_else(|| {
                    ConfigError(format!(
                        "{what} needs `url` (its event service) to be pulled from"
                    ))
                })?;
                let credentials = match (&c.username, &c.password_env) {
                    (Some(u), Some(var)) => Some(Credentials {
                        username: u.clone(),
                        password: env(var).ok_or_else(|| {
                            ConfigError(format!("{what}: environment variable `{var}` is not set"))
                        })?,
                    }),
                    (Some(u), None) => Some(Credentials {
                        username: u.clone(),
                        password: String::new(),
                    }),
                    (None, Some(_)) => {
                        return Err(ConfigError(format!(
                            "{what} gives `password_env` without `username`"
                        )));
                    }
                    (None, None) => None,
                };
                Ok(PullCamera {
                    place: c.place(),
                    url,
                    credentials,
                })
            })
            .collect()
    }

    /// The pull loop's settings.
    pub fn pull_settings(&self) -> PullSettings {
        PullSettings {
            termination: Duration::seconds(i64::from(self.termination_secs.max(10))),
            pull_timeout: Duration::seconds(i64::from(self.pull_timeout_secs.clamp(1, 60))),
            message_limit: 100,
            heartbeat: self.heartbeat(),
        }
    }
}

/// The MQTT password its settings name, read from the environment.
pub fn mqtt_password(
    settings: &MqttSettings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, ConfigError> {
    crate::mqtt::broker_address(&settings.url).map_err(|e| ConfigError(e.to_string()))?;
    if settings.topics.is_empty() {
        return Err(ConfigError(
            "an mqtt source needs `topics` to subscribe to".into(),
        ));
    }
    match &settings.password_env {
        Some(var) => env(var)
            .map(Some)
            .ok_or_else(|| ConfigError(format!("environment variable `{var}` is not set"))),
        None => Ok(None),
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

    #[test]
    fn onvif_pull_cameras_need_urls_and_read_passwords() {
        let config: OnvifConfig = toml::from_str(
            r#"
            heartbeat_secs = 300
            [[cameras]]
            id = "cam-1"
            url = "http://192.0.2.10/onvif/event_service"
            username = "vigil"
            password_env = "KEY_1234"
            "#,
        )
        .unwrap();
        let cams = config.pull_cameras(&env).unwrap();
        assert_eq!(cams[0].credentials.as_ref().unwrap().username, "vigil");
        assert_eq!(config.pull_settings().heartbeat, Some(Duration::minutes(5)));
        let no_url: OnvifConfig = toml::from_str("[[cameras]]\nid = \"c\"").unwrap();
        assert!(
            no_url
                .pull_cameras(&env)
                .unwrap_err()
                .0
                .contains("needs `url`")
        );
    }
}
