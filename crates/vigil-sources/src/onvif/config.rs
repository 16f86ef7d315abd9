//! An `onvif_push` / `onvif_pull` source's `[sources.onvif]` table: the
//! cameras, their places and, for pull, their event services and
//! credentials (passwords from the environment variables the file names).

use chrono::Duration;
use serde::Deserialize;

use super::CameraPlace;
use super::device_info::{DeviceInfoCamera, device_service_of};
use super::pullpoint::{Credentials, PullCamera, PullSettings};
use crate::ConfigError;

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
    /// How often each camera with a device service is asked what it is
    /// (`GetDeviceInformation`, seconds; daily by default, `0`: never).
    #[serde(default)]
    pub device_info_secs: Option<u32>,
    /// The cameras with a media service, credentials resolved (filled in
    /// when the source is configured).
    #[serde(skip)]
    pub media: Vec<super::media::MediaCamera>,
    /// The cameras with a device service, credentials resolved (filled in
    /// when the source is configured).
    #[serde(skip)]
    pub device_info: Vec<DeviceInfoCamera>,
}

fn default_termination() -> u32 {
    60
}
fn default_pull_timeout() -> u32 {
    5
}

/// A day: how often a camera is asked what it is, unless configured.
const DEFAULT_DEVICE_INFO_SECS: u32 = 86_400;

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
    /// Its media service URL: a snapshot is taken through it when an alarm
    /// names the camera or the door it covers (with `username` and
    /// `password_env`).
    #[serde(default)]
    pub media_url: Option<String>,
    /// The VMS's recording of the camera at a time, `{camera}` and `{time}`
    /// filled in (`https://vms.example/play?camera={camera}&at={time}`).
    #[serde(default)]
    pub recording_url: Option<String>,
    /// Its device service URL, asked `GetDeviceInformation` (by default
    /// `/onvif/device_service` on the host of `url` or `media_url`).
    #[serde(default)]
    pub device_url: Option<String>,
}

