//! What the front door serves, read from the synthesized template: each
//! REST API's resource tree, methods, validators, models, stages and their
//! throttling, with the physical ids of the deployed stack.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use serde_json::{Map, Value};

/// API Gateway's hard limit on an integration's time (REST APIs).
pub const MAX_INTEGRATION_TIMEOUT: Duration = Duration::from_millis(29_000);

/// What API Gateway applies when a stage sets no throttling: the account's
/// default limits per region.
pub const ACCOUNT_THROTTLE: Throttle = Throttle {
    rate_per_second: 10_000.0,
    burst: 5_000,
};

/// Reads the REST APIs of a template (see [`ApiSpec::from_template`]).
pub struct ApiSpec;

/// One REST API as deployed: its resources and methods, and its stages.
#[derive(Clone, Debug, PartialEq)]
pub struct RestApiSpec {
    pub logical_id: String,
    /// The API's id (its physical id): the first part of its ARN and host name.
    pub id: String,
    pub name: Option<String>,
    /// Every resource, the root (`/`) first.
    pub resources: Vec<ResourceSpec>,
    pub stages: Vec<StageSpec>,
    /// `BinaryMediaTypes`: request bodies of these types reach the function base64-encoded.
    pub binary_media_types: Vec<String>,
    /// Where the API is deployed, as its `execute-api` ARNs name it.
    pub region: String,
    pub account: String,
}

/// One resource of the path tree.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceSpec {
    /// `None` for the root resource.
    pub logical_id: Option<String>,
    /// The resource's id, as `requestContext.resourceId` reports it.
    pub id: String,
    /// The full resource path: `/`, `/trades`, `/trades/{id}`, `/files/{proxy+}`.
    pub path: String,
    pub parts: Vec<PathPart>,
    /// By HTTP method as declared (`GET`, `POST`, `ANY`, ...).
    pub methods: BTreeMap<String, MethodSpec>,
}

/// One part of a resource path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathPart {
    Literal(String),
    /// `{name}`: one path segment.
    Param(String),
    /// `{name+}`: one or more segments, the rest of the path.
    Greedy(String),
}

/// How callers of a method are authorized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authorization {
    None,
    /// SigV4-signed requests, authorized for `execute-api:Invoke` by IAM.
    AwsIam,
}

/// One method of a resource.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodSpec {
    pub logical_id: String,
    /// As declared: `GET`, `POST`, ..., or `ANY`.
    pub http_method: String,
    pub authorization: Authorization,
    pub validator: Option<ValidatorSpec>,
    /// By content type (`application/json`, `$default`, ...).
    pub request_models: BTreeMap<String, ModelSpec>,
    /// `method.request.{path,querystring,header}.NAME` -> required.
    pub request_parameters: BTreeMap<String, bool>,
    pub integration: Integration,
}

/// A request validator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSpec {
    pub logical_id: Option<String>,
    pub name: Option<String>,
    pub validate_body: bool,
    pub validate_parameters: bool,
}

/// A model: a JSON Schema (draft 4) for one content type.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    pub name: String,
    pub schema: Value,
}

/// Where a method sends its requests.
#[derive(Clone, Debug, PartialEq)]
pub enum Integration {
    /// `AWS_PROXY` to a Lambda function.
    LambdaProxy {
        /// The function's logical id, when the URI names one of the template's functions.
        function_logical_id: Option<String>,
        /// The function's physical name, what the invoker is given.
        function: String,
        /// `TimeoutInMillis`, at most 29 s.
        timeout: Duration,
    },
}

/// A stage: the URL prefix, its variables and throttling.
#[derive(Clone, Debug, PartialEq)]
pub struct StageSpec {
    pub name: String,
    pub deployment_id: Option<String>,
    pub variables: BTreeMap<String, String>,
    pub throttling: StageThrottling,
}

/// Rate (requests per second, steady state) and burst (bucket size).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Throttle {
    pub rate_per_second: f64,
    pub burst: u32,
}

