//! What moto cannot produce, injected by the proxy in front of it: a change
//! set that replaces a table, a stack left in ROLLBACK_COMPLETE, a failed
//! deploy, throttling, dropped connections, slow answers, access denied,
//! an operation in progress, and Ctrl-C while watching.

use std::time::{Duration, Instant};

use super::proxy::{Fault, Proxy};
use super::*;

fn rewrite(from: &str, to: &str) -> Fault {
    Fault::Rewrite {
        from: from.to_owned(),
        to: to.to_owned(),
    }
}

#[test]
fn a_replaced_table_is_refused_unless_allowed_and_the_stack_policy_follows() {
    let moto = Moto::start("replace");
    let proxy = Proxy::start(moto.port);
    let dir = scratch("replace");
    let deploy = [
        "deploy",
        "--suffix",
        "e2e",
        "--region",
        REGION,
        "--require-approval",
        "never",
    ];
    assert_eq!(
        tp_run(&moto.endpoint(), &dir, &["bootstrap", "--region", REGION]).code,
        0
    );
    proxy.answer_after_deploy(REGION, "e2e");
    // The stack starts from the dev template in staging's account, which
    // trusts the dev account; the staging profile's deploy updates it.
    bootstrap_trusting_dev(&moto, &moto.endpoint(), &dir, STAGING_ACCOUNT);
    deploy_dev_template_into(&proxy.endpoint(), &dir, &moto, STAGING_ACCOUNT, "e2e");
    let staging = moto.as_operator_of(STAGING_ACCOUNT);
    let stack = "trading-platform-us-east-1-e2e";

    // CloudFormation says the staging update replaces the sessions table.
    proxy.add(
        "DescribeChangeSet",
        rewrite(
            "<LogicalResourceId>SessionsTable</LogicalResourceId>",
            "<LogicalResourceId>SessionsTable</LogicalResourceId><Replacement>True</Replacement>",
        ),
        usize::MAX,
    );
    let role =
        &format!("arn:aws:iam::{STAGING_ACCOUNT}:role/role-release-execution-us-east-1-cicd");
    let update = [&deploy[..], &["--profile", "staging", "--role-arn", role]].concat();
    let run = tp_run(&proxy.endpoint(), &dir, &update);
    assert_eq!(run.code, 6, "{run}");
    assert!(
        run.stdout
            .contains("-/+ AWS::DynamoDB::Table SessionsTable (replacement)\n"),
        "{run}"
    );
    assert!(
        run.stderr.contains(&format!(
            "SessionsTable (AWS::DynamoDB::Table) in {stack}: would be replaced"
        )),
        "{run}"
    );
    assert!(run.stderr.contains("--allow-replace"), "{run}");
    assert!(proxy.applied("DescribeChangeSet") > 0);
    // The update's change set carries the guard alarms the stack already
    // has as rollback triggers, watched for staging's window.
    let request = proxy
        .requests("CreateChangeSet")
        .pop()
        .expect("a change set was requested");
    assert!(
        request.contains("RollbackConfiguration.MonitoringTimeInMinutes=10"),
        "{request}"
    );
    for alarm in [
        "api-latency",
        "api-errors",
        "trade-api-errors",
        "trade-processor-errors",
    ] {
        let arn = format!(
            "arn:aws:cloudwatch:us-east-1:{STAGING_ACCOUNT}:alarm:alarm-{alarm}-us-east-1-e2e"
        );
        assert!(request.contains(&arn), "{arn} in {request}");
    }
    assert!(
        request.contains(
            "RollbackConfiguration.RollbackTriggers.member.4.Type=AWS::CloudWatch::Alarm"
        ),
        "{request}"
    );
    assert!(!request.contains("RollbackTriggers.member.5."), "{request}");
    // CloudFormation changes the stack with the role given.
    assert!(request.contains(&format!("RoleARN={role}")), "{request}");
    assert!(run.stdout.contains("rolls back if alarm-"), "{run}");
    assert_eq!(staging.inventory()["stacks"][stack], "CREATE_COMPLETE");

    let run = tp_run(
        &proxy.endpoint(),
        &dir,
        &[&update[..], &["--allow-replace", "SessionTable"]].concat(),
    );
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("SessionsTable"), "{run}");

    let run = tp_run(
        &proxy.endpoint(),
        &dir,
        &[&update[..], &["--allow-replace", "SessionsTable"]].concat(),
    );
    assert_eq!(run.code, 0, "{run}");
    let inventory = staging.inventory();
    assert_eq!(inventory["stacks"][stack], "UPDATE_COMPLETE");
    let policy = inventory["stack_policies"][stack].as_str().unwrap();
    assert!(
        !policy.contains("LogicalResourceId/SessionsTable"),
        "{policy}"
    );
    assert!(
        policy.contains("LogicalResourceId/TradeOrdersQueue"),
        "{policy}"
    );
}

