//! A loopback HTTP proxy in front of moto that injects faults: for requests
//! of a given CloudFormation action (or S3, by method), it can answer with a
//! throttling or access-denied error, drop the connection, delay, or rewrite
//! the response body. Plain tokio TCP and HTTP/1.1 with Content-Length, one
//! request per connection (answers carry `Connection: close`), which is all
//! the SDK and moto need.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What to do to a matching request.
#[derive(Clone)]
pub enum Fault {
    /// Answer 400 `Throttling` ("Rate exceeded") without forwarding.
    Throttle,
    /// Answer 403 `AccessDenied` without forwarding.
    Deny,
    /// Close the connection without answering.
    Drop,
    /// Wait, then forward.
    Delay(Duration),
    /// Forward, then replace `from` with `to` in the response body.
    Rewrite { from: String, to: String },
    /// Answer 200 with this XML body without forwarding: what AWS answers
    /// to calls moto does not implement (drift detection).
    Respond(String),
    /// Answer 200 with this JSON body and these extra headers without
    /// forwarding: Lambda's `Invoke`, which moto cannot run.
    RespondJson {
        body: String,
        headers: Vec<(String, String)>,
    },
}

struct Rule {
    action: String,
    fault: Fault,
    /// How many more requests it applies to (`usize::MAX`: all).
    remaining: usize,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    /// Requests seen per action.
    seen: HashMap<String, usize>,
    /// Faults applied per action.
    applied: HashMap<String, usize>,
    /// Request bodies per action, decoded, in arrival order.
    requests: HashMap<String, Vec<String>>,
}

pub struct Proxy {
    pub port: u16,
    state: Arc<Mutex<State>>,
    _runtime: tokio::runtime::Runtime,
}

impl Proxy {
    pub fn start(upstream: u16) -> Proxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("proxy runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("proxy listener");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, upstream, shared.clone()));
            }
        });
        Proxy {
            port,
            state,
            _runtime: runtime,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    /// Answers every `Invoke` of the platform's after-deploy functions as
    /// they answer on a platform already in shape: `network_guard`
    /// (`lambda-network-guard-<region>-<suffix>`) when the default security
    /// group is closed, `migrate` (`lambda-migrate-<region>-<suffix>`) when
    /// the schema is current. moto cannot run functions, and every deploy of
    /// the platform ends by invoking them.
    pub fn answer_after_deploy(&self, region: &str, suffix: &str) {
        self.answer_network_guard(region, suffix);
        self.add(
            &format!("Lambda:Invoke:lambda-migrate-{region}-{suffix}"),
            Fault::RespondJson {
                body: r#"{"applied":[],"schemaVersion":2}"#.into(),
                headers: Vec::new(),
            },
            usize::MAX,
        );
    }

    /// Answers every `Invoke` of `network_guard` as it answers once the
    /// default security group is closed.
    pub fn answer_network_guard(&self, region: &str, suffix: &str) {
        self.add(
            &format!("Lambda:Invoke:lambda-network-guard-{region}-{suffix}"),
            Fault::RespondJson {
                body: r#"{"securityGroupId":"sg-0","revoked":{"ingress":0,"egress":0}}"#.into(),
                headers: Vec::new(),
            },
            usize::MAX,
        );
    }

    /// Applies `fault` to the next `times` requests of `action` (a
    /// CloudFormation action such as `DescribeStacks`, `S3:<METHOD>`, or
    /// `Lambda:Invoke:<function name>`).
    pub fn add(&self, action: &str, fault: Fault, times: usize) {
        self.state.lock().unwrap().rules.push(Rule {
            action: action.to_owned(),
            fault,
            remaining: times,
        });
    }

    pub fn clear(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    pub fn seen(&self, action: &str) -> usize {
        *self.state.lock().unwrap().seen.get(action).unwrap_or(&0)
    }

    /// The bodies of the requests of `action` seen so far, percent-decoded
    /// (`RollbackConfiguration.MonitoringTimeInMinutes=10&...`).
    pub fn requests(&self, action: &str) -> Vec<String> {
        self.state
            .lock()
            .unwrap()
            .requests
            .get(action)
            .cloned()
            .unwrap_or_default()
    }

    pub fn applied(&self, action: &str) -> usize {
        *self.state.lock().unwrap().applied.get(action).unwrap_or(&0)
    }
}

/// Reads one HTTP/1.1 request or response head and its Content-Length body.
async fn read_message(stream: &mut TcpStream, until_eof: bool) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    });
    let mut body = buf[head_end..].to_vec();
    match length {
        Some(length) => {
            while body.len() < length {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        }
        None if until_eof => {
            let _ = stream.read_to_end(&mut body).await;
        }
        None => {}
    }
    Some((head, body))
}

