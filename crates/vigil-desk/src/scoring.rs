//! Priority: which alarm an operator should look at first.
//!
//! ```text
//! score = base(severity) × criticality × tier + related bonus, × (1 − 0.7·p_false_alarm), in 0..100
//! ```
//!
//! - base: info 10, low 25, medium 45, high 65, critical 85;
//! - criticality: the highest configured criticality (1–5, default 3) of
//!   the assets and zones the alarm names, as 0.8 + 0.1·c (0.9–1.3);
//! - tier: the client's contract tier weight (configuration; gold 1.2,
//!   silver 1.0, bronze 0.85 by default);
//! - related: 5·ln(1 + n) for n related alarms, at most 15;
//! - the model's false-alarm probability p damps the score, never to zero
//!   (a likely false alarm about a critical asset still shows).
//!
//! The score only ever rises with severity, criticality, tier and related
//! alarms, and only ever falls with p (tested as properties).

use serde::{Deserialize, Serialize};
use vigil_model::Severity;

use crate::alarm::Priority;

/// What the score is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriorityInput {
    /// The rule's severity.
    pub severity: Severity,
    /// Highest criticality of the named assets and zones, 1–5.
    pub criticality: u8,
    /// The client's tier weight.
    pub tier_weight: f64,
    /// Related alarms.
    pub related: u32,
    /// Predicted false-alarm probability, when the model has one.
    pub false_alarm: Option<f64>,
}

fn base(severity: Severity) -> f64 {
    match severity {
        Severity::Info => 10.0,
        Severity::Low => 25.0,
        Severity::Medium => 45.0,
        Severity::High => 65.0,
        Severity::Critical => 85.0,
    }
}

/// The priority for `input`.
pub fn score(input: &PriorityInput) -> Priority {
    let crit = f64::from(input.criticality.clamp(1, 5));
    let crit_factor = 0.8 + 0.1 * crit;
    let tier = if input.tier_weight.is_finite() {
        input.tier_weight.clamp(0.1, 3.0)
    } else {
        1.0
    };
    let related = (5.0 * f64::from(input.related).ln_1p()).min(15.0);
    let p = input
        .false_alarm
        .filter(|p| p.is_finite())
        .map_or(0.0, |p| p.clamp(0.0, 1.0));
    let damp = 1.0 - 0.7 * p;
    let raw = (base(input.severity) * crit_factor * tier + related) * damp;
    Priority {
        score: (raw.clamp(0.0, 100.0) * 100.0).round() / 100.0,
        factors: vec![
            ("severity".into(), base(input.severity)),
            ("criticality".into(), crit_factor),
            ("tier".into(), tier),
            ("related".into(), related),
            ("false_alarm_damping".into(), damp),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input(sev: usize, crit: u8, tier: f64, related: u32, p: f64) -> PriorityInput {
        PriorityInput {
            severity: Severity::ALL[sev],
            criticality: crit,
            tier_weight: tier,
            related,
            false_alarm: Some(p),
        }
    }

    proptest! {
        #[test]
        fn the_score_is_monotone_in_every_factor(
            sev in 0usize..4, crit in 1u8..5, tier in 0.5f64..1.5, related in 0u32..20, p in 0.0f64..0.9,
        ) {
            let s = |i: PriorityInput| score(&i).score;
            let here = s(input(sev, crit, tier, related, p));
            prop_assert!((0.0..=100.0).contains(&here));
            prop_assert!(s(input(sev + 1, crit, tier, related, p)) >= here);
            prop_assert!(s(input(sev, crit + 1, tier, related, p)) >= here);
            prop_assert!(s(input(sev, crit, tier + 0.1, related, p)) >= here);
            prop_assert!(s(input(sev, crit, tier, related + 1, p)) >= here);
            prop_assert!(s(input(sev, crit, tier, related, p + 0.1)) <= here);
        }

        #[test]
        fn any_input_scores_within_bounds(crit in any::<u8>(), tier in any::<f64>(), related in any::<u32>(), p in any::<f64>()) {
            let sc = score(&PriorityInput { severity: Severity::Critical, criticality: crit, tier_weight: tier, related, false_alarm: Some(p) }).score;
            prop_assert!((0.0..=100.0).contains(&sc));
        }
    }

    #[test]
    fn a_likely_false_alarm_still_shows() {
        let sure_fa = score(&input(4, 5, 1.2, 0, 1.0)).score;
        assert!(sure_fa > 20.0, "{sure_fa}");
        assert!(score(&input(4, 5, 1.2, 0, 0.0)).score > sure_fa);
    }
}
