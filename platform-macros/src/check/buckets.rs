//! Bucket rules: server access logs go to a bucket that can receive them,
//! and S3-managed encryption is kept for exactly those buckets.

use crate::ast::Body;
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

pub fn check(model: &Model, cx: &Ctxt) {
    check_access_log_targets(model, cx);
    check_s3_managed_receives_logs(model, cx);
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
