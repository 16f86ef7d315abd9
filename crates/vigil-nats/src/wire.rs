//! How a batch is written on the ingest log: JSON, with byte strings kept
//! as text when they are UTF-8 (NDJSON and syslog nearly always are) and as
//! hex otherwise — readable with `nats stream view`, and never the
//! four-bytes-per-byte of a JSON number array.
//!
//! A batch larger than fits in one NATS message is split into parts at
//! record boundaries; each part is a batch of its own (its own id, so its
//! own event ids), and the source is acknowledged once every part is in.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use vigil_ingest::{LoggedBatch, Payload};
use vigil_model::{Fields, SourceBinding, Timestamp};

/// The format's version, first in every message so that a later one can
/// be told apart.
const VERSION: u8 = 1;

/// A decoding failure: the message is not a batch this node can read.
#[derive(Debug, thiserror::Error)]
#[error("not a Vigil ingest batch: {0}")]
pub struct DecodeError(String);

#[derive(Serialize, Deserialize)]
struct Wire {
    v: u8,
    id: String,
    binding: SourceBinding,
    received_at: Timestamp,
    payload: WirePayload,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum WirePayload {
    Ndjson {
        body: Bytes,
        first_line: usize,
        origin: Option<String>,
    },
    Syslog {
        frames: Vec<Bytes>,
        broken: Vec<(Bytes, String)>,
    },
    Records {
        records: Vec<(Result<Fields, String>, Bytes)>,
    },
}

/// Bytes, written as text when they are UTF-8, else as `{"hex": …}`.
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => {
                #[derive(Serialize)]
                struct Hex {
                    hex: String,
                }
                let hex = self.0.iter().map(|b| format!("{b:02x}")).collect();
                Hex { hex }.serialize(s)
            }
        }
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Hex { hex: String },
        }
        match Either::deserialize(d)? {
            Either::Text(t) => Ok(Bytes(t.into_bytes())),
            Either::Hex { hex } => {
                let digits = hex.as_bytes();
                if digits.len() % 2 != 0 {
                    return Err(serde::de::Error::custom("odd number of hex digits"));
                }
                digits
                    .chunks(2)
                    .map(|pair| {
                        std::str::from_utf8(pair)
                            .ok()
                            .and_then(|p| u8::from_str_radix(p, 16).ok())
                            .ok_or_else(|| serde::de::Error::custom("not hex"))
                    })
                    .collect::<Result<Vec<u8>, _>>()
                    .map(Bytes)
            }
        }
    }
}

/// `batch` as the bytes of one message.
pub fn encode(batch: &LoggedBatch) -> Vec<u8> {
    let payload = match &batch.payload {
        Payload::Ndjson {
            body,
            first_line,
            origin,
        } => WirePayload::Ndjson {
            body: Bytes(body.clone()),
            first_line: *first_line,
            origin: origin.clone(),
        },
        Payload::Syslog { frames, broken } => WirePayload::Syslog {
            frames: frames.iter().map(|f| Bytes(f.clone())).collect(),
            broken: broken
                .iter()
                .map(|(raw, why)| (Bytes(raw.clone()), why.clone()))
                .collect(),
        },
        Payload::Records(records) => WirePayload::Records {
            records: records
                .iter()
                .map(|(fields, raw)| (fields.clone(), Bytes(raw.clone())))
                .collect(),
        },
    };
    let wire = Wire {
        v: VERSION,
        id: format!("{:032x}", batch.id),
        binding: batch.binding.clone(),
        received_at: batch.received_at,
        payload,
    };
    // Maps of JSON values, strings and numbers: encoding cannot fail.
    serde_json::to_vec(&wire).unwrap_or_default()
}

/// The batch in a message's bytes.
pub fn decode(bytes: &[u8]) -> Result<LoggedBatch, DecodeError> {
    let wire: Wire = serde_json::from_slice(bytes).map_err(|e| DecodeError(e.to_string()))?;
    if wire.v != VERSION {
        return Err(DecodeError(format!(
            "format version {} (this node reads {VERSION})",
            wire.v
        )));
    }
    let id = u128::from_str_radix(&wire.id, 16)
        .map_err(|e| DecodeError(format!("batch id `{}`: {e}", wire.id)))?;
    let payload = match wire.payload {
        WirePayload::Ndjson {
            body,
            first_line,
            origin,
        } => Payload::Ndjson {
            body: body.0,
            first_line,
            origin,
        },
        WirePayload::Syslog { frames, broken } => Payload::Syslog {
            frames: frames.into_iter().map(|f| f.0).collect(),
            broken: broken.into_iter().map(|(raw, why)| (raw.0, why)).collect(),
        },
        WirePayload::Records { records } => {
            Payload::Records(records.into_iter().map(|(f, raw)| (f, raw.0)).collect())
        }
    };
    Ok(LoggedBatch {
        id,
        binding: wire.binding,
        received_at: wire.received_at,
        payload,
    })
}

