//! Learning from verdicts: an online logistic regression that predicts how
//! likely an alarm is to be a false alarm.
//!
//! Features are the alarm's rule, tenant, site, device (its group key),
//! hour of day, severity, and crosses of the rule with device, site and
//! hour — so "this rule on this badge reader at 03:00" can be learned as
//! noise while the same rule elsewhere is not — plus the recent history of
//! verdicts on the same rule and device. Each verdict is one step of
//! stochastic gradient descent with L2 shrinkage on the weights it touches.
//! The model is small (one weight per feature seen), is kept as a desk
//! record, and its predictions feed the priority score and, above a
//! configured confidence and after enough verdicts, the auto-close.

use std::collections::HashMap;

use chrono::Timelike;
use serde::{Deserialize, Serialize};

use crate::alarm::Alarm;

/// Most features kept; past it, new features are ignored (the model's
/// memory is bounded whatever the alarm stream does).
pub const MAX_FEATURES: usize = 200_000;

/// Verdicts kept per (rule, device) for the history features.
const HISTORY_CAP: u32 = 50;

/// An online logistic regression over sparse binary features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FalseAlarmModel {
    /// Learning rate.
    pub learning_rate: f64,
    /// L2 shrinkage per update of a weight.
    pub l2: f64,
    /// Bias.
    pub bias: f64,
    /// Weights by feature.
    pub weights: HashMap<String, f64>,
    /// Verdicts learned from.
    pub updates: u64,
    /// (false alarms, true alarms) per rule and device, capped.
    pub history: HashMap<String, (u32, u32)>,
}

impl Default for FalseAlarmModel {
    fn default() -> Self {
        Self {
            learning_rate: 0.2,
            l2: 1e-4,
            bias: 0.0,
            weights: HashMap::new(),
            updates: 0,
            history: HashMap::new(),
        }
    }
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

fn history_key(alarm: &Alarm) -> String {
    format!("{}|{}|{}", alarm.tenant, alarm.rule_id, alarm.group_key)
}

impl FalseAlarmModel {
    /// The features of `alarm`.
    pub fn features(&self, alarm: &Alarm) -> Vec<String> {
        let hour = alarm.first_seen.hour();
        let band = match hour {
            0..=5 => "night",
            6..=8 => "early",
            9..=17 => "day",
            _ => "evening",
        };
        let site = alarm.site.as_ref().map_or("-", |s| s.as_str());
        let rule = &alarm.rule_id;
        let mut f = vec![
            format!("rule={rule}"),
            format!("tenant={}", alarm.tenant),
            format!("site={}/{site}", alarm.tenant),
            format!("device={}/{}", alarm.tenant, alarm.group_key),
            format!("hour={hour}"),
            format!("severity={}", alarm.severity),
            format!("rule|device={rule}|{}/{}", alarm.tenant, alarm.group_key),
            format!("rule|site={rule}|{}/{site}", alarm.tenant),
            format!("rule|band={rule}|{band}"),
            format!("rule|tenant={rule}|{}", alarm.tenant),
        ];
        let (fa, ta) = self
            .history
            .get(&history_key(alarm))
            .copied()
            .unwrap_or((0, 0));
        let seen = fa + ta;
        f.push(match seen {
            0 => "history=none".into(),
            _ => {
                let share = f64::from(fa) / f64::from(seen);
                let bucket = (share * 4.0).round() as u32;
                format!("history=fa{bucket}/4,n{}", seen.min(5))
            }
        });
        f
    }

    /// The predicted probability that an alarm with `features` is false.
    pub fn predict_features(&self, features: &[String]) -> f64 {
        let z = self.bias
            + features
                .iter()
                .filter_map(|f| self.weights.get(f))
                .sum::<f64>();
        sigmoid(z)
    }

    /// The predicted probability that `alarm` is a false alarm.
    pub fn predict(&self, alarm: &Alarm) -> f64 {
        self.predict_features(&self.features(alarm))
    }

    /// Learns from one verdict: `false_alarm` is what the analyst found.
    /// Returns the prediction before the update.
    pub fn learn(&mut self, alarm: &Alarm, false_alarm: bool) -> f64 {
        let features = self.features(alarm);
        let p = self.learn_features(&features, false_alarm);
        let entry = self.history.entry(history_key(alarm)).or_insert((0, 0));
        if false_alarm {
            entry.0 = (entry.0 + 1).min(HISTORY_CAP);
        } else {
            entry.1 = (entry.1 + 1).min(HISTORY_CAP);
        }
        p
    }

    /// One gradient step on `features` toward `false_alarm`.
    pub fn learn_features(&mut self, features: &[String], false_alarm: bool) -> f64 {
        let p = self.predict_features(features);
        let y = if false_alarm { 1.0 } else { 0.0 };
        let gradient = p - y;
        let rate = self.learning_rate;
        self.bias -= rate * gradient;
        for f in features {
            if !self.weights.contains_key(f) && self.weights.len() >= MAX_FEATURES {
                continue;
            }
            let w = self.weights.entry(f.clone()).or_insert(0.0);
            *w -= rate * (gradient + self.l2 * *w);
            *w = w.clamp(-20.0, 20.0);
        }
        self.bias = self.bias.clamp(-20.0, 20.0);
        self.updates += 1;
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn features(ids: &[u8]) -> Vec<String> {
        ids.iter().map(|i| format!("f{i}")).collect()
    }

    proptest! {
        #[test]
        fn probabilities_stay_in_range_and_move_toward_each_verdict(
            history in proptest::collection::vec((proptest::collection::vec(0u8..20, 1..6), any::<bool>()), 0..200),
            probe in proptest::collection::vec(0u8..20, 1..6),
            label in any::<bool>(),
        ) {
            let mut model = FalseAlarmModel::default();
            for (f, y) in &history {
                model.learn_features(&features(f), *y);
                let p = model.predict_features(&features(f));
                prop_assert!((0.0..=1.0).contains(&p) && p.is_finite());
            }
            let probe = features(&probe);
            let before = model.predict_features(&probe);
            model.learn_features(&probe, label);
            let after = model.predict_features(&probe);
            prop_assert!((0.0..=1.0).contains(&after));
            if label { prop_assert!(after >= before - 1e-12, "{before} -> {after}"); }
            else { prop_assert!(after <= before + 1e-12, "{before} -> {after}"); }
        }
    }

    #[test]
    fn it_learns_a_noisy_device_apart_from_a_real_one() {
        let mut model = FalseAlarmModel::default();
        let noisy = features(&[1, 2]);
        let real = features(&[1, 3]);
        for _ in 0..200 {
            model.learn_features(&noisy, true);
            model.learn_features(&real, false);
        }
        assert!(model.predict_features(&noisy) > 0.9);
        assert!(model.predict_features(&real) < 0.1);
        assert_eq!(model.updates, 400);
        let text = serde_json::to_string(&model).unwrap();
        let back: FalseAlarmModel = serde_json::from_str(&text).unwrap();
        assert_eq!(
            back.predict_features(&noisy),
            model.predict_features(&noisy)
        );
    }
}
