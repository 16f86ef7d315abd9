//! Which rules an event is tested against: the event's log source, derived
//! once per event, and an index of rules by the log source they name.
//!
//! An event may be seen in up to three ways ("views"), and a rule applies
//! when every attribute it names fits one view:
//! - Windows events (a `Channel` or `EventID` field, flat or nested under
//!   `Event.System`): product `windows`, the service from the channel
//!   (Sigma taxonomy, case-insensitive), categories from the event id
//!   (Sysmon ids, Security 4688, PowerShell 4103/4104 …). Linux Sysmon
//!   (`Linux-Sysmon/Operational`) gives product `linux`, service `sysmon`.
//! - Vigil's own view of every event: product `vigil`, category the event
//!   class (`physical_access`, `authentication` …), service the binding's
//!   product.
//! - Otherwise the binding's product as the product.

use std::borrow::Cow;
use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use vigil_model::{Event, EventClass};

use crate::document::{Document, Scalar};
use crate::sigma::ast::LogSource;

/// One way of seeing an event's log source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSourceView<'a> {
    /// The product (lowercase).
    pub product: Cow<'a, str>,
    /// The services it counts as (lowercase).
    pub services: Services<'a>,
    /// The categories it belongs to; empty when unknown.
    pub categories: &'static [&'static str],
}

impl LogSourceView<'_> {
    /// Whether a rule written for `rule` applies to this view.
    pub fn admits(&self, rule: &LogSource) -> bool {
        rule.product.as_deref().is_none_or(|p| p == self.product)
            && rule
                .service
                .as_deref()
                .is_none_or(|s| self.services.iter().any(|v| v == s))
            && rule
                .category
                .as_deref()
                .is_none_or(|c| self.categories.contains(&c))
    }
}

/// The services a view counts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Services<'a> {
    /// Services from Vigil's tables (possibly none).
    Known(&'static [&'static str]),
    /// One service named at run time.
    Named(Cow<'a, str>),
}

impl Services<'_> {
    /// The services, lowercase.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let (known, named): (&[&str], Option<&str>) = match self {
            Services::Known(k) => (k, None),
            Services::Named(n) => (&[], Some(n)),
        };
        known.iter().copied().chain(named)
    }
}

/// The log source of one event: its views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLogSource<'a> {
    views: Vec<LogSourceView<'a>>,
}

impl<'a> EventLogSource<'a> {
    /// Derives the log source of `event` from its binding's product, its
    /// class and its fields.
    pub fn of_event(event: &'a Event) -> Self {
        Self::derive(&event.fields, &event.source.product, event.class)
    }

    /// Derives the log source of a document bound to `product` with `class`.
    pub fn derive<D: Document>(doc: &D, product: &'a str, class: EventClass) -> Self {
        let product = lowercase(product);
        let mut views = Vec::with_capacity(3);
        let windows = windows_view(doc);
        let binding_view_needed = windows.as_ref().is_none_or(|w| w.product != product);
        if let Some(w) = windows {
            views.push(w);
        }
        views.push(LogSourceView {
            product: Cow::Borrowed("vigil"),
            services: Services::Named(product.clone()),
            categories: class_categories(class),
        });
        if binding_view_needed && product != "vigil" {
            views.push(LogSourceView {
                product,
                services: Services::Known(&[]),
                categories: &[],
            });
        }
        EventLogSource { views }
    }

    /// A log source given outright by its views, most specific first: for
    /// events whose source is known from outside them (a raw log line from
    /// a file of one product and service).
    pub fn from_views(views: Vec<LogSourceView<'a>>) -> Self {
        EventLogSource { views }
    }

    /// The views, most specific first.
    pub fn views(&self) -> &[LogSourceView<'a>] {
        &self.views
    }

    /// Whether a rule written for `rule` applies to the event.
    pub fn admits(&self, rule: &LogSource) -> bool {
        self.views.iter().any(|v| v.admits(rule))
    }
}

