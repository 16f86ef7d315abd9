//! Loading rule folders and embedded rules into a [`RuleSet`], reporting on
//! every document, and running the set over events.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::document::Document;
use crate::error::{LoadError, RuleError};
use crate::logsource::{EventLogSource, LogSourceIndex};
use crate::meta::RuleMeta;
use crate::prefilter::{Engine, EngineSummary, Workspace};
use crate::sigma::ast::{RuleAst, SigmaDocument};
use crate::sigma::matcher::{CompiledDetection, Ctx, FieldSlots};
use crate::sigma::parse::parse_documents;
use crate::{Detection, Detector};

/// What loading needs besides the rules themselves.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Values for `expand` placeholders, by name without the percent signs
    /// (`Administrators` → `["admin", "adm_*"]`). Values may use Sigma
    /// wildcards. A rule using a placeholder missing here is rejected.
    pub placeholders: BTreeMap<String, Vec<String>>,
    /// Processing pipelines applied to every document before it is
    /// compiled (see [`crate::pipeline`]).
    pub pipelines: Vec<crate::pipeline::Pipeline>,
    /// Leaves out the field mappings that go with routing (see
    /// [`LoadOptions::routed_pipelines`]); only for showing what they change.
    pub without_routed_mappings: bool,
}

impl LoadOptions {
    /// The options with `placeholder` filled by `values`.
    pub fn with_placeholder(
        mut self,
        placeholder: impl Into<String>,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.placeholders.insert(
            placeholder.into(),
            values.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// The pipelines applied at load: those given, and the built-in
    /// pipelines that map the fields of events routed to a category by
    /// their event id (`windows-4688`), unless given already or
    /// [`Self::without_routed_mappings`]. An event is only tested against a
    /// rule through such a route, so the rule must read the event's names.
    pub fn routed_pipelines(&self) -> Vec<crate::pipeline::Pipeline> {
        let mut all = self.pipelines.clone();
        if !self.without_routed_mappings {
            for name in crate::logsource::ROUTED_PIPELINES {
                if all.iter().any(|p| p.name() == *name) {
                    continue;
                }
                if let Some(p) = crate::pipeline::Pipeline::builtin(name) {
                    all.push(p);
                }
            }
        }
        all
    }

    /// The options with `pipeline` added.
    pub fn with_pipeline(mut self, pipeline: crate::pipeline::Pipeline) -> Self {
        self.pipelines.push(pipeline);
        self
    }
}

/// What kind of document an outcome is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DocumentKind {
    /// A detection rule.
    Rule,
    /// A global filter.
    Filter,
    /// A correlation meta-rule.
    Correlation,
    /// A document that could not be classified (unreadable or invalid YAML).
    Unknown,
}

/// The fate of one document.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RuleOutcome {
    /// The file path (or the origin given to `load_sources`).
    pub origin: String,
    /// The 0-based index of the document in the file.
    pub document: usize,
    /// Rule, filter, or unknown.
    pub kind: DocumentKind,
    /// The document's `id`, when known.
    pub id: Option<String>,
    /// The document's `title`, when known.
    pub title: Option<String>,
    /// Loaded, or why not.
    pub result: Result<(), RuleError>,
}

impl fmt::Display for RuleOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if self.document > 0 {
            write!(f, "#{}", self.document)?;
        }
        if let Some(title) = &self.title {
            write!(f, " ({title})")?;
        }
        match &self.result {
            Ok(()) => write!(f, ": loaded"),
            Err(e) => write!(f, ": {e}"),
        }
    }
}

/// A loaded rule set and a report on every document that was offered.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// The rules that loaded.
    pub ruleset: RuleSet,
    /// One outcome per document, in the order read, except correlation
    /// documents that parsed: those are in `correlations`, and whether
    /// they load is decided when they are resolved against the rules
    /// (`vigil_correlate::CorrelationSet::compile`).
    pub outcomes: Vec<RuleOutcome>,
    /// The correlation documents that parsed, in the order read.
    pub correlations: Vec<crate::sigma::correlation::LoadedCorrelation>,
}

