//! Vendor and product names compared as people mean them: `Johnson
//! Controls Inc.` is `Johnson Controls`, `C•CURE 9000` is `C●CURE 9000`,
//! `Software House` is a Johnson Controls brand.
//!
//! A name becomes a list of tokens: split at blanks and `_ / , ( ) : ; | & +`,
//! each token lower-cased with every character that is not a letter or digit
//! dropped (`C●CURE` and `C•CURE` both become `ccure`, `S7-1500` becomes
//! `s71500`).
//!
//! - **Vendors** are the same when their tokens are equal once trailing
//!   legal forms (`Inc.`, `GmbH`, `AG`, `Ltd`, `International`, …) are
//!   dropped and a few brands are mapped to their owner ([`BRANDS`]).
//!   `Siemens` and `Siemens Energy` stay different companies.
//! - **Products** are the same when their tokens are equal, or when one is
//!   the other's whole-token ending (`C•CURE 9000` and `Software House
//!   C●CURE 9000`), ignoring the words `door`, `controller`, `firmware`,
//!   `series` and `family`; the shorter must hold a letter (a bare `9000`
//!   names nothing). `C•CURE 9000` is *not* `C●CURE 9000 Site Server`.

/// Brands and former names, mapped to the vendor key advisories use.
pub const BRANDS: &[(&str, &str)] = &[
    ("software house", "johnson controls"),
    ("tyco", "johnson controls"),
    ("tyco security products", "johnson controls"),
    ("american dynamics", "johnson controls"),
    ("exacq technologies", "johnson controls"),
    ("lenel", "lenels2"),
    ("lenel s2", "lenels2"),
    ("s2 security", "lenels2"),
    ("siemens building technologies", "siemens"),
    ("siemens smart infrastructure", "siemens"),
    ("robert bosch", "bosch"),
    ("bosch security systems", "bosch"),
    ("bosch building technologies", "bosch"),
];

/// Legal forms dropped from the end of a vendor's name.
const LEGAL_FORMS: &[&str] = &[
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ltd",
    "limited",
    "llc",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "se",
    "nv",
    "bv",
    "spa",
    "srl",
    "kg",
    "international",
    "group",
    "holdings",
];

/// Words that do not tell products apart.
const GENERIC: &[&str] = &["door", "controller", "firmware", "series", "family"];

/// A name as tokens (see the module documentation).
pub fn tokens(name: &str) -> Vec<String> {
    name.split(|c: char| {
        c.is_whitespace() || matches!(c, '_' | '/' | ',' | '(' | ')' | ':' | ';' | '|' | '&' | '+')
    })
    .map(|t| {
        t.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    })
    .filter(|t| !t.is_empty())
    .collect()
}

/// The key vendors are compared by.
pub fn vendor_key(name: &str) -> String {
    let mut t = tokens(name);
    while t.len() > 1 && t.last().is_some_and(|w| LEGAL_FORMS.contains(&w.as_str())) {
        t.pop();
    }
    let key = t.join(" ");
    BRANDS
        .iter()
        .find(|(brand, _)| *brand == key)
        .map_or(key, |(_, owner)| (*owner).to_owned())
}

/// Whether two vendor names name one vendor.
pub fn same_vendor(a: &str, b: &str) -> bool {
    let (a, b) = (vendor_key(a), vendor_key(b));
    !a.is_empty() && a == b
}

/// A product name's tokens without the generic words.
pub fn product_tokens(name: &str) -> Vec<String> {
    tokens(name)
        .into_iter()
        .filter(|t| !GENERIC.contains(&t.as_str()))
        .collect()
}

/// Whether a device's model and an advisory's product name one product.
pub fn same_product(model: &str, product: &str) -> bool {
    same_product_tokens(&product_tokens(model), &product_tokens(product))
}

/// [`same_product`] on names already made [`product_tokens`].
pub fn same_product_tokens(a: &[String], b: &[String]) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long.ends_with(short) && short.iter().any(|t| t.chars().any(char::is_alphabetic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendors() {
        assert!(same_vendor("Johnson Controls", "Johnson Controls Inc."));
        assert!(same_vendor("Software House", "Johnson Controls"));
        assert!(same_vendor("Lenel S2", "LenelS2"));
        assert!(same_vendor("SIEMENS AG", "Siemens"));
        assert!(!same_vendor("Siemens Energy", "Siemens"));
        assert!(!same_vendor("Axis", "LenelS2"));
        assert!(!same_vendor("", ""));
    }

    #[test]
    fn products() {
        assert!(same_product("C•CURE 9000", "Software House C●CURE 9000"));
        assert!(same_product(
            "Software House C-CURE 9000",
            "Software House C●CURE 9000"
        ));
        assert!(!same_product(
            "C•CURE 9000",
            "Software House C●CURE 9000 Site Server"
        ));
        assert!(same_product(
            "iStar Pro",
            "Software House iStar Pro Door Controller"
        ));
        assert!(!same_product(
            "iStar Edge",
            "Software House iStar Pro Door Controller"
        ));
        assert!(same_product("NetBox", "NetBox"));
        assert!(same_product("LenelS2 NetBox", "NetBox"));
        assert!(!same_product("NetBox Extreme", "NetBox"));
        assert!(!same_product("9000", "Software House C●CURE 9000"));
        assert!(!same_product(
            "Door Controller",
            "Software House iStar Pro Door Controller"
        ));
        assert!(same_product("Siveillance Control", "Siveillance Control"));
        assert!(!same_product(
            "Siveillance Video",
            "Siveillance Video Device Pack"
        ));
    }
}
