//! Vigil's physical estate: the protocols that alarm panels, building
//! sensors, cameras and access-control systems speak, turned into Vigil
//! events; the supervision of every device that should keep reporting; the
//! people register those events resolve to; and the converged rules that
//! span them.
//!
//! Pure protocol and domain logic sits in modules with byte-exact tests
//! ([`dc09::frame`], [`dc09::receiver`], [`supervision`], [`sparkplug`],
//! [`onvif`], [`sensors`], [`access`], [`people`]); I/O sits at the edges
//! (the DC-09 TCP/UDP listeners, the MQTT subscriber, the ONVIF push
//! endpoint and PullPoint client, the supervision ticker). Every listener
//! acknowledges its source only after [`vigil_pipeline::Pipeline::ingest`]
//! has made the events durable.

#![warn(missing_docs)]

pub mod access;
pub mod alarm;
pub mod config;
pub mod converged;
pub mod dc09;
pub mod mqtt;
pub mod onvif;
pub mod people_import;
pub mod sensors;
pub mod site_plan;
pub mod sparkplug;
pub mod supervision;
