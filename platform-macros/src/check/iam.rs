//! IAM rules: grants name access levels that exist, and a function is
//! granted access to whatever its environment points it at.

use crate::ast::{Body, Value};
use crate::ctxt::Ctxt;
use crate::model::{Model, Slot};
use crate::rules::Rule;
use crate::suggest;

pub fn check(model: &Model, cx: &Ctxt) {
    check_access_levels(model, cx);
    check_env_grants(model, cx);
}

/// `iam-access`: a grant's access level is one the catalog defines for the
/// target's kind (a queue has `send`, `consume` and `monitor`, not
/// `read_write`), because each level expands to an exact list of actions
/// for that kind.
fn check_access_levels(model: &Model, cx: &Ctxt) {
    for reference in &model.references {
        let Slot::Grant { levels } = reference.slot else {
            continue;
        };
        let Some(target) = model.resource(reference.target) else {
            continue;
        };
        let names = target.info.access_names();
        if levels.is_empty() {
            cx.error(
                Rule::IamAccess,
                reference.target,
                format!(
                    "the grant on `{}` lists no access level; {}",
                    target.name,
                    levels_hint(target.info.keyword, &names)
                ),
            );
        }
        for access in levels {
            let level = access.to_string();
            if target.info.access(&level).is_some() {
                continue;
            }
            let hint = if names.is_empty() {
                format!("; {}", levels_hint(target.info.keyword, &names))
            } else {
                suggest::hint(&level, &names, "it has")
            };
            cx.error(
                Rule::IamAccess,
                access,
                format!(
                    "{} `{}` has no access level `{level}`{hint}",
                    target.info.keyword, target.name
                ),
            );
        }
    }
}

/// "a queue's levels are `send`, ...", or that the kind cannot be granted.
fn levels_hint(keyword: &str, names: &[&str]) -> String {
    if names.is_empty() {
        format!("nothing can be granted on {}", suggest::a(keyword))
    } else {
        format!(
            "{}'s levels are {}",
            suggest::a(keyword),
            suggest::list(names)
        )
    }
}

/// `iam-env-without-grant`: a function whose `env` exposes a resource
/// (`SESSIONS_TABLE: sessions.name`) has a grant on it, triggers on it
/// (which counts as `consume`) or sends failed events to it (its
/// `dead_letter:`, which counts as `send`). Otherwise the function is handed a name it
/// cannot use, and fails with AccessDenied at run time.
fn check_env_grants(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Function(function) = &resource.body else {
            continue;
        };
        let granted = |name: &syn::Ident| {
            function.grants.iter().any(|(target, _)| target == name)
                || function
                    .trigger
                    .as_ref()
                    .is_some_and(|trigger| trigger.queue == *name)
                || function.dead_letter.as_ref() == Some(name)
        };
        for (var, value) in &function.env {
            let Value::Attr(attr) = value else { continue };
            let Some(target) = model.resource(&attr.resource) else {
                continue;
            };
            if granted(&attr.resource) {
                continue;
            }
            cx.error(
                Rule::IamEnvWithoutGrant,
                &attr.resource,
                format!(
                    "function `{}` exposes `{}.{}` as `{var}` but has no grant on `{}`; add `{}: <level>` to `grants`, where {}'s levels are {}",
                    resource.name,
                    attr.resource,
                    attr.attribute,
                    attr.resource,
                    attr.resource,
                    suggest::a(target.info.keyword),
                    suggest::list(&target.info.access_names()),
                ),
            );
        }
    }
}
