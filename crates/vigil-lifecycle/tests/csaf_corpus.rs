//! Every CSAF 2.0 advisory CISA published for OT in 2024 reads without
//! error, and every range in them is either understood or reported as
//! unreadable (never a panic).

mod common;

use std::time::Instant;

use vigil_lifecycle::advisory::{self, Product};
use vigil_lifecycle::range::RangeKind;

#[test]
fn all_344_cisa_ot_advisories_of_2024_import() {
    let Some(files) = common::corpus_files() else {
        return;
    };
    let started = Instant::now();
    assert_eq!(files.len(), 344, "the corpus holds 344 advisories");
    let (mut products, mut ranges, mut unreadable, mut vulnerabilities) = (0, 0, 0, 0);
    for file in &files {
        let bytes = std::fs::read(file).expect("file reads");
        let a = advisory::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        vulnerabilities += a.vulnerabilities.len();
        for product in a.products().values() {
            products += 1;
            if let Product::Branch {
                versions: Some(r), ..
            } = product
            {
                ranges += 1;
                if matches!(r.kind(), RangeKind::Unreadable) {
                    unreadable += 1;
                }
            }
        }
    }
    eprintln!(
        "{} advisories, {vulnerabilities} vulnerabilities, {products} products, {ranges} \
         versions or ranges ({unreadable} unreadable) in {:?}",
        files.len(),
        started.elapsed()
    );
    // Free text where a range should be is rare; if it grows, the reader
    // has fallen behind what CISA writes.
    assert!(
        unreadable * 50 < ranges,
        "{unreadable} of {ranges} ranges unreadable"
    );
}
