//! `tp local`'s IAM-enforcing AWS proxy in front of moto: a role allowed
//! `sqs:SendMessage` on one queue and `dynamodb:GetItem` on one table,
//! assumed in moto, calls through the proxy with the Rust SDK, with raw
//! signed requests and with the Node SDK the functions use; what its
//! policy grants reaches moto, the rest fails as AWS fails it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_sqs::error::ProvideErrorMetadata;
use cli::local::aws_proxy::{self, ProxyConfig};
use cli::local::iam::{
    Identities, KeyMap, PolicyAuthorizer, default_node_package, key_map_from_template, sdk_config,
};
use cli::local::sigv4::{self, SigV4Authenticator};
use cli::local::types::{
    BoxFuture, Credentials, EventSink, InvokeResult, Invoker, Outcome, PutEvent,
};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{Value, json};

use super::{Moto, REGION};

const ACCOUNT: &str = super::DEV_ACCOUNT;

#[derive(Default)]
struct Recorder(Mutex<Vec<PutEvent>>);

impl EventSink for Recorder {
    fn put_events(&self, events: Vec<PutEvent>) {
        self.0.lock().unwrap().extend(events);
    }
}

/// Answers `{"function": name, "echo": payload}`; `broken` throws.
struct FakeInvoker;

impl Invoker for FakeInvoker {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Value,
    ) -> BoxFuture<'a, anyhow::Result<InvokeResult>> {
        Box::pin(async move {
            let outcome = if function == "broken" {
                Outcome::Failed {
                    error_type: "TypeError".into(),
                    error_message: "x is undefined".into(),
                }
            } else {
                Outcome::Returned(json!({"function": function, "echo": payload}))
            };
            Ok(InvokeResult {
                request_id: "11111111-2222-3333-4444-555555555555".into(),
                outcome,
                duration: Duration::from_millis(3),
            })
        })
    }
}

