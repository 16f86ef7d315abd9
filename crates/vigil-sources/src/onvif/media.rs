//! The ONVIF media service: a camera's picture at alarm time. `GetProfiles`
//! names the camera's media profiles; `GetSnapshotUri` for the first gives
//! the JPEG's address, fetched with HTTP GET (answering a Digest challenge
//! when the camera sends one, as most do); `GetStreamUri` gives the live
//! RTSP stream for the operator to open. The SOAP requests carry the same
//! WS-Security UsernameToken as the event service's.
//!
//! The builders and parsers are pure; [`fetch_snapshot`] is the exchange.
//! The picture is read up to a size limit and refused beyond it.

use rand::RngCore;

use super::digest;
use super::notify::{NS_TT, NotifyError};
use super::pullpoint::{Auth, Credentials, body_or_fault, security_header};

/// The media service's namespace (ONVIF Media, version 1.0).
pub const NS_TRT: &str = "http://www.onvif.org/ver10/media/wsdl";

/// The SOAP actions of the media requests.
pub mod action {
    /// `GetProfiles`.
    pub const GET_PROFILES: &str = "http://www.onvif.org/ver10/media/wsdl/GetProfiles";
    /// `GetSnapshotUri`.
    pub const GET_SNAPSHOT_URI: &str = "http://www.onvif.org/ver10/media/wsdl/GetSnapshotUri";
    /// `GetStreamUri`.
    pub const GET_STREAM_URI: &str = "http://www.onvif.org/ver10/media/wsdl/GetStreamUri";
}

fn esc(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// A SOAP 1.2 envelope of a media request.
pub fn envelope(auth: &Auth<'_>, body: &str) -> String {
    let security = auth
        .credentials
        .map(|c| security_header(c, &auth.nonce, auth.created))
        .unwrap_or_default();
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" "#,
            r#"xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">"#,
            r#"<s:Header>{security}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#
        ),
        security = security,
        body = body
    )
}

/// `GetProfiles`.
pub fn profiles_request(auth: &Auth<'_>) -> String {
    envelope(auth, "<trt:GetProfiles/>")
}

/// `GetSnapshotUri` for `profile`.
pub fn snapshot_uri_request(auth: &Auth<'_>, profile: &str) -> String {
    envelope(
        auth,
        &format!(
            "<trt:GetSnapshotUri><trt:ProfileToken>{}</trt:ProfileToken></trt:GetSnapshotUri>",
            esc(profile)
        ),
    )
}

/// `GetStreamUri` for `profile`: unicast RTP over RTSP.
pub fn stream_uri_request(auth: &Auth<'_>, profile: &str) -> String {
    envelope(
        auth,
        &format!(
            concat!(
                "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream>",
                "<tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>",
                "<trt:ProfileToken>{}</trt:ProfileToken></trt:GetStreamUri>"
            ),
            esc(profile)
        ),
    )
}

/// The profile tokens of a `GetProfilesResponse`, in the camera's order.
pub fn parse_profiles(xml: &str) -> Result<Vec<String>, NotifyError> {
    let body = body_or_fault(xml)?;
    let response = body
        .child(NS_TRT, "GetProfilesResponse")
        .ok_or_else(|| NotifyError::Shape("no GetProfilesResponse".into()))?;
    Ok(response
        .children_named(NS_TRT, "Profiles")
        .filter_map(|p| p.attr("token").map(str::to_owned))
        .filter(|t| !t.is_empty())
        .collect())
}

/// The `MediaUri/Uri` of a `GetSnapshotUriResponse` or `GetStreamUriResponse`.
pub fn parse_media_uri(xml: &str, response: &str) -> Result<String, NotifyError> {
    let body = body_or_fault(xml)?;
    body.child(NS_TRT, response)
        .and_then(|r| r.child(NS_TRT, "MediaUri"))
        .and_then(|m| m.child(NS_TT, "Uri"))
        .map(|u| u.text.trim().to_owned())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| NotifyError::Shape(format!("no MediaUri/Uri in the {response}")))
}

