//! `tp verify`: is a deployed environment healthy? For each region: the
//! stack is in a complete state, each api answers its health check's path
//! with a 2xx, no guard alarm is in ALARM, and every dead-letter queue is
//! empty. Prints a table; any failed check fails the command.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_sqs::types::QueueAttributeName;
use futures_util::future::join_all;
use platform_core::naming;
use platform_core::spec::{Platform, Spec};
use platform_core::synth::Assembly;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::aws::{Connection, Session};
use crate::exit::{self, Exit};
use crate::stacks;

/// How long one health request may take.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(10);

/// States a stack is healthy in.
const COMPLETE: &[&str] = &["CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"];

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub region: String,
    pub what: String,
    pub ok: bool,
    pub detail: String,
}

/// Runs every check in every region of `assembly` (in parallel), prints
/// the table, and fails with [`exit::VERIFY_FAILED`] if a check failed.
pub async fn verify(
    platform: &Platform,
    assembly: &Assembly,
    connection: &Connection,
    api_url: Option<&str>,
) -> anyhow::Result<u8> {
    let sessions: Vec<Session> = join_all(
        assembly
            .stacks
            .iter()
            .map(|s| Session::new(&s.region, connection)),
    )
    .await
    .into_iter()
    .collect::<anyhow::Result<_>>()?;
    let reports = join_all(
        assembly
            .stacks
            .iter()
            .zip(&sessions)
            .map(|(stack, session)| region_checks(platform, stack, session, api_url)),
    )
    .await;
    let mut checks = Vec::new();
    for report in reports {
        checks.extend(report?);
    }
    print!("{}", render(&checks));
    let stacks: Vec<(String, String)> = assembly
        .stacks
        .iter()
        .map(|s| (s.name.clone(), s.region.clone()))
        .collect();
    crate::report::checks(&stacks, &checks);
    let failed = checks.iter().filter(|c| !c.ok).count();
    if failed > 0 {
        return Err(Exit::new(
            exit::VERIFY_FAILED,
            format!("{failed} of {} checks failed", checks.len()),
        )
        .into());
    }
    println!("all {} checks passed", checks.len());
    Ok(exit::OK)
}

async fn region_checks(
    platform: &Platform,
    stack: &platform_core::synth::Stack,
    s: &Session,
    api_url: Option<&str>,
) -> anyhow::Result<Vec<Check>> {
    let row = |what: String, ok: bool, detail: String| Check {
        region: s.region.clone(),
        what,
        ok,
        detail,
    };
    let Some(deployed) = stacks::find(s, &stack.name).await? else {
        return Ok(vec![row(
            format!("stack {}", stack.name),
            false,
            "not deployed".into(),
        )]);
    };
    let status = stacks::status(&deployed).to_owned();
    let mut checks = vec![row(
        format!("stack {}", stack.name),
        COMPLETE.contains(&status.as_str()),
        status,
    )];
    let outputs = stacks::outputs(&deployed);
    let output = |key: &str| {
        outputs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };

    for resource in &platform.resources {
        let Spec::HealthCheck(check) = &resource.spec else {
            continue;
        };
        let api = platform
            .resource(&check.api)
            .expect("references are validated");
        let url_key = format!(
            "{}Url",
            naming::logical_id(api.spec.kind().info(), &api.name)
        );
        let base = match api_url {
            Some(url) => Some(url.to_owned()),
            None => output(&url_key),
        };
        let what = format!("health GET {} ({})", check.path, check.api);
        checks.push(match base {
            None => row(what, false, format!("the stack has no output {url_key}")),
            Some(base) => {
                let url = format!("{}{}", base.trim_end_matches('/'), check.path);
                match get_status(&url).await {
                    Ok((status, took)) => row(
                        what,
                        (200..300).contains(&status),
                        format!("{status} in {} ms", took.as_millis()),
                    ),
                    Err(e) => row(what, false, format!("{url}: {e}")),
                }
            }
        });
    }

    if !stack.guard_alarms.is_empty() {
        let names: Vec<String> = stack.guard_alarms.iter().map(|g| g.name.clone()).collect();
        let found = s
            .cloudwatch
            .describe_alarms()
            .set_alarm_names(Some(names.clone()))
            .send()
            .await
            .map_err(|e| s.error("describe the guard alarms", e))?;
        for name in names {
            let alarm = found
                .metric_alarms()
                .iter()
                .find(|a| a.alarm_name() == Some(name.as_str()));
            let what = format!("alarm {name}");
            checks.push(match alarm.and_then(|a| a.state_value()) {
                None => row(what, false, "not found".into()),
                Some(state) => row(what, *state != StateValue::Alarm, state.as_str().to_owned()),
            });
        }
    }

    for name in dead_letter_queues(platform) {
        let resource = platform.resource(&name).expect("references are validated");
        let key = format!(
            "{}Url",
            naming::logical_id(resource.spec.kind().info(), &name)
        );
        let what = format!("dead letters {name}");
        let Some(url) = output(&key) else {
            checks.push(row(what, false, format!("the stack has no output {key}")));
            continue;
        };
        let attributes = s
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| s.error(&format!("read the attributes of {url}"), e))?;
        let count = |attribute: QueueAttributeName| {
            attributes
                .attributes()
                .and_then(|a| a.get(&attribute))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let messages = count(QueueAttributeName::ApproximateNumberOfMessages)
            + count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible);
        checks.push(row(
            what,
            messages == 0,
            match messages {
                0 => "empty".to_owned(),
                1 => "1 message".to_owned(),
                n => format!("{n} messages"),
            },
        ));
    }
    Ok(checks)
}

