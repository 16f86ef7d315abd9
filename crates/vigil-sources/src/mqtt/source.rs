//! `mqtt` sources: one subscriber per source on its broker (over TLS for
//! an `mqtts://` broker, with `[sources.tls]`).

use std::sync::Arc;

use anyhow::Context;
use vigil_model::SourceKind;

use super::{MqttSettings, config::mqtt_password};
use crate::config::{Env, SourceSection};
use crate::source::{Configured, Needs, Source, SourceContext, Started};
use crate::tls::TlsSettings;

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
    /// TLS to an `mqtts://` broker, from `[sources.tls]` (`None`: the
    /// platform's authorities, no client certificate).
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for MqttSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password never shows.
        f.debug_struct("MqttSetup")
            .field("settings", &self.settings)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl Source for MqttSource {
    type Settings = MqttSetup;

    fn kinds(&self) -> &'static [&'static str] {
        &["mqtt"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["mqtt", crate::tls::TABLE]
    }

    fn needs(&self, _kind: SourceKind) -> Needs {
        Needs::default()
    }

    fn configure(&self, section: &SourceSection, env: Env<'_>) -> anyhow::Result<MqttSetup> {
        let settings = section
            .table::<MqttSettings>("mqtt")?
            .context("needs a `[sources.mqtt]` table")?;
        let password = mqtt_password(&settings, env)?;
        let tls = match TlsSettings::of(section)? {
            None => None,
            Some(_) if !super::broker(&settings.url)?.tls => anyhow::bail!(
                "`[sources.tls]` is for a broker reached over TLS: make the URL mqtts://"
            ),
            Some(tls) => Some(tls.client()?),
        };
        Ok(MqttSetup {
            password,
            settings,
            tls,
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
            let reports = context.device_reports.clone();
            started.tasks.push(tokio::spawn(async move {
                let id = binding.id.clone();
                if let Err(e) = super::run_with_tls(
                    binding,
                    setup.settings,
                    setup.password,
                    setup.tls,
                    pipeline,
                    Some(supervision),
                    reports,
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
