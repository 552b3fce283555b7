//! The Lambda proxy integration (payload format 1.0): the event a function
//! receives for a request, and the HTTP response its result maps to.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_lambda::primitives::{DateTime, DateTimeFormat};
use serde_json::{Map, Value, json};

use super::routing::{Route, percent_decode};
use super::spec::{RestApiSpec, StageSpec};
use crate::local::types::Principal;

/// One request, as the proxy event describes it.
pub struct ProxyRequest<'a> {
    pub api: &'a RestApiSpec,
    pub stage: &'a StageSpec,
    pub route: &'a Route<'a>,
    /// The request's method (`POST`), also when the route's method is `ANY`.
    pub http_method: &'a str,
    /// The path after the stage, as received: `/trades`.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    /// Header names as the event spells them, with their values, in order.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    /// The body goes base64-encoded (its type is one of the API's binary media types).
    pub binary: bool,
    pub source_ip: &'a str,
    /// The signer, with the access key id they signed with (AWS_IAM methods).
    pub caller: Option<(&'a Principal, &'a str)>,
    pub request_id: &'a str,
    pub extended_request_id: &'a str,
    pub time: SystemTime,
    /// `HTTP/1.1`.
    pub protocol: &'a str,
    /// The `Host` the request was sent to.
    pub domain_name: &'a str,
}

/// The event a REST API's Lambda proxy integration passes the function.
pub fn event(request: &ProxyRequest) -> Value {
    let mut headers = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    for (name, value) in request.headers {
        headers.insert(name.clone(), Value::String(value.clone()));
        push(&mut multi_headers, name, value);
    }
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for pair in request
        .query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (percent_decode(name), percent_decode(value));
        query.insert(name.clone(), Value::String(value.clone()));
        push(&mut multi_query, &name, &value);
    }
    let path_parameters: Map<String, Value> = request
        .route
        .path_parameters
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let stage_variables: Map<String, Value> = request
        .stage
        .variables
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let user_agent = request
        .headers
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case("user-agent"))
        .map(|(_, v)| v.clone());
    let epoch = request.time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let identity = json!({
        "cognitoIdentityPoolId": null,
        "cognitoIdentityId": null,
        "cognitoAuthenticationType": null,
        "cognitoAuthenticationProvider": null,
        "apiKey": null,
        "apiKeyId": null,
        "accountId": request.caller.map(|(p, _)| p.account.clone()),
        "caller": request.caller.map(|(p, _)| p.user_id.clone()),
        "user": request.caller.map(|(p, _)| p.user_id.clone()),
        "userArn": request.caller.map(|(p, _)| p.arn.clone()),
        "accessKey": request.caller.map(|(_, key)| key.to_owned()),
        "principalOrgId": null,
        "sourceIp": request.source_ip,
        "userAgent": user_agent,
    });
    let body = if request.body.is_empty() {
        Value::Null
    } else if request.binary {
        Value::String(base64_encode(request.body))
    } else {
        Value::String(String::from_utf8_lossy(request.body).into_owned())
    };
    let host = request.domain_name.split(':').next().unwrap_or("");
    json!({
        "resource": request.route.resource.path,
        "path": request.path,
        "httpMethod": request.http_method,
        "headers": nonempty(headers),
        "multiValueHeaders": nonempty(multi_headers),
        "queryStringParameters": nonempty(query),
        "multiValueQueryStringParameters": nonempty(multi_query),
        "pathParameters": nonempty(path_parameters),
        "stageVariables": nonempty(stage_variables),
        "requestContext": {
            "accountId": request.api.account,
            "apiId": request.api.id,
            "resourceId": request.route.resource.id,
            "resourcePath": request.route.resource.path,
            "httpMethod": request.http_method,
            "extendedRequestId": request.extended_request_id,
            "requestTime": request_time(request.time),
            "requestTimeEpoch": epoch.as_millis() as u64,
            "path": format!("/{}{}", request.stage.name, request.path),
            "stage": request.stage.name,
            "deploymentId": request.stage.deployment_id,
            "domainName": request.domain_name,
            "domainPrefix": host.split('.').next().unwrap_or(host),
            "protocol": request.protocol,
            "requestId": request.request_id,
            "identity": identity,
            "authorizer": null,
        },
        "body": body,
        "isBase64Encoded": request.binary && !request.body.is_empty(),
    })
}

fn push(map: &mut Map<String, Value>, name: &str, value: &str) {
    match map.get_mut(name) {
        Some(Value::Array(values)) => values.push(Value::String(value.to_owned())),
        _ => {
            map.insert(name.to_owned(), json!([value]));
        }
    }
}

