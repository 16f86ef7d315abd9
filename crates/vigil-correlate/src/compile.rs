//! Resolving correlation documents against the loaded rules: references by
//! id or name (rules and other correlations), aliases, chains and cycles,
//! and which rules stay silent because a correlation does not `generate`
//! them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use vigil_detect::sigma::correlation::{CorrelationCondition, CorrelationType, LoadedCorrelation};
use vigil_detect::{DocumentKind, LoadReport, RuleError, RuleMeta, RuleOutcome, RuleSet};
use vigil_model::Severity;
use xxhash_rust::xxh3::Xxh3;

/// What a correlation firing says about the correlation.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationMeta {
    /// Its `id` (or one derived from its origin and title).
    pub id: String,
    /// Its `name`, when it has one.
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `description` (empty when absent).
    pub description: String,
    /// `level`; medium when the correlation does not say.
    pub level: Severity,
    /// `tags`.
    pub tags: Vec<String>,
    /// Where it came from (file, with `#N` for the N-th document).
    pub origin: String,
    /// `correlation.type`.
    pub kind: CorrelationType,
    /// `timespan`, in seconds.
    pub timespan_seconds: u64,
    /// `group-by`, as written.
    pub group_by: Vec<String>,
    /// The ids of the rules and correlations it refers to, in order.
    pub rules: Vec<String>,
    /// Whether its firings become alerts: false when another correlation
    /// refers to it without `generate: true`.
    pub raises_alerts: bool,
}

/// Where a referred rule's value for one group-by name (or condition
/// field) is found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Source {
    /// A field of the event.
    Field(String),
    /// The value a referred correlation's firing carries for this one of
    /// its group-by names (by position).
    Group(usize),
}

/// One referred rule of a correlation.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    /// What it resolved to.
    pub target: Target,
    /// Where each group-by value comes from, in group-by order.
    pub group: Vec<Source>,
    /// Where each condition field's value comes from.
    pub values: Vec<Source>,
}

/// What a reference resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A detection rule, by id.
    Rule(String),
    /// Another correlation, by index in the set.
    Correlation(usize),
}

/// A correlation ready to run.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub meta: Arc<CorrelationMeta>,
    pub kind: CorrelationType,
    pub timespan: chrono::Duration,
    /// The comparisons; `None` for temporal types without a condition,
    /// which need every rule.
    pub condition: Option<CorrelationCondition>,
    pub slots: Vec<Slot>,
    /// The correlations that refer to this one: (index, slot).
    pub parents: Vec<(usize, usize)>,
    /// A digest of everything that decides its state's meaning, so that
    /// state saved under another definition is not restored into it.
    pub definition: u64,
    /// `generate`: whether the rules it refers to raise alerts of their own.
    pub generate: bool,
}

impl Compiled {
    /// Whether `value` (a count, sum, average or percent) satisfies the
    /// condition; temporal types without one need every rule.
    pub fn holds(&self, value: f64) -> bool {
        match &self.condition {
            Some(c) => c.holds(value),
            None => value >= self.slots.len() as f64,
        }
    }
}

/// The correlations of a rule set, resolved and ordered so that every
/// correlation comes after those it refers to. Immutable and cheap to
/// share.
#[derive(Debug, Clone, Default)]
pub struct CorrelationSet {
    pub(crate) correlations: Vec<Compiled>,
    /// Base rule id → the (correlation, slot) pairs that refer to it.
    pub(crate) by_rule: HashMap<String, Vec<(usize, usize)>>,
    /// Base rule ids whose own detections raise no alerts.
    silenced: HashSet<String>,
}

impl CorrelationSet {
    /// Resolves the correlations a load found against the rules it loaded.
    /// Returns the set and one outcome per correlation document, in the
    /// order read (loaded, or why not).
    pub fn compile(report: &LoadReport) -> (CorrelationSet, Vec<RuleOutcome>) {
        Self::compile_with(&report.ruleset, &report.correlations, &report.outcomes)
    }

    /// As [`CorrelationSet::compile`], from the parts: the rules, the
    /// correlation documents, and the load's outcomes (to say why a
    /// reference to a rule that did not load fails).
    pub fn compile_with(
        rules: &RuleSet,
        documents: &[LoadedCorrelation],
        outcomes: &[RuleOutcome],
    ) -> (CorrelationSet, Vec<RuleOutcome>) {
        Resolver::new(rules, documents, outcomes).run()
    }

    /// How many correlations are loaded.
    pub fn len(&self) -> usize {
        self.correlations.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.correlations.is_empty()
    }

