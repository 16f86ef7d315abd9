//! Building sensor readings: the plain JSON that MQTT sensors publish, the
//! event fields of a reading, and threshold rules with hysteresis.
//!
//! A threshold rule says, for a metric (and optionally a zone pattern),
//! when a value is `high` or `low`; with hysteresis, a value must come back
//! past the limit by the hysteresis band before the state returns to
//! `normal`, so a value hovering at a limit does not flap. Boolean metrics
//! (water leak, smoke) are `alarm` or `normal`. Each reading carries its
//! `state`; the reading that changes it also carries `transition` (the new
//! state), which is what alarm rules match.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;
use vigil_model::{Fields, Timestamp};

/// One threshold rule of a source (so of a site).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdRule {
    /// The metric (`temperature`, `humidity`, `water_leak`, `smoke`, `power`).
    pub metric: String,
    /// Zones it applies to: an exact zone, or a prefix ending in `*`;
    /// absent: every zone.
    #[serde(default)]
    pub zone: Option<String>,
    /// Above this the state is `high` (`alarm` for boolean metrics).
    #[serde(default)]
    pub high: Option<f64>,
    /// Below this the state is `low`.
    #[serde(default)]
    pub low: Option<f64>,
    /// How far back past a limit a value must come to be `normal` again.
    #[serde(default)]
    pub hysteresis: f64,
}

impl ThresholdRule {
    fn applies(&self, metric: &str, zone: Option<&str>) -> bool {
        self.metric == metric
            && match (&self.zone, zone) {
                (None, _) => true,
                (Some(p), Some(z)) => match p.strip_suffix('*') {
                    Some(prefix) => z.starts_with(prefix),
                    None => p == z,
                },
                (Some(_), None) => false,
            }
    }
}

/// Metrics whose readings are 0/1 (or false/true): `alarm` when set.
pub fn is_boolean_metric(metric: &str) -> bool {
    matches!(
        metric,
        "water_leak" | "leak" | "smoke" | "flood" | "door_contact" | "fault"
    )
}

/// The thresholds that hold when a source configures none: a wet leak
/// cable or smoke is always an alarm.
pub fn default_rules() -> Vec<ThresholdRule> {
    ["water_leak", "leak", "smoke", "flood"]
        .into_iter()
        .map(|metric| ThresholdRule {
            metric: metric.into(),
            zone: None,
            high: Some(0.5),
            low: None,
            hysteresis: 0.0,
        })
        .collect()
}

/// A sensor's state against its thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Within limits.
    Normal,
    /// Above the high limit.
    High,
    /// Below the low limit.
    Low,
}

/// Most (sensor, metric) pairs tracked; past it, the oldest state is
/// forgotten (the next reading starts from its own value).
pub const MAX_TRACKED: usize = 200_000;

/// Thresholds and the state of every sensor measured against them.
#[derive(Debug, Default)]
pub struct Thresholds {
    rules: Vec<ThresholdRule>,
    state: HashMap<(String, String), (Level, u64)>,
    clock: u64,
}

/// A reading's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// The state after this reading.
    pub level: Level,
    /// Whether this reading changed it.
    pub changed: bool,
}

impl Thresholds {
    /// Thresholds from `rules` (the configured ones first, then defaults).
    pub fn new(mut rules: Vec<ThresholdRule>) -> Self {
        rules.extend(default_rules());
        Self {
            rules,
            state: HashMap::new(),
            clock: 0,
        }
    }

    /// Judges `value` of `sensor`'s `metric` in `zone`; `None` when no rule
    /// applies.
    pub fn judge(
        &mut self,
        sensor: &str,
        metric: &str,
        zone: Option<&str>,
        value: f64,
    ) -> Option<Verdict> {
        let rule = self.rules.iter().find(|r| r.applies(metric, zone))?;
        let key = (sensor.to_owned(), metric.to_owned());
        self.clock += 1;
        let before = self.state.get(&key).map(|(l, _)| *l);
        let h = rule.hysteresis.abs();
        let level = match before.unwrap_or(Level::Normal) {
            Level::High if rule.high.is_some_and(|l| value > l - h) => Level::High,
            Level::Low if rule.low.is_some_and(|l| value < l + h) => Level::Low,
            _ if rule.high.is_some_and(|l| value > l) => Level::High,
            _ if rule.low.is_some_and(|l| value < l) => Level::Low,
            _ => Level::Normal,
        };
        if self.state.len() >= MAX_TRACKED && !self.state.contains_key(&key) {
            // Forget the least recently judged.
            if let Some(oldest) = self
                .state
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k.clone())
            {
                self.state.remove(&oldest);
            }
        }
        self.state.insert(key, (level, self.clock));
        Some(Verdict {
            level,
            changed: before.is_some_and(|b| b != level)
                || (before.is_none() && level != Level::Normal),
        })
    }
}

/// A sensor reading in Vigil's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The sensor's id.
    pub sensor: String,
    /// The metric.
    pub metric: String,
    /// The value as sent.
    pub value: Value,
    /// Its unit, when known.
    pub unit: Option<String>,
    /// The zone it measures.
    pub zone: Option<String>,
    /// When it was measured.
    pub at: Timestamp,
}

