//! What moves events between the platform's parts in `tp local`, driven
//! from what is deployed in moto:
//!
//! - [`pattern`]: EventBridge event patterns (content filtering).
//! - [`esm`]: SQS event source mappings: pollers that receive batches and
//!   invoke the function synchronously, deleting what succeeded.
//! - [`rules`]: the [`EventRouter`](rules::EventRouter): every event put on
//!   a bus is matched against the bus's rules and delivered to their
//!   targets (Lambda, CloudWatch Logs, SQS, SNS), with input
//!   transformation, retries and dead-letter queues.
//! - [`schedule`]: scheduled rules (`rate(...)`, `cron(...)`).
//! - [`async_invoke`]: Lambda's asynchronous invocation (retries, maximum
//!   event age, the function's dead-letter queue).
//!
//! moto itself would also deliver to log-group and SQS targets and try to
//! run event source mappings; `cli/local/moto-launch.py` turns both off
//! when `TP_LOCAL_EVENTS=external` is set, so that everything is delivered
//! once, from here.

pub mod async_invoke;
pub mod esm;
pub mod pattern;
pub mod rules;
pub mod schedule;

use std::collections::HashMap;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

use super::types::Invoker;

/// Everything [`start`] needs: the SDK clients (built by the caller, pointed
/// at moto or at the IAM proxy), the invoker, and where it runs.
#[derive(Clone)]
pub struct Setup {
    pub lambda: aws_sdk_lambda::Client,
    pub eventbridge: aws_sdk_eventbridge::Client,
    /// The client EventBridge's own deliveries use (SQS targets, rule DLQs).
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub invoker: Arc<dyn Invoker>,
    pub region: String,
    pub account: String,
    /// Each function's asynchronous-invocation settings (its dead-letter
    /// queue and the SQS client of its role), by function name.
    pub functions: HashMap<String, async_invoke::FunctionAsync>,
    /// The SQS client each event source mapping polls with (Lambda uses the
    /// function's execution role).
    pub esm_sqs: Arc<dyn Fn(&esm::Mapping) -> aws_sdk_sqs::Client + Send + Sync>,
    pub esm_options: esm::EsmOptions,
    pub async_options: async_invoke::AsyncOptions,
    pub router_options: rules::RouterOptions,
}

/// The running event machinery; [`Events::shutdown`] stops it.
pub struct Events {
    /// Hand this to the AWS proxy as its [`EventSink`](super::types::EventSink).
    pub router: Arc<rules::EventRouter>,
    pub async_invoker: Arc<async_invoke::AsyncInvoker>,
    pub scheduler: Arc<schedule::Scheduler>,
    pollers: esm::EsmHandle,
    schedules: schedule::SchedulerHandle,
}

impl Events {
    /// Stops the pollers and the schedules and waits for them; deliveries
    /// already under way are left to finish ([`rules::EventRouter::idle`]).
    pub async fn shutdown(self) {
        self.pollers.shutdown().await;
        self.schedules.shutdown().await;
    }
}

/// Starts the event source mapping pollers and the scheduled rules found in
/// moto, and returns the router for the events put on buses.
pub async fn start(setup: Setup) -> anyhow::Result<Events> {
    let async_invoker = Arc::new(async_invoke::AsyncInvoker::new(
        setup.invoker.clone(),
        setup.functions.clone(),
        setup.async_options.clone(),
    ));
    let router = Arc::new(rules::EventRouter::new(
        setup.eventbridge.clone(),
        setup.sqs.clone(),
        setup.sns.clone(),
        setup.logs.clone(),
        async_invoker.clone(),
        &setup.region,
        &setup.account,
        setup.router_options.clone(),
    ));
    let mappings = esm::list_mappings(&setup.lambda).await?;
    let esm_sqs = setup.esm_sqs.clone();
    let pollers = esm::start_pollers(
        mappings,
        move |m| esm_sqs(m),
        setup.invoker.clone(),
        &setup.region,
        setup.esm_options.clone(),
    );
    let scheduler = Arc::new(schedule::Scheduler::new(router.clone()));
    let schedules = scheduler.clone().start().await?;
    Ok(Events {
        router,
        async_invoker,
        scheduler,
        pollers,
        schedules,
    })
}

/// Counts tasks under way, so that a caller can wait until all finished.
#[derive(Default)]
pub(crate) struct Tracker {
    running: AtomicUsize,
    done: Notify,
}

