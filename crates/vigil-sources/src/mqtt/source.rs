//! `mqtt` sources: one subscriber per source on its broker.

use anyhow::Context;
use vigil_model::SourceKind;

use super::{MqttSettings, config::mqtt_password};
use crate::config::{Env, SourceSection};
use crate::source::{Configured, Needs, Source, SourceContext, Started};

/// Sources of kind `mqtt`.
#[derive(Debug, Clone, Copy)]
pub struct MqttSource;

/// An MQTT source's settings, with the password they name read.
#[derive(Clone)]
pub struct MqttSetup {
    /// Its settings.
    pub settings: MqttSettings,
    /// The password the settings name.
    pub password: Option<String>,
}

impl std::fmt::Debug for MqttSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password never shows.
        f.debug_struct("MqttSetup")
            .field("settings", &self.settings)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .finish()
    }
}

impl Source for MqttSource {
    type Settings = MqttSetup;

    fn kinds(&self) -> &'static [&'static str] {
        &["mqtt"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["mqtt"]
    }

    fn needs(&self, _kind: SourceKind) -> Needs {
        Needs::default()
    }

    fn configure(&self, section: &SourceSection, env: Env<'_>) -> anyhow::Result<MqttSetup> {
        let settings = section
            .table::<MqttSettings>("mqtt")?
            .context("needs a `[sources.mqtt]` table")?;
        Ok(MqttSetup {
            password: mqtt_password(&settings, env)?,
            settings,
        })
    }

    async fn start(
        &self,
        sources: Vec<Configured<MqttSetup>>,
        context: &SourceContext,
    ) -> anyhow::Result<Started> {
        let mut started = Started::default();
        for source in sources {
            let (binding, setup) = (source.binding, source.settings);
            let (pipeline, supervision) = (context.pipeline.clone(), context.supervision.clone());
            started.tasks.push(tokio::spawn(async move {
                let id = binding.id.clone();
                if let Err(e) = super::run(
                    binding,
                    setup.settings,
                    setup.password,
                    pipeline,
                    Some(supervision),
                )
                .await
                {
                    tracing::error!(source = %id, error = %e, "mqtt source stopped");
                }
            }));
        }
        Ok(started)
    }
}
