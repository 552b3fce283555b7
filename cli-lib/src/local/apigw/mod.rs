//! The REST API's front door: an HTTP server on loopback serving each
//! stage of a template's `AWS::ApiGateway::RestApi` at
//! `http://127.0.0.1:PORT/<stage>/<path>`, answering as API Gateway (REST,
//! v1) does: its routing and `Missing Authentication Token`, SigV4 (IAM)
//! authentication and `execute-api:Invoke` authorization, request
//! validation against the methods' models, stage and method throttling,
//! and the Lambda proxy integration.
//!
//! - [`spec`]: what is served, read from the template ([`ApiSpec::from_template`]).
//! - [`routing`]: which resource and method a request reaches.
//! - [`throttle`]: the token buckets.
//! - [`proxy`]: the proxy integration's event and response mapping.

pub mod proxy;
pub mod routing;
pub mod spec;
pub mod throttle;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub use spec::{ApiSpec, RestApiSpec};

use crate::local::types::{
    AuthFailure, Authorizer, AuthzRequest, Decision, Invoker, Outcome, Principal,
    RequestAuthenticator,
};
use routing::Route;
use spec::{Authorization, Integration, MethodSpec};
use throttle::Throttles;

/// API Gateway's limit on a request's payload.
const MAX_BODY: usize = 10 * 1024 * 1024;

/// How far a signature's date may be from now.
const SIGNATURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// What the front door calls on: functions, signature checks, IAM.
#[derive(Clone)]
pub struct FrontDoorDeps {
    pub invoker: Arc<dyn Invoker>,
    pub authenticator: Arc<dyn RequestAuthenticator>,
    pub authorizer: Arc<dyn Authorizer>,
    pub region: String,
    pub account: String,
}

struct State {
    api: RestApiSpec,
    deps: FrontDoorDeps,
    throttles: Throttles,
    /// Compiled models, by (method logical id, content type).
    validators: HashMap<(String, String), jsonschema::Validator>,
}

