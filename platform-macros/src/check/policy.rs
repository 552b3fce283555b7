//! Policy rules: the compliance rules the platform always meets. Data at
//! rest is encrypted with a rotated key (`policy-encryption`), tables keep
//! point-in-time recovery (`policy-pitr`), buckets are versioned, private
//! and TLS-only (`policy-bucket`), and everything can be torn down: no retain
//! policies, no deletion protection (`policy-removal`).
//!
//! The fields these rules reject are in the grammar only so that someone
//! trying to weaken a default is told what the platform does instead and
//! why; their secure values are accepted and change nothing.

use proc_macro2::Span;
use syn::spanned::Spanned;

use crate::ast::{AtRest, Body, Encryption, PerProfile, Removal, RemovalPolicy, ResourceBlock};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        check_encryption(cx, resource);
        check_pitr(cx, resource);
        check_bucket(cx, resource);
        check_removal(cx, resource);
    }
}

/// "table `sessions`", for messages.
fn what(resource: &ResourceBlock) -> String {
    format!("{} `{}`", resource.info.keyword, resource.name)
}

/// `policy-encryption`: data at rest is always encrypted with one of the
/// platform's keys, and keys rotate every year. `encryption: none` on a
/// table, queue, topic, bucket or log group and `rotation: off` on a key are
/// rejected.
fn check_encryption(cx: &Ctxt, resource: &ResourceBlock) {
    let none: Option<Span> = match &resource.body {
        Body::Table(table) => at_rest_none(&table.encryption),
        Body::Queue(queue) => at_rest_none(&queue.encryption),
        Body::Topic(topic) => at_rest_none(&topic.encryption),
        Body::LogGroup(log_group) => at_rest_none(&log_group.encryption),
        Body::Bucket(bucket) => match &bucket.encryption {
            Some(Encryption::None(keyword)) => Some(keyword.span),
            _ => None,
        },
        Body::Key(key) => {
            if let Some(off) = &key.rotation_off {
                cx.error(
                    Rule::PolicyEncryption,
                    off,
                    format!(
                        "`rotation: off` would never rotate {}; the platform rotates every key yearly (old data stays readable), so remove `rotation: off`",
                        what(resource)
                    ),
                );
            }
            None
        }
        _ => None,
    };
    let Some(span) = none else { return };
    let how = match &resource.body {
        Body::Bucket(_) => {
            "`key:` names the key that encrypts it (an access-log bucket uses `encryption: s3_managed`)"
        }
        _ => "`key:` names the key that encrypts it",
    };
    cx.error_at(
        Rule::PolicyEncryption,
        span,
        format!(
            "`encryption: none` would leave {} unencrypted at rest; the platform always encrypts data at rest with one of its keys, so remove `encryption: none`: {how}",
            what(resource)
        ),
    );
}

fn at_rest_none(encryption: &Option<AtRest>) -> Option<Span> {
    match encryption {
        Some(AtRest::None(keyword)) => Some(keyword.span),
        _ => None,
    }
}

/// `policy-pitr`: every table keeps point-in-time recovery, 35 days of
/// continuous backups, so a bad write can be undone.
fn check_pitr(cx: &Ctxt, resource: &ResourceBlock) {
    let Body::Table(table) = &resource.body else {
        return;
    };
    if let Some(pitr) = &table.pitr
        && !pitr.on
    {
        cx.error_at(
            Rule::PolicyPitr,
            pitr.span,
            format!(
                "`pitr: off` would turn off point-in-time recovery of {}; the platform keeps it on for every table, so that any second of the last 35 days can be restored; remove `pitr: off`",
                what(resource)
            ),
        );
    }
}

/// `policy-bucket`: every bucket is versioned, blocks all public access and
/// accepts only TLS requests.
fn check_bucket(cx: &Ctxt, resource: &ResourceBlock) {
    let Body::Bucket(bucket) = &resource.body else {
        return;
    };
    let what = what(resource);
    if let Some(versioning) = &bucket.versioning
        && !versioning.on
    {
        cx.error_at(
            Rule::PolicyBucket,
            versioning.span,
            format!(
                "`versioning: off` would make overwrites and deletes in {what} final; the platform versions every bucket and removes old versions after `noncurrent:` days, so remove `versioning: off` (lower `noncurrent:` to keep old versions for less time)"
            ),
        );
    }
    if let Some(public) = &bucket.public
        && public.value
    {
        cx.error(
            Rule::PolicyBucket,
            public,
            format!(
                "`public: true` would expose {what} to anyone; the platform blocks all public access to every bucket, so remove `public: true` and serve objects through an api route"
            ),
        );
    }
    if let Some(block) = &bucket.block_public_access
        && !block.on
    {
        cx.error_at(
            Rule::PolicyBucket,
            block.span,
            format!(
                "`block_public_access: off` would let a policy or ACL make {what} public; the platform blocks all public access to every bucket, so remove `block_public_access: off`"
            ),
        );
    }
    if let Some(tls_only) = &bucket.tls_only
        && !tls_only.on
    {
        cx.error_at(
            Rule::PolicyBucket,
            tls_only.span,
            format!(
                "`tls_only: off` would let {what} be read and written over plain HTTP; the platform's bucket policy denies every request without TLS, so remove `tls_only: off`"
            ),
        );
    }
}

/// `policy-removal`: everything the platform creates is deleted with its
/// stack, so a deployment can be torn down without leaving resources
/// behind: no `removal: retain`, no `deletion_protection: on`. Aurora keeps
/// its data with `removal: snapshot`, a final snapshot.
fn check_removal(cx: &Ctxt, resource: &ResourceBlock) {
    let what = what(resource);
    let retain_message = |hint: &str| {
        format!(
            "`removal: retain` would leave {what} behind when its stack is deleted; the platform deletes everything it creates, so that every deployment can be torn down without orphans; remove `removal: retain`{hint}"
        )
    };
    let retain: Option<Span> = match &resource.body {
        Body::Key(key) => removal_retain(&key.removal),
        Body::Table(table) => removal_retain(&table.removal),
        Body::Queue(queue) => removal_retain(&queue.removal),
        Body::Bucket(bucket) => removal_retain(&bucket.removal),
        Body::Topic(topic) => removal_retain(&topic.removal),
        Body::LogGroup(log_group) => removal_retain(&log_group.removal),
        Body::Aurora(aurora) => {
            for removal in aurora.removal.iter().flat_map(PerProfile::values) {
                if let Removal::Retain(keyword) = removal {
                    cx.error(
                        Rule::PolicyRemoval,
                        keyword,
                        retain_message(" and write `removal: snapshot` to keep a final snapshot"),
                    );
                }
            }
            if let Some(protection) = &aurora.deletion_protection
                && protection.on
            {
                cx.error_at(
                    Rule::PolicyRemoval,
                    protection.span,
                    format!(
                        "`deletion_protection: on` would stop the stack from deleting {what}; the platform keeps every deployment removable, so remove it and keep the data with `removal: snapshot` (the default), a final snapshot"
                    ),
                );
            }
            None
        }
        _ => None,
    };
    if let Some(span) = retain {
        cx.error_at(Rule::PolicyRemoval, span, retain_message(""));
    }
}

fn removal_retain(removal: &Option<RemovalPolicy>) -> Option<Span> {
    match removal {
        Some(RemovalPolicy::Retain(keyword)) => Some(keyword.span()),
        _ => None,
    }
}
