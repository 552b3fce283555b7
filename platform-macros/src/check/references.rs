//! Reference rules: every name points at a declared resource of the right
//! kind, attributes and metrics exist, names are unique, per-profile values
//! cover the declared profiles.

use platform_core::catalog::Kind;
use syn::Ident;

use super::{duplicates, report_duplicate};
use crate::ast::{Body, PerProfile};
use crate::ctxt::Ctxt;
use crate::model::{Model, Slot};
use crate::rules::Rule;
use crate::suggest;

pub fn check(model: &Model, cx: &Ctxt) {
    check_unknown_references(model, cx);
    check_reference_kinds(model, cx);
    check_attributes(model, cx);
    check_metrics(model, cx);
    check_duplicate_resources(model, cx);
    check_duplicate_entries(model, cx);
    check_duplicate_block_entries(model, cx);
    check_profile_values(model, cx);
    check_cycles(model, cx);
}

/// `ref-cycle`: references never form a cycle (`a` refers to `b`, which
/// refers back to `a`, or a resource to itself). Each reference becomes a
/// `Ref`, `Fn::GetAtt` or `Fn::Sub` in the template, and CloudFormation
/// rejects a template whose resources depend on each other in a circle
/// ("Circular dependency between resources") before creating anything.
/// Each cycle is reported once, on the first reference of it in declaration
/// order, with the whole path.
pub(crate) fn check_cycles(model: &Model, cx: &Ctxt) {
    // Edges between declared resources, first reference of each pair only.
    let mut edges: Vec<(String, String, &crate::model::Reference)> = Vec::new();
    for reference in &model.references {
        if model.resource(reference.target).is_none() {
            continue;
        }
        // A bucket logging to itself is `bucket-access-logs`' to explain.
        if matches!(reference.slot, Slot::AccessLogs) && reference.from == reference.target {
            continue;
        }
        let edge = (reference.from.to_string(), reference.target.to_string());
        match edges
            .iter_mut()
            .find(|(f, t, _)| (f, t) == (&edge.0, &edge.1))
        {
            // Point at a value the function reads (`trading.url`) rather
            // than a grant when both make the edge.
            Some(existing) if existing.2.attr.is_none() && reference.attr.is_some() => {
                existing.2 = reference;
            }
            Some(_) => {}
            None => edges.push((edge.0, edge.1, reference)),
        }
    }
    let mut in_reported: Vec<String> = Vec::new();
    for (from, to, reference) in &edges {
        if in_reported.contains(from) && in_reported.contains(to) {
            continue;
        }
        let Some(back) = path(&edges, to, from) else {
            continue;
        };
        let mut cycle = vec![from.clone()];
        cycle.extend(back);
        let shown: Vec<String> = cycle.iter().map(|n| format!("`{n}`")).collect();
        let message = if cycle.len() == 2 {
            format!(
                "`{from}` refers to itself through {}; CloudFormation rejects a resource that depends on itself: drop the reference",
                reference.slot.written(reference.target)
            )
        } else {
            format!(
                "{} refer to each other in a cycle ({}), which CloudFormation rejects as a circular dependency; drop one of the references (pass the value at run time instead, for example through a parameter the function reads)",
                suggest::list(&cycle[..cycle.len() - 1]),
                shown.join(" -> ")
            )
        };
        cx.error(Rule::RefCycle, reference.target, message);
        in_reported.extend(cycle);
    }
}

/// The nodes of a shortest path from `start` to `goal` along `edges`, both
/// included (`[start]` when they are the same).
fn path(
    edges: &[(String, String, &crate::model::Reference)],
    start: &str,
    goal: &str,
) -> Option<Vec<String>> {
    let mut previous: Vec<(String, String)> = Vec::new();
    let mut queue = std::collections::VecDeque::from([start.to_owned()]);
    let mut visited = vec![start.to_owned()];
    while let Some(node) = queue.pop_front() {
        if node == goal {
            let mut out = vec![node.clone()];
            let mut at = node;
            while at != start {
                at = previous
                    .iter()
                    .find(|(n, _)| *n == at)
                    .expect("visited")
                    .1
                    .clone();
                out.push(at.clone());
            }
            out.reverse();
            return Some(out);
        }
        for (from, to, _) in edges {
            if *from == node && !visited.contains(to) {
                visited.push(to.clone());
                previous.push((to.clone(), node.clone()));
                queue.push_back(to.clone());
            }
        }
    }
    None
}