/// A rule's log source as `product windows, category process_creation`,
/// for explanations.
pub(crate) fn describe_rule_source(rule: &LogSource) -> String {
    let parts: Vec<String> = [
        ("product", &rule.product),
        ("service", &rule.service),
        ("category", &rule.category),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name} {v}")))
    .collect();
    if parts.is_empty() {
        "any".to_owned()
    } else {
        parts.join(", ")
    }
}

/// One view of an event's log source, as a rule's would be written.
pub(crate) fn describe_view(view: &LogSourceView<'_>) -> String {
    let mut text = format!("product {}", view.product);
    let services: Vec<&str> = view.services.iter().filter(|s| !s.is_empty()).collect();
    if !services.is_empty() {
        text.push_str(&format!(", service {}", services.join(" or ")));
    }
    if !view.categories.is_empty() {
        text.push_str(&format!(", category {}", view.categories.join(" or ")));
    }
    text
}

fn lowercase(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) || !text.is_ascii() {
        Cow::Owned(text.to_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

fn class_categories(class: EventClass) -> &'static [&'static str] {
    match class {
        EventClass::Authentication => &["authentication"],
        EventClass::ProcessActivity => &["process_activity"],
        EventClass::FileActivity => &["file_activity"],
        EventClass::RegistryActivity => &["registry_activity"],
        EventClass::NetworkActivity => &["network_activity"],
        EventClass::DnsActivity => &["dns_activity"],
        EventClass::DetectionFinding => &["detection_finding"],
        EventClass::PhysicalAccess => &["physical_access"],
        EventClass::IntrusionAlarm => &["intrusion_alarm"],
        EventClass::FireAlarm => &["fire_alarm"],
        EventClass::SensorReading => &["sensor_reading"],
        EventClass::VideoAnalytics => &["video_analytics"],
        EventClass::Visitor => &["visitor"],
        EventClass::DeviceStatus => &["device_status"],
        EventClass::Other => &["other"],
    }
}

/// Channels up to this long are lowercased on the stack.
const SHORT_CHANNEL: usize = 96;

/// The first value of `Channel`, lowercase, without allocating for the
/// usual short ASCII names; `buf` holds the lowercased text.
fn channel_lowercase<'b, D: Document>(
    doc: &D,
    buf: &'b mut [u8; SHORT_CHANNEL],
) -> Option<Cow<'b, str>> {
    let value = doc.field("Channel")?;
    let mut out: Option<Result<usize, String>> = None;
    let mut text = String::new();
    value.any_scalar(&mut |s| {
        let t = s.text(&mut text);
        out = Some(match buf.get_mut(..t.len()) {
            Some(room) if t.is_ascii() => {
                room.copy_from_slice(t.as_bytes());
                room.make_ascii_lowercase();
                Ok(t.len())
            }
            _ => Err(t.to_lowercase()),
        });
        true
    });
    match out? {
        Ok(len) => std::str::from_utf8(buf.get(..len)?).ok().map(Cow::Borrowed),
        Err(owned) => Some(Cow::Owned(owned)),
    }
}

fn event_id<D: Document>(doc: &D) -> Option<i64> {
    let value = doc.field("EventID")?;
    let mut out = None;
    value.any_scalar(&mut |s| {
        out = match s {
            Scalar::Int(i) => Some(i),
            Scalar::Str(t) => t.trim().parse().ok(),
            _ => None,
        };
        true
    });
    out
}