fn node() -> PathBuf {
    std::env::var_os("TP_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("node"))
}

fn admin() -> Credentials {
    Credentials {
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        session_token: None,
    }
}

/// A DynamoDB call as the SDKs make it (JSON 1.0), signed with `sigv4::sign`.
async fn dynamodb(
    endpoint: &str,
    credentials: &Credentials,
    operation: &str,
    body: Value,
) -> (u16, Value) {
    let body = body.to_string();
    let target = format!("DynamoDB_20120810.{operation}");
    let host = endpoint.trim_start_matches("http://");
    let base = [
        ("host", host),
        ("content-type", "application/x-amz-json-1.0"),
        ("x-amz-target", target.as_str()),
    ];
    let signed = sigv4::sign(
        "POST",
        &format!("{endpoint}/"),
        &base,
        body.as_bytes(),
        credentials,
        "dynamodb",
        REGION,
        SystemTime::now(),
    )
    .unwrap();
    let mut request = http::Request::builder()
        .method("POST")
        .uri(format!("{endpoint}/"));
    for (k, v) in base
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain(signed)
    {
        request = request.header(k, v);
    }
    let request = request.body(Full::new(Bytes::from(body))).unwrap();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}

#[test]
fn the_proxy_enforces_the_roles_policy_as_aws_does() {
    let moto = Moto::start("local-iam");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(scenario(&moto));
}

async fn scenario(moto: &Moto) {
    let endpoint = moto.endpoint();
    let direct = sdk_config(&endpoint, REGION, &admin()).await;
    let sqs_direct = aws_sdk_sqs::Client::new(&direct);
    let queue_a = sqs_direct
        .create_queue()
        .queue_name("A")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_b = sqs_direct
        .create_queue()
        .queue_name("B")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let (status, created) = dynamodb(
        &endpoint,
        &admin(),
        "CreateTable",
        json!({
            "TableName": "Orders",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    )
    .await;
    assert_eq!(status, 200, "CreateTable: {created}");
    let (status, _) = dynamodb(
        &endpoint,
        &admin(),
        "PutItem",
        json!({"TableName": "Orders", "Item": {"pk": {"S": "1"}, "qty": {"N": "7"}}}),
    )
    .await;
    assert_eq!(status, 200);

    let s3_direct = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&direct)
            .force_path_style(true)
            .build(),
    );
    s3_direct
        .create_bucket()
        .bucket("bkt")
        .send()
        .await
        .unwrap();
    let topic = aws_sdk_sns::Client::new(&direct)
        .create_topic()
        .name("fills")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let secret_arn = aws_sdk_secretsmanager::Client::new(&direct)
        .create_secret()
        .name("db-credentials")
        .secret_string("s3cr3t")
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();

    let iam = aws_sdk_iam::Client::new(&direct);
    let role = iam
        .create_role()
        .role_name("fn-role")
        .assume_role_policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let role_arn = role.role().unwrap().arn().to_owned();
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage",
         "Resource": format!("arn:aws:sqs:{REGION}:{ACCOUNT}:A")},
        {"Effect": "Allow", "Action": "dynamodb:GetItem",
         "Resource": format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Orders")},
        {"Effect": "Allow", "Action": "events:PutEvents",
         "Resource": format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default")},
        {"Effect": "Allow", "Action": "lambda:InvokeFunction",
         "Resource": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:*")},
        {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::bkt/*"},
        {"Effect": "Allow", "Action": "sns:Publish", "Resource": topic},
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn},
        {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
         "Condition": {"StringEquals": {"cloudwatch:namespace": "Trading"}}},
        {"Effect": "Deny", "Action": "sqs:*",
         "Resource": format!("arn:aws:sqs:{REGION}:{ACCOUNT}:B")},
    ]});
    // The broad sqs:* allow is overridden by the deny on B; A is allowed.
    iam.put_role_policy()
        .role_name("fn-role")
        .policy_name("fn-policy")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap();

    let identities = Identities::new(&endpoint, REGION, &admin()).await;
    let (principal, creds) = identities.assume_role(&role_arn, "fn").await.unwrap();
    assert!(creds.access_key_id.starts_with("ASIA"), "{creds:?}");
    assert!(creds.session_token.is_some());
    assert_eq!(principal.identity_arn, role_arn);

    let authorizer =
        PolicyAuthorizer::start(&node(), &default_node_package(), identities.iam()).unwrap();
    let sink = Arc::new(Recorder::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let config = ProxyConfig {
        upstream: format!("http://127.0.0.1:{}", moto.port),
        authenticator: Arc::new(SigV4Authenticator {
            keys: identities.keys(),
        }),
        authorizer: Arc::new(authorizer),
        events: sink.clone(),
        invoker: Arc::new(FakeInvoker),
        region: REGION.into(),
        account: ACCOUNT.into(),
        keys: Arc::new(KeyMap::new()),
    };
    let server = tokio::spawn(aws_proxy::serve(listener, config));

    let through = sdk_config(&proxy, REGION, &creds).await;
    let sqs = aws_sdk_sqs::Client::new(&through);

    // Allowed: reaches moto.
    sqs.send_message()
        .queue_url(&queue_a)
        .message_body("to A")
        .send()
        .await
        .expect("SendMessage to A is allowed");
    let received = sqs_direct
        .receive_message()
        .queue_url(&queue_a)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let bodies: Vec<&str> = received
        .messages()
        .iter()
        .filter_map(|m| m.body())
        .collect();
    assert_eq!(bodies, ["to A"]);

    // Denied: an AccessDenied error, and nothing in B.
    let err = sqs
        .send_message()
        .queue_url(&queue_b)
        .message_body("to B")
        .send()
        .await
        .expect_err("SendMessage to B is denied");
    assert_eq!(err.code(), Some("AccessDenied"), "{err:?}");
    let message = err.message().unwrap_or_default().to_owned();
    assert!(
        message.contains(&principal.arn)
            && message.contains("sqs:SendMessage")
            && message.contains(":B")
            && message.contains("explicit deny"),
        "{message}"
    );
    let in_b = sqs_direct
        .get_queue_attributes()
        .queue_url(&queue_b)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    assert_eq!(
        in_b.attributes().unwrap()
            [&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages],
        "0"
    );

    // DynamoDB: GetItem allowed, PutItem not (no statement allows it).
    let (status, item) = dynamodb(
        &proxy,
        &creds,
        "GetItem",
        json!({"TableName": "Orders", "Key": {"pk": {"S": "1"}}}),
    )
    .await;
    assert_eq!(
        (status, &item["Item"]["qty"]["N"]),
        (200, &json!("7")),
        "{item}"
    );
    let (status, error) = dynamodb(
        &proxy,
        &creds,
        "PutItem",
        json!({"TableName": "Orders", "Item": {"pk": {"S": "2"}}}),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["__type"]
            .as_str()
            .unwrap_or_default()
            .ends_with("#AccessDeniedException"),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("because no identity-based policy allows the dynamodb:PutItem action"),
        "{error}"
    );
    let (_, unchanged) = dynamodb(
        &endpoint,
        &admin(),
        "GetItem",
        json!({"TableName": "Orders", "Key": {"pk": {"S": "2"}}}),
    )
    .await;
    assert!(unchanged.get("Item").is_none(), "{unchanged}");

    // A wrong secret is refused before any policy is looked at.
    let forged = Credentials {
        secret_access_key: "not-the-secret".into(),
        ..creds.clone()
    };
    let bad = aws_sdk_sqs::Client::new(&sdk_config(&proxy, REGION, &forged).await);
    let err = bad
        .send_message()
        .queue_url(&queue_a)
        .message_body("forged")
        .send()
        .await
        .expect_err("a bad signature is refused");
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"), "{err:?}");
    let stranger = Credentials {
        access_key_id: "AKIAUNKNOWN".into(),
        secret_access_key: "x".into(),
        session_token: None,
    };
    let (status, error) = dynamodb(
        &proxy,
        &stranger,
        "GetItem",
        json!({"TableName": "Orders", "Key": {"pk": {"S": "1"}}}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        error["__type"]
            .as_str()
            .unwrap_or_default()
            .ends_with("UnrecognizedClientException"),
        "{error}"
    );

    // PutEvents: moto's ids reach the sink.
    let events = aws_sdk_eventbridge::Client::new(&through);
    let put = events
        .put_events()
        .entries(
            aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .source("trading.orders")
                .detail_type("OrderPlaced")
                .detail(r#"{"id":"o-1"}"#)
                .build(),
        )
        .send()
        .await
        .expect("PutEvents on the default bus is allowed");
    let ids: Vec<String> = put
        .entries()
        .iter()
        .filter_map(|e| e.event_id().map(str::to_owned))
        .collect();
    assert_eq!(ids.len(), 1);
    let got = sink.0.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].id, ids[0]);
    assert_eq!(
        (
            got[0].bus_name.as_str(),
            got[0].source.as_str(),
            got[0].detail_type.as_str()
        ),
        ("default", "trading.orders", "OrderPlaced")
    );
    assert_eq!(got[0].detail, r#"{"id":"o-1"}"#);

    // Lambda Invoke is answered through the invoker.
    let lambda = aws_sdk_lambda::Client::new(&through);
    let out = lambda
        .invoke()
        .function_name("pricer")
        .payload(aws_sdk_lambda::primitives::Blob::new(r#"{"n":1}"#))
        .send()
        .await
        .expect("Invoke is allowed");
    assert_eq!(out.status_code(), 200);
    assert_eq!(out.function_error(), None);
    assert_eq!(out.executed_version(), Some("$LATEST"));
    let payload: Value = serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    assert_eq!(payload, json!({"function": "pricer", "echo": {"n": 1}}));
    let out = lambda
        .invoke()
        .function_name("broken")
        .send()
        .await
        .unwrap();
    assert_eq!(out.function_error(), Some("Unhandled"));
    let payload: Value = serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
    assert_eq!(payload["errorType"], "TypeError");

    // The Node SDK, as a handler uses it, sees AccessDenied-named errors.
    let script = r#"
        import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs'
        import { DynamoDBClient, PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb'
        import { S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
        import { SNSClient, PublishCommand } from '@aws-sdk/client-sns'
        import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch'
        import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager'
        import { Readable } from 'node:stream'
        const cfg = { endpoint: process.env.PROXY, region: process.env.REGION, maxAttempts: 1,
          credentials: { accessKeyId: process.env.AK, secretAccessKey: process.env.SK, sessionToken: process.env.TOKEN } }
        const out = {}
        try { await new SQSClient(cfg).send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_B, MessageBody: 'x' })); out.sqs = 'ok' }
        catch (e) { out.sqs = e.name; out.sqsMessage = e.message }
        try { await new DynamoDBClient(cfg).send(new PutItemCommand({ TableName: 'Orders', Item: { pk: { S: '3' } } })); out.put = 'ok' }
        catch (e) { out.put = e.name }
        const got = await new DynamoDBClient(cfg).send(new GetItemCommand({ TableName: 'Orders', Key: { pk: { S: '1' } } }))
        out.get = got.Item.qty.N
        const s3 = new S3Client(cfg)
        await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'a b/one.txt', Body: 'hello' }))
        await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'two.txt', Body: Readable.from(['stream', 'ed']), ContentLength: 8 }))
        out.one = await (await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'a b/one.txt' }))).Body.transformToString()
        out.two = await (await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'two.txt' }))).Body.transformToString()
        try { await s3.send(new ListObjectsV2Command({ Bucket: 'bkt' })); out.list = 'ok' } catch (e) { out.list = e.name }
        out.published = !!(await new SNSClient(cfg).send(new PublishCommand({ TopicArn: process.env.TOPIC, Message: 'm' }))).MessageId
        const cw = new CloudWatchClient(cfg)
        await cw.send(new PutMetricDataCommand({ Namespace: 'Trading', MetricData: [{ MetricName: 'fills', Value: 1 }] }))
        try { await cw.send(new PutMetricDataCommand({ Namespace: 'Other', MetricData: [{ MetricName: 'x', Value: 1 }] })); out.metric = 'ok' } catch (e) { out.metric = e.name }
        out.secret = (await new SecretsManagerClient(cfg).send(new GetSecretValueCommand({ SecretId: 'db-credentials' }))).SecretString
        console.log(JSON.stringify(out))
    "#;
    let seen = node_sdk(
        script,
        &proxy,
        &creds,
        &[("QUEUE_B", queue_b.clone()), ("TOPIC", topic.clone())],
    )
    .await;
    assert_eq!(seen["sqs"], "AccessDenied", "{seen}");
    assert!(
        seen["sqsMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("sqs:SendMessage"),
        "{seen}"
    );
    assert_eq!(seen["put"], "AccessDeniedException", "{seen}");
    assert_eq!(seen["get"], "7", "{seen}");
    assert_eq!(seen["list"], "AccessDenied", "{seen}");
    assert_eq!(seen["published"], true, "{seen}");
    assert_eq!(seen["metric"], "AccessDenied", "{seen}");
    assert_eq!(seen["secret"], "s3cr3t", "{seen}");
    assert_eq!(seen["one"], "hello", "{seen}");
    assert_eq!(seen["two"], "streamed", "{seen}");
    // What the SDK put is in moto as sent.
    let stored = s3_direct
        .get_object()
        .bucket("bkt")
        .key("two.txt")
        .send()
        .await
        .unwrap();
    let stored = stored.body.collect().await.unwrap().into_bytes();
    assert_eq!(&stored[..], b"streamed");

    // A user made by Identities has its inline policy and nothing more.
    let (user, user_creds) = identities
        .create_user(
            "alice",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": "sqs:GetQueueAttributes",
                "Resource": format!("arn:aws:sqs:{REGION}:{ACCOUNT}:A")}]}),
        )
        .await
        .unwrap();
    assert_eq!(user.arn, format!("arn:aws:iam::{ACCOUNT}:user/alice"));
    let alice = aws_sdk_sqs::Client::new(&sdk_config(&proxy, REGION, &user_creds).await);
    alice
        .get_queue_attributes()
        .queue_url(&queue_a)
        .send()
        .await
        .expect("alice may read A's attributes");
    let err = alice
        .send_message()
        .queue_url(&queue_a)
        .message_body("from alice")
        .send()
        .await
        .expect_err("alice may not send");
    assert_eq!(err.code(), Some("AccessDenied"), "{err:?}");
    assert!(
        err.message().unwrap_or_default().contains("user/alice"),
        "{err:?}"
    );

    // What the proxy adds to a call: GetItem through it vs straight to moto.
    let rounds = 40;
    let time = |url: String, c: Credentials| async move {
        let start = Instant::now();
        for _ in 0..rounds {
            let (status, _) = dynamodb(
                &url,
                &c,
                "GetItem",
                json!({"TableName": "Orders", "Key": {"pk": {"S": "1"}}}),
            )
            .await;
            assert_eq!(status, 200);
        }
        start.elapsed() / rounds
    };
    let via_moto = time(endpoint.clone(), admin()).await;
    let via_proxy = time(proxy.clone(), creds.clone()).await;
    eprintln!(
        "GetItem: {via_moto:?} straight to moto, {via_proxy:?} through the IAM proxy ({:?} added per call)",
        via_proxy.saturating_sub(via_moto)
    );
    server.abort();
}

#[test]
fn an_encrypted_queue_needs_the_callers_grant_on_its_key() {
    let moto = Moto::start("local-iam-kms");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(kms_scenario(&moto));
}

/// A queue encrypted with a customer managed key, declared as the
/// platform's template declares it; one role may send to it but has no
/// grant on the key, another has `kms:GenerateDataKey` and `kms:Decrypt`
/// through SQS. The first is refused with SQS's KMS error (to the Rust and
/// the Node SDK alike), the second's message reaches moto.
async fn kms_scenario(moto: &Moto) {
    let endpoint = moto.endpoint();
    let direct = sdk_config(&endpoint, REGION, &admin()).await;
    let sqs_direct = aws_sdk_sqs::Client::new(&direct);
    let key_id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    let key_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}");
    let queue = sqs_direct
        .create_queue()
        .queue_name("sealed")
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::KmsMasterKeyId,
            &key_arn,
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:sealed");
    let template = json!({"Resources": {
        "DataKey": {"Type": "AWS::KMS::Key", "Properties": {}},
        "SealedQueue": {"Type": "AWS::SQS::Queue",
            "Properties": {"KmsMasterKeyId": {"Fn::GetAtt": ["DataKey", "Arn"]}}},
    }});
    let physical = [
        ("DataKey".to_owned(), key_id.to_owned()),
        ("SealedQueue".to_owned(), queue.clone()),
    ]
    .into();
    let keys = key_map_from_template(&template, &physical, REGION, ACCOUNT);
    assert_eq!(keys.queue(&queue_arn), Some(key_arn.as_str()));

    let iam = aws_sdk_iam::Client::new(&direct);
    let send = json!({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn});
    let key_use = json!({"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": key_arn,
        "Condition": {"StringEquals": {"kms:ViaService": format!("sqs.{REGION}.amazonaws.com")}}});
    let mut roles = Vec::new();
    for (name, statements) in [
        ("no-key", json!([send])),
        ("with-key", json!([send, key_use])),
    ] {
        let role = iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        iam.put_role_policy()
            .role_name(name)
            .policy_name("grants")
            .policy_document(json!({"Version": "2012-10-17", "Statement": statements}).to_string())
            .send()
            .await
            .unwrap();
        roles.push(role.role().unwrap().arn().to_owned());
    }

    let identities = Identities::new(&endpoint, REGION, &admin()).await;
    let (_, without) = identities.assume_role(&roles[0], "fn").await.unwrap();
    let (_, with) = identities.assume_role(&roles[1], "fn").await.unwrap();
    let authorizer =
        PolicyAuthorizer::start(&node(), &default_node_package(), identities.iam()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let config = ProxyConfig {
        upstream: format!("http://127.0.0.1:{}", moto.port),
        authenticator: Arc::new(SigV4Authenticator {
            keys: identities.keys(),
        }),
        authorizer: Arc::new(authorizer),
        events: Arc::new(Recorder::default()),
        invoker: Arc::new(FakeInvoker),
        region: REGION.into(),
        account: ACCOUNT.into(),
        keys: Arc::new(keys),
    };
    let server = tokio::spawn(aws_proxy::serve(listener, config));

    // No grant on the key: SQS's KmsAccessDenied, naming the key action.
    let sqs = aws_sdk_sqs::Client::new(&sdk_config(&proxy, REGION, &without).await);
    let err = sqs
        .send_message()
        .queue_url(&queue)
        .message_body("sealed")
        .send()
        .await
        .expect_err("no kms:GenerateDataKey on the queue's key");
    assert_eq!(err.code(), Some("KMS.AccessDeniedException"), "{err:?}");
    let message = err.message().unwrap_or_default().to_owned();
    assert!(
        message.contains("kms:GenerateDataKey") && message.contains(&key_arn),
        "{message}"
    );
    assert!(
        err.into_service_error().is_kms_access_denied(),
        "the SDK sees SQS's KmsAccessDenied"
    );

    // The Node SDK a handler uses sees the same.
    let script = r#"
        import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs'
        const cfg = { endpoint: process.env.PROXY, region: process.env.REGION, maxAttempts: 1,
          credentials: { accessKeyId: process.env.AK, secretAccessKey: process.env.SK, sessionToken: process.env.TOKEN } }
        try { await new SQSClient(cfg).send(new SendMessageCommand({ QueueUrl: process.env.QUEUE, MessageBody: 'x' })); console.log(JSON.stringify({ ok: true })) }
        catch (e) { console.log(JSON.stringify({ name: e.name, code: e.Code ?? e.code, status: e.$metadata?.httpStatusCode })) }
    "#;
    let seen = node_sdk(script, &proxy, &without, &[("QUEUE", queue.clone())]).await;
    assert_eq!(seen["name"], "KmsAccessDenied", "{seen}");
    assert_eq!(seen["status"], 400, "{seen}");

    let before = sqs_direct
        .receive_message()
        .queue_url(&queue)
        .send()
        .await
        .unwrap();
    assert!(
        before.messages().is_empty(),
        "the refused message never reached moto"
    );

    // With kms:GenerateDataKey and kms:Decrypt through SQS: delivered.
    let sqs = aws_sdk_sqs::Client::new(&sdk_config(&proxy, REGION, &with).await);
    sqs.send_message()
        .queue_url(&queue)
        .message_body("sealed")
        .send()
        .await
        .expect("the key grant lets the message through");
    let received = sqs_direct
        .receive_message()
        .queue_url(&queue)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let bodies: Vec<&str> = received
        .messages()
        .iter()
        .filter_map(|m| m.body())
        .collect();
    assert_eq!(bodies, ["sealed"]);
    server.abort();
}

/// Runs `script` (an ES module using the runtime's AWS SDK) under Node with
/// the proxy's URL, the region and `creds` in its environment (`PROXY`,
/// `REGION`, `AK`, `SK`, `TOKEN`) plus `vars`, and parses the JSON it prints.
async fn node_sdk(
    script: &'static str,
    proxy: &str,
    creds: &Credentials,
    vars: &[(&'static str, String)],
) -> Value {
    let (proxy, creds, vars) = (proxy.to_owned(), creds.clone(), vars.to_vec());
    let node_out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(node())
            .args(["--no-warnings", "--input-type=module", "-e", script])
            .current_dir(default_node_package())
            .env("PROXY", proxy)
            .env("REGION", REGION)
            .env("AK", &creds.access_key_id)
            .env("SK", &creds.secret_access_key)
            .env("TOKEN", creds.session_token.as_deref().unwrap_or_default())
            .envs(vars)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&node_out.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "node printed {stdout:?} ({e}); stderr:\n{}",
            String::from_utf8_lossy(&node_out.stderr)
        )
    })
}
