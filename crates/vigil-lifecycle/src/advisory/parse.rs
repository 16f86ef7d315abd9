//! Reading a CSAF document: serde for the shape, then the checks CSAF 2.0
//! makes mandatory that matter for matching (a version of `2.0`, scores
//! between 0 and 10, every product id used defined once in the tree).
//! Every error names the JSON path where the document went wrong.

use std::collections::BTreeSet;

use super::{Advisory, Branch};

/// Why a document is not an advisory Vigil can use.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdvisoryError {
    /// Not JSON at all.
    #[error("not JSON: line {line} column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON reader said.
        message: String,
    },
    /// JSON, but not a valid CSAF 2.0 document.
    #[error("{path}: {message}")]
    Invalid {
        /// Where (`product_tree.branches[0].category`); `(document)` for
        /// the whole document.
        path: String,
        /// What is wrong there.
        message: String,
    },
}

fn invalid(path: impl Into<String>, message: impl Into<String>) -> AdvisoryError {
    AdvisoryError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

/// Reads and checks one CSAF 2.0 document.
pub fn parse(bytes: &[u8]) -> Result<Advisory, AdvisoryError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let advisory: Advisory = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            AdvisoryError::Syntax {
                line: inner.line(),
                column: inner.column(),
                message: inner.to_string(),
            }
        } else {
            let path = if path == "." {
                "(document)".to_owned()
            } else {
                path
            };
            // serde_json's message ends in "at line L column C"; the path
            // says where better, but the line helps in an editor.
            invalid(path, inner.to_string())
        }
    })?;
    de.end().map_err(|e| AdvisoryError::Syntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    check(&advisory)?;
    Ok(advisory)
}

fn check(advisory: &Advisory) -> Result<(), AdvisoryError> {
    if advisory.document.csaf_version != "2.0" {
        return Err(invalid(
            "document.csaf_version",
            format!("is `{}`, expected `2.0`", advisory.document.csaf_version),
        ));
    }
    if advisory.document.tracking.id.trim().is_empty() {
        return Err(invalid("document.tracking.id", "is empty"));
    }
    let defined = defined_ids(advisory)?;
    let known = |path: String, id: &String| {
        if defined.contains(id.as_str()) {
            Ok(())
        } else {
            Err(invalid(
                path,
                format!("product id `{id}` is not defined in the product tree"),
            ))
        }
    };
    for (i, r) in advisory.product_tree.relationships.iter().enumerate() {
        let at = format!("product_tree.relationships[{i}]");
        known(format!("{at}.product_reference"), &r.product_reference)?;
        known(
            format!("{at}.relates_to_product_reference"),
            &r.relates_to_product_reference,
        )?;
    }
    for (v, vulnerability) in advisory.vulnerabilities.iter().enumerate() {
        let at = format!("vulnerabilities[{v}]");
        for (list, ids) in vulnerability.product_status.all() {
            for (i, id) in ids.iter().enumerate() {
                known(format!("{at}.product_status.{list}[{i}]"), id)?;
            }
        }
        for (s, score) in vulnerability.scores.iter().enumerate() {
            for (i, id) in score.products.iter().enumerate() {
                known(format!("{at}.scores[{s}].products[{i}]"), id)?;
            }
            let v3 = score.cvss_v3.as_ref().map(|c| ("cvss_v3", c.base_score));
            let v2 = score.cvss_v2.as_ref().map(|c| ("cvss_v2", c.base_score));
            for (name, value) in v3.into_iter().chain(v2) {
                if !(0.0..=10.0).contains(&value) {
                    return Err(invalid(
                        format!("{at}.scores[{s}].{name}.baseScore"),
                        format!("{value} is not between 0 and 10"),
                    ));
                }
            }
            if score.cvss_v3.is_none() && score.cvss_v2.is_none() {
                return Err(invalid(
                    format!("{at}.scores[{s}]"),
                    "has neither cvss_v3 nor cvss_v2",
                ));
            }
        }
        for (r, remediation) in vulnerability.remediations.iter().enumerate() {
            for (i, id) in remediation.product_ids.iter().enumerate() {
                known(format!("{at}.remediations[{r}].product_ids[{i}]"), id)?;
            }
        }
    }
    Ok(())
}

/// Every product id the tree defines, each once (CSAF 2.0 6.1.2).
fn defined_ids(advisory: &Advisory) -> Result<BTreeSet<&str>, AdvisoryError> {
    fn walk<'a>(branches: &'a [Branch], at: &str, out: &mut Vec<(String, &'a str)>) {
        for (i, b) in branches.iter().enumerate() {
            let here = format!("{at}[{i}]");
            if let Some(p) = &b.product {
                out.push((format!("{here}.product.product_id"), &p.product_id));
            }
            walk(&b.branches, &format!("{here}.branches"), out);
        }
    }
    let tree = &advisory.product_tree;
    let mut found = Vec::new();
    walk(&tree.branches, "product_tree.branches", &mut found);
    for (i, p) in tree.full_product_names.iter().enumerate() {
        found.push((
            format!("product_tree.full_product_names[{i}].product_id"),
            &p.product_id,
        ));
    }
    for (i, r) in tree.relationships.iter().enumerate() {
        found.push((
            format!("product_tree.relationships[{i}].full_product_name.product_id"),
            &r.full_product_name.product_id,
        ));
    }
    let mut ids = BTreeSet::new();
    for (path, id) in found {
        if id.trim().is_empty() {
            return Err(invalid(path, "product id is empty"));
        }
        if !ids.insert(id) {
            return Err(invalid(path, format!("product id `{id}` is defined twice")));
        }
    }
    Ok(ids)
}
