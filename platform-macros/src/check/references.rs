//! Reference rules: every name points at a declared resource of the right
//! kind, attributes exist, names are unique, per-profile values cover the
//! declared profiles.

use platform_core::catalog::Kind;
use syn::Ident;

use super::{duplicates, report_duplicate};
use crate::ast::Body;
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;
use crate::suggest;

pub fn check(model: &Model, cx: &Ctxt) {
    check_unknown_references(model, cx);
    check_reference_kinds(model, cx);
    check_attributes(model, cx);
    check_duplicate_resources(model, cx);
    check_duplicate_entries(model, cx);
    check_profile_values(model, cx);
}

/// "keys", "queues": how messages name several resources of a kind.
fn plural(kind: Option<Kind>) -> String {
    kind.map_or_else(
        || "resources".to_owned(),
        |kind| format!("{}s", kind.info().keyword),
    )
}

/// The tail of a message about `name` where a resource of `kind` (or any
/// kind) is expected: the closest declared name, the declared names when
/// few, or that none of the kind is declared.
fn declared_hint(model: &Model, name: &Ident, kind: Option<Kind>) -> String {
    let names = model.names(kind);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    match kind {
        Some(kind) if names.is_empty() => format!("; no {} is declared", kind.info().keyword),
        _ => suggest::hint(
            &name.to_string(),
            &names,
            &format!("declared {} are", plural(kind)),
        ),
    }
}

/// `ref-unknown`: every name in a `key:`, `dead_letter:`, `trigger:`, `env`,
/// `grants` or `value:` slot is declared somewhere in the platform. A
/// dangling name would otherwise surface as an invalid `Ref` at deploy time.
fn check_unknown_references(model: &Model, cx: &Ctxt) {
    for reference in &model.references {
        if model.resource(reference.target).is_some() {
            continue;
        }
        let hint = declared_hint(model, reference.target, reference.slot.required_kind());
        cx.error(
            Rule::RefUnknown,
            reference.target,
            format!("unknown resource `{}`{hint}", reference.target),
        );
    }
}

/// `ref-kind`: a slot that needs a particular kind names one: `key:` a key,
/// `dead_letter:` and `trigger:` a queue. (`env`, `value:` and `grants`
/// accept every kind.) Anything else would synthesize an invalid property.
fn check_reference_kinds(model: &Model, cx: &Ctxt) {
    for reference in &model.references {
        let (Some(kind), Some(target)) = (
            reference.slot.required_kind(),
            model.resource(reference.target),
        ) else {
            continue;
        };
        if target.info.kind == kind {
            continue;
        }
        let hint = declared_hint(model, reference.target, Some(kind));
        cx.error(
            Rule::RefKind,
            reference.target,
            format!(
                "`{}: {}` needs a {}, but `{}` is a {}{hint}",
                reference.slot.field(),
                reference.target,
                kind.info().keyword,
                reference.target,
                target.info.keyword,
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

/// `ref-duplicate`: resource names are unique across all kinds, because each
/// becomes a logical id and part of physical names, and references could not
/// tell two `sessions` apart.
fn check_duplicate_resources(model: &Model, cx: &Ctxt) {
    for (first, second) in duplicates(model.resources.iter().map(|r| &r.name)) {
        let first_kind = model.resource(first).map_or("resource", |r| r.info.keyword);
        report_duplicate(
            cx,
            first,
            second,
            format!(
                "duplicate name `{second}`: a {first_kind} is already called `{second}`; names are unique across all kinds, so rename one"
            ),
        );
    }
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
            report_duplicate(
                cx,
                first,
                second,
                format!(
                    "duplicate grant on `{second}` in function `{}`; grant each resource once, with the one access level it needs",
                    resource.name
                ),
            );
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
