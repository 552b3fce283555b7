//! The endpoint functions call AWS through. Each request's SigV4 signature
//! is verified and its signer found; the IAM actions and resources it
//! needs are worked out ([`super::iam::classify`]) and asked of the
//! [`Authorizer`]; a refusal is answered in the service's own error shape,
//! as AWS would, so handlers see the same `AccessDenied` errors; an allowed
//! request goes to moto unchanged and moto's answer comes back. Lambda
//! Requests on resources encrypted with a customer managed key also need
//! the caller's `kms:` permissions on the key ([`super::iam::kms`]), refused
//! with the service's own KMS error, as AWS does; moto never calls KMS.
//! `Invoke` is answered here through the [`Invoker`] (moto runs no code),
//! and the entries moto accepts from `PutEvents` are handed to the
//! [`EventSink`] with the ids moto gave them.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};

use super::iam::classify::{self, AwsRequest, Need, Protocol};
use super::iam::kms::{self, KeyMap};
use super::sigv4::Authorization;
use super::types::{
    AuthFailure, Authorizer, AuthzRequest, Decision, EventSink, Invoker, Outcome, Principal,
    PutEvent, RequestAuthenticator,
};

/// What the proxy needs.
#[derive(Clone)]
pub struct ProxyConfig {
    /// moto's base URL (`http://127.0.0.1:PORT`).
    pub upstream: String,
    /// Verifies signatures ([`super::sigv4::SigV4Authenticator`]); asked
    /// with the service of the request's own credential scope and
    /// [`ProxyConfig::region`].
    pub authenticator: Arc<dyn RequestAuthenticator>,
    pub authorizer: Arc<dyn Authorizer>,
    pub events: Arc<dyn EventSink>,
    pub invoker: Arc<dyn Invoker>,
    /// `tp local`'s region; requests signed for another are refused.
    pub region: String,
    pub account: String,
    /// Which resources are encrypted with which customer managed key
    /// ([`super::iam::key_map_from_template`]).
    pub keys: Arc<KeyMap>,
}

/// The proxy: one per `tp local`, shared by every connection.
pub struct AwsProxy {
    config: ProxyConfig,
    client: Client<HttpConnector, Full<Bytes>>,
    /// Secret names resolved to their ARNs (with the random suffix), which
    /// policies name.
    secret_arns: Mutex<HashMap<String, String>>,
}

/// Serves the proxy on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, config: ProxyConfig) -> anyhow::Result<()> {
    Arc::new(AwsProxy::new(config)).serve(listener).await
}

impl AwsProxy {
    pub fn new(config: ProxyConfig) -> AwsProxy {
        let client = Client::builder(TokioExecutor::new()).build_http();
        AwsProxy {
            config,
            client,
            secret_arns: Mutex::default(),
        }
    }