/// Serves `api` on `listener` until the task is dropped or aborted: each
/// stage at `/<stage>/...`. Each connection is served on its own task.
pub async fn serve(listener: tokio::net::TcpListener, api: RestApiSpec, deps: FrontDoorDeps) {
    let mut validators = HashMap::new();
    for resource in &api.resources {
        for method in resource.methods.values() {
            for (content_type, model) in &method.request_models {
                // `from_template` compiled each schema already; one that
                // fails here cannot occur, and is then not validated.
                if let Ok(validator) = jsonschema::draft4::new(&model.schema) {
                    validators.insert((method.logical_id.clone(), content_type.clone()), validator);
                }
            }
        }
    }
    let state = Arc::new(State {
        api,
        deps,
        throttles: Throttles::default(),
        validators,
    });
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait, then go on.
                eprintln!("apigw: accepting a connection failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(handle(&state, request, remote).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The ids API Gateway gives every request, and returns in its headers.
struct Ids {
    request_id: String,
    apigw_id: String,
    trace_id: String,
}

impl Ids {
    fn new(headers: &HeaderMap) -> Ids {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let mut hasher = Sha256::new();
        hasher.update(n.to_le_bytes());
        hasher.update(now.as_nanos().to_le_bytes());
        hasher.update(std::process::id().to_le_bytes());
        let digest = hasher.finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let request_id = format!(
            "{}-{}-4{}-a{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        );
        let apigw_id = format!("{}=", &proxy::base64_encode(&digest[16..27])[..15]);
        // A caller's trace continues; otherwise one starts here.
        let trace_id = headers
            .get("x-amzn-trace-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.contains("Root="))
            .map(str::to_owned)
            .unwrap_or_else(|| format!("Root=1-{:08x}-{}", now.as_secs(), &hex[32..56]));
        Ids {
            request_id,
            apigw_id,
            trace_id,
        }
    }
}

/// A response of API Gateway itself (not the integration's).
fn gateway(
    ids: &Ids,
    status: u16,
    error_type: Option<&str>,
    body: String,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    insert(headers, "x-amzn-requestid", &ids.request_id);
    insert(headers, "x-amz-apigw-id", &ids.apigw_id);
    if let Some(kind) = error_type {
        insert(headers, "x-amzn-errortype", kind);
    }
    response
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn missing_token(ids: &Ids) -> Response<Full<Bytes>> {
    gateway(
        ids,
        403,
        Some("MissingAuthenticationTokenException"),
        r#"{"message":"Missing Authentication Token"}"#.to_owned(),
    )
}

fn internal_error(ids: &Ids) -> Response<Full<Bytes>> {
    gateway(
        ids,
        502,
        Some("InternalServerErrorException"),
        r#"{"message": "Internal server error"}"#.to_owned(),
    )
}

fn message(text: &str) -> String {
    json!({ "message": text }).to_string()
}

async fn handle(
    state: &State,
    request: Request<Incoming>,
    remote: SocketAddr,
) -> Response<Full<Bytes>> {
    let ids = Ids::new(request.headers());
    let (parts, body) = request.into_parts();
    let raw_path = parts.uri.path().to_owned();
    // `/<stage>` or `/<stage>/<path>`.
    let after_slash = raw_path.strip_prefix('/').unwrap_or(&raw_path);
    let (stage_name, path) = match after_slash.find('/') {
        Some(i) => (&after_slash[..i], &after_slash[i..]),
        None => (after_slash, "/"),
    };
    let api = &state.api;
    let Some(stage) = api.stage(stage_name) else {
        return missing_token(&ids);
    };
    let Some(route) = routing::route(api, path, parts.method.as_str()) else {
        return missing_token(&ids);
    };
    let method = route.method;

    let limits = stage
        .throttling
        .for_method(&route.resource.path, &method.http_method);
    if !state.throttles.admit(
        &stage.name,
        &route.resource.path,
        &method.http_method,
        limits,
    ) {
        return gateway(
            &ids,
            429,
            Some("TooManyRequestsException"),
            r#"{"message":"Too Many Requests"}"#.to_owned(),
        );
    }

    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return gateway(
                &ids,
                413,
                None,
                r#"{"message":"Request Too Long"}"#.to_owned(),
            );
        }
    };

    let caller = match method.authorization {
        Authorization::None => None,
        Authorization::AwsIam => {
            match authorize(state, &parts, &body, stage_name, path, remote, &ids).await {
                Ok(caller) => Some(caller),
                Err(response) => return response,
            }
        }
    };

    if let Some(response) = validate(
        state,
        method,
        &parts.headers,
        parts.uri.query(),
        &route,
        &body,
        &ids,
    ) {
        return response;
    }

    integrate(
        state, stage, &route, &parts, path, &body, remote, caller, &ids,
    )
    .await
}

/// Authenticates the signature and authorizes `execute-api:Invoke`; the
/// caller and the access key they signed with, or API Gateway's answer.
async fn authorize(
    state: &State,
    parts: &http::request::Parts,
    body: &[u8],
    stage: &str,
    path: &str,
    remote: SocketAddr,
    ids: &Ids,
) -> Result<(Principal, String), Response<Full<Bytes>>> {
    let api = &state.api;
    let principal = state
        .deps
        .authenticator
        .authenticate(
            "execute-api",
            &state.deps.region,
            &parts.method,
            &parts.uri,
            &parts.headers,
            body,
        )
        .map_err(|failure| auth_failure(&failure, &parts.headers, ids))?;
    let access_key = access_key_of(parts).unwrap_or_default();
    let resource = format!(
        "arn:aws:execute-api:{}:{}:{}/{}/{}/{}",
        api.region,
        api.account,
        api.id,
        stage,
        parts.method.as_str(),
        path.strip_prefix('/').unwrap_or(path)
    );
    let mut context = std::collections::BTreeMap::new();
    context.insert("aws:SourceIp".to_owned(), vec![remote.ip().to_string()]);
    context.insert("aws:SecureTransport".to_owned(), vec!["false".to_owned()]);
    context.insert(
        "aws:PrincipalArn".to_owned(),
        vec![principal.identity_arn.clone()],
    );
    context.insert(
        "aws:PrincipalAccount".to_owned(),
        vec![principal.account.clone()],
    );
    let question = AuthzRequest {
        identity_arn: principal.identity_arn.clone(),
        action: "execute-api:Invoke".to_owned(),
        resource: resource.clone(),
        context,
    };
    let decision = match state.deps.authorizer.authorize(&question).await {
        Ok(decision) => decision,
        Err(e) => {
            eprintln!(
                "apigw: authorizing {} on {resource} failed: {e:#}",
                principal.arn
            );
            return Err(gateway(
                ids,
                500,
                Some("InternalServerErrorException"),
                r#"{"message": "Internal server error"}"#.to_owned(),
            ));
        }
    };
    let suffix = match decision {
        Decision::Allowed => return Ok((principal, access_key)),
        Decision::ImplicitDeny => "",
        Decision::ExplicitDeny => " with an explicit deny",
    };
    let text = format!(
        "User: {} is not authorized to perform: execute-api:Invoke on resource: {}{suffix}",
        principal.arn,
        mask_account(&resource, &api.account)
    );
    Err(gateway(
        ids,
        403,
        Some("AccessDeniedException"),
        json!({ "Message": text }).to_string(),
    ))
}

/// API Gateway shows only the last four digits of the account in a denied resource's ARN.
pub fn mask_account(arn: &str, account: &str) -> String {
    if account.len() <= 4 {
        return arn.to_owned();
    }
    let masked = format!(
        "{}{}",
        "*".repeat(account.len() - 4),
        &account[account.len() - 4..]
    );
    arn.replacen(&format!(":{account}:"), &format!(":{masked}:"), 1)
}

/// The access key id of `Credential=AKID/...` (header or presigned query).
fn access_key_of(parts: &http::request::Parts) -> Option<String> {
    if let Some(header) = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    {
        let credential = header.split("Credential=").nth(1)?;
        return credential.split('/').next().map(str::to_owned);
    }
    let query = parts.uri.query()?;
    query.split('&').find_map(|pair| {
        let value = pair.strip_prefix("X-Amz-Credential=")?;
        routing::percent_decode(value)
            .split('/')
            .next()
            .map(str::to_owned)
    })
}

/// API Gateway's answer to a refused signature.
fn auth_failure(failure: &AuthFailure, headers: &HeaderMap, ids: &Ids) -> Response<Full<Bytes>> {
    match failure {
        AuthFailure::Missing => missing_token(ids),
        AuthFailure::UnknownKey(_) => gateway(
            ids,
            403,
            Some("UnrecognizedClientException"),
            r#"{"message":"The security token included in the request is invalid."}"#.to_owned(),
        ),
        AuthFailure::BadSignature => gateway(
            ids,
            403,
            Some("InvalidSignatureException"),
            message(
                "The request signature we calculated does not match the signature you provided. \
                 Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ),
        ),
        AuthFailure::Expired => gateway(
            ids,
            403,
            Some("InvalidSignatureException"),
            message(&expired_message(headers, SystemTime::now())),
        ),
        AuthFailure::Malformed(what) => gateway(
            ids,
            403,
            Some("IncompleteSignatureException"),
            message(what),
        ),
        AuthFailure::WrongScope(what) => {
            gateway(ids, 403, Some("InvalidSignatureException"), message(what))
        }
    }
}

/// `Signature expired: <date> is now earlier than <now - 15 min> (<now> - 15 min.)`,
/// or for a date ahead, `Signature not yet current: ...`.
pub fn expired_message(headers: &HeaderMap, now: SystemTime) -> String {
    let signed = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let signed_time = signed.as_deref().and_then(proxy::parse_amz_date);
    let signed = signed.unwrap_or_default();
    let now_text = proxy::amz_date(now);
    match signed_time {
        Some(t) if t > now => format!(
            "Signature not yet current: {signed} is still later than {} ({now_text} + 15 min.)",
            proxy::amz_date(now + SIGNATURE_WINDOW)
        ),
        _ => format!(
            "Signature expired: {signed} is now earlier than {} ({now_text} - 15 min.)",
            proxy::amz_date(now - SIGNATURE_WINDOW)
        ),
    }
}

/// The request's media type, lowercased, without parameters; API Gateway
/// takes a request without `Content-Type` as `application/json`.
fn content_type(headers: &HeaderMap) -> String {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "application/json".to_owned())
}

/// The method's validator applied: its required parameters, then its model
/// for the request's content type (else `$default`; neither, no check).
fn validate(
    state: &State,
    method: &MethodSpec,
    headers: &HeaderMap,
    query: Option<&str>,
    route: &Route,
    body: &[u8],
    ids: &Ids,
) -> Option<Response<Full<Bytes>>> {
    let validator = method.validator.as_ref()?;
    if validator.validate_parameters {
        let query_names: Vec<(String, String)> = query
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (n, v) = p.split_once('=').unwrap_or((p, ""));
                (routing::percent_decode(n), routing::percent_decode(v))
            })
            .collect();
        let mut missing = Vec::new();
        for (name, required) in &method.request_parameters {
            if !required {
                continue;
            }
            let Some(rest) = name.strip_prefix("method.request.") else {
                continue;
            };
            let (place, param) = rest.split_once('.').unwrap_or((rest, ""));
            let present = match place {
                "querystring" => query_names.iter().any(|(n, v)| n == param && !v.is_empty()),
                "header" => headers
                    .get_all(param)
                    .iter()
                    .any(|v| !v.as_bytes().iter().all(u8::is_ascii_whitespace)),
                "path" => route
                    .path_parameters
                    .get(param)
                    .is_some_and(|v| !v.is_empty()),
                _ => true,
            };
            if !present {
                missing.push(param.to_owned());
            }
        }
        if !missing.is_empty() {
            return Some(gateway(
                ids,
                400,
                Some("BadRequestException"),
                format!(
                    r#"{{"message": "Missing required request parameters: [{}]"}}"#,
                    missing.join(", ")
                ),
            ));
        }
    }
    if validator.validate_body {
        let schema = model_key(&method.request_models, headers)
            .and_then(|k| state.validators.get(&(method.logical_id.clone(), k)));
        if let Some(schema) = schema {
            if !body_is_valid(schema, body) {
                return Some(gateway(
                    ids,
                    400,
                    Some("BadRequestException"),
                    r#"{"message": "Invalid request body"}"#.to_owned(),
                ));
            }
        }
    }
    None
}

/// Which of a method's models applies to a request: the one for its
/// content type, else `$default`, else none (the body is not validated).
pub fn model_key<V>(
    models: &std::collections::BTreeMap<String, V>,
    headers: &HeaderMap,
) -> Option<String> {
    let content_type = content_type(headers);
    if models.contains_key(&content_type) {
        Some(content_type)
    } else if models.contains_key("$default") {
        Some("$default".to_owned())
    } else {
        None
    }
}

/// Whether `body` is JSON that `schema` accepts; an empty body is
/// validated as the empty object.
pub fn body_is_valid(schema: &jsonschema::Validator, body: &[u8]) -> bool {
    let instance = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(json!({}))
    } else {
        serde_json::from_slice::<Value>(body)
    };
    instance.map(|v| schema.is_valid(&v)).unwrap_or(false)
}