fn windows_view<D: Document>(doc: &D) -> Option<LogSourceView<'static>> {
    let mut buf = [0u8; SHORT_CHANNEL];
    let channel = channel_lowercase(doc, &mut buf);
    let id = event_id(doc);
    if channel.is_none() && id.is_none() {
        return None;
    }
    let channel = channel.unwrap_or_default();
    if channel == "linux-sysmon/operational" {
        return Some(LogSourceView {
            product: Cow::Borrowed("linux"),
            services: Services::Known(&["sysmon"]),
            categories: id.map_or(&[], sysmon_categories),
        });
    }
    let services: &'static [&'static str] = CHANNEL_SERVICES
        .iter()
        .find(|(c, _)| *c == channel)
        .map_or(&[], |(_, s)| *s);
    let categories = match (&*channel, id) {
        ("microsoft-windows-sysmon/operational", Some(id)) => sysmon_categories(id),
        ("security", Some(4688)) => &["process_creation"],
        ("microsoft-windows-powershell/operational" | "powershellcore/operational", Some(4103)) => {
            &["ps_module"]
        }
        ("microsoft-windows-powershell/operational" | "powershellcore/operational", Some(4104)) => {
            &["ps_script"]
        }
        ("windows powershell", Some(400)) => &["ps_classic_start"],
        ("windows powershell", Some(600)) => &["ps_classic_provider_start"],
        ("windows powershell", Some(800)) => &["ps_classic_script"],
        _ => &[],
    };
    Some(LogSourceView {
        product: Cow::Borrowed("windows"),
        services: Services::Known(services),
        categories,
    })
}

/// The built-in pipelines that map the fields of events routed to a
/// category by the table in [`windows_view`] whose own field names differ
/// from the category's (Security 4688 is `process_creation`, but names its
/// image `NewProcessName`). The load path applies them to every rule set,
/// so that routing an event to a rule and reading the rule's fields on it
/// always go together.
pub(crate) const ROUTED_PIPELINES: &[&str] = &["windows-4688"];

/// Categories of Sysmon event ids (Sigma taxonomy, Windows folder).
fn sysmon_categories(id: i64) -> &'static [&'static str] {
    match id {
        1 => &["process_creation"],
        2 => &["file_change"],
        3 => &["network_connection"],
        4 | 16 => &["sysmon_status"],
        5 => &["process_termination"],
        6 => &["driver_load"],
        7 => &["image_load"],
        8 => &["create_remote_thread"],
        9 => &["raw_access_thread"],
        10 => &["process_access"],
        11 => &["file_event"],
        12 => &["registry_event", "registry_add", "registry_delete"],
        13 => &["registry_event", "registry_set"],
        14 => &["registry_event", "registry_rename"],
        15 => &["create_stream_hash"],
        17 | 18 => &["pipe_created"],
        19..=21 => &["wmi_event"],
        22 => &["dns_query"],
        23 => &["file_delete"],
        24 => &["clipboard_capture"],
        25 => &["process_tampering"],
        26 => &["file_delete_detected"],
        27 => &["file_block_executable"],
        28 => &["file_block_shredding"],
        29 => &["file_executable_detected"],
        255 => &["sysmon_error"],
        _ => &[],
    }
}

