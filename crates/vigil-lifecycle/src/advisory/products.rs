//! The products an advisory names, flattened from its product tree: for
//! each product id, the vendor, product name and version (or range) found
//! on the way down the branches, or the two products a relationship joins.

use std::collections::BTreeMap;

use super::{Advisory, Branch, BranchCategory, RelationshipCategory};
use crate::range::Range;

/// One product of an advisory, as matching needs it.
#[derive(Debug, Clone)]
pub enum Product {
    /// A leaf of the branch hierarchy.
    Branch {
        /// The full product name.
        name: String,
        /// The `vendor` branch above it.
        vendor: Option<String>,
        /// The `product_name` branch above it (else the `product_family`).
        product: Option<String>,
        /// The `product_version` (as an exact range) or
        /// `product_version_range` branch above it; `None` for every version.
        versions: Option<Range>,
    },
    /// A product made of two (`installed_on`: firmware on a device).
    Relationship {
        /// The full product name.
        name: String,
        /// How they relate.
        category: RelationshipCategory,
        /// The component's id (firmware, library).
        component: String,
        /// The id of what it is part of or installed on.
        platform: String,
    },
    /// A product named outside the hierarchy: only its full name is known.
    Named {
        /// The full product name.
        name: String,
    },
}

#[derive(Default, Clone)]
struct Path<'a> {
    vendor: Option<&'a str>,
    product: Option<&'a str>,
    family: Option<&'a str>,
    versions: Option<(&'a str, bool)>,
}

impl Advisory {
    /// Every product the advisory defines, by product id.
    pub fn products(&self) -> BTreeMap<String, Product> {
        let mut out = BTreeMap::new();
        walk(&self.product_tree.branches, &Path::default(), &mut out);
        for p in &self.product_tree.full_product_names {
            out.insert(
                p.product_id.clone(),
                Product::Named {
                    name: p.name.clone(),
                },
            );
        }
        for r in &self.product_tree.relationships {
            out.insert(
                r.full_product_name.product_id.clone(),
                Product::Relationship {
                    name: r.full_product_name.name.clone(),
                    category: r.category,
                    component: r.product_reference.clone(),
                    platform: r.relates_to_product_reference.clone(),
                },
            );
        }
        out
    }
}

fn walk<'a>(branches: &'a [Branch], above: &Path<'a>, out: &mut BTreeMap<String, Product>) {
    for branch in branches {
        let mut here = above.clone();
        let name = branch.name.as_str();
        match branch.category {
            BranchCategory::Vendor => here.vendor = Some(name),
            BranchCategory::ProductName => here.product = Some(name),
            BranchCategory::ProductFamily => here.family = Some(name),
            BranchCategory::ProductVersion => here.versions = Some((name, false)),
            BranchCategory::ProductVersionRange => here.versions = Some((name, true)),
            // Architecture, language, patch level and the like narrow a
            // product in ways an inventory does not record.
            _ => {}
        }
        if let Some(p) = &branch.product {
            out.insert(
                p.product_id.clone(),
                Product::Branch {
                    name: p.name.clone(),
                    vendor: here.vendor.map(str::to_owned),
                    product: here.product.or(here.family).map(str::to_owned),
                    versions: here.versions.map(|(text, is_range)| {
                        if is_range {
                            Range::parse(text)
                        } else {
                            Range::exact(text)
                        }
                    }),
                },
            );
        }
        walk(&branch.branches, &here, out);
    }
}
