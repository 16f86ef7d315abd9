//! The lifecycle commands and reads (see [`crate::lifecycle`] for how the
//! records are kept): `inventory.rs` (import, list with findings, device
//! reports and the unplanned firmware change), `advisories.rs` (CSAF
//! import, the matching catalogue, cached per node), `work_orders.rs`
//! (plan, approve — which declares the desk's maintenance windows —,
//! record the outcome), `unplanned.rs` (the alert a firmware change no
//! work order covers is raised as).

mod advisories;
mod inventory;
mod unplanned;
mod work_orders;

use std::sync::{Arc, Mutex};

use vigil_lifecycle::matching::Catalogue;
use vigil_store::RecordQuery;

use super::Desk;
use crate::DeskError;
use crate::record::{DeskObject, Stored};

pub use inventory::DeviceReportOutcome;
pub use unplanned::UNPLANNED_FIRMWARE_RULE;
pub use work_orders::WorkOrderPlan;

/// The node's catalogue of advisories, built from the store and kept
/// until an import moves the catalogue mark.
#[derive(Default)]
pub(crate) struct LifecycleState {
    catalogue: Mutex<Option<(i64, Arc<Catalogue>)>>,
}

impl Desk {
    /// Every record of kind `T` matching `query`, page by page.
    pub(crate) async fn list_all<T: DeskObject>(
        &self,
        mut query: RecordQuery,
    ) -> Result<Vec<Stored<T>>, DeskError> {
        query.limit = vigil_store::MAX_PAGE_SIZE;
        let mut out = Vec::new();
        loop {
            let page = self.list::<T>(&query).await?;
            let full = page.len() == vigil_store::MAX_PAGE_SIZE;
            out.extend(page);
            if !full {
                return Ok(out);
            }
            query.offset += vigil_store::MAX_PAGE_SIZE;
        }
    }
}
