//! The control catalogue: the ISO/IEC 27001:2022 Annex A controls and the
//! NIS-2 Art. 21(2) measures, with the mapping from the measures to the
//! controls.
//!
//! The catalogue is data in the repository (`catalogue/iso27001-2022.toml`
//! and `catalogue/nis2-art21.toml` in this crate), embedded in the binary
//! so that a deployment cannot run with a different list than the one
//! reviewed, and parsed once on first use.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

const ISO27001_TOML: &str = include_str!("../catalogue/iso27001-2022.toml");
const NIS2_TOML: &str = include_str!("../catalogue/nis2-art21.toml");

/// A framework in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FrameworkId {
    /// ISO/IEC 27001:2022 Annex A.
    Iso27001,
    /// Directive (EU) 2022/2555, Art. 21(2).
    Nis2,
}

impl FrameworkId {
    /// Every framework.
    pub const ALL: [FrameworkId; 2] = [FrameworkId::Iso27001, FrameworkId::Nis2];

    /// Its name: `iso27001` or `nis2`.
    pub fn as_str(self) -> &'static str {
        match self {
            FrameworkId::Iso27001 => "iso27001",
            FrameworkId::Nis2 => "nis2",
        }
    }
}

impl fmt::Display for FrameworkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FrameworkId {
    type Err = CatalogueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FrameworkId::ALL
            .into_iter()
            .find(|f| f.as_str() == s.trim())
            .ok_or_else(|| CatalogueError::UnknownFramework(s.to_owned()))
    }
}

/// A control (ISO) or measure (NIS-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control {
    /// Its id: `A.5.1` … `A.8.34`, or `21(2)(a)` … `21(2)(j)`.
    pub id: String,
    /// The framework it belongs to.
    pub framework: FrameworkId,
    /// Its title.
    pub title: String,
    /// Its wording, where the catalogue may quote it (the Directive's).
    pub text: Option<String>,
    /// For NIS-2 measures: the sections of the Annex to Reg. (EU) 2024/2690
    /// that specify it.
    pub annex: Vec<String>,
    /// For NIS-2 measures: the ISO controls that implement it.
    pub maps_to: Vec<String>,
}

impl Control {
    /// For ISO controls, the theme: 5 organizational, 6 people, 7 physical,
    /// 8 technological.
    pub fn theme(&self) -> Option<u8> {
        iso_parts(&self.id).map(|(theme, _)| theme)
    }
}

/// One framework's controls, in the catalogue's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Framework {
    /// Which framework.
    pub id: FrameworkId,
    /// Its title.
    pub title: String,
    /// Its controls.
    pub controls: Vec<Control>,
}

/// A catalogue that cannot be read, or a look-up that found nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    /// A file is not valid TOML of the catalogue's shape.
    #[error("catalogue file `{file}`: {message}")]
    Parse {
        /// The file.
        file: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A file declares another framework than expected.
    #[error("catalogue file `{file}`: declares framework `{found}`, expected `{expected}`")]
    WrongFramework {
        /// The file.
        file: &'static str,
        /// What it declares.
        found: String,
        /// What it should.
        expected: FrameworkId,
    },
    /// An id not of its framework's form.
    #[error("catalogue file `{file}`: control id `{id}` is not of the form {form}")]
    BadId {
        /// The file.
        file: &'static str,
        /// The id.
        id: String,
        /// The expected form.
        form: &'static str,
    },
    /// An id listed twice.
    #[error("catalogue: control id `{0}` is listed twice")]
    Duplicate(String),
    /// A control without a title.
    #[error("catalogue: control `{0}` has no title")]
    BlankTitle(String),
    /// A mapping to a control that is not in the catalogue, or from one that
    /// may not map.
    #[error(
        "catalogue: `{from}` maps to `{to}`, which is not an ISO/IEC 27001 control of the catalogue"
    )]
    BadMapping {
        /// The measure.
        from: String,
        /// The target.
        to: String,
    },
    /// A framework name that is not `iso27001` or `nis2`.
    #[error("unknown framework `{0}`; expected iso27001 or nis2")]
    UnknownFramework(String),
    /// A control id not in the catalogue.
    #[error(
        "unknown control `{0}`; ISO controls are written `A.5.1` … `A.8.34`, NIS-2 measures `21(2)(a)` … `21(2)(j)`"
    )]
    UnknownControl(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    framework: String,
    title: String,
    controls: Vec<RawControl>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: String,
    title: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    annex: Vec<String>,
    #[serde(default)]
    iso27001: Vec<String>,
}

/// The catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    frameworks: Vec<Framework>,
    /// id → (framework position, control position).
    index: HashMap<String, (usize, usize)>,
}

