//! What a function's executions write to CloudWatch Logs, as Lambda writes
//! it: a log stream per execution environment, the runtime's `START`,
//! `END` and `REPORT` lines around each invocation's own output, and the
//! identifiers and timestamps these lines carry.

use std::fmt::Write as _;
use std::io::Read as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;

use crate::local::types::Credentials;

/// One log event: milliseconds since the epoch and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct LogLine {
    pub at_ms: i64,
    pub message: String,
}

impl LogLine {
    pub fn now(message: String) -> LogLine {
        LogLine {
            at_ms: epoch_ms(SystemTime::now()),
            message,
        }
    }
}

pub(super) fn epoch_ms(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `n` random bytes from the kernel.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("/dev/urandom is readable");
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A request id as Lambda makes them: a random (version 4) UUID.
pub(super) fn request_id() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// An X-Ray trace header for one invocation (`Root=1-<time>-<id>;...`).
pub(super) fn trace_id(now: SystemTime) -> String {
    let secs = epoch_ms(now) / 1000;
    format!(
        "Root=1-{secs:08x}-{};Parent={};Sampled=0",
        hex(&random_bytes::<12>()),
        hex(&random_bytes::<8>())
    )
}

/// An execution environment's log stream: `YYYY/MM/DD/[$LATEST]<32 hex>`.
pub(super) fn stream_name(now: SystemTime) -> String {
    let (y, m, d, ..) = civil(epoch_ms(now));
    format!(
        "{y:04}/{m:02}/{d:02}/[$LATEST]{}",
        hex(&random_bytes::<16>())
    )
}

/// `2024-05-06T07:08:09.010Z`, as JavaScript's `toISOString`.
pub(super) fn iso_utc(at_ms: i64) -> String {
    let (y, mo, d, h, mi, s, ms) = civil(at_ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
}

/// Calendar date and time of day (UTC) of an instant (proleptic
/// Gregorian calendar, Howard Hinnant's days-to-civil algorithm).
fn civil(at_ms: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let ms_of_day = at_ms.rem_euclid(86_400_000);
    let days = at_ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    let secs = (ms_of_day / 1000) as u32;
    (
        y,
        m,
        d,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        (ms_of_day % 1000) as u32,
    )
}

pub(super) fn start_line(id: &str) -> String {
    format!("START RequestId: {id} Version: $LATEST")
}

pub(super) fn end_line(id: &str) -> String {
    format!("END RequestId: {id}")
}

/// The `REPORT` line: durations in ms with two decimals, billed time
/// rounded up to the millisecond, and the init duration of a cold start.
pub(super) fn report_line(
    id: &str,
    duration: Duration,
    memory_mb: u32,
    max_used_mb: u64,
    init: Option<Duration>,
) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    let billed = duration.as_micros().div_ceil(1000).max(1);
    let mut line = format!(
        "REPORT RequestId: {id}\tDuration: {ms:.2} ms\tBilled Duration: {billed} ms\tMemory Size: {memory_mb} MB\tMax Memory Used: {max_used_mb} MB"
    );
    if let Some(init) = init {
        let _ = write!(
            line,
            "\tInit Duration: {:.2} ms",
            init.as_secs_f64() * 1000.0
        );
    }
    line
}

pub(super) fn timed_out_line(at_ms: i64, id: &str, timeout: Duration) -> String {
    format!(
        "{}\t{id}\tTask timed out after {:.2} seconds",
        iso_utc(at_ms),
        timeout.as_secs_f64()
    )
}

/// Writes log events to CloudWatch Logs.
pub(super) struct LogWriter {
    client: aws_sdk_cloudwatchlogs::Client,
    endpoint: String,
}

/// PutLogEvents takes at most 10,000 events and 1,048,576 bytes (each
/// event counting 26 bytes more than its message); stay below both.
const BATCH_EVENTS: usize = 5_000;
const BATCH_BYTES: usize = 900_000;
/// CloudWatch Logs refuses longer messages; Lambda cuts them too.
const MAX_MESSAGE_BYTES: usize = 256 * 1024;

impl LogWriter {
    pub fn new(endpoint: &str, region: &str, credentials: &Credentials) -> LogWriter {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let config = aws_sdk_cloudwatchlogs::Config::builder()
            .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatchlogs::config::Region::new(
                region.to_owned(),
            ))
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_cloudwatchlogs::config::Credentials::new(
                &credentials.access_key_id,
                &credentials.secret_access_key,
                credentials.session_token.clone(),
                None,
                "tp-local",
            ))
            .http_client(http)
            .build();
        LogWriter {
            client: aws_sdk_cloudwatchlogs::Client::from_conf(config),
            endpoint: endpoint.to_owned(),
        }
    }

    /// Creates the log group unless it exists (the template normally creates it).
    pub async fn ensure_group(&self, group: &str) -> anyhow::Result<()> {
        match self
            .client
            .create_log_group()
            .log_group_name(group)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ResourceAlreadyExistsException") => Ok(()),
            Err(e) => Err(anyhow::anyhow!(
                "cannot create log group {group} at {}: {}",
                self.endpoint,
                aws_sdk_cloudwatchlogs::error::DisplayErrorContext(&e)
            )),
        }
    }

    /// Creates an execution environment's log stream, and the group first
    /// if it is missing.
    pub async fn create_stream(&self, group: &str, stream: &str) -> anyhow::Result<()> {
        for attempt in 0..2 {
            let result = self
                .client
                .create_log_stream()
                .log_group_name(group)
                .log_stream_name(stream)
                .send()
                .await;
            match result {
                Ok(_) => return Ok(()),
                Err(e) if e.code() == Some("ResourceAlreadyExistsException") => return Ok(()),
                Err(e) if e.code() == Some("ResourceNotFoundException") && attempt == 0 => {
                    self.ensure_group(group).await?;
                }
                Err(e) => {
                    return Err(anyhow::anyhow!(
                        "cannot create log stream {stream} in {group} at {}: {}",
                        self.endpoint,
                        aws_sdk_cloudwatchlogs::error::DisplayErrorContext(&e)
                    ));
                }
            }
        }
        unreachable!("the second attempt returns")
    }

    /// Puts `lines` in order, in as few calls as the service's limits allow.
    pub async fn put(&self, group: &str, stream: &str, lines: Vec<LogLine>) -> anyhow::Result<()> {
        for batch in batches(lines) {
            let events = batch
                .into_iter()
                .map(|line| {
                    InputLogEvent::builder()
                        .timestamp(line.at_ms)
                        .message(line.message)
                        .build()
                        .expect("timestamp and message are set")
                })
                .collect();
            self.client
                .put_log_events()
                .log_group_name(group)
                .log_stream_name(stream)
                .set_log_events(Some(events))
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "cannot put log events to {group} / {stream} at {}: {}",
                        self.endpoint,
                        aws_sdk_cloudwatchlogs::error::DisplayErrorContext(&e)
                    )
                })?;
        }
        Ok(())
    }
}

