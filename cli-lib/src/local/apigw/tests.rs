//! Unit tests of the front door: the real template read, routing, the
//! proxy event and response mapping, validation and throttling.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, UNIX_EPOCH};

use http::HeaderMap;
use serde_json::{Value, json};

use super::proxy::{self, ProxyRequest};
use super::routing::{self, percent_decode};
use super::spec::{ApiSpec, Authorization, Integration, PathPart, RestApiSpec, Throttle};
use super::throttle::TokenBucket;
use super::*;

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

use crate::local::test_support::real_template;

/// Physical ids as a deployed stack would report them for the real template.
fn real_physical() -> BTreeMap<String, String> {
    let template = real_template();
    let mut physical = BTreeMap::new();
    for (id, resource) in template["Resources"].as_object().unwrap() {
        let value = match resource["Type"].as_str().unwrap() {
            "AWS::ApiGateway::RestApi" => "a1b2c3d4e5".to_owned(),
            "AWS::Lambda::Function" => resource["Properties"]["FunctionName"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("fn-{id}")),
            "AWS::ApiGateway::Resource" => format!("r-{}", id.len()),
            _ => format!("phys-{id}"),
        };
        physical.insert(id.clone(), value);
    }
    physical
}

fn real_api() -> RestApiSpec {
    let mut apis = ApiSpec::from_template(real_template(), &real_physical(), REGION, ACCOUNT)
        .expect("the real template is served");
    assert_eq!(apis.len(), 1, "the platform declares one REST API");
    apis.remove(0)
}

#[test]
fn the_real_template_reads_into_its_routes_auth_models_and_throttling() {
    let api = real_api();
    let physical = real_physical();
    assert_eq!(api.id, "a1b2c3d4e5");
    assert_eq!(api.region, REGION);
    assert_eq!(api.account, ACCOUNT);
    let mut routes: Vec<(String, String)> = api
        .resources
        .iter()
        .flat_map(|r| r.methods.keys().map(move |m| (m.clone(), r.path.clone())))
        .collect();
    routes.sort();
    assert_eq!(
        routes,
        [
            ("GET".to_owned(), "/health".to_owned()),
            ("POST".to_owned(), "/trades".to_owned())
        ]
    );

    let trades = api.resources.iter().find(|r| r.path == "/trades").unwrap();
    assert_eq!(trades.parts, [PathPart::Literal("trades".into())]);
    assert_eq!(trades.id, physical["TradingApiTradesResource"]);
    let post = &trades.methods["POST"];
    assert_eq!(post.authorization, Authorization::AwsIam);
    let validator = post
        .validator
        .as_ref()
        .expect("POST /trades has a validator");
    assert!(validator.validate_body);
    assert!(validator.validate_parameters);
    let model = &post.request_models["application/json"];
    assert_eq!(model.name, "PostTradesBody");
    assert_eq!(
        model.schema,
        real_template()["Resources"]["TradingApiPostTradesModel"]["Properties"]["Schema"]
    );

    let health = api.resources.iter().find(|r| r.path == "/health").unwrap();
    let get = &health.methods["GET"];
    assert_eq!(get.authorization, Authorization::None);
    // Every method has the API's validator; /health has no body model.
    assert_eq!(get.validator, post.validator);
    assert!(get.request_models.is_empty());

    // Each route its own function: /health's is not trade-api.
    for (method, function) in [(post, "TradeApiFunction"), (get, "HealthApiFunction")] {
        assert_eq!(
            method.integration,
            Integration::LambdaProxy {
                function_logical_id: Some(function.into()),
                function: physical[function].clone(),
                timeout: Duration::from_secs(29),
            }
        );
    }

    assert_eq!(api.stages.len(), 1);
    let stage = &api.stages[0];
    assert_eq!(stage.name, "v1");
    let settings =
        &real_template()["Resources"]["TradingApiStage"]["Properties"]["MethodSettings"][0];
    let expected = Throttle {
        rate_per_second: settings["ThrottlingRateLimit"].as_f64().unwrap(),
        burst: settings["ThrottlingBurstLimit"].as_u64().unwrap() as u32,
    };
    assert_eq!(stage.throttling.for_method("/trades", "POST"), expected);
    // GET /health has a throttle of its own, from its own method settings.
    assert_eq!(
        stage.throttling.for_method("/health", "GET"),
        Throttle {
            rate_per_second: 10.0,
            burst: 20,
        }
    );
}