    /// Accepts connections on `listener`, each served on its own task.
    pub async fn serve(self: Arc<Self>, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
        loop {
            let (stream, _) = listener
                .accept()
                .await
                .context("accepting a connection to the AWS proxy")?;
            let _ = stream.set_nodelay(true);
            let proxy = self.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let proxy = proxy.clone();
                    async move { Ok::<_, Infallible>(proxy.handle(request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }

    /// Answers one request.
    pub async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let body = match body.collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                return plain(
                    StatusCode::BAD_REQUEST,
                    &format!("cannot read the body: {e}"),
                );
            }
        };
        self.handle_parts(parts, body).await
    }

    async fn handle_parts(
        &self,
        parts: http::request::Parts,
        body: Bytes,
    ) -> Response<Full<Bytes>> {
        let scope = Authorization::from_headers(&parts.headers);
        let service = match &scope {
            Ok(auth) => auth.service.clone(),
            Err(_) => guess_service(&parts.headers),
        };
        let protocol = classify::protocol_of(&service, &parts.headers);
        let head = parts.method == Method::HEAD;
        let principal = match scope.and_then(|_| {
            self.config.authenticator.authenticate(
                &service,
                &self.config.region,
                &parts.method,
                &parts.uri,
                &parts.headers,
                &body,
            )
        }) {
            Ok(p) => p,
            Err(failure) => return auth_failure(&service, protocol, &failure, head),
        };
        let aws_request = AwsRequest {
            service: &service,
            method: &parts.method,
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &parts.headers,
            body: &body,
            region: &self.config.region,
            account: &self.config.account,
        };
        let classified = match classify::classify(&aws_request) {
            Ok(c) => c,
            Err(refused) => {
                return denied(&service, refused.protocol, &refused.message, head);
            }
        };
        // The service's own permissions first, then the key's, as AWS
        // authorizes the request before the service calls KMS.
        let mut resolved: Vec<Need> = Vec::with_capacity(classified.needs.len());
        for need in &classified.needs {
            let mut need = need.clone();
            if need.resource.starts_with("arn:aws:secretsmanager:") {
                need.resource = self.resolve_secret(&parts, &need.resource).await;
            }
            resolved.push(need);
        }
        let key_needs = kms::key_needs(
            &aws_request,
            &classified,
            &resolved,
            &self.config.keys,
            &principal.account,
        );
        let own = resolved.into_iter().map(|n| (n, false));
        for (need, on_key) in own.chain(key_needs.into_iter().map(|n| (n, true))) {
            let mut context = need.context;
            context.insert(
                "aws:RequestedRegion".to_owned(),
                vec![self.config.region.clone()],
            );
            context.insert("aws:userid".to_owned(), vec![principal.user_id.clone()]);
            let question = AuthzRequest {
                identity_arn: principal.identity_arn.clone(),
                action: need.action,
                resource: need.resource,
                context,
            };
            let message = match self.config.authorizer.authorize(&question).await {
                Ok(Decision::Allowed) => continue,
                Ok(decision) => denial_message(&principal, &question, decision),
                Err(e) => format!(
                    "tp local could not evaluate {} on {} for {}, so it refuses the request: {e:#}",
                    question.action, question.resource, principal.arn
                ),
            };
            if on_key {
                return kms_denied(&service, protocol, &message, head);
            }
            return denied(&service, protocol, &message, head);
        }
        if service == "lambda" {
            return self.invoke(&parts, &body).await;
        }
        let response = match self.forward(&parts, body.clone()).await {
            Ok(r) => r,
            Err(e) => {
                return plain(
                    StatusCode::BAD_GATEWAY,
                    &format!(
                        "tp local's AWS proxy cannot reach the emulator at {}: {e:#}",
                        self.config.upstream
                    ),
                );
            }
        };
        if service == "events" && classified.operation == "PutEvents" && response.0.is_success() {
            self.publish(&body, &response.2);
        }
        let (status, headers, bytes) = response;
        let mut out = Response::new(Full::new(bytes));
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        out
    }

    /// Sends the request to moto as it came, and reads the whole answer.
    async fn forward(
        &self,
        parts: &http::request::Parts,
        body: Bytes,
    ) -> anyhow::Result<(StatusCode, HeaderMap, Bytes)> {
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let uri: http::Uri = format!("{}{path}", self.config.upstream.trim_end_matches('/'))
            .parse()
            .context("the upstream URL")?;
        let mut request = Request::builder()
            .method(parts.method.clone())
            .uri(uri)
            .body(Full::new(body.clone()))?;
        let headers = request.headers_mut();
        for (name, value) in &parts.headers {
            if !is_hop_by_hop(name.as_str()) {
                headers.append(name.clone(), value.clone());
            }
        }
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        let response = self.client.request(request).await?;
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await?.to_bytes();
        let mut headers = HeaderMap::new();
        for (name, value) in &parts.headers {
            if !is_hop_by_hop(name.as_str()) {
                headers.append(name.clone(), value.clone());
            }
        }
        Ok((parts.status, headers, bytes))
    }

    /// The full ARN (with its random suffix) of the secret a request names
    /// by name, as moto knows it; the name-based ARN when moto has no such
    /// secret (moto then answers ResourceNotFound itself).
    async fn resolve_secret(&self, parts: &http::request::Parts, arn: &str) -> String {
        let Some((_, name)) = arn.split_once(":secret:") else {
            return arn.to_owned();
        };
        if let Some(hit) = self.secret_arns.lock().expect("secret cache").get(name) {
            return hit.clone();
        }
        let mut describe = parts.clone();
        describe.method = Method::POST;
        describe.uri = http::Uri::from_static("/");
        describe.headers.insert(
            "x-amz-target",
            HeaderValue::from_static("secretsmanager.DescribeSecret"),
        );
        let body = Bytes::from(json!({"SecretId": name}).to_string());
        let found = match self.forward(&describe, body).await {
            Ok((status, _, bytes)) if status.is_success() => {
                serde_json::from_slice::<Value>(&bytes)
                    .ok()
                    .and_then(|v| v["ARN"].as_str().map(str::to_owned))
            }
            _ => None,
        };
        match found {
            Some(full) => {
                self.secret_arns
                    .lock()
                    .expect("secret cache")
                    .insert(name.to_owned(), full.clone());
                full
            }
            None => arn.to_owned(),
        }
    }

    /// Hands the entries moto accepted to the event sink, with moto's ids.
    fn publish(&self, request: &[u8], response: &[u8]) {
        let (Ok(request), Ok(response)) = (
            serde_json::from_slice::<Value>(request),
            serde_json::from_slice::<Value>(response),
        ) else {
            return;
        };
        let entries = request["Entries"].as_array().cloned().unwrap_or_default();
        let results = response["Entries"].as_array().cloned().unwrap_or_default();
        let events: Vec<PutEvent> = entries
            .iter()
            .zip(&results)
            .filter_map(|(entry, result)| {
                let id = result["EventId"].as_str()?;
                let text = |k: &str| entry[k].as_str().unwrap_or_default().to_owned();
                Some(PutEvent {
                    id: id.to_owned(),
                    bus_name: classify::bus_name(entry["EventBusName"].as_str()),
                    source: text("Source"),
                    detail_type: text("DetailType"),
                    detail: entry["Detail"].as_str().unwrap_or("{}").to_owned(),
                    resources: entry["Resources"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|r| r.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    time: event_time(&entry["Time"]),
                    account: self.config.account.clone(),
                    region: self.config.region.clone(),
                })
            })
            .collect();
        if !events.is_empty() {
            self.config.events.put_events(events);
        }
    }

    /// Lambda's Invoke, answered through the invoker.
    async fn invoke(&self, parts: &http::request::Parts, body: &[u8]) -> Response<Full<Bytes>> {
        let segment = parts.uri.path().trim_matches('/').split('/').nth(2);
        let function = classify::function_name(segment.unwrap_or_default());
        let payload: Value = if body.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(e) => {
                    return rest_json_error(
                        StatusCode::BAD_REQUEST,
                        "InvalidRequestContentException",
                        &format!("Could not parse request body into json: {e}"),
                    );
                }
            }
        };
        let invocation_type = parts
            .headers
            .get("x-amz-invocation-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("RequestResponse");
        match invocation_type {
            "DryRun" => return empty(StatusCode::NO_CONTENT),
            "Event" => {
                let invoker = self.config.invoker.clone();
                tokio::spawn(async move {
                    let _ = invoker.invoke(&function, payload).await;
                });
                return empty(StatusCode::ACCEPTED);
            }
            _ => {}
        }
        let result = match self.config.invoker.invoke(&function, payload).await {
            Ok(r) => r,
            Err(e) => {
                return rest_json_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "ServiceException",
                    &format!("tp local could not invoke {function}: {e:#}"),
                );
            }
        };
        let (body, error) = match &result.outcome {
            Outcome::Returned(v) => (v.to_string(), None),
            Outcome::Failed {
                error_type,
                error_message,
            } => (
                json!({"errorType": error_type, "errorMessage": error_message}).to_string(),
                Some("Unhandled"),
            ),
            Outcome::TimedOut => (
                json!({
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": format!(
                        "RequestId: {} Error: Task timed out after {:.2} seconds",
                        result.request_id,
                        result.duration.as_secs_f64()
                    ),
                })
                .to_string(),
                Some("Unhandled"),
            ),
        };
        let mut response = Response::new(Full::new(Bytes::from(body)));
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert(
            "x-amz-executed-version",
            HeaderValue::from_static("$LATEST"),
        );
        if let Ok(id) = HeaderValue::from_str(&result.request_id) {
            headers.insert("x-amzn-requestid", id);
        }
        if let Some(kind) = error {
            headers.insert("x-amz-function-error", HeaderValue::from_static(kind));
        }
        response
    }
}

fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "upgrade"
            | "te"
            | "trailer"
            | "content-length"
    )
}

/// Which service an unsigned request was for, to answer in its shape.
fn guess_service(headers: &HeaderMap) -> String {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let service = match target.split('.').next().unwrap_or_default() {
        "" => "s3",
        t if t.starts_with("DynamoDB") => "dynamodb",
        "AmazonSQS" => "sqs",
        "AWSEvents" => "events",
        "secretsmanager" => "secretsmanager",
        t if t.starts_with("Logs") => "logs",
        "TrentService" => "kms",
        _ => "unknown",
    };
    let form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if service == "s3" && form {
        "sts".to_owned()
    } else {
        service.to_owned()
    }
}

/// AWS's words for an identity-policy refusal.
pub fn denial_message(principal: &Principal, request: &AuthzRequest, decision: Decision) -> String {
    let (action, resource) = (&request.action, &request.resource);
    let why = match decision {
        Decision::ExplicitDeny => "with an explicit deny in an identity-based policy".to_owned(),
        _ => format!("because no identity-based policy allows the {action} action"),
    };
    format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} {why}",
        principal.arn
    )
}

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

/// A request id in the UUID layout AWS uses.
fn request_id() -> String {
    let n = REQUEST_IDS.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (t >> 32) as u32,
        (t >> 16) as u16,
        t & 0xfff,
        (n >> 48) & 0xfff,
        n & 0xffff_ffff_ffff
    )
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An error as `protocol` writes it.
fn error_response(
    service: &str,
    protocol: Protocol,
    status: StatusCode,
    code: &str,
    message: &str,
    head: bool,
) -> Response<Full<Bytes>> {
    error_response_typed(service, protocol, status, code, code, message, head)
}