/// The head with `Connection: close` and the given Content-Length.
fn with_headers(head: &str, length: usize) -> String {
    let mut lines: Vec<&str> = head
        .trim_end_matches("\r\n")
        .split("\r\n")
        .filter(|l| {
            let name = l.split(':').next().unwrap_or("").to_ascii_lowercase();
            name != "connection" && name != "content-length" && name != "keep-alive"
        })
        .collect();
    let length = format!("Content-Length: {length}");
    lines.push(&length);
    lines.push("Connection: close");
    format!("{}\r\n\r\n", lines.join("\r\n"))
}

/// A form-encoded body as text: `%XX` decoded, `+` as a space.
fn percent_decode(body: &[u8]) -> String {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'%' if i + 2 < body.len() => {
                let hex = std::str::from_utf8(&body[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn action_of(head: &str, body: &[u8]) -> String {
    // Lambda's REST API: `POST /2015-03-31/functions/NAME/invocations`.
    let path = head.split(' ').nth(1).unwrap_or("");
    if let Some(function) = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|rest| rest.strip_suffix("/invocations"))
    {
        return format!("Lambda:Invoke:{function}");
    }
    let text = String::from_utf8_lossy(body);
    if let Some(action) = text.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        return action.to_owned();
    }
    format!("S3:{}", head.split(' ').next().unwrap_or(""))
}

fn error_response(status: &str, code: &str, message: &str) -> Vec<u8> {
    let body = format!(
        "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
    );
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve(mut client: TcpStream, upstream: u16, state: Arc<Mutex<State>>) {
    let Some((head, body)) = read_message(&mut client, false).await else {
        return;
    };
    let action = action_of(&head, &body);
    // A rewrite counts only when the response holds the text it replaces
    // (see below); any other fault counts when chosen.
    let fault = {
        let mut state = state.lock().unwrap();
        *state.seen.entry(action.clone()).or_default() += 1;
        if !action.starts_with("S3:") {
            state
                .requests
                .entry(action.clone())
                .or_default()
                .push(percent_decode(&body));
        }
        let fault = state
            .rules
            .iter_mut()
            .find(|r| r.action == action && r.remaining > 0)
            .map(|r| {
                if !matches!(r.fault, Fault::Rewrite { .. }) {
                    r.remaining -= 1;
                }
                r.fault.clone()
            });
        if fault
            .as_ref()
            .is_some_and(|f| !matches!(f, Fault::Rewrite { .. }))
        {
            *state.applied.entry(action.clone()).or_default() += 1;
        }
        fault
    };
    match &fault {
        Some(Fault::Respond(body)) => {
            let _ = client
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                )
                .await;
            return;
        }
        Some(Fault::RespondJson { body, headers }) => {
            let extra: String = headers
                .iter()
                .map(|(name, value)| format!("{name}: {value}\r\n"))
                .collect();
            let _ = client
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                )
                .await;
            return;
        }
        Some(Fault::Throttle) => {
            let _ = client
                .write_all(&error_response(
                    "400 Bad Request",
                    "Throttling",
                    "Rate exceeded",
                ))
                .await;
            return;
        }
        Some(Fault::Deny) => {
            let _ = client
                .write_all(&error_response(
                    "403 Forbidden",
                    "AccessDenied",
                    "User: arn:aws:iam::123456789012:user/test is not authorized to perform this action",
                ))
                .await;
            return;
        }
        Some(Fault::Drop) => return,
        Some(Fault::Delay(d)) => tokio::time::sleep(*d).await,
        _ => {}
    }
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
        return;
    };
    let mut request = with_headers(&head, body.len()).into_bytes();
    request.extend_from_slice(&body);
    if server.write_all(&request).await.is_err() {
        return;
    }
    let Some((head, mut body)) = read_message(&mut server, true).await else {
        return;
    };
    if let Some(Fault::Rewrite { from, to }) = &fault {
        let text = String::from_utf8_lossy(&body).into_owned();
        let mut state = state.lock().unwrap();
        let rule = state.rules.iter_mut().find(|r| {
            r.action == action
                && r.remaining > 0
                && matches!(&r.fault, Fault::Rewrite { from: f, .. } if f == from)
        });
        if let (Some(rule), true) = (rule, text.contains(from.as_str())) {
            rule.remaining -= 1;
            body = text.replace(from.as_str(), to).into_bytes();
            *state.applied.entry(action.clone()).or_default() += 1;
        }
    }
    let mut response = with_headers(&head, body.len()).into_bytes();
    response.extend_from_slice(&body);
    let _ = client.write_all(&response).await;
}