/// "a key", "a function or a log_group": the kinds a slot accepts.
fn one_of(kinds: &[Kind]) -> String {
    let names: Vec<String> = kinds
        .iter()
        .map(|kind| suggest::a(kind.info().keyword))
        .collect();
    names.join(" or ")
}

/// "keys", "functions and log_groups": how messages name several resources
/// of some kinds (any kind when empty).
fn plural(kinds: &[Kind]) -> String {
    if kinds.is_empty() {
        return "resources".to_owned();
    }
    let names: Vec<String> = kinds
        .iter()
        .map(|kind| format!("{}s", kind.info().keyword))
        .collect();
    names.join(" and ")
}

/// The tail of a message about `name` where a resource of `kinds` (or any
/// kind) is expected: the closest declared name, the declared names when
/// few, or that none of the kinds is declared.
fn declared_hint(model: &Model, name: &Ident, kinds: &[Kind]) -> String {
    let names = model.names(kinds);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    if !kinds.is_empty() && names.is_empty() {
        let kinds: Vec<&str> = kinds.iter().map(|kind| kind.info().keyword).collect();
        return format!("; no {} is declared", kinds.join(" or "));
    }
    suggest::hint(
        &name.to_string(),
        &names,
        &format!("declared {} are", plural(kinds)),
    )
}

/// `ref-unknown`: every name that refers to a resource (`key:`,
/// `dead_letter:`, `trigger:`, `env`, `grants`, `value:`, `network:`, route
/// targets, `notify:`, `targets:`, `bus:`, `api:`, `access_logs:`, metrics)
/// is declared somewhere in the platform. A dangling name would otherwise
/// surface as an invalid `Ref` at deploy time.
fn check_unknown_references(model: &Model, cx: &Ctxt) {
    for reference in &model.references {
        if model.resource(reference.target).is_some() {
            continue;
        }
        // Most likely the duplicate was meant to declare this name;
        // `ref-duplicate` says so, once, instead of one error per use
        // suggesting the duplicated name itself.
        if duplicate_meant_as(model, reference.target).is_some() {
            continue;
        }
        let hint = declared_hint(model, reference.target, reference.slot.required_kinds());
        cx.error(
            Rule::RefUnknown,
            reference.target,
            format!("unknown resource `{}`{hint}", reference.target),
        );
    }
}

/// `ref-kind`: a slot that needs a particular kind names one: `key:` a key;
/// `dead_letter:` and `trigger:` a queue; `network:` a network; a route a
/// function; `notify:` a topic; a rule's `targets:` functions or log groups;
/// `bus:` a bus; a health check's `api:` an api; `access_logs:` a bucket.
/// (`env`, `value:`, `grants` and metrics accept every kind.) Anything else
/// would synthesize an invalid property.
fn check_reference_kinds(model: &Model, cx: &Ctxt) {
    for reference in &model.references {
        let kinds = reference.slot.required_kinds();
        let Some(target) = model.resource(reference.target) else {
            continue;
        };
        if kinds.is_empty() || kinds.contains(&target.info.kind) {
            continue;
        }
        let hint = declared_hint(model, reference.target, kinds);
        cx.error(
            Rule::RefKind,
            reference.target,
            format!(
                "{} needs {}, but `{}` is {}{hint}",
                reference.slot.written(reference.target),
                one_of(kinds),
                reference.target,
                suggest::a(target.info.keyword),
            ),
        );
    }
}

