//! What a camera says it is: ONVIF `GetDeviceInformation` on its device
//! service (manufacturer, model, firmware version, serial number, hardware
//! id), asked when the source starts and then on a schedule (daily by
//! default), and handed to the inventory as a device report — a firmware
//! that changed without an approved work order raises an alarm there.
//!
//! The device service's address is fixed by ONVIF Core
//! (`http://<host>/onvif/device_service`), so unless a camera names it
//! (`device_url`) it is the event or media service's host with that path.
//! The request carries the WS-Security UsernameToken and answers a Digest
//! challenge, as the media service's requests do.
//!
//! The builder and parser are pure; [`fetch`] is the exchange and [`run`]
//! the schedule.

use std::sync::Arc;

use vigil_lifecycle::inventory::{DeviceReport, DeviceReports, ReportProtocol};
use vigil_model::{Clock, SourceBinding, Timestamp};

use super::media::{MediaError, nonce, send};
use super::notify::NotifyError;
use super::pullpoint::{Auth, Credentials, body_or_fault, security_header};

/// The device management service's namespace.
pub const NS_TDS: &str = "http://www.onvif.org/ver10/device/wsdl";

/// The SOAP action of `GetDeviceInformation`.
pub const ACTION: &str = "http://www.onvif.org/ver10/device/wsdl/GetDeviceInformation";

/// The `GetDeviceInformation` request.
pub fn request(auth: &Auth<'_>) -> String {
    let security = auth
        .credentials
        .map(|c| security_header(c, &auth.nonce, auth.created))
        .unwrap_or_default();
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" "#,
            r#"xmlns:tds="http://www.onvif.org/ver10/device/wsdl">"#,
            r#"<s:Header>{security}</s:Header><s:Body><tds:GetDeviceInformation/></s:Body></s:Envelope>"#
        ),
        security = security
    )
}

/// What `GetDeviceInformation` answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceInformation {
    /// `Manufacturer`.
    pub manufacturer: Option<String>,
    /// `Model`.
    pub model: Option<String>,
    /// `FirmwareVersion`.
    pub firmware_version: Option<String>,
    /// `SerialNumber`.
    pub serial_number: Option<String>,
    /// `HardwareId` (the inventory keeps no hardware revision; logged only).
    pub hardware_id: Option<String>,
}

/// Longest field kept; a longer one is not an identity.
const MAX_FIELD: usize = 128;

/// Reads a `GetDeviceInformationResponse`; a SOAP fault is an error saying
/// what the camera said.
pub fn parse(xml: &str) -> Result<DeviceInformation, NotifyError> {
    let body = body_or_fault(xml)?;
    let response = body
        .child(NS_TDS, "GetDeviceInformationResponse")
        .ok_or_else(|| NotifyError::Shape("no GetDeviceInformationResponse".into()))?;
    let field = |name: &str| {
        response
            .child(NS_TDS, name)
            .map(|e| e.text.trim())
            .filter(|t| !t.is_empty() && t.len() <= MAX_FIELD)
            .map(str::to_owned)
    };
    Ok(DeviceInformation {
        manufacturer: field("Manufacturer"),
        model: field("Model"),
        firmware_version: field("FirmwareVersion"),
        serial_number: field("SerialNumber"),
        hardware_id: field("HardwareId"),
    })
}

/// The device service of the camera whose other service is at `url`.
pub fn device_service_of(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return None;
    }
    parsed
        .join("/onvif/device_service")
        .ok()
        .map(|u| u.to_string())
}

/// A camera to ask.
#[derive(Debug, Clone)]
pub struct DeviceInfoCamera {
    /// Its id (as in events and the inventory).
    pub id: String,
    /// Its device service URL.
    pub url: String,
    /// Its credentials.
    pub credentials: Option<Credentials>,
}

/// Asks `camera` now (`now` dates the WS-Security token).
pub async fn fetch(
    http: &reqwest::Client,
    camera: &DeviceInfoCamera,
    now: Timestamp,
) -> Result<DeviceInformation, MediaError> {
    let creds = camera.credentials.as_ref();
    let body = request(&Auth {
        credentials: creds,
        nonce: nonce(),
        created: now,
    });
    let response = send(
        http,
        creds,
        reqwest::Method::POST,
        &camera.url,
        Some(&body),
        Some(ACTION),
    )
    .await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() && !text.contains("Fault") {
        return Err(MediaError::Status {
            what: "GetDeviceInformation",
            status: status.as_u16(),
        });
    }
    Ok(parse(&text)?)
}

