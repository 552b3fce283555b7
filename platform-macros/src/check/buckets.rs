//! Bucket rules: server access logs go to a bucket that can receive them,
//! S3-managed encryption is kept for exactly those buckets, and archived
//! records are kept long enough in production.

use crate::ast::{Body, PerProfile};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

pub fn check(model: &Model, cx: &Ctxt) {
    check_access_log_targets(model, cx);
    check_s3_managed_receives_logs(model, cx);
    check_archive_retention(model, cx);
    check_archive_writers(model, cx);
}

/// `archive-append`: a function writes an archived bucket's records with
/// `append` (conditional writes only), never `write` or `read_write`, which
/// may delete or overwrite a record before the archive holds it.
fn check_archive_writers(model: &Model, cx: &Ctxt) {
    let archived = |name: &syn::Ident| {
        matches!(
            model.resource(name).map(|r| &r.body),
            Some(Body::Bucket(b)) if b.archive.is_some()
        )
    };
    for resource in &model.resources {
        let Body::Function(function) = &resource.body else {
            continue;
        };
        for (target, levels) in &function.grants {
            if !archived(target) {
                continue;
            }
            for level in levels
                .0
                .iter()
                .filter(|l| *l == "write" || *l == "read_write")
            {
                cx.error(
                    Rule::ArchiveAppend,
                    level,
                    format!(
                        "function `{}` may delete and overwrite the records of `{target}`, which is archived; grant `{target}: append` (add objects with If-None-Match: *, never delete or overwrite), with `read` too if it reads them",
                        resource.name
                    ),
                );
            }
        }
    }
}

/// The least archive retention in production, in days: seven years.
/// SEC 17a-4(f) and FINRA 4511 keep trading records six years, the first
/// two at hand; a seventh covers the year a record was made in and the
/// time an audit takes.
pub const PRODUCTION_ARCHIVE_DAYS: u32 = 2557;

/// `archive-retention`: in every production profile, an archived bucket's
/// `archive:` keeps its records at least [`PRODUCTION_ARCHIVE_DAYS`].
fn check_archive_retention(model: &Model, cx: &Ctxt) {
    let production = super::accounts::production(model);
    for resource in &model.resources {
        let Body::Bucket(bucket) = &resource.body else {
            continue;
        };
        let Some(archive) = &bucket.archive else {
            continue;
        };
        for profile in &production {
            let days = match archive {
                PerProfile::Same(days) => Some(days),
                PerProfile::ByProfile { values, .. } => {
                    values.iter().find(|(p, _)| p == *profile).map(|(_, d)| d)
                }
            };
            let Some(days) = days else {
                continue;
            };
            if days.value >= PRODUCTION_ARCHIVE_DAYS {
                continue;
            }
            cx.error(
                Rule::ArchiveRetention,
                &days.lit,
                format!(
                    "`archive: {}` keeps the records of bucket `{}` {} days in production (`{profile}`); production archives keep records at least {PRODUCTION_ARCHIVE_DAYS} days, seven years (SEC 17a-4(f), FINRA 4511): write `archive: profile(.., {profile}: {PRODUCTION_ARCHIVE_DAYS}d)`",
                    days.lit, resource.name, days.value,
                ),
            );
        }
    }
}

/// `bucket-access-logs`: `access_logs:` names another bucket, one with
/// `encryption: s3_managed`: S3 delivers server access logs only to buckets
/// encrypted with S3-managed keys, and silently drops them otherwise; a
/// bucket logging to itself would log its own log writes forever.
fn check_access_log_targets(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Bucket(bucket) = &resource.body else {
            continue;
        };
        let Some(target_name) = &bucket.access_logs else {
            continue;
        };
        let Some(Body::Bucket(target)) = model.resource(target_name).map(|r| &r.body) else {
            continue;
        };
        if *target_name == resource.name {
            cx.error(
                Rule::BucketAccessLogs,
                target_name,
                format!(
                    "bucket `{target_name}` logs access to itself, which would log its own log deliveries; declare a separate bucket with `encryption: s3_managed` for access logs"
                ),
            );
        } else if target.s3_managed().is_none() {
            cx.error(
                Rule::BucketAccessLogs,
                target_name,
                format!(
                    "bucket `{}` logs access to `{target_name}`, which is encrypted with a key; S3 delivers server access logs only to buckets with S3-managed keys, so give `{target_name}` `encryption: s3_managed` instead of `key:`",
                    resource.name
                ),
            );
        }
    }
}

/// `bucket-access-logs`: `encryption: s3_managed` is only for buckets that
/// receive other buckets' access logs. Everything else is encrypted with one
/// of the platform's keys, whose use is logged and whose policy the
/// platform controls.
fn check_s3_managed_receives_logs(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Bucket(bucket) = &resource.body else {
            continue;
        };
        let Some(keyword) = bucket.s3_managed() else {
            continue;
        };
        let receives = model.resources.iter().any(|other| {
            matches!(&other.body, Body::Bucket(b) if b.access_logs.as_ref() == Some(&resource.name))
        });
        if !receives {
            cx.error(
                Rule::BucketAccessLogs,
                keyword,
                format!(
                    "bucket `{}` has `encryption: s3_managed` but no bucket sends it access logs; only access-log buckets use S3-managed keys, so encrypt it with a declared key (`key: ...`) or point another bucket's `access_logs:` at it",
                    resource.name
                ),
            );
        }
    }
}
