//! SQS event source mappings, as Lambda runs them: for each mapping moto
//! reports, pollers receive messages (up to the batch size, within the
//! batching window), invoke the function synchronously with the SQS event,
//! and delete the messages that were processed. What is not deleted is left
//! to the queue's visibility timeout and redrive policy (moto moves a
//! message to the dead-letter queue once its receive count reaches
//! `maxReceiveCount`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use serde_json::{Map, Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::local::types::{Invoker, Outcome};

/// One event source mapping, as `ListEventSourceMappings` reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Mapping {
    pub uuid: String,
    pub queue_arn: String,
    pub function_arn: String,
    /// The function's name (from its ARN), what the invoker takes.
    pub function_name: String,
    pub batch_size: usize,
    pub batching_window: Duration,
    /// `FunctionResponseTypes` has `ReportBatchItemFailures`.
    pub report_batch_item_failures: bool,
    /// `ScalingConfig.MaximumConcurrency`: how many batches at once.
    pub maximum_concurrency: Option<usize>,
    /// `State` is `Enabled` (or `Creating`/`Updating`/`Enabling`, which
    /// become enabled).
    pub enabled: bool,
}

/// Local tuning of the pollers.
#[derive(Clone, Debug)]
pub struct EsmOptions {
    /// When set, a message that was not deleted is made visible again after
    /// this delay (ChangeMessageVisibility) rather than after the queue's
    /// visibility timeout: a local speed-up for retries. `None` keeps AWS's
    /// behaviour.
    pub retry_delay: Option<Duration>,
    /// The long-poll wait of each ReceiveMessage; short, so that shutdown
    /// is prompt.
    pub wait: Duration,
    /// How many batches of one mapping run at once when the mapping sets no
    /// `MaximumConcurrency`.
    pub default_concurrency: usize,
}

impl Default for EsmOptions {
    fn default() -> Self {
        EsmOptions {
            retry_delay: None,
            wait: Duration::from_secs(1),
            default_concurrency: 1,
        }
    }
}

