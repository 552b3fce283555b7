//! Database users and deploy steps: which functions connect to an aurora
//! cluster as which PostgreSQL role, and the functions `tp deploy` runs
//! after the stacks are complete (`run: after_deploy`).

use platform_core::catalog::Kind;
use platform_core::naming;
use platform_core::spec::DbPrivileges;
use syn::Ident;

use crate::ast::{Body, FunctionBody, ResourceBlock, db_privileges};
use crate::ctxt::Ctxt;
use crate::model::{Model, Slot};
use crate::rules::Rule;

pub fn check(model: &Model, cx: &Ctxt) {
    check_names(model, cx);
    check_owners(model, cx);
    check_connections(model, cx);
    check_rotation(model, cx);
    check_after_deploy(model, cx);
}

/// The level a db_user declares, when it declares a valid one.
fn privileges(user: &ResourceBlock) -> Option<DbPrivileges> {
    match &user.body {
        Body::DbUser(body) => body
            .privileges
            .as_ref()
            .and_then(|word| db_privileges(&word.to_string())),
        _ => None,
    }
}

fn cluster(user: &ResourceBlock) -> Option<&Ident> {
    match &user.body {
        Body::DbUser(body) => body.cluster.as_ref(),
        _ => None,
    }
}

fn after_deploy(function: &FunctionBody) -> bool {
    function.run.is_some()
}

/// `db-user-name`: the declared name is the PostgreSQL role's name, so it
/// must be one PostgreSQL keeps as written and RDS lets a user create. The
/// charset is `name-charset`'s; this adds the length and reserved names.
fn check_names(model: &Model, cx: &Ctxt) {
    for user in model
        .resources
        .iter()
        .filter(|r| r.info.kind == Kind::DbUser)
    {
        let name = user.name.to_string();
        if naming::check_purpose(&name).is_err() {
            continue; // `name-charset` reports it.
        }
        if let Some(problem) = naming::db_user_name_problem(&name) {
            cx.error(
                Rule::DbUserName,
                &user.name,
                format!(
                    "db_user `{name}` cannot be a PostgreSQL role name: {problem}; choose another name, like `{}`",
                    suggestion(&name)
                ),
            );
        }
    }
}

/// A valid role name close to `name`: truncated to PostgreSQL's limit when
/// too long, with `app_` before a reserved one.
fn suggestion(name: &str) -> String {
    let mut fixed = if name.len() > naming::POSTGRES_IDENTIFIER_MAX {
        name.to_owned()
    } else {
        format!("app_{name}")
    };
    fixed.truncate(naming::POSTGRES_IDENTIFIER_MAX);
    fixed.trim_end_matches('_').to_owned()
}

/// `db-user-role`: a cluster's schema has one owner, and only a deploy step
/// runs DDL: the owner's and the master user's credentials are for `run:
/// after_deploy` functions, so a request handler cannot alter the schema.
fn check_owners(model: &Model, cx: &Ctxt) {
    let users: Vec<&ResourceBlock> = model
        .resources
        .iter()
        .copied()
        .filter(|r| r.info.kind == Kind::DbUser)
        .collect();
    for (index, user) in users.iter().enumerate() {
        if privileges(user) != Some(DbPrivileges::Owner) {
            continue;
        }
        let Some(cluster) = cluster(user) else {
            continue;
        };
        if let Some(first) = users[..index]
            .iter()
            .find(|u| privileges(u) == Some(DbPrivileges::Owner) && cluster_of(u) == Some(cluster))
        {
            cx.error(
                Rule::DbUserRole,
                &user.name,
                format!(
                    "db_user `{}` is a second `owner` of aurora `{cluster}`, after `{}`; a schema has one owner: give this one `privileges: dml` or `read_only`",
                    user.name, first.name
                ),
            );
        }
    }
    for reference in &model.references {
        let Slot::Grant { levels } = reference.slot else {
            continue;
        };
        let Some(Body::Function(function)) = model.resource(reference.from).map(|r| &r.body) else {
            continue;
        };
        if after_deploy(function) {
            continue;
        }
        let Some(target) = model.resource(reference.target) else {
            continue;
        };
        for level in levels {
            let level_name = level.to_string();
            let message = match target.info.kind {
                Kind::DbUser
                    if level_name == "connect"
                        && privileges(target) == Some(DbPrivileges::Owner) =>
                {
                    format!(
                        "function `{}` connects as `{}`, the owner of aurora `{}`'s schema, which runs DDL; only a `run: after_deploy` function (the migration) may: add `run: after_deploy` to it, or grant `connect` on a `dml` or `read_only` db_user instead",
                        reference.from,
                        target.name,
                        cluster(target).map(Ident::to_string).unwrap_or_default()
                    )
                }
                Kind::Aurora if level_name == "read_secret" && has_users(&users, &target.name) => {
                    let example = users
                        .iter()
                        .find(|u| {
                            cluster_of(u) == Some(&target.name)
                                && privileges(u) != Some(DbPrivileges::Owner)
                        })
                        .map_or_else(|| "<db_user>".to_owned(), |u| u.name.to_string());
                    format!(
                        "function `{}` reads the master user's secret of aurora `{}`, which declares database users: the master user (rds_superuser) is for the `run: after_deploy` migration only; grant `{example}: connect` instead",
                        reference.from, target.name
                    )
                }
                _ => continue,
            };
            cx.error(Rule::DbUserRole, level, message);
        }
    }
}

