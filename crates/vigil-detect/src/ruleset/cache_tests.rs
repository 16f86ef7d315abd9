use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vigil_model::{EventClass, Fields};

use super::*;
use crate::{EventLogSource, RuleSet};

const CORPORA: &str = "../../../shared/corpora";

/// Everything a load produced, written out: the outcomes, the
/// correlations, every rule's metadata and compiled detection, and the
/// figures of the set compiled as a whole.
fn fingerprint(report: &LoadReport) -> String {
    let inner = &*report.ruleset.inner;
    let mut out = format!(
        "{:?}\n{:?}\n{:?}\n",
        report.outcomes,
        report.correlations,
        inner.engine.summary()
    );
    for rule in &inner.rules {
        out.push_str(&format!("{:?}\n{:?}\n", rule.meta, rule.detection));
    }
    out
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write a rule");
}

/// Rules using what compiles to each kind of stored part: patterns,
/// keywords, a regex, numbers, a network, a field reference, a
/// placeholder; a custom attribute from a pipeline; a rejected document
/// and a correlation.
fn rules_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    write(
        dir.path(),
        "a.yml",
        r"title: Many kinds
id: 00000000-0000-0000-0000-00000000000a
logsource: {product: windows}
detection:
  image: {Image|endswith: '\evil.exe', CommandLine|re: '(?i)-enc\s+[a-z0-9+/=]{8,}'}
  numbers: {Port|gt: 1024, SourceIp|cidr: 10.0.0.0/8}
  same: {ParentImage|fieldref: Image}
  who: {User|expand: '%admins%'}
  keywords: [mimikatz, 'sekurlsa::*']
  condition: image or (numbers and not same) or who or keywords
",
    );
    write(
        dir.path(),
        "b.yml",
        "title: Broken\nlogsource: {product: windows}\ndetection: [not, a, map]\n",
    );
    write(
        dir.path(),
        "c.yml",
        "title: Many of them
correlation:
  type: event_count
  rules: [00000000-0000-0000-0000-00000000000a]
  group-by: [User]
  timespan: 5m
  condition: {gte: 3}
",
    );
    dir
}

fn options() -> LoadOptions {
    let pipeline = crate::pipeline::Pipeline::from_yaml(
        "name: tagged\ntransformations:\n  - type: set_custom_attribute\n    attribute: team\n    value: blue\n",
        "tagged.yml",
    )
    .expect("a pipeline");
    LoadOptions::default()
        .with_placeholder("admins", ["admin", "adm_*"])
        .with_pipeline(pipeline)
}

/// The rules folder, a cache folder, and the cache in it.
fn fixture() -> (tempfile::TempDir, tempfile::TempDir, RuleCache) {
    let cache_dir = tempfile::tempdir().expect("temporary folder");
    let cache = RuleCache::new(cache_dir.path());
    (rules_folder(), cache_dir, cache)
}

fn load(rules: &Path, cache: &RuleCache, options: &LoadOptions) -> (LoadReport, CacheUse) {
    RuleSet::load_dirs_cached(&[rules.to_path_buf()], options, cache).expect("load")
}

#[test]
fn a_second_load_comes_from_the_cache_and_equals_compiling() {
    let (rules, _cache_dir, cache) = fixture();
    let options = options();
    let compiled =
        RuleSet::load_dirs(&[rules.path().to_path_buf()], &options).expect("load uncached");

    let (first, used) = load(rules.path(), &cache, &options);
    assert_eq!(used, CacheUse::Stored);
    let (second, used) = load(rules.path(), &cache, &options);
    assert_eq!(used, CacheUse::Hit);

    assert_eq!(second.loaded(), 1, "{:?}", second.outcomes);
    assert_eq!(second.rejected().count(), 1);
    assert_eq!(second.correlations.len(), 1);
    let meta = second.ruleset.rules().next().expect("a rule");
    assert_eq!(
        meta.custom_attributes.get("team"),
        Some(&Value::from("blue"))
    );
    assert_eq!(fingerprint(&compiled), fingerprint(&first));
    assert_eq!(fingerprint(&compiled), fingerprint(&second));

    // And it detects as compiled does.
    let event: Fields = serde_json::from_value(serde_json::json!({
        "Image": "C:\\Temp\\other.exe",
        "ParentImage": "C:\\x.exe",
        "CommandLine": "powershell -ENC SQBFAFgAIAAoAE4AZQB3AC0ATwBi",
        "Port": 4444,
        "SourceIp": "10.1.2.3",
    }))
    .expect("fields");
    for set in [&compiled.ruleset, &second.ruleset] {
        let source = EventLogSource::derive(&event, "windows", EventClass::Other);
        let mut out = Vec::new();
        set.detect_document(&event, &source, &mut out);
        assert_eq!(out.len(), 1);
    }
}