impl LoadReport {
    /// How many rules loaded.
    pub fn loaded(&self) -> usize {
        self.ruleset.rule_count()
    }

    /// The documents that were rejected.
    pub fn rejected(&self) -> impl Iterator<Item = &RuleOutcome> {
        self.outcomes.iter().filter(|o| o.result.is_err())
    }

    /// The rejected documents grouped by the kind of error ([`RuleError::kind`]).
    pub fn rejections_by_kind(&self) -> BTreeMap<&'static str, Vec<&RuleOutcome>> {
        let mut groups: BTreeMap<&'static str, Vec<&RuleOutcome>> = BTreeMap::new();
        for outcome in self.rejected() {
            if let Err(e) = &outcome.result {
                groups.entry(e.kind()).or_default().push(outcome);
            }
        }
        groups
    }
}

/// A compiled, immutable set of rules. Cloning is cheap (the rules are
/// shared), and it is `Send + Sync`, so one set serves every pipeline worker.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    rules: Vec<LoadedRule>,
    index: LogSourceIndex,
    /// The rules compiled as a whole (atoms, automata, prefilter).
    engine: Engine,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct LoadedRule {
    meta: Arc<RuleMeta>,
    detection: CompiledDetection,
}

/// One rule file's text (or why it could not be read).
struct SourceText {
    origin: String,
    /// What derived ids are made from: the origin relative to its folder.
    id_key: String,
    text: Result<String, RuleError>,
}

impl RuleSet {
    /// A set with no rules.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Loads every `*.yml` and `*.yaml` file under `dirs` (a path may also
    /// name a single file), in path order. Fails only when a folder cannot
    /// be walked; bad rules are reported in the outcomes.
    pub fn load_dirs(dirs: &[PathBuf], options: &LoadOptions) -> Result<LoadReport, LoadError> {
        Ok(compile(read_dirs(dirs)?, options).finish())
    }

    /// [`Self::load_dirs`], taking the compiled set from `cache` when these
    /// very rules were compiled with these options by this build before,
    /// and storing it there when not; says which it was.
    pub fn load_dirs_cached(
        dirs: &[PathBuf],
        options: &LoadOptions,
        cache: &RuleCache,
    ) -> Result<(LoadReport, CacheUse), LoadError> {
        let sources = read_dirs(dirs)?;
        Ok(cache.load(sources, options))
    }
}