/// Splits `lines` into PutLogEvents batches: empty messages dropped (the
/// service refuses them), long ones cut, timestamps made non-decreasing
/// (a batch must be in chronological order).
fn batches(lines: Vec<LogLine>) -> Vec<Vec<LogLine>> {
    let mut out: Vec<Vec<LogLine>> = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0;
    let mut last = i64::MIN;
    for mut line in lines {
        if line.message.is_empty() {
            continue;
        }
        if line.message.len() > MAX_MESSAGE_BYTES {
            let mut cut = MAX_MESSAGE_BYTES;
            while !line.message.is_char_boundary(cut) {
                cut -= 1;
            }
            line.message.truncate(cut);
        }
        line.at_ms = line.at_ms.max(last);
        last = line.at_ms;
        let size = line.message.len() + 26;
        if !current.is_empty() && (current.len() == BATCH_EVENTS || bytes + size > BATCH_BYTES) {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += size;
        current.push(line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_time_matches_javascript() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00.000Z");
        // new Date(1709251199999).toISOString()
        assert_eq!(iso_utc(1_709_251_199_999), "2024-02-29T23:59:59.999Z");
        assert_eq!(iso_utc(1_709_251_200_000), "2024-03-01T00:00:00.000Z");
        assert_eq!(iso_utc(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso_utc(4_102_444_800_000), "2100-01-01T00:00:00.000Z");
    }

    #[test]
    fn stream_names_look_like_lambdas() {
        let at = UNIX_EPOCH + Duration::from_millis(1_709_251_200_000);
        let name = stream_name(at);
        let (date, rest) = name.split_at(11);
        assert_eq!(date, "2024/03/01/");
        let hex = rest.strip_prefix("[$LATEST]").expect("version marker");
        assert_eq!(hex.len(), 32);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(stream_name(at), name, "each environment has its own stream");
    }

    #[test]
    fn request_ids_are_version_4_uuids() {
        let id = request_id();
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
        assert_ne!(request_id(), id);
    }

    #[test]
    fn trace_ids_carry_the_time() {
        let at = UNIX_EPOCH + Duration::from_secs(0x6600_0000);
        let trace = trace_id(at);
        assert!(trace.starts_with("Root=1-66000000-"), "{trace}");
        assert!(trace.ends_with(";Sampled=0"), "{trace}");
    }

    #[test]
    fn report_line_has_lambdas_fields() {
        let line = report_line(
            "abc",
            Duration::from_micros(12_345),
            128,
            70,
            Some(Duration::from_micros(150_500)),
        );
        assert_eq!(
            line,
            "REPORT RequestId: abc\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tInit Duration: 150.50 ms"
        );
        let warm = report_line("abc", Duration::from_millis(3), 256, 80, None);
        assert!(warm.contains("Billed Duration: 3 ms"), "{warm}");
        assert!(!warm.contains("Init Duration"), "{warm}");
    }

    #[test]
    fn timeout_line_names_the_seconds() {
        assert_eq!(
            timed_out_line(0, "id-1", Duration::from_secs(3)),
            "1970-01-01T00:00:00.000Z\tid-1\tTask timed out after 3.00 seconds"
        );
    }

    #[test]
    fn batches_are_ordered_nonempty_and_bounded() {
        let lines = vec![
            LogLine {
                at_ms: 10,
                message: "a".into(),
            },
            LogLine {
                at_ms: 5,
                message: String::new(),
            },
            LogLine {
                at_ms: 7,
                message: "b".into(),
            },
        ];
        let out = batches(lines);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0],
            vec![
                LogLine {
                    at_ms: 10,
                    message: "a".into()
                },
                LogLine {
                    at_ms: 10,
                    message: "b".into()
                }
            ]
        );
        let many = (0..12_000)
            .map(|i| LogLine {
                at_ms: i,
                message: "x".into(),
            })
            .collect();
        let out = batches(many);
        assert_eq!(
            out.iter().map(Vec::len).collect::<Vec<_>>(),
            [5_000, 5_000, 2_000]
        );
        let long = vec![LogLine {
            at_ms: 0,
            message: "é".repeat(MAX_MESSAGE_BYTES),
        }];
        let out = batches(long);
        assert!(out[0][0].message.len() <= MAX_MESSAGE_BYTES);
    }
}