/// Windows channels (lowercase) and the Sigma services they carry, from the
/// taxonomy appendix, plus spellings SigmaHQ rules use.
static CHANNEL_SERVICES: &[(&str, &[&str])] = &[
    ("security", &["security"]),
    ("system", &["system"]),
    ("application", &["application"]),
    ("microsoft-windows-sysmon/operational", &["sysmon"]),
    ("microsoft-windows-powershell/operational", &["powershell"]),
    ("windows powershell", &["powershell-classic"]),
    (
        "microsoft-windows-application-experience/program-telemetry",
        &["application-experience"],
    ),
    (
        "microsoft-windows-application-experience/program-compatibility-assistant",
        &["application-experience"],
    ),
    ("microsoft-windows-applocker/msi and script", &["applocker"]),
    ("microsoft-windows-applocker/exe and dll", &["applocker"]),
    (
        "microsoft-windows-applocker/packaged app-deployment",
        &["applocker"],
    ),
    (
        "microsoft-windows-applocker/packaged app-execution",
        &["applocker"],
    ),
    (
        "microsoft-windows-appmodel-runtime/admin",
        &["appmodel-runtime"],
    ),
    (
        "microsoft-windows-appxdeploymentserver/operational",
        &["appxdeployment-server"],
    ),
    (
        "microsoft-windows-appxpackaging/operational",
        &["appxpackaging-om"],
    ),
    (
        "microsoft-windows-bitlocker/bitlocker management",
        &["bitlocker"],
    ),
    (
        "microsoft-windows-bits-client/operational",
        &["bits-client"],
    ),
    ("microsoft-windows-capi2/operational", &["capi2"]),
    (
        "microsoft-windows-certificateservicesclient-lifecycle-system/operational",
        &["certificateservicesclient-lifecycle-system"],
    ),
    (
        "microsoft-windows-codeintegrity/operational",
        &["codeintegrity-operational"],
    ),
    ("microsoft-windows-dhcp-server/operational", &["dhcp"]),
    (
        "microsoft-windows-diagnosis-scripted/operational",
        &["diagnosis-scripted"],
    ),
    (
        "microsoft-windows-dns client events/operational",
        &["dns-client"],
    ),
    ("dns server", &["dns-server"]),
    (
        "microsoft-windows-dns-server/analytical",
        &["dns-server-analytic"],
    ),
    ("microsoft-windows-dns-server/audit", &["dns-server-audit"]),
    (
        "microsoft-windows-driverframeworks-usermode/operational",
        &["driver-framework"],
    ),
    (
        "microsoft-windows-windows firewall with advanced security/firewall",
        &["firewall-as"],
    ),
    ("microsoft-windows-hyper-v-worker", &["hyper-v-worker"]),
    (
        "microsoft-iis-configuration/operational",
        &["iis-configuration"],
    ),
    (
        "microsoft-windows-kernel-eventtracing",
        &["kernel-event-tracing"],
    ),
    (
        "microsoft-windows-kernel-shimengine/operational",
        &["kernel-shimengine"],
    ),
    (
        "microsoft-windows-kernel-shimengine/diagnostic",
        &["kernel-shimengine"],
    ),
    ("microsoft-windows-ldap-client/debug", &["ldap"]),
    ("microsoft-windows-lsa/operational", &["lsa-server"]),
    ("msexchange management", &["msexchange-management"]),
    ("microsoft-windows-ntfs/operational", &["ntfs"]),
    ("microsoft-windows-ntlm/operational", &["ntlm"]),
    ("openssh/operational", &["openssh"]),
    (
        "microsoft-windows-printservice/admin",
        &["printservice-admin"],
    ),
    (
        "microsoft-windows-printservice/operational",
        &["printservice-operational"],
    ),
    (
        "microsoft-windows-security-mitigations/kernel mode",
        &["security-mitigations"],
    ),
    (
        "microsoft-windows-security-mitigations/user mode",
        &["security-mitigations"],
    ),
    ("microsoft-windows-sense/operational", &["sense"]),
    (
        "microsoft-servicebus-client/operational",
        &["servicebus-client", "microsoft-servicebus-client"],
    ),
    (
        "microsoft-servicebus-client/admin",
        &["servicebus-client", "microsoft-servicebus-client"],
    ),
    ("microsoft-windows-shell-core/operational", &["shell-core"]),
    (
        "microsoft-windows-smbclient/security",
        &["smbclient-security"],
    ),
    (
        "microsoft-windows-smbserver/connectivity",
        &["smbserver-connectivity"],
    ),
    (
        "microsoft-windows-taskscheduler/operational",
        &["taskscheduler"],
    ),
    (
        "microsoft-windows-terminalservices-localsessionmanager/operational",
        &["terminalservices-localsessionmanager"],
    ),
    ("microsoft-windows-vhdmp/operational", &["vhdmp"]),
    (
        "microsoft-windows-windows defender/operational",
        &["windefend"],
    ),
    ("microsoft-windows-wmi-activity/operational", &["wmi"]),
];

/// Rules grouped by the (product, category, service) they name, so an
/// event is tested only against rules whose log source fits it. Each group
/// (bucket) has a number.
#[derive(Debug, Clone, Default)]
pub(crate) struct LogSourceIndex {
    /// Interned log source values; 0 stands for "not named".
    symbols: HashMap<Box<str>, u32, FxBuildHasher>,
    buckets: HashMap<(u32, u32, u32), u32, FxBuildHasher>,
    /// The rules of each bucket.
    members: Vec<Vec<u32>>,
}

