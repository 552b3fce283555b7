//! Log retention in production: what PCI DSS 10.7 asks of audit trails (a
//! year, the last three months at hand) holds for every log the platform
//! keeps.

use syn::Ident;

use crate::ast::{Body, Days, Expiry, PerProfile};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

/// The least retention, in days, of any log in production.
pub const PRODUCTION_LOG_DAYS: u32 = 365;

pub fn check(model: &Model, cx: &Ctxt) {
    let production = super::accounts::production(model);
    check_log_groups(model, cx, &production);
    check_access_log_buckets(model, cx, &production);
    check_pipeline_logs(model, cx);
}

/// The value `profile` gets, with the literal to point at; `None` when the
/// profile is not listed (`ref-profile` reports that).
fn in_profile<'v, T>(value: &'v PerProfile<T>, profile: &Ident) -> Option<&'v T> {
    match value {
        PerProfile::Same(value) => Some(value),
        PerProfile::ByProfile { values, .. } => {
            values.iter().find(|(p, _)| p == profile).map(|(_, v)| v)
        }
    }
}

/// `log-retention-prod`: in every production profile, every log group
/// (a function's `logs:`, a cluster's `logs:`, an api's `logs:`, a
/// network's `flow_logs:`, a log group's `retention:`) keeps its events at
/// least 365 days. Not given, they do (the default is `365d`); the profiles
/// before production may keep them for less.
fn check_log_groups(model: &Model, cx: &Ctxt, production: &[&Ident]) {
    for resource in &model.resources {
        let (field, retention) = match &resource.body {
            Body::Function(function) => ("logs", &function.logs),
            Body::Aurora(aurora) => ("logs", &aurora.logs),
            Body::Api(api) => ("logs", &api.logs),
            Body::Network(network) => ("flow_logs", &network.flow_logs),
            Body::LogGroup(log_group) => ("retention", &log_group.retention),
            _ => continue,
        };
        let Some(retention) = retention else {
            continue;
        };
        for profile in production {
            let Some(days) = in_profile(retention, profile) else {
                continue;
            };
            if days.value >= PRODUCTION_LOG_DAYS {
                continue;
            }
            cx.error(
                Rule::LogRetentionProd,
                &days.lit,
                format!(
                    "`{field}: {}` keeps the logs of {} `{}` {} days in production (`{profile}`); production keeps every log at least {PRODUCTION_LOG_DAYS} days (PCI DSS 10.7): write `{field}: profile(.., {profile}: {PRODUCTION_LOG_DAYS}d)`",
                    days.lit,
                    resource.info.keyword,
                    resource.name,
                    days.value,
                ),
            );
        }
    }
}

/// `log-retention-prod`: a bucket receiving server access logs (another
/// bucket's `access_logs:`) keeps them at least 365 days in production:
/// `expire:` is `never` or 365 days or more there.
fn check_access_log_buckets(model: &Model, cx: &Ctxt, production: &[&Ident]) {
    for resource in &model.resources {
        let Body::Bucket(bucket) = &resource.body else {
            continue;
        };
        let receives = model.resources.iter().any(|other| {
            matches!(&other.body, Body::Bucket(b) if b.access_logs.as_ref() == Some(&resource.name))
        });
        let (true, Some(expire)) = (receives, &bucket.expire) else {
            continue;
        };
        for profile in production {
            let Some(Expiry::After(days)) = in_profile(expire, profile) else {
                continue;
            };
            if days.value >= PRODUCTION_LOG_DAYS {
                continue;
            }
            cx.error(
                Rule::LogRetentionProd,
                &days.lit,
                format!(
                    "`expire: {}` deletes the server access logs bucket `{}` receives after {} days in production (`{profile}`); production keeps every log at least {PRODUCTION_LOG_DAYS} days (PCI DSS 10.7): write `expire: profile(.., {profile}: {PRODUCTION_LOG_DAYS}d)`",
                    days.lit, resource.name, days.value,
                ),
            );
        }
    }
}

/// `log-retention-prod`: the pipeline deploys production, so its build
/// logs (the record of every change made to production) are production
/// logs too.
fn check_pipeline_logs(model: &Model, cx: &Ctxt) {
    let Some(Days { lit, value }) = model.pipeline().and_then(|p| p.logs.as_ref()) else {
        return;
    };
    if *value < PRODUCTION_LOG_DAYS {
        cx.error(
            Rule::LogRetentionProd,
            lit,
            format!(
                "`logs: {lit}` keeps the pipeline's build logs, the record of every change to production, {value} days; production keeps every log at least {PRODUCTION_LOG_DAYS} days (PCI DSS 10.7): write `logs: {PRODUCTION_LOG_DAYS}d`"
            ),
        );
    }
}
