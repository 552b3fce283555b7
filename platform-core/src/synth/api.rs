//! The API construct: an API Gateway REST API whose routes proxy to
//! functions.
//!
//! Each route gets its resources (one per path segment), a method with a
//! Lambda proxy integration, the API's request validator (bodies and
//! parameters) with a JSON-schema model where the route declares a body and
//! its path's `{parameters}` required, and the permission for API Gateway
//! to invoke the function from that route only. The stage has JSON access
//! logs and execution logs, each in a group of the stack's with the
//! profile's retention and the declared key, X-Ray tracing, per-profile
//! throttling and a route's own throttle where it declares one, and the
//! api's web ACL where it declares one (see [`super::waf`]).
//! The deployment's logical id carries a hash of the routes, so a changed API
//! is redeployed and an unchanged one is not.
//!
//! Routes marked `auth: iam` require SigV4-signed requests: IAM, not API
//! keys, because API keys identify callers but do not authenticate them;
//! per-stage throttling covers rate limiting.

use std::collections::BTreeMap;

use crate::naming::pascal_case;
use crate::spec::{ApiSpec, Auth, Throttle};
use crate::template::{RemovalPolicy, Resource, Value};

use super::assets::sha256_hex;
use super::{Context, SynthError};

/// The access-log line, one JSON object per request.
const ACCESS_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","user":"$context.identity.user","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","integrationLatency":"$context.integrationLatency","latency":"$context.responseLatency","errorMessage":"$context.error.message","xrayTraceId":"$context.xrayTraceId"}"#;

/// `POST` + `/trades/{id}` -> `PostTradesId`.
fn route_id(method: &str, path: &str) -> String {
    let mut id = pascal_case(&method.to_ascii_lowercase());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        id.push_str(&pascal_case(&segment.replace(['{', '}'], "")));
    }
    if path == "/" {
        id.push_str("Root");
    }
    id
}

/// The invoke URL of a stage.
pub(crate) fn url(api_id: &str, stage: &str) -> Value {
    Value::sub(format!(
        "https://${{{api_id}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage}"
    ))
}

/// The host name of an API, for health checks.
pub(crate) fn host(api_id: &str) -> Value {
    Value::sub(format!(
        "${{{api_id}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"
    ))
}

