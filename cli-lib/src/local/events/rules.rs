//! The event router: every event put on a bus is matched against the
//! bus's enabled rules (read from moto when the event arrives, so a deploy
//! takes effect at once) and delivered to each matching rule's targets as
//! EventBridge does: Lambda (asynchronous invocation), CloudWatch Logs,
//! SQS and SNS, with `Input`, `InputPath` or `InputTransformer`, the
//! target's retry policy, and its dead-letter queue.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_sqs::types::MessageAttributeValue;
use serde_json::{Value, json};

use super::Tracker;
use super::async_invoke::AsyncInvoker;
use super::pattern::Pattern;
use crate::local::types::{EventSink, PutEvent};

/// Tuning of deliveries.
#[derive(Clone, Debug)]
pub struct RouterOptions {
    /// The first wait after a failed delivery; it doubles each retry, up to
    /// `max_retry_delay`. (EventBridge backs off exponentially with jitter.)
    pub retry_delay: Duration,
    pub max_retry_delay: Duration,
}

impl Default for RouterOptions {
    fn default() -> Self {
        RouterOptions {
            retry_delay: Duration::from_secs(1),
            max_retry_delay: Duration::from_secs(60),
        }
    }
}

/// EventBridge's default retry policy: 185 attempts over 24 hours.
const DEFAULT_RETRY_ATTEMPTS: u32 = 185;
const DEFAULT_EVENT_AGE: Duration = Duration::from_secs(86_400);

/// A rule as moto has it.
#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub arn: String,
    pub bus: String,
    pub pattern: Option<Pattern>,
    pub schedule: Option<String>,
    pub enabled: bool,
    pub targets: Vec<Target>,
}

/// One target of a rule.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Target {
    pub id: String,
    pub arn: String,
    pub input: Option<String>,
    pub input_path: Option<String>,
    /// `InputPathsMap` and `InputTemplate`.
    pub input_transformer: Option<(HashMap<String, String>, String)>,
    pub maximum_retry_attempts: Option<u32>,
    pub maximum_event_age: Option<Duration>,
    /// `DeadLetterConfig.Arn` (an SQS queue).
    pub dead_letter_arn: Option<String>,
    /// `SqsParameters.MessageGroupId`, for FIFO queues.
    pub message_group_id: Option<String>,
}

/// Routes events to the targets of matching rules; an [`EventSink`].
#[derive(Clone)]
pub struct EventRouter {
    inner: Arc<Inner>,
}

struct Inner {
    eventbridge: aws_sdk_eventbridge::Client,
    sqs: aws_sdk_sqs::Client,
    sns: aws_sdk_sns::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    lambda: Arc<AsyncInvoker>,
    region: String,
    account: String,
    options: RouterOptions,
    tracker: Arc<Tracker>,
}

/// Why a delivery failed: EventBridge's `ERROR_CODE` and `ERROR_MESSAGE`.
#[derive(Debug)]
struct DeliveryError {
    code: String,
    message: String,
}

fn sdk_error<E, R>(e: aws_sdk_sqs::error::SdkError<E, R>) -> DeliveryError
where
    E: std::error::Error + aws_sdk_sqs::error::ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = e
        .as_service_error()
        .and_then(|s| s.code().map(str::to_owned))
        .unwrap_or_else(|| "SDKClientException".to_owned());
    DeliveryError {
        code,
        message: aws_sdk_sqs::error::DisplayErrorContext(&e).to_string(),
    }
}