/// A camera with a media service.
#[derive(Debug, Clone)]
pub struct MediaCamera {
    /// Its id (as in events and the device register).
    pub id: String,
    /// Its media service URL (`http://host/onvif/media_service`).
    pub media_url: String,
    /// Its credentials.
    pub credentials: Option<Credentials>,
    /// The door it covers: an alarm about the door gets its picture.
    pub covers_door: Option<String>,
    /// The VMS's recording of it at a time: `{camera}` and `{time}` (RFC
    /// 3339, URL-encoded) are filled in.
    pub recording_url: Option<String>,
}

impl MediaCamera {
    /// The recording link at `at`, when a template is configured.
    pub fn recording_at(&self, at: vigil_model::Timestamp) -> Option<String> {
        let time = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.recording_url.as_ref().map(|t| {
            t.replace("{camera}", &url_encode(&self.id))
                .replace("{time}", &url_encode(&time))
        })
    }
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// A picture taken through the media service.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The profile it was taken with.
    pub profile: String,
    /// Where the camera serves it.
    pub snapshot_uri: String,
    /// The live stream, when the camera gave one.
    pub stream_uri: Option<String>,
    /// Its `Content-Type`.
    pub content_type: String,
    /// The picture.
    pub bytes: Vec<u8>,
}

/// What went wrong taking a picture.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// HTTP trouble (unreachable, timed out).
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// The camera answered something unexpected.
    #[error("{0}")]
    Soap(#[from] NotifyError),
    /// The camera answered with an HTTP error status.
    #[error("{what}: the camera answered HTTP {status}")]
    Status {
        /// Which request.
        what: &'static str,
        /// The status.
        status: u16,
    },
    /// The camera has no media profile.
    #[error("the camera has no media profile")]
    NoProfile,
    /// The picture is larger than the limit.
    #[error("the snapshot is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// What came back is not a JPEG or PNG picture.
    #[error("the snapshot is not a JPEG or PNG picture (Content-Type `{0}`)")]
    NotAPicture(String),
}

pub(crate) fn nonce() -> [u8; 16] {
    let mut n = [0u8; 16];
    rand::rng().fill_bytes(&mut n);
    n
}

/// Sends `request` (built again for a retry), answering one Digest
/// challenge with `credentials`.
pub(crate) async fn send(
    http: &reqwest::Client,
    credentials: Option<&Credentials>,
    method: reqwest::Method,
    url: &str,
    body: Option<&str>,
    action: Option<&str>,
) -> Result<reqwest::Response, MediaError> {
    let build = |authorization: Option<String>| {
        let mut r = http.request(method.clone(), url);
        if let Some(body) = body {
            let content_type = match action {
                Some(a) => format!("application/soap+xml; charset=utf-8; action=\"{a}\""),
                None => "application/soap+xml; charset=utf-8".into(),
            };
            r = r.header("content-type", content_type).body(body.to_owned());
        }
        if let Some(a) = authorization {
            r = r.header("authorization", a);
        }
        r
    };
    let response = build(None).send().await?;
    if response.status() != reqwest::StatusCode::UNAUTHORIZED {
        return Ok(response);
    }
    let Some(credentials) = credentials else {
        return Ok(response);
    };
    let challenges: Vec<String> = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let Some(challenge) = digest::parse_challenge(challenges.iter().map(String::as_str)) else {
        return Ok(response);
    };
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| NotifyError::Shape(format!("bad URL `{url}`: {e}")))?;
    let target = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_owned(),
    };
    let cnonce = hex::encode(nonce());
    let header = digest::authorization(&challenge, credentials, method.as_str(), &target, &cnonce);
    Ok(build(Some(header)).send().await?)
}

async fn soap(
    http: &reqwest::Client,
    camera: &MediaCamera,
    what: &'static str,
    action: &str,
    body: String,
) -> Result<String, MediaError> {
    let response = send(
        http,
        camera.credentials.as_ref(),
        reqwest::Method::POST,
        &camera.media_url,
        Some(&body),
        Some(action),
    )
    .await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() && !text.contains("Fault") {
        return Err(MediaError::Status {
            what,
            status: status.as_u16(),
        });
    }
    Ok(text)
}

