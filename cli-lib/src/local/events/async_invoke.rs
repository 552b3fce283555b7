//! Lambda's asynchronous invocation (`InvocationType: Event`) over the
//! synchronous [`Invoker`]: the event is queued and invoked; a failed or
//! timed-out invocation is retried (by default twice, about one and two
//! minutes apart) while the event is younger than the maximum event age
//! (default 6 hours); then it goes to the function's dead-letter queue, with
//! the message attributes Lambda adds (`RequestID`, `ErrorCode`,
//! `ErrorMessage`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::MessageAttributeValue;
use serde_json::Value;

use super::Tracker;
use crate::local::types::{Invoker, Outcome};

/// A function's asynchronous-invocation settings.
#[derive(Clone, Debug, Default)]
pub struct FunctionAsync {
    /// The function's `DeadLetterConfig.TargetArn` (an SQS queue), and the
    /// client to send with (the function's role's credentials, as in AWS).
    pub dead_letter: Option<(String, aws_sdk_sqs::Client)>,
    /// `MaximumRetryAttempts` of the function's event invoke config (0-2).
    pub maximum_retry_attempts: Option<u32>,
    /// `MaximumEventAgeInSeconds` of the function's event invoke config.
    pub maximum_event_age: Option<Duration>,
}

/// Defaults for every function.
#[derive(Clone, Debug)]
pub struct AsyncOptions {
    /// Retries after a failed invocation (Lambda: 2).
    pub maximum_retry_attempts: u32,
    /// How long an event may wait for a successful invocation (Lambda: 6 h).
    pub maximum_event_age: Duration,
    /// The wait before each retry; the last entry repeats. Lambda waits
    /// about one minute, then two.
    pub retry_delays: Vec<Duration>,
}

impl Default for AsyncOptions {
    fn default() -> Self {
        AsyncOptions {
            maximum_retry_attempts: 2,
            maximum_event_age: Duration::from_secs(6 * 3600),
            retry_delays: vec![Duration::from_secs(60), Duration::from_secs(120)],
        }
    }
}

/// Runs functions asynchronously.
pub struct AsyncInvoker {
    invoker: Arc<dyn Invoker>,
    functions: HashMap<String, FunctionAsync>,
    options: AsyncOptions,
    tracker: Arc<Tracker>,
}

/// How an asynchronous invocation ended, after its retries.
#[derive(Clone, Debug, PartialEq)]
pub enum AsyncResult {
    Succeeded {
        request_id: String,
        attempts: u32,
    },
    /// Every attempt failed (or the event grew too old); `dead_lettered`
    /// says whether it reached the function's dead-letter queue.
    Failed {
        request_id: String,
        attempts: u32,
        error_message: String,
        dead_lettered: bool,
    },
}

impl AsyncInvoker {
    /// `functions` holds each function's settings by name; others get
    /// `options` and no dead-letter queue.
    pub fn new(
        invoker: Arc<dyn Invoker>,
        functions: HashMap<String, FunctionAsync>,
        options: AsyncOptions,
    ) -> AsyncInvoker {
        AsyncInvoker {
            invoker,
            functions,
            options,
            tracker: Arc::new(Tracker::default()),
        }
    }

    /// Queues `payload` for `function` (its physical name) and returns the
    /// request id at once, as `Invoke` with `InvocationType: Event` answers
    /// 202.
    pub fn invoke(self: &Arc<Self>, function: &str, payload: Value) -> String {
        let request_id = super::uuid();
        let this = self.clone();
        let function = function.to_owned();
        let id = request_id.clone();
        self.tracker.spawn(async move {
            if let AsyncResult::Failed {
                error_message,
                dead_lettered: false,
                ..
            } = this.run(&function, payload, &id).await
            {
                eprintln!(
                    "tp local: asynchronous invocation {id} of {function} failed and was dropped: {error_message}"
                );
            }
        });
        request_id
    }

    /// Returns once every invocation queued so far (with its retries) ended.
    pub async fn idle(&self) {
        self.tracker.idle().await;
    }

    /// Invokes with retries, then dead-letters; `request_id` names the
    /// invocation in the dead-letter message.
    pub async fn run(&self, function: &str, payload: Value, request_id: &str) -> AsyncResult {
        let config = self.functions.get(function).cloned().unwrap_or_default();
        let retries = config
            .maximum_retry_attempts
            .unwrap_or(self.options.maximum_retry_attempts);
        let max_age = config
            .maximum_event_age
            .unwrap_or(self.options.maximum_event_age);
        let queued = Instant::now();
        let mut attempts = 0;
        let error_message = loop {
            attempts += 1;
            let error = match self.invoker.invoke(function, payload.clone()).await {
                Ok(result) => match result.outcome {
                    Outcome::Returned(_) => {
                        return AsyncResult::Succeeded {
                            request_id: request_id.to_owned(),
                            attempts,
                        };
                    }
                    Outcome::Failed {
                        error_type,
                        error_message,
                    } => format!("{error_type}: {error_message}"),
                    Outcome::TimedOut => "Task timed out".to_owned(),
                },
                Err(e) => format!("{e:#}"),
            };
            if attempts > retries {
                break error;
            }
            let delay = self
                .options
                .retry_delays
                .get((attempts - 1) as usize)
                .or(self.options.retry_delays.last())
                .copied()
                .unwrap_or(Duration::ZERO);
            if queued.elapsed() + delay > max_age {
                break format!("{error} (maximum event age reached)");
            }
            tokio::time::sleep(delay).await;
        };
        let dead_lettered = match &config.dead_letter {
            Some((arn, sqs)) => {
                match dead_letter(sqs, arn, &payload, request_id, &error_message).await {
                    Ok(()) => true,
                    Err(e) => {
                        eprintln!("tp local: dead-letter queue of {function}: {e:#}");
                        false
                    }
                }
            }
            None => false,
        };
        AsyncResult::Failed {
            request_id: request_id.to_owned(),
            attempts,
            error_message,
            dead_lettered,
        }
    }
}