#[test]
fn the_real_model_validates_bodies_as_draft_4() {
    let api = real_api();
    let trades = api.resources.iter().find(|r| r.path == "/trades").unwrap();
    let schema = &trades.methods["POST"].request_models["application/json"].schema;
    let validator = jsonschema::draft4::new(schema).expect("the model compiles as draft 4");
    // Whatever its fields, a trade order is an object with required fields.
    assert!(!body_is_valid(&validator, b"{}"));
    assert!(!body_is_valid(&validator, b"[]"));
    assert!(!body_is_valid(&validator, b"not json"));
}

/// A template of one API, for the cases the real one does not have.
fn template(resources: Value) -> Value {
    let mut all = json!({
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "api"}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
        "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
            "RestApiId": {"Ref": "Api"}, "StageName": "prod", "DeploymentId": {"Ref": "Dep"},
            "Variables": {"color": "blue"},
            "MethodSettings": [
                {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 20},
                {"ResourcePath": "/~1items~1{id}", "HttpMethod": "GET", "ThrottlingBurstLimit": 2}
            ]
        }},
        "Dep": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"RestApiId": {"Ref": "Api"}}}
    });
    for (k, v) in resources.as_object().unwrap() {
        all[k] = v.clone();
    }
    json!({ "Resources": all })
}

fn resource(parent: Value, part: &str) -> Value {
    json!({"Type": "AWS::ApiGateway::Resource", "Properties": {
        "RestApiId": {"Ref": "Api"}, "ParentId": parent, "PathPart": part}})
}

fn method(resource: Value, http_method: &str) -> Value {
    json!({"Type": "AWS::ApiGateway::Method", "Properties": {
        "RestApiId": {"Ref": "Api"}, "ResourceId": resource, "HttpMethod": http_method,
        "AuthorizationType": "NONE",
        "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST",
            "Uri": {"Fn::Join": ["", ["arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/",
                {"Fn::GetAtt": ["Fn", "Arn"]}, "/invocations"]]}}}})
}