impl CameraConfig {
    /// Its credentials, the password read from the environment.
    pub fn credentials(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Credentials>, ConfigError> {
        let what = format!("camera `{}`", self.id);
        Ok(match (&self.username, &self.password_env) {
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
        })
    }

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

    /// Resolves the cameras with a media service into [`OnvifConfig::media`].
    pub fn resolve_media(
        &mut self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let mut media = Vec::new();
        for c in &self.cameras {
            if let Some(url) = &c.media_url {
                media.push(super::media::MediaCamera {
                    id: c.id.clone(),
                    media_url: url.clone(),
                    credentials: c.credentials(env)?,
                    covers_door: c.covers_door.clone(),
                    recording_url: c.recording_url.clone(),
                });
            } else if c.recording_url.is_some() && c.url.is_none() {
                return Err(ConfigError(format!(
                    "camera `{}` gives `recording_url` without `media_url`",
                    c.id
                )));
            }
        }
        self.media = media;
        Ok(())
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
                let credentials = c.credentials(env)?;
                Ok(PullCamera {
                    place: c.place(),
                    url,
                    credentials,
                })
            })
            .collect()
    }

    /// How often cameras are asked what they are; `None`: never.
    pub fn device_info_every(&self) -> Option<std::time::Duration> {
        match self.device_info_secs.unwrap_or(DEFAULT_DEVICE_INFO_SECS) {
            0 => None,
            s => Some(std::time::Duration::from_secs(u64::from(s))),
        }
    }

    /// Resolves the cameras whose device service is known (given, or on
    /// the host of their event or media service) into
    /// [`OnvifConfig::device_info`].
    pub fn resolve_device_info(
        &mut self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        self.device_info = self.device_info_cameras(env)?;
        Ok(())
    }

    fn device_info_cameras(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<DeviceInfoCamera>, ConfigError> {
        let mut out = Vec::new();
        for c in &self.cameras {
            let url = match &c.device_url {
                Some(u) => Some(device_service_of(u).map(|_| u.clone()).ok_or_else(|| {
                    ConfigError(format!(
                        "camera `{}`: `device_url` `{u}` is not an http(s) URL",
                        c.id
                    ))
                })?),
                None => c
                    .url
                    .as_deref()
                    .or(c.media_url.as_deref())
                    .and_then(device_service_of),
            };
            if let Some(url) = url {
                out.push(DeviceInfoCamera {
                    id: c.id.clone(),
                    url,
                    credentials: c.credentials(env)?,
                });
            }
        }
        Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(var: &str) -> Option<String> {
        (var == "KEY_1234").then(|| "000102030405060708090A0B0C0D0E0F".to_string())
    }

    #[test]
    fn media_cameras_are_resolved_with_their_credentials() {
        let mut config: OnvifConfig = toml::from_str(
            r#"
            [[cameras]]
            id = "cam-1"
            covers_door = "D-1"
            media_url = "http://192.0.2.10/onvif/media_service"
            username = "vigil"
            password_env = "KEY_1234"
            recording_url = "https://vms.example/play?c={camera}&t={time}"
            [[cameras]]
            id = "cam-2"
            "#,
        )
        .unwrap();
        config.resolve_media(&env).unwrap();
        assert_eq!(config.media.len(), 1);
        let cam = &config.media[0];
        assert_eq!(cam.covers_door.as_deref(), Some("D-1"));
        assert_eq!(cam.credentials.as_ref().unwrap().password.len(), 32);
        let mut orphan: OnvifConfig =
            toml::from_str("[[cameras]]\nid = \"c\"\nrecording_url = \"https://x\"").unwrap();
        assert!(
            orphan
                .resolve_media(&env)
                .unwrap_err()
                .0
                .contains("without `media_url`")
        );
        let mut no_env: OnvifConfig = toml::from_str(
            "[[cameras]]\nid = \"c\"\nmedia_url = \"http://x\"\nusername = \"u\"\npassword_env = \"NOPE\"",
        )
        .unwrap();
        assert!(no_env.resolve_media(&env).unwrap_err().0.contains("NOPE"));
    }

    #[test]
    fn cameras_are_asked_what_they_are_on_their_device_service() {
        let config: OnvifConfig = toml::from_str(
            r#"
            device_info_secs = 3600
            [[cameras]]
            id = "cam-1"
            url = "http://192.0.2.10/onvif/event_service"
            username = "vigil"
            password_env = "KEY_1234"
            [[cameras]]
            id = "cam-2"
            media_url = "http://192.0.2.11:8000/onvif/media_service"
            [[cameras]]
            id = "cam-3"
            device_url = "http://192.0.2.12/dev"
            [[cameras]]
            id = "cam-4"
            "#,
        )
        .unwrap();
        let cams = config.device_info_cameras(&env).unwrap();
        let urls: Vec<(&str, &str)> = cams
            .iter()
            .map(|c| (c.id.as_str(), c.url.as_str()))
            .collect();
        assert_eq!(
            urls,
            [
                ("cam-1", "http://192.0.2.10/onvif/device_service"),
                ("cam-2", "http://192.0.2.11:8000/onvif/device_service"),
                ("cam-3", "http://192.0.2.12/dev"),
            ]
        );
        assert!(cams[0].credentials.is_some());
        assert_eq!(
            config.device_info_every(),
            Some(std::time::Duration::from_secs(3600))
        );
        let never: OnvifConfig = toml::from_str("device_info_secs = 0").unwrap();
        assert_eq!(never.device_info_every(), None);
        let daily: OnvifConfig = toml::from_str("").unwrap();
        assert_eq!(
            daily.device_info_every(),
            Some(std::time::Duration::from_secs(86_400))
        );
        let bad: OnvifConfig =
            toml::from_str("[[cameras]]\nid = \"c\"\ndevice_url = \"ftp://x\"").unwrap();
        assert!(
            bad.device_info_cameras(&env)
                .unwrap_err()
                .0
                .contains("device_url")
        );
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