/// The inventory's report of what `camera` answered, at `binding`'s site.
pub fn report_of(
    binding: &SourceBinding,
    camera: &str,
    info: DeviceInformation,
) -> Option<DeviceReport> {
    Some(DeviceReport {
        site: binding.site.clone()?,
        device: camera.to_owned(),
        protocol: ReportProtocol::Onvif,
        vendor: info.manufacturer,
        model: info.model,
        serial: info.serial_number,
        firmware: info.firmware_version,
    })
}

/// Asks `camera` at once and then every `every` (real time) until dropped,
/// reporting each answer; a failed call is tried again sooner (from a
/// minute, doubling up to `every`).
pub async fn run(
    binding: SourceBinding,
    camera: DeviceInfoCamera,
    clock: Arc<dyn Clock>,
    reports: Arc<dyn DeviceReports>,
    every: std::time::Duration,
) {
    let http = match reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "onvif device information client could not start");
            return;
        }
    };
    let first_retry = std::time::Duration::from_secs(60).min(every);
    let mut retry = first_retry;
    loop {
        let pause = match fetch(&http, &camera, clock.now()).await {
            Ok(info) => {
                tracing::debug!(source = %binding.id, camera = %camera.id, hardware_id = ?info.hardware_id, "onvif device information");
                match report_of(&binding, &camera.id, info) {
                    Some(report) => reports.reported(&binding, report),
                    None => {
                        tracing::debug!(source = %binding.id, camera = %camera.id, "device information not reported: the source names no site")
                    }
                }
                retry = first_retry;
                every
            }
            Err(e) => {
                tracing::warn!(source = %binding.id, camera = %camera.id, error = %e, "onvif GetDeviceInformation failed");
                let pause = retry;
                retry = (retry * 2).min(every);
                pause
            }
        };
        tokio::time::sleep(pause).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onvif::notify::NS_SOAP12;
    use crate::onvif::xml;

    #[test]
    fn the_request_is_signed_and_asks_for_the_information() {
        let creds = Credentials {
            username: "vigil".into(),
            password: "s3cret".into(),
        };
        let xml = request(&Auth {
            credentials: Some(&creds),
            nonce: [3; 16],
            created: chrono::Utc::now(),
        });
        let root = xml::parse(&xml).unwrap();
        let body = root.child(NS_SOAP12, "Body").unwrap();
        assert!(body.child(NS_TDS, "GetDeviceInformation").is_some());
        assert!(xml.contains("<wsse:Username>vigil</wsse:Username>"));
        assert!(!xml.contains("s3cret"));
    }

    #[test]
    fn the_answer_is_read_and_a_fault_is_an_error() {
        let ok = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Body><tds:GetDeviceInformationResponse><tds:Manufacturer>AXIS</tds:Manufacturer><tds:Model>P3245-V</tds:Model><tds:FirmwareVersion> 10.12.1 </tds:FirmwareVersion><tds:SerialNumber>ACCC8E000001</tds:SerialNumber><tds:HardwareId>7F1</tds:HardwareId></tds:GetDeviceInformationResponse></s:Body></s:Envelope>"#;
        assert_eq!(
            parse(ok).unwrap(),
            DeviceInformation {
                manufacturer: Some("AXIS".into()),
                model: Some("P3245-V".into()),
                firmware_version: Some("10.12.1".into()),
                serial_number: Some("ACCC8E000001".into()),
                hardware_id: Some("7F1".into()),
            }
        );
        let empty = ok.replace("<tds:Model>P3245-V</tds:Model>", "<tds:Model></tds:Model>");
        assert_eq!(parse(&empty).unwrap().model, None);
        let fault = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Reason><s:Text>Sender not authorized</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"#;
        assert!(
            parse(fault)
                .unwrap_err()
                .to_string()
                .contains("not authorized")
        );
        let other = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><x/></s:Body></s:Envelope>"#;
        assert!(
            parse(other)
                .unwrap_err()
                .to_string()
                .contains("GetDeviceInformationResponse")
        );
    }

    #[test]
    fn the_device_service_is_on_the_cameras_host() {
        assert_eq!(
            device_service_of("http://192.0.2.10:8080/onvif/event_service?x=1").as_deref(),
            Some("http://192.0.2.10:8080/onvif/device_service")
        );
        assert_eq!(
            device_service_of("https://cam.example/onvif/Media").as_deref(),
            Some("https://cam.example/onvif/device_service")
        );
        assert_eq!(device_service_of("rtsp://cam/stream"), None);
        assert_eq!(device_service_of("not a url"), None);
    }
}