/// `ref-attribute`: `resource.attribute` names an attribute the catalog
/// lists for the resource's kind (`sessions.name`, not `sessions.url`), so
/// that it synthesizes to a `Ref` or `Fn::GetAtt` CloudFormation accepts.
fn check_attributes(model: &Model, cx: &Ctxt) {
    for reference in &model.references {
        let (Some(attr), Some(target)) = (reference.attr, model.resource(reference.target)) else {
            continue;
        };
        let name = attr.attribute.to_string();
        if target.info.attribute(&name).is_some() {
            continue;
        }
        let hint = suggest::hint(&name, &target.info.attribute_names(), "it has");
        cx.error(
            Rule::RefAttribute,
            &attr.attribute,
            format!(
                "{} `{}` has no attribute `{name}`{hint}",
                target.info.keyword, target.name
            ),
        );
    }
}

/// `ref-metric`: `resource.metric` names a metric the catalog lists for the
/// resource's kind (`trade_api.errors`, `trades.cpu`), so that the alarm or
/// widget watches a metric CloudWatch publishes; and a metric CloudWatch
/// publishes only in us-east-1 (Route 53's) needs that region declared, or
/// nothing would ever watch it.
fn check_metrics(model: &Model, cx: &Ctxt) {
    for reference in &model.references {
        let (Slot::Metric { metric }, Some(target)) =
            (reference.slot, model.resource(reference.target))
        else {
            continue;
        };
        let name = metric.to_string();
        let Some(info) = target.info.metric(&name) else {
            let metrics = target.info.metric_names();
            let hint = if metrics.is_empty() {
                format!("; {}s publish no metrics", target.info.keyword)
            } else {
                suggest::hint(&name, &metrics, "it has")
            };
            cx.error(
                Rule::RefMetric,
                metric,
                format!(
                    "{} `{}` has no metric `{name}`{hint}",
                    target.info.keyword, target.name
                ),
            );
            continue;
        };
        if info.us_east_1_only
            && model.platform().is_some_and(|p| p.regions.is_some())
            && !model.region_codes().contains(&"us-east-1")
        {
            cx.error(
                Rule::RefMetric,
                metric,
                format!(
                    "`{}.{name}` is published only in us-east-1, which the platform does not declare; add `us_east_1` to `regions`",
                    target.name
                ),
            );
        }
    }
}

/// `ref-duplicate`: resource names are unique across all kinds, because each
/// becomes a logical id and part of physical names, and references could not
/// tell two `sessions` apart.
fn check_duplicate_resources(model: &Model, cx: &Ctxt) {
    for (first, second) in duplicates(model.resources.iter().map(|r| &r.name)) {
        let first_kind = model.resource(first).map_or("resource", |r| r.info.keyword);
        let meant: Vec<String> = undeclared_targets(model)
            .into_iter()
            .filter(|target| {
                duplicate_meant_as(model, target).as_deref() == Some(&second.to_string())
            })
            .map(|target| target.to_string())
            .collect();
        let fix = match meant.as_slice() {
            [] => "so rename one".to_owned(),
            [name] => format!(
                "`{name}` is used but never declared: if this block declares it, rename it `{name}`"
            ),
            names => format!(
                "{} are used but never declared: if this block declares one of them, rename it",
                suggest::list(names)
            ),
        };
        report_duplicate(
            cx,
            first,
            second,
            format!(
                "duplicate name `{second}`: a {first_kind} is already called `{second}`; names are unique across all kinds, {fix}"
            ),
        );
    }
}

/// The names referenced but not declared, each once, in order of first use.
fn undeclared_targets<'a>(model: &Model<'a>) -> Vec<&'a Ident> {
    let mut targets: Vec<&Ident> = Vec::new();
    for reference in &model.references {
        if model.resource(reference.target).is_none() && !targets.contains(&reference.target) {
            targets.push(reference.target);
        }
    }
    targets
}

/// The name declared twice that the undeclared `target` is closest to: a
/// block copied and not renamed (`queue trade_orders` twice, the second
/// meant as `trade_orders_dlq`) leaves its uses unknown, and they are not
/// reported one by one.
fn duplicate_meant_as(model: &Model, target: &Ident) -> Option<String> {
    let duplicated: Vec<String> = duplicates(model.resources.iter().map(|r| &r.name))
        .into_iter()
        .map(|(_, second)| second.to_string())
        .collect();
    // Only when no other declared name is closer: a typo of another name
    // is `ref-unknown`'s to report.
    let names = model.names(&[]);
    suggest::closest(&target.to_string(), names.iter().map(String::as_str))
        .filter(|closest| duplicated.iter().any(|d| d == closest))
        .map(str::to_owned)
}

