//! DNS: hosted zones, an API's custom domain (certificate, API Gateway
//! domain names, base-path mappings, alias records) and the Route 53
//! health checks of a domain's regions.
//!
//! | where          | resources                                              |
//! |----------------|--------------------------------------------------------|
//! | global stack   | `AWS::Route53::HostedZone` of a created zone; per platform region, `AWS::Route53::HealthCheck` of `https://<region>.<domain>/<path>` and the `AWS::CloudWatch::Alarm`s declared on its status |
//! | every region   | `AWS::CertificateManager::Certificate` (`<domain>`, SAN `<region>.<domain>`, DNS-validated in the zone), `AWS::ApiGateway::DomainName` (REGIONAL, TLS 1.2) and `AWS::ApiGateway::BasePathMapping` of each name to the stage, an A alias record `<region>.<domain>` and a latency record `<domain>` with the region's health check |
//!
//! Route 53 is global and publishes its metrics in us-east-1 alone, so
//! what it owns lives in the environment's global stack
//! ([`crate::spec::Platform::global_region`]); the other stacks read the
//! zone's and the health checks' ids through imports
//! ([`Context::global_value`]).

use crate::catalog::Metric;
use crate::naming::{self, pascal_case};
use crate::spec::{AlarmSpec, ApiDomain, HealthCheckSpec, Spec, ZoneSource, ZoneSpec};
use crate::template::{Resource, Value};

use super::{Context, SynthError};

/// The output (and, elsewhere, the parameter) carrying zone `zone`'s id.
fn zone_id_output(cx: &Context<'_>, zone: &str) -> String {
    format!("{}Id", cx.logical_id(zone))
}

/// `zone NAME { .. }`: a created zone in the global stack, with its id
/// and name servers as outputs; an existing zone makes nothing.
pub(crate) fn zone(cx: &mut Context<'_>, name: &str, spec: &ZoneSpec) -> Result<(), SynthError> {
    if spec.source.get(cx.profile) != ZoneSource::Created || !cx.is_global() {
        return Ok(());
    }
    let id = cx.logical_id(name);
    let domain = spec.domain.get(cx.profile);
    let tags = cx.name_tag_list(cx.physical_name("zone", name));
    cx.add(
        &id,
        Resource::new("AWS::Route53::HostedZone")
            .prop("Name", domain.as_str())
            .prop(
                "HostedZoneConfig",
                Value::map([(
                    "Comment",
                    Value::Str(format!(
                        "{} platform, suffix {}: zone `{name}`",
                        cx.platform.name, cx.suffix
                    )),
                )]),
            )
            .prop("HostedZoneTags", tags),
    )?;
    zone_id(cx, name);
    cx.template.outputs.insert(
        format!("{id}NameServers"),
        crate::template::Output {
            // Route 53 gives every public zone four name servers.
            value: Value::Join(
                ",".into(),
                (0..4)
                    .map(|n| Value::Select(n, Box::new(Value::get_att(&id, "NameServers"))))
                    .collect(),
            ),
            description: format!(
                "name servers of zone `{name}` ({domain}): the parent zone delegates `{domain}` to them (NS records)"
            ),
            export: None,
        },
    );
    Ok(())
}

/// The id of declared zone `zone` in this stack: the created zone's
/// (imported outside the global stack), the declared id, or the one `tp
/// deploy` looks up.
pub(crate) fn zone_id(cx: &mut Context<'_>, zone: &str) -> Value {
    let Some(Spec::Zone(spec)) = cx.resource(zone).map(|r| &r.spec) else {
        unreachable!("`zone:` names a zone (checked)");
    };
    let output = zone_id_output(cx, zone);
    match spec.source.get(cx.profile) {
        ZoneSource::Created => {
            let id = cx.logical_id(zone);
            cx.global_value(&output, &format!("Id of hosted zone `{zone}`"), |_| {
                Value::Ref(id)
            })
        }
        ZoneSource::Id(id) => Value::Str(id),
        ZoneSource::Lookup => {
            let domain = spec.domain.get(cx.profile);
            cx.zone_lookup(&output, &domain)
        }
    }
}

