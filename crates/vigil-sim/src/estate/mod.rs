//! The clients' security systems over their life and the people who visit
//! them: an inventory per site (some products named in CISA's 2024 OT
//! advisories, inside and outside their affected ranges), a maintenance
//! calendar over the simulated month, and visitors in every state of a
//! visit, one of them on the client's watchlist.
//!
//! Like the rest of the world this is fixed by the world and the start
//! time, so a demo shows the same affected devices and visits every run.

mod inventory;
mod maintenance;
mod visitors;

pub use inventory::InstalledDevice;
pub use maintenance::{PlannedWork, WorkFate};
pub use visitors::{PlannedVisit, VisitFate, WatchlistName};

#[cfg(test)]
mod tests;
