//! What the parts of `tp local` share: credentials, principals, policy
//! decisions, function invocations and events put on a bus. Each part codes
//! against these; the supervisor wires the implementations together.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::Value;

/// A boxed future, so the traits below can be used as `dyn`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Credentials of a principal in the emulator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Present for assumed-role (temporary) credentials.
    pub session_token: Option<String>,
}

/// Who a set of credentials belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// `arn:aws:iam::123456789012:user/name`, or for an assumed role
    /// `arn:aws:sts::123456789012:assumed-role/role-name/session-name`.
    pub arn: String,
    /// The IAM entity whose policies apply:
    /// `arn:aws:iam::123456789012:user/name` or `arn:aws:iam::123456789012:role/role-name`.
    pub identity_arn: String,
    pub account: String,
    /// The unique id AWS reports as `caller` / `userId`: `AIDA...` for a
    /// user, `AROA...:session-name` for an assumed role.
    pub user_id: String,
}

/// Finds the principal and secret behind an access key id (the emulator's
/// IAM users and assumed-role sessions that `tp local` created).
pub trait KeyStore: Send + Sync {
    fn lookup(&self, access_key_id: &str) -> Option<(Principal, Credentials)>;
}

/// One IAM authorization question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthzRequest {
    /// Whose identity policies apply (a [`Principal::identity_arn`]).
    pub identity_arn: String,
    /// `service:Action`, as IAM spells it: `sqs:SendMessage`.
    pub action: String,
    /// The resource's ARN, or `*` for actions without resource-level permissions.
    pub resource: String,
    /// Request context keys for conditions (`aws:SecureTransport`, `cloudwatch:namespace`, ...).
    pub context: BTreeMap<String, Vec<String>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// No statement allows it.
    ImplicitDeny,
    /// A statement denies it.
    ExplicitDeny,
}

/// Evaluates identity-based policies.
pub trait Authorizer: Send + Sync {
    fn authorize<'a>(
        &'a self,
        request: &'a AuthzRequest,
    ) -> BoxFuture<'a, anyhow::Result<Decision>>;
}

/// How one invocation of a function ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The handler returned (or resolved) this value.
    Returned(Value),
    /// The handler threw or rejected: Lambda's `errorType` and `errorMessage`.
    Failed {
        error_type: String,
        error_message: String,
    },
    /// The function's timeout passed first; the execution environment was discarded.
    TimedOut,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InvokeResult {
    /// The invocation's `awsRequestId`.
    pub request_id: String,
    pub outcome: Outcome,
    /// The handler's own time, from the event reaching the runtime to its answer.
    pub duration: Duration,
}

/// Runs a function synchronously (`RequestResponse`): the API's proxy
/// integration, an event source mapping's batch, `tp local invoke`.
pub trait Invoker: Send + Sync {
    /// `function` is the function's physical name.
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Value,
    ) -> BoxFuture<'a, anyhow::Result<InvokeResult>>;
}

/// One entry `PutEvents` accepted, with the id the emulator gave it.
#[derive(Clone, Debug, PartialEq)]
pub struct PutEvent {
    pub id: String,
    /// The bus's name (`default` when the entry named none).
    pub bus_name: String,
    pub source: String,
    pub detail_type: String,
    /// The `Detail` JSON text as put.
    pub detail: String,
    pub resources: Vec<String>,
    /// RFC 3339, UTC.
    pub time: String,
    pub account: String,
    pub region: String,
}

/// Receives the events put on any bus, to route them to the rules' targets.
pub trait EventSink: Send + Sync {
    fn put_events(&self, events: Vec<PutEvent>);
}

/// Why a request's signature was refused, in the terms API Gateway and the
/// AWS services answer with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// No `Authorization` header (nor presigned query): "Missing Authentication Token".
    Missing,
    /// The header is there but malformed: which part, in words.
    Malformed(String),
    /// The access key id is not one the emulator issued.
    UnknownKey(String),
    /// The signature does not match the request.
    BadSignature,
    /// The request's date is more than 15 minutes from now.
    Expired,
    /// Signed for another service or region than the one receiving it.
    WrongScope(String),
}

/// Checks a request's AWS Signature Version 4 and says who signed it.
pub trait RequestAuthenticator: Send + Sync {
    /// `service` and `region` are what the receiving endpoint is
    /// (`execute-api`, `us-east-1`).
    fn authenticate(
        &self,
        service: &str,
        region: &str,
        method: &http::Method,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Principal, AuthFailure>;
}