pub(crate) fn api(cx: &mut Context<'_>, name: &str, spec: &ApiSpec) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    let api_name = cx.physical_name("apigw", name);
    cx.add(
        &id,
        Resource::new("AWS::ApiGateway::RestApi")
            .prop("Name", api_name.as_str())
            .prop("Description", format!("{} API `{name}`", cx.platform.name))
            .prop(
                "EndpointConfiguration",
                Value::map([("Types", Value::list([Value::str("REGIONAL")]))]),
            )
            .prop("Tags", cx.tag_list()),
    )?;

    // One resource per distinct path prefix.
    let mut resources: BTreeMap<String, String> = BTreeMap::new();
    for route in &spec.routes {
        let mut prefix = String::new();
        let mut parent = Value::get_att(&id, "RootResourceId");
        for segment in route.path.split('/').filter(|s| !s.is_empty()) {
            prefix.push('/');
            prefix.push_str(segment);
            let resource_id = format!("{id}{}Resource", route_id("", &prefix));
            if !resources.contains_key(&prefix) {
                cx.add(
                    &resource_id,
                    Resource::new("AWS::ApiGateway::Resource")
                        .prop("RestApiId", Value::Ref(id.clone()))
                        .prop("ParentId", parent.clone())
                        .prop("PathPart", segment),
                )?;
                resources.insert(prefix.clone(), resource_id.clone());
            }
            parent = Value::Ref(resource_id);
        }
    }

    // One validator for every method: the body against the route's model,
    // where it declares one, and the parameters each method requires (the
    // path's `{parameters}`).
    let validator = format!("{id}RequestValidator");
    cx.add(
        &validator,
        Resource::new("AWS::ApiGateway::RequestValidator")
            .prop("RestApiId", Value::Ref(id.clone()))
            .prop("Name", "body-and-parameters")
            .prop("ValidateRequestBody", true)
            .prop("ValidateRequestParameters", true),
    )?;

    let mut methods = Vec::new();
    let mut fingerprint = String::new();
    for route in &spec.routes {
        let rid = route_id(&route.method, &route.path);
        let method_id = format!("{id}{rid}Method");
        let function_id = cx.logical_id(&route.function);
        let resource = match resources.get(route.path.trim_end_matches('/')) {
            Some(r) => Value::Ref(r.clone()),
            None => Value::get_att(&id, "RootResourceId"),
        };
        let mut method = Resource::new("AWS::ApiGateway::Method")
            .prop("RestApiId", Value::Ref(id.clone()))
            .prop("ResourceId", resource)
            .prop("HttpMethod", route.method.as_str())
            .prop(
                "AuthorizationType",
                match route.auth {
                    Auth::None => "NONE",
                    Auth::Iam => "AWS_IAM",
                },
            )
            .prop(
                "Integration",
                Value::map([
                    ("Type", Value::str("AWS_PROXY")),
                    ("IntegrationHttpMethod", Value::str("POST")),
                    (
                        "Uri",
                        Value::sub(format!(
                            "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{function_id}.Arn}}/invocations"
                        )),
                    ),
                ]),
            )
            .prop("RequestValidatorId", Value::Ref(validator.clone()));
        let parameters = path_parameters(&route.path);
        if !parameters.is_empty() {
            method = method.prop(
                "RequestParameters",
                Value::map(
                    parameters
                        .iter()
                        .map(|p| (format!("method.request.path.{p}"), Value::Bool(true))),
                ),
            );
        }
        if let Some(schema) = &route.body_schema {
            let model_id = format!("{id}{rid}Model");
            let schema: serde_json::Value = serde_json::from_str(schema).map_err(|e| {
                SynthError::Invalid(format!(
                    "api `{name}` route {} {}: body schema: {e}",
                    route.method, route.path
                ))
            })?;
            cx.add(
                &model_id,
                Resource::new("AWS::ApiGateway::Model")
                    .prop("RestApiId", Value::Ref(id.clone()))
                    .prop("ContentType", "application/json")
                    .prop("Name", format!("{rid}Body"))
                    .prop("Schema", json_value(&schema)),
            )?;
            method = method.prop(
                "RequestModels",
                Value::map([("application/json", Value::Ref(model_id))]),
            );
        }
        if route.auth == Auth::None {
            let why = "Deliberately public: health checks (Route 53) call this route without credentials; it reveals only dependency status";
            super::checkov_skip(&mut method, &[("CKV_AWS_59", why)]);
            super::nag_suppress(
                &mut method,
                ["AwsSolutions-APIG4", "AwsSolutions-COG4"],
                why,
            );
        } else {
            super::nag_suppress(
                &mut method,
                ["AwsSolutions-COG4"],
                "Authorized with IAM (SigV4): callers are IAM principals whose policies grant execute-api:Invoke on this route; API Gateway's guidance is IAM or Cognito, and the callers are services, not end users",
            );
        }
        fingerprint.push_str(&format!(
            "{} {} {} {:?} {:?} {:?};",
            route.method, route.path, route.function, route.auth, route.body_schema, parameters
        ));
        cx.add(&method_id, method)?;
        methods.push(method_id);

        cx.add(
            &format!("{id}{rid}Permission"),
            Resource::new("AWS::Lambda::Permission")
                .prop("Action", "lambda:InvokeFunction")
                .prop("FunctionName", Value::get_att(&function_id, "Arn"))
                .prop("Principal", "apigateway.amazonaws.com")
                .prop(
                    "SourceArn",
                    Value::sub(format!(
                        "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{id}}}/{}/{}{}",
                        spec.stage, route.method, route.path
                    )),
                ),
        )?;
    }

    // A new deployment whenever the routes change.
    let deployment = format!("{id}Deployment{}", &sha256_hex(fingerprint.as_bytes())[..8]);
    let mut deployment_resource = Resource::new("AWS::ApiGateway::Deployment")
        .prop("RestApiId", Value::Ref(id.clone()))
        .prop("Description", "Routes of this template");
    for method in &methods {
        deployment_resource = deployment_resource.depends_on(method);
    }
    cx.add(&deployment, deployment_resource)?;

    let retention = spec.log_retention_days.get(cx.profile);
    let log_group = format!("{id}AccessLogGroup");
    cx.add(
        &log_group,
        Resource::new("AWS::Logs::LogGroup")
            .prop("LogGroupName", format!("/aws/apigateway/{api_name}"))
            .prop("RetentionInDays", retention)
            .prop("KmsKeyId", cx.key_arn(&spec.key))
            .prop("Tags", cx.tag_list())
            .removal(RemovalPolicy::Delete),
    )?;
    // API Gateway writes execution logs to a group of this fixed name, and
    // creates it, unencrypted and kept forever, outside the stack, unless
    // it exists: declared here, it has the stack's retention and key and
    // is deleted with it. The stage depends on it, so it exists before the
    // first request is logged.
    let execution_log_group = format!("{id}ExecutionLogGroup");
    cx.add(
        &execution_log_group,
        Resource::new("AWS::Logs::LogGroup")
            .prop(
                "LogGroupName",
                Value::sub(format!(
                    "API-Gateway-Execution-Logs_${{{id}}}/{}",
                    spec.stage
                )),
            )
            .prop("RetentionInDays", retention)
            .prop("KmsKeyId", cx.key_arn(&spec.key))
            .prop("Tags", cx.tag_list())
            .removal(RemovalPolicy::Delete),
    )?;
    let throttle = spec.throttle.get(cx.profile);
    let mut method_settings = vec![method_setting("/*", "*", throttle)];
    for route in &spec.routes {
        if let Some(own) = &route.throttle {
            method_settings.push(method_setting(
                &settings_path(&route.path),
                &route.method,
                own.get(cx.profile),
            ));
        }
    }
    let stage_id = format!("{id}Stage");
    let mut stage = Resource::new("AWS::ApiGateway::Stage")
        .depends_on(&execution_log_group)
        .prop("RestApiId", Value::Ref(id.clone()))
        .prop("StageName", spec.stage.as_str())
        .prop("DeploymentId", Value::Ref(deployment))
        .prop("TracingEnabled", true)
        .prop(
            "AccessLogSetting",
            Value::map([
                ("DestinationArn", Value::get_att(&log_group, "Arn")),
                ("Format", Value::str(ACCESS_LOG_FORMAT)),
            ]),
        )
        .prop("MethodSettings", Value::List(method_settings))
        // Execution logging needs the account's API Gateway logging role,
        // which the bootstrap stack sets (one per account and region): an
        // environment is deployed into a bootstrapped region.
        .prop("Tags", cx.tag_list());
    let no_cache =
        "No response caching: trade submissions and health answers must never be served stale";
    super::checkov_skip(&mut stage, &[("CKV_AWS_120", no_cache)]);
    super::nag_suppress(
        &mut stage,
        super::compliance_rule("APIGWCacheEnabledAndEncrypted", super::HIPAA_NIST_PCI),
        no_cache,
    );
    super::nag_suppress(
        &mut stage,
        super::compliance_rule("APIGWSSLEnabled", super::HIPAA_NIST_PCI),
        "A client certificate authenticates API Gateway to HTTP backends; every integration of this API is a Lambda proxy integration, invoked through IAM",
    );
    cx.add(&stage_id, stage)?;
    if let Some(domain) = &spec.domain {
        super::dns::api_domain(cx, name, &id, &stage_id, domain)?;
    }
    match &spec.waf {
        Some(waf) => super::waf::waf(cx, name, &id, &stage_id, spec, waf),
        None => Ok(()),
    }
}

