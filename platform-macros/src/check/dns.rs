//! DNS rules: domains are names DNS and ACM take, an api's domain lies in
//! the zone it names, in every profile, and no two apis (nor two zones)
//! share a domain.

use syn::{Ident, LitStr};

use crate::ast::{ApiBody, Body, PerProfile, ResourceBlock, ZoneBody};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

/// The longest name DNS takes, without the root's dot (RFC 1035).
const MAX_DOMAIN: usize = 253;
/// The longest label DNS takes.
const MAX_LABEL: usize = 63;

pub fn check(model: &Model, cx: &Ctxt) {
    let profiles = profiles(model);
    // `<region>.`: what tp adds before an api's domain for one region.
    let regional = model
        .region_codes()
        .iter()
        .map(|code| code.len() + 1)
        .max()
        .unwrap_or(0);
    for resource in &model.resources {
        match &resource.body {
            Body::Zone(zone) => {
                check_domain_syntax(cx, resource, &zone.domain, 0);
                check_zone_source(cx, resource, zone);
            }
            Body::Api(api) => {
                check_domain_syntax(cx, resource, &api.domain, regional);
                check_domain_zone(model, cx, &profiles, resource, api);
            }
            _ => {}
        }
    }
    check_domain_unique(model, cx, &profiles);
}

/// The declared profiles, or one unnamed profile when none are declared.
fn profiles(model: &Model) -> Vec<String> {
    let profiles = model.profiles();
    if profiles.is_empty() {
        vec![String::new()]
    } else {
        profiles
    }
}

/// " in profile `dev`", or nothing when the value is every profile's.
fn in_profile(profile: Option<&Ident>) -> String {
    profile.map_or_else(String::new, |p| format!(" in profile `{p}`"))
}

