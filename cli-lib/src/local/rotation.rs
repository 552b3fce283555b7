//! Secrets Manager's rotation, which moto cannot run (its Lambda needs
//! Docker). A secret rotates by the function its template's
//! `AWS::SecretsManager::RotationSchedule` names (moto keeps the schedule
//! on the secret; `cli/local/moto-launch.py`). A `RotateSecret` call, from
//! anyone, through any endpoint of the emulator, reaches moto, which does
//! what Secrets Manager does before it invokes the function (the token's
//! version, staged AWSPENDING) and then asks this driver, on loopback, to
//! run the rotation: the driver invokes the function's four steps through
//! the local Lambda runtime, in order, with Secrets Manager's event
//! (`{Step, SecretId, ClientRequestToken}`), and stops at the first that
//! fails. moto answers `RotateSecret` once the driver has answered.
//!
//! A known difference: AWS answers `RotateSecret` at once and runs the
//! steps afterwards (a failure shows in the function's log, and Secrets
//! Manager retries later); here the steps run before the answer, and a
//! failed step is the call's error, naming the step.

use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::{Value, json};

use super::control::{json_response, serve_http};
use super::iam::classify;
use super::types::{Invoker, Outcome};

/// The header carrying the driver's key: only the moto this `tp local`
/// started knows it.
pub const KEY_HEADER: &str = "x-tp-rotation-key";

/// The steps of a rotation, in the order Secrets Manager runs them.
pub const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];

/// One rotation moto asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Rotation {
    /// The rotation function's ARN (`RotationLambdaARN`).
    pub function_arn: String,
    /// The secret's ARN.
    pub secret_id: String,
    /// The new version's id.
    pub token: String,
}

impl Rotation {
    fn from_json(body: &[u8]) -> Result<Rotation, String> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("not a JSON object: {e}"))?;
        let text = |key: &str| {
            value[key]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| format!("`{key}` is missing"))
        };
        Ok(Rotation {
            function_arn: text("RotationLambdaARN")?,
            secret_id: text("SecretId")?,
            token: text("ClientRequestToken")?,
        })
    }
}

/// Runs the four steps of `rotation` through `invoker`; the first step that
/// fails, with its error.
pub async fn rotate(invoker: &dyn Invoker, rotation: &Rotation) -> Result<(), (String, String)> {
    let function = classify::function_name(&rotation.function_arn);
    for step in STEPS {
        let event = json!({
            "Step": step,
            "SecretId": rotation.secret_id,
            "ClientRequestToken": rotation.token,
        });
        let why = match invoker.invoke(&function, event).await {
            Ok(result) => match result.outcome {
                Outcome::Returned(_) => continue,
                Outcome::Failed {
                    error_type,
                    error_message,
                } => format!("{error_type}: {error_message}"),
                Outcome::TimedOut => "the function timed out".to_owned(),
            },
            Err(e) => format!("tp local could not invoke {function}: {e:#}"),
        };
        return Err((step.to_owned(), why));
    }
    Ok(())
}

/// Serves `POST /rotate` (a [`Rotation`] as Secrets Manager's
/// `RotationLambdaARN`, `SecretId`, `ClientRequestToken`, with
/// [`KEY_HEADER`]) on `listener`: `{"ok": true}`, or `{"ok": false,
/// "step", "error"}`.
pub async fn serve(listener: tokio::net::TcpListener, invoker: Arc<dyn Invoker>, key: String) {
    serve_http(listener, move |req| {
        let invoker = invoker.clone();
        let key = key.clone();
        async move { handle(invoker.as_ref(), &key, req).await }
    })
    .await
}