/// The throttling of a stage's `MethodSettings`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageThrottling {
    /// `ResourcePath: /*`, `HttpMethod: *`: each method's limits unless overridden.
    pub default_rate: Option<f64>,
    pub default_burst: Option<u32>,
    /// (resource path, HTTP method) -> (rate, burst), either possibly unset.
    pub per_method: BTreeMap<(String, String), (Option<f64>, Option<u32>)>,
}

impl StageThrottling {
    /// The limits of one method: its own settings, else the stage's
    /// defaults, else the account's.
    pub fn for_method(&self, resource_path: &str, http_method: &str) -> Throttle {
        let own = self
            .per_method
            .get(&(resource_path.to_owned(), http_method.to_owned()))
            .copied()
            .unwrap_or((None, None));
        Throttle {
            rate_per_second: own
                .0
                .or(self.default_rate)
                .unwrap_or(ACCOUNT_THROTTLE.rate_per_second),
            burst: own
                .1
                .or(self.default_burst)
                .unwrap_or(ACCOUNT_THROTTLE.burst),
        }
    }
}

impl RestApiSpec {
    /// The stage named `name`.
    pub fn stage(&self, name: &str) -> Option<&StageSpec> {
        self.stages.iter().find(|s| s.name == name)
    }
}

/// The template's resources, with what resolving references needs.
struct Template<'a> {
    resources: &'a Map<String, Value>,
    physical: &'a BTreeMap<String, String>,
    region: &'a str,
    account: &'a str,
}

impl<'a> Template<'a> {
    fn of_type(&self, kind: &str) -> impl Iterator<Item = (&'a String, &'a Value)> + '_ {
        let kind = kind.to_owned();
        self.resources
            .iter()
            .filter(move |(id, r)| r["Type"] == Value::String(kind.clone()) && self.deployed(id, r))
    }

    /// A resource with a `Condition` that was not created has no physical id.
    fn deployed(&self, id: &str, resource: &Value) -> bool {
        resource.get("Condition").is_none() || self.physical.contains_key(id)
    }

    fn physical_id(&self, logical: &str) -> anyhow::Result<String> {
        self.physical.get(logical).cloned().ok_or_else(|| {
            anyhow!("no physical id for `{logical}`: pass the deployed stack's resources (logical id -> physical id)")
        })
    }

    /// The logical id a `{"Ref": X}` names.
    fn ref_target(value: &Value) -> Option<&str> {
        value.get("Ref").and_then(Value::as_str)
    }

    /// Which REST API a `RestApiId` property names.
    fn api_of(&self, props: &Value) -> Option<String> {
        Self::ref_target(&props["RestApiId"]).map(str::to_owned)
    }

    fn type_of(&self, logical: &str) -> Option<&'a str> {
        self.resources.get(logical)?["Type"].as_str()
    }

    /// Every logical id an expression references (`Ref`, `Fn::GetAtt`, `${X}` / `${X.Attr}` in `Fn::Sub`).
    fn referenced_ids(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match key.as_str() {
                        "Ref" => {
                            if let Some(id) = inner.as_str() {
                                out.push(id.to_owned());
                            }
                        }
                        "Fn::GetAtt" => match inner {
                            Value::Array(parts) => {
                                if let Some(id) = parts.first().and_then(Value::as_str) {
                                    out.push(id.to_owned());
                                }
                            }
                            Value::String(dotted) => {
                                out.push(dotted.split('.').next().unwrap_or("").to_owned())
                            }
                            _ => {}
                        },
                        "Fn::Sub" => {
                            let (text, vars) = match inner {
                                Value::String(text) => (text.as_str(), None),
                                Value::Array(parts) => (
                                    parts.first().and_then(Value::as_str).unwrap_or(""),
                                    parts.get(1),
                                ),
                                _ => ("", None),
                            };
                            let mut rest = text;
                            while let Some(start) = rest.find("${") {
                                let after = &rest[start + 2..];
                                let Some(end) = after.find('}') else { break };
                                let name = &after[..end];
                                // `${!Literal}` is an escaped, literal `${Literal}`.
                                if !name.starts_with('!') && !name.starts_with("AWS::") {
                                    let id = name.split('.').next().unwrap_or(name);
                                    let bound = vars.and_then(|v| v.get(id)).is_some();
                                    if !bound {
                                        out.push(id.to_owned());
                                    }
                                }
                                rest = &after[end + 1..];
                            }
                            if let Some(vars) = vars {
                                Self::referenced_ids(vars, out);
                            }
                        }
                        _ => Self::referenced_ids(inner, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| Self::referenced_ids(v, out)),
            _ => {}
        }
    }
}

