//! The daemon's control endpoint on loopback, which the other `tp local`
//! commands talk to: `GET /status`, `POST /invoke/<function>` (the event
//! as the body), `POST /aurora/stop` and `/aurora/start` (a database
//! outage on purpose), `POST /shutdown`.

use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use serde_json::{Value, json};

use super::serve::Daemon;
use super::types::Outcome;

/// Serves one HTTP/1.1 connection at a time per accepted socket, each
/// request through `handle`.
pub async fn serve_http<F, Fut>(listener: tokio::net::TcpListener, handle: F)
where
    F: Fn(Request<Bytes>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let handle = handle.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let handle = handle.clone();
                async move {
                    let (parts, body) = req.into_parts();
                    let bytes = match body.collect().await {
                        Ok(b) => b.to_bytes(),
                        Err(_) => Bytes::new(),
                    };
                    Ok::<_, std::convert::Infallible>(
                        handle(Request::from_parts(parts, bytes)).await,
                    )
                }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

pub fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a valid response")
}

pub async fn serve(listener: tokio::net::TcpListener, daemon: Arc<Daemon>) {
    serve_http(listener, move |req| {
        let daemon = daemon.clone();
        async move { route(&daemon, req).await }
    })
    .await
}

async fn route(daemon: &Daemon, req: Request<Bytes>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    match (req.method(), path.as_str()) {
        (&Method::GET, "/status") => {
            let state = daemon.state.lock().await.0.clone();
            let aurora: Vec<Value> = daemon
                .postgres
                .iter()
                .map(|pg| json!({"address": pg.address.to_string(), "port": pg.port, "running": pg.running()}))
                .collect();
            json_response(StatusCode::OK, &json!({"state": state, "aurora": aurora}))
        }
        (&Method::POST, "/shutdown") => {
            daemon.shutdown.notify_one();
            json_response(StatusCode::OK, &json!({"stopping": true}))
        }
        (&Method::POST, "/aurora/stop") | (&Method::POST, "/aurora/start") => {
            let start = path.ends_with("start");
            for pg in &daemon.postgres {
                let result = if start { pg.start() } else { pg.stop() };
                if let Err(e) = result {
                    return json_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        &json!({"error": format!("{e:#}")}),
                    );
                }
            }
            json_response(StatusCode::OK, &json!({"running": start}))
        }
        (&Method::POST, p) if p.starts_with("/invoke/") => {
            let wanted = &p["/invoke/".len()..];
            let Some(function) = daemon.deployed.function(wanted) else {
                let known: Vec<&str> = daemon
                    .deployed
                    .functions
                    .iter()
                    .map(|f| f.declared.as_str())
                    .collect();
                return json_response(
                    StatusCode::NOT_FOUND,
                    &json!({"error": format!("no function `{wanted}`; the platform's functions: {}", known.join(", "))}),
                );
            };
            let payload: Value = if req.body().is_empty() {
                json!({})
            } else {
                match serde_json::from_slice(req.body()) {
                    Ok(v) => v,
                    Err(e) => {
                        return json_response(
                            StatusCode::BAD_REQUEST,
                            &json!({"error": format!("the event is not JSON: {e}")}),
                        );
                    }
                }
            };
            match daemon
                .parts
                .lambda
                .invoke_timed(&function.name, &payload)
                .await
            {
                Ok((result, timings)) => {
                    let mut answer = invoke_json(&function.name, &result);
                    answer["overheadMs"] = json!(timings.overhead().as_secs_f64() * 1000.0);
                    if let Some(init) = timings.init {
                        answer["initMs"] = json!(init.as_secs_f64() * 1000.0);
                    }
                    json_response(StatusCode::OK, &answer)
                }
                Err(e) => json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &json!({"error": format!("{e:#}")}),
                ),
            }
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": "unknown control request"}),
        ),
    }
}

/// An invocation's result as `tp local invoke` prints it.
pub fn invoke_json(function: &str, result: &super::types::InvokeResult) -> Value {
    let outcome = match &result.outcome {
        Outcome::Returned(v) => json!({"status": "returned", "result": v}),
        Outcome::Failed {
            error_type,
            error_message,
        } => json!({"status": "failed", "errorType": error_type, "errorMessage": error_message}),
        Outcome::TimedOut => json!({"status": "timed out"}),
    };
    json!({
        "function": function,
        "requestId": result.request_id,
        "durationMs": result.duration.as_secs_f64() * 1000.0,
        "outcome": outcome,
    })
}
