//! The lifecycle of a client's security systems, as a domain: what is
//! installed ([`inventory`]), what vendors say is vulnerable ([`advisory`],
//! CSAF 2.0), which installed devices those advisories concern
//! ([`matching`]), and the planned work that changes them ([`work_order`]).
//!
//! Pure logic: nothing here does I/O beyond reading the bytes it is given,
//! and `now` is always an argument (taken from a `Clock` by the caller).

#![warn(missing_docs)]

pub mod advisory;
pub mod inventory;
pub mod matching;
pub mod range;
pub mod version;