/// At most this many values of one attribute are looked up per view
/// (the unnamed value, then the view's own).
const MAX_VALUES: usize = 8;

impl LogSourceIndex {
    /// Files rule number `rule` under its log source.
    pub(crate) fn insert(&mut self, logsource: &LogSource, rule: u32) {
        let product = self.intern(logsource.product.as_deref());
        let category = self.intern(logsource.category.as_deref());
        let service = self.intern(logsource.service.as_deref());
        let next = u32::try_from(self.members.len()).unwrap_or(u32::MAX);
        let bucket = *self
            .buckets
            .entry((product, category, service))
            .or_insert(next);
        if bucket == next {
            self.members.push(Vec::new());
        }
        if let Some(members) = self.members.get_mut(bucket as usize) {
            members.push(rule);
        }
    }

    fn intern(&mut self, value: Option<&str>) -> u32 {
        let Some(value) = value else { return 0 };
        let next = u32::try_from(self.symbols.len() + 1).unwrap_or(u32::MAX);
        *self.symbols.entry(value.into()).or_insert(next)
    }

    fn symbol(&self, value: &str) -> Option<u32> {
        self.symbols.get(value).copied()
    }

    /// How many buckets there are.
    pub(crate) fn bucket_count(&self) -> usize {
        self.members.len()
    }

    /// The rules of `bucket`.
    pub(crate) fn members(&self, bucket: u32) -> &[u32] {
        self.members.get(bucket as usize).map_or(&[], Vec::as_slice)
    }

    /// Calls `visit` with every bucket whose rules apply to `source`; a
    /// bucket may be visited more than once.
    pub(crate) fn for_each_bucket(&self, source: &EventLogSource<'_>, mut visit: impl FnMut(u32)) {
        for view in source.views() {
            let mut products = [0u32; 2];
            let mut product_count = 1;
            if let Some(p) = self.symbol(&view.product) {
                products[1] = p;
                product_count = 2;
            }
            let (services, service_count) = self.symbols_of(view.services.iter());
            let (categories, category_count) = self.symbols_of(view.categories.iter().copied());
            for &p in &products[..product_count] {
                for &c in &categories[..category_count] {
                    for &s in &services[..service_count] {
                        if let Some(&bucket) = self.buckets.get(&(p, c, s)) {
                            visit(bucket);
                        }
                    }
                }
            }
        }
    }