fn nonempty(map: Map<String, Value>) -> Value {
    if map.is_empty() {
        Value::Null
    } else {
        Value::Object(map)
    }
}

/// `09/Apr/2015:12:34:56 +0000`, as `requestContext.requestTime` spells it.
pub fn request_time(time: SystemTime) -> String {
    let iso = iso_seconds(time);
    // `2015-04-09T12:34:56Z`
    let (date, clock) = iso.split_once('T').unwrap_or((&iso, "00:00:00Z"));
    let mut parts = date.split('-');
    let (year, month, day) = (
        parts.next().unwrap_or("1970"),
        parts.next().unwrap_or("01"),
        parts.next().unwrap_or("01"),
    );
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = month
        .parse::<usize>()
        .ok()
        .and_then(|m| MONTHS.get(m.wrapping_sub(1)))
        .copied()
        .unwrap_or("Jan");
    format!("{day}/{month}/{year}:{} +0000", clock.trim_end_matches('Z'))
}

/// `2015-04-09T12:34:56Z`, whole seconds.
pub fn iso_seconds(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    DateTime::from_secs(secs as i64)
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_default()
}

/// `20150409T123456Z`, as `X-Amz-Date` spells a time.
pub fn amz_date(time: SystemTime) -> String {
    iso_seconds(time).replace(['-', ':'], "")
}

/// A `20150409T123456Z` time.
pub fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let iso = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &text[0..4],
        &text[4..6],
        &text[6..8],
        &text[9..11],
        &text[11..13],
        &text[13..15]
    );
    let parsed = DateTime::from_str(&iso, DateTimeFormat::DateTime).ok()?;
    SystemTime::try_from(parsed).ok()
}

/// The HTTP response a function's result maps to.
#[derive(Debug, PartialEq)]
pub struct ProxyResponse {
    pub status: u16,
    /// In order; a name may repeat.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Maps a function's result to the response, or says why API Gateway
/// would call it a "Malformed Lambda proxy response". A base64-encoded
/// body is sent decoded when `binary` says the response's content type (or
/// the request's `Accept`) is a binary media type, else as its text.
pub fn response(
    result: &Value,
    binary: impl Fn(Option<&str>) -> bool,
) -> Result<ProxyResponse, String> {
    let object = result
        .as_object()
        .ok_or_else(|| format!("the result is not an object: {result}"))?;
    for key in object.keys() {
        if !matches!(
            key.as_str(),
            "statusCode" | "headers" | "multiValueHeaders" | "body" | "isBase64Encoded"
        ) {
            return Err(format!("unexpected field `{key}`"));
        }
    }
    let status = match object.get("statusCode") {
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| format!("`statusCode` {n} is not an HTTP status code"))?
            as u16,
        None => return Err("no `statusCode`".to_owned()),
        Some(other) => return Err(format!("`statusCode` is not an integer: {other}")),
    };
    let mut single: BTreeMap<String, String> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    match object.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                let Value::String(value) = value else {
                    return Err(format!("header `{name}` is not a string: {value}"));
                };
                single.insert(name.clone(), value.clone());
                order.push(name.clone());
            }
        }
        Some(other) => return Err(format!("`headers` is not an object: {other}")),
    }
    let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
    match object.get("multiValueHeaders") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, values) in map {
                let Value::Array(values) = values else {
                    return Err(format!(
                        "`multiValueHeaders` `{name}` is not an array: {values}"
                    ));
                };
                let values = values
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_owned).ok_or_else(|| {
                            format!("`multiValueHeaders` `{name}` holds a non-string: {v}")
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if !single.contains_key(name) {
                    order.push(name.clone());
                }
                multi.insert(name.clone(), values);
            }
        }
        Some(other) => return Err(format!("`multiValueHeaders` is not an object: {other}")),
    }
    let base64 = match object.get("isBase64Encoded") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(format!("`isBase64Encoded` is not a boolean: {other}")),
    };
    let body = match object.get("body") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(format!("`body` is not a string: {other}")),
    };
    // Both given: the values of `multiValueHeaders` win for a name in both.
    let mut headers = Vec::new();
    for name in order {
        match multi.get(&name) {
            Some(values) => headers.extend(values.iter().map(|v| (name.clone(), v.clone()))),
            None => headers.push((name.clone(), single[&name].clone())),
        }
    }
    let content_type = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str());
    let body = if base64 && binary(content_type) {
        base64_decode(&body).ok_or_else(|| "`body` is not valid base64".to_owned())?
    } else {
        body.into_bytes()
    };
    Ok(ProxyResponse {
        status,
        headers,
        body,
    })
}

/// Standard base64, padded.
pub fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Standard base64 (padding optional); `None` if it is not.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
}
