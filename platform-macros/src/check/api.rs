//! API rules: routes are well formed, a health check requests a route that
//! answers it, body schemas are JSON files that exist, production's apis
//! have a web ACL with a rate limit WAF takes, and a route's own throttle
//! stays within its stage's.

use syn::{Ident, LitStr};

use crate::ast::{ApiBody, AuthValue, Body, PerProfile, ResourceBlock, ThrottleValue};
use crate::ctxt::Ctxt;
use crate::json::{self, Json};
use crate::model::Model;
use crate::rules::Rule;
use crate::suggest;

/// The HTTP methods API Gateway takes (`ANY` matches them all).
pub const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        match &resource.body {
            Body::Api(api) => {
                check_routes(cx, resource, api);
                check_body_schemas(model, cx, api);
                check_waf(model, cx, resource, api);
                check_throttles(model, cx, api);
            }
            Body::HealthCheck(_) => check_health_check_route(model, cx, resource),
            _ => {}
        }
    }
}

/// Why `path` is not a route path API Gateway takes, if it is not.
pub(crate) fn path_problem(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return Some(format!("paths start with `/`, like `/{path}`"));
    }
    if path == "/" {
        return None;
    }
    if path.ends_with('/') {
        return Some(format!(
            "paths do not end with `/`; write `{}`",
            path.trim_end_matches('/')
        ));
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        if segment.is_empty() {
            return Some("the path has an empty segment (`//`)".to_owned());
        }
        if let Some(inner) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(name) => (name, true),
                None => (inner, false),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Some(format!(
                    "`{segment}` is not a path parameter; write `{{name}}` with letters, digits and `_`"
                ));
            }
            if greedy && i + 1 != segments.len() {
                return Some(format!(
                    "`{segment}` matches the rest of the path, so it comes last"
                ));
            }
            continue;
        }
        if let Some(c) = segment
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Some(format!(
                "`{segment}` has {c:?}; path segments are letters, digits, `-`, `_` and `.`, or a `{{parameter}}`"
            ));
        }
    }
    None
}

/// `api-route`: an api has at least one route (API Gateway refuses to deploy
/// one without methods); each route's method is one API Gateway takes,
/// written in capitals, and its path is a literal path with optional
/// `{parameters}`, so that it synthesizes to resources and methods
/// CloudFormation accepts.
fn check_routes(cx: &Ctxt, resource: &ResourceBlock, api: &ApiBody) {
    if let Some(routes) = &api.routes
        && routes.routes.is_empty()
    {
        cx.error_at(
            Rule::ApiRoute,
            routes.brace.span.join(),
            format!(
                "api `{}` has no routes; API Gateway cannot deploy an API without methods, so add one, like `GET \"/health\" => <function>`",
                resource.name
            ),
        );
    }
    for route in api.routes() {
        let method = route.method.to_string();
        if !METHODS.contains(&method.as_str()) {
            let upper = method.to_ascii_uppercase();
            let hint = if METHODS.contains(&upper.as_str()) {
                format!("; methods are written in capitals: `{upper}`")
            } else {
                suggest::hint(&upper, METHODS, "API Gateway takes")
            };
            cx.error(
                Rule::ApiRoute,
                &route.method,
                format!("unknown HTTP method `{method}`{hint}"),
            );
        }
        if let Some(problem) = path_problem(&route.path.value()) {
            cx.error(
                Rule::ApiRoute,
                &route.path,
                format!(
                    "route path {:?} is not valid: {problem}",
                    route.path.value()
                ),
            );
        }
    }
}

/// `api-route`: a health check requests a `GET` route of its api that needs
/// no authorization: Route 53 sends unsigned requests, so any other path
/// answers 403 or 404 and the check reports the API down forever.
fn check_health_check_route(model: &Model, cx: &Ctxt, resource: &ResourceBlock) {
    let Body::HealthCheck(health_check) = &resource.body else {
        return;
    };
    let Some(path) = &health_check.path else {
        return;
    };
    let text = path.value();
    if let Some(problem) = path_problem(&text) {
        cx.error(
            Rule::ApiRoute,
            path,
            format!("health check path {text:?} is not valid: {problem}"),
        );
        return;
    }
    let Some(api_name) = &health_check.api else {
        return;
    };
    let Some(Body::Api(api)) = model.resource(api_name).map(|r| &r.body) else {
        return;
    };
    let route = api
        .routes()
        .iter()
        .find(|route| route.path.value() == text && route.method == "GET");
    match route {
        None => cx.error(
            Rule::ApiRoute,
            path,
            format!(
                "health check `{}` requests `GET {text}`, but api `{api_name}` has no such route; add `GET {text:?} => <function>` to its `routes`",
                resource.name
            ),
        ),
        Some(route) if route.auth == Some(AuthValue::Iam) => cx.error(
            Rule::ApiRoute,
            path,
            format!(
                "health check `{}` requests `GET {text}`, which needs `auth: iam`; Route 53 sends unsigned requests, so check a route without auth",
                resource.name
            ),
        ),
        Some(_) => {}
    }
}

/// `api-body-schema`: a route's `body:` names a JSON schema file, relative
/// to the crate's directory, that exists and is a JSON object (API Gateway
/// models are JSON Schema draft 4). The file is read here, so a missing or
/// broken schema fails the build rather than the deploy; the expansion
/// includes it with `include_str!`, so cargo rebuilds when it changes.
fn check_body_schemas(model: &Model, cx: &Ctxt, api: &ApiBody) {
    for body in api.routes().iter().filter_map(|route| route.body.as_ref()) {
        if let Err(problem) = read_schema(model, body) {
            cx.error(Rule::ApiBodySchema, body, problem);
        }
    }
}