#[test]
fn a_change_to_a_rule_or_an_option_is_compiled_again() {
    let (rules, _cache_dir, cache) = fixture();
    let options = options();
    assert_eq!(load(rules.path(), &cache, &options).1, CacheUse::Stored);

    write(
        rules.path(),
        "a.yml",
        "title: Changed
id: 00000000-0000-0000-0000-00000000000a
logsource: {product: windows}
detection: {s: {Image: x}, condition: s}
",
    );
    let (changed, used) = load(rules.path(), &cache, &options);
    assert_eq!(used, CacheUse::Stored);
    let titles: Vec<_> = changed.ruleset.rules().map(|r| r.title.clone()).collect();
    assert_eq!(titles, ["Changed"]);

    let other = options.clone().with_placeholder("admins", ["root"]);
    assert_eq!(load(rules.path(), &cache, &other).1, CacheUse::Stored);
    assert_eq!(load(rules.path(), &cache, &other).1, CacheUse::Hit);
    assert_eq!(load(rules.path(), &cache, &options).1, CacheUse::Hit);
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list the cache")
        .map(|e| e.expect("an entry").path())
        .collect();
    found.sort();
    found
}

#[test]
fn an_entry_cut_short_or_altered_is_compiled_again_and_replaced() {
    let (rules, cache_dir, cache) = fixture();
    let options = options();
    let (reference, _) = load(rules.path(), &cache, &options);
    let [entry] = entries(cache_dir.path()).try_into().expect("one entry");
    let whole = std::fs::read(&entry).expect("read the entry");

    let mut altered = whole.clone();
    if let Some(byte) = altered.last_mut() {
        *byte ^= 0x55;
    }
    for damaged in [&whole[..whole.len() / 2], &whole[..5], &altered[..], b""] {
        std::fs::write(&entry, damaged).expect("damage the entry");
        let (report, used) = load(rules.path(), &cache, &options);
        assert_eq!(used, CacheUse::Stored);
        assert_eq!(fingerprint(&report), fingerprint(&reference));
        assert_eq!(std::fs::read(&entry).expect("read"), whole, "replaced");
    }
    assert_eq!(load(rules.path(), &cache, &options).1, CacheUse::Hit);
    assert_eq!(entries(cache_dir.path()), [entry], "no temporary file left");
}

#[test]
fn only_the_entries_used_last_are_kept() {
    let rules = rules_folder();
    let cache_dir = tempfile::tempdir().expect("temporary folder");
    let cache = RuleCache::new(cache_dir.path()).keep(2);
    let with = |value: &str| options().with_placeholder("admins", [value]);
    // Both entries last used an hour or two ago, "1" before "2".
    let used_ago = |path: &Path, hours: u64| {
        let at = std::time::SystemTime::now() - std::time::Duration::from_secs(hours * 3600);
        let file = std::fs::File::options().append(true).open(path);
        file.and_then(|f| f.set_modified(at)).expect("set the time");
    };
    load(rules.path(), &cache, &with("1"));
    let [first] = entries(cache_dir.path()).try_into().expect("one entry");
    load(rules.path(), &cache, &with("2"));
    let second = entries(cache_dir.path())
        .into_iter()
        .find(|e| *e != first)
        .expect("a second entry");
    used_ago(&first, 2);
    used_ago(&second, 1);
    // "1" used again, so "2" is the one used longest ago.
    assert_eq!(load(rules.path(), &cache, &with("1")).1, CacheUse::Hit);
    load(rules.path(), &cache, &with("3"));
    assert_eq!(entries(cache_dir.path()).len(), 2);
    assert_eq!(load(rules.path(), &cache, &with("1")).1, CacheUse::Hit);
    assert_eq!(load(rules.path(), &cache, &with("2")).1, CacheUse::Stored);
}

