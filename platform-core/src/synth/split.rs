//! Splitting a stack that breaks CloudFormation's limits (500 resources, 200
//! outputs or parameters, 1 MB of template) into a parent stack and nested
//! stacks (`AWS::CloudFormation::Stack`).
//!
//! - **Units.** Each declared resource brings all the CloudFormation
//!   resources it made; they always stay together. Declared resources that
//!   refer to each other in a loop (a dead-letter queue whose policy names
//!   the rules that use it) form one unit.
//! - **Order.** Units are ordered so that what a unit refers to comes first,
//!   and otherwise by layer (keys, networks, data, compute, configuration,
//!   monitoring), then by declaration order: the definition's structure.
//! - **Packing.** Consecutive units fill a nested stack up to a budget below
//!   every limit; a new layer starts a new stack. References therefore only
//!   point to earlier stacks, and the stacks form no cycle.
//! - **Wiring.** A reference to a resource in another nested stack becomes a
//!   parameter of the referring stack, fed by the parent from an output of
//!   the stack that holds the resource (`Fn::GetAtt [Stack, Outputs.X]`).
//!   The parent's own parameters are passed down the same way, and
//!   `AWS::StackName` becomes the parent's name (`RootStackName`), so
//!   exports keep the names they have in an unsplit stack.
//! - **Upload.** Each nested template is named by its content hash,
//!   `templates/<sha256>.json` in the asset bucket, like code assets.
//!
//! Same input, same split: every step is ordered by names and declaration
//! order only.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use crate::catalog::Kind;
use crate::spec::Platform;
use crate::template::{Output, Parameter, Pseudo, Resource, Template, Value};

use super::{ASSET_BUCKET_PARAMETER, ASSET_BUCKET_SSM_NAME, IdMap, SynthError, assets, limits};

/// The nested-stack parameter carrying the parent's stack name.
pub const ROOT_STACK_NAME_PARAMETER: &str = "RootStackName";

/// One nested stack of a split stack.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedStack {
    /// The parent's logical id for it: its layer and a number (`DataStack2`).
    pub logical_id: String,
    pub template: Template,
    /// The serialized template, exactly as uploaded.
    pub body: String,
    /// SHA-256 of `body`, hex.
    pub sha256: String,
    /// The platform's own outputs this stack holds, sorted; its other
    /// outputs only feed other nested stacks' parameters.
    pub outputs: Vec<String>,
}

impl NestedStack {
    /// The key in the asset bucket that the parent's `TemplateURL` names.
    pub fn s3_key(&self) -> String {
        format!("templates/{}.json", self.sha256)
    }

    /// The file in the output directory, beside its parent's template.
    pub fn file_name(&self, parent: &str) -> String {
        format!("{parent}.{}.template.json", self.logical_id)
    }
}

/// How full a nested stack may get; below the limits, so that the wiring
/// added after packing still fits.
#[derive(Debug, Clone, Copy)]
struct Budget {
    resources: usize,
    outputs: usize,
    parameters: usize,
}

const FIRST_BUDGET: Budget = Budget {
    resources: 400,
    outputs: 150,
    parameters: 150,
};

/// Whether `template` (serialized as `body`, when it was) must be split.
pub(crate) fn needed(template: &Template, body: Option<&str>) -> bool {
    template.resources.len() > limits::MAX_RESOURCES
        || template.outputs.len() > limits::MAX_OUTPUTS
        || template.parameters.len() > limits::MAX_PARAMETERS
        || body.is_some_and(|b| b.len() > limits::MAX_S3_BODY)
}

/// The layer a kind belongs to, which orders and names nested stacks.
fn layer(kind: Kind) -> (u8, &'static str) {
    match kind {
        Kind::Key => (0, "Security"),
        Kind::Network => (1, "Network"),
        Kind::Table
        | Kind::Queue
        | Kind::Bucket
        | Kind::Topic
        | Kind::Aurora
        | Kind::DbUser
        | Kind::Bus
        | Kind::LogGroup => (2, "Data"),
        Kind::Function | Kind::Api | Kind::Rule => (3, "Compute"),
        Kind::Parameter => (4, "Config"),
        Kind::Alarm | Kind::HealthCheck | Kind::Dashboard => (5, "Monitoring"),
        Kind::Zone => (1, "Network"),
    }
}