impl ApiSpec {
    /// Reads every `AWS::ApiGateway::RestApi` of `template` with its
    /// resources, methods, validators, models and stages. `physical` maps
    /// the deployed stack's logical ids to physical ids (a function's name,
    /// a RestApi's id, a resource's id, a model's name); the RestApi's and
    /// the integrated functions' ids are required, the others default to
    /// the logical id. The root resource's id is `physical["<Api>.RootResourceId"]`
    /// when given.
    ///
    /// Fails, naming the resource and property, on what the front door does
    /// not emulate: authorizers other than `NONE` and `AWS_IAM`, API keys,
    /// integrations other than `AWS_PROXY` to a Lambda function, resource
    /// policies and OpenAPI bodies.
    pub fn from_template(
        template: &Value,
        physical: &BTreeMap<String, String>,
        region: &str,
        account: &str,
    ) -> anyhow::Result<Vec<RestApiSpec>> {
        let resources = template
            .get("Resources")
            .and_then(Value::as_object)
            .ok_or_else(|| anyhow!("the template has no `Resources` object"))?;
        let t = Template {
            resources,
            physical,
            region,
            account,
        };
        t.of_type("AWS::ApiGateway::RestApi")
            .map(|(id, api)| rest_api(&t, id, api).with_context(|| format!("REST API `{id}`")))
            .collect()
    }
}

