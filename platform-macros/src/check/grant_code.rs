//! Grants checked against the handler's code: every AWS SDK command the
//! code sends needs an action its grants allow, on the resource its
//! environment names (`grant-code`), and every grant must allow something
//! the code sends (`grant-unused`). A grant narrower than the code
//! compiles otherwise and fails each request with AccessDenied; a wider
//! one gives the function more than it needs.

use std::collections::BTreeSet;

use platform_core::catalog::Kind;
use syn::{Ident, LitStr};

use crate::ast::{Body, FunctionBody, RawResource, ResourceBlock, Value};
use crate::ctxt::Ctxt;
use crate::handler_code::{self, Code, Use};
use crate::model::{Model, defaults};
use crate::rules::Rule;

/// Actions no SDK command sends: the code does not show their use, so a
/// grant of only these is never reported unused (`rds-db:connect` is the
/// database's IAM authentication, made by the driver).
const NOT_SENT: &[&str] = &["rds-db:"];

pub fn check(model: &Model, cx: &Ctxt) {
    let mut cache = handler_code::Cache::new();
    for resource in &model.resources {
        let Body::Function(function) = &resource.body else {
            continue;
        };
        let Some(code) = read(model, function, &mut cache) else {
            continue;
        };
        for file in &code.files {
            cx.track(model.manifest_dir.join(file));
        }
        super::exclude::imports(cx, function, &code);
        for (file, message) in &code.errors {
            let problem = format!(
                "`{}`'s handler file {file} does not parse as JavaScript ({message}), so its grants cannot be checked against the SDK calls it makes; fix the file",
                resource.name
            );
            match &function.code {
                Some(code) => cx.error(Rule::GrantCode, code, problem),
                None => cx.error(Rule::GrantCode, &resource.name, problem),
            }
        }
        check_function(model, cx, resource, function, &code);
    }
}

/// The function's code, when its directory and handler file exist (a
/// missing one is another rule's error).
fn read(model: &Model, function: &FunctionBody, cache: &mut handler_code::Cache) -> Option<Code> {
    let dir = function.code.as_ref()?.value();
    if !model.manifest_dir.join(&dir).is_dir() {
        return None;
    }
    let handler = function
        .handler
        .as_ref()
        .map_or_else(|| defaults::FUNCTION_HANDLER.to_owned(), LitStr::value);
    let base = handler
        .rsplit_once('.')
        .map_or(handler.as_str(), |(f, _)| f);
    let entry = [format!("{base}.mjs"), format!("{base}.js")]
        .into_iter()
        .find(|f| model.manifest_dir.join(&dir).join(f).is_file())?;
    let include: Vec<(String, String)> = function
        .include
        .iter()
        .flat_map(|i| &i.entries)
        .map(|(prefix, dir)| (prefix.value(), dir.value()))
        .collect();
    Some(handler_code::read(
        &model.manifest_dir,
        &dir,
        &include,
        &entry,
        cache,
    ))
}

/// The declared resource each environment variable names.
fn env_target<'a>(function: &'a FunctionBody, var: &str) -> Option<&'a Ident> {
    function.env.iter().find_map(|(name, value)| match value {
        Value::Attr(attr) if name == var => Some(&attr.resource),
        _ => None,
    })
}

fn env_entry<'a>(function: &'a FunctionBody, var: &str) -> Option<&'a Ident> {
    function
        .env
        .iter()
        .find(|(name, _)| name == var)
        .map(|(name, _)| name)
}

/// The resources a use acts on: those its request names through an
/// environment variable, of a kind the action's service acts on (a
/// message that quotes a queue's URL does not act on the queue); empty
/// when none does.
fn targets<'a>(model: &Model, function: &'a FunctionBody, u: &Use) -> Vec<&'a Ident> {
    let service = u.action.split(':').next().unwrap_or_default();
    u.env
        .iter()
        .filter_map(|var| env_target(function, var))
        .filter(|target| {
            model
                .resource(target)
                .is_some_and(|r| r.info.iam_services.contains(&service))
        })
        .collect()
}

/// Whether `target: level` allows `action`.
fn allows(model: &Model, target: &Ident, level: &Ident, action: &str) -> bool {
    model
        .resource(target)
        .and_then(|r| r.info.access(&level.to_string()))
        .is_some_and(|a| a.actions.contains(&action))
}

/// Actions the function holds without a grant of their own: its raw
/// statements, `metrics:`, and what synthesis adds on `"*"` beside a
/// grant (a rotation's `GetRandomPassword`, `synth::iam`).
fn held_otherwise(
    model: &Model,
    function: &FunctionBody,
    action: &str,
    target: Option<&Ident>,
) -> bool {
    if action == "cloudwatch:PutMetricData" && function.metrics.is_some() {
        return true;
    }
    if action == "secretsmanager:GetRandomPassword"
        && function.grants.iter().any(|(target, levels)| {
            model
                .resource(target)
                .is_some_and(|r| r.info.kind == Kind::DbUser)
                && levels.0.iter().any(|l| l == "rotate")
        })
    {
        return true;
    }
    function
        .statements
        .iter()
        .flat_map(|list| &list.items)
        .any(|statement| {
            let scoped = match (&statement.resource, target) {
                (RawResource::Declared(on), Some(target)) => on == target,
                _ => true,
            };
            scoped && statement.actions.iter().any(|a| a.value() == action)
        })
}