impl Tracker {
    /// Spawns `task`, counted until it ends.
    pub(crate) fn spawn<F>(self: &Arc<Self>, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.running.fetch_add(1, Ordering::SeqCst);
        let tracker = self.clone();
        tokio::spawn(async move {
            // Decrement even if the task panics.
            struct Done(Arc<Tracker>);
            impl Drop for Done {
                fn drop(&mut self) {
                    self.0.running.fetch_sub(1, Ordering::SeqCst);
                    self.0.done.notify_waiters();
                }
            }
            let _done = Done(tracker);
            task.await;
        });
    }

    /// Returns once no counted task is running.
    pub(crate) async fn idle(&self) {
        loop {
            let notified = self.done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.running.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// A random UUID (version 4), as AWS spells ids.
pub(crate) fn uuid() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let state = std::collections::hash_map::RandomState::new();
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut h = state.build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_usize(i);
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The civil date of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2024-05-01T12:00:00Z`, as EventBridge writes an event's time.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let rem = secs.rem_euclid(86400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses RFC 3339 (`2024-05-01T12:00:00Z`, fractional seconds and offsets
/// allowed) into a time.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || (b[10] != b'T' && b[10] != b't') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &text[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits: String = frac.chars().take_while(|c| c.is_ascii_digit()).collect();
        rest = &frac[digits.len()..];
        let padded = format!("{:0<9}", &digits[..digits.len().min(9)]);
        nanos = padded.parse().ok()?;
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 => {
            let sign = match &rest[..1] {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            sign * (rest[1..3].parse::<i64>().ok()? * 3600 + rest[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo as u32, d as u32) * 86400 + h * 3600 + mi * 60 + s - offset;
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}

/// The last `:`-separated part of an ARN, `/`-separated after a resource
/// type: `arn:aws:sqs:us-east-1:123:orders` gives `orders`.
pub(crate) fn arn_resource(arn: &str) -> &str {
    arn.splitn(6, ':').nth(5).unwrap_or(arn)
}

/// Standard base64 (with padding), as SQS and Lambda spell binary values.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The URL of the queue an SQS ARN names.
pub(crate) async fn queue_url(sqs: &aws_sdk_sqs::Client, arn: &str) -> anyhow::Result<String> {
    let parts: Vec<&str> = arn.split(':').collect();
    let (Some(account), Some(name)) = (parts.get(4), parts.get(5)) else {
        anyhow::bail!("{arn} is not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)");
    };
    let out = sqs
        .get_queue_url()
        .queue_name(*name)
        .queue_owner_aws_account_id(*account)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "queue {arn}: {}",
                aws_sdk_sqs::error::DisplayErrorContext(&e)
            )
        })?;
    out.queue_url
        .ok_or_else(|| anyhow::anyhow!("queue {arn}: GetQueueUrl returned no URL"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip_and_format() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(civil_from_days(days_from_civil(2100, 3, 1)), (2100, 3, 1));
        let t = parse_rfc3339("2017-10-02T18:43:48Z").unwrap();
        assert_eq!(rfc3339(t), "2017-10-02T18:43:48Z");
        let t = parse_rfc3339("2017-10-02T20:43:48.250+02:00").unwrap();
        assert_eq!(rfc3339(t), "2017-10-02T18:43:48Z");
        assert!(parse_rfc3339("2017-10-02 18:43").is_none());
    }

    #[test]
    fn uuids_are_version_4_and_distinct() {
        let (a, b) = (uuid(), uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }

    #[tokio::test]
    async fn idle_waits_for_every_tracked_task() {
        let tracker = Arc::new(Tracker::default());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let finished = Arc::new(AtomicUsize::new(0));
        let f = finished.clone();
        tracker.spawn(async move {
            let _ = rx.await;
            f.fetch_add(1, Ordering::SeqCst);
        });
        let waiting = tokio::spawn({
            let tracker = tracker.clone();
            async move { tracker.idle().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        tx.send(()).unwrap();
        waiting.await.unwrap();
        assert_eq!(finished.load(Ordering::SeqCst), 1);
        // Nothing running: idle at once.
        tracker.idle().await;
    }

    #[test]
    fn base64_pads_as_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn arn_resource_is_the_sixth_part() {
        assert_eq!(arn_resource("arn:aws:sqs:us-east-1:123:orders"), "orders");
        assert_eq!(
            arn_resource("arn:aws:lambda:us-east-1:123:function:f"),
            "function:f"
        );
    }
}
