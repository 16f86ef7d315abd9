//! Reports over the desk's records: pure functions of the alarms (and
//! whatever else a report needs, read by the caller) and `now`, so that
//! the HTTP API, the CLI and tests compute the same figures.
//!
//! - [`category`]: what kind of matter an alarm or incident is (cyber,
//!   physical, converged, environmental), and how an alarm is sorted into
//!   one from its rule or, failing that, from what it is about.
//! - [`dashboard`]: the control room's figures over the last hours.
//! - [`service`]: the monthly service report for a client, with the rows
//!   behind every figure, and [`render`] its CSV, HTML and PDF forms.
//!
//! [`crate::service::Desk::alarms_since`] and
//! [`crate::service::Desk::open_alarms`] read the alarms a report needs.

pub mod category;
pub mod dashboard;
pub mod render;
pub mod service;

pub use category::{Category, RuleFacts};
pub use dashboard::{Dashboard, DashboardInput, Window};
pub use service::{Month, ServiceReport};
