//! What sources hand to the device-report seam: an ONVIF camera's
//! `GetDeviceInformation` (asked over real HTTP, behind HTTP Digest and the
//! WS-Security user, again on the schedule), and a DC-09 panel's identity
//! (its account's device, once). The seam's other side — the desk's
//! inventory and alarm — is tested in the desk and end to end.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use rand::SeedableRng;
use rand::rngs::StdRng;
use vigil_lifecycle::inventory::{DeviceReport, DeviceReports, ReportProtocol};
use vigil_model::{SiteId, SourceBinding, SourceKind, SystemClock};
use vigil_sources::dc09::{Dc09Listener, Dc09Receiver, Dc09Sender, PanelAccount, TimeWindow};
use vigil_sources::onvif::device_info::{DeviceInfoCamera, fetch, run};
use vigil_sources::onvif::digest::{Challenge, verify};
use vigil_sources::onvif::media::MediaError;
use vigil_sources::onvif::pullpoint::Credentials;

/// The reports a source handed over, in order.
#[derive(Default)]
struct Collected(Mutex<Vec<(SourceBinding, DeviceReport)>>);

impl DeviceReports for Collected {
    fn reported(&self, binding: &SourceBinding, report: DeviceReport) {
        self.0.lock().unwrap().push((binding.clone(), report));
    }
}

impl Collected {
    fn reports(&self) -> Vec<DeviceReport> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }
}

fn hq_binding(kind: SourceKind, product: &str) -> SourceBinding {
    let mut b = common::binding("acme-src", kind, product);
    b.site = Some(SiteId::new("hq").unwrap());
    b
}

#[derive(Clone)]
struct Camera {
    firmware: Arc<Mutex<String>>,
    challenged: Arc<Mutex<u32>>,
}

fn challenge() -> Challenge {
    Challenge {
        realm: "cam".into(),
        nonce: "0a4f113b".into(),
        opaque: None,
        qop_auth: true,
        sha256: false,
    }
}

fn credentials() -> Credentials {
    Credentials {
        username: "admin".into(),
        password: "s3cret".into(),
    }
}

/// A device service that wants HTTP Digest first, then the WS-Security user.
async fn device(State(c): State<Camera>, headers: HeaderMap, body: Bytes) -> Response {
    let answered = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| verify(a, &challenge(), &credentials(), "POST"));
    if !answered {
        *c.challenged.lock().unwrap() += 1;
        let ch = challenge();
        return (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                format!(
                    r#"Digest realm="{}", qop="auth", nonce="{}", algorithm=MD5"#,
                    ch.realm, ch.nonce
                ),
            )],
        )
            .into_response();
    }
    let text = String::from_utf8_lossy(&body);
    let envelope = |body: &str| {
        format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Body>{body}</s:Body></s:Envelope>"#
        )
    };
    if !text.contains("<wsse:Username>admin</wsse:Username>")
        || !text.contains("<tds:GetDeviceInformation")
    {
        return (
            StatusCode::BAD_REQUEST,
            envelope(
                "<s:Fault><s:Reason><s:Text>Sender not authorized</s:Text></s:Reason></s:Fault>",
            ),
        )
            .into_response();
    }
    let firmware = c.firmware.lock().unwrap().clone();
    envelope(&format!(
        "<tds:GetDeviceInformationResponse><tds:Manufacturer>Bosch</tds:Manufacturer><tds:Model>FLEXIDOME IP 5000i</tds:Model><tds:FirmwareVersion>{firmware}</tds:FirmwareVersion><tds:SerialNumber>044123456789</tds:SerialNumber><tds:HardwareId>F0004D43</tds:HardwareId></tds:GetDeviceInformationResponse>"
    ))
    .into_response()
}

async fn camera() -> (SocketAddr, Camera, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cam = Camera {
        firmware: Arc::new(Mutex::new("7.80.0128".into())),
        challenged: Arc::default(),
    };
    let app = Router::new()
        .route("/onvif/device_service", post(device))
        .with_state(cam.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, cam, task)
}