/// The schema `body` names, or what is wrong with it.
fn read_schema(model: &Model, body: &LitStr) -> Result<Json, String> {
    let path = body.value();
    if path.starts_with('/') || path.is_empty() {
        return Err(format!(
            "the body schema {path:?} must be a path relative to the crate's directory, like \"schemas/trade-order.json\""
        ));
    }
    let text = std::fs::read_to_string(model.manifest_dir.join(&path)).map_err(|e| {
        format!("cannot read the body schema {path:?} (relative to the crate's directory): {e}")
    })?;
    let schema =
        json::parse(&text).map_err(|e| format!("the body schema {path:?} is not JSON: {e}"))?;
    if !matches!(schema, Json::Object(_)) {
        return Err(format!(
            "the body schema {path:?} is not a JSON schema: its top level is not an object"
        ));
    }
    match schema.get("$schema") {
        None => {}
        Some(Json::String(uri)) if uri.contains("draft-04") => {}
        Some(other) => {
            return Err(format!(
                "the body schema {path:?} declares `$schema` {other}; API Gateway models are JSON Schema draft 4 (\"http://json-schema.org/draft-04/schema#\")"
            ));
        }
    }
    Ok(schema)
}

/// WAFv2's bounds on a rate-based rule's limit, requests per evaluation window.
pub const WAF_RATE_LIMITS: std::ops::RangeInclusive<u32> = 10..=2_000_000_000;

/// `api-waf`, `value-range`: an api deployed to production has a web ACL
/// (`waf:`): its stage is on the internet, and without one every request,
/// a flood from one address or a known exploit alike, reaches the
/// functions and their reserved concurrency. The rate limit is one WAF
/// takes: 10 to 2,000,000,000 requests per 5 minutes.
fn check_waf(model: &Model, cx: &Ctxt, resource: &ResourceBlock, api: &ApiBody) {
    let Some(waf) = &api.waf else {
        if let Some(production) = super::accounts::production(model).first() {
            cx.error(
                Rule::ApiWaf,
                &resource.name,
                format!(
                    "api `{}` has no web ACL, yet production (`{production}`) serves it on the internet, where a flood from one address or a known exploit reaches its functions; add `waf: {{ rate: 2000 }}` (requests per IP address per 5 minutes) for a rate limit and AWS's managed rules",
                    resource.name
                ),
            );
        }
        return;
    };
    for rate in waf.rate.iter().flat_map(PerProfile::values) {
        if !WAF_RATE_LIMITS.contains(&rate.value) {
            cx.error(
                Rule::ValueRange,
                &rate.lit,
                format!(
                    "`rate: {}` is out of range: WAF's rate-based rules take 10 to 2000000000 requests per IP address per 5 minutes",
                    rate.lit
                ),
            );
        }
    }
}

/// The value of `value` in `profile`, or `default` when it is not declared.
fn in_profile<'a, T>(
    value: Option<&'a PerProfile<T>>,
    profile: &Ident,
    default: Option<&'a T>,
) -> Option<&'a T> {
    match value {
        None => default,
        Some(PerProfile::Same(value)) => Some(value),
        Some(PerProfile::ByProfile { values, .. }) => values
            .iter()
            .find(|(name, _)| name == profile)
            .map(|(_, value)| value),
    }
}

/// `value-range`, `api-throttle`: a throttle lets requests through (a rate
/// and a burst above 0: API Gateway rejects every request at 0), and a
/// route's own throttle is no higher than its api's in any profile (API
/// Gateway's account limits, 10000 burst 5000, without `throttle:`): a
/// route's throttle is there to keep one route from using up what the
/// stage allows the others, and a method's limits above the stage's would
/// let it.
fn check_throttles(model: &Model, cx: &Ctxt, api: &ApiBody) {
    let declared = api.throttle.iter().flat_map(PerProfile::values).chain(
        api.routes()
            .iter()
            .flat_map(|route| route.throttle.iter().flat_map(PerProfile::values)),
    );
    for throttle in declared {
        if throttle.rate.value <= 0.0 || throttle.burst.value == 0 {
            cx.error(
                Rule::ValueRange,
                &throttle.rate.tokens,
                format!(
                    "`{} burst {}` lets no request through; API Gateway rejects every request at a rate or burst of 0, so use values above 0",
                    throttle.rate.text, throttle.burst.lit
                ),
            );
        }
    }
    let profiles = model
        .platform()
        .and_then(|p| p.profiles.as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    for route in api.routes() {
        for profile in profiles {
            let Some(own) = in_profile(route.throttle.as_ref(), profile, None) else {
                continue;
            };
            let (rate, burst) = match in_profile(api.throttle.as_ref(), profile, None) {
                Some(ThrottleValue { rate, burst }) => (rate.value, burst.value),
                None => (
                    crate::model::defaults::API_THROTTLE_RATE,
                    crate::model::defaults::API_THROTTLE_BURST,
                ),
            };
            if own.rate.value > rate || own.burst.value > burst {
                cx.error(
                    Rule::ApiThrottle,
                    &own.rate.tokens,
                    format!(
                        "route `{} {:?}` may take `{} burst {}` in `{profile}`, more than its api's `{rate} burst {burst}`; a route's own throttle lowers what it may use, so write at most `{rate} burst {burst}`",
                        route.method,
                        route.path.value(),
                        own.rate.text,
                        own.burst.lit,
                    ),
                );
                break;
            }
        }
    }
}
