//! Every compile-time rule, one small function each, grouped by family. The
//! checks only report, into a [`Ctxt`]; none of them stops the others, so one
//! build shows every mistake. Expansion runs only when all of them pass.
//!
//! Rule ids (`ref-unknown`, ...) end every message and index `docs/rules.md`.

// Error spans are passed as `&token`: syn's tokens are `Copy` only when
// another crate in the build turns on syn's `clone-impls` (the workspace
// build does, through the AWS SDK's dependencies; trybuild's does not), and
// the borrow is needed for the build where they are not.
#![allow(clippy::needless_borrows_for_generic_args)]

mod accounts;
pub(crate) mod alerting;
mod api;
pub(crate) mod aurora_version;
mod backup;
mod buckets;
pub(crate) mod code;
mod concurrency;
mod db_users;
mod dns;
pub(crate) mod env;
pub(crate) mod env_secrets;
mod exclude;
pub(crate) mod generic;
mod grammar;
mod grant_code;
mod iam;
mod include;
mod landings;
mod logs;
mod naming;
mod network;
pub(crate) mod parameters;
mod pipeline;
mod policy;
mod queues;
mod references;
pub(crate) mod resolution;
mod route_auth;
pub(crate) mod ssm;
pub(crate) mod tags;
mod triggers;
mod values;

use quote::ToTokens;

#[cfg(test)]
pub(crate) use backup::backup_schedule_problem;
#[cfg(test)]
pub(crate) use queues::duration as queue_duration;
#[cfg(test)]
pub(crate) use values::schedule_problem;

use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

/// Runs every rule over the model.
pub fn check(model: &Model, cx: &Ctxt) {
    grammar::check(model, cx);
    references::check(model, cx);
    // A block that redeclares a name is reported above; checking it too
    // would only add errors its renaming changes.
    let model = &model.without_redeclared();
    naming::check(model, cx);
    tags::check(model, cx);
    iam::check(model, cx);
    grant_code::check(model, cx);
    network::check(model, cx);
    pipeline::check(model, cx);
    accounts::check(model, cx);
    api::check(model, cx);
    route_auth::check(model, cx);
    buckets::check(model, cx);
    env::check(model, cx);
    env_secrets::check(model, cx);
    include::check(model, cx);
    exclude::check(model, cx);
    code::check(model, cx);
    values::check(model, cx);
    aurora_version::check(model, cx);
    logs::check(model, cx);
    queues::check(model, cx);
    triggers::check(model, cx);
    concurrency::check(model, cx);
    db_users::check(model, cx);
    policy::check(model, cx);
    backup::check(model, cx);
    parameters::check(model, cx);
    ssm::check(model, cx);
    alerting::check(model, cx);
    resolution::check(model, cx);
    dns::check(model, cx);
    generic::check(model, cx);
    landings::check(model, cx);
}

/// The second and later occurrences of each name in `items`, each with the
/// first one.
fn duplicates<'a, T: PartialEq + 'a>(
    items: impl IntoIterator<Item = &'a T>,
) -> Vec<(&'a T, &'a T)> {
    let mut seen: Vec<&T> = Vec::new();
    let mut out = Vec::new();
    for item in items {
        match seen.iter().find(|first| **first == item) {
            Some(first) => out.push((*first, item)),
            None => seen.push(item),
        }
    }
    out
}

/// Reports `second` as a duplicate with `message`, and points at `first`.
fn report_duplicate(cx: &Ctxt, first: impl ToTokens, second: impl ToTokens, message: String) {
    // `trades . cpu` as the tokens print it, `trades.cpu` as written.
    let name = first.to_token_stream().to_string().replace(" . ", ".");
    cx.error(Rule::RefDuplicate, second, message);
    cx.error(
        Rule::RefDuplicate,
        first,
        format!("the first `{name}` is here"),
    );
}
