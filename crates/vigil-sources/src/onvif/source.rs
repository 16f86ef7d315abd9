//! `onvif_push` and `onvif_pull` sources. Both kinds share the cameras'
//! property states, so that a camera's `Initialized` resynchronisation
//! reads the same whichever way its events come.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use vigil_estate::supervision::Heard;
use vigil_model::{SourceBinding, SourceKind};
use vigil_store::DeviceRecord;

use super::config::OnvifConfig;
use super::pullpoint::{PullCamera, PullSettings};
use super::{CameraStates, OnvifPush};
use crate::config::{Env, SourceSection};
use crate::source::{Configured, Needs, Source, SourceContext, Started};

/// Sources of kinds `onvif_push` and `onvif_pull`.
#[derive(Debug, Clone, Copy)]
pub struct OnvifSource;

/// One ONVIF source's settings.
#[derive(Debug, Clone)]
pub enum OnvifSettings {
    /// Cameras pushing notifications.
    Push(OnvifConfig),
    /// Cameras to pull from.
    Pull {
        /// The cameras, with their credentials.
        cameras: Vec<PullCamera>,
        /// The loop's settings.
        settings: PullSettings,
        /// Their places (for the device register).
        config: OnvifConfig,
    },
}

impl OnvifSettings {
    /// Its cameras and their places.
    pub fn config(&self) -> &OnvifConfig {
        match self {
            OnvifSettings::Push(config) | OnvifSettings::Pull { config, .. } => config,
        }
    }

    /// The cameras with a media service, for snapshots at alarm time.
    pub fn media_cameras(&self) -> &[super::media::MediaCamera] {
        &self.config().media
    }
}

impl Source for OnvifSource {
    type Settings = OnvifSettings;

    fn kinds(&self) -> &'static [&'static str] {
        &["onvif_push", "onvif_pull"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["onvif"]
    }

    fn needs(&self, kind: SourceKind) -> Needs {
        Needs {
            listen: false,
            token: kind == SourceKind::OnvifPush,
        }
    }

    fn configure(&self, section: &SourceSection, env: Env<'_>) -> anyhow::Result<OnvifSettings> {
        let mut config = section.table::<OnvifConfig>("onvif")?;
        if let Some(c) = config.as_mut() {
            c.resolve_media(env)?;
            c.resolve_device_info(env)?;
        }
        if section.kind == SourceKind::OnvifPush.as_str() {
            return Ok(OnvifSettings::Push(config.unwrap_or(OnvifConfig {
                cameras: Vec::new(),
                heartbeat_secs: None,
                termination_secs: 60,
                pull_timeout_secs: 5,
                device_info_secs: None,
                media: Vec::new(),
                device_info: Vec::new(),
            })));
        }
        let config = config.context("needs a `[sources.onvif]` table")?;
        Ok(OnvifSettings::Pull {
            cameras: config.pull_cameras(env)?,
            settings: config.pull_settings(),
            config,
        })
    }

    async fn start(
        &self,
        sources: Vec<Configured<OnvifSettings>>,
        context: &SourceContext,
    ) -> anyhow::Result<Started> {
        let states = Arc::new(Mutex::new(CameraStates::new()));
        let mut push = OnvifPush {
            pipeline: context.pipeline.clone(),
            store: context.store.clone(),
            cameras: HashMap::new(),
            heartbeats: HashMap::new(),
            supervision: Some(context.supervision.clone()),
            states: states.clone(),
        };
        let mut started = Started::default();
        let now = context.pipeline.clock().now();
        for source in sources {
            let binding = source.binding;
            let config = source.settings.config();
            if let (Some(reports), Some(every)) =
                (&context.device_reports, config.device_info_every())
            {
                for camera in &config.device_info {
                    started.tasks.push(tokio::spawn(super::device_info::run(
                        binding.clone(),
                        camera.clone(),
                        context.pipeline.clock().clone(),
                        reports.clone(),
                        every,
                    )));
                }
            }
            match source.settings {
                OnvifSettings::Push(config) => {
                    started.devices.extend(camera_records(&binding, &config));
                    push.cameras.insert(binding.id.clone(), config.places());
                    if let Some(h) = config.heartbeat() {
                        push.heartbeats.insert(binding.id.clone(), h);
                        for c in &config.cameras {
                            context.supervision.expect(&Heard {
                                binding: binding.clone(),
                                device: c.id.clone(),
                                device_type: "camera".into(),
                                interval: h,
                                at: now,
                                armed: None,
                            });
                        }
                    }
                }
                OnvifSettings::Pull {
                    cameras,
                    settings,
                    config,
                } => {
                    started.devices.extend(camera_records(&binding, &config));
                    for camera in cameras {
                        started.tasks.push(tokio::spawn(super::pullpoint::run(
                            binding.clone(),
                            camera,
                            context.pipeline.clone(),
                            states.clone(),
                            Some(context.supervision.clone()),
                            settings,
                        )));
                    }
                }
            }
        }
        started.router = super::router(push);
        Ok(started)
    }
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