/// An error as `protocol` writes it; `json_type` is the `__type` of SQS's
/// JSON protocol, whose query-compatible `code` travels in a header.
fn error_response_typed(
    service: &str,
    protocol: Protocol,
    status: StatusCode,
    code: &str,
    json_type: &str,
    message: &str,
    head: bool,
) -> Response<Full<Bytes>> {
    let id = request_id();
    let (content_type, body) = match protocol {
        Protocol::Json => {
            // DynamoDB qualifies the authentication and authorization
            // errors of its front end so; the SDKs strip the prefix.
            let kind = if service == "dynamodb" {
                format!("com.amazon.coral.service#{code}")
            } else {
                code.to_owned()
            };
            (
                "application/x-amz-json-1.1",
                json!({"__type": kind, "message": message}).to_string(),
            )
        }
        Protocol::SqsJson => (
            "application/x-amz-json-1.0",
            json!({"__type": json_type, "message": message}).to_string(),
        ),
        Protocol::RestJson => (
            "application/json",
            json!({"Type": "User", "Message": message, "message": message}).to_string(),
        ),
        Protocol::Query => (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{id}</RequestId></ErrorResponse>",
                xml_escape(message)
            ),
        ),
        Protocol::S3 => (
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message><RequestId>{id}</RequestId></Error>",
                xml_escape(message)
            ),
        ),
    };
    let body = if head { String::new() } else { body };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert("x-amzn-requestid", v.clone());
        if protocol == Protocol::S3 {
            headers.insert("x-amz-request-id", v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(code) {
        if matches!(protocol, Protocol::Json | Protocol::RestJson) {
            headers.insert("x-amzn-errortype", v);
        }
    }
    if protocol == Protocol::SqsJson {
        if let Ok(v) = HeaderValue::from_str(&format!("{code};Sender")) {
            headers.insert("x-amzn-query-error", v);
        }
    }
    response
}

/// An IAM refusal in the service's own shape.
pub fn denied(
    service: &str,
    protocol: Protocol,
    message: &str,
    head: bool,
) -> Response<Full<Bytes>> {
    let (status, code) = match (service, protocol) {
        (_, Protocol::Json) => (StatusCode::BAD_REQUEST, "AccessDeniedException"),
        (_, Protocol::RestJson) => (StatusCode::FORBIDDEN, "AccessDeniedException"),
        ("sns", _) => (StatusCode::FORBIDDEN, "AuthorizationError"),
        _ => (StatusCode::FORBIDDEN, "AccessDenied"),
    };
    error_response(service, protocol, status, code, message, head)
}

/// A refusal of the caller's use of a resource's KMS key, in the shape the
/// service answers it (each service wraps KMS's `AccessDeniedException`):
/// SQS `KmsAccessDenied` (query code `KMS.AccessDeniedException`, 400),
/// SNS `KMSAccessDenied` (400), S3 `AccessDenied` (403), Secrets Manager
/// `AccessDeniedException` "Access to KMS is not allowed" (400), DynamoDB
/// `AccessDeniedException` "KMS key access denied error" (400). `message`
/// is KMS's own denial, kept so the missing grant is named.
pub fn kms_denied(
    service: &str,
    protocol: Protocol,
    message: &str,
    head: bool,
) -> Response<Full<Bytes>> {
    let id = request_id();
    let from_kms = format!(
        "{message} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: {id}; Proxy: null)"
    );
    let bad = StatusCode::BAD_REQUEST;
    match service {
        "sqs" => error_response_typed(
            service,
            protocol,
            bad,
            "KMS.AccessDeniedException",
            "com.amazonaws.sqs#KmsAccessDenied",
            &from_kms,
            head,
        ),
        "sns" => error_response(service, protocol, bad, "KMSAccessDenied", &from_kms, head),
        "secretsmanager" => error_response(
            service,
            protocol,
            bad,
            "AccessDeniedException",
            &format!("Access to KMS is not allowed ({message})"),
            head,
        ),
        "dynamodb" => error_response(
            service,
            protocol,
            bad,
            "AccessDeniedException",
            &format!(
                "KMS key access denied error: com.amazonaws.services.kms.model.AWSKMSException: {from_kms}"
            ),
            head,
        ),
        _ => denied(service, protocol, message, head),
    }
}

/// A signature refusal as the service answers it.
pub fn auth_failure(
    service: &str,
    protocol: Protocol,
    failure: &AuthFailure,
    head: bool,
) -> Response<Full<Bytes>> {
    const BAD: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
    const TOKEN: &str = "The security token included in the request is invalid.";
    let expired = || {
        "Signature expired: the request's X-Amz-Date is more than 15 minutes from the current time."
            .to_owned()
    };
    let (code, message) = match (protocol, failure) {
        (Protocol::S3, AuthFailure::Missing) => ("AccessDenied", "Access Denied".to_owned()),
        (Protocol::S3, AuthFailure::UnknownKey(_)) => (
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.".to_owned(),
        ),
        (Protocol::S3, AuthFailure::BadSignature) => ("SignatureDoesNotMatch", BAD.to_owned()),
        (Protocol::S3, AuthFailure::Expired) => (
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.".to_owned(),
        ),
        (Protocol::S3, AuthFailure::Malformed(m) | AuthFailure::WrongScope(m)) => {
            ("AuthorizationHeaderMalformed", m.clone())
        }
        (Protocol::Query | Protocol::SqsJson, f) => match f {
            AuthFailure::Missing => (
                "MissingAuthenticationToken",
                "Request is missing Authentication Token".to_owned(),
            ),
            AuthFailure::UnknownKey(_) => ("InvalidClientTokenId", TOKEN.to_owned()),
            AuthFailure::BadSignature => ("SignatureDoesNotMatch", BAD.to_owned()),
            AuthFailure::Expired => ("SignatureDoesNotMatch", expired()),
            AuthFailure::WrongScope(m) => ("SignatureDoesNotMatch", m.clone()),
            AuthFailure::Malformed(m) => ("IncompleteSignature", m.clone()),
        },
        (_, f) => match f {
            AuthFailure::Missing => (
                "MissingAuthenticationTokenException",
                "Missing Authentication Token".to_owned(),
            ),
            AuthFailure::UnknownKey(_) => ("UnrecognizedClientException", TOKEN.to_owned()),
            AuthFailure::BadSignature => ("InvalidSignatureException", BAD.to_owned()),
            AuthFailure::Expired => ("InvalidSignatureException", expired()),
            AuthFailure::WrongScope(m) => ("InvalidSignatureException", m.clone()),
            AuthFailure::Malformed(m) => ("IncompleteSignatureException", m.clone()),
        },
    };
    let status = match protocol {
        Protocol::Json => StatusCode::BAD_REQUEST,
        _ => StatusCode::FORBIDDEN,
    };
    error_response(service, protocol, status, code, &message, head)
}

fn rest_json_error(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    error_response("lambda", Protocol::RestJson, status, code, message, false)
}

fn plain(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(message.to_owned())));
    *response.status_mut() = status;
    response
}