impl EventRouter {
    /// `lambda` runs Lambda targets; the other clients deliver as
    /// EventBridge does (SQS targets and rule dead-letter queues, SNS, logs).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        eventbridge: aws_sdk_eventbridge::Client,
        sqs: aws_sdk_sqs::Client,
        sns: aws_sdk_sns::Client,
        logs: aws_sdk_cloudwatchlogs::Client,
        lambda: Arc<AsyncInvoker>,
        region: &str,
        account: &str,
        options: RouterOptions,
    ) -> EventRouter {
        EventRouter {
            inner: Arc::new(Inner {
                eventbridge,
                sqs,
                sns,
                logs,
                lambda,
                region: region.to_owned(),
                account: account.to_owned(),
                options,
                tracker: Arc::new(Tracker::default()),
            }),
        }
    }

    /// The region events are delivered in.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The account events are delivered in.
    pub fn account(&self) -> &str {
        &self.inner.account
    }

    /// Returns once every delivery started so far, and every asynchronous
    /// invocation they queued (with its retries), has finished.
    pub async fn idle(&self) {
        self.inner.tracker.idle().await;
        self.inner.lambda.idle().await;
    }

    /// The event as EventBridge delivers it.
    pub fn event_json(event: &PutEvent) -> Value {
        let detail = serde_json::from_str(&event.detail).unwrap_or(json!({}));
        json!({
            "version": "0",
            "id": event.id,
            "detail-type": event.detail_type,
            "source": event.source,
            "account": event.account,
            "time": event.time,
            "region": event.region,
            "resources": event.resources,
            "detail": detail,
        })
    }

    /// The rules of `bus` (name or ARN), with their targets, read from moto.
    pub async fn rules(&self, bus: &str) -> anyhow::Result<Vec<Rule>> {
        let eb = &self.inner.eventbridge;
        let bus_name = bus.rsplit('/').next().unwrap_or(bus).to_owned();
        let mut rules = Vec::new();
        let mut token = None;
        loop {
            let page = eb
                .list_rules()
                .event_bus_name(&bus_name)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "ListRules on bus {bus_name}: {}",
                        aws_sdk_eventbridge::error::DisplayErrorContext(&e)
                    )
                })?;
            for r in page.rules() {
                let name = r.name().unwrap_or_default().to_owned();
                let pattern = match r.event_pattern() {
                    Some(text) => match Pattern::parse(text) {
                        Ok(p) => Some(p),
                        Err(e) => {
                            eprintln!("tp local: rule {name} on bus {bus_name} is skipped: {e:#}");
                            continue;
                        }
                    },
                    None => None,
                };
                let targets = self.targets(&name, &bus_name).await?;
                rules.push(Rule {
                    arn: r.arn().unwrap_or_default().to_owned(),
                    bus: bus_name.clone(),
                    pattern,
                    schedule: r.schedule_expression().map(str::to_owned),
                    enabled: r.state().map(|s| s.as_str()) != Some("DISABLED"),
                    targets,
                    name,
                });
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(rules);
            }
        }
    }

    /// Every bus's name.
    pub async fn buses(&self) -> anyhow::Result<Vec<String>> {
        let out = self
            .inner
            .eventbridge
            .list_event_buses()
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "ListEventBuses: {}",
                    aws_sdk_eventbridge::error::DisplayErrorContext(&e)
                )
            })?;
        Ok(out
            .event_buses()
            .iter()
            .filter_map(|b| b.name().map(str::to_owned))
            .collect())
    }

    async fn targets(&self, rule: &str, bus: &str) -> anyhow::Result<Vec<Target>> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .inner
                .eventbridge
                .list_targets_by_rule()
                .rule(rule)
                .event_bus_name(bus)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "ListTargetsByRule {rule}: {}",
                        aws_sdk_eventbridge::error::DisplayErrorContext(&e)
                    )
                })?;
            for t in page.targets() {
                out.push(Target {
                    id: t.id().to_owned(),
                    arn: t.arn().to_owned(),
                    input: t.input().map(str::to_owned),
                    input_path: t.input_path().map(str::to_owned),
                    input_transformer: t.input_transformer().map(|x| {
                        (
                            x.input_paths_map().cloned().unwrap_or_default(),
                            x.input_template().to_owned(),
                        )
                    }),
                    maximum_retry_attempts: t
                        .retry_policy()
                        .and_then(|r| r.maximum_retry_attempts())
                        .map(|n| n.max(0) as u32),
                    maximum_event_age: t
                        .retry_policy()
                        .and_then(|r| r.maximum_event_age_in_seconds())
                        .map(|n| Duration::from_secs(n.max(0) as u64)),
                    dead_letter_arn: t
                        .dead_letter_config()
                        .and_then(|d| d.arn())
                        .map(str::to_owned),
                    message_group_id: t
                        .sqs_parameters()
                        .and_then(|s| s.message_group_id())
                        .map(str::to_owned),
                });
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// Matches `event` against the enabled rules of `bus` and starts the
    /// deliveries of those that match; returns the names of the rules.
    pub async fn route(&self, bus: &str, event: Value) -> anyhow::Result<Vec<String>> {
        let mut matched = Vec::new();
        for rule in self.rules(bus).await? {
            let hit = rule.enabled && rule.pattern.as_ref().is_some_and(|p| p.matches(&event));
            if hit {
                self.deliver(&rule, &event);
                matched.push(rule.name);
            }
        }
        Ok(matched)
    }

    /// Starts delivering `event` to each of `rule`'s targets.
    pub fn deliver(&self, rule: &Rule, event: &Value) {
        for target in &rule.targets {
            let inner = self.inner.clone();
            let (rule, target, event) = (rule.clone(), target.clone(), event.clone());
            self.inner
                .tracker
                .spawn(async move { inner.deliver_with_retries(&rule, &target, &event).await });
        }
    }
}

