//! A deterministic scenario simulator of three client organisations of a
//! managed security service provider, for demos and for measuring detection.
//!
//! [`World::generate`] builds the clients — a colocation data-centre operator
//! (`northgate`), a water utility (`riverside`) and a hospital (`st-aurelia`) —
//! with their sites, zones, people, hosts, physical devices and the source
//! bindings through which their events reach Vigil. A [`Simulator`] then plays
//! their everyday life minute by minute: people arrive for their shifts and
//! badge through doors, log on, start programs, browse; servers run their
//! jobs; firewalls allow and deny; engineers dial into the VPN; cameras see
//! motion; sensors report every few minutes. Into that life it injects
//! attack stories (a data-hall door forced at night, an encoded PowerShell
//! download followed by credential dumping, a PLC reached from the IT network,
//! a VPN brute force, a terminated person's badge used at the pharmacy), and
//! records each occurrence as [`GroundTruth`] naming the rules in Vigil's
//! `rules/` folder that must fire for it. Benign look-alikes that a naive rule
//! would flag are part of the everyday life and never in the ground truth.
//!
//! Determinism: the output is a pure function of the world, the seed and the
//! start time. Time is cut into one-minute slots, each generated from its own
//! random stream, so it does not matter how the caller chops time into
//! [`Simulator::advance_to`] calls.

#![warn(missing_docs)]

mod activity;
mod calendar;
mod emission;
mod estate;
mod format;
mod rng;
pub mod rules;
mod simulator;
mod stories;
mod tenant_sim;
mod world;

pub use emission::{Emission, Payload};
pub use estate::{InstalledDevice, PlannedVisit, PlannedWork, VisitFate, WatchlistName, WorkFate};
pub use simulator::Simulator;
pub use stories::{GroundTruth, STORIES, StoryKind};
// A person's status is the model's word, re-exported beside `Person` for
// the binary's demo, which reads both from here.
pub use vigil_model::PersonStatus;
pub use world::{
    BadgeState, CameraSpec, Device, DeviceKind, Door, Host, HostRole, PanelAccount, Person, Role,
    SensorMetric, TenantWorld, WorkingHours, World, Zone,
};