/// A logical id referred to, with the attribute for `Fn::GetAtt`.
type Ref = (String, Option<String>);

fn split_sub_name(name: &str) -> Ref {
    match name.split_once('.') {
        Some((id, att)) => (id.to_owned(), Some(att.to_owned())),
        None => (name.to_owned(), None),
    }
}

/// Replaces references through `map` (id, attribute) -> parameter name; a
/// `None` keeps the reference as it is.
fn rewrite(value: &mut Value, map: &dyn Fn(&str, Option<&str>) -> Option<String>) {
    match value {
        Value::Ref(id) => {
            if let Some(p) = map(id, None) {
                *id = p;
            }
        }
        Value::GetAtt(id, att) => {
            if let Some(p) = map(id, Some(att)) {
                *value = Value::Ref(p);
            }
        }
        Value::Pseudo(Pseudo::StackName) => {
            *value = Value::Ref(ROOT_STACK_NAME_PARAMETER.into());
        }
        Value::Sub(s, vars) => {
            vars.values_mut().for_each(|v| rewrite(v, map));
            if s.contains("${") {
                *s = rewrite_sub(s, &|name| {
                    if vars.contains_key(name) {
                        return None;
                    }
                    if name == Pseudo::StackName.name() {
                        return Some(ROOT_STACK_NAME_PARAMETER.into());
                    }
                    let (id, att) = split_sub_name(name);
                    map(&id, att.as_deref())
                });
            }
        }
        Value::List(items) | Value::Join(_, items) => {
            items.iter_mut().for_each(|v| rewrite(v, map))
        }
        Value::Map(m) => m.values_mut().for_each(|v| rewrite(v, map)),
        Value::Select(_, v) | Value::GetAzs(v) | Value::Not(v) => rewrite(v, map),
        Value::Equals(a, b) => {
            rewrite(a, map);
            rewrite(b, map);
        }
        Value::Null
        | Value::Bool(_)
        | Value::Int(_)
        | Value::Float(_)
        | Value::Str(_)
        | Value::Pseudo(_) => {}
    }
}

fn rewrite_sub(s: &str, map: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        out.push_str(&rest[..start + 2]);
        match (name.starts_with('!'), map(name)) {
            (false, Some(replacement)) => out.push_str(&replacement),
            _ => out.push_str(name),
        }
        out.push('}');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The parameter standing for `(id, attribute)` in a stack that does not
/// hold `id`: the id, or the id and attribute without dots.
fn parameter_name(id: &str, att: Option<&str>) -> String {
    match att {
        None => id.to_owned(),
        Some(att) => format!("{id}{}", att.replace('.', "")),
    }
}

/// Strongly connected components of `edges` (unit -> units it refers to),
/// as a component number per unit. Iterative Tarjan.
fn components(edges: &[BTreeSet<usize>]) -> Vec<usize> {
    let n = edges.len();
    const UNSEEN: usize = usize::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut comp = vec![UNSEEN; n];
    let mut next_index = 0;
    let mut next_comp = 0;
    let adjacency: Vec<Vec<usize>> = edges.iter().map(|e| e.iter().copied().collect()).collect();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // (node, next edge to look at)
        let mut work = vec![(root, 0)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut edge)) = work.last_mut() {
            if let Some(&w) = adjacency[v].get(*edge) {
                *edge += 1;
                if index[w] == UNSEEN {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = next_comp;
                    if w == v {
                        break;
                    }
                }
                next_comp += 1;
            }
        }
    }
    comp
}

/// A reference a resource makes: the id, the attribute, and the declared
/// resource (unit) that made the id, if one did.
type Reference<'a> = (&'a str, Option<&'a str>, Option<usize>);