/// `batch` split into parts whose records add up to at most `budget` bytes
/// each (a single larger record is a part of its own). One part when it
/// fits. Part `k` has id `batch.id + k`.
pub fn split(batch: LoggedBatch, budget: usize) -> Vec<LoggedBatch> {
    let budget = budget.max(1);
    let part = |k: usize, payload: Payload| LoggedBatch {
        id: batch.id.wrapping_add(k as u128),
        binding: batch.binding.clone(),
        received_at: batch.received_at,
        payload,
    };
    match &batch.payload {
        Payload::Ndjson {
            body,
            first_line,
            origin,
        } if body.len() > budget => {
            let mut parts = Vec::new();
            let (mut start, mut line, mut part_first) = (0, *first_line, *first_line);
            let mut pos = 0;
            while pos < body.len() {
                let end = body[pos..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(body.len(), |i| pos + i + 1);
                if end - start > budget && pos > start {
                    parts.push((start, pos, part_first));
                    start = pos;
                    part_first = line;
                }
                line += 1;
                pos = end;
            }
            parts.push((start, body.len(), part_first));
            parts
                .into_iter()
                .enumerate()
                .map(|(k, (from, to, first))| {
                    part(
                        k,
                        Payload::Ndjson {
                            body: body[from..to].to_vec(),
                            first_line: first,
                            origin: origin.clone(),
                        },
                    )
                })
                .collect()
        }
        Payload::Syslog { frames, broken }
            if frames.iter().map(Vec::len).sum::<usize>() > budget =>
        {
            let mut parts: Vec<Payload> = chunks(frames, budget, Vec::len)
                .into_iter()
                .map(|frames| Payload::Syslog {
                    frames,
                    broken: Vec::new(),
                })
                .collect();
            if let Some(Payload::Syslog { broken: last, .. }) = parts.last_mut() {
                last.clone_from(broken);
            }
            parts
                .into_iter()
                .enumerate()
                .map(|(k, p)| part(k, p))
                .collect()
        }
        Payload::Records(records)
            if records.iter().map(|(_, raw)| raw.len()).sum::<usize>() > budget =>
        {
            chunks(records, budget, |(_, raw)| raw.len())
                .into_iter()
                .enumerate()
                .map(|(k, records)| part(k, Payload::Records(records)))
                .collect()
        }
        _ => vec![batch],
    }
}

/// `items` in runs of at most `budget` bytes by `size` (an item larger
/// than the budget alone).
fn chunks<T: Clone>(items: &[T], budget: usize, size: impl Fn(&T) -> usize) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = vec![Vec::new()];
    let mut used = 0;
    for item in items {
        let n = size(item);
        if used + n > budget && out.last().is_some_and(|c| !c.is_empty()) {
            out.push(Vec::new());
            used = 0;
        }
        used += n;
        if let Some(current) = out.last_mut() {
            current.push(item.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{SourceId, SourceKind, TenantId};

    fn batch(payload: Payload) -> LoggedBatch {
        LoggedBatch {
            id: 0xfeed,
            binding: SourceBinding {
                id: SourceId::new("s").unwrap(),
                tenant: TenantId::new("acme").unwrap(),
                site: None,
                kind: SourceKind::Http,
                product: "p".into(),
            },
            received_at: chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap(),
            payload,
        }
    }

    #[test]
    fn batches_survive_the_trip_text_as_text_and_other_bytes_as_hex() {
        let mut fields = Fields::new();
        fields.insert("a".into(), 1.into());
        let records = Payload::Records(vec![
            (Ok(fields), vec![0xff, 0x00, 0x10]),
            (Err("bad".into()), b"raw".to_vec()),
        ]);
        let bytes = encode(&batch(records));
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains(r#"{"hex":"ff0010"}"#) && text.contains(r#""raw""#),
            "{text}"
        );
        let back = decode(&bytes).unwrap();
        assert_eq!(back.id, 0xfeed);
        assert_eq!(back.binding.tenant.as_str(), "acme");
        match back.payload {
            Payload::Records(r) => {
                assert_eq!(r[0].1, vec![0xff, 0x00, 0x10]);
                assert_eq!(r[1], (Err("bad".into()), b"raw".to_vec()));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            decode(b"{}")
                .unwrap_err()
                .to_string()
                .contains("not a Vigil")
        );
    }

    #[test]
    fn large_ndjson_splits_at_lines_keeping_line_numbers() {
        let body = b"aaaa\nbbbb\ncccc\ndd".to_vec();
        let parts = split(
            batch(Payload::Ndjson {
                body,
                first_line: 10,
                origin: None,
            }),
            10,
        );
        let got: Vec<(u128, String, usize)> = parts
            .into_iter()
            .map(|p| match p.payload {
                Payload::Ndjson {
                    body, first_line, ..
                } => (p.id, String::from_utf8(body).unwrap(), first_line),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (0xfeed, "aaaa\nbbbb\n".into(), 10),
                (0xfeee, "cccc\ndd".into(), 12)
            ]
        );
    }

    #[test]
    fn a_batch_that_fits_stays_whole() {
        let parts = split(
            batch(Payload::Syslog {
                frames: vec![b"x".to_vec()],
                broken: Vec::new(),
            }),
            100,
        );
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].id, 0xfeed);
    }
}
