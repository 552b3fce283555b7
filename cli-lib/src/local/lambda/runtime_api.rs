//! The Lambda Runtime API of one execution environment, on its own
//! loopback port (the runtime client finds it through
//! `AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>`): the `next` long poll hands
//! out the invocation the environment is given, and the client's answers
//! (`response`, `error`, `init/error`) become [`ApiEvent`]s.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

const PREFIX: &str = "/2018-06-01/runtime/";

/// One event handed to the runtime client.
#[derive(Clone, Debug)]
pub(super) struct Invocation {
    pub id: String,
    pub deadline_ms: i64,
    pub function_arn: String,
    pub trace_id: String,
    pub payload: Bytes,
}

/// An error as the runtime client reports it.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct RuntimeError {
    pub error_type: String,
    pub error_message: String,
}

/// What the runtime client did.
#[derive(Debug)]
pub(super) enum ApiEvent {
    /// It asked for the next invocation (the first time: init is done).
    Polling,
    /// It received invocation `id`.
    Started { id: String, at: Instant },
    /// It answered invocation `id` with this JSON document.
    Response {
        id: String,
        body: Bytes,
        at: Instant,
    },
    /// It reported invocation `id` failed.
    Error {
        id: String,
        error: RuntimeError,
        at: Instant,
    },
    /// Loading the handler failed.
    InitError(RuntimeError),
}

/// The server; stops accepting when dropped.
pub(super) struct RuntimeApi {
    pub addr: SocketAddr,
    pub invocations: mpsc::Sender<Invocation>,
    accept: JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

struct State {
    invocations: Mutex<mpsc::Receiver<Invocation>>,
    events: Box<dyn Fn(ApiEvent) + Send + Sync>,
}

impl RuntimeApi {
    /// Listens on a free loopback port; `events` receives what the client does.
    pub async fn start(
        events: impl Fn(ApiEvent) + Send + Sync + 'static,
    ) -> std::io::Result<RuntimeApi> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (invocations, receiver) = mpsc::channel(1);
        let state = Arc::new(State {
            invocations: Mutex::new(receiver),
            events: Box::new(events),
        });
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of file descriptors or the like: do not spin.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                // The answers are small and latency is the point.
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(state.clone(), request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(RuntimeApi {
            addr,
            invocations,
            accept,
        })
    }
}

type Answer = Response<Full<Bytes>>;

fn status(code: StatusCode, error_type: &str, message: &str) -> Answer {
    let body = serde_json::json!({ "errorType": error_type, "errorMessage": message });
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("static response parts are valid")
}

fn accepted() -> Answer {
    Response::builder()
        .status(StatusCode::ACCEPTED)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(br#"{"status":"OK"}"#)))
        .expect("static response parts are valid")
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Answer, std::convert::Infallible> {
    let path = request.uri().path().to_owned();
    let Some(route) = path.strip_prefix(PREFIX) else {
        return Ok(status(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("no such Runtime API path: {path}"),
        ));
    };
    let method = request.method().clone();
    let route: Vec<&str> = route.split('/').collect();
    match (method, route.as_slice()) {
        (Method::GET, ["invocation", "next"]) => Ok(next(&state).await),
        (Method::POST, ["invocation", id, "response"]) => {
            let id = (*id).to_owned();
            let body = read_body(request).await;
            (state.events)(ApiEvent::Response {
                id,
                body,
                at: Instant::now(),
            });
            Ok(accepted())
        }
        (Method::POST, ["invocation", id, "error"]) => {
            let id = (*id).to_owned();
            let error = read_error(request).await;
            (state.events)(ApiEvent::Error {
                id,
                error,
                at: Instant::now(),
            });
            Ok(accepted())
        }
        (Method::POST, ["init", "error"]) => {
            let error = read_error(request).await;
            (state.events)(ApiEvent::InitError(error));
            Ok(accepted())
        }
        _ => Ok(status(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("no such Runtime API route: {} {path}", request.method()),
        )),
    }
}

async fn next(state: &State) -> Answer {
    // One client per environment: the lock only keeps a stray second poll
    // from stealing the event.
    let mut invocations = state.invocations.lock().await;
    (state.events)(ApiEvent::Polling);
    let Some(invocation) = invocations.recv().await else {
        return status(
            StatusCode::GONE,
            "EnvironmentShutdown",
            "the execution environment is shutting down",
        );
    };
    (state.events)(ApiEvent::Started {
        id: invocation.id.clone(),
        at: Instant::now(),
    });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &invocation.id)
        .header(
            "lambda-runtime-deadline-ms",
            invocation.deadline_ms.to_string(),
        )
        .header(
            "lambda-runtime-invoked-function-arn",
            &invocation.function_arn,
        )
        .header("lambda-runtime-trace-id", &invocation.trace_id)
        .body(Full::new(invocation.payload))
        .unwrap_or_else(|e| {
            status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InvalidInvocation",
                &format!("cannot hand out the invocation: {e}"),
            )
        })
}

async fn read_body(request: Request<Incoming>) -> Bytes {
    match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => Bytes::new(),
    }
}

async fn read_error(request: Request<Incoming>) -> RuntimeError {
    let header_type = request
        .headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = read_body(request).await;
    parse_error(header_type, &body)
}

/// The runtime's error document (`{errorType, errorMessage, trace}`); its
/// type falls back to the `Lambda-Runtime-Function-Error-Type` header.
fn parse_error(header_type: Option<String>, body: &[u8]) -> RuntimeError {
    let document: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let error_type = document["errorType"]
        .as_str()
        .map(str::to_owned)
        .or(header_type)
        .unwrap_or_else(|| "Unhandled".to_owned());
    let error_message = match &document["errorMessage"] {
        Value::String(s) => s.clone(),
        Value::Null => String::from_utf8_lossy(body).into_owned(),
        other => other.to_string(),
    };
    RuntimeError {
        error_type,
        error_message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_documents_are_read_as_the_runtime_writes_them() {
        let doc = br#"{"errorType":"TypeError","errorMessage":"x is not a function","trace":["TypeError: x"]}"#;
        assert_eq!(
            parse_error(None, doc),
            RuntimeError {
                error_type: "TypeError".into(),
                error_message: "x is not a function".into()
            }
        );
        assert_eq!(
            parse_error(Some("Runtime.Custom".into()), b"not json"),
            RuntimeError {
                error_type: "Runtime.Custom".into(),
                error_message: "not json".into()
            }
        );
        assert_eq!(parse_error(None, b"{}").error_type, "Unhandled");
    }
}
