//! Syslog listeners: one per source binding, over UDP or TCP.
//!
//! TCP has no application-level acknowledgement in RFC 6587, so the best a
//! receiver can do for "nothing acknowledged is lost" is backpressure: each
//! connection's frames are made durable before the next bytes are read, so
//! a sender whose window fills up knows we are behind, and nothing sits in a
//! volatile queue of ours. UDP is fire-and-forget by nature; datagrams are
//! committed in small batches as they come.
//!
//! Over TLS (RFC 5425) the same loop reads the decrypted stream once the
//! handshake is done; RFC 5425 frames by octet counting, and a frame ended
//! by a line end instead is a dead letter unless the source accepts
//! [`Framing::Any`] (see [`super`]).

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, UdpSocket};
use vigil_codecs::{FrameDecoder, FramingError};
use vigil_ingest::{Payload, Pipeline};
use vigil_model::SourceBinding;

use super::Framing;
use crate::accept::Accept;
use crate::tls::TlsListener;

/// Connections one TCP listener serves at once; more wait in the backlog.
pub const MAX_TCP_CONNECTIONS: usize = 1024;

/// Largest UDP datagram (the IPv4 maximum).
const MAX_DATAGRAM: usize = 65_535;

/// Datagrams gathered into one commit at most.
const UDP_BATCH: usize = 512;

/// Serves syslog over TCP on `listener` for `binding` — over TLS when
/// `tls` is given — until the task is dropped, accepting the frames
/// `framing` allows.
pub async fn serve_tcp(
    listener: TcpListener,
    binding: SourceBinding,
    pipeline: Pipeline,
    max_frame: usize,
    framing: Framing,
    tls: Option<TlsListener>,
) {
    let accept = Accept {
        protocol: "syslog",
        source: binding.id.clone(),
        max_connections: MAX_TCP_CONNECTIONS,
        tls,
    };
    let binding = Arc::new(binding);
    crate::accept::serve(listener, accept, move |stream, peer| {
        let (binding, pipeline) = (binding.clone(), pipeline.clone());
        async move {
            if let Err(e) =
                serve_connection(stream, peer, &binding, &pipeline, max_frame, framing).await
            {
                tracing::warn!(source = %binding.id, %peer, error = %e, "syslog connection ended");
            }
        }
    })
    .await;
}

async fn serve_connection(
    mut stream: impl AsyncRead + Unpin,
    peer: SocketAddr,
    binding: &SourceBinding,
    pipeline: &Pipeline,
    max_frame: usize,
    framing: Framing,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing::debug!(source = %binding.id, %peer, "syslog connection");
    let mut decoder = match framing {
        Framing::Any => FrameDecoder::new(max_frame),
        Framing::OctetCounting => FrameDecoder::new(max_frame).octet_counted_only(),
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        let mut frames = Vec::new();
        let mut broken = Vec::new();
        if n == 0 {
            if let Some(last) = decoder.finish() {
                sort_frame(last, decoder.skipped_prefix(), &mut frames, &mut broken);
            }
        } else {
            decoder.push(&buf[..n]);
            while let Some(frame) = decoder.next_frame() {
                sort_frame(frame, decoder.skipped_prefix(), &mut frames, &mut broken);
            }
        }
        if !frames.is_empty() || !broken.is_empty() {
            // Durable before the next read: the backpressure described above.
            pipeline
                .ingest(binding, Payload::Syslog { frames, broken })
                .await?;
        }
        if n == 0 {
            return Ok(());
        }
    }
}

/// Sorts a decoded frame into good frames and broken ones; a broken one
/// keeps the first bytes the decoder saw of it (`skipped`, bounded), and
/// its reason says where in the stream it was.
fn sort_frame(
    frame: Result<bytes::Bytes, FramingError>,
    skipped: &[u8],
    frames: &mut Vec<Vec<u8>>,
    broken: &mut Vec<(Vec<u8>, String)>,
) {
    match frame {
        Ok(frame) => frames.push(frame.to_vec()),
        Err(e @ FramingError::NotOctetCounted { .. }) => broken.push((
            skipped.to_vec(),
            format!(
                "{e}; to accept line-ended frames from this sender, set `framing = \"any\"` in the source's `[sources.{}]`",
                super::TABLE
            ),
        )),
        Err(e) => broken.push((skipped.to_vec(), e.to_string())),
    }
}

/// Serves syslog over UDP on `socket` for `binding`, until the task is dropped.
pub async fn serve_udp(socket: UdpSocket, binding: SourceBinding, pipeline: Pipeline) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let mut frames = Vec::new();
        match socket.recv_from(&mut buf).await {
            Ok((n, _)) => frames.push(buf[..n].to_vec()),
            Err(e) => {
                tracing::warn!(source = %binding.id, error = %e, "syslog receive failed");
                continue;
            }
        }
        // Take whatever else has already arrived, without waiting.
        while frames.len() < UDP_BATCH {
            match socket.try_recv_from(&mut buf) {
                Ok((n, _)) => frames.push(buf[..n].to_vec()),
                Err(_) => break,
            }
        }
        let payload = Payload::Syslog {
            frames,
            broken: Vec::new(),
        };
        if let Err(e) = pipeline.ingest(&binding, payload).await {
            tracing::error!(source = %binding.id, error = %e, "syslog datagrams could not be stored");
        }
    }
}