fn check_function(
    model: &Model,
    cx: &Ctxt,
    resource: &ResourceBlock,
    function: &FunctionBody,
    code: &Code,
) {
    let name = &resource.name;
    // grant-code: every use allowed.
    let mut reported = BTreeSet::new();
    type Key = (String, String, String);
    let mut missing: Vec<(Key, &Ident, Vec<String>)> = Vec::new();
    for u in &code.uses {
        let on = targets(model, function, u);
        let site = format!("`{}` at {}:{}", u.command, u.file, u.line);
        if on.is_empty() {
            let granted = function.grants.iter().any(|(target, levels)| {
                levels.0.iter().any(|l| allows(model, target, l, &u.action))
            });
            if granted || held_otherwise(model, function, &u.action, None) {
                continue;
            }
            if !reported.insert((u.action.clone(), String::new())) {
                continue;
            }
            cx.error(
                Rule::GrantCode,
                name,
                format!(
                    "`{name}`'s code sends {site}, which needs `{}`, and no grant of `{name}` allows it; grant the resource it acts on an access level with `{}`, or add `statements: [allow \"{}\" on RESOURCE]`",
                    u.action, u.action, u.action
                ),
            );
            continue;
        }
        for target in on {
            let grant = function.grants.iter().find(|(t, _)| t == target);
            let granted = grant
                .is_some_and(|(t, levels)| levels.0.iter().any(|l| allows(model, t, l, &u.action)));
            if granted || held_otherwise(model, function, &u.action, Some(target)) {
                continue;
            }
            if !reported.insert((u.action.clone(), target.to_string())) {
                continue;
            }
            let var = u
                .env
                .iter()
                .find(|v| env_target(function, v) == Some(target))
                .cloned()
                .unwrap_or_default();
            let key = (target.to_string(), site.clone(), var);
            match missing.iter_mut().find(|(k, _, _)| *k == key) {
                Some((_, _, actions)) => actions.push(u.action.clone()),
                None => missing.push((key, target, vec![u.action.clone()])),
            }
        }
    }
    // One error per call site and resource, with every action it lacks.
    let mut narrowed: BTreeSet<String> = BTreeSet::new();
    for ((_, site, var), target, actions) in &missing {
        narrowed.insert(target.to_string());
        let needs = actions
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(" and ");
        let levels = model
            .resource(target)
            .map(|r| {
                r.info
                    .access
                    .iter()
                    .filter(|a| actions.iter().all(|x| a.actions.contains(&x.as_str())))
                    .map(|a| format!("`{}`", a.name))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let fix = if levels.is_empty() {
            format!(
                "no access level of `{target}` has it: add `statements: [allow [{}] on {target}]`",
                actions
                    .iter()
                    .map(|a| format!("\"{a}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            format!("grant `{target}` {}", levels.join(" or "))
        };
        match function.grants.iter().find(|(t, _)| t == *target) {
            Some((_, written)) => {
                let levels_written = written
                    .0
                    .iter()
                    .map(Ident::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                cx.error(
                    Rule::GrantCode,
                    written.0.first().unwrap_or(target),
                    format!(
                        "`{name}`'s code sends {site} on `{target}` (through `{var}`), which needs {needs}, and `{target}: {levels_written}` does not allow it: every such call fails with AccessDenied; {fix}"
                    ),
                );
            }
            None => cx.error(
                Rule::GrantCode,
                env_entry(function, var).unwrap_or(name),
                format!(
                    "`{name}`'s code sends {site} on `{target}` (through `{var}`), which needs {needs}, and `{name}` has no grant on `{target}`; {fix}"
                ),
            ),
        }
    }
    // grant-unused: every grant allows something the code sends, once the
    // code uses the SDK at all.
    if !code.uses_sdk {
        return;
    }
    for (target, levels) in &function.grants {
        // A grant the code outgrew is reported as that, not also as unused.
        if narrowed.contains(&target.to_string()) {
            continue;
        }
        for level in &levels.0 {
            let Some(access) = model
                .resource(target)
                .and_then(|r| r.info.access(&level.to_string()))
            else {
                continue;
            };
            if access
                .actions
                .iter()
                .all(|a| NOT_SENT.iter().any(|p| a.starts_with(p)))
            {
                continue;
            }
            let used = code.uses.iter().any(|u| {
                access.actions.contains(&u.action.as_str()) && {
                    let on = targets(model, function, u);
                    on.is_empty() || on.contains(&target)
                }
            });
            if used {
                continue;
            }
            let files = code.files.join(", ");
            cx.error(
                Rule::GrantUnused,
                level,
                format!(
                    "`{name}`'s code sends no request that `{target}: {level}` allows ({}), in {files}: the grant gives the function access it does not use; remove it, or use it in the code",
                    access.actions.join(", ")
                ),
            );
        }
    }
}
