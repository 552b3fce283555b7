//! Grammar rules that the parser leaves to the checks, so that they are
//! reported together with everything else: the `platform` block and required
//! fields.

use platform_core::catalog::Kind;
use proc_macro2::Span;

use crate::ast::Body;
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

pub fn check(model: &Model, cx: &Ctxt) {
    check_platform_block(model, cx);
    check_required_platform_fields(model, cx);
    check_required_resource_fields(model, cx);
}

/// `grammar-platform`: exactly one `platform` block. Without it there are no
/// regions, suffix limit or profiles to check names against; two would
/// disagree.
fn check_platform_block(model: &Model, cx: &Ctxt) {
    if model.platform_blocks.is_empty() {
        cx.error_at(
            Rule::GrammarPlatform,
            Span::call_site(),
            "no `platform` block; declare the platform once, like `platform trading { regions: [us_east_1], suffix: max 12, profiles: [dev, prod] }`",
        );
    }
    for extra in model.platform_blocks.iter().skip(1) {
        cx.error(
            Rule::GrammarPlatform,
            &extra.keyword,
            format!(
                "a second `platform` block (`{}`); declare the platform exactly once",
                extra.name
            ),
        );
    }
}

/// `grammar-required`: the platform block declares its regions, suffix
/// limit and profiles, which every name and per-profile value depends on.
fn check_required_platform_fields(model: &Model, cx: &Ctxt) {
    let Some(platform) = model.platform() else {
        return;
    };
    let missing = [
        (
            platform.regions.is_none(),
            "regions",
            "regions: [us_east_1]",
        ),
        (platform.suffix.is_none(), "suffix", "suffix: max 12"),
        (
            platform.profiles.is_none(),
            "profiles",
            "profiles: [dev, prod]",
        ),
    ];
    for (_, field, example) in missing.iter().filter(|(missing, ..)| *missing) {
        cx.error(
            Rule::GrammarRequired,
            &platform.name,
            format!(
                "platform `{}` is missing `{field}:`; add it, like `{example}`",
                platform.name
            ),
        );
    }
}

/// `grammar-required`: fields without a sensible default. Every table,
/// queue, bucket, topic and function names the key that encrypts it (data at
/// rest is always encrypted with one of the platform's keys); a table needs
/// its partition key, a parameter its value, a function its code.
fn check_required_resource_fields(model: &Model, cx: &Ctxt) {
    let key = match model.names(Some(Kind::Key)).first() {
        Some(name) => format!("key: {name}"),
        None => "key: <key name>".to_owned(),
    };
    let key = key.as_str();
    for resource in &model.resources {
        let missing: &[(bool, &str, &str)] = match &resource.body {
            Body::Key(_) => &[],
            Body::Table(table) => &[
                (
                    table.partition.is_none(),
                    "partition",
                    "partition: id: string",
                ),
                (table.key.is_none(), "key", key),
            ],
            Body::Queue(queue) => &[(queue.key.is_none(), "key", key)],
            Body::Bucket(bucket) => &[(bucket.key.is_none(), "key", key)],
            Body::Topic(topic) => &[(topic.key.is_none(), "key", key)],
            Body::Parameter(parameter) => {
                &[(parameter.value.is_none(), "value", "value: sessions.name")]
            }
            Body::Function(function) => &[
                (function.code.is_none(), "code", "code: \"handlers/<dir>\""),
                (function.key.is_none(), "key", key),
            ],
        };
        for (_, field, example) in missing.iter().filter(|(missing, ..)| *missing) {
            cx.error(
                Rule::GrammarRequired,
                &resource.name,
                format!(
                    "{} `{}` is missing `{field}:`; add it, like `{example}`",
                    resource.info.keyword, resource.name
                ),
            );
        }
    }
}