impl Catalogue {
    /// The catalogue embedded in the crate, parsed on first use.
    pub fn builtin() -> Result<&'static Catalogue, CatalogueError> {
        static BUILTIN: OnceLock<Result<Catalogue, CatalogueError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Catalogue::parse(ISO27001_TOML, NIS2_TOML))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parses and checks the two catalogue files: ids of their framework's
    /// form and unique, titles present, every mapping to an ISO control of
    /// the catalogue.
    pub fn parse(iso27001_toml: &str, nis2_toml: &str) -> Result<Catalogue, CatalogueError> {
        let iso = read("iso27001-2022.toml", iso27001_toml, FrameworkId::Iso27001)?;
        let nis2 = read("nis2-art21.toml", nis2_toml, FrameworkId::Nis2)?;
        let frameworks = vec![iso, nis2];

        let mut index = HashMap::new();
        for (f, framework) in frameworks.iter().enumerate() {
            for (c, control) in framework.controls.iter().enumerate() {
                if index.insert(control.id.clone(), (f, c)).is_some() {
                    return Err(CatalogueError::Duplicate(control.id.clone()));
                }
            }
        }
        for control in frameworks.iter().flat_map(|f| &f.controls) {
            for to in &control.maps_to {
                let target = index.get(to).map(|&(f, _)| frameworks[f].id);
                if target != Some(FrameworkId::Iso27001) {
                    return Err(CatalogueError::BadMapping {
                        from: control.id.clone(),
                        to: to.clone(),
                    });
                }
            }
        }
        Ok(Catalogue { frameworks, index })
    }

    /// A control or measure by id.
    pub fn control(&self, id: &str) -> Option<&Control> {
        let &(f, c) = self.index.get(id.trim())?;
        self.frameworks.get(f)?.controls.get(c)
    }

    /// A control or measure by id, or an error naming the id.
    pub fn require(&self, id: &str) -> Result<&Control, CatalogueError> {
        self.control(id)
            .ok_or_else(|| CatalogueError::UnknownControl(id.to_owned()))
    }

    /// A framework by name (`iso27001` or `nis2`).
    pub fn framework(&self, name: &str) -> Result<&Framework, CatalogueError> {
        let id: FrameworkId = name.parse()?;
        self.frameworks
            .iter()
            .find(|f| f.id == id)
            .ok_or_else(|| CatalogueError::UnknownFramework(name.to_owned()))
    }

    /// The ISO controls a NIS-2 measure maps to.
    pub fn iso_controls_for(&self, measure: &str) -> Result<Vec<&Control>, CatalogueError> {
        let m = self.require(measure)?;
        m.maps_to.iter().map(|id| self.require(id)).collect()
    }

    /// The NIS-2 measures an ISO control serves.
    pub fn measures_for(&self, iso_control: &str) -> Result<Vec<&Control>, CatalogueError> {
        let c = self.require(iso_control)?;
        Ok(self
            .frameworks
            .iter()
            .flat_map(|f| &f.controls)
            .filter(|m| m.maps_to.contains(&c.id))
            .collect())
    }
}

fn read(
    file: &'static str,
    text: &str,
    expected: FrameworkId,
) -> Result<Framework, CatalogueError> {
    let raw: RawFile =
        toml::from_str(text).map_err(|e: toml::de::Error| CatalogueError::Parse {
            file,
            message: e.message().to_owned(),
        })?;
    if raw.framework != expected.as_str() {
        return Err(CatalogueError::WrongFramework {
            file,
            found: raw.framework,
            expected,
        });
    }
    let (valid, form): (fn(&str) -> bool, _) = match expected {
        FrameworkId::Iso27001 => (|id| iso_parts(id).is_some(), "A.<5-8>.<n>"),
        FrameworkId::Nis2 => (is_nis2_id, "21(2)(<a-j>)"),
    };
    let mut controls = Vec::with_capacity(raw.controls.len());
    for c in raw.controls {
        if !valid(&c.id) {
            return Err(CatalogueError::BadId {
                file,
                id: c.id,
                form,
            });
        }
        if c.title.trim().is_empty() {
            return Err(CatalogueError::BlankTitle(c.id));
        }
        if expected == FrameworkId::Iso27001 && !c.iso27001.is_empty() {
            return Err(CatalogueError::BadMapping {
                from: c.id,
                to: c.iso27001.join(", "),
            });
        }
        controls.push(Control {
            id: c.id,
            framework: expected,
            title: c.title,
            text: c.text,
            annex: c.annex,
            maps_to: c.iso27001,
        });
    }
    Ok(Framework {
        id: expected,
        title: raw.title,
        controls,
    })
}

/// `A.<theme>.<n>` with theme 5 to 8 and n from 1, no leading zeros.
fn iso_parts(id: &str) -> Option<(u8, u32)> {
    let rest = id.strip_prefix("A.")?;
    let (theme, n) = rest.split_once('.')?;
    let theme: u8 = match theme {
        "5" => 5,
        "6" => 6,
        "7" => 7,
        "8" => 8,
        _ => return None,
    };
    if n.is_empty() || n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((theme, n.parse().ok()?))
}

/// `21(2)(a)` … `21(2)(j)`.
fn is_nis2_id(id: &str) -> bool {
    id.strip_prefix("21(2)(")
        .and_then(|rest| rest.strip_suffix(')'))
        .is_some_and(|p| matches!(p.as_bytes(), [b'a'..=b'j']))
}

#[cfg(test)]
mod tests;
