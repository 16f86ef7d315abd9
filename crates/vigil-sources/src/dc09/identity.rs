//! A panel's identity, as far as DC-09 carries one.
//!
//! A DC-09 frame names the panel only by its account (`#1234`), beside the
//! receiver and line numbers the path claims (`R…L…`). SIA DC-09 has no
//! field for make, model, serial or firmware: its extended data blocks
//! (`[X…]`, `[Y…]` location, `[V…]` verification, …) describe the event,
//! not the panel, and the SIA DC-03 and Contact ID payloads carry events
//! only. So what a panel can report is that it exists: the first accepted
//! frame of each account reports the account's panel (its device id) to
//! the inventory with no vendor, model or firmware, which adds a panel
//! nobody recorded and leaves a recorded one as it is. An unplanned
//! firmware change can therefore never be seen through DC-09.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use vigil_lifecycle::inventory::{DeviceReport, DeviceReports, ReportProtocol};
use vigil_model::SourceBinding;

use super::receiver::Accepted;

/// Reports each account's panel once per listener run.
#[derive(Clone)]
pub struct PanelIdentities {
    reports: Arc<dyn DeviceReports>,
    // Bounded by the receiver's configured accounts: frames of other
    // accounts are refused before they get here.
    reported: Arc<Mutex<HashSet<String>>>,
}

impl std::fmt::Debug for PanelIdentities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PanelIdentities").finish_non_exhaustive()
    }
}

impl PanelIdentities {
    /// Reporting to `reports`.
    pub fn new(reports: Arc<dyn DeviceReports>) -> Self {
        Self {
            reports,
            reported: Arc::default(),
        }
    }

    /// A frame of `accepted`'s account was accepted through `binding` (its
    /// site already the account's, when the account names one).
    pub fn heard(&self, binding: &SourceBinding, accepted: &Accepted) {
        let Some(site) = accepted.site.clone().or_else(|| binding.site.clone()) else {
            return;
        };
        let first = self
            .reported
            .lock()
            .map(|mut r| r.insert(accepted.account.clone()))
            .unwrap_or(false);
        if first {
            self.reports.reported(
                binding,
                DeviceReport {
                    site,
                    device: accepted.panel.clone(),
                    protocol: ReportProtocol::Dc09,
                    vendor: None,
                    model: None,
                    serial: None,
                    firmware: None,
                },
            );
        }
    }
}
