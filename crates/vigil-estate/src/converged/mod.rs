//! Converged rules that Sigma cannot say, written in code: they keep
//! bounded state across events.
//!
//! - [`usual_hours`]: access to a critical zone outside that person's usual
//!   hours, or for the first time (a baseline per person and zone).
//! - [`tailgating`]: more people counted through a door than badges granted.
//!
//! [`ConvergedDetector`] runs them after another detector (the Sigma rule
//! set), behind the same [`Detector`] seam the pipeline calls; the rules'
//! detections become alerts like any rule's.

pub mod tailgating;
pub mod usual_hours;

use std::sync::{Arc, Mutex};

use vigil_detect::sigma::ast::LogSource;
use vigil_detect::{Detection, Detector, DetectorLayer, RuleMeta};
use vigil_model::{Event, Severity};

pub use tailgating::Tailgating;
pub use usual_hours::{UsualHours, UsualHoursSettings};

/// `Access to a Critical Zone for the First Time`.
pub const FIRST_ACCESS_ID: &str = "3c0f5a3e-6b1d-4c8e-9f2a-7d41e8b0c5a1";
/// `Access to a Critical Zone Outside the Person's Usual Hours`.
pub const UNUSUAL_HOURS_ID: &str = "8e2b7c14-5f3a-4d6b-a0c9-1e7f3b9d2a64";
/// `Tailgating: More People Through a Door Than Badges Granted`.
pub const TAILGATING_ID: &str = "c5d91e27-8a4b-4f0e-b3c6-29e8f1a7d053";

/// The metadata of a rule written in code.
pub fn code_rule(
    id: &str,
    title: &str,
    description: &str,
    level: Severity,
    tags: &[&str],
) -> Arc<RuleMeta> {
    Arc::new(RuleMeta {
        id: id.to_owned(),
        id_derived: false,
        name: None,
        title: title.to_owned(),
        description: description.to_owned(),
        level,
        status: None,
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        author: Some("Vigil".into()),
        date: Some("2026-11-27".into()),
        modified: None,
        references: Vec::new(),
        falsepositives: Vec::new(),
        fields: Vec::new(),
        custom_attributes: Default::default(),
        logsource: LogSource {
            product: Some("vigil".into()),
            category: Some("physical_access".into()),
            service: None,
            definition: None,
        },
        origin: format!("builtin:converged (code) {title}"),
    })
}

/// A detector and the converged rules after it.
#[derive(Debug)]
pub struct ConvergedDetector {
    inner: Arc<dyn Detector>,
    usual_hours: Mutex<UsualHours>,
    tailgating: Mutex<Tailgating>,
}

impl ConvergedDetector {
    /// `inner`'s rules, then the converged rules with `settings`.
    pub fn new(inner: Arc<dyn Detector>, settings: UsualHoursSettings) -> Self {
        Self {
            inner,
            usual_hours: Mutex::new(UsualHours::new(settings)),
            tailgating: Mutex::new(Tailgating::new(chrono::Duration::seconds(30))),
        }
    }
}

impl DetectorLayer for ConvergedDetector {
    fn inner(&self) -> &dyn Detector {
        &*self.inner
    }

    fn own_rule_count(&self) -> usize {
        3
    }

    /// Unusual hours and tailgating.
    fn detect_own(&self, event: &Event, out: &mut Vec<Detection>) {
        if event.class != vigil_model::EventClass::PhysicalAccess {
            return;
        }
        if let Some(rule) = self
            .usual_hours
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .observe(event)
        {
            out.push(Detection::of_rule(rule));
        }
        if let Some(rule) = self
            .tailgating
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .observe(event)
        {
            out.push(Detection::of_rule(rule));
        }
    }
}