#[test]
fn a_stack_in_rollback_complete_is_recreated_and_a_failed_deploy_exits_7() {
    let moto = Moto::start("rollback");
    let proxy = Proxy::start(moto.port);
    let dir = scratch("rollback");
    let bootstrap = ["bootstrap", "--region", REGION];

    // The create "fails": the stack ends in ROLLBACK_COMPLETE.
    proxy.add(
        "DescribeStacks",
        rewrite(
            "<StackStatus>CREATE_COMPLETE</StackStatus>",
            "<StackStatus>ROLLBACK_COMPLETE</StackStatus>",
        ),
        1,
    );
    let run = tp_run(&proxy.endpoint(), &dir, &bootstrap);
    assert_eq!(run.code, 7, "{run}");
    assert!(
        run.stderr
            .contains("tp-bootstrap (us-east-1) ended in ROLLBACK_COMPLETE"),
        "{run}"
    );

    // The next run finds it in ROLLBACK_COMPLETE: deleted, created again.
    proxy.add(
        "DescribeStacks",
        rewrite(
            "<StackStatus>CREATE_COMPLETE</StackStatus>",
            "<StackStatus>ROLLBACK_COMPLETE</StackStatus>",
        ),
        1,
    );
    let run = tp_run(&proxy.endpoint(), &dir, &bootstrap);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains("tp-bootstrap (us-east-1): in ROLLBACK_COMPLETE (its creation failed and it holds no resources); deleting it and creating it again"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("tp-bootstrap (us-east-1): CREATE_COMPLETE"),
        "{run}"
    );
    assert!(proxy.seen("DeleteStack") == 1);
    assert_eq!(
        moto.inventory()["stacks"]["tp-bootstrap"],
        "CREATE_COMPLETE"
    );
}

#[test]
fn throttling_dropped_connections_and_slow_answers_are_retried() {
    let moto = Moto::start("retry");
    let proxy = Proxy::start(moto.port);
    let dir = scratch("retry");
    proxy.add("DescribeStacks", Fault::Throttle, 2);
    proxy.add("CreateChangeSet", Fault::Drop, 1);
    proxy.add("DescribeChangeSet", Fault::Delay(Duration::from_secs(3)), 1);
    let mut command = tp(&proxy.endpoint(), &dir);
    command
        .args(["bootstrap", "--region", REGION])
        .env("TP_HTTP_TIMEOUT", "1");
    let run = super::run(command);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(proxy.applied("DescribeStacks"), 2);
    assert_eq!(proxy.applied("CreateChangeSet"), 1);
    // The bootstrap's two stacks, and the dropped request once more.
    assert_eq!(
        proxy.seen("CreateChangeSet"),
        3,
        "the dropped request was sent again"
    );
    assert_eq!(proxy.applied("DescribeChangeSet"), 1);
    assert_eq!(
        moto.inventory()["stacks"]["tp-bootstrap"],
        "CREATE_COMPLETE"
    );
}