/// One group of units that always share a stack.
struct Group {
    layer: (u8, &'static str),
    first_unit: usize,
    /// Its resources, by position in id order.
    resources: Vec<usize>,
    outputs: Vec<String>,
    /// Groups this one refers to.
    deps: BTreeSet<usize>,
}

/// Splits `template`, whose resources were made by the declared resources
/// `owners` names (logical id -> index in `platform.resources`). Each nested
/// stack is wired, checked for references it does not define, and
/// serialized on one thread, side by side with the others: each pass over
/// its template reads what the previous one left in that core's cache.
pub(crate) fn split(
    stack: &str,
    platform: &Platform,
    mut template: Template,
    owners: &IdMap<String, usize>,
    tags: Value,
) -> Result<(Template, Vec<NestedStack>), SynthError> {
    let limit = |what: String| SynthError::Limit {
        stack: stack.to_owned(),
        what,
    };
    let units = platform.resources.len();
    let unit_of = |id: &str| owners.get(id).copied();

    // Resource references, once: each resource's on its own, side by
    // side. A resource is its position in id order from here on.
    let resources: Vec<(&String, &Resource)> = template.resources.iter().collect();
    let found = super::par_chunks(&resources, |&(id, r)| {
        let mut out: Vec<Reference<'_>> = Vec::new();
        r.properties
            .values()
            .for_each(|v| v.visit_references(&mut |to, att| out.push((to, att, unit_of(to)))));
        let from = unit_of(id).expect("every resource has an owner");
        let targets: Vec<usize> = out
            .iter()
            .map(|&(.., unit)| unit)
            .chain(r.depends_on.iter().map(|d| unit_of(d)))
            .flatten()
            .filter(|&to| to != from)
            .collect();
        (from, out, targets)
    });
    let mut refs: Vec<Vec<Reference<'_>>> = Vec::with_capacity(resources.len());
    let mut owner_units: Vec<usize> = Vec::with_capacity(resources.len());
    let mut edges = vec![BTreeSet::new(); units];
    for (from, out, targets) in found {
        edges[from].extend(targets);
        refs.push(out);
        owner_units.push(from);
    }

    // Units in loops share a group; groups form a DAG.
    let comp = components(&edges);
    let count = comp.iter().copied().max().map_or(0, |m| m + 1);
    let mut groups: Vec<Group> = (0..count)
        .map(|_| Group {
            layer: (u8::MAX, ""),
            first_unit: usize::MAX,
            resources: Vec::new(),
            outputs: Vec::new(),
            deps: BTreeSet::new(),
        })
        .collect();
    for (unit, &c) in comp.iter().enumerate() {
        let g = &mut groups[c];
        g.layer = g.layer.min(layer(platform.resources[unit].spec.kind()));
        g.first_unit = g.first_unit.min(unit);
        g.deps.extend(edges[unit].iter().map(|&to| comp[to]));
    }
    for (c, g) in groups.iter_mut().enumerate() {
        g.deps.remove(&c);
    }
    for (position, &unit) in owner_units.iter().enumerate() {
        groups[comp[unit]].resources.push(position);
    }
    // Each output goes with the first resource it refers to.
    for (name, output) in &template.outputs {
        let mut out = Vec::new();
        output.value.references(&mut out);
        let owner = out
            .iter()
            .find_map(|(id, _)| unit_of(id))
            .ok_or_else(|| limit(format!("output `{name}` refers to no resource")))?;
        groups[comp[owner]].outputs.push(name.clone());
    }

    // What comes first: dependencies, then layer, then declaration order.
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut waiting: Vec<usize> = vec![0; count];
    for (c, g) in groups.iter().enumerate() {
        waiting[c] = g.deps.len();
        for &d in &g.deps {
            dependents[d].push(c);
        }
    }
    let key = |c: usize| std::cmp::Reverse((groups[c].layer.0, groups[c].first_unit, c));
    let mut ready: BinaryHeap<_> = (0..count).filter(|&c| waiting[c] == 0).map(key).collect();
    let mut order = Vec::with_capacity(count);
    while let Some(std::cmp::Reverse((_, _, c))) = ready.pop() {
        order.push(c);
        for &d in &dependents[c] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.push(key(d));
            }
        }
    }
    assert_eq!(order.len(), count, "groups form no cycle");

    // Pack with a budget; shrink it until every stack fits.
    let outside = outside_references(&groups, &refs, &comp);
    let mut budget = FIRST_BUDGET;
    let plan = loop {
        let plan = pack(&groups, &order, &outside, budget)?;
        let too_big = plan.iter().any(|chunk| {
            chunk.parameters.len() > limits::MAX_PARAMETERS
                || chunk.outputs.len() + chunk.own_outputs > limits::MAX_OUTPUTS
                || chunk.resources > limits::MAX_RESOURCES
        });
        if !too_big {
            break plan;
        }
        if budget.resources <= 1 {
            return Err(limit(
                "cannot be split into nested stacks within CloudFormation's limits".into(),
            ));
        }
        budget = Budget {
            resources: budget.resources * 3 / 5,
            outputs: budget.outputs * 3 / 5,
            parameters: budget.parameters * 3 / 5,
        };
    };

    // Build each nested template, moving resources out of the whole.
    let mut chunk_of_group: Vec<usize> = vec![usize::MAX; groups.len()];
    for (i, chunk) in plan.iter().enumerate() {
        for &g in &chunk.groups {
            chunk_of_group[g] = i;
        }
    }
    let chunk_of = |id: &str| unit_of(id).map(|u| chunk_of_group[comp[u]]);
    let names = chunk_names(&plan, &groups);
    let parent_parameters = std::mem::take(&mut template.parameters);
    let mut parent = Template {
        description: format!(
            "{} (split into {} nested stacks)",
            template.description,
            plan.len()
        ),
        parameters: parent_parameters.clone(),
        ..Template::default()
    };
    parent
        .parameters
        .entry(ASSET_BUCKET_PARAMETER.into())
        .or_insert_with(|| Parameter {
            param_type: "AWS::SSM::Parameter::Value<String>".into(),
            default: Some(ASSET_BUCKET_SSM_NAME.into()),
            description:
                "Bucket holding code assets and nested templates; recorded in SSM by `tp bootstrap`"
                    .into(),
        });
    // Each stack's resources and outputs leave the whole in order; then
    // the stacks are wired side by side, each on its own share.
    // Resources go in one pass, in id order; every group is in a stack.
    let mut shares: Vec<Share> = plan
        .iter()
        .map(|chunk| {
            let mut outputs = Vec::new();
            for &g in &chunk.groups {
                for name in &groups[g].outputs {
                    let o = template.outputs.remove(name).expect("each output once");
                    outputs.push((name.clone(), o));
                }
            }
            (Vec::new(), outputs)
        })
        .collect();
    for (id, r) in std::mem::take(&mut template.resources) {
        let c = chunk_of(&id).expect("every resource has an owner");
        shares[c].0.push((id, r));
    }
    // The outputs each stack gives others: what each parameter of another
    // stack reads, in stack order, so the first reader names it.
    let mut reads: Vec<Vec<(&String, &Ref, usize)>> = vec![Vec::new(); plan.len()];
    for (i, chunk) in plan.iter().enumerate() {
        for (name, source) in &chunk.parameters {
            let c = chunk_of(&source.0).expect("a resource of another stack");
            reads[c].push((name, source, i));
        }
    }
    let whole = &template;
    let wired = super::par_map_owned(shares, |i, (resources, outputs)| {
        let chunk = &plan[i];
        let map = |id: &str, att: Option<&str>| -> Option<String> {
            match chunk_of(id) {
                Some(c) if c == i => None,
                Some(_) => Some(parameter_name(id, att)),
                None if parent_parameters.contains_key(id) => Some(id.to_owned()),
                None => None,
            }
        };
        let mut t = Template {
            description: format!(
                "{}: nested stack {} ({})",
                whole.description, names[i], chunk.layer
            ),
            ..Template::default()
        };
        // The platform's outputs that land in this stack.
        let mut own_outputs: Vec<String> = Vec::new();
        // Stacks this one must wait for without reading their outputs.
        let mut stack_deps: BTreeSet<usize> = BTreeSet::new();
        for (id, mut r) in resources {
            r.properties.values_mut().for_each(|v| rewrite(v, &map));
            r.depends_on.retain(|d| match chunk_of(d) {
                Some(c) if c != i => {
                    stack_deps.insert(c);
                    false
                }
                _ => true,
            });
            if let Some(c) = &r.condition
                && !t.conditions.contains_key(c)
            {
                let mut condition =
                    whole.conditions.get(c).cloned().ok_or_else(|| {
                        limit(format!("resource `{id}` names no condition `{c}`"))
                    })?;
                rewrite(&mut condition, &map);
                t.conditions.insert(c.clone(), condition);
            }
            t.resources.insert(id, r);
        }
        for (name, mut output) in outputs {
            rewrite(&mut output.value, &map);
            if let Some(export) = &mut output.export {
                rewrite(export, &map);
            }
            own_outputs.push(name.clone());
            t.outputs.insert(name, output);
        }
        own_outputs.sort();
        // Parameters: the parent's, and the other stacks' outputs.
        let mut passed = crate::template::Map::new();
        let mut used: Vec<&str> = Vec::new();
        for r in t.resources.values() {
            r.properties
                .values()
                .for_each(|v| v.visit_references(&mut |id, _| used.push(id)));
        }
        for v in t.conditions.values() {
            v.visit_references(&mut |id, _| used.push(id));
        }
        for o in t.outputs.values() {
            o.value.visit_references(&mut |id, _| used.push(id));
            if let Some(e) = &o.export {
                e.visit_references(&mut |id, _| used.push(id));
            }
        }
        for name in used {
            if t.resources.contains_key(name) || passed.contains_key(name) {
                continue;
            }
            let name = name.to_owned();
            if name == ROOT_STACK_NAME_PARAMETER {
                passed.insert(name, Value::Pseudo(Pseudo::StackName));
            } else if parent_parameters.contains_key(&name) {
                passed.insert(name.clone(), Value::Ref(name));
            } else if let Some(source) = chunk.parameters.get(&name) {
                let c = chunk_of(&source.0).expect("a resource of another stack");
                passed.insert(
                    name.clone(),
                    Value::get_att(&names[c], &format!("Outputs.{name}")),
                );
            }
        }
        for name in passed.keys() {
            let description = match parent_parameters.get(name) {
                Some(p) => p.description.clone(),
                None if name == ROOT_STACK_NAME_PARAMETER => {
                    "Name of the parent stack, which names exports".into()
                }
                None => format!("{name}, from another nested stack"),
            };
            if t.resources.contains_key(name) {
                return Err(SynthError::DuplicateId(name.clone()));
            }
            t.parameters.insert(
                name.clone(),
                Parameter {
                    param_type: "String".into(),
                    default: None,
                    description,
                },
            );
        }
        // Outputs that other stacks read.
        for &(name, (id, att), reader) in &reads[i] {
            let value = match att {
                None => Value::Ref(id.clone()),
                Some(att) => Value::get_att(id, att),
            };
            // A platform output of the same value serves as well.
            match t.outputs.get(name) {
                Some(existing) if existing.value == value => continue,
                Some(_) => return Err(SynthError::DuplicateId(name.clone())),
                None => {}
            }
            t.outputs.insert(
                name.clone(),
                Output {
                    value,
                    description: format!("{name}, for nested stack {}", names[reader]),
                    export: None,
                },
            );
        }
        // Checked and serialized here, while this thread has just read
        // the whole template.
        let dangling = t.dangling_references();
        let body = t.to_string_pretty();
        let sha256 = assets::sha256_hex(body.as_bytes());
        Ok(Wired {
            template: t,
            passed,
            stack_deps,
            own_outputs,
            dangling,
            body,
            sha256,
        })
    });
    let mut nested = Vec::with_capacity(plan.len());
    for stack in wired {
        nested.push(stack?);
    }
    for (i, w) in nested.iter().enumerate() {
        check(&names[i], &w.template, &w.body)
            .map_err(|what| limit(format!("nested stack {what}")))?;
    }
    let dangling: Vec<(String, String)> = nested
        .iter_mut()
        .flat_map(|w| std::mem::take(&mut w.dangling))
        .collect();
    if !dangling.is_empty() {
        return Err(SynthError::Dangling(dangling));
    }
    let mut stacks = Vec::with_capacity(nested.len());
    for (i, w) in nested.into_iter().enumerate() {
        let Wired {
            template: t,
            passed,
            stack_deps: deps,
            own_outputs: outputs,
            body,
            sha256,
            ..
        } = w;
        let mut resource = Resource::new("AWS::CloudFormation::Stack")
            .prop(
                "TemplateURL",
                Value::sub(format!(
                    "https://${{{ASSET_BUCKET_PARAMETER}}}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}/templates/{sha256}.json"
                )),
            )
            .prop("Tags", tags.clone());
        if !passed.is_empty() {
            resource = resource.prop("Parameters", Value::Map(passed));
        }
        // `DependsOn` only where no `Fn::GetAtt` of an output orders the
        // stacks already.
        for d in deps {
            let read = resource.properties.get("Parameters").is_some_and(|p| {
                let mut refs = Vec::new();
                p.references(&mut refs);
                refs.iter().any(|(id, _)| *id == names[d])
            });
            if !read {
                resource = resource.depends_on(&names[d]);
            }
        }
        parent
            .add(&names[i], resource)
            .map_err(|e| SynthError::DuplicateId(e.0))?;
        stacks.push(NestedStack {
            logical_id: names[i].clone(),
            template: t,
            body,
            sha256,
            outputs,
        });
    }
    Ok((parent, stacks))
}

