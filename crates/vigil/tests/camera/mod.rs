//! A fake ONVIF camera for the tests: a real HTTP server on a free port
//! answering the media service's `GetProfiles`, `GetSnapshotUri` and
//! `GetStreamUri` (refusing requests without the expected WS-Security user)
//! and serving its picture only to an HTTP Digest answer, as cameras do;
//! its device service answers `GetDeviceInformation` with the firmware the
//! test sets (same user check). Ended when dropped.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use vigil_sources::onvif::digest::{Challenge, verify};
use vigil_sources::onvif::pullpoint::Credentials;

/// The user the camera accepts (with an empty password).
pub const USER: &str = "vigil";

#[derive(Clone)]
struct Camera {
    addr: SocketAddr,
    picture: Arc<Mutex<Vec<u8>>>,
    firmware: Arc<Mutex<String>>,
    device_asked: Arc<Mutex<u32>>,
    requests: Arc<Mutex<Vec<String>>>,
    challenge: Challenge,
}

/// A running fake camera.
pub struct FakeCamera {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The JPEG it serves.
    pub picture: Arc<Mutex<Vec<u8>>>,
    /// The firmware version `GetDeviceInformation` answers.
    pub firmware: Arc<Mutex<String>>,
    /// How often its device service was asked.
    pub device_asked: Arc<Mutex<u32>>,
    /// What it was asked, in order (`GetProfiles`, `snapshot 401`, …).
    pub requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeCamera {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeCamera {
    /// Starts a camera on a free port.
    pub async fn start() -> FakeCamera {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let camera = Camera {
            addr,
            picture: Arc::default(),
            firmware: Arc::new(Mutex::new("10.12.1".into())),
            device_asked: Arc::default(),
            requests: Arc::default(),
            challenge: Challenge {
                realm: "fake-camera".into(),
                nonce: format!("{:016x}", rand_nonce()),
                opaque: Some("0pa9ue".into()),
                qop_auth: true,
                sha256: false,
            },
        };
        let app = Router::new()
            .route("/onvif/media_service", post(media))
            .route("/snapshot.jpg", get(snapshot))
            .route("/onvif/device_service", post(device))
            .with_state(camera.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeCamera {
            addr,
            picture: camera.picture,
            firmware: camera.firmware,
            device_asked: camera.device_asked,
            requests: camera.requests,
            task,
        }
    }

    /// Its media service URL.
    pub fn media_url(&self) -> String {
        format!("http://{}/onvif/media_service", self.addr)
    }

    /// The serial number `GetDeviceInformation` answers.
    pub fn serial(&self) -> String {
        serial_of(self.addr)
    }

    /// Its device service URL.
    pub fn device_url(&self) -> String {
        format!("http://{}/onvif/device_service", self.addr)
    }

    /// Its stream URI, as `GetStreamUri` gives it.
    pub fn stream_uri(&self) -> String {
        format!("rtsp://{}/stream1", self.addr)
    }
}

fn rand_nonce() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

fn soap(body: &str) -> Response {
    (
        [(header::CONTENT_TYPE, "application/soap+xml; charset=utf-8")],
        format!(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">"#,
                r#"<s:Body>{}</s:Body></s:Envelope>"#
            ),
            body
        ),
    )
        .into_response()
}

async fn media(State(camera): State<Camera>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    let asked = ["GetProfiles", "GetSnapshotUri", "GetStreamUri"]
        .into_iter()
        .find(|op| text.contains(&format!("<trt:{op}")))
        .unwrap_or("unknown");
    camera.requests.lock().unwrap().push(asked.to_owned());
    if !text.contains(&format!("<wsse:Username>{USER}</wsse:Username>")) {
        let mut r =
            soap("<s:Fault><s:Reason><s:Text>Sender not authorized</s:Text></s:Reason></s:Fault>");
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return r;
    }
    match asked {
        "GetProfiles" => soap(
            r#"<trt:GetProfilesResponse><trt:Profiles token="main" fixed="true"><tt:Name>Main</tt:Name></trt:Profiles></trt:GetProfilesResponse>"#,
        ),
        "GetSnapshotUri" if text.contains("<trt:ProfileToken>main</trt:ProfileToken>") => {
            soap(&format!(
                "<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>http://{}/snapshot.jpg</tt:Uri></trt:MediaUri></trt:GetSnapshotUriResponse>",
                camera.addr
            ))
        }
        "GetStreamUri" => soap(&format!(
            "<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://{}/stream1</tt:Uri></trt:MediaUri></trt:GetStreamUriResponse>",
            camera.addr
        )),
        _ => {
            let mut r =
                soap("<s:Fault><s:Reason><s:Text>No such profile</s:Text></s:Reason></s:Fault>");
            *r.status_mut() = StatusCode::BAD_REQUEST;
            r
        }
    }
}

async fn device(State(camera): State<Camera>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    *camera.device_asked.lock().unwrap() += 1;
    if !text.contains("<tds:GetDeviceInformation")
        || !text.contains(&format!("<wsse:Username>{USER}</wsse:Username>"))
    {
        let mut r =
            soap("<s:Fault><s:Reason><s:Text>Sender not authorized</s:Text></s:Reason></s:Fault>");
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return r;
    }
    let firmware = camera.firmware.lock().unwrap().clone();
    (
        [(header::CONTENT_TYPE, "application/soap+xml; charset=utf-8")],
        format!(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">"#,
                r#"<s:Body><tds:GetDeviceInformationResponse><tds:Manufacturer>AXIS</tds:Manufacturer>"#,
                r#"<tds:Model>P3245-V</tds:Model><tds:FirmwareVersion>{}</tds:FirmwareVersion>"#,
                r#"<tds:SerialNumber>{}</tds:SerialNumber><tds:HardwareId>7F1</tds:HardwareId>"#,
                r#"</tds:GetDeviceInformationResponse></s:Body></s:Envelope>"#
            ),
            firmware,
            serial_of(camera.addr)
        ),
    )
        .into_response()
}

/// Each camera's own serial number (the inventory refuses one serial on
/// two devices).
fn serial_of(addr: SocketAddr) -> String {
    format!("ACCC8E{:06}", addr.port())
}

async fn snapshot(State(camera): State<Camera>, headers: HeaderMap) -> Response {
    let credentials = Credentials {
        username: USER.into(),
        password: String::new(),
    };
    let answered = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| verify(a, &camera.challenge, &credentials, "GET"));
    if !answered {
        camera.requests.lock().unwrap().push("snapshot 401".into());
        let c = &camera.challenge;
        let challenge = format!(
            r#"Digest realm="{}", qop="auth", nonce="{}", opaque="{}", algorithm=MD5"#,
            c.realm,
            c.nonce,
            c.opaque.as_deref().unwrap_or_default()
        );
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
        )
            .into_response();
    }
    camera.requests.lock().unwrap().push("snapshot 200".into());
    let picture = camera.picture.lock().unwrap().clone();
    ([(header::CONTENT_TYPE, "image/jpeg")], picture).into_response()
}
