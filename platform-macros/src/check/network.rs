//! Network rules: each declared region gets its own valid /16, endpoints are
//! services the catalog knows, and a function inside a network (which has
//! no NAT gateway) can reach every service it is granted.

use std::net::Ipv4Addr;

use platform_core::catalog::ENDPOINT_SERVICES;
use platform_core::naming;
use syn::Ident;

use crate::ast::{Body, NetworkBody, ResourceBlock};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;
use crate::suggest;

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        if let Body::Network(network) = &resource.body {
            check_cidr_regions(model, cx, resource, network);
            check_cidrs(cx, resource, network);
            check_endpoint_names(cx, resource, network);
        }
    }
    check_function_endpoints(model, cx);
}

/// An endpoint service as written in the DSL: `execute-api` is `execute_api`.
fn dsl_name(service: &str) -> String {
    service.replace('-', "_")
}

/// The endpoint services, as written in the DSL.
fn endpoint_names() -> Vec<String> {
    ENDPOINT_SERVICES
        .iter()
        .map(|(service, ..)| dsl_name(service))
        .collect()
}

/// `name-region`, `network-cidr`: `cidr: region(...)` names only regions the
/// platform declares, and every one of them: synthesis builds the network
/// in each region's stack and has nothing to build it from otherwise.
fn check_cidr_regions(model: &Model, cx: &Ctxt, resource: &ResourceBlock, network: &NetworkBody) {
    let Some(cidr) = &network.cidr else {
        return;
    };
    let Some(declared) = model.platform().and_then(|p| p.regions.as_ref()) else {
        return;
    };
    let declared_names: Vec<String> = declared.iter().map(Ident::to_string).collect();
    let declared_names: Vec<&str> = declared_names.iter().map(String::as_str).collect();
    for (region, _) in &cidr.values {
        let text = region.to_string();
        if declared_names.contains(&text.as_str()) {
            continue;
        }
        let message = if naming::region_code(&text).is_some() {
            format!(
                "network `{}` gives a CIDR for `{text}`, which the platform does not declare; declared regions are {}",
                resource.name,
                suggest::list(&declared_names)
            )
        } else {
            let hint = suggest::hint(&text, &declared_names, "declared regions are");
            format!("unknown region `{text}`{hint}")
        };
        cx.error(Rule::NameRegion, region, message);
    }
    for region in declared {
        if naming::region_code(&region.to_string()).is_none() {
            continue;
        }
        if cidr.values.iter().any(|(r, _)| r == region) {
            continue;
        }
        cx.error(
            Rule::NetworkCidr,
            &cidr.keyword,
            format!(
                "network `{}` has no CIDR for `{region}`; add `{region}: \"10.N.0.0/16\"` with a /16 no other region uses",
                resource.name
            ),
        );
    }
}

/// An IPv4 /16 network, or why `text` is not one.
pub(crate) fn parse_slash_16(text: &str) -> Result<Ipv4Addr, String> {
    let Some((addr, prefix)) = text.split_once('/') else {
        return Err("it has no prefix length; write a /16 like `10.0.0.0/16`".to_owned());
    };
    let addr: Ipv4Addr = addr
        .parse()
        .map_err(|_| format!("`{addr}` is not an IPv4 address; write a /16 like `10.0.0.0/16`"))?;
    if prefix != "16" {
        return Err(format!(
            "it is a /{prefix}; networks are /16s, which synthesis carves into /20 subnets"
        ));
    }
    let base = u32::from(addr) & 0xffff_0000;
    if u32::from(addr) != base {
        return Err(format!(
            "`{addr}` has host bits set; the /16 is `{}/16`",
            Ipv4Addr::from(base)
        ));
    }
    Ok(addr)
}

/// `network-cidr`: each CIDR is an IPv4 /16 written as its network address,
/// and no two regions share one, so that the regions' networks can ever be
/// peered or routed to each other.
fn check_cidrs(cx: &Ctxt, resource: &ResourceBlock, network: &NetworkBody) {
    let Some(cidr) = &network.cidr else {
        return;
    };
    let mut seen: Vec<(&Ident, Ipv4Addr)> = Vec::new();
    for (region, lit) in &cidr.values {
        match parse_slash_16(&lit.value()) {
            Err(why) => cx.error(
                Rule::NetworkCidr,
                lit,
                format!(
                    "`{}` is not a valid CIDR for network `{}`: {why}",
                    lit.value(),
                    resource.name
                ),
            ),
            Ok(addr) => {
                if let Some((other, _)) = seen.iter().find(|(_, a)| *a == addr) {
                    cx.error(
                        Rule::NetworkCidr,
                        lit,
                        format!(
                            "`{}` for `{region}` overlaps the CIDR of `{other}`; give each region its own /16",
                            lit.value()
                        ),
                    );
                }
                seen.push((region, addr));
            }
        }
    }
}