/// `content-type` -> `Content-Type`: the spelling most clients send (HTTP/1
/// names reach the server lowercased).
pub fn title_case(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Whether `media_type` is one of the API's binary media types (`image/png`, `image/*`, `*/*`).
fn is_binary(binary_types: &[String], media_type: Option<&str>) -> bool {
    let Some(media_type) = media_type else {
        return false;
    };
    let media_type = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    binary_types.iter().any(|pattern| {
        let pattern = pattern.to_ascii_lowercase();
        pattern == "*/*"
            || pattern == media_type
            || pattern
                .strip_suffix("/*")
                .is_some_and(|kind| media_type.split('/').next() == Some(kind))
    })
}

#[allow(clippy::too_many_arguments)]
async fn integrate(
    state: &State,
    stage: &spec::StageSpec,
    route: &Route<'_>,
    parts: &http::request::Parts,
    path: &str,
    body: &[u8],
    remote: SocketAddr,
    caller: Option<(Principal, String)>,
    ids: &Ids,
) -> Response<Full<Bytes>> {
    let api = &state.api;
    let Integration::LambdaProxy {
        function, timeout, ..
    } = &route.method.integration;
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in &parts.headers {
        headers.push((
            title_case(name.as_str()),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        ));
    }
    let source_ip = remote.ip().to_string();
    let forwarded_for = match parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
    {
        Some(earlier) => format!("{earlier}, {source_ip}"),
        None => source_ip.clone(),
    };
    headers.retain(|(n, _)| {
        !matches!(
            n.as_str(),
            "X-Forwarded-For" | "X-Forwarded-Port" | "X-Forwarded-Proto" | "X-Amzn-Trace-Id"
        )
    });
    let local_port = parts
        .headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.rsplit_once(':'))
        .map(|(_, p)| p.to_owned())
        .unwrap_or_else(|| "80".to_owned());
    headers.push(("X-Amzn-Trace-Id".to_owned(), ids.trace_id.clone()));
    headers.push(("X-Forwarded-For".to_owned(), forwarded_for));
    headers.push(("X-Forwarded-Port".to_owned(), local_port));
    headers.push(("X-Forwarded-Proto".to_owned(), "http".to_owned()));
    let domain_name = parts
        .headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let protocol = format!("{:?}", parts.version);
    let binary = is_binary(
        &api.binary_media_types,
        parts
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
    );
    let event = proxy::event(&proxy::ProxyRequest {
        api,
        stage,
        route,
        http_method: parts.method.as_str(),
        path,
        query: parts.uri.query(),
        headers: &headers,
        body,
        binary,
        source_ip: &source_ip,
        caller: caller.as_ref().map(|(p, k)| (p, k.as_str())),
        request_id: &ids.request_id,
        extended_request_id: &ids.apigw_id,
        time: SystemTime::now(),
        protocol: &protocol,
        domain_name: &domain_name,
    });

    let invoked = tokio::time::timeout(*timeout, state.deps.invoker.invoke(function, event)).await;
    let result = match invoked {
        Err(_) => {
            return gateway(
                ids,
                504,
                None,
                r#"{"message": "Endpoint request timed out"}"#.to_owned(),
            );
        }
        Ok(Err(e)) => {
            eprintln!("apigw: invoking {function} failed: {e:#}");
            return internal_error(ids);
        }
        Ok(Ok(result)) => result,
    };
    let value = match result.outcome {
        Outcome::Returned(value) => value,
        Outcome::Failed {
            error_type,
            error_message,
        } => {
            eprintln!(
                "apigw: {function} failed ({}): {error_type}: {error_message}",
                result.request_id
            );
            return internal_error(ids);
        }
        Outcome::TimedOut => {
            eprintln!("apigw: {function} timed out ({})", result.request_id);
            return internal_error(ids);
        }
    };
    let accept = parts
        .headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mapped = proxy::response(&value, |content_type| {
        is_binary(&api.binary_media_types, content_type)
            || is_binary(&api.binary_media_types, accept.as_deref())
    });
    let mapped = match mapped {
        Ok(mapped) => mapped,
        Err(why) => {
            eprintln!(
                "apigw: {} {}: Execution failed due to configuration error: Malformed Lambda proxy response ({why})",
                parts.method, parts.uri
            );
            return internal_error(ids);
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(mapped.body)));
    *response.status_mut() = StatusCode::from_u16(mapped.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let out = response.headers_mut();
    for (name, value) in &mapped.headers {
        let lower = name.to_ascii_lowercase();
        // API Gateway keeps these for itself and passes the function's under another name.
        let name = if matches!(
            lower.as_str(),
            "content-length" | "connection" | "date" | "server" | "transfer-encoding"
        ) {
            format!("x-amzn-remapped-{lower}")
        } else {
            lower
        };
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            out.append(name, value);
        }
    }
    if !out.contains_key("content-type") {
        out.insert("content-type", HeaderValue::from_static("application/json"));
    }
    insert(out, "x-amzn-requestid", &ids.request_id);
    insert(out, "x-amz-apigw-id", &ids.apigw_id);
    insert(out, "x-amzn-trace-id", &ids.trace_id);
    response
}
