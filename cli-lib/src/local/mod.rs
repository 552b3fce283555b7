//! `tp local`: one region of the synthesized platform on this machine.
//!
//! The template is deployed into `moto_server` by the deploy engine; Aurora
//! is a real PostgreSQL reached through the cluster's secret; each function
//! runs its real code under Node with the deployed environment and its
//! role's credentials; every AWS call a function makes passes an
//! IAM-enforcing proxy; and what moto cannot run (API Gateway's front door,
//! event source mappings, EventBridge rules and schedules) is driven here
//! from the template.
//!
//! - [`types`]: what the parts share (credentials, principals, invocations).
//! - [`sigv4`]: verifying AWS Signature Version 4 on incoming requests.
//! - [`iam`]: which IAM action and resource an AWS request is, and policy
//!   evaluation (npm `@cloud-copilot/iam-simulate` in a Node sidecar).
//! - [`aws_proxy`]: the endpoint functions call AWS through; enforces IAM,
//!   forwards to moto, and hands `PutEvents` to the event router.
//! - [`lambda`]: the Lambda runtime API and the Node processes running
//!   each function's handler.
//! - [`apigw`]: the REST API's front door.
//! - [`events`]: event source mappings, EventBridge rule patterns and
//!   targets, schedules, asynchronous invocation.
//! - [`rotation`]: Secrets Manager's rotation steps, run through the local
//!   runtime when a secret is rotated.

pub mod apigw;
pub mod aws_proxy;
pub mod commands;
pub mod control;
pub mod deployed;
pub mod encoding;
pub mod events;
pub mod iam;
pub mod lambda;
pub mod moto;
pub mod postgres;
pub mod prereq;
pub mod rotation;
pub mod serve;
pub mod sigv4;
pub mod state;
pub mod types;
pub mod wiring;

/// What the parts' unit tests share.
#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::OnceLock;

    use serde_json::Value;

    /// The platform's template for `dev` in us-east-1, synthesized once.
    pub fn real_template() -> &'static Value {
        static TEMPLATE: OnceLock<Value> = OnceLock::new();
        TEMPLATE.get_or_init(|| {
            let platform = platform_def::platform();
            let deployment = platform_core::synth::Deployment::new(
                &platform,
                "dev",
                None,
                &["us-east-1".to_owned()],
            )
            .expect("dev in us-east-1 is a valid deployment");
            let assembly = platform_core::synth::synth(&platform, &deployment)
                .expect("the platform synthesizes");
            let stack = assembly
                .stacks
                .iter()
                .find(|s| s.region == "us-east-1")
                .expect("a us-east-1 stack");
            serde_json::from_str(&stack.body).expect("the template is JSON")
        })
    }
}