#[test]
fn unreachable_endpoints_missing_credentials_and_access_denied_have_their_own_exit_codes() {
    let dir = scratch("errors");
    let status = ["status", "--suffix", "e2e", "--region", REGION];

    // Nothing listens: answered within a bounded time.
    let started = Instant::now();
    let run = tp_run(&format!("http://localhost:{}", free_port()), &dir, &status);
    assert_eq!(run.code, 4, "{run}");
    assert!(
        run.stderr.contains("cannot reach http://localhost:"),
        "{run}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );

    let moto = Moto::start("errors");
    let proxy = Proxy::start(moto.port);

    // Something listens but never answers in time.
    proxy.add(
        "DescribeStacks",
        Fault::Delay(Duration::from_secs(20)),
        usize::MAX,
    );
    let started = Instant::now();
    let mut command = tp(&proxy.endpoint(), &dir);
    command.args(status).env("TP_HTTP_TIMEOUT", "0.5");
    let run = super::run(command);
    assert_eq!(run.code, 4, "{run}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    proxy.clear();

    let mut command = tp(&moto.endpoint(), &dir);
    command
        .args(status)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let run = super::run(command);
    assert_eq!(run.code, 3, "{run}");
    assert!(run.stderr.contains("no AWS credentials found"), "{run}");

    proxy.add("DescribeStacks", Fault::Deny, usize::MAX);
    let run = tp_run(&proxy.endpoint(), &dir, &status);
    assert_eq!(run.code, 5, "{run}");
    assert!(
        run.stderr
            .contains("access denied while trying to describe stack"),
        "{run}"
    );
}

#[test]
fn ctrl_c_stops_watching_and_the_next_run_attaches_to_the_operation() {
    let moto = Moto::start("interrupt");
    let proxy = Proxy::start(moto.port);
    let dir = scratch("interrupt");
    // The create never seems to end.
    proxy.add(
        "DescribeStacks",
        rewrite(
            "<StackStatus>CREATE_COMPLETE</StackStatus>",
            "<StackStatus>CREATE_IN_PROGRESS</StackStatus>",
        ),
        usize::MAX,
    );
    let mut command = tp(&proxy.endpoint(), &dir);
    command
        .args(["bootstrap", "--region", REGION])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().expect("start tp");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut delay = Duration::from_millis(50);
    while proxy.applied("DescribeStacks") < 2 {
        assert!(Instant::now() < deadline, "tp never started watching");
        std::thread::sleep(delay);
        delay = (delay * 2).min(Duration::from_millis(500));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(killed.success());
    let out = child.wait_with_output().expect("tp ends");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(run.code, 130, "{run}");
    assert!(
        run.stderr
            .contains("stopped watching tp-bootstrap in us-east-1"),
        "{run}"
    );
    assert!(
        run.stderr.contains("`tp bootstrap` attaches to it again"),
        "{run}"
    );
    proxy.clear();

    // The next run finds the operation in progress and watches it end.
    proxy.add(
        "DescribeStacks",
        rewrite(
            "<StackStatus>CREATE_COMPLETE</StackStatus>",
            "<StackStatus>UPDATE_IN_PROGRESS</StackStatus>",
        ),
        2,
    );
    let run = tp_run(&proxy.endpoint(), &dir, &["bootstrap", "--region", REGION]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains("tp-bootstrap (us-east-1): an operation is already in progress (UPDATE_IN_PROGRESS); watching it until it ends"),
        "{run}"
    );
    assert!(
        run.stdout.contains("tp-bootstrap (us-east-1): up to date"),
        "{run}"
    );
}

/// CloudFormation's drift detection, answered by the proxy as AWS answers
/// it (moto does not implement it): `tp drift` waits for the detection,
/// prints the drifted resources with each property's expected and actual
/// value, skips the ones in sync, and exits 1.
#[test]
fn drift_lists_drifted_resources_with_their_property_differences() {
    let moto = Moto::start("drift");
    let proxy = Proxy::start(moto.port);
    let dir = scratch("drift");
    assert_eq!(
        tp_run(&moto.endpoint(), &dir, &["bootstrap", "--region", REGION]).code,
        0
    );
    proxy.answer_after_deploy(REGION, "drift");
    let run = tp_run(
        &proxy.endpoint(),
        &dir,
        &[
            "deploy",
            "--suffix",
            "drift",
            "--region",
            REGION,
            "--require-approval",
            "never",
        ],
    );
    assert_eq!(run.code, 0, "{run}");
    let stack = "trading-platform-us-east-1-drift";
    let stack_id = format!("arn:aws:cloudformation:us-east-1:{DEV_ACCOUNT}:stack/{stack}/1");
    let ns = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
    let meta = "<ResponseMetadata><RequestId>proxy</RequestId></ResponseMetadata>";
    proxy.add(
        "DetectStackDrift",
        Fault::Respond(format!(
            "<DetectStackDriftResponse xmlns=\"{ns}\"><DetectStackDriftResult><StackDriftDetectionId>d-1</StackDriftDetectionId></DetectStackDriftResult>{meta}</DetectStackDriftResponse>"
        )),
        1,
    );
    let status = |detection: &str, drift: &str| {
        Fault::Respond(format!(
            "<DescribeStackDriftDetectionStatusResponse xmlns=\"{ns}\"><DescribeStackDriftDetectionStatusResult><StackId>{stack_id}</StackId><StackDriftDetectionId>d-1</StackDriftDetectionId>{drift}<DetectionStatus>{detection}</DetectionStatus><DriftedStackResourceCount>1</DriftedStackResourceCount><Timestamp>2026-11-21T10:00:00Z</Timestamp></DescribeStackDriftDetectionStatusResult>{meta}</DescribeStackDriftDetectionStatusResponse>"
        ))
    };
    proxy.add(
        "DescribeStackDriftDetectionStatus",
        status("DETECTION_IN_PROGRESS", ""),
        1,
    );
    proxy.add(
        "DescribeStackDriftDetectionStatus",
        status(
            "DETECTION_COMPLETE",
            "<StackDriftStatus>DRIFTED</StackDriftStatus>",
        ),
        1,
    );
    let drift = |id: &str, kind: &str, state: &str, differences: &str| {
        format!(
            "<member><StackId>{stack_id}</StackId><LogicalResourceId>{id}</LogicalResourceId><PhysicalResourceId>{id}-physical</PhysicalResourceId><ResourceType>{kind}</ResourceType><PropertyDifferences>{differences}</PropertyDifferences><StackResourceDriftStatus>{state}</StackResourceDriftStatus><Timestamp>2026-11-21T10:00:00Z</Timestamp></member>"
        )
    };
    let difference = "<member><PropertyPath>/BillingMode</PropertyPath><ExpectedValue>PAY_PER_REQUEST</ExpectedValue><ActualValue>PROVISIONED</ActualValue><DifferenceType>NOT_EQUAL</DifferenceType></member>";
    proxy.add(
        "DescribeStackResourceDrifts",
        Fault::Respond(format!(
            "<DescribeStackResourceDriftsResponse xmlns=\"{ns}\"><DescribeStackResourceDriftsResult><StackResourceDrifts>{}{}</StackResourceDrifts></DescribeStackResourceDriftsResult>{meta}</DescribeStackResourceDriftsResponse>",
            drift("SessionsTable", "AWS::DynamoDB::Table", "MODIFIED", difference),
            drift("TradeOrdersQueue", "AWS::SQS::Queue", "IN_SYNC", ""),
        )),
        1,
    );

    let run = tp_run(
        &proxy.endpoint(),
        &dir,
        &["drift", "--suffix", "drift", "--region", REGION],
    );
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout
            .contains(&format!("{stack} (us-east-1): DRIFTED")),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("  MODIFIED  AWS::DynamoDB::Table SessionsTable\n    └─ /BillingMode (NOT_EQUAL): expected PAY_PER_REQUEST, actual PROVISIONED\n"),
        "{run}"
    );
    assert!(!run.stdout.contains("TradeOrdersQueue"), "{run}");
    assert_eq!(proxy.applied("DescribeStackDriftDetectionStatus"), 2);

    // The same detection, as `--json` reports it.
    proxy.add(
        "DetectStackDrift",
        Fault::Respond(format!(
            "<DetectStackDriftResponse xmlns=\"{ns}\"><DetectStackDriftResult><StackDriftDetectionId>d-1</StackDriftDetectionId></DetectStackDriftResult>{meta}</DetectStackDriftResponse>"
        )),
        1,
    );
    proxy.add(
        "DescribeStackDriftDetectionStatus",
        status(
            "DETECTION_COMPLETE",
            "<StackDriftStatus>DRIFTED</StackDriftStatus>",
        ),
        1,
    );
    proxy.add(
        "DescribeStackResourceDrifts",
        Fault::Respond(format!(
            "<DescribeStackResourceDriftsResponse xmlns=\"{ns}\"><DescribeStackResourceDriftsResult><StackResourceDrifts>{}{}</StackResourceDrifts></DescribeStackResourceDriftsResult>{meta}</DescribeStackResourceDriftsResponse>",
            drift("SessionsTable", "AWS::DynamoDB::Table", "MODIFIED", difference),
            drift("TradeOrdersQueue", "AWS::SQS::Queue", "IN_SYNC", ""),
        )),
        1,
    );
    let run = tp_run(
        &proxy.endpoint(),
        &dir,
        &["drift", "--suffix", "drift", "--region", REGION, "--json"],
    );
    assert_eq!(run.code, 1, "{run}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(doc["exit_code"], 1);
    assert_eq!(doc["changed"], true);
    assert_eq!(
        doc["stacks"][0],
        serde_json::json!({
            "name": stack,
            "region": REGION,
            "drift": "DRIFTED",
            "drifted_resources": [{
                "logical_id": "SessionsTable",
                "resource_type": "AWS::DynamoDB::Table",
                "status": "MODIFIED",
                "differences": [{
                    "path": "/BillingMode",
                    "kind": "NOT_EQUAL",
                    "expected": "PAY_PER_REQUEST",
                    "actual": "PROVISIONED",
                }],
            }],
        })
    );
}
