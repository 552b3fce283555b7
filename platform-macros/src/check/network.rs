//! Network rules: each declared region gets its own valid /16, endpoints are
//! services the catalog knows, and a function inside a network (which has
//! no NAT gateway) can reach every service it is granted.

use std::net::Ipv4Addr;

use platform_core::catalog::ENDPOINT_SERVICES;
use platform_core::{naming, zones};
use quote::ToTokens;
use syn::{Ident, LitStr};

use crate::ast::{Body, NetworkBody, PerProfile, PerRegion, ResourceBlock};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;
use crate::suggest;

pub fn check(model: &Model, cx: &Ctxt) {
    let mut seen: Vec<Cidr> = Vec::new();
    for resource in &model.resources {
        if let Body::Network(network) = &resource.body {
            check_cidr_regions(model, cx, resource, network);
            check_cidrs(cx, resource, network, &mut seen);
            check_endpoint_names(cx, resource, network);
            check_azs(model, cx, resource, network);
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

/// `network-azs`: every declared region offers at least the network's
/// `azs` zones to an account ([`platform_core::zones`]), or the subnets of
/// the zones past its last cannot be created.
fn check_azs(model: &Model, cx: &Ctxt, resource: &ResourceBlock, network: &NetworkBody) {
    let Some(azs) = &network.azs else {
        return;
    };
    let Some(declared) = model.platform().and_then(|p| p.regions.as_ref()) else {
        return;
    };
    for region in declared {
        let Some(code) = naming::region_code(&region.to_string()) else {
            continue;
        };
        let Some(offered) = zones::zones(code) else {
            continue;
        };
        if azs.value > offered {
            cx.error(
                Rule::NetworkAzs,
                &azs.lit,
                format!(
                    "network `{}` spans {} availability zones, but `{region}` ({code}) offers an account only {offered}; use `azs: {offered}` or drop the region",
                    resource.name, azs.value
                ),
            );
        }
    }
}

/// `name-region`, `network-cidr`: `cidr: region(...)` (each profile's, when
/// given per profile) names only regions the platform declares, and every
/// one of them: synthesis builds the network in each region's stack and has
/// nothing to build it from otherwise.
fn check_cidr_regions(model: &Model, cx: &Ctxt, resource: &ResourceBlock, network: &NetworkBody) {
    let Some(cidr) = &network.cidr else {
        return;
    };
    let Some(declared) = model.platform().and_then(|p| p.regions.as_ref()) else {
        return;
    };
    let declared_names: Vec<String> = declared.iter().map(Ident::to_string).collect();
    let declared_names: Vec<&str> = declared_names.iter().map(String::as_str).collect();
    for (profile, cidr) in per_profile(cidr) {
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
            let whose = match profile {
                Some(profile) => format!("in profile `{profile}` "),
                None => String::new(),
            };
            cx.error(
                Rule::NetworkCidr,
                &cidr.keyword,
                format!(
                    "network `{}` has no CIDR {whose}for `{region}`; add `{region}: \"10.N.0.0/16\"` with a /16 no other network, profile or region uses",
                    resource.name
                ),
            );
        }
    }
}

/// Each `region(...)` of a network's `cidr:` with the profile it is for
/// (`None`: every profile).
fn per_profile(cidr: &PerProfile<PerRegion<LitStr>>) -> Vec<(Option<&Ident>, &PerRegion<LitStr>)> {
    match cidr {
        PerProfile::Same(cidr) => vec![(None, cidr)],
        PerProfile::ByProfile { values, .. } => values
            .iter()
            .map(|(profile, cidr)| (Some(profile), cidr))
            .collect(),
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

/// A network's CIDR in one region, as declared, for one profile or (`None`)
/// every profile.
struct Cidr<'a> {
    network: &'a Ident,
    profile: Option<&'a Ident>,
    region: &'a Ident,
    addr: Ipv4Addr,
}

impl Cidr<'_> {
    /// How a message names this range, seen from network `from`:
    /// "`us_east_1`", "`dev` in `us_east_1`",
    /// "network `core` for `dev` in `us_east_1`", "network `core` in `us_east_1`".
    fn describe(&self, from: &Ident) -> String {
        let region = &self.region;
        match (self.network == from, self.profile) {
            (true, None) => format!("`{region}`"),
            (true, Some(profile)) => format!("`{profile}` in `{region}`"),
            (false, None) => format!("network `{}` in `{region}`", self.network),
            (false, Some(profile)) => {
                format!("network `{}` for `{profile}` in `{region}`", self.network)
            }
        }
    }
}

/// `network-cidr`: each CIDR is an IPv4 /16 written as its network address,
/// and no two VPCs (of any network, profile and region) overlap, so that
/// the regions' networks, and the environments', can ever be peered or
/// routed to each other. Two /16s overlap exactly when they are the same.
/// A `region(...)` written once gives every profile the same ranges: it is
/// compared as one range per region (profiles that share ranges are never
/// connected), against every other range of every profile.
fn check_cidrs<'a>(
    cx: &Ctxt,
    resource: &'a ResourceBlock,
    network: &'a NetworkBody,
    seen: &mut Vec<Cidr<'a>>,
) {
    let Some(cidr) = &network.cidr else {
        return;
    };
    for (profile, cidr) in per_profile(cidr) {
        for (region, lit) in &cidr.values {
            let addr = match parse_slash_16(&lit.value()) {
                Ok(addr) => addr,
                Err(why) => {
                    cx.error(
                        Rule::NetworkCidr,
                        lit,
                        format!(
                            "`{}` is not a valid CIDR for network `{}`: {why}",
                            lit.value(),
                            resource.name
                        ),
                    );
                    continue;
                }
            };
            let this = Cidr {
                network: &resource.name,
                profile,
                region,
                addr,
            };
            if let Some(other) = seen.iter().find(|c| c.addr == addr) {
                let whose = match profile {
                    Some(profile) => format!("`{profile}` in `{region}`"),
                    None => format!("`{region}`"),
                };
                cx.error(
                    Rule::NetworkCidr,
                    lit,
                    format!(
                        "`{}` for {whose} overlaps the CIDR of {}; give each network in each profile and region its own /16",
                        lit.value(),
                        other.describe(&resource.name)
                    ),
                );
            }
            seen.push(this);
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
        let mut calls: Vec<(&dyn ToTokens, String, String)> = Vec::new();
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
                    calls.push((target, written.clone(), prefix.to_owned()));
                }
                if !access.key_actions.is_empty() && target_block.body.key().is_some() {
                    calls.push((target, written.clone(), "kms".to_owned()));
                }
            }
        }
        for statement in function.statements.iter().flat_map(|list| &list.items) {
            for action in &statement.actions {
                let text = action.value();
                if let Some((prefix, _)) = text.split_once(':') {
                    calls.push((action, format!("allow {text:?}"), prefix.to_owned()));
                }
            }
        }
        if let Some(queue) = &function.dead_letter {
            let written = format!("dead_letter: {queue}");
            calls.push((queue, written.clone(), "sqs".to_owned()));
            if model
                .resource(queue)
                .is_some_and(|q| q.body.key().is_some())
            {
                calls.push((queue, written, "kms".to_owned()));
            }
        }
        let mut reported: Vec<(String, String)> = Vec::new();
        for (at, written, prefix) in calls {
            let prefix = prefix.as_str();
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
