//! Regulatory compliance for the provider's clients: what NIS-2 asks of
//! them when an incident happens, and which controls they are measured
//! against.
//!
//! An MSSP's desk is often the first to know that a client has a
//! significant incident, and the client's 24-hour clock to its CSIRT starts
//! with that knowledge. This crate is the pure domain of that duty; the desk
//! and the server wire it in.
//!
//! - [`nis2::profile`]: the client's NIS-2 profile (`[tenants.nis2]` in
//!   `vigil.toml`) and its validation, naming the client and the field.
//! - [`nis2::significance`]: whether an incident is significant under
//!   Commission Implementing Regulation (EU) 2024/2690 (Articles 3, 4 and
//!   10), criterion by criterion with the facts each rests on, and the
//!   analyst's confirmation of that proposal.
//! - [`nis2::deadlines`]: the Art. 23(4) reporting clocks of Directive (EU)
//!   2022/2555 from the moment of awareness, their states, and the
//!   reminder and overdue crossings the desk raises exactly once.
//! - [`nis2::report`]: versioned, digested JSON drafts of each report and
//!   the record of their submission.
//! - [`catalogue`]: the ISO/IEC 27001:2022 Annex A controls and the NIS-2
//!   Art. 21(2) measures, with the mapping between them, embedded in the
//!   crate.
//! - [`evidence`]: a client's evidence pack for either framework over a
//!   period — per control, what the platform's own records show, each
//!   piece digested so that the pack verifies against the audit chain.
//!
//! Nothing here reads the wall clock: every function that needs the time
//! takes it as an argument. Everything here is a proposal for a person: the
//! assessment is confirmed or changed by an analyst, and the drafts are
//! submitted by one.

#![warn(missing_docs)]

pub mod catalogue;
pub mod evidence;
pub mod nis2;

pub use catalogue::{Catalogue, CatalogueError, Control, Framework, FrameworkId};
