//! The ONVIF media client against a camera served over real HTTP in the
//! test: the picture with its Digest challenge answered, and each way it
//! fails — wrong password, a picture over the limit, no WS-Security user,
//! nobody listening — as an error that says so.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use vigil_sources::onvif::digest::{Challenge, verify};
use vigil_sources::onvif::media::{MediaCamera, MediaError, fetch_snapshot};
use vigil_sources::onvif::pullpoint::Credentials;

const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9,
];

#[derive(Clone)]
struct Camera {
    addr: SocketAddr,
    password: &'static str,
    picture: Vec<u8>,
    asked: Arc<Mutex<Vec<String>>>,
}

fn challenge() -> Challenge {
    Challenge {
        realm: "cam".into(),
        nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093".into(),
        opaque: None,
        qop_auth: true,
        sha256: false,
    }
}

fn envelope(body: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

async fn media(State(c): State<Camera>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    c.asked.lock().unwrap().push("soap".into());
    if !text.contains("<wsse:Username>admin</wsse:Username>") {
        return (
            StatusCode::BAD_REQUEST,
            envelope(
                "<s:Fault><s:Reason><s:Text>Sender not authorized</s:Text></s:Reason></s:Fault>",
            ),
        )
            .into_response();
    }
    let answer = if text.contains("<trt:GetProfiles") {
        r#"<trt:GetProfilesResponse><trt:Profiles token="p1"/></trt:GetProfilesResponse>"#
            .to_owned()
    } else if text.contains("<trt:GetSnapshotUri") {
        format!(
            "<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>http://{}/snap?profile=p1</tt:Uri></trt:MediaUri></trt:GetSnapshotUriResponse>",
            c.addr
        )
    } else {
        "<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://cam/p1</tt:Uri></trt:MediaUri></trt:GetStreamUriResponse>".to_owned()
    };
    envelope(&answer).into_response()
}

async fn snap(State(c): State<Camera>, headers: HeaderMap) -> Response {
    let creds = Credentials {
        username: "admin".into(),
        password: c.password.into(),
    };
    let ok = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| {
            a.contains(r#"uri="/snap?profile=p1""#) && verify(a, &challenge(), &creds, "GET")
        });
    if !ok {
        c.asked.lock().unwrap().push("401".into());
        let ch = challenge();
        return (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                format!(
                    r#"Digest realm="{}", qop="auth", nonce="{}""#,
                    ch.realm, ch.nonce
                ),
            )],
        )
            .into_response();
    }
    c.asked.lock().unwrap().push("200".into());
    ([(header::CONTENT_TYPE, "image/jpeg")], c.picture.clone()).into_response()
}

struct Running {
    addr: SocketAddr,
    asked: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn camera(password: &'static str, picture: Vec<u8>) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let state = Camera {
        addr,
        password,
        picture,
        asked: asked.clone(),
    };
    let app = Router::new()
        .route("/onvif/media_service", post(media))
        .route("/snap", get(snap))
        .with_state(state);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Running { addr, asked, task }
}

fn client(addr: SocketAddr, user: &str, password: &str) -> MediaCamera {
    MediaCamera {
        id: "cam-1".into(),
        media_url: format!("http://{addr}/onvif/media_service"),
        credentials: Some(Credentials {
            username: user.into(),
            password: password.into(),
        }),
        covers_door: None,
        recording_url: None,
    }
}

fn now() -> vigil_model::Timestamp {
    chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap()
}

#[tokio::test]
async fn the_picture_is_fetched_through_the_media_service_with_digest() {
    let cam = camera("s3cret", JPEG.to_vec()).await;
    let http = reqwest::Client::new();
    let shot = fetch_snapshot(&http, &client(cam.addr, "admin", "s3cret"), now(), 1024)
        .await
        .unwrap();
    assert_eq!(shot.bytes, JPEG);
    assert_eq!(shot.profile, "p1");
    assert_eq!(shot.content_type, "image/jpeg");
    assert_eq!(shot.stream_uri.as_deref(), Some("rtsp://cam/p1"));
    assert_eq!(
        *cam.asked.lock().unwrap(),
        ["soap", "soap", "soap", "401", "200"]
    );
}

#[tokio::test]
async fn each_failure_says_what_failed() {
    let http = reqwest::Client::new();
    let cam = camera("s3cret", JPEG.to_vec()).await;
    let err = fetch_snapshot(&http, &client(cam.addr, "admin", "wrong"), now(), 1024)
        .await
        .unwrap_err();
    assert!(
        matches!(err, MediaError::Status { status: 401, .. }),
        "{err}"
    );
    let err = fetch_snapshot(&http, &client(cam.addr, "nobody", "x"), now(), 1024)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Sender not authorized"), "{err}");

    let big = camera("s3cret", [JPEG, &[0u8; 4096][..]].concat()).await;
    let err = fetch_snapshot(&http, &client(big.addr, "admin", "s3cret"), now(), 1024)
        .await
        .unwrap_err();
    assert!(matches!(err, MediaError::TooLarge { limit: 1024 }), "{err}");

    let gone = big.addr;
    drop(big);
    drop(cam);
    let err = fetch_snapshot(&http, &client(gone, "admin", "s3cret"), now(), 1024)
        .await
        .unwrap_err();
    assert!(matches!(err, MediaError::Http(_)), "{err}");
}