impl Reading {
    /// The value as a number (booleans as 0/1), when it is one.
    pub fn number(&self) -> Option<f64> {
        match &self.value {
            Value::Number(n) => n.as_f64(),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The event fields of the reading, judged against `thresholds`.
    pub fn fields(&self, thresholds: &mut Thresholds) -> Fields {
        let mut f = Fields::new();
        f.insert(
            "time".into(),
            self.at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                .into(),
        );
        f.insert("class".into(), "sensor_reading".into());
        f.insert("sensor".into(), self.sensor.clone().into());
        f.insert("metric".into(), self.metric.clone().into());
        f.insert("value".into(), self.value.clone());
        if let Some(u) = &self.unit {
            f.insert("unit".into(), u.clone().into());
        }
        if let Some(z) = &self.zone {
            f.insert("zone".into(), z.clone().into());
        }
        let verdict = self
            .number()
            .and_then(|v| thresholds.judge(&self.sensor, &self.metric, self.zone.as_deref(), v));
        if let Some(v) = verdict {
            let boolean = is_boolean_metric(&self.metric);
            let name = match (v.level, boolean) {
                (Level::Normal, _) => "normal",
                (Level::High, true) => "alarm",
                (Level::High, false) => "high",
                (Level::Low, _) => "low",
            };
            f.insert("state".into(), name.into());
            if v.changed {
                f.insert("transition".into(), name.into());
            }
            let severity = match (v.level, boolean) {
                (Level::Normal, _) => "info",
                (_, true) => "high",
                _ => "medium",
            };
            f.insert("severity".into(), severity.into());
        }
        f
    }
}

/// What was wrong with a JSON reading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReadingError(pub String);

/// Decodes a plain JSON MQTT message into readings. Two shapes:
/// - Vigil's own: `{"sensor": "t1", "metric": "temperature", "value": 23.4,
///   "unit": "C", "zone": "hall-1", "time": "…"}`;
/// - a map of metrics: `{"temperature": 23.4, "humidity": 41}` (with
///   optional `sensor`, `zone`, `time`).
///
/// The sensor defaults to the topic's last level.
pub fn decode_json(
    topic: &str,
    bytes: &[u8],
    now: Timestamp,
) -> Result<Vec<Reading>, ReadingError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ReadingError(format!(
            "not JSON: line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(map) = value else {
        return Err(ReadingError("a reading must be a JSON object".into()));
    };
    let text = |k: &str| match map.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let sensor = text("sensor")
        .or_else(|| text("device"))
        .or_else(|| {
            topic
                .rsplit('/')
                .next()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        })
        .ok_or_else(|| ReadingError("no `sensor` and no topic level to name it".into()))?;
    let at = match map.get("time").or_else(|| map.get("timestamp")) {
        Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|_| ReadingError(format!("`time` is `{s}`; expected RFC 3339")))?,
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|ms| {
                if ms > 100_000_000_000 {
                    chrono::DateTime::from_timestamp_millis(ms)
                } else {
                    chrono::DateTime::from_timestamp(ms, 0)
                }
            })
            .ok_or_else(|| ReadingError(format!("`time` {n} is out of range")))?,
        _ => now,
    };
    let zone = text("zone");
    if let Some(metric) = text("metric") {
        let value = map
            .get("value")
            .cloned()
            .ok_or_else(|| ReadingError("`metric` without `value`".into()))?;
        return Ok(vec![Reading {
            sensor,
            metric: crate::mqtt::sparkplug::metric_of(&metric),
            value,
            unit: text("unit"),
            zone,
            at,
        }]);
    }
    const NOT_METRICS: [&str; 8] = [
        "sensor",
        "device",
        "zone",
        "time",
        "timestamp",
        "unit",
        "site",
        "class",
    ];
    let readings: Vec<Reading> = map
        .iter()
        .filter(|(k, v)| !NOT_METRICS.contains(&k.as_str()) && (v.is_number() || v.is_boolean()))
        .map(|(k, v)| Reading {
            sensor: sensor.clone(),
            metric: crate::mqtt::sparkplug::metric_of(k),
            value: v.clone(),
            unit: None,
            zone: zone.clone(),
            at,
        })
        .collect();
    if readings.is_empty() {
        return Err(ReadingError("no numeric or boolean values to read".into()));
    }
    Ok(readings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn now() -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
            .unwrap()
    }

    fn temp_rule() -> ThresholdRule {
        ThresholdRule {
            metric: "temperature".into(),
            zone: Some("lon1-hall-*".into()),
            high: Some(27.0),
            low: Some(15.0),
            hysteresis: 0.5,
        }
    }