/// The settings of the methods `http_method` at `resource_path` (`/*` and
/// `*`: every method): execution logs without bodies, metrics, and
/// `throttle`. A method's own entry replaces the stage's for it, so it
/// repeats the logging and metrics.
fn method_setting(resource_path: &str, http_method: &str, throttle: Throttle) -> Value {
    Value::map([
        ("ResourcePath", Value::str(resource_path)),
        ("HttpMethod", Value::str(http_method)),
        ("LoggingLevel", Value::str("INFO")),
        ("DataTraceEnabled", Value::Bool(false)),
        ("MetricsEnabled", Value::Bool(true)),
        ("ThrottlingRateLimit", Value::Float(throttle.rate_per_sec)),
        ("ThrottlingBurstLimit", Value::from(throttle.burst)),
    ])
}

/// A route path as `MethodSettings` spells it: a `/`, then the path with
/// every `/` as `~1` (`/trades/{id}` -> `/~1trades~1{id}`); the root is `/`.
fn settings_path(path: &str) -> String {
    if path == "/" {
        return path.to_owned();
    }
    format!("/{}", path.replace('/', "~1"))
}

/// The `{parameters}` of a route path, greedy ones (`{proxy+}`) by their
/// name.
fn path_parameters(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|p| p.trim_end_matches('+').to_owned())
        .collect()
}

/// Plain JSON data as a template value.
pub(crate) fn json_value(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or_default()),
        },
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(items) => Value::List(items.iter().map(json_value).collect()),
        serde_json::Value::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), json_value(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_ids_are_method_and_path_in_pascal_case() {
        assert_eq!(route_id("POST", "/trades"), "PostTrades");
        assert_eq!(route_id("GET", "/health"), "GetHealth");
        assert_eq!(route_id("GET", "/trades/{id}"), "GetTradesId");
        assert_eq!(route_id("GET", "/"), "GetRoot");
    }

    #[test]
    fn settings_paths_escape_every_slash_but_the_first() {
        assert_eq!(settings_path("/health"), "/~1health");
        assert_eq!(settings_path("/trades/{id}"), "/~1trades~1{id}");
        assert_eq!(settings_path("/"), "/");
    }

    #[test]
    fn path_parameters_are_the_braced_segments() {
        assert_eq!(path_parameters("/trades/{id}/fills/{fill}"), ["id", "fill"]);
        assert_eq!(path_parameters("/files/{proxy+}"), ["proxy"]);
        assert!(path_parameters("/health").is_empty());
    }
}
