//! What `tp` says when AWS fails: the service's error code and message and
//! what to do, on one line; the SDK's full error only with `-v`; a wrong
//! `AWS_PROFILE` named as such.

use std::time::Duration;

use super::proxy::{Fault, Proxy};
use super::*;

/// What a one-line error may not contain: the SDK's debug rendering of a
/// request, a response or an error (`Kind { field: .. }`).
const DUMP: &[&str] = &[
    "Request {",
    "SdkBody",
    "headers:",
    "Response {",
    "Error(",
    "{",
];

fn assert_concise(run: &Run) {
    let error = run.stderr.trim_end();
    assert_eq!(error.lines().count(), 1, "{run}");
    assert!(error.len() < 400, "{} characters: {run}", error.len());
    for dump in DUMP {
        assert!(!error.contains(dump), "`{dump}` in {run}");
    }
}

#[test]
fn aws_errors_are_one_line_with_the_code_the_message_and_what_to_do() {
    let moto = Moto::start("aws-errors");
    let proxy = Proxy::start(moto.port);
    let dir = scratch("aws-errors");
    let status = ["status", "--suffix", "dev", "--region", REGION];

    proxy.add("DescribeStacks", Fault::Deny, usize::MAX);
    let run = tp_run(&proxy.endpoint(), &dir, &status);
    assert_eq!(run.code, 5, "{run}");
    assert_concise(&run);
    assert!(run.stderr.contains("AccessDenied: "), "{run}");
    assert!(run.stderr.contains("check the credentials"), "{run}");
    proxy.clear();

    proxy.add(
        "DescribeStacks",
        Fault::Delay(Duration::from_secs(20)),
        usize::MAX,
    );
    let mut command = tp(&proxy.endpoint(), &dir);
    command.args(status).env("TP_HTTP_TIMEOUT", "0.3");
    let run = super::run(command);
    assert_eq!(run.code, 4, "{run}");
    assert_concise(&run);
    assert!(run.stderr.contains("check the network"), "{run}");

    // -v adds the SDK's error as it is.
    let mut command = tp(&proxy.endpoint(), &dir);
    command.arg("-v").args(status).env("TP_HTTP_TIMEOUT", "0.3");
    let run = super::run(command);
    assert_eq!(run.code, 4, "{run}");
    assert!(run.stderr.lines().count() > 1, "{run}");
    assert!(run.stderr.contains("TimeoutError"), "{run}");
}

#[test]
fn a_profile_that_does_not_exist_is_named_with_the_ones_that_do() {
    let dir = scratch("wrong-profile");
    std::fs::write(
        dir.join("aws-config"),
        "[default]\nregion = us-east-1\n\n[profile trading-dev]\nregion = us-east-1\n",
    )
    .unwrap();
    let mut command = tp_without_aws(&dir);
    command
        .args(["status", "--suffix", "dev", "--region", REGION])
        .env("AWS_PROFILE", "trading-prod")
        .env("AWS_CONFIG_FILE", dir.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let run = run(command);
    assert_eq!(run.code, 3, "{run}");
    assert_concise(&run);
    assert!(
        run.stderr
            .contains("AWS_PROFILE `trading-prod` is not a profile"),
        "{run}"
    );
    assert!(run.stderr.contains("default, trading-dev"), "{run}");
}