/// Routing runs on spawned tasks, so the caller is never blocked; it must
/// be called from within a Tokio runtime (the AWS proxy's).
impl EventSink for EventRouter {
    fn put_events(&self, events: Vec<PutEvent>) {
        for event in events {
            let router = self.clone();
            self.inner.tracker.spawn(async move {
                let json = EventRouter::event_json(&event);
                if let Err(e) = router.route(&event.bus_name, json).await {
                    eprintln!(
                        "tp local: event {} on bus {}: {e:#}",
                        event.id, event.bus_name
                    );
                }
            });
        }
    }
}

impl Inner {
    async fn deliver_with_retries(&self, rule: &Rule, target: &Target, event: &Value) {
        let started = Instant::now();
        let retries = target
            .maximum_retry_attempts
            .unwrap_or(DEFAULT_RETRY_ATTEMPTS);
        let max_age = target.maximum_event_age.unwrap_or(DEFAULT_EVENT_AGE);
        let mut delay = self.options.retry_delay;
        let mut attempt = 0;
        let error = loop {
            attempt += 1;
            let result = match transform_input(target, event, &rule.name, &rule.arn) {
                Ok(input) => self.deliver_once(target, event, &input).await,
                Err(e) => Err(DeliveryError {
                    code: "InvalidInput".into(),
                    message: format!("{e:#}"),
                }),
            };
            let error = match result {
                Ok(()) => return,
                Err(e) => e,
            };
            if error.code == "InvalidInput"
                || attempt > retries
                || started.elapsed() + delay > max_age
            {
                break error;
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(self.options.max_retry_delay);
        };
        match &target.dead_letter_arn {
            Some(dlq) => {
                if let Err(e) = self.dead_letter(dlq, rule, target, event, &error).await {
                    eprintln!(
                        "tp local: rule {} target {}: {} ({}); its dead-letter queue failed too: {e:#}",
                        rule.name, target.id, error.message, error.code
                    );
                }
            }
            None => eprintln!(
                "tp local: rule {} target {} dropped event {}: {} ({})",
                rule.name, target.id, event["id"], error.message, error.code
            ),
        }
    }

    async fn deliver_once(
        &self,
        target: &Target,
        event: &Value,
        input: &str,
    ) -> Result<(), DeliveryError> {
        let service = target.arn.split(':').nth(2).unwrap_or_default();
        match service {
            "lambda" => {
                let payload =
                    serde_json::from_str(input).unwrap_or(Value::String(input.to_owned()));
                self.lambda
                    .invoke(&super::esm::function_name(&target.arn), payload);
                Ok(())
            }
            "sqs" => {
                let url = super::queue_url(&self.sqs, &target.arn)
                    .await
                    .map_err(|e| DeliveryError {
                        code: "AWS.SimpleQueueService.NonExistentQueue".into(),
                        message: format!("{e:#}"),
                    })?;
                self.sqs
                    .send_message()
                    .queue_url(url)
                    .message_body(input)
                    .set_message_group_id(target.message_group_id.clone())
                    .send()
                    .await
                    .map_err(sdk_error)?;
                Ok(())
            }
            "sns" => {
                self.sns
                    .publish()
                    .topic_arn(&target.arn)
                    .message(input)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                Ok(())
            }
            "logs" => {
                let group = super::arn_resource(&target.arn)
                    .trim_start_matches("log-group:")
                    .trim_end_matches(":*")
                    .to_owned();
                let stream = event["id"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(super::uuid);
                if let Err(e) = self
                    .logs
                    .create_log_stream()
                    .log_group_name(&group)
                    .log_stream_name(&stream)
                    .send()
                    .await
                {
                    let exists = e
                        .as_service_error()
                        .is_some_and(|s| s.is_resource_already_exists_exception());
                    if !exists {
                        return Err(sdk_error(e));
                    }
                }
                let timestamp = event["time"]
                    .as_str()
                    .and_then(super::parse_rfc3339)
                    .unwrap_or_else(SystemTime::now)
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_millis() as i64;
                self.logs
                    .put_log_events()
                    .log_group_name(&group)
                    .log_stream_name(&stream)
                    .log_events(
                        aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                            .timestamp(timestamp)
                            .message(input)
                            .build()
                            .map_err(|e| DeliveryError {
                                code: "InvalidInput".into(),
                                message: e.to_string(),
                            })?,
                    )
                    .send()
                    .await
                    .map_err(sdk_error)?;
                Ok(())
            }
            _ => Err(DeliveryError {
                code: "InvalidInput".into(),
                message: format!(
                    "tp local delivers to Lambda, SQS, SNS and CloudWatch Logs targets, not {}",
                    target.arn
                ),
            }),
        }
    }

    /// Sends the event to a rule target's dead-letter queue, with the
    /// attributes EventBridge adds.
    async fn dead_letter(
        &self,
        dlq: &str,
        rule: &Rule,
        target: &Target,
        event: &Value,
        error: &DeliveryError,
    ) -> anyhow::Result<()> {
        let url = super::queue_url(&self.sqs, dlq).await?;
        let attribute = |value: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .expect("data type is set")
        };
        self.sqs
            .send_message()
            .queue_url(url)
            .message_body(event.to_string())
            .message_attributes("RULE_ARN", attribute(&rule.arn))
            .message_attributes("TARGET_ARN", attribute(&target.arn))
            .message_attributes("ERROR_CODE", attribute(&error.code))
            .message_attributes("ERROR_MESSAGE", attribute(&error.message))
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "SendMessage to {dlq}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                )
            })?;
        Ok(())
    }
}