/// The health check of api `api`, if one is declared.
fn health_check_of<'a>(cx: &Context<'a>, api: &str) -> Option<&'a crate::spec::Resource> {
    cx.platform
        .resources
        .iter()
        .find(|r| matches!(&r.spec, Spec::HealthCheck(h) if h.api == api))
}

/// The domain of the api health check `health_check` probes, when it has
/// one: the health check is then one per region, in the global stack.
pub(crate) fn checked_domain<'a>(cx: &Context<'a>, health_check: &str) -> Option<&'a ApiDomain> {
    let Some(Spec::HealthCheck(check)) = cx.resource(health_check).map(|r| &r.spec) else {
        return None;
    };
    match &cx.resource(&check.api)?.spec {
        Spec::Api(api) => api.domain.as_ref(),
        _ => None,
    }
}

/// The logical id of health check `name`'s check of `region`.
fn health_check_id(cx: &Context<'_>, name: &str, region: &str) -> String {
    format!("{}{}", cx.logical_id(name), pascal_case(region))
}

/// The id of health check `name`'s check of `region`, in this stack.
pub(crate) fn health_check_ref(cx: &mut Context<'_>, name: &str, region: &str) -> Value {
    let id = health_check_id(cx, name, region);
    cx.global_value(
        &format!("{id}Id"),
        &format!("Id of health check `{name}` of {region}"),
        |_| Value::Ref(id.clone()),
    )
}

/// Custom domain `domain` of api `name` (logical id `api_id`, stage
/// `stage_id`) in this stack's region.
pub(crate) fn api_domain(
    cx: &mut Context<'_>,
    name: &str,
    api_id: &str,
    stage_id: &str,
    domain: &ApiDomain,
) -> Result<(), SynthError> {
    let region = cx.region;
    let apex = domain.name.get(cx.profile);
    let regional = domain.regional(cx.profile, region);
    let zone = zone_id(cx, &domain.zone);
    let certificate = format!("{api_id}Certificate");
    let validation = |name: &str| {
        Value::map([
            ("DomainName", Value::str(name)),
            ("HostedZoneId", zone.clone()),
        ])
    };
    let tags = cx.name_tag_list(cx.physical_name("acm", name));
    cx.add(
        &certificate,
        Resource::new("AWS::CertificateManager::Certificate")
            .prop("DomainName", apex.as_str())
            .prop(
                "SubjectAlternativeNames",
                Value::list([Value::str(&regional)]),
            )
            .prop("ValidationMethod", "DNS")
            .prop(
                "DomainValidationOptions",
                Value::list([validation(&apex), validation(&regional)]),
            )
            .prop("Tags", tags),
    )?;
    for (prefix, host) in [("", &apex), ("Regional", &regional)] {
        let domain_name = format!("{api_id}{prefix}DomainName");
        cx.add(
            &domain_name,
            Resource::new("AWS::ApiGateway::DomainName")
                .prop("DomainName", host.as_str())
                .prop("RegionalCertificateArn", Value::Ref(certificate.clone()))
                .prop(
                    "EndpointConfiguration",
                    Value::map([("Types", Value::list([Value::str("REGIONAL")]))]),
                )
                .prop("SecurityPolicy", "TLS_1_2")
                .prop("Tags", cx.tag_list()),
        )?;
        cx.add(
            &format!("{api_id}{prefix}BasePathMapping"),
            Resource::new("AWS::ApiGateway::BasePathMapping")
                .prop("DomainName", Value::Ref(domain_name.clone()))
                .prop("RestApiId", Value::Ref(api_id.to_owned()))
                .prop("Stage", Value::Ref(stage_id.to_owned())),
        )?;
    }
    let alias = |domain_name: &str, evaluate: bool| {
        Value::map([
            ("DNSName", Value::get_att(domain_name, "RegionalDomainName")),
            (
                "HostedZoneId",
                Value::get_att(domain_name, "RegionalHostedZoneId"),
            ),
            ("EvaluateTargetHealth", Value::Bool(evaluate)),
        ])
    };
    cx.add(
        &format!("{api_id}RegionalRecord"),
        Resource::new("AWS::Route53::RecordSet")
            .prop("HostedZoneId", zone.clone())
            .prop("Name", regional.as_str())
            .prop("Type", "A")
            .prop(
                "AliasTarget",
                alias(&format!("{api_id}RegionalDomainName"), false),
            ),
    )?;
    let mut latency = Resource::new("AWS::Route53::RecordSet")
        .prop("HostedZoneId", zone)
        .prop("Name", apex.as_str())
        .prop("Type", "A")
        .prop("SetIdentifier", region)
        .prop("Region", region)
        .prop("AliasTarget", alias(&format!("{api_id}DomainName"), true));
    if let Some(check) = health_check_of(cx, name) {
        let check = check.name.clone();
        latency = latency.prop("HealthCheckId", health_check_ref(cx, &check, region));
    }
    cx.add(&format!("{api_id}LatencyRecord"), latency)
}

