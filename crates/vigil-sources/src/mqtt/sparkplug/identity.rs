//! What an edge node or device says about itself in its birth certificate.
//!
//! Sparkplug B reserves no metric for identity; the convention of the
//! specification's own NBIRTH example and of Eclipse Tahu's reference
//! clients is a `Properties/` folder of string metrics (`Properties/Hardware
//! Make`, `Properties/Hardware Model`, `Properties/OS`, `Properties/OS
//! Version`), which gateways extend with `Properties/FW` and a serial. The
//! names read (after `Properties/`, without regard to case):
//!
//! | field | metric names |
//! |---|---|
//! | vendor | `Hardware Make`, `Make`, `Manufacturer` |
//! | model | `Hardware Model`, `Model` |
//! | firmware | `FW`, `Firmware`, `Firmware Version`, `FW Version`, `Software Version` |
//! | serial | `Serial`, `Serial Number`, `Hardware Serial` |
//!
//! `OS` and `OS Version` are not read as firmware: on a gateway that is a
//! PC they change with every operating-system update, which is not what an
//! unplanned firmware change means.

use serde_json::Value;

use super::proto::Metric;

/// The identity fields of one birth certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BirthIdentity {
    /// The edge node (NBIRTH) or device (DBIRTH) it describes.
    pub device: String,
    /// Its manufacturer.
    pub vendor: Option<String>,
    /// Its model.
    pub model: Option<String>,
    /// Its serial number.
    pub serial: Option<String>,
    /// Its firmware or software version.
    pub firmware: Option<String>,
}

/// Longest identity value kept; longer ones are not an identity.
const MAX_VALUE: usize = 128;

fn text(m: &Metric) -> Option<String> {
    let text = match m.json_value()? {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let text = text.trim();
    (!text.is_empty() && text.len() <= MAX_VALUE).then(|| text.to_owned())
}

/// The identity a birth's metrics carry, if it carries any.
pub fn identity_of(device: &str, metrics: &[Metric]) -> Option<BirthIdentity> {
    let mut out = BirthIdentity {
        device: device.to_owned(),
        ..Default::default()
    };
    for m in metrics {
        let Some(name) = m.name.as_deref() else {
            continue;
        };
        let Some((folder, property)) = name.split_once('/') else {
            continue;
        };
        if !folder.eq_ignore_ascii_case("properties") {
            continue;
        }
        let slot = match property.trim().to_ascii_lowercase().as_str() {
            "hardware make" | "make" | "manufacturer" => &mut out.vendor,
            "hardware model" | "model" => &mut out.model,
            "fw" | "firmware" | "firmware version" | "fw version" | "software version" => {
                &mut out.firmware
            }
            "serial" | "serial number" | "hardware serial" => &mut out.serial,
            _ => continue,
        };
        if slot.is_none() {
            *slot = text(m);
        }
    }
    let any = out.vendor.is_some()
        || out.model.is_some()
        || out.serial.is_some()
        || out.firmware.is_some();
    any.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::sparkplug::proto::{DataType, MetricValue};

    fn string(name: &str, value: &str) -> Metric {
        Metric {
            name: Some(name.into()),
            datatype: Some(DataType::String as u32),
            value: Some(MetricValue::StringValue(value.into())),
            ..Default::default()
        }
    }

    #[test]
    fn the_properties_folder_names_the_device() {
        let metrics = vec![
            string("bdSeq", "0"),
            string("Properties/Hardware Make", "Advantech"),
            string("Properties/Hardware Model", "WISE-4050"),
            string("properties/fw", " A1.18 B1.14 "),
            string("Properties/Serial Number", "ADV-0042"),
            string("Properties/OS Version", "6.1"),
            string("Temperature", "22"),
        ];
        let id = identity_of("gw-1", &metrics).unwrap();
        assert_eq!(
            id,
            BirthIdentity {
                device: "gw-1".into(),
                vendor: Some("Advantech".into()),
                model: Some("WISE-4050".into()),
                serial: Some("ADV-0042".into()),
                firmware: Some("A1.18 B1.14".into()),
            }
        );
    }

    #[test]
    fn a_birth_without_identity_properties_reports_nothing() {
        let metrics = vec![
            string("Properties/OS", "Linux"),
            string("Properties/Hardware Make", "   "),
            string("Inputs/A", "x"),
        ];
        assert_eq!(identity_of("gw-1", &metrics), None);
        let long = "x".repeat(MAX_VALUE + 1);
        assert_eq!(identity_of("gw-1", &[string("Properties/FW", &long)]), None);
    }
}