/// `ref-duplicate`: lists keyed by name give each name once: tags, regions,
/// profiles, a function's environment variables and grants, and the
/// profiles of a `profile(...)` value. A second entry would silently
/// override or contradict the first.
fn check_duplicate_entries(model: &Model, cx: &Ctxt) {
    if let Some(platform) = model.platform() {
        for (first, second) in duplicates(platform.tags.iter().map(|(key, _)| key)) {
            report_duplicate(
                cx,
                first,
                second,
                format!("duplicate tag `{second}`; give each tag once"),
            );
        }
        for (first, second) in duplicates(platform.regions.iter().flatten()) {
            report_duplicate(
                cx,
                first,
                second,
                format!("duplicate region `{second}`; list each region once"),
            );
        }
        for (first, second) in duplicates(platform.profiles.iter().flatten()) {
            report_duplicate(
                cx,
                first,
                second,
                format!("duplicate profile `{second}`; list each profile once"),
            );
        }
    }
    for resource in &model.resources {
        let Body::Function(function) = &resource.body else {
            continue;
        };
        for (first, second) in duplicates(function.env.iter().map(|(var, _)| var)) {
            report_duplicate(
                cx,
                first,
                second,
                format!(
                    "duplicate environment variable `{second}` in function `{}`; set each variable once",
                    resource.name
                ),
            );
        }
        for (first, second) in duplicates(function.grants.iter().map(|(target, _)| target)) {
            let levels = model
                .resource(second)
                .map(|target| target.info.access_names())
                .unwrap_or_default();
            let example = match levels.as_slice() {
                [a, b, ..] => format!("{a}, {b}"),
                _ => "..".to_owned(),
            };
            report_duplicate(
                cx,
                first,
                second,
                format!(
                    "duplicate grant on `{second}` in function `{}`; grant each resource once, listing every level it needs, like `{second}: [{example}]`",
                    resource.name
                ),
            );
        }
        for (target, levels) in &function.grants {
            for (first, second) in duplicates(&levels.0) {
                report_duplicate(
                    cx,
                    first,
                    second,
                    format!(
                        "duplicate access level `{second}` on `{target}`; give each level once"
                    ),
                );
            }
        }
    }
    for value in &model.per_profile {
        for (first, second) in duplicates(value.profiles.iter().copied()) {
            report_duplicate(
                cx,
                first,
                second,
                format!("duplicate value for profile `{second}`; give one value per profile"),
            );
        }
    }
}