fn physical() -> BTreeMap<String, String> {
    [
        ("Api", "api123"),
        ("Fn", "my-function"),
        ("Items", "it0001"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn routed_api() -> RestApiSpec {
    let root = json!({"Fn::GetAtt": ["Api", "RootResourceId"]});
    let t = template(json!({
        "Items": resource(root.clone(), "items"),
        "Item": resource(json!({"Ref": "Items"}), "{id}"),
        "Special": resource(json!({"Ref": "Items"}), "special"),
        "Files": resource(root.clone(), "files"),
        "Proxy": resource(json!({"Ref": "Files"}), "{proxy+}"),
        "RootGet": method(root, "GET"),
        "ItemsGet": method(json!({"Ref": "Items"}), "GET"),
        "ItemGet": method(json!({"Ref": "Item"}), "GET"),
        "ItemAny": method(json!({"Ref": "Item"}), "ANY"),
        "SpecialPost": method(json!({"Ref": "Special"}), "POST"),
        "ProxyAny": method(json!({"Ref": "Proxy"}), "ANY"),
    }));
    ApiSpec::from_template(&t, &physical(), REGION, ACCOUNT)
        .expect("the test template is served")
        .remove(0)
}

fn route_of(
    api: &RestApiSpec,
    path: &str,
    method: &str,
) -> Option<(String, String, BTreeMap<String, String>)> {
    routing::route(api, path, method).map(|r| {
        (
            r.resource.path.clone(),
            r.method.http_method.clone(),
            r.path_parameters.clone(),
        )
    })
}

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn paths_match_literals_before_parameters_before_proxies() {
    let api = routed_api();
    assert_eq!(
        route_of(&api, "/", "GET"),
        Some(("/".into(), "GET".into(), params(&[])))
    );
    assert_eq!(
        route_of(&api, "/items", "GET"),
        Some(("/items".into(), "GET".into(), params(&[])))
    );
    assert_eq!(
        route_of(&api, "/items/", "GET"),
        Some(("/items".into(), "GET".into(), params(&[])))
    );
    assert_eq!(
        route_of(&api, "/items/42", "GET"),
        Some(("/items/{id}".into(), "GET".into(), params(&[("id", "42")])))
    );
    // The method itself before ANY; ANY for the others.
    assert_eq!(
        route_of(&api, "/items/42", "DELETE"),
        Some(("/items/{id}".into(), "ANY".into(), params(&[("id", "42")])))
    );
    assert_eq!(
        route_of(&api, "/items/special", "POST"),
        Some(("/items/special".into(), "POST".into(), params(&[])))
    );
    // A literal without the method falls back to the parameter that has it.
    assert_eq!(
        route_of(&api, "/items/special", "GET"),
        Some((
            "/items/{id}".into(),
            "GET".into(),
            params(&[("id", "special")])
        ))
    );
    assert_eq!(
        route_of(&api, "/items/a%20b", "GET"),
        Some(("/items/{id}".into(), "GET".into(), params(&[("id", "a b")])))
    );
    assert_eq!(
        route_of(&api, "/files/a/b/c.txt", "PUT"),
        Some((
            "/files/{proxy+}".into(),
            "ANY".into(),
            params(&[("proxy", "a/b/c.txt")])
        ))
    );
    // A greedy part needs at least one segment; `/files` has no method.
    assert_eq!(route_of(&api, "/files", "GET"), None);
    assert_eq!(route_of(&api, "/items", "POST"), None);
    assert_eq!(route_of(&api, "/nothing", "GET"), None);
    assert_eq!(route_of(&api, "/items/1/2", "GET"), None);
    assert_eq!(route_of(&api, "/items//", "GET"), None);
}

#[test]
fn stage_settings_integration_uris_and_variables_are_read() {
    let api = routed_api();
    let stage = api.stage("prod").unwrap();
    assert_eq!(stage.variables, params(&[("color", "blue")]));
    assert_eq!(stage.deployment_id.as_deref(), Some("Dep"));
    // Per method: its own burst, the stage's rate.
    assert_eq!(
        stage.throttling.for_method("/items/{id}", "GET"),
        Throttle {
            rate_per_second: 50.0,
            burst: 2
        }
    );
    assert_eq!(
        stage.throttling.for_method("/items", "GET"),
        Throttle {
            rate_per_second: 50.0,
            burst: 20
        }
    );
    let items = api.resources.iter().find(|r| r.path == "/items").unwrap();
    assert_eq!(items.id, "it0001");
    match &items.methods["GET"].integration {
        Integration::LambdaProxy { function, .. } => assert_eq!(function, "my-function"),
    }

    // A literal invocation URI names its function.
    let mut literal = method(json!({"Fn::GetAtt": ["Api", "RootResourceId"]}), "GET");
    literal["Properties"]["Integration"]["Uri"] = json!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:other-fn/invocations"
    );
    literal["Properties"]["Integration"]["TimeoutInMillis"] = json!(3000);
    let api = ApiSpec::from_template(
        &template(json!({"M": literal})),
        &physical(),
        REGION,
        ACCOUNT,
    )
    .unwrap();
    assert_eq!(
        api[0].resources[0].methods["GET"].integration,
        Integration::LambdaProxy {
            function_logical_id: None,
            function: "other-fn".into(),
            timeout: Duration::from_secs(3)
        }
    );
}

fn error_of(t: Value, physical: &BTreeMap<String, String>) -> String {
    format!(
        "{:#}",
        ApiSpec::from_template(&t, physical, REGION, ACCOUNT).expect_err("the template is refused")
    )
}

#[test]
fn what_is_not_emulated_is_refused_by_name() {
    let root = json!({"Fn::GetAtt": ["Api", "RootResourceId"]});
    let mut custom = method(root.clone(), "GET");
    custom["Properties"]["AuthorizationType"] = json!("CUSTOM");
    let e = error_of(template(json!({"M": custom})), &physical());
    assert!(
        e.contains("method `M`") && e.contains("AuthorizationType: CUSTOM"),
        "{e}"
    );

    let mut http = method(root.clone(), "GET");
    http["Properties"]["Integration"] = json!({"Type": "HTTP_PROXY", "Uri": "https://example.com"});
    let e = error_of(template(json!({"M": http})), &physical());
    assert!(e.contains("Type: HTTP_PROXY"), "{e}");

    let mut keyed = method(root.clone(), "GET");
    keyed["Properties"]["ApiKeyRequired"] = json!(true);
    let e = error_of(template(json!({"M": keyed})), &physical());
    assert!(e.contains("ApiKeyRequired"), "{e}");

    let mut no_function = physical();
    no_function.remove("Fn");
    let e = error_of(template(json!({"M": method(root, "GET")})), &no_function);
    assert!(e.contains("no physical id for `Fn`"), "{e}");

    let mut no_stage = template(json!({}));
    no_stage["Resources"]
        .as_object_mut()
        .unwrap()
        .remove("Stage");
    let e = error_of(no_stage, &physical());
    assert!(e.contains("no AWS::ApiGateway::Stage"), "{e}");
}

fn sample_headers() -> Vec<(String, String)> {
    vec![
        ("Host".into(), "127.0.0.1:4000".into()),
        ("User-Agent".into(), "curl/8.0".into()),
        ("Accept".into(), "text/plain".into()),
        ("Accept".into(), "application/json".into()),
    ]
}

#[test]
fn the_proxy_event_describes_the_request() {
    let api = routed_api();
    let stage = api.stage("prod").unwrap();
    let route = routing::route(&api, "/items/42", "GET").unwrap();
    let principal = Principal {
        arn: "arn:aws:iam::123456789012:user/alice".into(),
        identity_arn: "arn:aws:iam::123456789012:user/alice".into(),
        account: "123456789012".into(),
        user_id: "AIDAALICE".into(),
    };
    let time = UNIX_EPOCH + Duration::from_millis(1_428_582_896_123);
    let headers = sample_headers();
    let event = proxy::event(&ProxyRequest {
        api: &api,
        stage,
        route: &route,
        http_method: "GET",
        path: "/items/42",
        query: Some("a=1&b=x%20y&a=2&flag"),
        headers: &headers,
        body: b"",
        binary: false,
        source_ip: "127.0.0.1",
        caller: Some((&principal, "AKIAALICE")),
        request_id: "req-1",
        extended_request_id: "ext-1=",
        time,
        protocol: "HTTP/1.1",
        domain_name: "127.0.0.1:4000",
    });
    assert_eq!(
        event,
        json!({
            "resource": "/items/{id}",
            "path": "/items/42",
            "httpMethod": "GET",
            "headers": {"Host": "127.0.0.1:4000", "User-Agent": "curl/8.0", "Accept": "application/json"},
            "multiValueHeaders": {"Host": ["127.0.0.1:4000"], "User-Agent": ["curl/8.0"],
                "Accept": ["text/plain", "application/json"]},
            "queryStringParameters": {"a": "2", "b": "x y", "flag": ""},
            "multiValueQueryStringParameters": {"a": ["1", "2"], "b": ["x y"], "flag": [""]},
            "pathParameters": {"id": "42"},
            "stageVariables": {"color": "blue"},
            "requestContext": {
                "accountId": ACCOUNT,
                "apiId": "api123",
                "resourceId": api.resources.iter().find(|r| r.path == "/items/{id}").unwrap().id,
                "resourcePath": "/items/{id}",
                "httpMethod": "GET",
                "extendedRequestId": "ext-1=",
                "requestTime": "09/Apr/2015:12:34:56 +0000",
                "requestTimeEpoch": 1_428_582_896_123u64,
                "path": "/prod/items/42",
                "stage": "prod",
                "deploymentId": "Dep",
                "domainName": "127.0.0.1:4000",
                "domainPrefix": "127",
                "protocol": "HTTP/1.1",
                "requestId": "req-1",
                "identity": {
                    "cognitoIdentityPoolId": null,
                    "cognitoIdentityId": null,
                    "cognitoAuthenticationType": null,
                    "cognitoAuthenticationProvider": null,
                    "apiKey": null,
                    "apiKeyId": null,
                    "accountId": "123456789012",
                    "caller": "AIDAALICE",
                    "user": "AIDAALICE",
                    "userArn": "arn:aws:iam::123456789012:user/alice",
                    "accessKey": "AKIAALICE",
                    "principalOrgId": null,
                    "sourceIp": "127.0.0.1",
                    "userAgent": "curl/8.0"
                },
                "authorizer": null
            },
            "body": null,
            "isBase64Encoded": false
        })
    );

    // No query, no parameters, no caller: nulls; a binary body goes base64.
    let root = routing::route(&api, "/", "GET").unwrap();
    let event = proxy::event(&ProxyRequest {
        api: &api,
        stage,
        route: &root,
        http_method: "GET",
        path: "/",
        query: None,
        headers: &headers,
        body: &[0xff, 0x00, 0x01],
        binary: true,
        source_ip: "127.0.0.1",
        caller: None,
        request_id: "req-2",
        extended_request_id: "ext-2=",
        time,
        protocol: "HTTP/1.1",
        domain_name: "127.0.0.1:4000",
    });
    assert_eq!(event["queryStringParameters"], Value::Null);
    assert_eq!(event["multiValueQueryStringParameters"], Value::Null);
    assert_eq!(event["pathParameters"], Value::Null);
    assert_eq!(event["requestContext"]["identity"]["caller"], Value::Null);
    assert_eq!(event["requestContext"]["identity"]["userArn"], Value::Null);
    assert_eq!(event["body"], "/wAB");
    assert_eq!(event["isBase64Encoded"], true);
}

fn mapped(result: Value) -> Result<proxy::ProxyResponse, String> {
    proxy::response(&result, |_| false)
}

#[test]
fn results_map_to_responses_and_malformed_ones_are_refused() {
    let ok = mapped(json!({
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain", "X-One": "1"},
        "multiValueHeaders": {"X-One": ["a", "b"], "Set-Cookie": ["c=1", "d=2"]},
        "body": "created",
        "isBase64Encoded": false
    }))
    .unwrap();
    assert_eq!(ok.status, 201);
    assert_eq!(ok.body, b"created");
    let mut headers = ok.headers.clone();
    headers.sort();
    assert_eq!(
        headers,
        [
            ("Content-Type".to_owned(), "text/plain".to_owned()),
            ("Set-Cookie".to_owned(), "c=1".to_owned()),
            ("Set-Cookie".to_owned(), "d=2".to_owned()),
            ("X-One".to_owned(), "a".to_owned()),
            ("X-One".to_owned(), "b".to_owned()),
        ]
    );
    assert_eq!(mapped(json!({"statusCode": 204})).unwrap().body, b"");

    // A base64 body is decoded only for a binary media type.
    let binary = json!({"statusCode": 200, "body": "/wAB", "isBase64Encoded": true,
        "headers": {"Content-Type": "application/octet-stream"}});
    assert_eq!(
        proxy::response(&binary, |_| true).unwrap().body,
        [0xff, 0x00, 0x01]
    );
    assert_eq!(mapped(binary).unwrap().body, b"/wAB");

    for malformed in [
        json!("just a string"),
        json!(null),
        json!({"body": "no status"}),
        json!({"statusCode": "200", "body": "x"}),
        json!({"statusCode": 200.5}),
        json!({"statusCode": 99}),
        json!({"statusCode": 200, "body": {"an": "object"}}),
        json!({"statusCode": 200, "headers": {"X-Num": 1}}),
        json!({"statusCode": 200, "multiValueHeaders": {"X": "not a list"}}),
        json!({"statusCode": 200, "isBase64Encoded": "yes"}),
        json!({"statusCode": 200, "cookies": ["a=b"]}),
    ] {
        assert!(
            mapped(malformed.clone()).is_err(),
            "{malformed} was accepted"
        );
    }
}

#[test]
fn bodies_are_validated_as_draft_4_by_the_content_types_model() {
    // Draft 4's boolean `exclusiveMinimum`; later drafts would refuse the schema.
    let schema = json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "required": ["n"],
        "properties": {"n": {"type": "number", "minimum": 0, "exclusiveMinimum": true}},
        "additionalProperties": false
    });
    let validator = jsonschema::draft4::new(&schema).unwrap();
    assert!(body_is_valid(&validator, br#"{"n": 1}"#));
    assert!(!body_is_valid(&validator, br#"{"n": 0}"#));
    assert!(!body_is_valid(&validator, br#"{"n": 1, "extra": true}"#));
    assert!(!body_is_valid(&validator, br#"{"n": 1"#));
    assert!(!body_is_valid(&validator, b""));
    let permissive = jsonschema::draft4::new(&json!({"type": "object"})).unwrap();
    assert!(body_is_valid(&permissive, b""));

    let mut models = BTreeMap::new();
    models.insert("application/json".to_owned(), ());
    let mut headers = HeaderMap::new();
    assert_eq!(
        model_key(&models, &headers).as_deref(),
        Some("application/json")
    );
    headers.insert(
        "content-type",
        "Application/JSON; charset=utf-8".parse().unwrap(),
    );
    assert_eq!(
        model_key(&models, &headers).as_deref(),
        Some("application/json")
    );
    headers.insert("content-type", "text/plain".parse().unwrap());
    assert_eq!(model_key(&models, &headers), None);
    models.insert("$default".to_owned(), ());
    assert_eq!(model_key(&models, &headers).as_deref(), Some("$default"));
}

#[test]
fn a_token_bucket_allows_the_burst_then_the_rate() {
    let start = Instant::now();
    let mut bucket = TokenBucket::new(
        Throttle {
            rate_per_second: 2.0,
            burst: 3,
        },
        start,
    );
    assert!((0..3).all(|_| bucket.try_take(start)));
    assert!(!bucket.try_take(start));
    assert!(!bucket.try_take(start + Duration::from_millis(400)));
    assert!(bucket.try_take(start + Duration::from_millis(500)));
    assert!(!bucket.try_take(start + Duration::from_millis(500)));
    // Idle time refills at most to the burst.
    let later = start + Duration::from_secs(60);
    assert!((0..3).all(|_| bucket.try_take(later)));
    assert!(!bucket.try_take(later));
    let mut closed = TokenBucket::new(
        Throttle {
            rate_per_second: 0.0,
            burst: 0,
        },
        start,
    );
    assert!(!closed.try_take(later));
}

#[test]
fn messages_and_formats_are_api_gateways() {
    assert_eq!(
        mask_account(
            "arn:aws:execute-api:us-east-1:123456789012:abc/v1/POST/trades",
            "123456789012"
        ),
        "arn:aws:execute-api:us-east-1:********9012:abc/v1/POST/trades"
    );
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut headers = HeaderMap::new();
    headers.insert("x-amz-date", "20231114T200000Z".parse().unwrap());
    assert_eq!(
        expired_message(&headers, now),
        "Signature expired: 20231114T200000Z is now earlier than 20231114T215820Z (20231114T221320Z - 15 min.)"
    );
    headers.insert("x-amz-date", "20231115T000000Z".parse().unwrap());
    assert_eq!(
        expired_message(&headers, now),
        "Signature not yet current: 20231115T000000Z is still later than 20231114T222820Z (20231114T221320Z + 15 min.)"
    );
    assert_eq!(proxy::request_time(now), "14/Nov/2023:22:13:20 +0000");
    assert_eq!(proxy::parse_amz_date("20231114T221320Z"), Some(now));
    for bytes in [
        &b""[..],
        b"f",
        b"fo",
        b"foo",
        b"foob",
        &[0xff, 0xfe, 0x00, 0x10, 0x80],
    ] {
        assert_eq!(
            proxy::base64_decode(&proxy::base64_encode(bytes)).as_deref(),
            Some(bytes)
        );
    }
    assert_eq!(proxy::base64_encode(b"foob"), "Zm9vYg==");
    assert_eq!(proxy::base64_decode("not*base64"), None);
    assert_eq!(title_case("x-amz-date"), "X-Amz-Date");
    assert_eq!(percent_decode("a%2Fb%zz%"), "a/b%zz%");
}