fn rest_api(t: &Template, logical: &str, api: &Value) -> anyhow::Result<RestApiSpec> {
    let props = &api["Properties"];
    for unsupported in ["Body", "BodyS3Location", "Policy", "CloneFrom"] {
        if props.get(unsupported).is_some() {
            bail!(
                "property `{unsupported}` is not emulated by `tp local`; declare the API's resources and methods as AWS::ApiGateway resources instead"
            );
        }
    }
    let id = t.physical_id(logical)?;
    let binary_media_types = props["BinaryMediaTypes"]
        .as_array()
        .map(|types| {
            types
                .iter()
                .filter_map(Value::as_str)
                // CloudFormation spells `/` in media types as `~1`.
                .map(|s| s.replace("~1", "/"))
                .collect()
        })
        .unwrap_or_default();

    // The path tree: resources by logical id, each with its parent.
    let mut parents: BTreeMap<&str, (Option<&str>, &str)> = BTreeMap::new();
    for (rid, resource) in t.of_type("AWS::ApiGateway::Resource") {
        let rprops = &resource["Properties"];
        if t.api_of(rprops).as_deref() != Some(logical) {
            continue;
        }
        let part = rprops["PathPart"]
            .as_str()
            .ok_or_else(|| anyhow!("resource `{rid}` has no string `PathPart`"))?;
        let parent = parent_of(&rprops["ParentId"], logical)
            .with_context(|| format!("resource `{rid}`: `ParentId`"))?;
        parents.insert(rid.as_str(), (parent, part));
    }
    let root_id = t
        .physical
        .get(&format!("{logical}.RootResourceId"))
        .cloned()
        .unwrap_or_else(|| format!("{id}-root"));
    let mut spec_resources = vec![ResourceSpec {
        logical_id: None,
        id: root_id,
        path: "/".to_owned(),
        parts: Vec::new(),
        methods: BTreeMap::new(),
    }];
    for rid in parents.keys() {
        let mut parts = Vec::new();
        let mut at = Some(*rid);
        let mut depth = 0;
        while let Some(current) = at {
            let (parent, part) = parents.get(current).ok_or_else(|| {
                anyhow!("resource `{rid}`: parent `{current}` is not a resource of this API")
            })?;
            parts.push(path_part(part).with_context(|| format!("resource `{current}`"))?);
            at = *parent;
            depth += 1;
            if depth > parents.len() {
                bail!("resource `{rid}`: its parents form a cycle");
            }
        }
        parts.reverse();
        spec_resources.push(ResourceSpec {
            logical_id: Some((*rid).to_owned()),
            id: t
                .physical
                .get(*rid)
                .cloned()
                .unwrap_or_else(|| (*rid).to_owned()),
            path: path_string(&parts),
            parts,
            methods: BTreeMap::new(),
        });
    }
    let mut paths = BTreeMap::new();
    for resource in &spec_resources {
        if let Some(other) = paths.insert(resource.path.clone(), resource.logical_id.clone()) {
            bail!(
                "resources `{}` and `{}` both have path {}",
                other.unwrap_or_else(|| "root".into()),
                resource.logical_id.clone().unwrap_or_else(|| "root".into()),
                resource.path
            );
        }
    }

    for (mid, method) in t.of_type("AWS::ApiGateway::Method") {
        let mprops = &method["Properties"];
        if t.api_of(mprops).as_deref() != Some(logical) {
            continue;
        }
        let spec =
            method_spec(t, logical, mid, mprops).with_context(|| format!("method `{mid}`"))?;
        let owner = parent_of(&mprops["ResourceId"], logical)
            .with_context(|| format!("method `{mid}`: `ResourceId`"))?;
        let resource = spec_resources
            .iter_mut()
            .find(|r| r.logical_id.as_deref() == owner)
            .ok_or_else(|| anyhow!("method `{mid}`: its resource is not a resource of this API"))?;
        if resource.methods.contains_key(&spec.http_method) {
            bail!(
                "method `{mid}`: {} {} is declared twice",
                spec.http_method,
                resource.path
            );
        }
        resource.methods.insert(spec.http_method.clone(), spec);
    }

    let stages = stages(t, logical)?;
    if stages.is_empty() {
        bail!(
            "no AWS::ApiGateway::Stage (nor a Deployment with `StageName`) deploys it; there is no URL to serve"
        );
    }
    Ok(RestApiSpec {
        logical_id: logical.to_owned(),
        id,
        name: props["Name"].as_str().map(str::to_owned),
        resources: spec_resources,
        stages,
        binary_media_types,
        region: t.region.to_owned(),
        account: t.account.to_owned(),
    })
}

/// A `ParentId` / `ResourceId`: `None` for the API's root, else the resource's logical id.
fn parent_of<'v>(value: &'v Value, api: &str) -> anyhow::Result<Option<&'v str>> {
    if let Some(target) = Template::ref_target(value) {
        return Ok(Some(target));
    }
    if let Some(Value::Array(parts)) = value.get("Fn::GetAtt") {
        if parts.first().and_then(Value::as_str) == Some(api)
            && parts.get(1).and_then(Value::as_str) == Some("RootResourceId")
        {
            return Ok(None);
        }
    }
    if let Some(Value::String(dotted)) = value.get("Fn::GetAtt") {
        if dotted == &format!("{api}.RootResourceId") {
            return Ok(None);
        }
    }
    bail!(
        "expected {{\"Ref\": <resource>}} or {{\"Fn::GetAtt\": [\"{api}\", \"RootResourceId\"]}}, found {value}"
    )
}

fn path_part(part: &str) -> anyhow::Result<PathPart> {
    if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        if let Some(name) = inner.strip_suffix('+') {
            return Ok(PathPart::Greedy(name.to_owned()));
        }
        if inner.is_empty() {
            bail!("path part `{{}}` names no parameter");
        }
        return Ok(PathPart::Param(inner.to_owned()));
    }
    if part.is_empty() || part.contains('/') {
        bail!("path part `{part}` must be one non-empty path segment");
    }
    Ok(PathPart::Literal(part.to_owned()))
}