/// What a target receives for `event`: its `Input` as is, the part of the
/// event its `InputPath` selects, its `InputTransformer`'s template filled
/// in, or the whole event.
pub fn transform_input(
    target: &Target,
    event: &Value,
    rule_name: &str,
    rule_arn: &str,
) -> anyhow::Result<String> {
    if let Some(input) = &target.input {
        return Ok(input.clone());
    }
    if let Some(path) = &target.input_path {
        let value = json_path(event, path)?
            .ok_or_else(|| anyhow::anyhow!("InputPath {path} selects nothing in the event"))?;
        return Ok(value.to_string());
    }
    let Some((paths, template)) = &target.input_transformer else {
        return Ok(event.to_string());
    };
    let mut values: HashMap<&str, Option<Value>> = HashMap::new();
    for (name, path) in paths {
        if name.starts_with("aws.events.") {
            anyhow::bail!("InputPathsMap key {name} is reserved (aws.events.*)");
        }
        values.insert(name, json_path(event, path)?.cloned());
    }
    let ingestion = super::rfc3339(SystemTime::now());
    let predefined = |name: &str| -> Option<Option<Value>> {
        Some(Some(match name {
            "aws.events.rule-arn" => Value::String(rule_arn.to_owned()),
            "aws.events.rule-name" => Value::String(rule_name.to_owned()),
            "aws.events.event.ingestion-time" => Value::String(ingestion.clone()),
            "aws.events.event" | "aws.events.event.json" => event.clone(),
            _ => return None,
        }))
    };
    Ok(fill_template(template, |name| {
        values.get(name).cloned().or_else(|| predefined(name))
    }))
}