/// The text of every `*.yml` and `*.yaml` file under `dirs`, in path order.
fn read_dirs(dirs: &[PathBuf]) -> Result<Vec<SourceText>, LoadError> {
    let mut found: Vec<(PathBuf, String)> = Vec::new();
    for root in dirs {
        let walk = walkdir::WalkDir::new(root).sort_by_file_name();
        for entry in walk {
            let entry = entry.map_err(|e| LoadError::Folder {
                path: e.path().map_or_else(|| root.clone(), Path::to_path_buf),
                source: e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("folder loop")),
            })?;
            let path = entry.path();
            let is_rule_file = entry.file_type().is_file()
                && path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml")
                });
            if !is_rule_file {
                continue;
            }
            let relative = path.strip_prefix(root).unwrap_or(path);
            let id_key = if relative.as_os_str().is_empty() {
                path.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            } else {
                relative.to_string_lossy().replace('\\', "/")
            };
            found.push((path.to_path_buf(), id_key));
        }
    }
    // Read on every core, as they are parsed: thousands of small files.
    let sources = by_parts(&found, FILES_PER_THREAD, |part| {
        part.iter()
            .map(|(path, id_key)| SourceText {
                origin: path.display().to_string(),
                id_key: id_key.clone(),
                text: std::fs::read(path)
                    .map_err(|e| RuleError::Read(e.to_string()))
                    .and_then(|bytes| {
                        String::from_utf8(bytes)
                            .map_err(|e| RuleError::Read(format!("not UTF-8: {e}")))
                    }),
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    Ok(sources)
}

impl RuleSet {
    /// Loads rules given as text, e.g. embedded in the binary; `origin`
    /// names each text in reports and metadata.
    pub fn load_sources(
        sources: impl IntoIterator<Item = (String, String)>,
        options: &LoadOptions,
    ) -> LoadReport {
        let sources = sources
            .into_iter()
            .map(|(origin, text)| SourceText {
                id_key: origin.clone(),
                origin,
                text: Ok(text),
            })
            .collect();
        compile(sources, options).finish()
    }

    /// The loaded rules' metadata, in load order.
    pub fn rules(&self) -> impl Iterator<Item = &Arc<RuleMeta>> {
        self.inner.rules.iter().map(|r| &r.meta)
    }

    /// Compiles every rule's regular expressions now — loading checks
    /// their syntax, and each is otherwise compiled when first needed — and
    /// returns the rules that have one that cannot be compiled (over the
    /// regex engine's size limit), with the error. Such a regex matches
    /// nothing; `vigil rules check` reports these rules as rejected.
    pub fn uncompilable_regexes(&self) -> Vec<(Arc<RuleMeta>, RuleError)> {
        self.inner
            .rules
            .iter()
            .filter_map(|rule| {
                let (field, re, why) = rule.detection.compile_regexes()?;
                Some((
                    rule.meta.clone(),
                    RuleError::BadRegex {
                        field: field.to_owned(),
                        pattern: re.as_str().to_owned(),
                        reason: why.to_owned(),
                    },
                ))
            })
            .collect()
    }

    /// Appends a detection for every rule whose log source fits `source`
    /// and which matches `doc`, in load order. The entry point for any
    /// document representation; [`Detector::detect`] calls it for events.
    pub fn detect_document<D: Document>(
        &self,
        doc: &D,
        source: &EventLogSource<'_>,
        out: &mut Vec<Detection>,
    ) {
        thread_local! {
            // Prepared fields, atoms and buffers, reused from event to event.
            static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::default());
        }
        let inner = &*self.inner;
        let mut run = |ws: &mut Workspace| {
            let route = inner.engine.select(source, &inner.index, doc, ws);
            let ctx = Ctx {
                automata: &route.automata,
                doc,
            };
            let candidates = std::mem::take(&mut ws.candidates);
            for &i in &candidates {
                if inner
                    .rules
                    .get(i as usize)
                    .is_some_and(|r| r.detection.matches(&ctx, &mut ws.scratch))
                {
                    ws.matched.push(i);
                }
            }
            ws.candidates = candidates;
            // Only for the rules that matched: what made them match.
            out.extend(ws.matched.iter().filter_map(|&i| {
                inner.rules.get(i as usize).map(|r| Detection {
                    rule: Arc::clone(&r.meta),
                    matched: crate::sigma::explain::match_detail(
                        &r.detection,
                        &inner.engine.atoms,
                        doc,
                    ),
                })
            }));
        };
        WORKSPACE.with(|cell| match cell.try_borrow_mut() {
            Ok(mut ws) => run(&mut ws),
            // Only reachable if a document's own code re-enters detection.
            Err(_) => run(&mut Workspace::default()),
        });
    }

    /// The rules `key` names: by id, name or title (exactly, or else
    /// ignoring case), or by the file they came from (its path, or the end
    /// of it).
    pub fn find_rules(&self, key: &str) -> Vec<&Arc<RuleMeta>> {
        let exact: Vec<&Arc<RuleMeta>> = self
            .rules()
            .filter(|r| r.id == key || r.title == key || r.name.as_deref() == Some(key))
            .collect();
        if !exact.is_empty() {
            return exact;
        }
        let by_title: Vec<&Arc<RuleMeta>> = self
            .rules()
            .filter(|r| r.title.eq_ignore_ascii_case(key))
            .collect();
        if !by_title.is_empty() {
            return by_title;
        }
        let path = key.replace('\\', "/");
        self.rules()
            .filter(|r| {
                let origin = r.origin.replace('\\', "/");
                origin == path || origin.ends_with(&format!("/{path}"))
            })
            .collect()
    }

    /// Why the rule with id `rule_id` matches `doc` seen as `source`, or
    /// does not, selection by selection; `None` when no such rule is loaded.
    /// Slow and thorough: for one rule and one event at a time.
    pub fn explain<D: Document>(
        &self,
        rule_id: &str,
        doc: &D,
        source: &EventLogSource<'_>,
    ) -> Option<crate::Explanation> {
        let inner = &*self.inner;
        let rule = inner.rules.iter().find(|r| r.meta.id == rule_id)?;
        let explained =
            crate::sigma::explain::explain(&rule.detection, &inner.engine.atoms, doc, true);
        let routed = source.admits(&rule.meta.logsource);
        Some(crate::Explanation {
            rule_id: rule.meta.id.clone(),
            rule_title: rule.meta.title.clone(),
            rule_origin: rule.meta.origin.clone(),
            rule_logsource: crate::logsource::describe_rule_source(&rule.meta.logsource),
            // A binding's view without a product (a hunt not told one)
            // admits nothing; it is left out.
            event_logsource: source
                .views()
                .iter()
                .filter(|v| !v.product.is_empty())
                .map(crate::logsource::describe_view)
                .collect(),
            routed,
            condition: crate::sigma::explain::condition_text(&rule.detection),
            condition_holds: explained.holds,
            matched: routed && explained.holds,
            selections: explained.selections,
        })
    }

    /// For every rule `source` is routed to that `which` picks: its id, and
    /// whether its condition holds on `doc` by the explanation's evaluation.
    #[cfg(test)]
    pub(crate) fn explained_conditions<D: Document>(
        &self,
        doc: &D,
        source: &EventLogSource<'_>,
        which: impl Fn(&RuleMeta) -> bool,
    ) -> Vec<(String, bool)> {
        let inner = &*self.inner;
        inner
            .rules
            .iter()
            .filter(|r| source.admits(&r.meta.logsource) && which(&r.meta))
            .map(|r| {
                let explained =
                    crate::sigma::explain::explain(&r.detection, &inner.engine.atoms, doc, false);
                (r.meta.id.clone(), explained.holds)
            })
            .collect()
    }

    /// Figures about how the set is compiled: atoms, automata, and how many
    /// rules cannot be skipped by the prefilter.
    pub fn engine_summary(&self) -> EngineSummary {
        self.inner.engine.summary()
    }
}

/// A document on its way through loading.
struct Pending {
    outcome: RuleOutcome,
    id_key: String,
    doc: Option<SigmaDocument>,
}

/// A rule set compiled and not yet built into a [`RuleSet`]: what the
/// cache keeps (see `cache.rs`).
struct Compiled {
    rules: Vec<LoadedRule>,
    /// The vocabulary the rules are numbered in.
    slots: FieldSlots,
    outcomes: Vec<RuleOutcome>,
    correlations: Vec<crate::sigma::correlation::LoadedCorrelation>,
}

impl Compiled {
    /// The rule set and the report: the rules indexed by log source and
    /// compiled as a whole (atoms, automata, prefilter).
    fn finish(self) -> LoadReport {
        let mut index = LogSourceIndex::default();
        for (number, rule) in self.rules.iter().enumerate() {
            index.insert(
                &rule.meta.logsource,
                u32::try_from(number).unwrap_or(u32::MAX),
            );
        }
        let engine = Engine::build(self.slots, self.rules.iter().map(|r| &r.detection), &index);
        LoadReport {
            ruleset: RuleSet {
                inner: Arc::new(Inner {
                    rules: self.rules,
                    index,
                    engine,
                }),
            },
            outcomes: self.outcomes,
            correlations: self.correlations,
        }
    }
}

fn compile(sources: Vec<SourceText>, options: &LoadOptions) -> Compiled {
    let pipelines = options.routed_pipelines();
    let parsed_sources = parse_all(&sources, &pipelines, &options.placeholders);
    let mut pending: Vec<Pending> = Vec::new();
    let mut correlations = Vec::new();
    for (source, parsed_documents) in sources.into_iter().zip(parsed_sources) {
        if let Err(e) = source.text {
            pending.push(Pending {
                outcome: RuleOutcome {
                    origin: source.origin,
                    document: 0,
                    kind: DocumentKind::Unknown,
                    id: None,
                    title: None,
                    result: Err(e),
                },
                id_key: source.id_key,
                doc: None,
            });
            continue;
        }
        for parsed in parsed_documents {
            let kind = match &parsed.result {
                Ok(SigmaDocument::Rule(_)) => DocumentKind::Rule,
                Ok(SigmaDocument::Filter(_)) => DocumentKind::Filter,
                Ok(SigmaDocument::Correlation(_)) => DocumentKind::Correlation,
                Err(_) if parsed.is_correlation => DocumentKind::Correlation,
                Err(_) if parsed.title.is_some() => DocumentKind::Rule,
                Err(_) => DocumentKind::Unknown,
            };
            let (result, doc) = match parsed.result {
                Ok(doc) => (Ok(()), Some(doc)),
                Err(e) => (Err(e), None),
            };
            let suffix = if parsed.index > 0 {
                format!("#{}", parsed.index)
            } else {
                String::new()
            };
            if let Some(SigmaDocument::Correlation(ast)) = doc {
                correlations.push(crate::sigma::correlation::LoadedCorrelation::new(
                    ast,
                    &source.origin,
                    parsed.index,
                    &format!("{}{suffix}", source.id_key),
                ));
                continue;
            }
            pending.push(Pending {
                outcome: RuleOutcome {
                    origin: source.origin.clone(),
                    document: parsed.index,
                    kind,
                    id: parsed.id,
                    title: parsed.title,
                    result,
                },
                id_key: format!("{}{suffix}", source.id_key),
                doc,
            });
        }
    }

    let filters = prepare_filters(&mut pending, options);

    // Compiling (lowering values, building regexes) is the larger part of
    // loading after parsing, and each rule compiles on its own with a
    // vocabulary of its part; the parts' vocabularies are then taken in, in
    // rule order, so the numbering is as one thread would have made it.
    let rules: Vec<(usize, RuleAst)> = pending
        .iter_mut()
        .enumerate()
        .filter_map(|(at, item)| match item.doc.take() {
            Some(SigmaDocument::Rule(rule)) => Some((at, rule)),
            other => {
                item.doc = other;
                None
            }
        })
        .collect();
    // Each rule's metadata is made beside its compilation, on every core.
    let shared = &pending;
    let parts = by_parts(&rules, RULES_PER_THREAD, |part| {
        let mut slots = FieldSlots::default();
        let compiled: Vec<_> = part
            .iter()
            .map(|(at, rule)| {
                let (origin, id_key) = shared.get(*at).map_or_else(Default::default, |item| {
                    let origin = if item.outcome.document > 0 {
                        format!("{}#{}", item.outcome.origin, item.outcome.document)
                    } else {
                        item.outcome.origin.clone()
                    };
                    (origin, item.id_key.as_str())
                });
                let meta =
                    RuleMeta::from_header(&rule.header, &rule.logsource, origin.clone(), id_key);
                (
                    compile_rule(rule, &filters, options, &mut slots),
                    meta,
                    origin,
                )
            })
            .collect();
        (compiled, slots)
    });

    // The parts' vocabularies are taken in in part order; the renumbering
    // of their rules then runs on every core.
    let mut slots = FieldSlots::default();
    let mut parts: Vec<_> = parts
        .into_iter()
        .map(|(compiled, part_slots)| (compiled, slots.absorb(part_slots)))
        .collect();
    std::thread::scope(|scope| {
        let mut each = parts.iter_mut();
        let first = each.next();
        for (compiled, numbers) in each {
            scope.spawn(move || renumber_part(compiled, numbers));
        }
        if let Some((compiled, numbers)) = first {
            renumber_part(compiled, numbers);
        }
    });

    let mut loaded: Vec<LoadedRule> = Vec::new();
    let mut first_origin: HashMap<String, String> = HashMap::new();
    let mut in_order = rules.iter();
    for (compiled, _) in parts {
        for ((compiled, meta, origin), (at, _)) in compiled.into_iter().zip(in_order.by_ref()) {
            let Some(item) = pending.get_mut(*at) else {
                continue;
            };
            item.outcome.id = Some(meta.id.clone());
            let compiled = compiled.and_then(|detection| match first_origin.get(&meta.id) {
                Some(first) => Err(RuleError::DuplicateId {
                    id: meta.id.clone(),
                    first: first.clone(),
                }),
                None => Ok(detection),
            });
            match compiled {
                Ok(detection) => {
                    first_origin.insert(meta.id.clone(), origin);
                    loaded.push(LoadedRule {
                        meta: Arc::new(meta),
                        detection,
                    });
                }
                Err(e) => item.outcome.result = Err(e),
            }
        }
    }
    Compiled {
        rules: loaded,
        slots,
        outcomes: pending.into_iter().map(|p| p.outcome).collect(),
        correlations,
    }
}

/// Moves a part's compiled rules to the whole set's numbering.
fn renumber_part(
    compiled: &mut [(Result<CompiledDetection, RuleError>, RuleMeta, String)],
    numbers: &crate::automaton::Renumbering,
) {
    for (detection, _, _) in compiled.iter_mut() {
        if let Ok(detection) = detection {
            detection.renumber(numbers);
        }
    }
}

/// Files parsed per thread at least, so that a handful of rules is not
/// spread over threads that cost more to start than the parsing.
const FILES_PER_THREAD: usize = 64;

/// Rules compiled per thread at least, for the same reason.
const RULES_PER_THREAD: usize = 64;

/// `work` done on `items` in consecutive parts, one thread per core (fewer
/// where a part would be under `at_least` items); the parts' results in
/// the order of `items`.
fn by_parts<T: Sync, R: Send>(
    items: &[T],
    at_least: usize,
    work: impl Fn(&[T]) -> R + Sync,
) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let threads = cores.min(items.len() / at_least).max(1);
    if threads == 1 {
        return vec![work(items)];
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let work = &work;
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || work(part)))
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                // A panic while loading is loading's own, not hidden.
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Every source's documents, parsed and with the pipelines applied, in the
/// order of `sources`. Parsing the YAML is most of loading a large rule set
/// and each file is parsed on its own, so the files are shared out among
/// threads (one per core).
fn parse_all(
    sources: &[SourceText],
    pipelines: &[crate::pipeline::Pipeline],
    placeholders: &BTreeMap<String, Vec<String>>,
) -> Vec<Vec<crate::sigma::parse::ParsedDocument>> {
    let parse = |source: &SourceText| {
        let Ok(text) = &source.text else {
            return Vec::new();
        };
        let mut documents = parse_documents(text);
        for parsed in &mut documents {
            if let Ok(doc) = &mut parsed.result
                && let Err(e) = crate::pipeline::apply_pipelines(pipelines, placeholders, doc)
            {
                parsed.result = Err(e);
            }
        }
        documents
    };
    by_parts(sources, FILES_PER_THREAD, |part| {
        part.iter().map(parse).collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

mod cache;
mod detector;
mod filters;
pub use cache::{CacheUse, RuleCache};
use filters::{compile_rule, prepare_filters};

#[cfg(test)]
#[path = "ruleset_tests.rs"]
mod tests;