/// Takes a picture from `camera` now (`now` dates the WS-Security token):
/// profiles, snapshot URI, stream URI (its failure is not the picture's),
/// then the picture itself, at most `limit` bytes.
pub async fn fetch_snapshot(
    http: &reqwest::Client,
    camera: &MediaCamera,
    now: vigil_model::Timestamp,
    limit: usize,
) -> Result<Snapshot, MediaError> {
    let creds = camera.credentials.as_ref();
    let auth = || Auth {
        credentials: creds,
        nonce: nonce(),
        created: now,
    };
    let xml = soap(
        http,
        camera,
        "GetProfiles",
        action::GET_PROFILES,
        profiles_request(&auth()),
    )
    .await?;
    let profile = parse_profiles(&xml)?
        .into_iter()
        .next()
        .ok_or(MediaError::NoProfile)?;
    let xml = soap(
        http,
        camera,
        "GetSnapshotUri",
        action::GET_SNAPSHOT_URI,
        snapshot_uri_request(&auth(), &profile),
    )
    .await?;
    let snapshot_uri = parse_media_uri(&xml, "GetSnapshotUriResponse")?;
    let stream_uri = match soap(
        http,
        camera,
        "GetStreamUri",
        action::GET_STREAM_URI,
        stream_uri_request(&auth(), &profile),
    )
    .await
    {
        Ok(xml) => parse_media_uri(&xml, "GetStreamUriResponse").ok(),
        Err(e) => {
            tracing::debug!(camera = %camera.id, error = %e, "no stream URI");
            None
        }
    };
    let mut response = send(http, creds, reqwest::Method::GET, &snapshot_uri, None, None).await?;
    let status = response.status();
    if !status.is_success() {
        return Err(MediaError::Status {
            what: "the snapshot",
            status: status.as_u16(),
        });
    }
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !matches!(content_type.as_str(), "image/jpeg" | "image/png") {
        return Err(MediaError::NotAPicture(content_type));
    }
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(MediaError::TooLarge { limit });
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > limit {
            return Err(MediaError::TooLarge { limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Snapshot {
        profile,
        snapshot_uri,
        stream_uri,
        content_type,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILES: &str = r#"<?xml version="1.0"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">
<s:Body><trt:GetProfilesResponse>
<trt:Profiles token="main" fixed="true"><tt:Name>MainStream</tt:Name></trt:Profiles>
<trt:Profiles token="sub"><tt:Name>SubStream</tt:Name></trt:Profiles>
</trt:GetProfilesResponse></s:Body></s:Envelope>"#;

    #[test]
    fn profiles_and_uris_are_read_and_faults_reported() {
        assert_eq!(parse_profiles(PROFILES).unwrap(), ["main", "sub"]);
        let uri = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body><trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>http://192.0.2.7/snap.jpg?p=main&amp;x=1</tt:Uri><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetSnapshotUriResponse></s:Body></s:Envelope>"#;
        assert_eq!(
            parse_media_uri(uri, "GetSnapshotUriResponse").unwrap(),
            "http://192.0.2.7/snap.jpg?p=main&x=1"
        );
        assert!(parse_media_uri(uri, "GetStreamUriResponse").is_err());
        let fault = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Reason><s:Text>Sender not authorized</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"#;
        let err = parse_profiles(fault).unwrap_err().to_string();
        assert!(err.contains("not authorized"), "{err}");
    }

    #[test]
    fn requests_name_the_profile_escaped_and_carry_the_token() {
        let creds = Credentials {
            username: "vigil".into(),
            password: "pw".into(),
        };
        let auth = Auth {
            credentials: Some(&creds),
            nonce: [7; 16],
            created: chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap(),
        };
        let r = snapshot_uri_request(&auth, "a<b");
        assert!(
            r.contains("<trt:ProfileToken>a&lt;b</trt:ProfileToken>"),
            "{r}"
        );
        assert!(r.contains("<wsse:Username>vigil</wsse:Username>"));
        assert!(stream_uri_request(&auth, "main").contains("RTP-Unicast"));
    }

    #[test]
    fn the_recording_link_fills_camera_and_time() {
        let cam = MediaCamera {
            id: "cam 1".into(),
            media_url: "http://x".into(),
            credentials: None,
            covers_door: None,
            recording_url: Some("https://vms.example/play?c={camera}&t={time}".into()),
        };
        let at = chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        let link = cam.recording_at(at).unwrap();
        assert!(
            link.starts_with("https://vms.example/play?c=cam%201&t=20"),
            "{link}"
        );
        assert!(link.ends_with("%3A00Z"), "{link}");
    }
}
