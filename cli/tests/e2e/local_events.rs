//! `tp local`'s event machinery against moto started with
//! `TP_LOCAL_EVENTS=external` (moto keeps rules and mappings but delivers
//! nothing itself): an SQS event source mapping with batch item failures
//! and a redrive policy; rules with patterns on a custom bus delivering to
//! a Lambda function (a fake invoker), a log group and SQS; a failing
//! function's dead-letter queue; a rule target's dead-letter queue; a
//! scheduled rule fired now.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};
use cli::local::events::Setup;
use cli::local::events::async_invoke::{AsyncOptions, FunctionAsync};
use cli::local::events::esm::{self, EsmOptions};
use cli::local::events::rules::RouterOptions;
use cli::local::types::{BoxFuture, EventSink, InvokeResult, Invoker, Outcome, PutEvent};
use serde_json::{Value, json};

const ACCOUNT: &str = super::DEV_ACCOUNT;

/// moto_server with `TP_LOCAL_EVENTS=external`, stopped when dropped.
struct ExternalMoto {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl ExternalMoto {
    fn start(name: &str) -> ExternalMoto {
        let port = super::free_port();
        let log = std::env::temp_dir().join(format!("tp-moto-{name}-{}.log", std::process::id()));
        let child = Command::new(super::python())
            .arg(super::workspace_root().join("cli/local/moto-launch.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("TP_LOCAL_EVENTS", "external")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("moto log file"))
            .spawn()
            .expect("start moto_server");
        let mut moto = ExternalMoto { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !super::http_get_ok(port, "/moto-api/data.json") {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited ({status}):\n{}", moto.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "moto did not answer:\n{}",
                moto.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn config(&self) -> aws_config::SdkConfig {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .endpoint_url(format!("http://localhost:{}", self.port))
            .region(aws_config::Region::new(super::REGION))
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await
    }
}

impl Drop for ExternalMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// How the fake function answers an invocation (function name, payload).
type Respond = Box<dyn Fn(&str, &Value) -> Outcome + Send + Sync>;

/// Records every invocation; answers with what `respond` says.
struct FakeInvoker {
    calls: Mutex<Vec<(String, Value)>>,
    respond: Respond,
}

impl FakeInvoker {
    fn new(respond: impl Fn(&str, &Value) -> Outcome + Send + Sync + 'static) -> Arc<FakeInvoker> {
        Arc::new(FakeInvoker {
            calls: Mutex::new(Vec::new()),
            respond: Box::new(respond),
        })
    }

    fn calls_of(&self, function: &str) -> Vec<Value> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|(f, _)| f == function)
            .map(|(_, p)| p.clone())
            .collect()
    }
}

impl Invoker for FakeInvoker {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Value,
    ) -> BoxFuture<'a, anyhow::Result<InvokeResult>> {
        Box::pin(async move {
            let outcome = (self.respond)(function, &payload);
            self.calls
                .lock()
                .unwrap()
                .push((function.to_owned(), payload));
            Ok(InvokeResult {
                request_id: format!("req-{}", self.calls.lock().unwrap().len()),
                outcome,
                duration: Duration::from_millis(1),
            })
        })
    }
}

fn zip_of(source: &str) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    zip.start_file("index.js", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(source.as_bytes()).unwrap();
    zip.finish().unwrap();
    out.into_inner()
}

async fn create_function(config: &aws_config::SdkConfig, name: &str) -> String {
    let iam = aws_sdk_iam::Client::new(config);
    let role = match iam
        .create_role()
        .role_name("events-test-role")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
    {
        Ok(out) => out.role.unwrap().arn,
        Err(_) => iam.get_role().role_name("events-test-role").send().await.unwrap().role.unwrap().arn,
    };
    let lambda = aws_sdk_lambda::Client::new(config);
    let out = lambda
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::Nodejs20x)
        .handler("index.handler")
        .role(role)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(zip_of(
                    "exports.handler = async () => ({});",
                )))
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "CreateFunction {name}: {}",
                aws_sdk_lambda::error::DisplayErrorContext(&e)
            )
        });
    out.function_arn.unwrap()
}

async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    attributes: &[(QueueAttributeName, String)],
) -> (String, String) {
    let mut request = sqs.create_queue().queue_name(name);
    for (k, v) in attributes {
        request = request.attributes(k.clone(), v);
    }
    let url = request.send().await.unwrap().queue_url.unwrap();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    (url, arn)
}

/// Every message now in the queue (received and deleted).
async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    let mut out = Vec::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .wait_time_seconds(0)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        if got.is_empty() {
            return out;
        }
        for m in &got {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
        out.extend(got);
    }
}