async fn handle(invoker: &dyn Invoker, key: &str, req: Request<Bytes>) -> Response<Full<Bytes>> {
    if req.method() != Method::POST || req.uri().path() != "/rotate" {
        return json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": "only POST /rotate is served here"}),
        );
    }
    if req.headers().get(KEY_HEADER).and_then(|v| v.to_str().ok()) != Some(key) {
        return json_response(
            StatusCode::FORBIDDEN,
            &json!({"error": format!("{KEY_HEADER} is missing or wrong")}),
        );
    }
    let rotation = match Rotation::from_json(req.body()) {
        Ok(r) => r,
        Err(why) => return json_response(StatusCode::BAD_REQUEST, &json!({"error": why})),
    };
    match rotate(invoker, &rotation).await {
        Ok(()) => json_response(StatusCode::OK, &json!({"ok": true})),
        Err((step, error)) => json_response(
            StatusCode::OK,
            &json!({"ok": false, "step": step, "error": error}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use crate::local::types::{BoxFuture, InvokeResult};

    /// Records each invocation; fails the step named `fail`.
    struct Recorder {
        calls: Mutex<Vec<(String, Value)>>,
        fail: Option<&'static str>,
    }

    impl Invoker for Recorder {
        fn invoke<'a>(
            &'a self,
            function: &'a str,
            payload: Value,
        ) -> BoxFuture<'a, anyhow::Result<InvokeResult>> {
            Box::pin(async move {
                let step = payload["Step"].as_str().unwrap_or_default().to_owned();
                self.calls
                    .lock()
                    .unwrap()
                    .push((function.to_owned(), payload));
                let outcome = if self.fail == Some(step.as_str()) {
                    Outcome::Failed {
                        error_type: "Error".into(),
                        error_message: "connect ECONNREFUSED".into(),
                    }
                } else {
                    Outcome::Returned(Value::Null)
                };
                Ok(InvokeResult {
                    request_id: "r".into(),
                    outcome,
                    duration: Duration::ZERO,
                })
            })
        }
    }

    fn rotation() -> Rotation {
        Rotation {
            function_arn:
                "arn:aws:lambda:us-east-1:111111111111:function:lambda-db-rotation-us-east-1-dev"
                    .into(),
            secret_id:
                "arn:aws:secretsmanager:us-east-1:111111111111:secret:dbuser-trading-app-AbCdEf"
                    .into(),
            token: "7b6f7a2e-0000-4000-8000-000000000001".into(),
        }
    }

    #[tokio::test]
    async fn runs_the_four_steps_in_order_with_secrets_managers_event() {
        let recorder = Recorder {
            calls: Mutex::new(Vec::new()),
            fail: None,
        };
        rotate(&recorder, &rotation()).await.expect("no step fails");
        let calls = recorder.calls.lock().unwrap();
        let steps: Vec<&str> = calls
            .iter()
            .map(|(_, p)| p["Step"].as_str().unwrap())
            .collect();
        assert_eq!(steps, STEPS);
        for (function, payload) in calls.iter() {
            assert_eq!(function, "lambda-db-rotation-us-east-1-dev");
            assert_eq!(payload["SecretId"], rotation().secret_id.as_str());
            assert_eq!(payload["ClientRequestToken"], rotation().token.as_str());
            assert_eq!(payload.as_object().unwrap().len(), 3);
        }
    }

    #[tokio::test]
    async fn stops_at_the_first_failing_step() {
        let recorder = Recorder {
            calls: Mutex::new(Vec::new()),
            fail: Some("setSecret"),
        };
        let (step, why) = rotate(&recorder, &rotation()).await.unwrap_err();
        assert_eq!(step, "setSecret");
        assert!(why.contains("ECONNREFUSED"), "{why}");
        assert_eq!(
            recorder.calls.lock().unwrap().len(),
            2,
            "finishSecret never runs"
        );
    }

    #[tokio::test]
    async fn refuses_requests_without_the_key() {
        let recorder = Recorder {
            calls: Mutex::new(Vec::new()),
            fail: None,
        };
        let body = json!({
            "RotationLambdaARN": rotation().function_arn,
            "SecretId": rotation().secret_id,
            "ClientRequestToken": rotation().token,
        })
        .to_string();
        let request = |key: &str| {
            Request::post("/rotate")
                .header(KEY_HEADER, key)
                .body(Bytes::from(body.clone()))
                .unwrap()
        };
        let refused = handle(&recorder, "k", request("other")).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(recorder.calls.lock().unwrap().is_empty());
        let done = handle(&recorder, "k", request("k")).await;
        assert_eq!(done.status(), StatusCode::OK);
        assert_eq!(recorder.calls.lock().unwrap().len(), 4);
    }
}