fn empty(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// A `PutEvents` entry's `Time` (epoch seconds, as the SDKs send it, or
/// text), or now, as RFC 3339.
fn event_time(time: &Value) -> String {
    let secs = match time {
        Value::Number(n) => n.as_f64().map(|f| f as u64),
        Value::String(s) if s.parse::<f64>().is_ok() => s.parse::<f64>().ok().map(|f| f as u64),
        Value::String(s) => return s.clone(),
        _ => None,
    };
    let secs = secs.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
    });
    super::iam::rfc3339(secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    async fn body_text(response: Response<Full<Bytes>>) -> (StatusCode, HeaderMap, String) {
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }

    fn principal() -> Principal {
        Principal {
            arn: "arn:aws:sts::123456789012:assumed-role/fn-role/fn".into(),
            identity_arn: "arn:aws:iam::123456789012:role/fn-role".into(),
            account: "123456789012".into(),
            user_id: "AROAEXAMPLE:fn".into(),
        }
    }

    #[test]
    fn denial_messages_are_aws_words() {
        let request = AuthzRequest {
            identity_arn: principal().identity_arn,
            action: "sqs:SendMessage".into(),
            resource: "arn:aws:sqs:us-east-1:123456789012:B".into(),
            context: BTreeMap::new(),
        };
        assert_eq!(
            denial_message(&principal(), &request, Decision::ImplicitDeny),
            "User: arn:aws:sts::123456789012:assumed-role/fn-role/fn is not authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:us-east-1:123456789012:B because no identity-based policy allows the sqs:SendMessage action"
        );
        assert!(
            denial_message(&principal(), &request, Decision::ExplicitDeny)
                .ends_with("with an explicit deny in an identity-based policy")
        );
    }

    #[tokio::test]
    async fn denials_take_each_protocols_shape() {
        let (status, headers, body) =
            body_text(denied("dynamodb", Protocol::Json, "no <way>", false)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v["__type"],
            "com.amazon.coral.service#AccessDeniedException"
        );
        assert_eq!(v["message"], "no <way>");
        assert_eq!(headers["x-amzn-errortype"], "AccessDeniedException");

        let (status, headers, body) = body_text(denied("sqs", Protocol::SqsJson, "m", false)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(headers["x-amzn-query-error"], "AccessDenied;Sender");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["__type"], "AccessDenied");

        let (status, _, body) =
            body_text(denied("monitoring", Protocol::Query, "a&b", false)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(
            body.starts_with("<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>a&amp;b</Message>"),
            "{body}"
        );
        let (_, _, body) = body_text(denied("sns", Protocol::Query, "m", false)).await;
        assert!(body.contains("<Code>AuthorizationError</Code>"), "{body}");

        let (status, headers, body) = body_text(denied("s3", Protocol::S3, "m", false)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(
            body.contains("<Error><Code>AccessDenied</Code><Message>m</Message>"),
            "{body}"
        );
        assert!(headers.contains_key("x-amz-request-id"));
        let (_, _, body) = body_text(denied("s3", Protocol::S3, "m", true)).await;
        assert!(body.is_empty(), "HEAD answers carry no body");

        let (status, headers, _) =
            body_text(denied("lambda", Protocol::RestJson, "m", false)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(headers["x-amzn-errortype"], "AccessDeniedException");
    }

    #[tokio::test]
    async fn key_refusals_take_each_services_kms_error() {
        let m = "User: r is not authorized to perform: kms:Decrypt on resource: k";
        let (status, headers, body) =
            body_text(kms_denied("sqs", Protocol::SqsJson, m, false)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            headers["x-amzn-query-error"],
            "KMS.AccessDeniedException;Sender"
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["__type"], "com.amazonaws.sqs#KmsAccessDenied");
        assert!(v["message"].as_str().unwrap().starts_with(m), "{v}");
        let (_, _, body) = body_text(kms_denied("sqs", Protocol::Query, m, false)).await;
        assert!(
            body.contains("<Code>KMS.AccessDeniedException</Code>"),
            "{body}"
        );
        let (status, _, body) = body_text(kms_denied("sns", Protocol::Query, m, false)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("<Code>KMSAccessDenied</Code>"), "{body}");
        let (status, _, body) = body_text(kms_denied("s3", Protocol::S3, m, false)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
        let (status, headers, body) =
            body_text(kms_denied("secretsmanager", Protocol::Json, m, false)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(headers["x-amzn-errortype"], "AccessDeniedException");
        assert!(body.contains("Access to KMS is not allowed"), "{body}");
        let (_, _, body) = body_text(kms_denied("dynamodb", Protocol::Json, m, false)).await;
        assert!(body.contains("KMS key access denied error"), "{body}");
    }

    #[tokio::test]
    async fn signature_failures_answer_as_the_services_do() {
        let cases = [
            (
                "dynamodb",
                Protocol::Json,
                AuthFailure::BadSignature,
                400,
                "InvalidSignatureException",
            ),
            (
                "dynamodb",
                Protocol::Json,
                AuthFailure::UnknownKey("X".into()),
                400,
                "UnrecognizedClientException",
            ),
            (
                "sqs",
                Protocol::SqsJson,
                AuthFailure::BadSignature,
                403,
                "SignatureDoesNotMatch",
            ),
            (
                "sns",
                Protocol::Query,
                AuthFailure::UnknownKey("X".into()),
                403,
                "InvalidClientTokenId",
            ),
            (
                "s3",
                Protocol::S3,
                AuthFailure::BadSignature,
                403,
                "SignatureDoesNotMatch",
            ),
            (
                "s3",
                Protocol::S3,
                AuthFailure::UnknownKey("X".into()),
                403,
                "InvalidAccessKeyId",
            ),
            (
                "lambda",
                Protocol::RestJson,
                AuthFailure::Expired,
                403,
                "InvalidSignatureException",
            ),
        ];
        for (service, protocol, failure, status, code) in cases {
            let (got, headers, body) =
                body_text(auth_failure(service, protocol, &failure, false)).await;
            assert_eq!(got.as_u16(), status, "{service} {failure:?}");
            let found =
                body.contains(code) || headers.get("x-amzn-errortype").is_some_and(|v| v == code);
            assert!(found, "{service} {failure:?}: {body}");
        }
    }

    #[test]
    fn event_times_and_services() {
        assert_eq!(event_time(&json!(1_440_938_160)), "2015-08-30T12:36:00Z");
        assert_eq!(
            event_time(&json!("2020-01-01T00:00:00Z")),
            "2020-01-01T00:00:00Z"
        );
        assert!(event_time(&Value::Null).ends_with('Z'));
        let mut h = HeaderMap::new();
        h.insert(
            "x-amz-target",
            HeaderValue::from_static("DynamoDB_20120810.GetItem"),
        );
        assert_eq!(guess_service(&h), "dynamodb");
        assert_eq!(guess_service(&HeaderMap::new()), "s3");
        let a = request_id();
        assert_ne!(a, request_id());
        assert_eq!(a.len(), 36);
    }
}
