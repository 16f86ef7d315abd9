//! Arbitrary bytes as a rule file: loading reports errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_detect::{LoadOptions, RuleSet};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let options = LoadOptions::default().with_placeholder("Administrators", ["admin*"]);
    let report = RuleSet::load_sources([("fuzz.yml".to_owned(), text.to_owned())], &options);
    // Every document gets an outcome; every loaded rule has metadata.
    assert_eq!(
        report.ruleset.rules().count(),
        report
            .outcomes
            .iter()
            .filter(|o| o.result.is_ok() && o.kind == vigil_detect::DocumentKind::Rule)
            .count()
    );
    let _ = vigil_detect::sigma::condition::parse_condition(text);
});