fn cluster_of<'a>(user: &&'a ResourceBlock) -> Option<&'a Ident> {
    cluster(user)
}

fn has_users(users: &[&ResourceBlock], aurora: &Ident) -> bool {
    users.iter().any(|u| cluster(u) == Some(aurora))
}

/// `db-user-network`: the cluster admits PostgreSQL only from the
/// functions' security group of its own network (its isolated subnets have
/// no other route), so a function that connects as a database user runs in
/// that network.
fn check_connections(model: &Model, cx: &Ctxt) {
    for reference in &model.references {
        let Slot::Grant { levels } = reference.slot else {
            continue;
        };
        let Some(level) = levels.iter().find(|l| *l == "connect" || *l == "rotate") else {
            continue;
        };
        let Some(user) = model.resource(reference.target) else {
            continue;
        };
        if user.info.kind != Kind::DbUser {
            continue;
        }
        let Some(Body::Function(function)) = model.resource(reference.from).map(|r| &r.body) else {
            continue;
        };
        let Some(cluster_name) = cluster(user) else {
            continue;
        };
        let Some(Body::Aurora(aurora)) = model.resource(cluster_name).map(|r| &r.body) else {
            continue;
        };
        let Some(network) = &aurora.network else {
            continue;
        };
        let wrong = match &function.network {
            Some(n) if n == network => continue,
            Some(n) => format!("runs in network `{n}`"),
            None => "runs outside any network".to_owned(),
        };
        cx.error(
            Rule::DbUserNetwork,
            level,
            format!(
                "function `{}` connects as `{}` to aurora `{cluster_name}`, but {wrong}; the cluster admits PostgreSQL only from network `{network}`: add `network: {network}` to the function",
                reference.from, user.name
            ),
        );
    }
}

/// The most days between two rotations AWS accepts
/// (`RotationRules.AutomaticallyAfterDays`).
const ROTATION_MAX_DAYS_AWS: u32 = 1000;
/// The most days a database password lives: PCI DSS 8.3.9 asks for a
/// change at least every 90 days.
const ROTATION_MAX_DAYS: u32 = 90;