/// `network-endpoint`: each endpoint is a service the catalog knows
/// (`catalog::ENDPOINT_SERVICES`), written with `_` for `-`
/// (`execute_api`), so that it synthesizes to an existing
/// `com.amazonaws.<region>.<service>` endpoint.
fn check_endpoint_names(cx: &Ctxt, resource: &ResourceBlock, network: &NetworkBody) {
    let known = endpoint_names();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    for endpoint in network.endpoints.iter().flat_map(|list| &list.items) {
        let text = endpoint.to_string();
        if known.contains(&text.as_str()) {
            continue;
        }
        let hint = match suggest::closest(&text, known.iter().copied()) {
            Some(best) => format!("; did you mean `{best}`?"),
            None => format!("; known endpoints are {}", suggest::list(&known)),
        };
        cx.error(
            Rule::NetworkEndpoint,
            endpoint,
            format!(
                "unknown endpoint `{text}` in network `{}`{hint}",
                resource.name
            ),
        );
    }
}

/// The service of `api: invoke`. The platform's APIs are regional, public
/// endpoints; a VPC interface endpoint for it reaches private APIs only (and
/// with private DNS makes public ones unreachable from the network), so no
/// endpoint helps a function in a network without NAT call them.
const PUBLIC_API_SERVICE: &str = "execute-api";

/// The DSL name of the endpoint that carries calls to the IAM service
/// `prefix` (`cloudwatch` -> `monitoring`), if any endpoint does.
fn endpoint_for(prefix: &str) -> Option<String> {
    ENDPOINT_SERVICES
        .iter()
        .find(|(_, _, iam)| *iam == prefix)
        .map(|(service, ..)| dsl_name(service))
}

/// `network-endpoint`: a function in a network (which has no NAT gateway)
/// reaches AWS services only through the network's endpoints, so each
/// service its grants (and its `dead_letter:` queue) call has one, and so
/// does KMS when the resource is encrypted with a key. Otherwise the call
/// times out at run time. Services without an endpoint in the catalog
/// (`rds-db`: a database connection inside the network) need none; the
/// platform's (public) APIs cannot be reached from such a network at all.
fn check_function_endpoints(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Function(function) = &resource.body else {
            continue;
        };
        let Some(network_name) = &function.network else {
            continue;
        };
        let Some(Body::Network(network)) = model.resource(network_name).map(|r| &r.body) else {
            continue;
        };
        let endpoints: Vec<String> = network
            .endpoints
            .iter()
            .flat_map(|list| &list.items)
            .map(Ident::to_string)
            .collect();
        let mut calls: Vec<(&Ident, String, &str)> = Vec::new();
        for (target, levels) in &function.grants {
            let Some(target_block) = model.resource(target) else {
                continue;
            };
            for level in &levels.0 {
                let Some(access) = target_block.info.access(&level.to_string()) else {
                    continue;
                };
                let written = format!("{target}: {level}");
                for action in access.actions {
                    let prefix = action.split(':').next().unwrap_or_default();
                    calls.push((target, written.clone(), prefix));
                }
                if !access.key_actions.is_empty() && target_block.body.key().is_some() {
                    calls.push((target, written.clone(), "kms"));
                }
            }
        }
        if let Some(queue) = &function.dead_letter {
            let written = format!("dead_letter: {queue}");
            calls.push((queue, written.clone(), "sqs"));
            if model
                .resource(queue)
                .is_some_and(|q| q.body.key().is_some())
            {
                calls.push((queue, written, "kms"));
            }
        }
        let mut reported: Vec<(String, String)> = Vec::new();
        for (at, written, prefix) in calls {
            if prefix == PUBLIC_API_SERVICE {
                if !reported.contains(&(written.clone(), prefix.to_owned())) {
                    cx.error(
                        Rule::NetworkEndpoint,
                        at,
                        format!(
                            "function `{}` runs in network `{network_name}`, which has no NAT gateway, so `{written}` cannot reach the api's public endpoint (an `execute_api` endpoint serves private APIs only, and hides public ones from the network); call the api from a function outside the network",
                            resource.name
                        ),
                    );
                    reported.push((written, prefix.to_owned()));
                }
                continue;
            }
            let Some(endpoint) = endpoint_for(prefix) else {
                continue;
            };
            if endpoints.contains(&endpoint)
                || reported.contains(&(written.clone(), endpoint.clone()))
            {
                continue;
            }
            cx.error(
                Rule::NetworkEndpoint,
                at,
                format!(
                    "function `{}` runs in network `{network_name}`, which has no NAT gateway, and `{written}` calls {prefix}, but `{network_name}` has no `{endpoint}` endpoint; add `{endpoint}` to its `endpoints`",
                    resource.name
                ),
            );
            reported.push((written, endpoint));
        }
    }
}
