//! The operator's desk: where the provider's people work, 24/7, for many
//! clients at once.
//!
//! The domain modules are pure: every change is a command on a value,
//! validated against who is asking and what state the thing is in, taking
//! `now` as an argument, and returning the new value (and the desk records
//! and audit entries that describe it). [`service`] is the edge: it reads
//! and writes the [`vigil_store::DeskStore`], runs triage over the alert
//! feed, delivers webhooks and e-mail, and fires escalation timers.
//!
//! - [`alarm`]: the alarm queue's state machine (new → acknowledged → in
//!   progress → closed), ownership and take-over.
//! - [`suppression`]: maintenance windows and analyst suppressions.
//! - [`grouping`], [`scoring`], [`learner`]: related alarms, priority, and
//!   the false-alarm model trained on verdicts.
//! - [`incident`], [`timeline`], [`sop`]: incidents, their merged timeline,
//!   and the checklists operators follow; [`procedure`]: an SOP made
//!   concrete for one alarm under the client's response plan (whom to call,
//!   what must be done before closing).
//! - [`response`], [`escalation`]: signed response-action webhooks and
//!   escalation levels.
//! - [`permissions`]: which role may do what.
//! - [`reporting`]: figures computed from the desk's records (the
//!   dashboards'), and the categories alarms and incidents are counted by.
//! - [`regulation`]: an incident's NIS-2 significance and Art. 23 deadlines.
//! - [`governance`]: retention per client and class, legal holds, and
//!   the retention plan (the job and the holds' commands in `service`).
//! - [`offboarding`]: a departing client's export manifest and signed
//!   deletion certificate.
//! - [`site_image`]: a site's floor-plan image (SVG or PNG), kept in the
//!   store with its digest.
//! - [`video`]: a camera's picture at alarm time, kept on the alarm with
//!   its digest, or why there is none.
//! - [`shift`]: the shift log — notes, open items carried over until
//!   done, handovers.
//! - [`visitors`]: visits and watchlist entries as desk records, and who
//!   may take which step (the domain is `vigil_visitors`).
//! - [`lifecycle`]: the client's security systems kept as desk records
//!   (inventory, advisories, work orders; the domain is `vigil-lifecycle`).
//! - [`planned_maintenance`]: approved work orders' windows per device,
//!   the SLA calendar's and availability's planned maintenance.
//! - [`sla`]: the service-level clocks of alarms and incidents under each
//!   client's contract, as a function of their recorded transitions.

#![warn(missing_docs)]

pub mod alarm;
pub mod config;
mod error;
pub mod escalation;
pub mod governance;
pub mod grouping;
pub mod incident;
pub mod learner;
pub mod lifecycle;
pub mod offboarding;
pub mod permissions;
pub mod planned_maintenance;
pub mod procedure;
pub mod record;
pub mod regulation;
pub mod reporting;
pub mod response;
pub mod scoring;
pub mod service;
pub mod shift;
pub mod site_image;
pub mod sla;
pub mod sop;
pub mod suppression;
pub mod timeline;
pub mod video;
pub mod visitors;

pub use config::DeskConfig;
pub use error::DeskError;
pub use permissions::{Actor, Permission};
