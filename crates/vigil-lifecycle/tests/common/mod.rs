//! The shared CSAF corpus, read from beside the project.

use std::path::{Path, PathBuf};

/// CISA's OT advisories of 2024, relative to this crate.
const CORPUS: &str = "../../../shared/corpora/csaf/cisa-ot-2024";

/// The corpus's JSON files, sorted; `None` (after saying so) when the
/// corpus is absent, which fails under CI.
pub fn corpus_files() -> Option<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the CSAF corpus is missing at {} (CI needs shared/ beside the clone)",
            dir.display()
        );
        eprintln!("skipped: no CSAF corpus at {}", dir.display());
        return None;
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus directory reads")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    Some(files)
}
