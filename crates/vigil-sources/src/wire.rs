//! What the endpoints that speak shippers' protocols (OTLP, Splunk HEC,
//! Elasticsearch bulk) share: compressed bodies, the token in the
//! `Authorization` forms those shippers send, and refusals that are not
//! about the token.

use std::io::Read;

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::token::ErrorBody;

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// A `Content-Encoding` other than `identity` or `gzip`.
    #[error("content encoding `{0}` is not supported; send identity or gzip")]
    Encoding(String),
    /// A gzip body that does not inflate.
    #[error("the gzip body does not decompress: {0}")]
    Gzip(String),
    /// A body that inflates beyond the limit.
    #[error("the body decompresses to more than {0} bytes")]
    TooLarge(usize),
}

impl IntoResponse for BodyError {
    fn into_response(self) -> Response {
        match self {
            BodyError::Encoding(_) => refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                self.to_string(),
            ),
            BodyError::Gzip(_) => refuse(StatusCode::BAD_REQUEST, "bad_request", self.to_string()),
            BodyError::TooLarge(_) => refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                self.to_string(),
            ),
        }
    }
}

/// The body as sent, inflated when its `Content-Encoding` is gzip (the
/// OpenTelemetry Collector's and Beats' default), to at most `limit` bytes:
/// the limit on the wire would otherwise let a small bomb through.
pub(crate) fn inflated(
    headers: &HeaderMap,
    body: &[u8],
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let encoding = headers.get(header::CONTENT_ENCODING).map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .trim()
            .to_ascii_lowercase()
    });
    match encoding.as_deref() {
        None | Some("") | Some("identity") => Ok(body.to_vec()),
        Some("gzip") | Some("x-gzip") => {
            let mut out = Vec::new();
            let mut reader = flate2::read::MultiGzDecoder::new(body).take(limit as u64 + 1);
            reader
                .read_to_end(&mut out)
                .map_err(|e| BodyError::Gzip(e.to_string()))?;
            if out.len() > limit {
                return Err(BodyError::TooLarge(limit));
            }
            Ok(out)
        }
        Some(other) => Err(BodyError::Encoding(other.chars().take(40).collect())),
    }
}

/// How a shipper may present its source's token in `Authorization`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `Bearer <token>`.
    Bearer,
    /// `Splunk <token>` (Splunk HEC).
    Splunk,
    /// `Basic base64(user:token)`: the password is the token, the user
    /// name is not read (Beats, Logstash, Vector and HEC clients with a
    /// user and password).
    Basic,
    /// `ApiKey base64(id:token)` or `ApiKey <token>` (Elasticsearch API
    /// keys, as Beats and the Elasticsearch clients send them).
    ApiKey,
}

impl Scheme {
    fn name(self) -> &'static str {
        match self {
            Scheme::Bearer => "Bearer",
            Scheme::Splunk => "Splunk",
            Scheme::Basic => "Basic",
            Scheme::ApiKey => "ApiKey",
        }
    }
}

/// Why no token could be read from `Authorization`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CredentialError {
    /// No `Authorization` header.
    #[error("missing `Authorization` header ({0})")]
    Missing(String),
    /// A header in none of the accepted forms.
    #[error("the Authorization header must be {0}")]
    Malformed(String),
}

/// The token an `Authorization` header carries in one of `schemes`.
pub(crate) fn credential(
    headers: &HeaderMap,
    schemes: &[Scheme],
) -> Result<String, CredentialError> {
    let forms = || {
        schemes
            .iter()
            .map(|s| format!("`{} …`", s.name()))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| CredentialError::Missing(forms()))?;
    let malformed = || CredentialError::Malformed(forms());
    let value = std::str::from_utf8(value.as_bytes()).map_err(|_| malformed())?;
    let (name, rest) = value.trim().split_once(' ').ok_or_else(malformed)?;
    let rest = rest.trim();
    let scheme = schemes
        .iter()
        .find(|s| s.name().eq_ignore_ascii_case(name))
        .ok_or_else(malformed)?;
    if rest.is_empty() {
        return Err(malformed());
    }
    let decoded = || {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    };
    let token = match scheme {
        Scheme::Bearer | Scheme::Splunk => rest.to_owned(),
        Scheme::Basic => {
            let pair = decoded().ok_or_else(malformed)?;
            pair.split_once(':').ok_or_else(malformed)?.1.to_owned()
        }
        // An encoded `id:key` pair carries the token as its key; anything
        // else is taken as the token itself.
        Scheme::ApiKey => {
            match decoded().and_then(|p| p.split_once(':').map(|(_, k)| k.to_owned())) {
                Some(key) => key,
                None => rest.to_owned(),
            }
        }
    };
    if token.is_empty() {
        return Err(malformed());
    }
    Ok(token)
}