/// `ref-duplicate`: the keyed lists of the network, api, rule and dashboard
/// blocks give each entry once: regions of a `region(...)` value,
/// endpoints, routes (a method and path), rule targets, dashboard metrics
/// and the members of an event pattern.
fn check_duplicate_block_entries(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let name = &resource.name;
        match &resource.body {
            Body::Network(network) => {
                let per_region = network.cidr.iter().flat_map(PerProfile::values);
                for (first, second) in per_region
                    .flat_map(|cidr| duplicates(cidr.values.iter().map(|(region, _)| region)))
                {
                    report_duplicate(
                        cx,
                        first,
                        second,
                        format!(
                            "duplicate region `{second}` in network `{name}`; give one CIDR per region"
                        ),
                    );
                }
                let endpoints = network.endpoints.iter().flat_map(|list| &list.items);
                for (first, second) in duplicates(endpoints) {
                    report_duplicate(
                        cx,
                        first,
                        second,
                        format!(
                            "duplicate endpoint `{second}` in network `{name}`; list each endpoint once"
                        ),
                    );
                }
            }
            Body::Api(api) => {
                let keys: Vec<RouteKey> = api
                    .routes()
                    .iter()
                    .map(|route| RouteKey {
                        method: route.method.to_string(),
                        path: route.path.value(),
                        span: &route.path,
                    })
                    .collect();
                for (first, second) in duplicates(&keys) {
                    report_duplicate(
                        cx,
                        first.span,
                        second.span,
                        format!(
                            "duplicate route `{} {:?}` in api `{name}`; each method and path goes to one function",
                            second.method, second.path
                        ),
                    );
                }
            }
            Body::Rule(rule) => {
                for (first, second) in duplicates(rule.targets()) {
                    report_duplicate(
                        cx,
                        first,
                        second,
                        format!(
                            "duplicate target `{second}` in rule `{name}`; list each target once"
                        ),
                    );
                }
                if let Some(pattern) = &rule.pattern {
                    check_duplicate_members(cx, pattern);
                }
            }
            Body::Dashboard(dashboard) => {
                let metrics = dashboard.metrics.iter().flat_map(|list| &list.items);
                for (first, second) in duplicates(metrics) {
                    report_duplicate(
                        cx,
                        first,
                        second,
                        format!(
                            "duplicate metric `{}.{}` in dashboard `{name}`; list each metric once",
                            second.resource, second.metric
                        ),
                    );
                }
            }
            _ => {}
        }
    }
}

/// A route's method and path, compared by value, pointed at by its path.
struct RouteKey<'a> {
    method: String,
    path: String,
    span: &'a syn::LitStr,
}

impl PartialEq for RouteKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.method == other.method && self.path == other.path
    }
}

/// Members of an inline JSON object, at every depth, are unique: JSON
/// readers keep only one of two equal keys.
fn check_duplicate_members(cx: &Ctxt, object: &crate::ast::JsonObject) {
    for (first, second) in duplicates(object.members.iter().map(|(key, _)| key)) {
        report_duplicate(
            cx,
            first,
            second,
            format!(
                "duplicate key `{}` in the event pattern; give each key once",
                second.text()
            ),
        );
    }
    for (_, value) in &object.members {
        visit_objects(value, &mut |object| check_duplicate_members(cx, object));
    }
}

/// Calls `f` on the outermost objects within `value`.
fn visit_objects<'a>(
    value: &'a crate::ast::JsonValue,
    f: &mut dyn FnMut(&'a crate::ast::JsonObject),
) {
    match value {
        crate::ast::JsonValue::Object(object) => f(object),
        crate::ast::JsonValue::Array(array) => {
            for item in &array.items {
                visit_objects(item, f);
            }
        }
        _ => {}
    }
}

/// `ref-profile`: the platform declares at least one profile, and every
/// `profile(...)` value names only declared profiles and covers all of them,
/// so that every profile deploys with a value someone chose.
fn check_profile_values(model: &Model, cx: &Ctxt) {
    let Some(platform) = model.platform() else {
        return;
    };
    let Some(declared) = &platform.profiles else {
        return;
    };
    if declared.is_empty() {
        cx.error(
            Rule::RefProfile,
            &platform.name,
            format!("platform `{}` declares no profiles; declare at least one, like `profiles: [dev, prod]`", platform.name),
        );
        return;
    }
    let declared = model.profiles();
    let declared: Vec<&str> = declared.iter().map(String::as_str).collect();
    for value in &model.per_profile {
        for profile in &value.profiles {
            let name = profile.to_string();
            if !declared.contains(&name.as_str()) {
                let hint = suggest::hint(&name, &declared, "declared profiles are");
                cx.error(
                    Rule::RefProfile,
                    profile,
                    format!("unknown profile `{name}`{hint}"),
                );
            }
        }
        let missing: Vec<&str> = declared
            .iter()
            .copied()
            .filter(|declared| !value.profiles.iter().any(|profile| profile == declared))
            .collect();
        if !missing.is_empty() {
            cx.error(
                Rule::RefProfile,
                value.keyword,
                format!(
                    "`profile(...)` has no value for {}; give a value for every declared profile: {}",
                    suggest::list(&missing),
                    suggest::list(&declared),
                ),
            );
        }
    }
}