/// Whether a nested template is within every limit; else what it breaks.
fn check(name: &str, t: &Template, body: &str) -> Result<(), String> {
    let counts = [
        ("resources", t.resources.len(), limits::MAX_RESOURCES),
        ("outputs", t.outputs.len(), limits::MAX_OUTPUTS),
        ("parameters", t.parameters.len(), limits::MAX_PARAMETERS),
        ("bytes", body.len(), limits::MAX_S3_BODY),
    ];
    for (what, count, max) in counts {
        if count > max {
            return Err(format!(
                "`{name}` has {count} {what}; CloudFormation accepts at most {max}"
            ));
        }
    }
    Ok(())
}

/// One nested stack once wired, checked and serialized.
struct Wired {
    template: Template,
    /// The parent's value for each of its parameters.
    passed: crate::template::Map,
    /// Stacks it must wait for without reading their outputs.
    stack_deps: BTreeSet<usize>,
    /// The platform's outputs it holds, sorted.
    own_outputs: Vec<String>,
    /// What it refers to and does not define.
    dangling: Vec<(String, String)>,
    body: String,
    sha256: String,
}

/// The resources and outputs one nested stack takes from the whole, by id.
type Share = (Vec<(String, Resource)>, Vec<(String, Output)>);

/// One nested stack's share, as packed.
struct Chunk {
    layer: &'static str,
    groups: Vec<usize>,
    resources: usize,
    own_outputs: usize,
    /// Parameter name -> the (id, attribute) of another stack it stands for.
    parameters: BTreeMap<String, Ref>,
    /// Outputs other stacks read from this one.
    outputs: BTreeSet<String>,
}

