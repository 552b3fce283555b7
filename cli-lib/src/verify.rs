//! `tp verify`: is a deployed environment healthy? For each region: the
//! stack is in a complete state, each api answers its health check's path
//! with a 2xx, no guard alarm is in ALARM, and every dead-letter queue is
//! empty. Prints a table; any failed check fails the command.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_sqs::types::QueueAttributeName;
use base64::Engine;
use base64::prelude::BASE64_STANDARD;
use futures_util::future::join_all;
use http::header;
use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use percent_encoding::percent_decode_str;
use platform_core::naming;
use platform_core::spec::{Platform, Spec};
use platform_core::synth::Assembly;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use url::Url;

use crate::aws::{Connection, Session, root_cause};
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
    let api_url = api_url
        .map(api_base)
        .transpose()
        .map_err(|e| Exit::new(exit::INVALID_INPUT, e))?;
    let client = health_client().map_err(anyhow::Error::msg)?;
    let sessions = Session::for_stacks(&assembly.stacks, connection).await?;
    let reports = join_all(
        assembly
            .stacks
            .iter()
            .zip(&sessions)
            .map(|(stack, session)| {
                region_checks(platform, stack, session, &client, api_url.as_ref())
            }),
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
    client: &HealthClient,
    api_url: Option<&Url>,
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
            Some(url) => Ok(url.clone()),
            None => output(&url_key)
                .ok_or_else(|| format!("the stack has no output {url_key}"))
                .and_then(|url| {
                    base_url(&url).map_err(|why| format!("{url_key} `{url}` is {why}"))
                }),
        };
        let what = format!("health GET {} ({})", check.path, check.api);
        checks.push(match base {
            Err(why) => row(what, false, why),
            Ok(base) => {
                let url = health_url(&base, &check.path);
                match get_status(client, &url).await {
                    Ok((status, took)) => row(
                        what,
                        (200..300).contains(&status),
                        format!("{status} in {} ms", took.as_millis()),
                    ),
                    Err(e) => row(what, false, format!("{}: {e}", without_credentials(&url))),
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

/// The base URL of `--api-url`, checked before the first AWS call.
pub fn api_base(api_url: &str) -> Result<Url, String> {
    base_url(api_url).map_err(|why| {
        format!(
            "--api-url `{api_url}` is {why}; give the api's base URL, e.g. https://api.example.com/v1 or http://127.0.0.1:3000"
        )
    })
}

/// `url` if it is an `http` or `https` URL with a host, or why not.
fn base_url(url: &str) -> Result<Url, String> {
    let url = Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        scheme => Err(format!("not an http or https URL (scheme `{scheme}`)")),
    }
}

/// Where an api's health check asks: `path` (with its query, if any) under
/// `base`'s path, its query after `base`'s (a stage's `/v1/` and
/// `/health` make `/v1/health`); a fragment is never sent.
pub fn health_url(base: &Url, path: &str) -> Url {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut url = base.clone();
    url.set_path(&format!("{}{}", base.path().trim_end_matches('/'), path));
    let query = [base.query().unwrap_or_default(), query]
        .into_iter()
        .filter(|q| !q.is_empty())
        .collect::<Vec<_>>()
        .join("&");
    url.set_query(Some(query.as_str()).filter(|q| !q.is_empty()));
    url.set_fragment(None);
    url
}

/// `url` without its credentials: what is requested, and what is shown.
fn without_credentials(url: &Url) -> Url {
    let mut url = url.clone();
    // Only a URL that cannot be a base refuses, and an http(s) URL can.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

/// The health requests' client: hyper's over hyper-rustls, on the TLS
/// stack of the SDK's client ([`crate::aws::http_client`]): rustls on ring
/// with the system's root certificates. It speaks plain HTTP too, for an
/// `--api-url` on loopback.
type HealthClient = Client<HttpsConnector<HttpConnector>, Empty<Bytes>>;

fn health_client() -> Result<HealthClient, String> {
    let mut roots = RootCertStore::empty();
    // As the SDK's client does: a root that does not parse is left out, and
    // with no roots at all HTTPS fails on the certificate while plain HTTP
    // still works.
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    let tls = ClientConfig::builder_with_provider(ring::default_provider().into())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

/// `GET url`: the status code and how long it took.
async fn get_status(client: &HealthClient, url: &Url) -> Result<(u16, Duration), String> {
    let started = Instant::now();
    let status = tokio::time::timeout(HEALTH_TIMEOUT, get(client, url))
        .await
        .map_err(|_| format!("no answer within {} s", HEALTH_TIMEOUT.as_secs()))??;
    Ok((status, started.elapsed()))
}

/// The request for `url`; credentials in it go as basic authentication,
/// as curl sends them.
fn request(url: &Url) -> Result<http::Request<Empty<Bytes>>, String> {
    let uri: http::Uri = without_credentials(url)
        .as_str()
        .parse()
        .map_err(|e| format!("not a request URI: {e}"))?;
    let mut request = http::Request::get(uri)
        .header(header::USER_AGENT, "tp-verify")
        .header(header::ACCEPT, "*/*");
    if !url.username().is_empty() || url.password().is_some() {
        let decode = |part: &str| percent_decode_str(part).decode_utf8_lossy().into_owned();
        let credentials = format!(
            "{}:{}",
            decode(url.username()),
            decode(url.password().unwrap_or_default())
        );
        request = request.header(
            header::AUTHORIZATION,
            format!("Basic {}", BASE64_STANDARD.encode(credentials)),
        );
    }
    request.body(Empty::new()).map_err(|e| e.to_string())
}

async fn get(client: &HealthClient, url: &Url) -> Result<u16, String> {
    let response = client.request(request(url)?).await.map_err(|e| {
        let cause = root_cause(&e);
        if e.is_connect() {
            format!("cannot connect: {cause}")
        } else {
            cause
        }
    })?;
    // The status is the answer; the body is left unread.
    Ok(response.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(base: &str, path: &str) -> String {
        health_url(&api_base(base).expect("a base URL"), path).to_string()
    }

    #[test]
    fn the_health_path_goes_under_the_base_path() {
        assert_eq!(
            joined(
                "https://abc.execute-api.us-east-1.amazonaws.com/v1/",
                "/health"
            ),
            "https://abc.execute-api.us-east-1.amazonaws.com/v1/health"
        );
        assert_eq!(
            joined("http://127.0.0.1:8080", "/health"),
            "http://127.0.0.1:8080/health"
        );
        assert_eq!(
            joined("https://api.example.com:8443/v1", "/health?deep=1"),
            "https://api.example.com:8443/v1/health?deep=1"
        );
    }

    #[test]
    fn urls_a_split_on_slashes_and_colons_got_wrong() {
        // IPv6 literals: the host keeps its brackets, the port is after them.
        let url = api_base("http://[::1]:8080/v1").unwrap();
        assert_eq!(
            url.host(),
            Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
        );
        assert_eq!(url.port(), Some(8080));
        assert_eq!(joined("http://[::1]", "/health"), "http://[::1]/health");
        // A query with no path, and the base's query kept after the path.
        assert_eq!(
            joined("http://127.0.0.1:8080?token=abc", "/health"),
            "http://127.0.0.1:8080/health?token=abc"
        );
        assert_eq!(
            joined(
                "https://api.example.com/v1/?token=abc#top",
                "/health?deep=1"
            ),
            "https://api.example.com/v1/health?token=abc&deep=1"
        );
        // Credentials are neither the host nor part of what is requested.
        let url = health_url(
            &api_base("http://probe:s%40cret@127.0.0.1:8080").unwrap(),
            "/health",
        );
        assert_eq!(url.host_str(), Some("127.0.0.1"));
        let request = request(&url).unwrap();
        assert_eq!(request.uri(), "http://127.0.0.1:8080/health");
        assert_eq!(
            request.headers()[header::AUTHORIZATION],
            format!("Basic {}", BASE64_STANDARD.encode("probe:s@cret"))
        );
        assert_eq!(
            without_credentials(&url).as_str(),
            "http://127.0.0.1:8080/health"
        );
    }

    /// HTTPS is checked against the system's roots: a certificate none of
    /// them signed is refused, and the row says why.
    #[tokio::test]
    async fn https_refuses_a_certificate_no_system_root_signed() {
        use tokio_rustls::rustls::ServerConfig;
        use tokio_rustls::rustls::pki_types::PrivateKeyDer;

        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let key = PrivateKeyDer::Pkcs8(signing_key.serialize_der().into());
        let config = ServerConfig::builder_with_provider(ring::default_provider().into())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                // The client gives up in the handshake.
                let _ = acceptor.accept(tcp).await;
            }
        });
        let url = Url::parse(&format!("https://localhost:{port}/health")).unwrap();
        let error = get(&health_client().unwrap(), &url).await.unwrap_err();
        assert!(
            error.starts_with("cannot connect: invalid peer certificate"),
            "{error}"
        );
    }

    #[test]
    fn a_bad_api_url_is_refused_with_what_to_give() {
        for (url, why) in [
            ("ftp://x/", "not an http or https URL (scheme `ftp`)"),
            ("http://:80/", "not a URL (empty host)"),
            ("http://x:port/", "not a URL (invalid port number)"),
            (
                "api.example.com/v1",
                "not a URL (relative URL without a base)",
            ),
        ] {
            let message = api_base(url).unwrap_err();
            assert!(
                message.starts_with(&format!("--api-url `{url}` is {why}; give")),
                "{message}"
            );
        }
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