    fn symbols_of<'v>(&self, values: impl Iterator<Item = &'v str>) -> ([u32; MAX_VALUES], usize) {
        let mut out = [0u32; MAX_VALUES];
        let mut count = 1;
        for value in values {
            if count == MAX_VALUES {
                break;
            }
            if let Some(symbol) = self.symbol(value) {
                out[count] = symbol;
                count += 1;
            }
        }
        (out, count)
    }

    /// Calls `visit` with every group of rules that applies to `source`,
    /// each group once.
    #[cfg(test)]
    pub(crate) fn for_each_candidate(
        &self,
        source: &EventLogSource<'_>,
        mut visit: impl FnMut(&[u32]),
    ) {
        let mut seen = Vec::new();
        self.for_each_bucket(source, |bucket| {
            if !seen.contains(&bucket) {
                seen.push(bucket);
                visit(self.members(bucket));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use vigil_model::Fields;

    use super::*;

    fn doc(v: Value) -> Fields {
        match v {
            Value::Object(m) => m.into(),
            _ => panic!(),
        }
    }

    fn ls(product: Option<&str>, category: Option<&str>, service: Option<&str>) -> LogSource {
        LogSource {
            product: product.map(Into::into),
            category: category.map(Into::into),
            service: service.map(Into::into),
            definition: None,
        }
    }

    #[test]
    fn sysmon_process_creation_fits_generic_and_specific_rules() {
        let d = doc(json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}));
        let source = EventLogSource::derive(&d, "windows", EventClass::ProcessActivity);
        assert!(source.admits(&ls(Some("windows"), Some("process_creation"), None)));
        assert!(source.admits(&ls(Some("windows"), None, Some("sysmon"))));
        assert!(source.admits(&ls(None, Some("process_creation"), None)));
        assert!(source.admits(&ls(None, None, None)));
        assert!(!source.admits(&ls(Some("windows"), None, Some("security"))));
        assert!(!source.admits(&ls(Some("windows"), Some("image_load"), None)));
        assert!(!source.admits(&ls(Some("linux"), Some("process_creation"), None)));
    }

    #[test]
    fn security_4688_is_process_creation_and_channel_case_does_not_matter() {
        let d = doc(json!({"Channel": "security", "EventID": "4688"}));
        let source = EventLogSource::derive(&d, "windows", EventClass::ProcessActivity);
        assert!(source.admits(&ls(Some("windows"), Some("process_creation"), None)));
        assert!(source.admits(&ls(Some("windows"), None, Some("security"))));
    }

    #[test]
    fn nested_windows_events_and_powershell() {
        let d = doc(
            json!({"Event": {"System": {"Channel": "Microsoft-Windows-PowerShell/Operational", "EventID": 4104}}}),
        );
        let source = EventLogSource::derive(&d, "windows", EventClass::Other);
        assert!(source.admits(&ls(Some("windows"), Some("ps_script"), None)));
        assert!(source.admits(&ls(Some("windows"), None, Some("powershell"))));
        let d = doc(json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 13}));
        let source = EventLogSource::derive(&d, "windows", EventClass::Other);
        assert!(source.admits(&ls(Some("windows"), Some("registry_set"), None)));
        assert!(source.admits(&ls(Some("windows"), Some("registry_event"), None)));
        assert!(!source.admits(&ls(Some("windows"), Some("registry_add"), None)));
    }

    #[test]
    fn vigil_events_by_class_and_binding() {
        let d = doc(json!({"door": "D1"}));
        let source = EventLogSource::derive(&d, "Lenel", EventClass::PhysicalAccess);
        assert!(source.admits(&ls(Some("vigil"), Some("physical_access"), None)));
        assert!(source.admits(&ls(Some("vigil"), Some("physical_access"), Some("lenel"))));
        assert!(source.admits(&ls(Some("lenel"), None, None)));
        assert!(!source.admits(&ls(Some("vigil"), Some("sensor_reading"), None)));
        assert!(!source.admits(&ls(Some("windows"), None, None)));
    }

    #[test]
    fn linux_sysmon_is_linux() {
        let d = doc(json!({"Channel": "Linux-Sysmon/Operational", "EventID": 1}));
        let source = EventLogSource::derive(&d, "linux", EventClass::ProcessActivity);
        assert!(source.admits(&ls(Some("linux"), Some("process_creation"), None)));
        assert!(!source.admits(&ls(Some("windows"), Some("process_creation"), None)));
    }

    #[test]
    fn index_visits_exactly_the_fitting_buckets() {
        let rules = [
            ls(Some("windows"), Some("process_creation"), None),
            ls(Some("windows"), None, Some("security")),
            ls(Some("windows"), None, Some("sysmon")),
            ls(None, None, None),
            ls(Some("linux"), Some("process_creation"), None),
            ls(Some("vigil"), Some("process_activity"), None),
        ];
        let mut index = LogSourceIndex::default();
        for (i, r) in rules.iter().enumerate() {
            index.insert(r, u32::try_from(i).unwrap());
        }
        let d = doc(json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}));
        let source = EventLogSource::derive(&d, "windows", EventClass::ProcessActivity);
        let mut got = Vec::new();
        index.for_each_candidate(&source, |rules| got.extend_from_slice(rules));
        got.sort_unstable();
        let want: Vec<u32> = (0..6u32)
            .filter(|i| source.admits(&rules[*i as usize]))
            .collect();
        assert_eq!(got, want);
        assert_eq!(got, [0, 2, 3, 5]);
    }
}