fn attr(m: &aws_sdk_sqs::types::Message, name: &str) -> String {
    m.message_attributes()
        .and_then(|a| a.get(name))
        .and_then(|v| v.string_value())
        .unwrap_or_else(|| panic!("message attribute {name} missing: {m:?}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_mapping_delivers_batches_deletes_successes_and_dead_letters_reported_failures() {
    let moto = ExternalMoto::start("events-esm");
    let config = moto.config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);
    create_function(&config, "consumer").await;
    let (dlq_url, dlq_arn) = create_queue(&sqs, "work-dlq", &[]).await;
    let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}).to_string();
    let (url, arn) = create_queue(
        &sqs,
        "work",
        &[
            (QueueAttributeName::RedrivePolicy, redrive),
            (QueueAttributeName::VisibilityTimeout, "30".into()),
        ],
    )
    .await;
    lambda
        .create_event_source_mapping()
        .function_name("consumer")
        .event_source_arn(&arn)
        .batch_size(10)
        .maximum_batching_window_in_seconds(1)
        .function_response_types(
            aws_sdk_lambda::types::FunctionResponseType::ReportBatchItemFailures,
        )
        .send()
        .await
        .expect("CreateEventSourceMapping");
    for body in ["ok-1", "ok-2", "ok-3", "fail"] {
        sqs.send_message()
            .queue_url(&url)
            .message_body(body)
            .message_attributes(
                "kind",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(body)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    let mappings = esm::list_mappings(&lambda).await.unwrap();
    assert_eq!(mappings.len(), 1, "{mappings:?}");
    let mapping = &mappings[0];
    assert_eq!(
        (
            mapping.queue_arn.as_str(),
            mapping.function_name.as_str(),
            mapping.batch_size
        ),
        (arn.as_str(), "consumer", 10)
    );
    assert!(mapping.report_batch_item_failures && mapping.enabled);
    assert_eq!(mapping.batching_window, Duration::from_secs(1));

    let invoker = FakeInvoker::new(|_, event| {
        let failures: Vec<Value> = event["Records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["body"] == "fail")
            .map(|r| json!({"itemIdentifier": r["messageId"]}))
            .collect();
        Outcome::Returned(json!({"batchItemFailures": failures}))
    });
    let options = EsmOptions {
        retry_delay: Some(Duration::ZERO),
        ..EsmOptions::default()
    };
    let poller_sqs = sqs.clone();
    let handle = esm::start_pollers(
        mappings,
        move |_| poller_sqs.clone(),
        invoker.clone(),
        super::REGION,
        options,
    );

    let deadline = Instant::now() + Duration::from_secs(40);
    let dead = loop {
        let got = drain(&sqs, &dlq_url).await;
        if !got.is_empty() {
            break got;
        }
        assert!(
            Instant::now() < deadline,
            "nothing reached the DLQ; calls: {:?}",
            invoker.calls.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    handle.shutdown().await;

    assert_eq!(
        dead.iter().map(|m| m.body().unwrap()).collect::<Vec<_>>(),
        ["fail"]
    );
    let batches = invoker.calls_of("consumer");
    let bodies: Vec<Vec<String>> = batches
        .iter()
        .map(|b| {
            b["Records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["body"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect();
    // One batch of all four, then the failed one alone until its receive
    // count reached maxReceiveCount.
    assert_eq!(bodies[0].len(), 4, "{bodies:?}");
    assert_eq!(
        bodies.iter().flatten().filter(|b| *b == "fail").count(),
        2,
        "{bodies:?}"
    );
    for ok in ["ok-1", "ok-2", "ok-3"] {
        assert_eq!(
            bodies.iter().flatten().filter(|b| *b == ok).count(),
            1,
            "{ok}: {bodies:?}"
        );
    }
    let first = &batches[0]["Records"][0];
    assert_eq!(first["eventSource"], "aws:sqs");
    assert_eq!(first["eventSourceARN"], arn.as_str());
    assert_eq!(first["awsRegion"], super::REGION);
    assert_eq!(first["attributes"]["ApproximateReceiveCount"], "1");
    assert!(first["attributes"]["SentTimestamp"].is_string());
    assert_eq!(first["messageAttributes"]["kind"]["dataType"], "String");
    assert_eq!(
        first["messageAttributes"]["kind"]["stringValue"],
        first["body"]
    );
    assert!(first["md5OfBody"].as_str().is_some_and(|m| m.len() == 32));
    let retried = batches
        .iter()
        .find(|b| b["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2");
    assert!(
        retried.is_some(),
        "the failure was received again: {batches:?}"
    );

    let left = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(left[&QueueAttributeName::ApproximateNumberOfMessages], "0");
    assert_eq!(
        left[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible],
        "0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_deliver_matching_events_once_to_lambda_logs_and_sqs_with_retries_and_dead_letters() {
    let moto = ExternalMoto::start("events-rules");
    let config = moto.config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let eventbridge = aws_sdk_eventbridge::Client::new(&config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let handler_arn = create_function(&config, "handler").await;
    let failing_arn = create_function(&config, "failing").await;
    eventbridge
        .create_event_bus()
        .name("orders")
        .send()
        .await
        .unwrap();
    logs.create_log_group()
        .log_group_name("/aws/events/orders")
        .send()
        .await
        .unwrap();
    let (target_url, target_arn) = create_queue(&sqs, "orders-target", &[]).await;
    let (fn_dlq_url, fn_dlq_arn) = create_queue(&sqs, "failing-dlq", &[]).await;
    let (rule_dlq_url, rule_dlq_arn) = create_queue(&sqs, "rule-dlq", &[]).await;
    let (ticks_url, ticks_arn) = create_queue(&sqs, "ticks", &[]).await;

    let big = eventbridge
        .put_rule()
        .name("big-orders")
        .event_bus_name("orders")
        .event_pattern(
            json!({"source": ["shop"], "detail": {"amount": [{"numeric": [">", 100]}]}})
                .to_string(),
        )
        .send()
        .await
        .unwrap()
        .rule_arn
        .unwrap();
    use aws_sdk_eventbridge::types::{DeadLetterConfig, InputTransformer, RetryPolicy, Target};
    eventbridge
        .put_targets()
        .rule("big-orders")
        .event_bus_name("orders")
        .targets(
            Target::builder()
                .id("fn")
                .arn(&handler_arn)
                .build()
                .unwrap(),
        )
        .targets(
            Target::builder()
                .id("logs")
                .arn(format!(
                    "arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/events/orders"
                ))
                .build()
                .unwrap(),
        )
        .targets(
            Target::builder()
                .id("queue")
                .arn(&target_arn)
                .input_transformer(
                    InputTransformer::builder()
                        .input_paths_map("amt", "$.detail.amount")
                        .input_template(r#"{"amount": <amt>, "rule": "<aws.events.rule-name>"}"#)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .targets(
            Target::builder()
                .id("gone")
                .arn(format!("arn:aws:sqs:us-east-1:{ACCOUNT}:no-such-queue"))
                .retry_policy(RetryPolicy::builder().maximum_retry_attempts(1).build())
                .dead_letter_config(DeadLetterConfig::builder().arn(&rule_dlq_arn).build())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    eventbridge
        .put_rule()
        .name("failures")
        .event_bus_name("orders")
        .event_pattern(json!({"detail-type": ["Fail"]}).to_string())
        .send()
        .await
        .unwrap();
    eventbridge
        .put_targets()
        .rule("failures")
        .event_bus_name("orders")
        .targets(
            Target::builder()
                .id("fn")
                .arn(&failing_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let tick = eventbridge
        .put_rule()
        .name("tick")
        .schedule_expression("rate(5 minutes)")
        .send()
        .await
        .unwrap()
        .rule_arn
        .unwrap();
    eventbridge
        .put_targets()
        .rule("tick")
        .targets(Target::builder().id("q").arn(&ticks_arn).build().unwrap())
        .send()
        .await
        .unwrap();

    let invoker = FakeInvoker::new(|function, _| match function {
        "failing" => Outcome::Failed {
            error_type: "Error".into(),
            error_message: "cannot process".into(),
        },
        _ => Outcome::Returned(Value::Null),
    });
    let functions = HashMap::from([(
        "failing".to_owned(),
        FunctionAsync {
            dead_letter: Some((fn_dlq_arn.clone(), sqs.clone())),
            ..FunctionAsync::default()
        },
    )]);
    let async_options = AsyncOptions {
        retry_delays: vec![Duration::from_millis(50)],
        ..AsyncOptions::default()
    };
    let setup_sqs = sqs.clone();
    let events = cli::local::events::start(Setup {
        lambda: aws_sdk_lambda::Client::new(&config),
        eventbridge: eventbridge.clone(),
        sqs: sqs.clone(),
        sns: aws_sdk_sns::Client::new(&config),
        logs: logs.clone(),
        invoker: invoker.clone(),
        region: super::REGION.into(),
        account: ACCOUNT.into(),
        functions,
        esm_sqs: Arc::new(move |_| setup_sqs.clone()),
        esm_options: EsmOptions::default(),
        async_options,
        router_options: RouterOptions {
            retry_delay: Duration::from_millis(50),
            ..RouterOptions::default()
        },
    })
    .await
    .expect("start the event machinery");
    let router = events.router.clone();
    let scheduled: Vec<String> = events
        .scheduler
        .scheduled_rules()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(scheduled, ["tick"]);

    // As the AWS proxy does: PutEvents goes to moto (which now delivers
    // nothing), and the accepted entries to the router.
    use aws_sdk_eventbridge::types::PutEventsRequestEntry;
    let entries = [
        ("OrderPlaced", json!({"amount": 150})),
        ("OrderPlaced", json!({"amount": 50})),
        ("Fail", json!({"amount": 1})),
    ];
    let mut request = eventbridge.put_events();
    for (detail_type, detail) in &entries {
        request = request.entries(
            PutEventsRequestEntry::builder()
                .event_bus_name("orders")
                .source("shop")
                .detail_type(*detail_type)
                .detail(detail.to_string())
                .build(),
        );
    }
    let out = request
        .send()
        .await
        .expect("PutEvents (moto would fail on the Lambda target if it delivered)");
    assert_eq!(out.failed_entry_count, 0);
    let ids: Vec<String> = out
        .entries()
        .iter()
        .map(|e| e.event_id().unwrap().to_owned())
        .collect();
    let puts: Vec<PutEvent> = entries
        .iter()
        .zip(&ids)
        .map(|((detail_type, detail), id)| PutEvent {
            id: id.clone(),
            bus_name: "orders".into(),
            source: "shop".into(),
            detail_type: (*detail_type).into(),
            detail: detail.to_string(),
            resources: vec![],
            time: cli::local::events::rfc3339(std::time::SystemTime::now()),
            account: ACCOUNT.into(),
            region: super::REGION.into(),
        })
        .collect();
    router.put_events(puts);
    tokio::time::timeout(Duration::from_secs(30), router.idle())
        .await
        .expect("deliveries finish");

    // Lambda: the matching event only, as EventBridge delivers it.
    let handled = invoker.calls_of("handler");
    assert_eq!(handled.len(), 1, "{handled:?}");
    assert_eq!(handled[0]["id"], ids[0].as_str());
    assert_eq!(handled[0]["detail-type"], "OrderPlaced");
    assert_eq!(handled[0]["detail"], json!({"amount": 150}));
    assert_eq!(handled[0]["version"], "0");

    // SQS: exactly one copy (moto did not deliver its own), transformed.
    let bodies: Vec<Value> = drain(&sqs, &target_url)
        .await
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect();
    assert_eq!(bodies, [json!({"amount": 150, "rule": "big-orders"})]);

    // CloudWatch Logs: the event's JSON.
    let logged = logs
        .filter_log_events()
        .log_group_name("/aws/events/orders")
        .send()
        .await
        .unwrap();
    let messages: Vec<Value> = logged
        .events()
        .iter()
        .map(|e| serde_json::from_str(e.message().unwrap()).unwrap())
        .collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["id"], ids[0].as_str());

    // The failing function: invoked, retried twice, then its DLQ.
    assert_eq!(invoker.calls_of("failing").len(), 3);
    let dead = drain(&sqs, &fn_dlq_url).await;
    assert_eq!(dead.len(), 1);
    let body: Value = serde_json::from_str(dead[0].body().unwrap()).unwrap();
    assert_eq!(body["id"], ids[2].as_str());
    assert_eq!(attr(&dead[0], "ErrorCode"), "200");
    assert!(attr(&dead[0], "ErrorMessage").contains("cannot process"));
    assert!(!attr(&dead[0], "RequestID").is_empty());

    // The unreachable target: retried once, then the rule's DLQ.
    let dead = drain(&sqs, &rule_dlq_url).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(attr(&dead[0], "RULE_ARN"), big);
    assert_eq!(
        attr(&dead[0], "TARGET_ARN"),
        format!("arn:aws:sqs:us-east-1:{ACCOUNT}:no-such-queue")
    );
    assert!(!attr(&dead[0], "ERROR_CODE").is_empty());
    assert!(!attr(&dead[0], "ERROR_MESSAGE").is_empty());

    // A scheduled rule fired now.
    events.scheduler.fire_now("tick").await.unwrap();
    let unknown = events
        .scheduler
        .fire_now("nope")
        .await
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("tick"), "{unknown}");
    router.idle().await;
    let ticks = drain(&sqs, &ticks_url).await;
    assert_eq!(ticks.len(), 1);
    let tick_event: Value = serde_json::from_str(ticks[0].body().unwrap()).unwrap();
    assert_eq!(tick_event["detail-type"], "Scheduled Event");
    assert_eq!(tick_event["source"], "aws.events");
    assert_eq!(tick_event["resources"], json!([tick]));
    assert_eq!(tick_event["detail"], json!({}));
    events.shutdown().await;
}
