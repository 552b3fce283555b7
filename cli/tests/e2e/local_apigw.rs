//! The front door over real HTTP on loopback: the real template's REST API
//! served with a fake invoker, authenticator and authorizer, answering as
//! API Gateway does.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cli::local::apigw::{self, ApiSpec, FrontDoorDeps};
use cli::local::types::{
    AuthFailure, Authorizer, AuthzRequest, BoxFuture, Decision, InvokeResult, Invoker, Outcome,
    Principal, RequestAuthenticator,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = super::DEV_ACCOUNT;
const API_ID: &str = "e2eapi0001";
const ALLOWED_KEY: &str = "AKIDALLOWED";
const DENIED_KEY: &str = "AKIDDENIED";

fn alice() -> Principal {
    Principal {
        arn: format!("arn:aws:iam::{ACCOUNT}:user/alice"),
        identity_arn: format!("arn:aws:iam::{ACCOUNT}:user/alice"),
        account: ACCOUNT.into(),
        user_id: "AIDAALICE00000000001".into(),
    }
}

fn bob() -> Principal {
    Principal {
        arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/bob-role/bob"),
        identity_arn: format!("arn:aws:iam::{ACCOUNT}:role/bob-role"),
        account: ACCOUNT.into(),
        user_id: "AROABOB0000000000001:bob".into(),
    }
}

/// Records each invocation and answers with `answer` (or never, when `None`).
struct FakeInvoker {
    calls: Mutex<Vec<(String, Value)>>,
    answer: Option<Outcome>,
}

impl Invoker for FakeInvoker {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Value,
    ) -> BoxFuture<'a, anyhow::Result<InvokeResult>> {
        self.calls
            .lock()
            .unwrap()
            .push((function.to_owned(), payload));
        Box::pin(async move {
            match &self.answer {
                Some(outcome) => Ok(InvokeResult {
                    request_id: "lambda-request-1".into(),
                    outcome: outcome.clone(),
                    duration: Duration::from_millis(1),
                }),
                // A function slower than the integration's timeout.
                None => std::future::pending().await,
            }
        })
    }
}

/// `Authorization: AWS4-HMAC-SHA256 Credential=KEY/..., Signature=good`:
/// alice's or bob's key, signed right or not.
struct FakeAuthenticator;

impl RequestAuthenticator for FakeAuthenticator {
    fn authenticate(
        &self,
        service: &str,
        region: &str,
        _method: &http::Method,
        _uri: &http::Uri,
        headers: &http::HeaderMap,
        _body: &[u8],
    ) -> Result<Principal, AuthFailure> {
        assert_eq!((service, region), ("execute-api", REGION));
        let header = headers
            .get("authorization")
            .ok_or(AuthFailure::Missing)?
            .to_str()
            .unwrap();
        let key = header
            .split("Credential=")
            .nth(1)
            .and_then(|c| c.split('/').next())
            .unwrap_or("");
        let principal = match key {
            ALLOWED_KEY => alice(),
            DENIED_KEY => bob(),
            other => return Err(AuthFailure::UnknownKey(other.to_owned())),
        };
        if !header.ends_with("Signature=good") {
            return Err(AuthFailure::BadSignature);
        }
        Ok(principal)
    }
}

/// Allows alice only; records each question.
#[derive(Default)]
struct FakeAuthorizer {
    questions: Mutex<Vec<AuthzRequest>>,
}

impl Authorizer for FakeAuthorizer {
    fn authorize<'a>(
        &'a self,
        request: &'a AuthzRequest,
    ) -> BoxFuture<'a, anyhow::Result<Decision>> {
        self.questions.lock().unwrap().push(request.clone());
        let decision = if request.identity_arn == alice().identity_arn {
            Decision::Allowed
        } else {
            Decision::ImplicitDeny
        };
        Box::pin(async move { Ok(decision) })
    }
}

fn real_template() -> Value {
    let platform = platform_def::platform();
    let deployment =
        platform_core::synth::Deployment::new(&platform, "dev", None, &[REGION.to_owned()])
            .expect("dev in us-east-1");
    let assembly = platform_core::synth::synth(&platform, &deployment).expect("synth");
    serde_json::from_str(&assembly.stacks[0].body).expect("JSON template")
}