/// `db-user-rotation`: a password that rotates does so every 1 to 90 days
/// (AWS takes 1 to 1000; PCI DSS 8.3.9 asks for 90 at most), by exactly
/// one function, the one granted `rotate` on the user: Secrets Manager
/// invokes one rotation function per secret. A `rotate` grant on a user
/// without `rotation:` would be a grant nothing uses. A rotation function
/// is invoked by Secrets Manager alone: no trigger, rule or route.
fn check_rotation(model: &Model, cx: &Ctxt) {
    // (user, the function that rotates it)
    let mut rotators: Vec<(&Ident, &Ident)> = Vec::new();
    for reference in &model.references {
        let Slot::Grant { levels } = reference.slot else {
            continue;
        };
        let Some(level) = levels.iter().find(|l| *l == "rotate") else {
            continue;
        };
        let Some(user) = model.resource(reference.target) else {
            continue;
        };
        let Body::DbUser(body) = &user.body else {
            continue;
        };
        if body.rotation.is_none() {
            cx.error(
                Rule::DbUserRotation,
                level,
                format!(
                    "function `{}` is granted `rotate` on db_user `{}`, which declares no `rotation:`; nothing would invoke it: add `rotation: 30d` to the db_user, or remove the grant",
                    reference.from, user.name
                ),
            );
            continue;
        }
        if let Some((_, first)) = rotators.iter().find(|(u, _)| *u == &user.name) {
            cx.error(
                Rule::DbUserRotation,
                level,
                format!(
                    "db_user `{}` is rotated by `{first}` already; Secrets Manager invokes one rotation function per secret: remove `{}: rotate` from function `{}`",
                    user.name, user.name, reference.from
                ),
            );
            continue;
        }
        rotators.push((&user.name, reference.from));
    }
    // Only Secrets Manager invokes a rotation function: it holds the
    // passwords of the users it rotates (the owner's too), so nothing on the
    // request path may run it.
    for reference in &model.references {
        let how = match reference.slot {
            Slot::RuleTarget => format!("rule `{}`'s target", reference.from),
            Slot::Route { .. } => format!("behind a route of api `{}`", reference.from),
            _ => continue,
        };
        if let Some((user, _)) = rotators.iter().find(|(_, f)| *f == reference.target) {
            cx.error(
                Rule::DbUserRotation,
                reference.target,
                format!(
                    "function `{}` rotates db_user `{user}`'s password, so only Secrets Manager invokes it; it cannot also be {how}: point {} at another function",
                    reference.target,
                    reference.slot.written(reference.target)
                ),
            );
        }
    }
    for resource in &model.resources {
        let Body::Function(function) = &resource.body else {
            continue;
        };
        let Some(trigger) = &function.trigger else {
            continue;
        };
        if let Some((user, _)) = rotators.iter().find(|(_, f)| *f == &resource.name) {
            cx.error(
                Rule::DbUserRotation,
                &trigger.queue,
                format!(
                    "function `{}` rotates db_user `{user}`'s password, so only Secrets Manager invokes it; it cannot also be triggered by queue `{}`: move the queue's work to another function",
                    resource.name, trigger.queue
                ),
            );
        }
    }
    for user in &model.resources {
        let Body::DbUser(body) = &user.body else {
            continue;
        };
        let Some(rotation) = &body.rotation else {
            continue;
        };
        for days in rotation.values() {
            let problem = if days.value == 0 || days.value > ROTATION_MAX_DAYS_AWS {
                "Secrets Manager rotates every 1d to 1000d"
            } else if days.value > ROTATION_MAX_DAYS {
                "a database password changes at least every 90d (PCI DSS 8.3.9)"
            } else {
                continue;
            };
            cx.error(
                Rule::DbUserRotation,
                &days.lit,
                format!(
                    "db_user `{}` rotates every `{}`, out of range: {problem}; rotate at most every `{ROTATION_MAX_DAYS}d`, like `rotation: 30d`",
                    user.name, days.lit
                ),
            );
        }
        if !rotators.iter().any(|(u, _)| *u == &user.name) {
            cx.error(
                Rule::DbUserRotation,
                &user.name,
                format!(
                    "db_user `{}` declares `rotation:` but no function rotates it; grant `{}: rotate` to the rotation function (in the cluster's network)",
                    user.name, user.name
                ),
            );
        }
    }
}

/// `run-after-deploy`: a deploy step is invoked by `tp deploy` alone, once
/// per deploy with the deploy's payload. A trigger, a rule or an api route
/// would also run it on the request path, with events it does not expect,
/// concurrently with itself and before a deploy has finished: a migration
/// must not run there.
fn check_after_deploy(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Function(function) = &resource.body else {
            continue;
        };
        let Some(run) = &function.run else {
            continue;
        };
        if let Some(trigger) = &function.trigger {
            cx.error(
                Rule::RunAfterDeploy,
                &trigger.queue,
                format!(
                    "function `{}` has `run: {run}`, so `tp deploy` invokes it once per deploy; it cannot also be triggered by queue `{}`: remove the trigger, or move the queue's work to another function",
                    resource.name, trigger.queue
                ),
            );
        }
    }
    for reference in &model.references {
        let Some(Body::Function(function)) = model.resource(reference.target).map(|r| &r.body)
        else {
            continue;
        };
        let Some(run) = &function.run else {
            continue;
        };
        let how = match reference.slot {
            Slot::RuleTarget => format!("rule `{}`'s target", reference.from),
            Slot::Route { .. } => format!("behind a route of api `{}`", reference.from),
            _ => continue,
        };
        cx.error(
            Rule::RunAfterDeploy,
            reference.target,
            format!(
                "function `{}` has `run: {run}`, so `tp deploy` invokes it once per deploy; it cannot also be {how}: point {} at another function",
                reference.target,
                reference.slot.written(reference.target)
            ),
        );
    }
}
