//! Grammar rules that the parser leaves to the checks, so that they are
//! reported together with everything else: the `platform` block, required
//! fields, and fields that exclude each other.

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
    check_rule_source(model, cx);
    check_exclusive_fields(model, cx);
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

/// `grammar-required`: fields without a sensible default. Everything that
/// holds data or logs names the key that encrypts it (data at rest is always
/// encrypted with one of the platform's keys; a bucket may instead say
/// `encryption: s3_managed`); a table needs its partition key, a parameter
/// its value, a function its code, a network its CIDRs, a cluster its
/// engine, capacity and network, an api its routes, a rule its targets and
/// dead-letter queue, an alarm its metric, threshold and topic, a health
/// check its api and path, a dashboard its metrics, a zone its domain, an
/// api's domain its zone (and the other way round).
fn check_required_resource_fields(model: &Model, cx: &Ctxt) {
    let first = |kind: Kind, fallback: &str| match model.names(&[kind]).first() {
        Some(name) => name.clone(),
        None => fallback.to_owned(),
    };
    let key = format!("key: {}", first(Kind::Key, "<key name>"));
    let key = key.as_str();
    let network = format!("network: {}", first(Kind::Network, "<network name>"));
    let queue = format!("dead_letter: {}", first(Kind::Queue, "<queue name>"));
    let topic = format!("notify: {}", first(Kind::Topic, "<topic name>"));
    let api = format!("api: {}", first(Kind::Api, "<api name>"));
    let cluster = format!("cluster: {}", first(Kind::Aurora, "<aurora name>"));
    let zone = format!("zone: {}", first(Kind::Zone, "<zone name>"));
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
            Body::Bucket(bucket) => &[(
                bucket.key.is_none() && bucket.s3_managed().is_none(),
                "key",
                key,
            )],
            Body::Topic(topic) => &[(topic.key.is_none(), "key", key)],
            Body::Parameter(parameter) => {
                &[(parameter.value.is_none(), "value", "value: sessions.name")]
            }
            Body::Function(function) => &[
                (function.code.is_none(), "code", "code: \"handlers/<dir>\""),
                (function.key.is_none(), "key", key),
            ],
            Body::Network(network) => &[
                (
                    network.cidr.is_none(),
                    "cidr",
                    "cidr: region(us_east_1: \"10.0.0.0/16\")",
                ),
                (network.key.is_none(), "key", key),
            ],
            Body::Aurora(aurora) => &[
                (
                    aurora.engine.is_none(),
                    "engine",
                    "engine: postgres \"16.10\"",
                ),
                (aurora.capacity.is_none(), "capacity", "capacity: 0.5..=16"),
                (aurora.network.is_none(), "network", &network),
                (aurora.key.is_none(), "key", key),
            ],
            Body::DbUser(user) => &[
                (user.cluster.is_none(), "cluster", &cluster),
                (user.privileges.is_none(), "privileges", "privileges: dml"),
                (user.key.is_none(), "key", key),
            ],
            Body::Api(api) => &[
                (
                    api.routes.is_none(),
                    "routes",
                    "routes: { GET \"/health\" => <function> }",
                ),
                (api.key.is_none(), "key", key),
                (api.domain.is_some() && api.zone.is_none(), "zone", &zone),
                (
                    api.zone.is_some() && api.domain.is_none(),
                    "domain",
                    "domain: \"api.example.com\"",
                ),
            ],
            Body::LogGroup(log_group) => &[(log_group.key.is_none(), "key", key)],
            Body::Bus(bus) => &[(bus.key.is_none(), "key", key)],
            Body::Rule(rule) => &[
                (rule.targets.is_none(), "targets", "targets: [<function>]"),
                (rule.dead_letter.is_none(), "dead_letter", &queue),
            ],
            Body::Alarm(alarm) => &[
                (
                    alarm.metric.is_none(),
                    "metric",
                    "metric: <resource>.<metric>",
                ),
                (alarm.notify.is_none(), "notify", &topic),
            ],
            Body::HealthCheck(health_check) => &[
                (health_check.api.is_none(), "api", &api),
                (health_check.path.is_none(), "path", "path: \"/health\""),
            ],
            Body::Zone(zone) => &[(zone.domain.is_none(), "domain", "domain: \"example.com\"")],
            Body::Dashboard(dashboard) => &[(
                dashboard.metrics.is_none() && dashboard.sections.is_none(),
                "metrics",
                "metrics: [<resource>.<metric>]` or `sections: { \"TITLE\": [<resource>.<metric>] }",
            )],
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
        if let Body::Alarm(alarm) = &resource.body
            && alarm.comparisons.is_empty()
        {
            cx.error(
                Rule::GrammarRequired,
                &resource.name,
                format!(
                    "alarm `{}` is missing its threshold; add one of `above:`, `at_or_above:`, `below:` or `at_or_below:`, like `above: 0`",
                    resource.name
                ),
            );
        }
    }
}

/// `grammar-required`, `grammar-field`: a rule either matches events on a
/// declared bus (`bus:` and `pattern:`) or runs on a schedule (`schedule:`,
/// on the default bus, where EventBridge runs schedules), never both.
fn check_rule_source(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Rule(rule) = &resource.body else {
            continue;
        };
        let name = &resource.name;
        match (&rule.bus, &rule.pattern, &rule.schedule) {
            (None, None, None) => cx.error(
                Rule::GrammarRequired,
                name,
                format!("rule `{name}` has neither `pattern:` nor `schedule:`; match events with `bus: <bus>, pattern: {{ .. }}`, or run on a schedule with `schedule: \"rate(1 hour)\"`"),
            ),
            (Some(_), None, None) => cx.error(
                Rule::GrammarRequired,
                name,
                format!("rule `{name}` is missing `pattern:`; say which events on the bus it matches, like `pattern: {{ source: [\"trading.processor\"] }}`"),
            ),
            (None, Some(pattern), None) => cx.error_at(
                Rule::GrammarRequired,
                pattern.brace.span.join(),
                format!("rule `{name}` has a `pattern:` but no `bus:`; name the declared bus whose events it matches"),
            ),
            (_, _, Some(schedule)) if rule.bus.is_some() || rule.pattern.is_some() => cx.error(
                Rule::GrammarField,
                schedule,
                format!("rule `{name}` has both `schedule:` and `bus:`/`pattern:`; a schedule runs on the default bus, so declare a second rule"),
            ),
            _ => {}
        }
    }
}

/// `grammar-field`: fields that say the same thing two ways are given once:
/// an alarm's comparison (`above:`, `below:`, ...), and a bucket's `key:`
/// with `encryption: s3_managed` (which uses no key).
fn check_exclusive_fields(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let name = &resource.name;
        match &resource.body {
            Body::Alarm(alarm) => {
                if let [(first, ..), rest @ ..] = alarm.comparisons.as_slice() {
                    for (second, ..) in rest {
                        cx.error(
                            Rule::GrammarField,
                            second,
                            format!("alarm `{name}` has both `{first}:` and `{second}:`; an alarm compares with one threshold, so declare a second alarm"),
                        );
                    }
                }
            }
            Body::Bucket(bucket) => {
                if let (Some(key), Some(_)) = (&bucket.key, bucket.s3_managed()) {
                    cx.error(
                        Rule::GrammarField,
                        key,
                        format!("bucket `{name}` has `encryption: s3_managed`, which uses no key; remove `key: {key}` or the `encryption:` field"),
                    );
                }
            }
            _ => {}
        }
    }
}