/// Sends the event to a function's dead-letter queue as Lambda does: the
/// body is the event, with `RequestID`, `ErrorCode` and `ErrorMessage`.
async fn dead_letter(
    sqs: &aws_sdk_sqs::Client,
    arn: &str,
    payload: &Value,
    request_id: &str,
    error_message: &str,
) -> anyhow::Result<()> {
    let url = super::queue_url(sqs, arn).await?;
    let attribute = |data_type: &str, value: &str| {
        MessageAttributeValue::builder()
            .data_type(data_type)
            .string_value(value)
            .build()
            .expect("data type is set")
    };
    sqs.send_message()
        .queue_url(url)
        .message_body(payload.to_string())
        .message_attributes("RequestID", attribute("String", request_id))
        .message_attributes("ErrorCode", attribute("Number", "200"))
        .message_attributes("ErrorMessage", attribute("String", error_message))
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "SendMessage to {arn}: {}",
                aws_sdk_sqs::error::DisplayErrorContext(&e)
            )
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::types::{BoxFuture, InvokeResult};
    use std::sync::Mutex;

    /// Fails the first `failures` invocations.
    struct Flaky {
        failures: usize,
        calls: Mutex<Vec<Value>>,
    }

    impl Invoker for Flaky {
        fn invoke<'a>(
            &'a self,
            _: &'a str,
            payload: Value,
        ) -> BoxFuture<'a, anyhow::Result<InvokeResult>> {
            Box::pin(async move {
                let mut calls = self.calls.lock().unwrap();
                calls.push(payload);
                let outcome = if calls.len() <= self.failures {
                    Outcome::Failed {
                        error_type: "Error".into(),
                        error_message: "boom".into(),
                    }
                } else {
                    Outcome::Returned(Value::Null)
                };
                Ok(InvokeResult {
                    request_id: super::super::uuid(),
                    outcome,
                    duration: Duration::ZERO,
                })
            })
        }
    }

    fn fast() -> AsyncOptions {
        AsyncOptions {
            retry_delays: vec![Duration::from_millis(1)],
            ..AsyncOptions::default()
        }
    }

    #[tokio::test]
    async fn retries_twice_by_default_then_gives_up() {
        let flaky = Arc::new(Flaky {
            failures: 10,
            calls: Mutex::new(Vec::new()),
        });
        let a = AsyncInvoker::new(flaky.clone(), HashMap::new(), fast());
        let result = a.run("f", serde_json::json!({"k": 1}), "rid").await;
        assert_eq!(
            result,
            AsyncResult::Failed {
                request_id: "rid".into(),
                attempts: 3,
                error_message: "Error: boom".into(),
                dead_lettered: false
            }
        );
        assert_eq!(flaky.calls.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_retry_that_succeeds_ends_it_and_per_function_limits_apply() {
        let flaky = Arc::new(Flaky {
            failures: 1,
            calls: Mutex::new(Vec::new()),
        });
        let a = AsyncInvoker::new(flaky.clone(), HashMap::new(), fast());
        assert_eq!(
            a.run("f", Value::Null, "r").await,
            AsyncResult::Succeeded {
                request_id: "r".into(),
                attempts: 2
            }
        );
        let flaky = Arc::new(Flaky {
            failures: 10,
            calls: Mutex::new(Vec::new()),
        });
        let functions = HashMap::from([(
            "f".to_owned(),
            FunctionAsync {
                maximum_retry_attempts: Some(0),
                ..FunctionAsync::default()
            },
        )]);
        let a = AsyncInvoker::new(flaky.clone(), functions, fast());
        assert!(matches!(
            a.run("f", Value::Null, "r").await,
            AsyncResult::Failed { attempts: 1, .. }
        ));
    }

    #[tokio::test]
    async fn maximum_event_age_stops_retries() {
        let flaky = Arc::new(Flaky {
            failures: 10,
            calls: Mutex::new(Vec::new()),
        });
        let options = AsyncOptions {
            maximum_event_age: Duration::from_millis(50),
            retry_delays: vec![Duration::from_secs(60)],
            ..AsyncOptions::default()
        };
        let a = AsyncInvoker::new(flaky.clone(), HashMap::new(), options);
        match a.run("f", Value::Null, "r").await {
            AsyncResult::Failed {
                attempts,
                error_message,
                ..
            } => {
                assert_eq!(attempts, 1);
                assert!(
                    error_message.contains("maximum event age"),
                    "{error_message}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
