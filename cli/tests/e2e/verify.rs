//! `tp verify` against a deployed environment: the stack in moto, the
//! api's health path served on loopback by the test (`--api-url`), guard
//! alarms and dead-letter queues read through CloudWatch and SQS.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use super::*;

/// A loopback server answering `GET /health` (with any query) with the
/// status it holds, and anything else with 404; it keeps the head of the
/// last request.
struct Health {
    port: u16,
    status: Arc<AtomicU16>,
    last_request: Arc<Mutex<String>>,
}

impl Health {
    fn start() -> Health {
        let listener = TcpListener::bind("127.0.0.1:0").expect("health listener");
        let port = listener.local_addr().unwrap().port();
        let status = Arc::new(AtomicU16::new(200));
        let last_request = Arc::new(Mutex::new(String::new()));
        let shared = status.clone();
        let request_seen = last_request.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut request = [0u8; 1024];
                let n = stream.read(&mut request).unwrap_or(0);
                let head = String::from_utf8_lossy(&request[..n]).into_owned();
                let path_ok = head.starts_with("GET /health ") || head.starts_with("GET /health?");
                *request_seen.lock().unwrap() = head;
                let status = if path_ok {
                    shared.load(Ordering::SeqCst)
                } else {
                    404
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Health {
            port,
            status,
            last_request,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

#[test]
fn verify_passes_a_healthy_environment_and_names_each_failed_check() {
    let moto = Moto::start("verify");
    let health = Health::start();
    let dir = scratch("verify");
    let suffix = "vfy";
    let url = health.url();
    let verify_at = |endpoint: &str, api_url: &str| {
        tp_run(
            endpoint,
            &dir,
            &[
                "verify",
                "--suffix",
                suffix,
                "--region",
                REGION,
                "--api-url",
                api_url,
            ],
        )
    };
    let verify = || verify_at(&moto.endpoint(), &url);

    // A base URL that is none is refused before any AWS call.
    let run = verify_at("http://127.0.0.1:1", "ftp://x/");
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("--api-url `ftp://x/` is not an http or https URL (scheme `ftp`)"),
        "{run}"
    );

    // Nothing deployed yet: the stack check fails, and says so.
    let run = verify();
    assert_eq!(run.code, 10, "{run}");
    assert!(run.stdout.contains("not deployed"), "{run}");

    assert_eq!(
        tp_run(&moto.endpoint(), &dir, &["bootstrap", "--region", REGION]).code,
        0
    );
    // The deploy ends with the platform's migration, which moto cannot
    // run: the proxy answers it.
    let proxy = super::proxy::Proxy::start(moto.port);
    proxy.answer_after_deploy(REGION, suffix);
    let run = tp_run(
        &proxy.endpoint(),
        &dir,
        &[
            "deploy",
            "--suffix",
            suffix,
            "--region",
            REGION,
            "--require-approval",
            "never",
        ],
    );
    assert_eq!(run.code, 0, "{run}");
    let guards = [
        "trade-api-errors",
        "trade-processor-errors",
        "api-latency",
        "api-errors",
    ]
    .map(|a| format!("alarm-{a}-{REGION}-{suffix}"));
    // The guard alarms exist as the template declares them (OK until
    // CloudWatch evaluates them), created by the deploy itself.
    let run = verify();
    assert_eq!(run.code, 0, "{run}");
    for row in [
        "stack trading-platform-us-east-1-vfy",
        "health GET /health (trading)",
        "dead letters trade_orders_dlq",
        "dead letters events_dlq",
    ] {
        assert!(run.stdout.contains(row), "{row}: {run}");
    }
    for alarm in &guards {
        assert!(run.stdout.contains(&format!("alarm {alarm}")), "{run}");
    }
    assert!(run.stdout.contains("all 8 checks passed"), "{run}");

    // A base URL with credentials, a query and a fragment: the path goes
    // before the query, the credentials as basic authentication, the
    // fragment nowhere.
    let decorated = format!(
        "http://probe:s3cret@127.0.0.1:{}/?from=verify#top",
        health.port
    );
    let run = verify_at(&moto.endpoint(), &decorated);
    assert_eq!(run.code, 0, "{run}");
    let request = health.last_request.lock().unwrap().clone();
    let header = |name: &str| {
        request
            .lines()
            .find_map(|l| {
                l.split_once(": ")
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            })
            .map(|(_, v)| v.to_owned())
    };
    assert!(
        request.starts_with("GET /health?from=verify HTTP/1.1\r\n"),
        "{request}"
    );
    // base64 of `probe:s3cret`
    assert_eq!(
        header("authorization").as_deref(),
        Some("Basic cHJvYmU6czNjcmV0"),
        "{request}"
    );
    assert_eq!(
        header("host"),
        Some(format!("127.0.0.1:{}", health.port)),
        "{request}"
    );

    // Each kind of failure fails the command and is named in the table.
    health.status.store(503, Ordering::SeqCst);
    moto.alarm_state(&guards[3], "ALARM");
    moto.send(&format!("sqs-events-dlq-{REGION}-{suffix}"));
    let run = verify();
    assert_eq!(run.code, 10, "{run}");
    assert!(run.stderr.contains("3 of 8 checks failed"), "{run}");
    let failed: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(" FAIL "))
        .collect();
    assert_eq!(failed.len(), 3, "{run}");
    assert!(
        failed[0].contains("health GET /health (trading)") && failed[0].contains("503"),
        "{run}"
    );
    assert!(
        failed[1].contains(&guards[3]) && failed[1].contains("ALARM"),
        "{run}"
    );
    assert!(
        failed[2].contains("dead letters events_dlq") && failed[2].contains("1 message"),
        "{run}"
    );
}
