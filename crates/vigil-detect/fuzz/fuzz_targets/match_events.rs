//! Arbitrary JSON events against a fixed rule set using every kind of
//! matcher: matching never panics.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vigil_detect::{EventLogSource, LoadOptions, RuleSet};
use vigil_model::EventClass;

const RULES: &str = r#"
title: strings
logsource: {product: windows, category: process_creation}
detection:
    sel:
        Image|endswith: ['\cmd.exe', '\powershell.exe']
        CommandLine|contains|all: [' -enc', 'http']
    wild:
        CommandLine: '*a?b*c*'
    dash:
        CommandLine|windash|contains: ' -nop '
    b64:
        CommandLine|base64offset|contains: 'IEX'
    wide:
        CommandLine|utf16le|base64offset|contains: 'Invoke-'
    condition: sel or wild or dash or b64 or wide
---
title: typed
logsource: {product: windows}
detection:
    re:
        CommandLine|re|i: '^(a|b)+[0-9]{2,}$'
    nums:
        EventID|gte: 4600
        EventID|lt: 4700
    net:
        DestinationIp|cidr: ['10.0.0.0/8', 'fe80::/10']
    time:
        UtcTime|hour: 3
    ref:
        TargetUserName|fieldref: SubjectUserName
    misc:
        User|neq: SYSTEM
        Signed|exists: true
        Missing: null
        Name|cased: Evil
    condition: 1 of them
---
title: keywords
logsource: {product: windows}
detection:
    keywords:
        - 'mimikatz'
        - 'sekurlsa::*'
    both:
        '|all': ['a', 'b']
    condition: keywords or both or 2 of them
"#;

fn rules() -> &'static RuleSet {
    static RULES_SET: OnceLock<RuleSet> = OnceLock::new();
    RULES_SET.get_or_init(|| {
        let report = RuleSet::load_sources(
            [("fuzz.yml".to_owned(), RULES.to_owned())],
            &LoadOptions::default(),
        );
        let rejected: Vec<String> = report.rejected().map(ToString::to_string).collect();
        assert!(rejected.is_empty(), "fixed rules must load: {rejected:?}");
        report.ruleset
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(fields) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(data)
    else {
        return;
    };
    let source = EventLogSource::derive(&fields, "windows", EventClass::ProcessActivity);
    let mut out = Vec::new();
    rules().detect_document(&fields, &source, &mut out);
});
