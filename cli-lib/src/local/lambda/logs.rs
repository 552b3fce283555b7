//! What a function's executions write to CloudWatch Logs, as Lambda writes
//! it: a log stream per execution environment, the platform's records
//! around each invocation's own output (in the function's log format:
//! `START` / `END` / `REPORT` lines in Text, `platform.*` events in JSON,
//! filtered by the system log level), and the identifiers and timestamps
//! these records carry.

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

/// `LoggingConfig.LogFormat`: how the function's application and system
/// logs are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Plain text: `START` / `END` / `REPORT` lines, `<time>\t<id>\t<LEVEL>\t<message>`.
    #[default]
    Text,
    /// One JSON object per record.
    Json,
}

/// A level of `LoggingConfig.ApplicationLogLevel` (`TRACE` to `FATAL`) or
/// `SystemLogLevel` (`DEBUG`, `INFO`, `WARN`), the most detailed first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl LogLevel {
    /// The name Lambda uses (`INFO`), as in `AWS_LAMBDA_LOG_LEVEL`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
            LogLevel::Fatal => "FATAL",
        }
    }

    fn parse(value: &str) -> Option<LogLevel> {
        [
            LogLevel::Trace,
            LogLevel::Debug,
            LogLevel::Info,
            LogLevel::Warn,
            LogLevel::Error,
            LogLevel::Fatal,
        ]
        .into_iter()
        .find(|l| l.as_str().eq_ignore_ascii_case(value))
    }
}

/// A function's `LoggingConfig`: its log format and, in JSON, the levels
/// its application and system logs are filtered at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Logging {
    pub format: LogFormat,
    /// What the runtime client keeps of the function's own logs (JSON only).
    pub application_level: Option<LogLevel>,
    /// What is kept of the platform's records (JSON only).
    pub system_level: Option<LogLevel>,
}

impl Logging {
    /// Lambda's default: plain text, nothing filtered.
    pub fn text() -> Logging {
        Logging::default()
    }

    /// JSON at Lambda's default levels (`INFO` for both).
    pub fn json() -> Logging {
        Logging {
            format: LogFormat::Json,
            application_level: Some(LogLevel::Info),
            system_level: Some(LogLevel::Info),
        }
    }

    /// From a template's `LoggingConfig` values (`LogFormat`,
    /// `ApplicationLogLevel`, `SystemLogLevel`): levels default to `INFO`
    /// in JSON and do not apply to Text, as in Lambda.
    pub fn from_config(
        format: &str,
        application: Option<&str>,
        system: Option<&str>,
    ) -> anyhow::Result<Logging> {
        let format = if format.eq_ignore_ascii_case("json") {
            LogFormat::Json
        } else if format.eq_ignore_ascii_case("text") || format.is_empty() {
            LogFormat::Text
        } else {
            anyhow::bail!("LoggingConfig.LogFormat is {format:?}; Lambda takes JSON or Text");
        };
        if format == LogFormat::Text {
            return Ok(Logging::text());
        }
        let application = match application {
            None => LogLevel::Info,
            Some(value) => LogLevel::parse(value).ok_or_else(|| {
                anyhow::anyhow!(
                    "LoggingConfig.ApplicationLogLevel is {value:?}; Lambda takes TRACE, DEBUG, INFO, WARN, ERROR or FATAL"
                )
            })?,
        };
        let system = match system {
            None => LogLevel::Info,
            Some(value) => LogLevel::parse(value)
                .filter(|l| matches!(l, LogLevel::Debug | LogLevel::Info | LogLevel::Warn))
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "LoggingConfig.SystemLogLevel is {value:?}; Lambda takes DEBUG, INFO or WARN"
                    )
                })?,
        };
        Ok(Logging {
            format,
            application_level: Some(application),
            system_level: Some(system),
        })
    }
}

/// How an invocation ended, as the platform reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Status {
    Success,
    /// The function or its runtime failed, with this error type.
    Failure(String),
    Timeout,
}

/// How init ended, as the platform reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum InitStatus {
    Success,
    Error(String),
    Timeout,
}