    /// The loaded correlations, each after those it refers to.
    pub fn correlations(&self) -> impl Iterator<Item = &Arc<CorrelationMeta>> {
        self.correlations.iter().map(|c| &c.meta)
    }

    /// Whether a detection of the rule `rule_id` raises an alert of its
    /// own: true unless correlations refer to it and none of them says
    /// `generate: true`.
    pub fn generates(&self, rule_id: &str) -> bool {
        !self.silenced.contains(rule_id)
    }

    /// Whether any correlation refers to the rule `rule_id`.
    pub fn refers_to(&self, rule_id: &str) -> bool {
        self.by_rule.contains_key(rule_id)
    }
}

/// A document on its way through resolution.
struct Pending<'a> {
    doc: &'a LoadedCorrelation,
    /// The references, resolved, or the error.
    targets: Result<Vec<Target>, RuleError>,
}

struct Resolver<'a> {
    rules: Vec<&'a Arc<RuleMeta>>,
    documents: &'a [LoadedCorrelation],
    outcomes: &'a [RuleOutcome],
}

impl<'a> Resolver<'a> {
    fn new(
        rules: &'a RuleSet,
        documents: &'a [LoadedCorrelation],
        outcomes: &'a [RuleOutcome],
    ) -> Self {
        Resolver {
            rules: rules.rules().collect(),
            documents,
            outcomes,
        }
    }