/// What one group refers to outside itself: the group holding the target,
/// the parameter that would stand for it, the id and the attribute. One
/// entry per parameter name, in name order.
type Outside<'a> = Vec<(usize, String, &'a str, Option<&'a str>)>;

/// Each group's references outside itself, computed once for every budget
/// the packing tries.
fn outside_references<'a>(
    groups: &[Group],
    refs: &[Vec<Reference<'a>>],
    comp: &[usize],
) -> Vec<Outside<'a>> {
    let all: Vec<(usize, &Group)> = groups.iter().enumerate().collect();
    super::par_chunks(&all, |&(g, group)| {
        let mut out: Outside<'a> = Vec::new();
        for &position in &group.resources {
            for &(to, att, unit) in &refs[position] {
                let Some(unit) = unit else {
                    continue;
                };
                if comp[unit] != g {
                    out.push((comp[unit], parameter_name(to, att), to, att));
                }
            }
        }
        // The last reference of a name stands for it, as in a map
        // that the references are inserted into in turn.
        out.sort_by(|a, b| a.1.cmp(&b.1));
        out.dedup_by(|later, first| {
            later.1 == first.1 && {
                std::mem::swap(later, first);
                true
            }
        });
        out
    })
}

fn pack(
    groups: &[Group],
    order: &[usize],
    outside: &[Outside<'_>],
    budget: Budget,
) -> Result<Vec<Chunk>, SynthError> {
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut chunk_of_group: Vec<usize> = vec![usize::MAX; groups.len()];
    for &g in order {
        let group = &groups[g];
        // The references this group makes to stacks other than `chunk`.
        let placed = &chunk_of_group;
        let external = |chunk: usize| {
            outside[g]
                .iter()
                .filter(move |(to_group, ..)| placed[*to_group] != chunk)
        };
        let fits = chunks.last().is_some_and(|c| {
            let i = chunks.len() - 1;
            let new_params = external(i)
                .filter(|(_, name, ..)| !c.parameters.contains_key(name))
                .count();
            c.layer == group.layer.1
                && c.resources + group.resources.len() <= budget.resources
                && c.own_outputs + group.outputs.len() <= budget.outputs
                && c.parameters.len() + new_params <= budget.parameters
        });
        if !fits {
            chunks.push(Chunk {
                layer: group.layer.1,
                groups: Vec::new(),
                resources: 0,
                own_outputs: 0,
                parameters: BTreeMap::new(),
                outputs: BTreeSet::new(),
            });
        }
        let i = chunks.len() - 1;
        let params: Vec<_> = external(i).collect();
        for (to_group, name, ..) in &params {
            chunks[chunk_of_group[*to_group]]
                .outputs
                .insert(name.clone());
        }
        let c = &mut chunks[i];
        c.groups.push(g);
        c.resources += group.resources.len();
        c.own_outputs += group.outputs.len();
        for (_, name, id, att) in params {
            c.parameters
                .insert(name.clone(), ((*id).to_owned(), att.map(str::to_owned)));
        }
        chunk_of_group[g] = i;
    }
    Ok(chunks)
}

/// `{Layer}Stack{n}`, numbered within each layer.
fn chunk_names(plan: &[Chunk], _groups: &[Group]) -> Vec<String> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    plan.iter()
        .map(|c| {
            let n = seen.entry(c.layer).or_default();
            *n += 1;
            format!("{}Stack{n}", c.layer)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_find_loops_and_leave_the_rest_alone() {
        // 0 -> 1 -> 2 -> 1, 3 -> 0
        let edges = vec![
            BTreeSet::from([1]),
            BTreeSet::from([2]),
            BTreeSet::from([1]),
            BTreeSet::from([0]),
        ];
        let c = components(&edges);
        assert_eq!(c[1], c[2]);
        assert_ne!(c[0], c[1]);
        assert_ne!(c[3], c[0]);
        assert_ne!(c[3], c[1]);
    }

    #[test]
    fn sub_references_are_rewritten_but_literals_and_variables_are_not() {
        let mut vars = crate::template::Map::new();
        vars.insert("Local".to_owned(), Value::reference("Far"));
        let mut v = Value::Sub(
            "${Far.Arn}/${Near}/${!Far}/${Local}/${AWS::Region}/${AWS::StackName}".into(),
            vars,
        );
        rewrite(&mut v, &|id, att| {
            (id == "Far").then(|| parameter_name(id, att))
        });
        let Value::Sub(s, vars) = v else {
            unreachable!()
        };
        assert_eq!(
            s,
            "${FarArn}/${Near}/${!Far}/${Local}/${AWS::Region}/${RootStackName}"
        );
        assert_eq!(vars["Local"], Value::reference("Far"));
    }
}