/// A JSON object with its keys in the order given (Lambda's order), each
/// value already JSON.
struct Object(Vec<(&'static str, String)>);

impl Object {
    fn new() -> Object {
        Object(Vec::new())
    }

    fn raw(mut self, key: &'static str, json: String) -> Object {
        self.0.push((key, json));
        self
    }

    fn str(self, key: &'static str, value: &str) -> Object {
        self.raw(key, serde_json::Value::from(value).to_string())
    }

    fn ms(self, key: &'static str, duration: Duration) -> Object {
        // Milliseconds with three decimals, as Lambda reports them.
        let ms = (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0;
        self.raw(key, serde_json::Value::from(ms).to_string())
    }

    fn int(self, key: &'static str, value: u128) -> Object {
        self.raw(key, value.to_string())
    }

    fn render(self) -> String {
        let fields: Vec<String> = self
            .0
            .into_iter()
            .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k)))
            .collect();
        format!("{{{}}}", fields.join(","))
    }
}

/// `billedDurationMs`: rounded up to the millisecond, at least 1.
fn billed_ms(duration: Duration) -> u128 {
    duration.as_micros().div_ceil(1000).max(1)
}

/// The platform's records for one function, in its log format and kept
/// at its system log level.
#[derive(Clone, Copy, Debug)]
pub(super) struct Platform {
    logging: Logging,
}

impl Platform {
    pub fn new(logging: Logging) -> Platform {
        Platform { logging }
    }

    fn json(&self) -> bool {
        self.logging.format == LogFormat::Json
    }

    /// Lambda logs an event at INFO when it went well and at WARN when it
    /// did not; a WARN system log level keeps only the latter.
    fn kept(&self, success: bool) -> bool {
        match self.logging.system_level {
            Some(level) if level >= LogLevel::Warn => !success,
            _ => true,
        }
    }

    fn event(&self, at_ms: i64, kind: &str, record: Object) -> LogLine {
        let message = Object::new()
            .str("time", &iso_utc(at_ms))
            .str("type", kind)
            .raw("record", record.render())
            .render();
        LogLine { at_ms, message }
    }

    /// `platform.initStart` (JSON only: the Text log has no line for it).
    pub fn init_start(&self, at_ms: i64, function: &str) -> Option<LogLine> {
        if !self.json() || !self.kept(true) {
            return None;
        }
        let record = Object::new()
            .str("initializationType", "on-demand")
            .str("phase", "init")
            .str("functionName", function)
            .str("functionVersion", "$LATEST");
        Some(self.event(at_ms, "platform.initStart", record))
    }

    /// How init ended: `platform.initRuntimeDone` and `platform.initReport`
    /// in JSON; in Text, an `INIT_REPORT` line when it failed.
    pub fn init_done(&self, at_ms: i64, status: &InitStatus, took: Duration) -> Vec<LogLine> {
        let (name, error_type) = match status {
            InitStatus::Success => ("success", None),
            InitStatus::Error(t) => ("error", Some(t.as_str())),
            InitStatus::Timeout => ("timeout", None),
        };
        if !self.json() {
            if *status == InitStatus::Success {
                return Vec::new();
            }
            let mut line = format!(
                "INIT_REPORT Init Duration: {:.2} ms\tPhase: init\tStatus: {name}",
                took.as_secs_f64() * 1000.0
            );
            if let Some(t) = error_type {
                let _ = write!(line, "\tError Type: {t}");
            }
            return vec![LogLine {
                at_ms,
                message: line,
            }];
        }
        if !self.kept(*status == InitStatus::Success) {
            return Vec::new();
        }
        let base = |record: Object| {
            let record = record
                .str("initializationType", "on-demand")
                .str("phase", "init")
                .str("status", name);
            match error_type {
                Some(t) => record.str("errorType", t),
                None => record,
            }
        };
        let metrics = Object::new().ms("durationMs", took).render();
        vec![
            self.event(at_ms, "platform.initRuntimeDone", base(Object::new())),
            self.event(
                at_ms,
                "platform.initReport",
                base(Object::new()).raw("metrics", metrics),
            ),
        ]
    }

    /// `START` / `platform.start`.
    pub fn start(&self, at_ms: i64, id: &str) -> Option<LogLine> {
        if !self.json() {
            return Some(LogLine {
                at_ms,
                message: start_line(id),
            });
        }
        if !self.kept(true) {
            return None;
        }
        let record = Object::new().str("requestId", id).str("version", "$LATEST");
        Some(self.event(at_ms, "platform.start", record))
    }