    fn run(self) -> (CorrelationSet, Vec<RuleOutcome>) {
        let mut results: Vec<Result<(), RuleError>> = vec![Ok(()); self.documents.len()];
        // Ids must be unique across rules and correlations.
        let rule_ids: HashSet<&str> = self.rules.iter().map(|r| r.id.as_str()).collect();
        let mut first_id: HashMap<&str, &str> = HashMap::new();
        for (i, doc) in self.documents.iter().enumerate() {
            if rule_ids.contains(doc.id.as_str()) {
                results[i] = Err(RuleError::DuplicateId {
                    id: doc.id.clone(),
                    first: "a detection rule".into(),
                });
            } else if let Some(first) = first_id.get(doc.id.as_str()) {
                results[i] = Err(RuleError::DuplicateId {
                    id: doc.id.clone(),
                    first: (*first).to_owned(),
                });
            } else {
                first_id.insert(&doc.id, &doc.origin);
            }
        }
        let mut pending: Vec<Pending<'_>> = self
            .documents
            .iter()
            .enumerate()
            .map(|(i, doc)| Pending {
                doc,
                targets: match &results[i] {
                    Err(e) => Err(e.clone()),
                    Ok(()) => doc
                        .ast
                        .rules
                        .iter()
                        .map(|r| self.resolve_reference(r, i))
                        .collect(),
                },
            })
            .collect();

        // A correlation is usable when every correlation it refers to is,
        // and none of them leads back to it. Settle them in dependency
        // order; whatever cannot be settled is in (or behind) a cycle.
        let mut order: Vec<usize> = Vec::new();
        let mut settled = vec![false; pending.len()];
        loop {
            let mut progressed = false;
            for i in 0..pending.len() {
                if settled[i] {
                    continue;
                }
                let blocked = match &pending[i].targets {
                    Err(_) => false,
                    Ok(targets) => targets.iter().any(|t| match t {
                        Target::Correlation(j) => !settled[*j],
                        Target::Rule(_) => false,
                    }),
                };
                if blocked {
                    continue;
                }
                if let Ok(targets) = &pending[i].targets {
                    let broken =
                        targets
                            .iter()
                            .zip(&pending[i].doc.ast.rules)
                            .find_map(|(t, r)| match t {
                                Target::Correlation(j) => match &pending[*j].targets {
                                    Err(e) => Some(RuleError::BadReference {
                                        reference: r.clone(),
                                        reason: format!("a correlation that did not load ({e})"),
                                    }),
                                    Ok(_) => None,
                                },
                                Target::Rule(_) => None,
                            });
                    if let Some(e) = broken {
                        pending[i].targets = Err(e);
                    }
                }
                settled[i] = true;
                if pending[i].targets.is_ok() {
                    order.push(i);
                }
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
        for i in 0..pending.len() {
            if !settled[i] {
                pending[i].targets = Err(RuleError::BadReference {
                    reference: pending[i].doc.ast.rules.join(", "),
                    reason: format!(
                        "part of a cycle of correlations through `{}`",
                        pending[i].doc.id
                    ),
                });
            }
        }

        // Compile in dependency order; indices in the set follow `order`.
        let mut index_of: HashMap<usize, usize> = HashMap::new();
        let mut set = CorrelationSet::default();
        for &i in &order {
            let Ok(targets) = &pending[i].targets else {
                continue;
            };
            let targets: Vec<Target> = targets
                .iter()
                .map(|t| match t {
                    Target::Correlation(j) => {
                        Target::Correlation(index_of.get(j).copied().unwrap_or(usize::MAX))
                    }
                    other => other.clone(),
                })
                .collect();
            match compile_one(pending[i].doc, &targets, &set) {
                Ok(compiled) => {
                    index_of.insert(i, set.correlations.len());
                    set.correlations.push(compiled);
                }
                Err(e) => pending[i].targets = Err(e),
            }
        }
        // A correlation referring to one that failed to compile fails too
        // (compile_one refused it: its target index is usize::MAX).
        link(&mut set);

        let outcomes = pending
            .iter()
            .map(|p| RuleOutcome {
                origin: p.doc.file.clone(),
                document: p.doc.document,
                kind: DocumentKind::Correlation,
                id: Some(p.doc.id.clone()),
                title: Some(p.doc.ast.header.title.clone()),
                result: p.targets.as_ref().map(|_| ()).map_err(Clone::clone),
            })
            .collect();
        (set, outcomes)
    }

    /// What `reference` (in document `me`) names: a rule by id or name, or
    /// another correlation by id or name.
    fn resolve_reference(&self, reference: &str, me: usize) -> Result<Target, RuleError> {
        let rules: Vec<&Arc<RuleMeta>> = self
            .rules
            .iter()
            .copied()
            .filter(|r| r.id == reference || r.name.as_deref() == Some(reference))
            .collect();
        let correlations: Vec<usize> = self
            .documents
            .iter()
            .enumerate()
            .filter(|(_, d)| d.id == reference || d.ast.header.name.as_deref() == Some(reference))
            .map(|(i, _)| i)
            .collect();
        let bad = |reason: String| RuleError::BadReference {
            reference: reference.to_owned(),
            reason,
        };
        match (rules.as_slice(), correlations.as_slice()) {
            ([rule], []) => Ok(Target::Rule(rule.id.clone())),
            ([], [j]) if *j == me => Err(bad("this correlation itself".into())),
            ([], [j]) => Ok(Target::Correlation(*j)),
            ([], []) => Err(bad(self.why_unknown(reference))),
            _ => Err(bad(format!(
                "ambiguous: {} rules and {} correlations have this id or name",
                rules.len(),
                correlations.len()
            ))),
        }
    }

    fn why_unknown(&self, reference: &str) -> String {
        for o in self.outcomes {
            let named = o.id.as_deref() == Some(reference) || o.title.as_deref() == Some(reference);
            if let (true, Err(e)) = (named, &o.result) {
                return format!("a rule that did not load ({}: {e})", o.origin);
            }
        }
        "unknown: no loaded rule or correlation has this id or name".into()
    }
}

/// Builds one correlation; `set` holds the correlations it may refer to.
fn compile_one(
    doc: &LoadedCorrelation,
    targets: &[Target],
    set: &CorrelationSet,
) -> Result<Compiled, RuleError> {
    let ast = &doc.ast;
    let condition_fields: Vec<String> = ast
        .condition
        .as_ref()
        .map(|c| c.fields.clone())
        .unwrap_or_default();
    for (alias, per_rule) in &ast.aliases {
        for rule in per_rule.keys() {
            if !ast.rules.contains(rule)
                && !targets
                    .iter()
                    .zip(&ast.rules)
                    .any(|(t, _)| names(t, set).contains(&rule.as_str()))
            {
                return Err(RuleError::BadReference {
                    reference: rule.clone(),
                    reason: format!("named in `aliases.{alias}` but not among `correlation.rules`"),
                });
            }
        }
    }
    let mut slots = Vec::with_capacity(targets.len());
    for (target, reference) in targets.iter().zip(&ast.rules) {
        if let Target::Correlation(j) = target
            && set.correlations.get(*j).is_none()
        {
            return Err(RuleError::BadReference {
                reference: reference.clone(),
                reason: "a correlation that did not load".into(),
            });
        }
        let resolve = |name: &String| -> Result<Source, RuleError> {
            // An alias names, per referred rule, the field holding the value.
            let field = ast
                .aliases
                .get(name)
                .and_then(|per_rule| {
                    per_rule
                        .get(reference)
                        .or_else(|| names(target, set).iter().find_map(|n| per_rule.get(*n)))
                })
                .unwrap_or(name);
            match target {
                Target::Rule(_) => Ok(Source::Field(field.clone())),
                Target::Correlation(j) => {
                    let child = &set.correlations[*j].meta;
                    child
                        .group_by
                        .iter()
                        .position(|g| g == field)
                        .map(Source::Group)
                        .ok_or_else(|| RuleError::BadReference {
                            reference: reference.clone(),
                            reason: format!(
                                "a correlation whose firings carry only its group-by values ({}), not `{field}`",
                                if child.group_by.is_empty() { "none".to_owned() } else { child.group_by.join(", ") }
                            ),
                        })
                }
            }
        };
        slots.push(Slot {
            target: target.clone(),
            group: ast.group_by.iter().map(resolve).collect::<Result<_, _>>()?,
            values: condition_fields
                .iter()
                .map(resolve)
                .collect::<Result<_, _>>()?,
        });
    }
    let timespan =
        chrono::Duration::seconds(i64::try_from(ast.timespan.seconds).unwrap_or(i64::MAX / 1000));
    let ids: Vec<String> = targets
        .iter()
        .map(|t| match t {
            Target::Rule(id) => id.clone(),
            Target::Correlation(j) => set.correlations[*j].meta.id.clone(),
        })
        .collect();
    let mut digest = Xxh3::new();
    let mut put = |s: &str| {
        digest.update(s.as_bytes());
        digest.update(&[0]);
    };
    put(ast.kind.as_str());
    put(&ast.timespan.seconds.to_string());
    ids.iter().for_each(|id| put(id));
    put("|");
    for slot in &slots {
        for source in slot.group.iter().chain(&slot.values) {
            match source {
                Source::Field(f) => put(f),
                Source::Group(g) => put(&format!("#{g}")),
            }
        }
        put("|");
    }
    if let Some(c) = &ast.condition {
        put(&c.to_string());
    }
    let definition = digest.digest();
    let header = &ast.header;
    Ok(Compiled {
        meta: Arc::new(CorrelationMeta {
            id: doc.id.clone(),
            name: header.name.clone(),
            title: header.title.clone(),
            description: header.description.clone().unwrap_or_default(),
            level: header.level.unwrap_or(Severity::Medium),
            tags: header.tags.clone(),
            origin: doc.origin.clone(),
            kind: ast.kind,
            timespan_seconds: ast.timespan.seconds,
            group_by: ast.group_by.clone(),
            rules: ids,
            raises_alerts: true,
        }),
        kind: ast.kind,
        timespan,
        condition: ast.condition.clone(),
        slots,
        parents: Vec::new(),
        definition,
        generate: ast.generate,
    })
}

/// The id and name a target is known by.
fn names<'s>(target: &'s Target, set: &'s CorrelationSet) -> Vec<&'s str> {
    match target {
        Target::Rule(id) => vec![id.as_str()],
        Target::Correlation(j) => set
            .correlations
            .get(*j)
            .map(|c| {
                let mut v = vec![c.meta.id.as_str()];
                v.extend(c.meta.name.as_deref());
                v
            })
            .unwrap_or_default(),
    }
}

/// Records who refers to whom, which base rules feed which slots, and who
/// stays silent (referred to, and never with `generate: true`).
fn link(set: &mut CorrelationSet) {
    let mut generated_rules: HashSet<String> = HashSet::new();
    let mut referred_rules: HashSet<String> = HashSet::new();
    let mut generated_correlations: HashSet<usize> = HashSet::new();
    let mut referred_correlations: HashSet<usize> = HashSet::new();
    for i in 0..set.correlations.len() {
        let generate = set.correlations[i].generate;
        for s in 0..set.correlations[i].slots.len() {
            match set.correlations[i].slots[s].target.clone() {
                Target::Rule(id) => {
                    set.by_rule.entry(id.clone()).or_default().push((i, s));
                    if generate {
                        generated_rules.insert(id.clone());
                    }
                    referred_rules.insert(id);
                }
                Target::Correlation(j) => {
                    if let Some(child) = set.correlations.get_mut(j) {
                        child.parents.push((i, s));
                    }
                    if generate {
                        generated_correlations.insert(j);
                    }
                    referred_correlations.insert(j);
                }
            }
        }
    }
    set.silenced = referred_rules
        .difference(&generated_rules)
        .cloned()
        .collect();
    for j in referred_correlations.difference(&generated_correlations) {
        if let Some(c) = set.correlations.get_mut(*j) {
            Arc::make_mut(&mut c.meta).raises_alerts = false;
        }
    }
}