/// A JSON error answer in the shape of every other (`ErrorBody`).
pub(crate) fn refuse(status: StatusCode, kind: &'static str, message: String) -> Response {
    (
        status,
        Json(ErrorBody {
            error: kind,
            message,
        }),
    )
        .into_response()
}

/// The media type of a request, without parameters, lower case.
pub(crate) fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or_default().trim();
    Some(essence.to_ascii_lowercase())
}

/// An RFC 3339 time (to the nanosecond) from nanoseconds since the Unix
/// epoch; `None` for 0 (unset in OTLP) and for times past 2262.
pub(crate) fn time_of_unix_nanos(nanos: u64) -> Option<String> {
    if nanos == 0 {
        return None;
    }
    let nanos = i64::try_from(nanos).ok()?;
    Some(
        chrono::DateTime::from_timestamp_nanos(nanos)
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn gzip_bodies_inflate_within_the_limit_and_others_are_refused() {
        let mut headers = HeaderMap::new();
        assert_eq!(inflated(&headers, b"plain", 10).unwrap(), b"plain");
        headers.insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
        assert_eq!(inflated(&headers, &gzip(b"hello"), 10).unwrap(), b"hello");
        assert_eq!(
            inflated(&headers, &gzip(&[b'a'; 11]), 10),
            Err(BodyError::TooLarge(10))
        );
        assert!(matches!(
            inflated(&headers, b"not gzip", 10),
            Err(BodyError::Gzip(_))
        ));
        headers.insert(header::CONTENT_ENCODING, "br".parse().unwrap());
        assert_eq!(
            inflated(&headers, b"x", 10),
            Err(BodyError::Encoding("br".into()))
        );
    }

    #[test]
    fn tokens_are_read_from_each_accepted_scheme() {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            headers
        };
        let all = [
            Scheme::Bearer,
            Scheme::Splunk,
            Scheme::Basic,
            Scheme::ApiKey,
        ];
        for (value, token) in [
            ("Bearer tok1".to_owned(), "tok1"),
            ("Splunk  tok2 ".to_owned(), "tok2"),
            (format!("Basic {}", b64("elastic:tok3")), "tok3"),
            (format!("ApiKey {}", b64("key-id:tok4")), "tok4"),
            ("ApiKey tok5".to_owned(), "tok5"),
        ] {
            assert_eq!(credential(&with(&value), &all).unwrap(), token, "{value}");
        }
        assert!(matches!(
            credential(&HeaderMap::new(), &all),
            Err(CredentialError::Missing(_))
        ));
        for bad in [
            "Splunk",
            "Digest x",
            "Basic !!!",
            &format!("Basic {}", b64("nocolon")),
        ] {
            assert!(
                matches!(
                    credential(&with(bad), &all),
                    Err(CredentialError::Malformed(_))
                ),
                "{bad}"
            );
        }
        // Only the schemes an endpoint names are accepted.
        assert!(credential(&with("Splunk tok"), &[Scheme::Bearer]).is_err());
    }

    #[test]
    fn unix_nanos_are_rfc3339_and_zero_is_unset() {
        assert_eq!(time_of_unix_nanos(0), None);
        assert_eq!(
            time_of_unix_nanos(1_700_000_000_123_456_789).as_deref(),
            Some("2023-11-14T22:13:20.123456789Z")
        );
        assert_eq!(time_of_unix_nanos(u64::MAX), None);
    }
}