    fn with_status(record: Object, status: &Status) -> Object {
        match status {
            Status::Success => record.str("status", "success"),
            Status::Timeout => record.str("status", "timeout"),
            Status::Failure(t) => record.str("status", "failure").str("errorType", t),
        }
    }

    /// `END` / `platform.runtimeDone`.
    pub fn runtime_done(
        &self,
        at_ms: i64,
        id: &str,
        status: &Status,
        duration: Duration,
    ) -> Option<LogLine> {
        if !self.json() {
            return Some(LogLine {
                at_ms,
                message: end_line(id),
            });
        }
        if !self.kept(*status == Status::Success) {
            return None;
        }
        let record = Platform::with_status(Object::new().str("requestId", id), status)
            .raw("metrics", Object::new().ms("durationMs", duration).render());
        Some(self.event(at_ms, "platform.runtimeDone", record))
    }

    /// `REPORT` / `platform.report`, with the init duration of a cold start.
    #[allow(clippy::too_many_arguments)]
    pub fn report(
        &self,
        at_ms: i64,
        id: &str,
        status: &Status,
        duration: Duration,
        memory_mb: u32,
        max_used_mb: u64,
        init: Option<Duration>,
    ) -> Option<LogLine> {
        if !self.json() {
            return Some(LogLine {
                at_ms,
                message: report_line(id, duration, memory_mb, max_used_mb, init),
            });
        }
        if !self.kept(*status == Status::Success) {
            return None;
        }
        let mut metrics = Object::new()
            .ms("durationMs", duration)
            .int("billedDurationMs", billed_ms(duration))
            .int("memorySizeMB", memory_mb.into())
            .int("maxMemoryUsedMB", max_used_mb.into());
        if let Some(init) = init {
            metrics = metrics.ms("initDurationMs", init);
        }
        let record = Platform::with_status(Object::new().str("requestId", id), status)
            .raw("metrics", metrics.render());
        Some(self.event(at_ms, "platform.report", record))
    }

    /// The Text log's `Task timed out` line; in JSON the timeout is the
    /// `timeout` status of `platform.runtimeDone` and `platform.report`.
    pub fn timed_out(&self, at_ms: i64, id: &str, timeout: Duration) -> Option<LogLine> {
        (!self.json()).then(|| LogLine {
            at_ms,
            message: timed_out_line(at_ms, id, timeout),
        })
    }
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
    let billed = billed_ms(duration);
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
    fn logging_config_defaults_and_checks_as_lambda_does() {
        assert_eq!(
            Logging::from_config("Text", None, None).unwrap(),
            Logging::text()
        );
        assert_eq!(
            Logging::from_config("", None, None).unwrap(),
            Logging::text()
        );
        assert_eq!(
            Logging::from_config("Text", Some("DEBUG"), Some("WARN")).unwrap(),
            Logging::text(),
            "levels apply to JSON only"
        );
        assert_eq!(
            Logging::from_config("JSON", None, None).unwrap(),
            Logging::json()
        );
        let set = Logging::from_config("JSON", Some("debug"), Some("WARN")).unwrap();
        assert_eq!(set.application_level, Some(LogLevel::Debug));
        assert_eq!(set.system_level, Some(LogLevel::Warn));
        let bad = Logging::from_config("XML", None, None)
            .unwrap_err()
            .to_string();
        assert!(bad.contains("JSON or Text"), "{bad}");
        let bad = Logging::from_config("JSON", Some("LOUD"), None)
            .unwrap_err()
            .to_string();
        assert!(bad.contains("ApplicationLogLevel"), "{bad}");
        let bad = Logging::from_config("JSON", None, Some("TRACE"))
            .unwrap_err()
            .to_string();
        assert!(bad.contains("DEBUG, INFO or WARN"), "{bad}");
    }

    fn parse(line: Option<LogLine>) -> serde_json::Value {
        serde_json::from_str(&line.expect("a record").message).expect("JSON")
    }