/// The SQS event source mappings moto has.
pub async fn list_mappings(lambda: &aws_sdk_lambda::Client) -> anyhow::Result<Vec<Mapping>> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let page = lambda
            .list_event_source_mappings()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "ListEventSourceMappings: {}",
                    aws_sdk_lambda::error::DisplayErrorContext(&e)
                )
            })?;
        for m in page.event_source_mappings() {
            let Some(queue_arn) = m
                .event_source_arn()
                .filter(|a| a.starts_with("arn:aws:sqs:"))
            else {
                continue;
            };
            let function_arn = m.function_arn().unwrap_or_default().to_owned();
            let state = m.state().unwrap_or("Enabled");
            out.push(Mapping {
                uuid: m.uuid().unwrap_or_default().to_owned(),
                queue_arn: queue_arn.to_owned(),
                function_name: function_name(&function_arn),
                function_arn,
                batch_size: m.batch_size().unwrap_or(10).max(1) as usize,
                batching_window: Duration::from_secs(
                    m.maximum_batching_window_in_seconds().unwrap_or(0).max(0) as u64,
                ),
                report_batch_item_failures: m
                    .function_response_types()
                    .iter()
                    .any(|t| t.as_str() == "ReportBatchItemFailures"),
                maximum_concurrency: m
                    .scaling_config()
                    .and_then(|s| s.maximum_concurrency())
                    .map(|c| c.max(1) as usize),
                enabled: matches!(state, "Enabled" | "Creating" | "Enabling" | "Updating"),
            });
        }
        marker = page.next_marker().map(str::to_owned);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` gives NAME.
pub fn function_name(arn: &str) -> String {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.iter().position(|p| *p == "function") {
        Some(i) if i + 1 < parts.len() => parts[i + 1].to_owned(),
        _ => arn.to_owned(),
    }
}

/// The running pollers; [`EsmHandle::shutdown`] stops them.
pub struct EsmHandle {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl EsmHandle {
    /// Stops polling and waits for the batches under way.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Starts the pollers of the enabled `mappings`; `sqs_for` gives the client
/// each polls with.
pub fn start_pollers(
    mappings: Vec<Mapping>,
    sqs_for: impl Fn(&Mapping) -> aws_sdk_sqs::Client,
    invoker: Arc<dyn Invoker>,
    region: &str,
    options: EsmOptions,
) -> EsmHandle {
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    for mapping in mappings.into_iter().filter(|m| m.enabled) {
        let sqs = sqs_for(&mapping);
        let concurrency = mapping
            .maximum_concurrency
            .unwrap_or(options.default_concurrency)
            .max(1);
        let poller = Arc::new(Poller {
            mapping,
            sqs,
            invoker: invoker.clone(),
            region: region.to_owned(),
            options: options.clone(),
        });
        for _ in 0..concurrency {
            let poller = poller.clone();
            let stopped = stopped.clone();
            tasks.push(tokio::spawn(async move { poller.run(stopped).await }));
        }
    }
    EsmHandle { stop, tasks }
}

struct Poller {
    mapping: Mapping,
    sqs: aws_sdk_sqs::Client,
    invoker: Arc<dyn Invoker>,
    region: String,
    options: EsmOptions,
}

impl Poller {
    async fn run(&self, mut stopped: watch::Receiver<bool>) {
        let mut failures = 0u32;
        let url = loop {
            match super::queue_url(&self.sqs, &self.mapping.queue_arn).await {
                Ok(url) => break url,
                Err(e) => {
                    if failures == 0 {
                        eprintln!(
                            "tp local: event source mapping {}: {e:#}",
                            self.mapping.uuid
                        );
                    }
                    failures += 1;
                    if pause(&mut stopped, Duration::from_secs(1)).await {
                        return;
                    }
                }
            }
        };
        while !*stopped.borrow() {
            match self.batch(&url, &mut stopped).await {
                Ok(()) => failures = 0,
                Err(e) => {
                    failures += 1;
                    if failures == 1 {
                        eprintln!(
                            "tp local: event source mapping {}: {e:#}",
                            self.mapping.uuid
                        );
                    }
                    let backoff = Duration::from_millis(200 * u64::from(failures.min(10)));
                    if pause(&mut stopped, backoff).await {
                        return;
                    }
                }
            }
        }
    }

    async fn receive(&self, url: &str, max: usize, wait: Duration) -> anyhow::Result<Vec<Message>> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            .wait_time_seconds(wait.as_secs().min(20) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "ReceiveMessage: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                )
            })?;
        Ok(out.messages.unwrap_or_default())
    }

    /// Gathers one batch, invokes, and deletes what succeeded.
    async fn batch(&self, url: &str, stopped: &mut watch::Receiver<bool>) -> anyhow::Result<()> {
        let size = self.mapping.batch_size;
        let mut messages = self.receive(url, size, self.options.wait).await?;
        if messages.is_empty() {
            return Ok(());
        }
        let deadline = Instant::now() + self.mapping.batching_window;
        while messages.len() < size && Instant::now() < deadline && !*stopped.borrow() {
            let left = deadline.saturating_duration_since(Instant::now());
            let more = self
                .receive(url, size - messages.len(), left.min(self.options.wait))
                .await?;
            if more.is_empty() && left < Duration::from_secs(1) {
                // Long polls wait in whole seconds; sleep out the remainder.
                tokio::time::sleep(left).await;
            }
            messages.extend(more);
        }
        let event = sqs_event(&messages, &self.mapping.queue_arn, &self.region);
        let ids: Vec<String> = messages
            .iter()
            .map(|m| m.message_id().unwrap_or_default().to_owned())
            .collect();
        let outcome = match self
            .invoker
            .invoke(&self.mapping.function_name, event)
            .await
        {
            Ok(result) => result.outcome,
            Err(e) => {
                eprintln!(
                    "tp local: event source mapping {}: invoking {}: {e:#}",
                    self.mapping.uuid, self.mapping.function_name
                );
                Outcome::Failed {
                    error_type: "InvokeError".into(),
                    error_message: format!("{e:#}"),
                }
            }
        };
        let delete = to_delete(&outcome, self.mapping.report_batch_item_failures, &ids);
        let mut done = Vec::new();
        let mut retry = Vec::new();
        for (m, d) in messages.iter().zip(&delete) {
            if *d {
                done.push(m);
            } else {
                retry.push(m);
            }
        }
        for chunk in done.chunks(10) {
            let mut request = self.sqs.delete_message_batch().queue_url(url);
            for (i, m) in chunk.iter().enumerate() {
                request = request.entries(
                    aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(m.receipt_handle().unwrap_or_default())
                        .build()?,
                );
            }
            request.send().await.map_err(|e| {
                anyhow::anyhow!(
                    "DeleteMessageBatch: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                )
            })?;
        }
        if let Some(delay) = self.options.retry_delay {
            for m in retry {
                self.sqs
                    .change_message_visibility()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .visibility_timeout(delay.as_secs().min(43_200) as i32)
                    .send()
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "ChangeMessageVisibility: {}",
                            aws_sdk_sqs::error::DisplayErrorContext(&e)
                        )
                    })?;
            }
        }
        Ok(())
    }
}

/// Waits `delay` or until shutdown; true if shutting down.
async fn pause(stopped: &mut watch::Receiver<bool>, delay: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(delay) => *stopped.borrow(),
        _ = stopped.changed() => true,
    }
}

/// Which messages of a batch (by position, matching `ids`) to delete after
/// the invocation ended with `outcome`, as Lambda decides:
///
/// - failed or timed out: none (the whole batch is retried);
/// - returned, without `ReportBatchItemFailures`: all;
/// - returned, with it: all but those listed in `batchItemFailures` (an
///   absent, null or empty list means all succeeded); an `itemIdentifier`
///   that is missing, empty, not a string or not in the batch, or a
///   `batchItemFailures` that is not a list, fails the whole batch.
pub fn to_delete(outcome: &Outcome, report_batch_item_failures: bool, ids: &[String]) -> Vec<bool> {
    let all = |v: bool| vec![v; ids.len()];
    let Outcome::Returned(response) = outcome else {
        return all(false);
    };
    if !report_batch_item_failures {
        return all(true);
    }
    let failures = match response {
        Value::Object(map) => match map.get("batchItemFailures") {
            None | Some(Value::Null) => return all(true),
            Some(Value::Array(items)) => items,
            Some(_) => return all(false),
        },
        _ => return all(true),
    };
    let mut keep = vec![false; ids.len()];
    for failure in failures {
        let id = failure.get("itemIdentifier").and_then(Value::as_str);
        match id.and_then(|id| {
            (!id.is_empty())
                .then(|| ids.iter().position(|m| m == id))
                .flatten()
        }) {
            Some(i) => keep[i] = true,
            None => return all(false),
        }
    }
    keep.into_iter().map(|k| !k).collect()
}

/// The event Lambda sends for a batch of SQS messages.
pub fn sqs_event(messages: &[Message], queue_arn: &str, region: &str) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| sqs_record(m, queue_arn, region))
        .collect();
    json!({ "Records": records })
}

fn sqs_record(m: &Message, queue_arn: &str, region: &str) -> Value {
    let system = m.attributes();
    let mut attributes = Map::new();
    for name in [
        MessageSystemAttributeName::ApproximateReceiveCount,
        MessageSystemAttributeName::SentTimestamp,
        MessageSystemAttributeName::SenderId,
        MessageSystemAttributeName::ApproximateFirstReceiveTimestamp,
        MessageSystemAttributeName::SequenceNumber,
        MessageSystemAttributeName::MessageGroupId,
        MessageSystemAttributeName::MessageDeduplicationId,
        MessageSystemAttributeName::AwsTraceHeader,
        MessageSystemAttributeName::DeadLetterQueueSourceArn,
    ] {
        if let Some(value) = system.and_then(|a| a.get(&name)) {
            attributes.insert(name.as_str().to_owned(), Value::String(value.clone()));
        }
    }
    let mut message_attributes = Map::new();
    let mut names: Vec<_> = m
        .message_attributes()
        .map(HashMap::iter)
        .into_iter()
        .flatten()
        .collect();
    names.sort_by(|a, b| a.0.cmp(b.0));
    for (name, value) in names {
        let mut attr = Map::new();
        if let Some(s) = value.string_value() {
            attr.insert("stringValue".into(), Value::String(s.to_owned()));
        }
        if let Some(b) = value.binary_value() {
            attr.insert(
                "binaryValue".into(),
                Value::String(super::base64(b.as_ref())),
            );
        }
        attr.insert(
            "stringListValues".into(),
            Value::Array(
                value
                    .string_list_values()
                    .iter()
                    .map(|s| Value::String(s.clone()))
                    .collect(),
            ),
        );
        attr.insert(
            "binaryListValues".into(),
            Value::Array(
                value
                    .binary_list_values()
                    .iter()
                    .map(|b| Value::String(super::base64(b.as_ref())))
                    .collect(),
            ),
        );
        attr.insert(
            "dataType".into(),
            Value::String(value.data_type().to_owned()),
        );
        message_attributes.insert(name.clone(), Value::Object(attr));
    }
    json!({
        "messageId": m.message_id().unwrap_or_default(),
        "receiptHandle": m.receipt_handle().unwrap_or_default(),
        "body": m.body().unwrap_or_default(),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": m.md5_of_body().unwrap_or_default(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::primitives::Blob;
    use aws_sdk_sqs::types::MessageAttributeValue;

    fn ids() -> Vec<String> {
        vec!["a".into(), "b".into(), "c".into()]
    }

    fn returned(v: Value) -> Outcome {
        Outcome::Returned(v)
    }

    #[test]
    fn failures_and_timeouts_delete_nothing() {
        let failed = Outcome::Failed {
            error_type: "E".into(),
            error_message: "m".into(),
        };
        assert_eq!(to_delete(&failed, true, &ids()), vec![false; 3]);
        assert_eq!(to_delete(&failed, false, &ids()), vec![false; 3]);
        assert_eq!(to_delete(&Outcome::TimedOut, false, &ids()), vec![false; 3]);
    }

    #[test]
    fn without_report_batch_item_failures_a_return_deletes_all() {
        let response = returned(json!({"batchItemFailures": [{"itemIdentifier": "a"}]}));
        assert_eq!(to_delete(&response, false, &ids()), vec![true; 3]);
    }

    #[test]
    fn reported_failures_are_kept_and_the_rest_deleted() {
        let response = returned(json!({"batchItemFailures": [{"itemIdentifier": "b"}]}));
        assert_eq!(to_delete(&response, true, &ids()), vec![true, false, true]);
        let two = returned(
            json!({"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "c"}]}),
        );
        assert_eq!(to_delete(&two, true, &ids()), vec![false, true, false]);
    }

    #[test]
    fn empty_null_or_absent_lists_mean_all_succeeded() {
        for response in [
            json!({"batchItemFailures": []}),
            json!({"batchItemFailures": null}),
            json!({}),
            Value::Null,
            json!("done"),
        ] {
            assert_eq!(
                to_delete(&returned(response.clone()), true, &ids()),
                vec![true; 3],
                "{response}"
            );
        }
    }

    #[test]
    fn bad_item_identifiers_fail_the_whole_batch() {
        for response in [
            json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
            json!({"batchItemFailures": [{"itemIdentifier": null}]}),
            json!({"batchItemFailures": [{"itemId": "a"}]}),
            json!({"batchItemFailures": [{"itemIdentifier": "zzz"}]}),
            json!({"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "nope"}]}),
            json!({"batchItemFailures": "a"}),
        ] {
            assert_eq!(
                to_delete(&returned(response.clone()), true, &ids()),
                vec![false; 3],
                "{response}"
            );
        }
    }

    #[test]
    fn function_names_come_from_arns() {
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:123456789012:function:orders"),
            "orders"
        );
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:123456789012:function:orders:live"),
            "orders"
        );
        assert_eq!(function_name("orders"), "orders");
    }

    #[test]
    fn the_sqs_event_has_lambdas_shape() {
        let message = Message::builder()
            .message_id("059f36b4-87a3-44ab-83d2-661975830a7d")
            .receipt_handle("AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a")
            .body("test")
            .md5_of_body("098f6bcd4621d373cade4e832627b4f6")
            .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "1")
            .attributes(MessageSystemAttributeName::SentTimestamp, "1545082649183")
            .attributes(
                MessageSystemAttributeName::SenderId,
                "AIDAIENQZJOLO23YVJ4VO",
            )
            .attributes(
                MessageSystemAttributeName::ApproximateFirstReceiveTimestamp,
                "1545082649185",
            )
            .attributes(MessageSystemAttributeName::MessageGroupId, "g1")
            .message_attributes(
                "Color",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("red")
                    .build()
                    .unwrap(),
            )
            .message_attributes(
                "Raw",
                MessageAttributeValue::builder()
                    .data_type("Binary")
                    .binary_value(Blob::new(b"hi".to_vec()))
                    .build()
                    .unwrap(),
            )
            .build();
        let event = sqs_event(
            &[message],
            "arn:aws:sqs:us-east-2:123456789012:my-queue",
            "us-east-2",
        );
        assert_eq!(
            event,
            json!({"Records": [{
                "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
                "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
                "body": "test",
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1545082649183",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": "1545082649185",
                    "MessageGroupId": "g1"
                },
                "messageAttributes": {
                    "Color": {"stringValue": "red", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
                    "Raw": {"binaryValue": "aGk=", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"}
                },
                "md5OfBody": "098f6bcd4621d373cade4e832627b4f6",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
                "awsRegion": "us-east-2"
            }]})
        );
    }
}
