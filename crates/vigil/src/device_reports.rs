//! The node's side of the sources' device-report seam: what devices say
//! about themselves (ONVIF `GetDeviceInformation`, Sparkplug births, DC-09
//! panel identity) goes to `Desk::device_reported`, which updates the
//! inventory and raises the unplanned-firmware-change alarm.
//!
//! Sources call on their receive path, so reports are queued (bounded) and
//! one task hands them to the desk in order; a report that finds the queue
//! full is dropped and logged — the device reports again on its next birth,
//! connection or scheduled call.

use std::sync::Arc;

use tokio::sync::mpsc;
use vigil_desk::Actor;
use vigil_desk::service::Desk;
use vigil_lifecycle::inventory::{DeviceReport, DeviceReports};
use vigil_model::{SourceBinding, SourceRef};

/// Reports waiting for the desk at most.
const QUEUE: usize = 1024;

/// Reports queued for the desk.
#[derive(Debug, Clone)]
pub struct DeskDeviceReports {
    queue: mpsc::Sender<(SourceBinding, DeviceReport)>,
}

impl DeviceReports for DeskDeviceReports {
    fn reported(&self, binding: &SourceBinding, report: DeviceReport) {
        if let Err(e) = self.queue.try_send((binding.clone(), report)) {
            tracing::warn!(source = %binding.id, error = %e, "device report dropped");
        }
    }
}

/// The seam for the sources, and the task that hands reports to `desk`.
pub fn start(desk: Desk) -> (Arc<dyn DeviceReports>, tokio::task::JoinHandle<()>) {
    let (queue, rx) = mpsc::channel(QUEUE);
    let task = tokio::spawn(run(desk, rx));
    (Arc::new(DeskDeviceReports { queue }), task)
}

async fn run(desk: Desk, mut rx: mpsc::Receiver<(SourceBinding, DeviceReport)>) {
    while let Some((binding, report)) = rx.recv().await {
        let actor = Actor::system(&format!("source:{}", binding.id));
        let source = SourceRef {
            id: binding.id.clone(),
            kind: binding.kind,
            product: binding.product.clone(),
            device: Some(report.device.clone()),
        };
        match desk
            .device_reported(&actor, &binding.tenant, &report, &source)
            .await
        {
            Ok(outcome) => {
                if let Some(change) = &outcome.unplanned {
                    tracing::warn!(source = %binding.id, device = %report.device, from = %change.from, to = %change.to, "unplanned firmware change");
                } else if outcome.changed {
                    tracing::info!(source = %binding.id, device = %report.device, known = outcome.known, "inventory updated from a device report");
                }
            }
            Err(e) => {
                tracing::warn!(source = %binding.id, device = %report.device, error = %e, "device report not recorded")
            }
        }
    }
}
