//! Vigil's physical estate as a domain: the supervision of every device
//! that should keep reporting, alarm panels' events in Vigil's terms
//! whatever protocol brought them ([`panel_event`]), the people register's
//! import from HR exports ([`people_import`]), each site's floor plan with
//! its devices in their live state ([`site_plan`]), and the converged rules
//! that span doors, cameras, panels, sensors and IT.
//!
//! The protocols that bring the estate's events (SIA DC-09, MQTT and
//! Sparkplug B, ONVIF, access-control systems) are sources, each in its
//! own folder of `vigil-sources`; they report what they hear to
//! [`supervision`] here.

#![warn(missing_docs)]

pub mod converged;
pub mod panel_event;
pub mod people_import;
pub mod site_plan;
pub mod supervision;