/// Health check `name` of an api with a domain: in the global stack, one
/// per platform region, each probing `https://<region>.<domain><path>`
/// (the base path maps to the stage: no stage prefix).
pub(crate) fn health_checks(
    cx: &mut Context<'_>,
    name: &str,
    spec: &HealthCheckSpec,
    domain: &ApiDomain,
) -> Result<(), SynthError> {
    if !cx.is_global() {
        return Ok(());
    }
    for region in &cx.platform.regions {
        let id = health_check_id(cx, name, region);
        let tags = cx.name_tag_list(naming::physical_name(
            "hc",
            name,
            region,
            cx.suffix.as_str(),
        ));
        cx.add(
            &id,
            Resource::new("AWS::Route53::HealthCheck")
                .prop(
                    "HealthCheckConfig",
                    Value::map([
                        ("Type", Value::str("HTTPS")),
                        (
                            "FullyQualifiedDomainName",
                            Value::Str(domain.regional(cx.profile, region)),
                        ),
                        ("Port", Value::from(443u32)),
                        ("ResourcePath", Value::str(spec.path.clone())),
                        ("RequestInterval", Value::from(spec.interval_secs)),
                        ("FailureThreshold", Value::from(spec.failure_threshold)),
                        ("MeasureLatency", Value::Bool(true)),
                        ("EnableSNI", Value::Bool(true)),
                    ]),
                )
                .prop("HealthCheckTags", tags),
        )?;
        health_check_ref(cx, name, region);
    }
    Ok(())
}

/// The logical id of alarm `name`'s alarm on the health check of `region`.
pub(crate) fn health_alarm_id(cx: &Context<'_>, name: &str, region: &str) -> String {
    format!("{}{}", cx.logical_id(name), pascal_case(region))
}

/// Alarm `name` on a health check of an api with a domain: in the global
/// stack, one per platform region, on that region's health check, named
/// after the region it watches.
pub(crate) fn health_alarms(
    cx: &mut Context<'_>,
    name: &str,
    spec: &AlarmSpec,
    info: &Metric,
) -> Result<(), SynthError> {
    if !cx.is_global() {
        return Ok(());
    }
    for region in &cx.platform.regions {
        let check = health_check_ref(cx, &spec.metric.resource, region);
        let dimensions = info
            .dimensions
            .iter()
            .map(|(dimension, _)| ((*dimension).to_owned(), check.clone()))
            .collect();
        let alarm_name = naming::physical_name("alarm", name, region, cx.suffix.as_str());
        let mut spec = spec.clone();
        spec.description = format!("{} ({region})", spec.description);
        let id = health_alarm_id(cx, name, region);
        super::monitoring::add_alarm(cx, &id, alarm_name, &spec, info, dimensions)?;
    }
    Ok(())
}