fn physical(template: &Value) -> BTreeMap<String, String> {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, r)| {
            let value = match r["Type"].as_str().unwrap() {
                "AWS::ApiGateway::RestApi" => API_ID.to_owned(),
                "AWS::Lambda::Function" => r["Properties"]["FunctionName"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("fn-{id}")),
                _ => format!("phys-{id}"),
            };
            (id.clone(), value)
        })
        .collect()
}

fn function_name(template: &Value) -> String {
    physical(template)["TradeApiFunction"].clone()
}

struct Server {
    port: u16,
    invoker: Arc<FakeInvoker>,
    authorizer: Arc<FakeAuthorizer>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(template: &Value, answer: Option<Outcome>) -> Server {
    let api = ApiSpec::from_template(template, &physical(template), REGION, ACCOUNT)
        .expect("the template is served")
        .remove(0);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let invoker = Arc::new(FakeInvoker {
        calls: Mutex::new(Vec::new()),
        answer,
    });
    let authorizer = Arc::new(FakeAuthorizer::default());
    let deps = FrontDoorDeps {
        invoker: invoker.clone(),
        authenticator: Arc::new(FakeAuthenticator),
        authorizer: authorizer.clone(),
        region: REGION.into(),
        account: ACCOUNT.into(),
    };
    let task = tokio::spawn(apigw::serve(listener, api, deps));
    Server {
        port,
        invoker,
        authorizer,
        task,
    }
}

fn returned(value: Value) -> Option<Outcome> {
    Some(Outcome::Returned(value))
}

fn ok_answer() -> Option<Outcome> {
    returned(json!({
        "statusCode": 202,
        "headers": {"Content-Type": "application/json", "X-Trade": "t-1"},
        "body": "{\"tradeId\":\"t-1\"}"
    }))
}

struct Answer {
    status: u16,
    /// Lowercased names.
    headers: BTreeMap<String, String>,
    body: String,
}

/// One HTTP/1.1 request over a fresh connection.
async fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to the front door");
    let mut text = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    stream.write_all(text.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .expect("the front door answers within 30 s")
        .unwrap();
    let raw = String::from_utf8(raw).expect("UTF-8 answer");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete HTTP answer");
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn signed(key: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={key}/20250101/{REGION}/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"
    )
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_and_badly_signed_posts_are_refused_before_the_function() {
    let template = real_template();
    let server = serve(&template, ok_answer()).await;
    let body = r#"{"any": "thing"}"#;

    let answer = request(
        server.port,
        "POST",
        "/v1/trades",
        &[("Content-Type", "application/json")],
        body,
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.body, r#"{"message":"Missing Authentication Token"}"#);
    assert_eq!(
        answer.headers["x-amzn-errortype"],
        "MissingAuthenticationTokenException"
    );
    assert!(answer.headers.contains_key("x-amzn-requestid"));

    let unknown = signed("AKIDUNKNOWN", "good");
    let answer = request(
        server.port,
        "POST",
        "/v1/trades",
        &[("Authorization", &unknown)],
        body,
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.body,
        r#"{"message":"The security token included in the request is invalid."}"#
    );
    assert_eq!(
        answer.headers["x-amzn-errortype"],
        "UnrecognizedClientException"
    );

    let bad = signed(ALLOWED_KEY, "wrong");
    let answer = request(
        server.port,
        "POST",
        "/v1/trades",
        &[("Authorization", &bad)],
        body,
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.headers["x-amzn-errortype"],
        "InvalidSignatureException"
    );
    assert!(
        json_of(&answer.body)["message"]
            .as_str()
            .unwrap()
            .starts_with(
                "The request signature we calculated does not match the signature you provided."
            ),
        "{}",
        answer.body
    );

    assert!(server.invoker.calls.lock().unwrap().is_empty());
    assert!(server.authorizer.questions.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_caller_iam_denies_gets_access_denied() {
    let template = real_template();
    let server = serve(&template, ok_answer()).await;
    let auth = signed(DENIED_KEY, "good");
    let answer = request(
        server.port,
        "POST",
        "/v1/trades",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        "{}",
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.headers["x-amzn-errortype"], "AccessDeniedException");
    assert_eq!(
        json_of(&answer.body),
        json!({"Message": format!(
            "User: {} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:{REGION}:********{}:{API_ID}/v1/POST/trades",
            bob().arn,
            &ACCOUNT[ACCOUNT.len() - 4..]
        )})
    );
    let questions = server.authorizer.questions.lock().unwrap().clone();
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0].identity_arn, bob().identity_arn);
    assert_eq!(questions[0].action, "execute-api:Invoke");
    assert_eq!(
        questions[0].resource,
        format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/v1/POST/trades")
    );
    assert!(server.invoker.calls.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_the_model_refuses_is_a_bad_request_and_never_reaches_the_function() {
    let template = real_template();
    let server = serve(&template, ok_answer()).await;
    let auth = signed(ALLOWED_KEY, "good");
    // Whatever the order's fields, `{}` lacks the required ones.
    for body in ["{}", "{not json", "[]"] {
        let answer = request(
            server.port,
            "POST",
            "/v1/trades",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body,
        )
        .await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
        assert_eq!(answer.body, r#"{"message": "Invalid request body"}"#);
        assert_eq!(answer.headers["x-amzn-errortype"], "BadRequestException");
    }
    assert!(server.invoker.calls.lock().unwrap().is_empty());
}

/// The real template with a model of known fields (the platform's order
/// schema evolves on its own).
fn template_with_test_model() -> Value {
    let mut template = real_template();
    template["Resources"]["TradingApiPostTradesModel"]["Properties"]["Schema"] = json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "required": ["symbol"],
        "properties": {"symbol": {"type": "string", "pattern": "^[A-Z]+$"}},
        "additionalProperties": false
    });
    template
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_signed_post_invokes_the_function_with_the_proxy_event_and_maps_its_answer() {
    let template = template_with_test_model();
    let server = serve(&template, ok_answer()).await;
    let auth = signed(ALLOWED_KEY, "good");
    let body = r#"{"symbol":"AAPL"}"#;
    let answer = request(
        server.port,
        "POST",
        "/v1/trades?dry=1",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("X-Amz-Date", "20250101T000000Z"),
            ("User-Agent", "e2e/1.0"),
        ],
        body,
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.body, r#"{"tradeId":"t-1"}"#);
    assert_eq!(answer.headers["x-trade"], "t-1");
    assert_eq!(answer.headers["content-type"], "application/json");

    let calls = server.invoker.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    let (function, event) = &calls[0];
    assert_eq!(function, &function_name(&template));
    assert_eq!(event["resource"], "/trades");
    assert_eq!(event["path"], "/trades");
    assert_eq!(event["httpMethod"], "POST");
    assert_eq!(event["body"], body);
    assert_eq!(event["isBase64Encoded"], false);
    assert_eq!(event["queryStringParameters"], json!({"dry": "1"}));
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"dry": ["1"]})
    );
    assert_eq!(event["pathParameters"], Value::Null);
    assert_eq!(event["stageVariables"], Value::Null);
    assert_eq!(event["headers"]["Content-Type"], "application/json");
    assert_eq!(event["headers"]["User-Agent"], "e2e/1.0");
    assert_eq!(
        event["multiValueHeaders"]["X-Amz-Date"],
        json!(["20250101T000000Z"])
    );
    let context = &event["requestContext"];
    assert_eq!(context["apiId"], API_ID);
    assert_eq!(context["accountId"], ACCOUNT);
    assert_eq!(context["stage"], "v1");
    assert_eq!(context["path"], "/v1/trades");
    assert_eq!(context["resourcePath"], "/trades");
    assert_eq!(context["resourceId"], "phys-TradingApiTradesResource");
    assert_eq!(context["httpMethod"], "POST");
    assert_eq!(context["protocol"], "HTTP/1.1");
    assert_eq!(context["domainName"], format!("127.0.0.1:{}", server.port));
    assert_eq!(
        context["requestId"].as_str(),
        answer.headers.get("x-amzn-requestid").map(String::as_str)
    );
    assert_eq!(
        context["extendedRequestId"].as_str(),
        answer.headers.get("x-amz-apigw-id").map(String::as_str)
    );
    assert!(answer.headers["x-amzn-trace-id"].starts_with("Root=1-"));
    let identity = &context["identity"];
    assert_eq!(identity["userArn"], alice().arn);
    assert_eq!(identity["caller"], alice().user_id);
    assert_eq!(identity["user"], alice().user_id);
    assert_eq!(identity["accountId"], ACCOUNT);
    assert_eq!(identity["accessKey"], ALLOWED_KEY);
    assert_eq!(identity["sourceIp"], "127.0.0.1");
    assert_eq!(identity["userAgent"], "e2e/1.0");
    assert_eq!(identity["cognitoIdentityId"], Value::Null);

    // The test model refuses what it does not describe.
    let answer = request(
        server.port,
        "POST",
        "/v1/trades",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        r#"{"symbol":"aapl"}"#,
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(server.invoker.calls.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_or_failed_answer_is_a_bad_gateway() {
    let template = real_template();
    for answer in [
        returned(json!({"statusCode": "200", "body": "ok"})),
        returned(json!({"statusCode": 200, "body": {"not": "a string"}})),
        returned(json!("just text")),
        Some(Outcome::Failed {
            error_type: "Error".into(),
            error_message: "boom".into(),
        }),
        Some(Outcome::TimedOut),
    ] {
        let server = serve(&template, answer.clone()).await;
        let got = request(server.port, "GET", "/v1/health", &[], "").await;
        assert_eq!(got.status, 502, "{answer:?}");
        assert_eq!(got.body, r#"{"message": "Internal server error"}"#);
        assert_eq!(server.invoker.calls.lock().unwrap().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_health_needs_no_signature_and_reaches_the_function() {
    let template = real_template();
    let server = serve(
        &template,
        returned(json!({"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{\"status\":\"ok\"}"})),
    )
    .await;
    let answer = request(server.port, "GET", "/v1/health", &[], "").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body, r#"{"status":"ok"}"#);
    let calls = server.invoker.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].1["resource"], "/health");
    assert_eq!(calls[0].1["httpMethod"], "GET");
    assert_eq!(calls[0].1["body"], Value::Null);
    assert_eq!(
        calls[0].1["requestContext"]["identity"]["userArn"],
        Value::Null
    );
    assert!(server.authorizer.questions.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_methods_and_stages_are_missing_authentication_token() {
    let template = real_template();
    let server = serve(&template, ok_answer()).await;
    for (method, path) in [
        ("GET", "/v1/nothing"),
        ("GET", "/v1/trades"),
        ("DELETE", "/v1/health"),
        ("OPTIONS", "/v1/trades"),
        ("GET", "/v2/health"),
        ("GET", "/"),
        ("GET", "/v1"),
    ] {
        let answer = request(server.port, method, path, &[], "").await;
        assert_eq!(answer.status, 403, "{method} {path}");
        assert_eq!(
            answer.body, r#"{"message":"Missing Authentication Token"}"#,
            "{method} {path}"
        );
        assert_eq!(
            answer.headers["x-amzn-errortype"],
            "MissingAuthenticationTokenException"
        );
    }
    assert!(server.invoker.calls.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_the_burst_are_throttled() {
    let mut template = real_template();
    // The stage's settings (its own and GET /health's) with a small burst
    // and a rate too slow to refill during the test.
    let settings = template["Resources"]["TradingApiStage"]["Properties"]["MethodSettings"]
        .as_array_mut()
        .unwrap();
    for setting in settings {
        setting["ThrottlingBurstLimit"] = json!(3);
        setting["ThrottlingRateLimit"] = json!(0.001);
    }
    let server = serve(
        &template,
        returned(json!({"statusCode": 200, "body": "ok"})),
    )
    .await;
    for _ in 0..3 {
        assert_eq!(
            request(server.port, "GET", "/v1/health", &[], "")
                .await
                .status,
            200
        );
    }
    let answer = request(server.port, "GET", "/v1/health", &[], "").await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.body, r#"{"message":"Too Many Requests"}"#);
    assert_eq!(
        answer.headers["x-amzn-errortype"],
        "TooManyRequestsException"
    );
    assert_eq!(server.invoker.calls.lock().unwrap().len(), 3);
    // Each method has its own bucket.
    let other = request(server.port, "POST", "/v1/trades", &[], "{}").await;
    assert_eq!(other.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_integration_past_its_timeout_is_a_gateway_timeout() {
    let mut template = real_template();
    template["Resources"]["TradingApiGetHealthMethod"]["Properties"]["Integration"]["TimeoutInMillis"] =
        json!(200);
    let server = serve(&template, None).await;
    let answer = request(server.port, "GET", "/v1/health", &[], "").await;
    assert_eq!(answer.status, 504);
    assert_eq!(answer.body, r#"{"message": "Endpoint request timed out"}"#);
}