/// `/a/{b}/{c+}` from its parts.
pub fn path_string(parts: &[PathPart]) -> String {
    if parts.is_empty() {
        return "/".to_owned();
    }
    parts
        .iter()
        .map(|p| match p {
            PathPart::Literal(s) => format!("/{s}"),
            PathPart::Param(s) => format!("/{{{s}}}"),
            PathPart::Greedy(s) => format!("/{{{s}+}}"),
        })
        .collect()
}

fn method_spec(
    t: &Template,
    api: &str,
    logical: &str,
    props: &Value,
) -> anyhow::Result<MethodSpec> {
    let http_method = props["HttpMethod"]
        .as_str()
        .ok_or_else(|| anyhow!("no string `HttpMethod`"))?
        .to_ascii_uppercase();
    let authorization = match props["AuthorizationType"].as_str().unwrap_or("NONE") {
        "NONE" => Authorization::None,
        "AWS_IAM" => Authorization::AwsIam,
        other => bail!(
            "`AuthorizationType: {other}` is not emulated by `tp local` (only NONE and AWS_IAM are)"
        ),
    };
    if props["ApiKeyRequired"].as_bool() == Some(true) {
        bail!(
            "`ApiKeyRequired: true` is not emulated by `tp local` (API keys and usage plans are not)"
        );
    }
    let validator = match &props["RequestValidatorId"] {
        Value::Null => None,
        value => {
            let vid = Template::ref_target(value).ok_or_else(|| {
                anyhow!("`RequestValidatorId` must be a Ref to an AWS::ApiGateway::RequestValidator, found {value}")
            })?;
            let vprops = &t
                .resources
                .get(vid)
                .filter(|r| r["Type"] == "AWS::ApiGateway::RequestValidator")
                .ok_or_else(|| anyhow!("`RequestValidatorId` names `{vid}`, which is not an AWS::ApiGateway::RequestValidator"))?["Properties"];
            Some(ValidatorSpec {
                logical_id: Some(vid.to_owned()),
                name: vprops["Name"].as_str().map(str::to_owned),
                validate_body: vprops["ValidateRequestBody"].as_bool().unwrap_or(false),
                validate_parameters: vprops["ValidateRequestParameters"]
                    .as_bool()
                    .unwrap_or(false),
            })
        }
    };
    let mut request_models = BTreeMap::new();
    if let Some(models) = props["RequestModels"].as_object() {
        for (content_type, model) in models {
            let spec = model_spec(t, api, model)
                .with_context(|| format!("`RequestModels` `{content_type}`"))?;
            request_models.insert(content_type.to_ascii_lowercase(), spec);
        }
    }
    let mut request_parameters = BTreeMap::new();
    if let Some(params) = props["RequestParameters"].as_object() {
        for (name, required) in params {
            let required = match required {
                Value::Bool(b) => *b,
                Value::String(s) => s == "true",
                other => bail!("`RequestParameters` `{name}`: expected a boolean, found {other}"),
            };
            request_parameters.insert(name.clone(), required);
        }
    }
    Ok(MethodSpec {
        logical_id: logical.to_owned(),
        http_method,
        authorization,
        validator,
        request_models,
        request_parameters,
        integration: integration(t, &props["Integration"]).context("`Integration`")?,
    })
}