#[test]
fn temporary_files_of_runs_that_died_are_removed_and_a_live_run_s_kept() {
    let rules = rules_folder();
    let cache_dir = tempfile::tempdir().expect("temporary folder");
    let cache = RuleCache::new(cache_dir.path());
    let dead = cache_dir.path().join(format!(".{:032x}.4242.tmp", 7));
    let live = cache_dir.path().join(format!(".{:032x}.4243.tmp", 8));
    std::fs::create_dir_all(cache_dir.path()).expect("folder");
    for path in [&dead, &live] {
        std::fs::write(path, b"VIGILRS2 cut short").expect("write");
    }
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    std::fs::File::options()
        .append(true)
        .open(&dead)
        .and_then(|f| f.set_modified(two_hours_ago))
        .expect("set the time");
    assert_eq!(load(rules.path(), &cache, &options()).1, CacheUse::Stored);
    assert!(
        !dead.exists(),
        "a run that died an hour ago or more left it"
    );
    assert!(live.exists(), "a run may still be writing it");
    assert_eq!(
        entries(cache_dir.path()).len(),
        2,
        "the entry stored, and the live run's file"
    );
}

#[test]
fn a_cache_that_cannot_be_written_still_loads() {
    let rules = rules_folder();
    let file = tempfile::NamedTempFile::new().expect("a file");
    // A file where the folder should be.
    let cache = RuleCache::new(file.path().join("rules"));
    let (report, used) = load(rules.path(), &cache, &options());
    assert!(matches!(used, CacheUse::NotStored(_)), "{used:?}");
    assert_eq!(report.loaded(), 1);
}

#[cfg(unix)]
#[test]
fn a_folder_others_may_write_to_is_not_used_and_a_new_one_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let rules = rules_folder();
    let parent = tempfile::tempdir().expect("temporary folder");
    let made = parent.path().join("vigil").join("rules");
    let cache = RuleCache::new(&made);
    assert_eq!(load(rules.path(), &cache, &options()).1, CacheUse::Stored);
    let mode = std::fs::metadata(&made).expect("made").permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");

    std::fs::set_permissions(&made, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let (report, used) = load(rules.path(), &cache, &options());
    assert!(
        matches!(&used, CacheUse::NotStored(why) if why.contains("written by others")),
        "{used:?}"
    );
    assert_eq!(report.loaded(), 1);
    std::fs::set_permissions(&made, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    assert_eq!(load(rules.path(), &cache, &options()).1, CacheUse::Hit);
}

/// The text of every file in a zip.
fn unzip(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).expect("open zip");
    let mut zip = zip::ZipArchive::new(file).expect("read zip");
    (0..zip.len())
        .map(|i| {
            let mut bytes = Vec::new();
            zip.by_index(i)
                .expect("zip entry")
                .read_to_end(&mut bytes)
                .expect("unzip");
            String::from_utf8_lossy(&bytes).into_owned()
        })
        .collect()
}

#[test]
fn the_windows_rules_from_the_cache_detect_as_compiled() {
    let rules = Path::new(CORPORA).join("sigma/rules/windows");
    let events = Path::new(CORPORA).join(
        "security-datasets/atomic/windows/credential_access/host/cmd_psexec_lsa_secrets_dump.zip",
    );
    if !rules.exists() || !events.exists() {
        eprintln!(
            "skipped: {} or {} is absent",
            rules.display(),
            events.display()
        );
        return;
    }
    let cache_dir = tempfile::tempdir().expect("temporary folder");
    let cache = RuleCache::new(cache_dir.path());
    let options = LoadOptions::default();
    let compiled = RuleSet::load_dirs(std::slice::from_ref(&rules), &options).expect("load");
    load(&rules, &cache, &options);
    let (cached, used) = load(&rules, &cache, &options);
    assert_eq!(used, CacheUse::Hit);
    assert!(cached.loaded() > 2000, "{}", cached.loaded());
    assert_eq!(fingerprint(&compiled), fingerprint(&cached));

    let mut detections = 0;
    for line in unzip(&events).iter().flat_map(|text| text.lines()) {
        let Ok(Value::Object(event)) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let source = EventLogSource::derive(&event, "windows", EventClass::Other);
        let detected = |set: &RuleSet| {
            let mut out = Vec::new();
            set.detect_document(&event, &source, &mut out);
            out.iter()
                .map(|d| (d.rule.id.clone(), format!("{:?}", d.matched)))
                .collect::<BTreeSet<_>>()
        };
        let expected = detected(&compiled.ruleset);
        assert_eq!(detected(&cached.ruleset), expected);
        detections += expected.len();
    }
    assert!(detections > 0, "the events are detected at all");
}
