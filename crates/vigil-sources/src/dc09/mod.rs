//! The SIA DC-09 alarm receiver: frames, encryption, the SIA DC-03 and
//! Contact ID payloads, the receiver's decision per frame, and the TCP and
//! UDP listeners in front of it (TCP optionally over TLS).

pub mod codes;
pub mod config;
pub mod crypto;
pub mod frame;
pub mod identity;
pub mod listener;
pub mod payload;
pub mod receiver;
pub mod sender;
mod source;

pub use crypto::{CryptoError, PanelKey};
pub use frame::{FrameError, FrameSplitter, Header, Piece};
pub use listener::{Dc09Listener, serve_tcp, serve_tls, serve_udp};
pub use receiver::{
    Accepted, Dc09Receiver, PanelAccount, Rejected, ResponseKind, TimeWindow, Verdict,
};
pub use sender::Dc09Sender;
pub use source::{Dc09Settings, Dc09Source};
