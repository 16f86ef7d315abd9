//! An `mqtt` source's settings (`[sources.mqtt]`, the [`MqttSettings`]
//! themselves live with the subscriber) checked, and its password read
//! from the environment variable they name.

use super::MqttSettings;
use crate::ConfigError;

/// The MQTT password its settings name, read from the environment.
pub fn mqtt_password(
    settings: &MqttSettings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, ConfigError> {
    super::broker_address(&settings.url).map_err(|e| ConfigError(e.to_string()))?;
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
