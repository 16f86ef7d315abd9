//! Visitor management as a domain: pure logic, `now` passed in.
//!
//! - [`visit`]: a host pre-registers a visitor; the client's approver
//!   approves or refuses; the front desk checks identity, issues a badge
//!   bound to the approved zones and window, and signs the visitor out.
//!   Every step is a checked transition returning an identifiers-only
//!   [`visit::VisitAudit`] record.
//! - [`watchlist`]: a list per client, and one across clients kept as keyed
//!   hashes so that a match yields only a signal.
//! - [`rules`]: visitor badge events judged against the visit (zone not
//!   granted, outside the window, after sign-out, escort missing).
//! - [`roll_call`]: who is on a site now, for an evacuation.
//! - [`retention`]: which visits' personal data is due for erasure.
//! - [`live`] and [`detector`]: the state the desk and the pipeline share,
//!   and the visitor rules behind the pipeline's detector seam.
//!
//! Nothing here reads the clock, the store or the network: the desk, the
//! node and the server wire it in (see `docs/visitors.md`).

#![warn(missing_docs)]

pub mod access;
pub mod detector;
pub mod ids;
pub mod live;
pub mod normalise;
pub mod retention;
pub mod roll_call;
pub mod rules;
pub mod visit;
pub mod watchlist;

pub use access::AccessObservation;
pub use ids::{ActorId, IdError, KeyedHash, TenantSecret, VisitId};
pub use normalise::{name_key, normalise_name};
pub use visit::{Visit, VisitAudit, VisitError, VisitSettings, VisitState};