fn model_spec(t: &Template, api: &str, model: &Value) -> anyhow::Result<ModelSpec> {
    // Built-in models every REST API has.
    let builtin = |name: &str| match name {
        "Empty" => Some(serde_json::json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "title": "Empty Schema",
            "type": "object"
        })),
        "Error" => Some(serde_json::json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "title": "Error Schema",
            "type": "object",
            "properties": {"message": {"type": "string"}}
        })),
        _ => None,
    };
    let found = match model {
        Value::String(name) => {
            if let Some(schema) = builtin(name) {
                return Ok(ModelSpec {
                    name: name.clone(),
                    schema,
                });
            }
            t.of_type("AWS::ApiGateway::Model")
                .find(|(_, m)| {
                    m["Properties"]["Name"].as_str() == Some(name)
                        && t.api_of(&m["Properties"]).as_deref() == Some(api)
                })
                .ok_or_else(|| anyhow!("model `{name}` is neither built in nor an AWS::ApiGateway::Model of this API"))?
        }
        value => {
            let mid = Template::ref_target(value).ok_or_else(|| {
                anyhow!(
                    "expected a model name or a Ref to an AWS::ApiGateway::Model, found {value}"
                )
            })?;
            let m = t
                .resources
                .get(mid)
                .filter(|m| m["Type"] == "AWS::ApiGateway::Model")
                .ok_or_else(|| anyhow!("`{mid}` is not an AWS::ApiGateway::Model"))?;
            (
                t.resources
                    .get_key_value(mid)
                    .map(|(k, _)| k)
                    .expect("present"),
                m,
            )
        }
    };
    let (mid, m) = found;
    let mprops = &m["Properties"];
    let schema = match &mprops["Schema"] {
        Value::String(text) => serde_json::from_str(text)
            .with_context(|| format!("model `{mid}`: `Schema` is not JSON"))?,
        Value::Object(_) => mprops["Schema"].clone(),
        _ => bail!("model `{mid}` has no `Schema`"),
    };
    jsonschema::draft4::new(&schema).map_err(|e| {
        anyhow!("model `{mid}`: its schema is not a valid JSON Schema draft 4: {e}")
    })?;
    let name = mprops["Name"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| t.physical.get(mid.as_str()).cloned())
        .unwrap_or_else(|| mid.clone());
    Ok(ModelSpec { name, schema })
}

fn integration(t: &Template, value: &Value) -> anyhow::Result<Integration> {
    let kind = value["Type"].as_str().ok_or_else(|| {
        anyhow!("no `Type`; `tp local` serves AWS_PROXY integrations to Lambda functions")
    })?;
    if kind != "AWS_PROXY" {
        bail!(
            "`Type: {kind}` is not emulated by `tp local` (only AWS_PROXY integrations to Lambda functions are)"
        );
    }
    let uri = &value["Uri"];
    let timeout = match value["TimeoutInMillis"].as_u64() {
        Some(ms) => Duration::from_millis(ms).min(MAX_INTEGRATION_TIMEOUT),
        None => MAX_INTEGRATION_TIMEOUT,
    };
    if let Value::String(literal) = uri {
        let function = function_in_literal_uri(literal)
            .ok_or_else(|| anyhow!("`Uri` {literal} is not a Lambda function's invocation URI"))?;
        return Ok(Integration::LambdaProxy {
            function_logical_id: None,
            function,
            timeout,
        });
    }
    if !uri.to_string().contains(":lambda:path/") {
        bail!(
            "`Uri` {uri} is not a Lambda function's invocation URI (arn:...:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations)"
        );
    }
    let mut ids = Vec::new();
    Template::referenced_ids(uri, &mut ids);
    let mut functions: Vec<String> = ids
        .into_iter()
        .filter(|id| t.type_of(id) == Some("AWS::Lambda::Function"))
        .collect();
    functions.sort();
    functions.dedup();
    match functions.as_slice() {
        [one] => Ok(Integration::LambdaProxy {
            function: t.physical_id(one)?,
            function_logical_id: Some(one.clone()),
            timeout,
        }),
        [] => bail!("`Uri` {uri} references no AWS::Lambda::Function of the template"),
        many => bail!(
            "`Uri` references several functions ({}); expected one",
            many.join(", ")
        ),
    }
}

/// The function name in `arn:aws:apigateway:R:lambda:path/2015-03-31/functions/arn:aws:lambda:R:A:function:NAME/invocations`.
fn function_in_literal_uri(uri: &str) -> Option<String> {
    let arn = uri
        .split("/functions/")
        .nth(1)?
        .strip_suffix("/invocations")?;
    let name = arn.split(":function:").nth(1)?;
    // An alias or version qualifier stays part of what is invoked.
    Some(name.to_owned()).filter(|n| !n.is_empty())
}