    #[test]
    fn text_platform_records_are_the_lines_of_today() {
        let p = Platform::new(Logging::text());
        assert_eq!(p.init_start(0, "f"), None);
        assert!(
            p.init_done(0, &InitStatus::Success, Duration::ZERO)
                .is_empty()
        );
        let failed = p.init_done(
            0,
            &InitStatus::Error("Error".into()),
            Duration::from_millis(5),
        );
        assert_eq!(
            failed[0].message,
            "INIT_REPORT Init Duration: 5.00 ms\tPhase: init\tStatus: error\tError Type: Error"
        );
        assert_eq!(p.start(0, "id").unwrap().message, start_line("id"));
        let done = p.runtime_done(0, "id", &Status::Timeout, Duration::ZERO);
        assert_eq!(done.unwrap().message, end_line("id"));
        let report = p.report(
            0,
            "id",
            &Status::Success,
            Duration::from_millis(3),
            128,
            60,
            None,
        );
        assert_eq!(
            report.unwrap().message,
            report_line("id", Duration::from_millis(3), 128, 60, None)
        );
        assert_eq!(
            p.timed_out(0, "id", Duration::from_secs(3))
                .unwrap()
                .message,
            timed_out_line(0, "id", Duration::from_secs(3))
        );
    }

    #[test]
    fn json_platform_records_are_telemetry_events() {
        let p = Platform::new(Logging::json());
        let start = p.start(1_709_251_200_000, "id-1");
        assert_eq!(start.as_ref().unwrap().at_ms, 1_709_251_200_000);
        // Keys in Lambda's order.
        assert_eq!(
            start.as_ref().unwrap().message,
            r#"{"time":"2024-03-01T00:00:00.000Z","type":"platform.start","record":{"requestId":"id-1","version":"$LATEST"}}"#
        );
        let report = parse(p.report(
            0,
            "id-1",
            &Status::Failure("TypeError".into()),
            Duration::from_micros(12_345),
            256,
            70,
            Some(Duration::from_micros(150_500)),
        ));
        assert_eq!(report["type"], "platform.report");
        assert_eq!(
            report["record"],
            serde_json::json!({
                "requestId": "id-1", "status": "failure", "errorType": "TypeError",
                "metrics": {"durationMs": 12.345, "billedDurationMs": 13, "memorySizeMB": 256,
                            "maxMemoryUsedMB": 70, "initDurationMs": 150.5}
            })
        );
        let done = parse(p.runtime_done(0, "id-1", &Status::Timeout, Duration::from_secs(3)));
        assert_eq!(
            done["record"],
            serde_json::json!({"requestId": "id-1", "status": "timeout", "metrics": {"durationMs": 3000.0}})
        );
        assert_eq!(p.timed_out(0, "id-1", Duration::from_secs(3)), None);
        let init = p.init_done(0, &InitStatus::Timeout, Duration::from_secs(10));
        let kinds: Vec<serde_json::Value> = init
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(&l.message).unwrap())
            .collect();
        assert_eq!(kinds[0]["type"], "platform.initRuntimeDone");
        assert_eq!(kinds[0]["record"]["status"], "timeout");
        assert_eq!(kinds[1]["type"], "platform.initReport");
        assert_eq!(kinds[1]["record"]["metrics"]["durationMs"], 10_000.0);
        let init_start = parse(p.init_start(0, "orders"));
        assert_eq!(init_start["record"]["functionName"], "orders");
        assert_eq!(init_start["record"]["phase"], "init");
    }

    #[test]
    fn a_warn_system_level_keeps_only_what_went_wrong() {
        let p = Platform::new(Logging {
            system_level: Some(LogLevel::Warn),
            ..Logging::json()
        });
        assert_eq!(p.init_start(0, "f"), None);
        assert_eq!(p.start(0, "id"), None);
        assert!(
            p.init_done(0, &InitStatus::Success, Duration::ZERO)
                .is_empty()
        );
        assert_eq!(
            p.init_done(0, &InitStatus::Timeout, Duration::ZERO).len(),
            2
        );
        let ms = Duration::from_millis(1);
        assert_eq!(p.runtime_done(0, "id", &Status::Success, ms), None);
        assert!(p.runtime_done(0, "id", &Status::Timeout, ms).is_some());
        assert_eq!(p.report(0, "id", &Status::Success, ms, 128, 1, None), None);
        assert!(
            p.report(0, "id", &Status::Failure("E".into()), ms, 128, 1, None)
                .is_some()
        );
        let debug = Platform::new(Logging {
            system_level: Some(LogLevel::Debug),
            ..Logging::json()
        });
        assert!(debug.start(0, "id").is_some());
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