    #[test]
    fn hysteresis_keeps_a_hovering_value_from_flapping() {
        let mut t = Thresholds::new(vec![temp_rule()]);
        let zone = Some("lon1-hall-1");
        let mut judge = |v: f64| t.judge("t1", "temperature", zone, v).unwrap();
        assert_eq!(
            judge(26.9),
            Verdict {
                level: Level::Normal,
                changed: false
            }
        );
        assert_eq!(
            judge(27.1),
            Verdict {
                level: Level::High,
                changed: true
            }
        );
        // Hovering around 27: stays high, no new transitions.
        for v in [26.9, 27.2, 26.6, 27.0, 26.8] {
            assert_eq!(
                judge(v),
                Verdict {
                    level: Level::High,
                    changed: false
                },
                "{v}"
            );
        }
        assert_eq!(
            judge(26.4),
            Verdict {
                level: Level::Normal,
                changed: true
            }
        );
        assert_eq!(
            judge(26.9),
            Verdict {
                level: Level::Normal,
                changed: false
            }
        );
        assert_eq!(
            judge(14.0),
            Verdict {
                level: Level::Low,
                changed: true
            }
        );
        assert_eq!(
            judge(15.3),
            Verdict {
                level: Level::Low,
                changed: false
            }
        );
        assert_eq!(
            judge(15.6),
            Verdict {
                level: Level::Normal,
                changed: true
            }
        );
        assert_eq!(
            judge(40.0).level,
            Level::High,
            "straight from normal to high"
        );
    }

    #[test]
    fn rules_apply_by_metric_and_zone() {
        let mut t = Thresholds::new(vec![temp_rule()]);
        assert_eq!(t.judge("x", "temperature", Some("fra1-hall-1"), 40.0), None);
        assert_eq!(t.judge("x", "temperature", None, 40.0), None);
        assert_eq!(t.judge("x", "humidity", Some("lon1-hall-1"), 99.0), None);
        let leak = t.judge("l1", "water_leak", None, 1.0).unwrap();
        assert_eq!(
            leak,
            Verdict {
                level: Level::High,
                changed: true
            },
            "defaults cover leaks"
        );
    }

    #[test]
    fn readings_become_fields_with_state_and_transition() {
        let mut t = Thresholds::new(vec![temp_rule()]);
        let r = |v: f64| Reading {
            sensor: "lon1-hall-1-temp-1".into(),
            metric: "temperature".into(),
            value: v.into(),
            unit: Some("C".into()),
            zone: Some("lon1-hall-1".into()),
            at: now(),
        };
        let f = r(28.0).fields(&mut t);
        assert_eq!(
            (f["state"].as_str(), f["transition"].as_str()),
            (Some("high"), Some("high"))
        );
        assert_eq!(f["class"], "sensor_reading");
        let f = r(27.8).fields(&mut t);
        assert!(f.get("transition").is_none());
        let leak = Reading {
            sensor: "l".into(),
            metric: "water_leak".into(),
            value: true.into(),
            unit: None,
            zone: None,
            at: now(),
        };
        let f = leak.fields(&mut t);
        assert_eq!(
            (f["state"].as_str(), f["severity"].as_str()),
            (Some("alarm"), Some("high"))
        );
    }

    #[test]
    fn json_readings_in_both_shapes() {
        let one = decode_json(
            "site/lon1/sensors/t1",
            br#"{"metric": "Temperature", "value": 23.4, "unit": "C", "zone": "lon1-hall-1", "time": "2026-11-27T09:59:00Z"}"#,
            now(),
        )
        .unwrap();
        assert_eq!(one[0].sensor, "t1", "from the topic");
        assert_eq!(one[0].metric, "temperature");
        assert_eq!(one[0].at, now() - chrono::Duration::minutes(1));
        let many = decode_json(
            "x",
            br#"{"sensor": "env-3", "temperature": 21, "humidity": 40.5, "note": "hi"}"#,
            now(),
        )
        .unwrap();
        assert_eq!(many.len(), 2);
        assert!(many.iter().all(|r| r.sensor == "env-3" && r.at == now()));
        assert!(
            decode_json("x", b"[1]", now())
                .unwrap_err()
                .0
                .contains("object")
        );
        assert!(decode_json("x", b"{\"note\": \"hi\"}", now()).is_err());
        assert!(
            decode_json("x", b"{\"metric\": \"t\"}", now())
                .unwrap_err()
                .0
                .contains("without `value`")
        );
        assert!(
            decode_json("x", b"{oops", now())
                .unwrap_err()
                .0
                .contains("line 1")
        );
    }

    proptest! {
        #[test]
        fn json_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120), topic in "[a-z/]{0,20}") {
            let _ = decode_json(&topic, &bytes, now());
        }

        #[test]
        fn a_value_inside_the_band_never_changes_the_state(start in 27.01f64..30.0, wobble in proptest::collection::vec(26.51f64..30.0, 1..50)) {
            let mut t = Thresholds::new(vec![temp_rule()]);
            t.judge("s", "temperature", Some("lon1-hall-1"), start);
            for v in wobble {
                let verdict = t.judge("s", "temperature", Some("lon1-hall-1"), v).unwrap();
                prop_assert_eq!(verdict, Verdict { level: Level::High, changed: false });
            }
        }
    }
}
