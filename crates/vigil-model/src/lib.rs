//! Vigil's domain model: the vocabulary every other crate speaks.
//!
//! Everything here is plain data and pure functions. Nothing reads the system
//! clock except [`SystemClock`]; nothing does I/O.

mod alert;
mod category;
mod clock;
mod dead_letter;
mod event;
mod fields;
mod ids;
mod person;
mod severity;
mod tenant;

pub use alert::{
    Alert, AlertStatus, alert_id_for, alert_id_of_name, alert_name_into, alert_window_start,
};
pub use category::Category;
pub use clock::{Clock, ManualClock, ScaledClock, SystemClock, Timestamp};
pub use dead_letter::DeadLetter;
pub use event::{Entity, EntityKind, Event, EventClass, InvalidSourceKind, SourceKind, SourceRef};
pub use fields::Fields;
pub use ids::{AlertId, EventId, IdError, SiteId, SourceId, TenantId};
pub use person::PersonStatus;
pub use severity::{Severity, SeverityParseError};
pub use tenant::{Site, SourceBinding, Tenant};