async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within a minute");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_camera_says_what_it_is_and_again_on_the_schedule() {
    let (addr, cam, server) = camera().await;
    let url = format!("http://{addr}/onvif/device_service");
    let http = reqwest::Client::new();
    let asked = DeviceInfoCamera {
        id: "cam-7".into(),
        url: url.clone(),
        credentials: Some(credentials()),
    };
    let info = fetch(&http, &asked, Utc::now()).await.unwrap();
    assert_eq!(info.manufacturer.as_deref(), Some("Bosch"));
    assert_eq!(info.model.as_deref(), Some("FLEXIDOME IP 5000i"));
    assert_eq!(info.firmware_version.as_deref(), Some("7.80.0128"));
    assert_eq!(info.serial_number.as_deref(), Some("044123456789"));
    assert_eq!(info.hardware_id.as_deref(), Some("F0004D43"));
    assert_eq!(
        *cam.challenged.lock().unwrap(),
        1,
        "the Digest challenge was answered"
    );

    // A wrong user: the camera's fault, said.
    let wrong = DeviceInfoCamera {
        credentials: Some(Credentials {
            username: "admin".into(),
            password: "nope".into(),
        }),
        ..asked.clone()
    };
    match fetch(&http, &wrong, Utc::now()).await {
        Err(MediaError::Status { what, status }) => {
            assert_eq!((what, status), ("GetDeviceInformation", 401))
        }
        other => panic!("{other:?}"),
    }

    // On the schedule: each answer is reported, a new firmware included.
    let collected = Arc::new(Collected::default());
    let binding = hq_binding(SourceKind::OnvifPull, "onvif");
    let task = tokio::spawn(run(
        binding,
        asked,
        Arc::new(SystemClock),
        collected.clone(),
        Duration::from_millis(50),
    ));
    until("a first report", || !collected.reports().is_empty()).await;
    *cam.firmware.lock().unwrap() = "7.91.0029".into();
    until("the new firmware reported", || {
        collected
            .reports()
            .iter()
            .any(|r| r.firmware.as_deref() == Some("7.91.0029"))
    })
    .await;
    let first = &collected.reports()[0];
    assert_eq!(
        (
            first.site.as_str(),
            first.device.as_str(),
            first.protocol,
            first.vendor.as_deref(),
            first.serial.as_deref(),
            first.firmware.as_deref()
        ),
        (
            "hq",
            "cam-7",
            ReportProtocol::Onvif,
            Some("Bosch"),
            Some("044123456789"),
            Some("7.80.0128")
        )
    );
    task.abort();
    server.abort();
}

#[tokio::test]
async fn a_panel_is_reported_once_by_its_account() {
    let (pipeline, _store) = common::pipeline_with(Arc::new(SystemClock), &[]).await;
    let mut elsewhere = PanelAccount::new("9000");
    elsewhere.site = Some(SiteId::new("depot").unwrap());
    let receiver = Dc09Receiver::new(
        [elsewhere, PanelAccount::new("9001")],
        TimeWindow::default(),
    );
    let collected = Arc::new(Collected::default());
    let listener = Dc09Listener::new(
        receiver,
        hq_binding(SourceKind::Dc09Tcp, "sia-dc09"),
        pipeline,
        None,
    )
    .with_device_reports(collected.clone());
    let mut rng = StdRng::seed_from_u64(3);
    let now = Utc::now();
    for (seq, account) in [(1, "9001"), (2, "9001"), (3, "9000"), (4, "9099")] {
        let frame =
            Dc09Sender::new(account).frame(seq, "SIA-DCS", "Nri1/BA3", now, false, &mut rng);
        listener.handle_frame(&frame, &mut rng).await;
    }
    let reports = collected.reports();
    let seen: Vec<(&str, &str)> = reports
        .iter()
        .map(|r| (r.site.as_str(), r.device.as_str()))
        .collect();
    assert_eq!(
        seen,
        [("hq", "panel-9001"), ("depot", "panel-9000")],
        "each configured account once, at its own site; the unknown one refused"
    );
    assert!(reports.iter().all(|r| r.protocol == ReportProtocol::Dc09
        && r.vendor.is_none()
        && r.model.is_none()
        && r.firmware.is_none()));
    let (binding, _) = &collected.0.lock().unwrap()[1];
    assert_eq!(binding.site.as_ref().map(SiteId::as_str), Some("depot"));
}
