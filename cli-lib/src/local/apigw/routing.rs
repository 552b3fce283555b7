//! Which resource and method a request path and HTTP method reach, as API
//! Gateway picks them: literal path parts before `{param}` before
//! `{proxy+}`, the method itself before `ANY`.

use std::collections::BTreeMap;

use super::spec::{MethodSpec, PathPart, ResourceSpec, RestApiSpec};

/// A request's resource and method, and the values of the path's parameters.
#[derive(Debug)]
pub struct Route<'a> {
    pub resource: &'a ResourceSpec,
    pub method: &'a MethodSpec,
    pub path_parameters: BTreeMap<String, String>,
}

/// How specific a match is, part by part; compared lexicographically.
type Rank = Vec<u8>;

/// The route for `path` (the request's path after the stage, still
/// percent-encoded; `/` or empty for the root) and `http_method`.
pub fn route<'a>(api: &'a RestApiSpec, path: &str, http_method: &str) -> Option<Route<'a>> {
    let mut segments: Vec<&str> = path.split('/').skip(1).collect();
    // `/trades/` is `/trades`, and `` (no path after the stage) is the root.
    if segments.last() == Some(&"") {
        segments.pop();
    }
    if segments.iter().any(|s| s.is_empty()) {
        return None;
    }
    let decoded: Vec<String> = segments.iter().map(|s| percent_decode(s)).collect();
    let mut best: Option<(Rank, Route<'a>)> = None;
    for resource in &api.resources {
        let Some((rank, params)) = match_parts(&resource.parts, &decoded) else {
            continue;
        };
        let Some(method) = resource
            .methods
            .get(http_method)
            .or_else(|| resource.methods.get("ANY"))
        else {
            continue;
        };
        if best.as_ref().is_none_or(|(r, _)| rank > *r) {
            best = Some((
                rank,
                Route {
                    resource,
                    method,
                    path_parameters: params,
                },
            ));
        }
    }
    best.map(|(_, route)| route)
}

fn match_parts(
    parts: &[PathPart],
    segments: &[String],
) -> Option<(Rank, BTreeMap<String, String>)> {
    let mut rank = Vec::with_capacity(parts.len());
    let mut params = BTreeMap::new();
    for (i, part) in parts.iter().enumerate() {
        match part {
            PathPart::Literal(literal) => {
                if segments.get(i) != Some(literal) {
                    return None;
                }
                rank.push(3);
            }
            PathPart::Param(name) => {
                params.insert(name.clone(), segments.get(i)?.clone());
                rank.push(2);
            }
            PathPart::Greedy(name) => {
                if i + 1 != parts.len() || segments.len() <= i {
                    return None;
                }
                params.insert(name.clone(), segments[i..].join("/"));
                rank.push(1);
                return Some((rank, params));
            }
        }
    }
    (segments.len() == parts.len()).then_some((rank, params))
}

pub use crate::local::encoding::percent_decode;