fn stages(t: &Template, api: &str) -> anyhow::Result<Vec<StageSpec>> {
    let mut out = Vec::new();
    for (sid, stage) in t.of_type("AWS::ApiGateway::Stage") {
        let props = &stage["Properties"];
        if t.api_of(props).as_deref() != Some(api) {
            continue;
        }
        let name = props["StageName"]
            .as_str()
            .ok_or_else(|| anyhow!("stage `{sid}` has no string `StageName`"))?;
        let deployment = Template::ref_target(&props["DeploymentId"]);
        out.push(StageSpec {
            name: name.to_owned(),
            deployment_id: deployment
                .map(|d| t.physical.get(d).cloned().unwrap_or_else(|| d.to_owned())),
            variables: variables(&props["Variables"])
                .with_context(|| format!("stage `{sid}`: `Variables`"))?,
            throttling: throttling(&props["MethodSettings"])
                .with_context(|| format!("stage `{sid}`: `MethodSettings`"))?,
        });
    }
    // A deployment that names a stage creates it.
    for (did, deployment) in t.of_type("AWS::ApiGateway::Deployment") {
        let props = &deployment["Properties"];
        if t.api_of(props).as_deref() != Some(api) {
            continue;
        }
        let Some(name) = props["StageName"].as_str() else {
            continue;
        };
        if out.iter().any(|s: &StageSpec| s.name == name) {
            continue;
        }
        let description = &props["StageDescription"];
        out.push(StageSpec {
            name: name.to_owned(),
            deployment_id: Some(t.physical.get(did).cloned().unwrap_or_else(|| did.clone())),
            variables: variables(&description["Variables"])
                .with_context(|| format!("deployment `{did}`: `StageDescription.Variables`"))?,
            throttling: {
                let mut th = throttling(&description["MethodSettings"]).with_context(|| {
                    format!("deployment `{did}`: `StageDescription.MethodSettings`")
                })?;
                if th.default_rate.is_none() {
                    th.default_rate = description["ThrottlingRateLimit"].as_f64();
                }
                if th.default_burst.is_none() {
                    th.default_burst = description["ThrottlingBurstLimit"]
                        .as_u64()
                        .map(|b| b.min(u32::MAX as u64) as u32);
                }
                th
            },
        });
    }
    Ok(out)
}

fn variables(value: &Value) -> anyhow::Result<BTreeMap<String, String>> {
    match value {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => bail!("variable `{k}` must be a literal string, found {other}"),
            })
            .collect(),
        other => bail!("expected an object, found {other}"),
    }
}

fn throttling(value: &Value) -> anyhow::Result<StageThrottling> {
    let mut out = StageThrottling::default();
    let Some(settings) = value.as_array() else {
        return Ok(out);
    };
    for setting in settings {
        let rate = setting["ThrottlingRateLimit"].as_f64();
        let burst = setting["ThrottlingBurstLimit"]
            .as_u64()
            .map(|b| b.min(u32::MAX as u64) as u32);
        let path = setting["ResourcePath"]
            .as_str()
            .ok_or_else(|| anyhow!("a setting has no string `ResourcePath`"))?;
        let method = setting["HttpMethod"]
            .as_str()
            .ok_or_else(|| anyhow!("a setting has no string `HttpMethod`"))?
            .to_ascii_uppercase();
        if path == "/*" && method == "*" {
            out.default_rate = rate.or(out.default_rate);
            out.default_burst = burst.or(out.default_burst);
        } else if path.contains('*') || method == "*" {
            bail!(
                "setting for {method} {path}: only `/*` with `*` (every method) or one resource path with one method is emulated"
            );
        } else {
            out.per_method
                .insert((decode_settings_path(path), method), (rate, burst));
        }
    }
    Ok(out)
}

/// `MethodSettings` paths spell each `/` after the first as `~1`: `/~1trades~1{id}` is `/trades/{id}`.
fn decode_settings_path(path: &str) -> String {
    let inner = path.strip_prefix('/').unwrap_or(path);
    let decoded = inner.replace("~1", "/").replace("~0", "~");
    if decoded.starts_with('/') {
        decoded
    } else {
        // `/` is the root; a path written with plain slashes is taken as is.
        format!("/{decoded}")
    }
}