/// Replaces each `<name>` the lookup knows. Inside a JSON string literal
/// the value's text is inserted escaped (a string without its quotes);
/// outside, the value's JSON is inserted (a string with its quotes). A path
/// that selected nothing gives an empty string inside quotes, `null`
/// outside.
fn fill_template(template: &str, lookup: impl Fn(&str) -> Option<Option<Value>>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if c == '<' && !escaped {
            if let Some(end) = rest[1..].find('>') {
                let name = &rest[1..1 + end];
                let valid = !name.is_empty()
                    && name
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || "_-.".contains(ch));
                if let Some(value) = valid.then(|| lookup(name)).flatten() {
                    match (in_string, value) {
                        (true, Some(Value::String(s))) => out.push_str(&escape(&s)),
                        (true, Some(other)) => out.push_str(&escape(&other.to_string())),
                        (true, None) => {}
                        (false, Some(v)) => out.push_str(&v.to_string()),
                        (false, None) => out.push_str("null"),
                    }
                    rest = &rest[end + 2..];
                    continue;
                }
            }
        }
        if in_string && c == '\\' && !escaped {
            escaped = true;
        } else {
            if c == '"' && !escaped {
                in_string = !in_string;
            }
            escaped = false;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A string's JSON escaping, without the surrounding quotes.
fn escape(s: &str) -> String {
    let quoted = Value::String(s.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// The value a JSONPath (`$`, `$.a.b`, `$.a[0]`, `$['a-b']`) selects.
pub fn json_path<'a>(value: &'a Value, path: &str) -> anyhow::Result<Option<&'a Value>> {
    let bad = || {
        anyhow::anyhow!(
            "{path:?} is not a JSONPath EventBridge takes (like $.detail.state or $.detail.items[0])"
        )
    };
    let mut rest = path.strip_prefix('$').ok_or_else(bad)?;
    let mut current = Some(value);
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return Err(bad());
            }
            current = current.and_then(|v| v.get(&r[..end]));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').ok_or_else(bad)?;
            let key = &r[..end];
            current = if let Some(quoted) = key
                .strip_prefix('\'')
                .and_then(|k| k.strip_suffix('\''))
                .or_else(|| key.strip_prefix('"').and_then(|k| k.strip_suffix('"')))
            {
                current.and_then(|v| v.get(quoted))
            } else {
                let index: usize = key.parse().map_err(|_| bad())?;
                current.and_then(|v| v.get(index))
            };
            rest = &r[end + 1..];
        } else {
            return Err(bad());
        }
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Value {
        json!({
            "version": "0",
            "id": "7bf73129-1428-4cd3-a780-95db273d1602",
            "detail-type": "EC2 Instance State-change Notification",
            "source": "aws.ec2",
            "account": "123456789012",
            "time": "2015-11-11T21:29:54Z",
            "region": "us-east-1",
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
            "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "count": 3, "tags": {"a": "b"}}
        })
    }

    fn transformer(paths: &[(&str, &str)], template: &str) -> Target {
        Target {
            input_transformer: Some((
                paths
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                template.to_owned(),
            )),
            ..Target::default()
        }
    }

    fn run(target: &Target) -> String {
        transform_input(
            target,
            &event(),
            "r",
            "arn:aws:events:us-east-1:123456789012:rule/r",
        )
        .unwrap()
    }

    #[test]
    fn without_input_settings_the_whole_event_is_delivered() {
        let out: Value = serde_json::from_str(&run(&Target::default())).unwrap();
        assert_eq!(out, event());
    }

    #[test]
    fn input_is_delivered_verbatim_and_input_path_selects() {
        let t = Target {
            input: Some(r#"{"fixed": true}"#.into()),
            ..Target::default()
        };
        assert_eq!(run(&t), r#"{"fixed": true}"#);
        let t = Target {
            input_path: Some("$.detail".into()),
            ..Target::default()
        };
        let out: Value = serde_json::from_str(&run(&t)).unwrap();
        assert_eq!(out, event()["detail"]);
        let t = Target {
            input_path: Some("$.resources[0]".into()),
            ..Target::default()
        };
        assert_eq!(
            run(&t),
            r#""arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111""#
        );
        let t = Target {
            input_path: Some("$.detail['instance-id']".into()),
            ..Target::default()
        };
        assert_eq!(run(&t), r#""i-0123456789""#);
        let t = Target {
            input_path: Some("$.nope".into()),
            ..Target::default()
        };
        assert!(transform_input(&t, &event(), "r", "a").is_err());
    }

    #[test]
    fn json_templates_quote_strings_outside_quotes_and_keep_numbers() {
        let t = transformer(
            &[
                ("instance", "$.detail.instance-id"),
                ("state", "$.detail.state"),
                ("n", "$.detail.count"),
            ],
            r#"{"instance": <instance>, "state": <state>, "n": <n>, "text": "<instance> is <state>"}"#,
        );
        let out: Value = serde_json::from_str(&run(&t)).unwrap();
        assert_eq!(
            out,
            json!({"instance": "i-0123456789", "state": "RUNNING", "n": 3, "text": "i-0123456789 is RUNNING"})
        );
    }

    #[test]
    fn string_templates_insert_values_inside_the_quotes() {
        let t = transformer(
            &[
                ("instance", "$.detail.instance-id"),
                ("state", "$.detail.state"),
            ],
            r#""instance <instance> is in <state>""#,
        );
        assert_eq!(run(&t), r#""instance i-0123456789 is in RUNNING""#);
    }

    #[test]
    fn objects_inside_quotes_are_escaped_and_missing_paths_are_null_or_empty() {
        let t = transformer(
            &[("tags", "$.detail.tags"), ("gone", "$.detail.missing")],
            r#"{"t": <tags>, "s": "<tags>", "g": <gone>, "h": "[<gone>]"}"#,
        );
        let out: Value = serde_json::from_str(&run(&t)).unwrap();
        assert_eq!(
            out,
            json!({"t": {"a": "b"}, "s": "{\"a\":\"b\"}", "g": null, "h": "[]"})
        );
    }

    #[test]
    fn values_with_quotes_are_escaped_inside_strings() {
        let mut e = event();
        e["detail"]["state"] = json!("say \"hi\"");
        let t = transformer(&[("state", "$.detail.state")], r#"{"s": "<state>"}"#);
        let out: Value = serde_json::from_str(&transform_input(&t, &e, "r", "a").unwrap()).unwrap();
        assert_eq!(out["s"], "say \"hi\"");
    }

    #[test]
    fn predefined_variables_and_unknown_placeholders() {
        let t = transformer(
            &[],
            r#"{"rule": <aws.events.rule-name>, "arn": "<aws.events.rule-arn>", "e": <aws.events.event>, "keep": "<b>x</b>"}"#,
        );
        let out: Value = serde_json::from_str(&run(&t)).unwrap();
        assert_eq!(out["rule"], "r");
        assert_eq!(out["arn"], "arn:aws:events:us-east-1:123456789012:rule/r");
        assert_eq!(out["e"], event());
        assert_eq!(out["keep"], "<b>x</b>");
        let reserved = transformer(&[("aws.events.x", "$.id")], "<aws.events.x>");
        assert!(transform_input(&reserved, &event(), "r", "a").is_err());
    }

    #[test]
    fn bad_json_paths_are_rejected() {
        assert!(json_path(&event(), "detail").is_err());
        assert!(json_path(&event(), "$..x").is_err());
        assert!(json_path(&event(), "$.a[x]").is_err());
        assert_eq!(json_path(&event(), "$").unwrap(), Some(&event()));
    }

    #[test]
    fn put_events_become_eventbridge_events() {
        let put = PutEvent {
            id: "id-1".into(),
            bus_name: "orders".into(),
            source: "shop".into(),
            detail_type: "OrderPlaced".into(),
            detail: r#"{"amount": 5}"#.into(),
            resources: vec!["r1".into()],
            time: "2024-05-01T12:00:00Z".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
        };
        assert_eq!(
            EventRouter::event_json(&put),
            json!({
                "version": "0", "id": "id-1", "detail-type": "OrderPlaced", "source": "shop",
                "account": "123456789012", "time": "2024-05-01T12:00:00Z", "region": "us-east-1",
                "resources": ["r1"], "detail": {"amount": 5}
            })
        );
    }
}
