//! ONVIF video events: notifications pushed by cameras (WS-BaseNotification
//! `Notify`, [`push`]) or pulled from them ([`pullpoint`]), parsed with a
//! bounded namespace-aware reader ([`xml`], [`notify`]) and turned into
//! events with each camera's property state kept for resynchronisation
//! ([`events`]). [`media`] takes a camera's picture at alarm time through
//! its media service ([`digest`]: the HTTP Digest answer cameras ask for);
//! [`device_info`] asks each camera what it is, for the inventory.

pub mod config;
pub mod device_info;
pub mod digest;
pub mod events;
pub mod media;
pub mod notify;
pub mod pullpoint;
pub mod push;
mod source;
pub mod xml;

pub use events::{CameraPlace, CameraStates};
pub use notify::{Notification, NotifyError, PropertyOperation, build_notify, parse_notifications};
pub use push::{OnvifPush, router};
pub use source::{OnvifSettings, OnvifSource};