/// The queues something sends its failures to, in declaration order.
pub fn dead_letter_queues(platform: &Platform) -> Vec<String> {
    let targets: BTreeSet<&str> = platform
        .resources
        .iter()
        .filter_map(|r| match &r.spec {
            Spec::Queue(q) => q.dead_letter.as_ref().map(|d| d.queue.as_str()),
            Spec::Function(f) => f.dead_letter.as_deref(),
            Spec::Rule(r) => Some(r.dead_letter.as_str()),
            _ => None,
        })
        .collect();
    platform
        .resources
        .iter()
        .filter(|r| targets.contains(r.name.as_str()))
        .map(|r| r.name.clone())
        .collect()
}

/// The report as a table.
pub fn render(checks: &[Check]) -> String {
    let width = |f: fn(&Check) -> &str, title: &str| {
        checks
            .iter()
            .map(|c| f(c).len())
            .chain([title.len()])
            .max()
            .unwrap_or(0)
    };
    let region = width(|c| &c.region, "region");
    let what = width(|c| &c.what, "check");
    let mut out = format!("{:region$}  {:what$}  result  detail\n", "region", "check");
    for c in checks {
        out.push_str(&format!(
            "{:region$}  {:what$}  {:6}  {}\n",
            c.region,
            c.what,
            if c.ok { "ok" } else { "FAIL" },
            c.detail
        ));
    }
    out
}

/// A URL split into what a request needs.
#[derive(Debug, PartialEq, Eq)]
struct Url<'a> {
    tls: bool,
    host: &'a str,
    port: u16,
    path: &'a str,
}

fn parse_url(url: &str) -> Result<Url<'_>, String> {
    let (tls, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err("not an http:// or https:// URL".into());
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse().map_err(|_| format!("bad port `{port}`"))?,
        ),
        None => (authority, if tls { 443 } else { 80 }),
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    Ok(Url {
        tls,
        host,
        port,
        path,
    })
}

/// `GET url`: the status code and how long it took.
async fn get_status(url: &str) -> Result<(u16, Duration), String> {
    let started = Instant::now();
    let status = tokio::time::timeout(HEALTH_TIMEOUT, get(url))
        .await
        .map_err(|_| format!("no answer within {} s", HEALTH_TIMEOUT.as_secs()))??;
    Ok((status, started.elapsed()))
}

async fn get(url: &str) -> Result<u16, String> {
    let url = parse_url(url)?;
    let tcp = TcpStream::connect((url.host, url.port))
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: tp-verify\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        url.path, url.host
    );
    let response = if url.tls {
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(
            tokio_rustls::rustls::crypto::ring::default_provider().into(),
        )
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(url.host.to_owned())
            .map_err(|e| e.to_string())?;
        let mut stream = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS: {e}"))?;
        exchange(&mut stream, &request).await?
    } else {
        let mut tcp = tcp;
        exchange(&mut tcp, &request).await?
    };
    status_of(&response)
}

async fn exchange<S>(stream: &mut S, request: &str) -> Result<Vec<u8>, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    // The status line is all that is needed.
    while !head.contains(&b'\n') {
        let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(head)
}

fn status_of(response: &[u8]) -> Result<u16, String> {
    let line = String::from_utf8_lossy(response);
    let line = line.lines().next().unwrap_or_default();
    line.split(' ')
        .nth(1)
        .filter(|_| line.starts_with("HTTP/"))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {line:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_scheme_host_port_and_path() {
        assert_eq!(
            parse_url("https://abc.execute-api.us-east-1.amazonaws.com/v1/health"),
            Ok(Url {
                tls: true,
                host: "abc.execute-api.us-east-1.amazonaws.com",
                port: 443,
                path: "/v1/health"
            })
        );
        assert_eq!(
            parse_url("http://127.0.0.1:8080"),
            Ok(Url {
                tls: false,
                host: "127.0.0.1",
                port: 8080,
                path: "/"
            })
        );
        assert!(parse_url("ftp://x/").is_err());
        assert!(parse_url("http://:80/").is_err());
        assert!(parse_url("http://x:port/").is_err());
    }

    #[test]
    fn the_status_comes_from_the_status_line() {
        assert_eq!(status_of(b"HTTP/1.1 200 OK\r\n"), Ok(200));
        assert_eq!(status_of(b"HTTP/1.0 503 Service Unavailable\r\n"), Ok(503));
        assert!(status_of(b"SSH-2.0-OpenSSH\r\n").is_err());
    }

    #[test]
    fn dead_letter_queues_are_the_ones_something_fails_into() {
        let platform = platform_def::platform();
        assert_eq!(
            dead_letter_queues(&platform),
            ["trade_orders_dlq", "events_dlq"]
        );
    }

    #[test]
    fn the_report_marks_failures() {
        let table = render(&[
            Check {
                region: "us-east-1".into(),
                what: "stack s".into(),
                ok: true,
                detail: "UPDATE_COMPLETE".into(),
            },
            Check {
                region: "us-east-1".into(),
                what: "dead letters q".into(),
                ok: false,
                detail: "3 messages".into(),
            },
        ]);
        assert_eq!(
            table,
            "region     check           result  detail\n\
             us-east-1  stack s         ok      UPDATE_COMPLETE\n\
             us-east-1  dead letters q  FAIL    3 messages\n"
        );
    }
}
