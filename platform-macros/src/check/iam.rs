//! IAM rules: grants name access levels that exist, a function is granted
//! access to whatever its environment points it at, and raw statements name
//! real actions, scoped to resources those actions act on.

use platform_core::catalog::KindInfo;
use platform_core::iam::{self, Action, ActionError};
use syn::LitStr;

use crate::ast::{Body, RawResource, RawStatement, Value};
use crate::ctxt::Ctxt;
use crate::model::{Model, Slot};
use crate::rules::Rule;
use crate::suggest;

pub fn check(model: &Model, cx: &Ctxt) {
    check_access_levels(model, cx);
    check_env_grants(model, cx);
    for resource in &model.resources {
        let Body::Function(function) = &resource.body else {
            continue;
        };
        for statement in function.statements.iter().flat_map(|list| &list.items) {
            check_statement(model, cx, statement);
        }
    }
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
/// cannot use, and fails with AccessDenied at run time. Network addresses
/// (`trades.endpoint`, `trades.port`, `trading.url`) need no grant: a TCP
/// connection or a request to a public route is not an IAM call, while the
/// credentials to use a database (`trades.secret_arn`) still take one.
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
                || function
                    .statements
                    .iter()
                    .flat_map(|list| &list.items)
                    .any(|s| matches!(&s.resource, RawResource::Declared(r) if r == name))
        };
        for (var, value) in &function.env {
            let Value::Attr(attr) = value else { continue };
            let Some(target) = model.resource(&attr.resource) else {
                continue;
            };
            if granted(&attr.resource)
                || target.info.is_network_address(&attr.attribute.to_string())
            {
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

/// The checks of one raw statement: each action exists (`iam-action`) and
/// is not a wildcard (`iam-wildcard`), and the resource is one the actions
/// act on (`iam-resource`), never `*` for an action that can be scoped
/// (`iam-resource-star`).
pub(crate) fn check_statement(model: &Model, cx: &Ctxt, statement: &RawStatement) {
    let actions: Vec<(&LitStr, Action)> = statement
        .actions
        .iter()
        .filter_map(|lit| check_action(cx, lit).map(|action| (lit, action)))
        .collect();
    match &statement.resource {
        RawResource::All(star) => {
            let scoped: Vec<String> = actions
                .iter()
                .filter(|(_, a)| a.supports_resource_level())
                .map(|(_, a)| format!("{}:{}", a.service, a.name))
                .collect();
            if scoped.is_empty() {
                return;
            }
            let types: Vec<String> = actions
                .iter()
                .flat_map(|(_, a)| {
                    a.resource_types
                        .iter()
                        .map(|t| format!("{} {t}", a.service))
                })
                .fold(Vec::new(), |mut acc, t| {
                    if !acc.contains(&t) {
                        acc.push(t);
                    }
                    acc
                });
            cx.error(
                Rule::IamResourceStar,
                star,
                format!(
                    "{} can be scoped to a resource ({}), so `on *` grants {} on every such resource in the account; name the resource (`on RESOURCE` or `on \"arn:...\"`), and keep `*` for actions IAM cannot scope",
                    suggest::list(&scoped),
                    types.join(", "),
                    if scoped.len() == 1 { "it" } else { "them" },
                ),
            );
        }
        RawResource::Declared(name) => {
            let Some(target) = model.resource(name) else {
                return;
            };
            for (lit, action) in &actions {
                if let Some(problem) = scope_problem(target.info, &name.to_string(), action) {
                    cx.error(Rule::IamResource, lit, problem);
                }
            }
        }
        RawResource::Arn(arn) => {
            let text = arn.value();
            let Some(service) = iam::arn_service(&text) else {
                cx.error(
                    Rule::IamResource,
                    arn,
                    format!(
                        "`{text}` is not an ARN; write `arn:${{AWS::Partition}}:SERVICE:${{AWS::Region}}:${{AWS::AccountId}}:...`, or name a declared resource"
                    ),
                );
                return;
            };
            for (lit, action) in &actions {
                let full = format!("{}:{}", action.service, action.name);
                if !action.supports_resource_level() {
                    cx.error(Rule::IamResource, lit, only_star(&full));
                    continue;
                }
                let services = iam::arn_services(action);
                if !services.contains(&service) {
                    cx.error(
                        Rule::IamResource,
                        lit,
                        format!(
                            "`{full}` acts on {} ARNs, but `{text}` is a {service} ARN; scope it to the resource it acts on",
                            suggest::list(&services)
                        ),
                    );
                }
            }
        }
    }
}

/// Looks up one action of a raw statement, reporting why it is not one.
fn check_action(cx: &Ctxt, lit: &LitStr) -> Option<Action> {
    let text = lit.value();
    if text.contains(['*', '?']) {
        let matches = iam::wildcard_matches(&text);
        let shown = match matches.len() {
            0 => "it matches no action the IAM tables know".to_owned(),
            1..=6 => format!("it matches {}", suggest::list(&matches)),
            n => format!(
                "it matches {n} actions, including {}",
                suggest::list(&matches[..4])
            ),
        };
        cx.error(
            Rule::IamWildcard,
            lit,
            format!(
                "`{text}` is a wildcard, which grants actions added to the service later too; {shown}: list the ones the function calls"
            ),
        );
        return None;
    }
    let problem = match iam::lookup(&text) {
        Ok(action) => return Some(action),
        Err(ActionError::Malformed) => format!(
            "`{text}` is not an IAM action; write `service:Action`, as in `dynamodb:GetItem`"
        ),
        Err(ActionError::UnknownService) => {
            let service = text.split(':').next().unwrap_or_default();
            match suggest::closest(service, iam::services().iter().copied()) {
                Some(best) => {
                    format!("unknown IAM service `{service}` in `{text}`; did you mean `{best}`?")
                }
                None => format!(
                    "unknown IAM service `{service}` in `{text}`; the IAM tables cover {}",
                    suggest::list(iam::services())
                ),
            }
        }
        Err(ActionError::UnknownAction) => {
            let (service, name) = text.split_once(':').unwrap_or_default();
            match suggest::closest(name, iam::actions_of(service)) {
                Some(best) => format!(
                    "`{text}` is not an action of {service}; did you mean `{service}:{best}`?"
                ),
                None => format!(
                    "`{text}` is not an action of {service}; see the service authorization reference for {service}'s actions"
                ),
            }
        }
        Err(ActionError::WrongCase(name)) => {
            let service = text.split(':').next().unwrap_or_default();
            format!(
                "`{text}` is spelled `{service}:{name}` in IAM's tables; did you mean `{service}:{name}`?"
            )
        }
    };
    cx.error(Rule::IamAction, lit, problem);
    None
}

/// Why `action` cannot be granted on the declared resource `name` of kind
/// `info`, if it cannot.
pub(crate) fn scope_problem(info: &KindInfo, name: &str, action: &Action) -> Option<String> {
    let full = format!("{}:{}", action.service, action.name);
    if !action.supports_resource_level() {
        return Some(only_star(&full));
    }
    if !iam::scopes(info, action).is_empty() {
        return None;
    }
    let is = |resources: &[platform_core::catalog::IamResource]| {
        let types: Vec<String> = resources
            .iter()
            .map(|r| format!("{} {}", r.service, r.resource_type))
            .collect();
        if types.is_empty() {
            "no IAM resource type".to_owned()
        } else {
            types.join(" or ")
        }
    };
    let acts_on: Vec<String> = action
        .resource_types
        .iter()
        .map(|t| format!("{} {t}", action.service))
        .collect();
    let kind = suggest::a(info.keyword);
    let owns = info
        .iam_resources
        .iter()
        .any(|r| r.service == action.service);
    Some(if owns {
        format!(
            "`{full}` acts on {}, and `{name}` ({kind}) is {}; use an action on what `{name}` is, or scope this one to what it acts on",
            acts_on.join(" or "),
            is(info.iam_resources)
        )
    } else {
        format!(
            "`{full}` is a {} action, but `{name}` is {kind} ({}); {} does not own it: grant a {} action, or name a resource {} acts on",
            action.service,
            is(info.iam_resources),
            action.service,
            info.iam_resources
                .first()
                .map_or(info.keyword, |r| r.service),
            action.service,
        )
    })
}

fn only_star(action: &str) -> String {
    format!(
        "`{action}` has no resource-level permissions: IAM accepts only `*` for it, so scoped to a resource it would never apply; write `allow \"{action}\" on *`"
    )
}