/// Why `domain` is not a domain name Route 53, ACM and API Gateway take
/// once `extra` characters (`us-east-1.`) are put before it, if it is not.
pub(crate) fn domain_problem(domain: &str, extra: usize) -> Option<String> {
    if domain.is_empty() {
        return Some("the domain is empty".to_owned());
    }
    if domain.ends_with('.') {
        return Some(format!(
            "write the domain without the root's dot, like `{}`",
            domain.trim_end_matches('.')
        ));
    }
    if domain.chars().any(|c| c.is_ascii_uppercase()) {
        return Some(format!(
            "domains are written in lowercase, like `{}`",
            domain.to_ascii_lowercase()
        ));
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Some("the domain has an empty label (`..`)".to_owned());
        }
        if label.len() > MAX_LABEL {
            return Some(format!(
                "label `{label}` is {} characters; DNS takes at most {MAX_LABEL}",
                label.len()
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Some(format!(
                "label `{label}` has `{c}`; labels are letters, digits and hyphens"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some(format!(
                "label `{label}` starts or ends with a hyphen, which DNS does not take"
            ));
        }
    }
    if !domain.contains('.') {
        return Some(format!(
            "`{domain}` is a top-level domain; name one below it, like `{domain}.example.com`"
        ));
    }
    if domain.len() + extra > MAX_DOMAIN {
        let regional = if extra > 0 {
            format!(" with the `<region>.` ({extra} characters) each region's name adds")
        } else {
            String::new()
        };
        return Some(format!(
            "the domain is {} characters{regional}; DNS takes at most {MAX_DOMAIN}",
            domain.len() + extra
        ));
    }
    None
}

/// `domain-syntax`: every value of a zone's or an api's `domain:` is a
/// lowercase DNS name (labels of 1 to 63 letters, digits and hyphens, no
/// hyphen first or last) of at most 253 characters, counting the
/// `<region>.` label each region of an api's domain is also served under.
fn check_domain_syntax(
    cx: &Ctxt,
    resource: &ResourceBlock,
    domain: &Option<PerProfile<LitStr>>,
    extra: usize,
) {
    for (profile, literal) in domain.iter().flat_map(PerProfile::entries) {
        if let Some(problem) = domain_problem(&literal.value(), extra) {
            cx.error(
                Rule::DomainSyntax,
                literal,
                format!(
                    "domain {:?} of {} `{}`{}: {problem}",
                    literal.value(),
                    resource.info.keyword,
                    resource.name,
                    in_profile(profile)
                ),
            );
        }
    }
}

/// Why `id` is not a Route 53 hosted zone id, if it is not.
fn zone_id_problem(id: &str) -> Option<String> {
    let well_formed = id.len() <= 32
        && id.starts_with('Z')
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    (!well_formed).then(|| {
        format!(
            "`{id}` is not a hosted zone id; Route 53's are `Z` and up to 31 uppercase letters and digits, like `Z0123456789ABCDEFGHIJ` (without `/hostedzone/`)"
        )
    })
}

/// `domain-zone`: an existing zone is named by a well-formed `id:` or
/// looked up (`existing: true`), not both.
fn check_zone_source(cx: &Ctxt, resource: &ResourceBlock, zone: &ZoneBody) {
    if let (Some(_), Some(existing)) = (&zone.id, &zone.existing) {
        let (_, first) = existing.entries()[0];
        cx.error(
            Rule::DomainZone,
            first,
            format!(
                "zone `{}` has both `id:` and `existing:`; give the id, or `existing: true` for `tp deploy` to look it up, not both",
                resource.name
            ),
        );
    }
    for (profile, literal) in zone.id.iter().flat_map(PerProfile::entries) {
        if let Some(problem) = zone_id_problem(&literal.value()) {
            cx.error(
                Rule::DomainZone,
                literal,
                format!("zone `{}`{}: {problem}", resource.name, in_profile(profile)),
            );
        }
    }
}

/// Whether `domain` is `zone` or a name below it.
pub(crate) fn within(domain: &str, zone: &str) -> bool {
    domain == zone || domain.ends_with(&format!(".{zone}"))
}

/// `domain-zone`: in every profile, an api's domain is its zone's domain
/// or a name below it: ACM validates the certificate and Route 53 serves
/// the records in that zone alone.
fn check_domain_zone(
    model: &Model,
    cx: &Ctxt,
    profiles: &[String],
    resource: &ResourceBlock,
    api: &ApiBody,
) {
    let (Some(domain), Some(zone_name)) = (&api.domain, &api.zone) else {
        return;
    };
    let Some(Body::Zone(zone)) = model.resource(zone_name).map(|z| &z.body) else {
        return; // `ref-unknown` or `ref-kind`
    };
    let Some(zone_domain) = &zone.domain else {
        return; // `grammar-required`
    };
    for profile in profiles {
        let (Some(literal), Some(zone_literal)) =
            (domain.in_profile(profile), zone_domain.in_profile(profile))
        else {
            continue; // `ref-profile`
        };
        let (value, zone_value) = (literal.value(), zone_literal.value());
        // A malformed domain is `domain-syntax`'s to report.
        if within(&value, &zone_value)
            || domain_problem(&value, 0).is_some()
            || domain_problem(&zone_value, 0).is_some()
        {
            continue;
        }
        let named =
            (domain.is_per_profile() || zone_domain.is_per_profile()).then_some(profile.as_str());
        let where_ = named.map_or_else(String::new, |p| format!(" in profile `{p}`"));
        cx.error(
            Rule::DomainZone,
            literal,
            format!(
                "api `{}`'s domain {value:?}{where_} is not in zone `{zone_name}` ({zone_value:?}); use a name ending in `.{zone_value}`, or a zone whose domain covers it",
                resource.name
            ),
        );
    }
}

/// `domain-unique`: in each profile, no two apis serve one domain and no
/// two zones are for one domain: their records and certificates would
/// take each other's place.
fn check_domain_unique(model: &Model, cx: &Ctxt, profiles: &[String]) {
    for kind in [
        platform_core::catalog::Kind::Api,
        platform_core::catalog::Kind::Zone,
    ] {
        for profile in profiles {
            let mut seen: Vec<(String, &Ident)> = Vec::new();
            for resource in model.resources.iter().filter(|r| r.info.kind == kind) {
                let domain = match &resource.body {
                    Body::Api(api) => &api.domain,
                    Body::Zone(zone) => &zone.domain,
                    _ => continue,
                };
                let Some(literal) = domain.as_ref().and_then(|d| d.in_profile(profile)) else {
                    continue;
                };
                let value = literal.value();
                match seen.iter().find(|(d, _)| *d == value) {
                    Some((_, first)) => {
                        let named = if profile.is_empty() {
                            String::new()
                        } else {
                            format!(" in profile `{profile}`")
                        };
                        cx.error(
                            Rule::DomainUnique,
                            literal,
                            format!(
                                "{} `{}` has domain {value:?}{named}, which {} `{first}` has already; give each {} a domain of its own",
                                resource.info.keyword, resource.name, resource.info.keyword, resource.info.keyword
                            ),
                        );
                    }
                    None => seen.push((value, &resource.name)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_dns_takes_pass() {
        assert_eq!(domain_problem("api.dev.trading.example.com", 10), None);
        assert_eq!(domain_problem("a-1.example.com", 0), None);
    }

    #[test]
    fn malformed_domains_say_what_is_wrong() {
        let problem = |d: &str, extra| domain_problem(d, extra).unwrap();
        assert!(problem("API.example.com", 0).contains("`api.example.com`"));
        assert!(problem("example.com.", 0).contains("root's dot"));
        assert!(problem("a..example.com", 0).contains("empty label"));
        assert!(problem("-a.example.com", 0).contains("hyphen"));
        assert!(problem("a_b.example.com", 0).contains("`_`"));
        assert!(problem("com", 0).contains("top-level"));
        let long_label = format!("{}.example.com", "a".repeat(64));
        assert!(problem(&long_label, 0).contains("64 characters"));
    }

    #[test]
    fn the_regional_label_counts_against_the_length() {
        let labels = vec!["a".repeat(60); 3].join(".");
        let domain = format!("{labels}.{}.example.com", "b".repeat(50));
        assert_eq!(domain.len(), 245);
        assert_eq!(domain_problem(&domain, 0), None);
        let problem = domain_problem(&domain, 10).unwrap();
        assert!(problem.contains("<region>."), "{problem}");
    }

    #[test]
    fn a_domain_is_within_its_zone_or_below_it() {
        assert!(within("example.com", "example.com"));
        assert!(within("api.example.com", "example.com"));
        assert!(!within("badexample.com", "example.com"));
        assert!(!within("example.com", "api.example.com"));
    }

    #[test]
    fn zone_ids_are_route_53s() {
        assert_eq!(zone_id_problem("Z0123456789ABCDEFGHIJ"), None);
        assert!(zone_id_problem("/hostedzone/Z0123").is_some());
        assert!(zone_id_problem("z0123").is_some());
    }
}
