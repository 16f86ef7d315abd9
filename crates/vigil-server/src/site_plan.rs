//! What a node gives the site view and the dashboards besides the core
//! store: the estate store, the configured floor plans and facts about the
//! loaded rules ([`EstateView`]).
//!
//! Floor plans, their layout and the derivation of device states are the
//! estate's ([`vigil_estate::site_plan`]); the plan types are re-exported
//! here because the node's configuration and the demo name them by this
//! path.

use std::collections::HashMap;
use std::sync::Arc;

use vigil_store::EstateStore;

pub use vigil_estate::site_plan::{FloorPlan, PlanArea, PlannedDevice, SitePlans, grid_areas};

/// What a rule is, for sorting its alarms into categories (the desk's type).
pub use vigil_desk::reporting::RuleFacts;

/// What the site view and the dashboards read besides the core store.
#[derive(Debug, Clone, Default)]
pub struct EstateView {
    /// The estate's store; `None` on a node without one (the site
    /// endpoints then answer `503`).
    pub store: Option<Arc<dyn EstateStore>>,
    /// The configured floor plans.
    pub plans: Arc<SitePlans>,
    /// Facts about the loaded rules, by rule id; rules not in it are
    /// categorised by their alarms' entities.
    pub rules: Arc<HashMap<String, RuleFacts>>,
}
