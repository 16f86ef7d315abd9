//! The lifecycle of a client's security systems, as a domain: what is
//! installed ([`inventory`]), what vendors say is vulnerable ([`advisory`],
//! CSAF 2.0), which installed devices those advisories concern
//! ([`matching`], over [`version`]s and [`range`]s as vendors write them),
//! the planned work that changes them ([`work_order`]), and the firmware
//! change no work order covers ([`unplanned`]).
//!
//! Pure logic: nothing here does I/O beyond reading the bytes it is given,
//! and `now` is always an argument (taken from a `Clock` by the caller).
//! See docs/lifecycle.md for the model and the matching rules.

#![warn(missing_docs)]

pub mod advisory;
pub mod inventory;
pub mod matching;
pub mod range;
pub mod unplanned;
pub mod version;
pub mod work_order;
