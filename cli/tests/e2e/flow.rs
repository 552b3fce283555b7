//! The whole life of an environment: bootstrap, deploy of the full
//! platform, a no-op deploy, an update, diff, destroy.

use serde_json::{Value, json};

use super::proxy::{Fault, Proxy};
use super::*;

/// The platform's after-deploy migration, as the proxy sees its `Invoke`.
const MIGRATE_INVOKE: &str = "Lambda:Invoke:lambda-migrate-us-east-1-e2e";

/// `(inventory key, resource type, property holding the physical name)`.
pub(super) const NAMED: &[(&str, &str, &str)] = &[
    ("tables", "AWS::DynamoDB::Table", "TableName"),
    ("queues", "AWS::SQS::Queue", "QueueName"),
    ("functions", "AWS::Lambda::Function", "FunctionName"),
    ("buckets", "AWS::S3::Bucket", "BucketName"),
    ("topics", "AWS::SNS::Topic", "TopicName"),
    ("aliases", "AWS::KMS::Alias", "AliasName"),
    ("parameters", "AWS::SSM::Parameter", "Name"),
    ("clusters", "AWS::RDS::DBCluster", "DBClusterIdentifier"),
    ("instances", "AWS::RDS::DBInstance", "DBInstanceIdentifier"),
    ("buses", "AWS::Events::EventBus", "Name"),
    ("archives", "AWS::Events::Archive", "ArchiveName"),
    ("rules", "AWS::Events::Rule", "Name"),
    ("apis", "AWS::ApiGateway::RestApi", "Name"),
    ("log_groups", "AWS::Logs::LogGroup", "LogGroupName"),
    ("roles", "AWS::IAM::Role", "RoleName"),
];

fn template(suffix: &str, profile: &str) -> (String, Value) {
    let platform = platform_def::platform();
    let deployment = platform_core::synth::Deployment::new(
        &platform,
        suffix,
        Some(profile),
        &[REGION.to_owned()],
    )
    .expect("deployment");
    let assembly = platform_core::synth::synth(&platform, &deployment).expect("synth");
    let stack = &assembly.stacks[0];
    (
        stack.name.clone(),
        serde_json::from_str(&stack.body).expect("template JSON"),
    )
}

/// Every physically named resource of `template`, as `(inventory key, name)`.
pub(super) fn expected_names(template: &Value) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for resource in template["Resources"].as_object().unwrap().values() {
        for (key, kind, property) in NAMED {
            if resource["Type"] == *kind {
                if let Some(name) = resource["Properties"][property].as_str() {
                    out.push((*key, name.to_owned()));
                }
            }
        }
    }
    out
}

#[test]
fn bootstrap_deploy_noop_update_diff_and_destroy_against_moto() {
    let moto = Moto::start("flow");
    // moto cannot run functions: in front of it, the proxy answers Lambda's
    // Invoke of the migration as the function does, so every deploy ends
    // with its after-deploy step, as against AWS.
    let proxy = Proxy::start(moto.port);
    proxy.answer_network_guard(REGION, "e2e");
    proxy.add(
        MIGRATE_INVOKE,
        Fault::RespondJson {
            body: r#"{"applied":[],"schemaVersion":2}"#.into(),
            headers: Vec::new(),
        },
        usize::MAX,
    );
    let endpoint = proxy.endpoint();
    let dir = scratch("flow");
    let deploy = ["deploy", "--suffix", "e2e", "--region", REGION];

    // Before bootstrap there is nowhere to upload to.
    let run = tp_run(
        &endpoint,
        &dir,
        &[&deploy[..], &["--require-approval", "never"]].concat(),
    );
    assert_eq!(run.code, 8, "{run}");
    assert!(
        run.stderr.contains("tp bootstrap --region us-east-1"),
        "{run}"
    );

    // Bootstrap: the asset bucket, encrypted and versioned, recorded in SSM.
    let run = tp_run(&endpoint, &dir, &["bootstrap", "--region", REGION]);
    assert_eq!(run.code, 0, "{run}");
    let inventory = moto.inventory();
    let bucket = asset_bucket(DEV_ACCOUNT);
    let bucket = bucket.as_str();
    assert_eq!(
        inventory["buckets"][bucket]["versioning"], "Enabled",
        "{inventory:#}"
    );
    assert_eq!(inventory["buckets"][bucket]["encryption"], "AES256");
    assert_eq!(
        inventory["parameters"]["/tp/bootstrap/asset-bucket"],
        bucket
    );
    let run = tp_run(&endpoint, &dir, &["bootstrap", "--region", REGION]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains("tp-bootstrap (us-east-1): up to date"),
        "{run}"
    );

    // Diff of a stack that does not exist: everything is added.
    let (stack, dev) = template("e2e", "dev");
    let resources = dev["Resources"].as_object().unwrap().len();
    let run = tp_run(
        &endpoint,
        &dir,
        &["diff", "--suffix", "e2e", "--region", REGION, "--fail"],
    );
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout.contains(&format!(
            "{resources} to add, 0 to modify, 0 to replace, 0 to remove"
        )),
        "{run}"
    );

    // IAM broadening needs approval, and there is no terminal to ask on.
    let run = tp_run(&endpoint, &dir, &deploy);
    assert_eq!(run.code, 6, "{run}");
    assert!(
        run.stdout
            .contains(&format!("Summary\n  us-east-1  {stack}  {resources} to add, 0 to modify, 0 to replace, 0 to remove\n             ! widens access: ")),
        "the summary comes first: {run}"
    );
    assert!(run.stdout.contains("\nAccess widened:\n"), "{run}");
    assert!(
        run.stdout
            .contains("'s role may now sqs:SendMessage on queue "),
        "{run}"
    );
    // One question for every stack, refused without a terminal.
    assert_eq!(run.stderr.matches("refusing to deploy").count(), 1, "{run}");
    assert!(run.stderr.contains("--require-approval never"), "{run}");
    assert!(run.stdout.contains("9 assets, 9 uploaded"), "{run}");
    assert!(
        !moto.inventory()["stacks"]
            .as_object()
            .unwrap()
            .contains_key(&stack)
    );

    // The deploy: uploads, change set, execution, outputs.
    let run = tp_run(
        &endpoint,
        &dir,
        &[&deploy[..], &["--require-approval", "never"]].concat(),
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains(&format!("{stack} (us-east-1): CREATE_COMPLETE")),
        "{run}"
    );
    // Objects already in the bucket (same content hash) are not uploaded again.
    assert!(run.stdout.contains("9 assets, 0 uploaded"), "{run}");
    // Then the migration, once, with the deploy's payload.
    assert!(
        run.stdout
            .contains("running after-deploy function migrate (lambda-migrate-us-east-1-e2e)"),
        "{run}"
    );
    let invocations = proxy.requests(MIGRATE_INVOKE);
    assert_eq!(invocations.len(), 1, "{run}");
    assert_eq!(
        serde_json::from_str::<Value>(&invocations[0]).expect("a JSON payload"),
        json!({"phase": "after_deploy", "stack": stack, "region": REGION})
    );
    // CloudFormation is given the S3 URL of the template, not the address
    // of the endpoint tp reached S3 at.
    assert!(
        run.stdout.contains(&format!(
            "https://{bucket}.s3.us-east-1.amazonaws.com/templates/"
        )),
        "{run}"
    );
    let outputs: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("tp.out/outputs-e2e.json")).expect("outputs file"),
    )
    .unwrap();
    assert_eq!(
        outputs[&stack]["SessionsTableName"], "ddb-sessions-us-east-1-e2e",
        "{outputs:#}"
    );
    assert!(
        outputs[&stack]["TradingApiUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    // Created outputs are printed; the output is plain text off a terminal,
    // with the progress of the creation counted out of every resource.
    assert!(
        run.stdout
            .contains(&format!("Outputs of {stack} (created):\n")),
        "{run}"
    );
    assert!(run.stdout.contains("  TradingApiUrl "), "{run}");
    assert!(!run.stdout.contains('\x1b'), "{run}");
    assert!(
        run.stdout
            .contains(&format!("us-east-1  {stack}: CREATE_COMPLETE after "))
            && run
                .stdout
                .contains(&format!(" s, {resources}/{resources} done\n")),
        "{run}"
    );
    monitoring_is_as_declared(&moto);

    let inventory = moto.inventory();
    let mut missing = Vec::new();
    for (key, name) in expected_names(&dev) {
        if !names(&inventory, key).contains(&name) {
            missing.push(format!("{key}: {name}"));
        }
    }
    assert!(
        missing.is_empty(),
        "not created: {missing:#?}\n{inventory:#}"
    );
    // The `resource` block's archive, as EventBridge describes it: of the
    // platform's bus, keeping dev's 7 days.
    let archive = &inventory["archives"]["archive-trade-replay-us-east-1-e2e"];
    assert_eq!(archive["retention"], 7, "{inventory:#}");
    assert!(
        archive["source"]
            .as_str()
            .is_some_and(|arn| arn.ends_with(":event-bus/bus-trading-events-us-east-1-e2e")),
        "{inventory:#}"
    );
    assert_eq!(names(&inventory, "vpcs").len(), 1, "{inventory:#}");
    assert_eq!(
        names(&inventory, "vpc_endpoints").len(),
        12,
        "{inventory:#}"
    );
    assert!(!names(&inventory, "keys").is_empty());
    let objects = inventory["buckets"][bucket]["objects"].as_array().unwrap();
    assert_eq!(
        objects
            .iter()
            .filter(|o| o.as_str().unwrap().starts_with("assets/"))
            .count(),
        9
    );
    let policy = inventory["stack_policies"][&stack].as_str().unwrap();
    assert!(
        policy.contains("LogicalResourceId/SessionsTable"),
        "{policy}"
    );
    assert!(policy.contains("Update:Replace"), "{policy}");

    // The stage's web ACL, as WAF answers for the stage's ARN: the rate
    // limit first, then AWS's managed rule groups, logged to its group.
    let acl = "waf-trading-us-east-1-e2e";
    assert_eq!(
        inventory["stage_web_acls"]["apigw-trading-us-east-1-e2e/v1"], acl,
        "{inventory:#}"
    );
    let web_acl = &inventory["web_acls"][acl];
    assert_eq!(web_acl["default_action"], json!(["Allow"]), "{web_acl:#}");
    let rules: Vec<&str> = web_acl["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "RateLimitPerIp",
            "AWSManagedRulesAmazonIpReputationList",
            "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesCommonRuleSet",
        ]
    );
    let rate = &web_acl["rules"][0];
    assert_eq!(rate["action"], json!(["Block"]));
    assert_eq!(rate["statement"]["RateBasedStatement"]["Limit"], 2000);
    assert_eq!(
        rate["statement"]["RateBasedStatement"]["AggregateKeyType"],
        "IP"
    );
    assert_eq!(
        web_acl["log_destinations"],
        json!([format!(
            "arn:aws:logs:us-east-1:{DEV_ACCOUNT}:log-group:aws-waf-logs-trading-us-east-1-e2e"
        )]),
        "{web_acl:#}"
    );
    assert_eq!(
        web_acl["redacted_headers"],
        json!(["authorization", "x-amz-security-token"])
    );

    // Nothing changed: said so, no change set created.
    let before = moto_change_sets(&moto, &stack);
    let run = tp_run(
        &endpoint,
        &dir,
        &[&deploy[..], &["--require-approval", "never"]].concat(),
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains(&format!("{stack} (us-east-1)\nno changes\n")),
        "{run}"
    );
    assert!(
        run.stdout
            .contains(&format!("  us-east-1  {stack}  no changes\n")),
        "{run}"
    );
    // Nothing changed, so no output is printed again; the file is written.
    assert!(!run.stdout.contains("Outputs of"), "{run}");
    assert!(!run.stdout.contains("TradingApiUrl"), "{run}");
    assert!(run.stdout.contains("outputs written to "), "{run}");
    assert!(!run.stdout.contains('\x1b'), "{run}");
    assert_eq!(moto_change_sets(&moto, &stack), before);
    // The migration runs on every deploy, also when nothing changed.
    assert_eq!(proxy.applied(MIGRATE_INVOKE), 2, "{run}");

    // Destroy: refused without a terminal, then emptied and deleted.
    let config_bucket = "s3-config-us-east-1-e2e-111111111111";
    moto.put_versions(config_bucket, "settings.json");
    let destroy = ["destroy", "--suffix", "e2e", "--region", REGION];
    let run = tp_run(&endpoint, &dir, &destroy);
    assert_eq!(run.code, 6, "{run}");
    assert!(run.stderr.contains("pass --yes"), "{run}");
    let run = tp_run(&endpoint, &dir, &[&destroy[..], &["--yes"]].concat());
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains("deleted; 2 object versions removed from 3 buckets"),
        "{run}"
    );
    let inventory = moto.inventory();
    assert_eq!(
        names(&inventory, "stacks"),
        ["tp-bootstrap", "tp-bootstrap-access"],
        "{inventory:#}"
    );
    // The bootstrap's buckets remain: the assets and the write-once archive.
    assert_eq!(
        names(&inventory, "buckets"),
        [
            bucket.to_owned(),
            platform_core::accounts::archive_bucket_name(DEV_ACCOUNT, REGION)
        ],
        "{inventory:#}"
    );
    for key in [
        "tables",
        "queues",
        "functions",
        "topics",
        "clusters",
        "instances",
        "buses",
        "rules",
        "vpcs",
        "vpc_endpoints",
        "web_acls",
        "stage_web_acls",
    ] {
        assert!(
            names(&inventory, key).is_empty(),
            "{key} left: {inventory:#}"
        );
    }
    let left: Vec<String> = names(&inventory, "parameters")
        .into_iter()
        .filter(|p| p.starts_with("/trading-platform/"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let run = tp_run(
        &endpoint,
        &dir,
        &["status", "--suffix", "e2e", "--region", REGION],
    );
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout, format!("{stack}  us-east-1  NOT_DEPLOYED\n"));
    // An update: the staging profile resizes and retags resources in place,
    // in staging's account, which trusts the dev account. The stack there
    // starts from the dev template, as its operator deployed it (after
    // dev's is gone: bucket names are global, across accounts).
    bootstrap_trusting_dev(&moto, &endpoint, &dir, STAGING_ACCOUNT);
    deploy_dev_template_into(&endpoint, &dir, &moto, STAGING_ACCOUNT, "e2e");
    let staging = moto.as_operator_of(STAGING_ACCOUNT);
    assert_eq!(staging.inventory()["stacks"][&stack], "CREATE_COMPLETE");
    let run = tp_run(
        &endpoint,
        &dir,
        &[
            &deploy[..],
            &["--profile", "staging", "--require-approval", "never"],
        ]
        .concat(),
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains("  ~ AWS::Lambda::Function TradeProcessorFunction\n"),
        "{run}"
    );
    assert!(
        run.stdout.contains("      └─ Properties.MemorySize\n"),
        "{run}"
    );
    assert!(run.stdout.contains("0 to add, "), "{run}");
    assert!(
        run.stdout
            .contains(&format!("{stack} (us-east-1): UPDATE_COMPLETE")),
        "{run}"
    );
    assert_eq!(staging.inventory()["stacks"][&stack], "UPDATE_COMPLETE");
    // Nothing of it is in dev's account.
    assert_eq!(
        names(&moto.inventory(), "stacks"),
        ["tp-bootstrap", "tp-bootstrap-access"]
    );
    assert_eq!(proxy.applied(MIGRATE_INVOKE), 4, "{run}");

    // Diff now finds nothing in staging.
    let diff = ["diff", "--suffix", "e2e", "--region", REGION, "--fail"];
    let run = tp_run(
        &endpoint,
        &dir,
        &[&diff[..], &["--profile", "staging"]].concat(),
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("no changes"), "{run}");
    assert!(!run.stdout.contains("UPDATE_IN_PROGRESS"), "{run}");

    let _ = std::fs::remove_dir_all(&dir);
}

fn moto_change_sets(moto: &Moto, stack: &str) -> usize {
    // The change sets moto keeps, counted through CloudFormation's API.
    let out = std::process::Command::new(super::python())
        .args([
            "-c",
            "import boto3,sys; c=boto3.client('cloudformation',endpoint_url=sys.argv[1],region_name='us-east-1'); print(len(c.list_change_sets(StackName=sys.argv[2])['Summaries']))",
        ])
        .arg(moto.endpoint())
        .arg(stack)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .expect("list change sets");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("list_change_sets: {}", String::from_utf8_lossy(&out.stderr)))
}

/// What an operator relies on, as the emulator's APIs answer it: the alerts
/// topic's declared subscriber (dev's on-call address) besides the optional
/// deploy-time one, the dead-man alarm of the hourly monitor, and the
/// dashboard's sections ending with every alarm's status.
fn monitoring_is_as_declared(moto: &Moto) {
    let monitoring = moto.monitoring();
    let subscriptions = &monitoring["subscriptions"]["sns-alerts-us-east-1-e2e"];
    assert_eq!(
        subscriptions,
        &json!([{"protocol": "email", "endpoint": "dev-oncall@example.com", "raw": false}]),
        "{monitoring:#}"
    );
    let dead_man = &monitoring["alarms"]["alarm-health-monitor-not-running-us-east-1-e2e"];
    assert_eq!(
        dead_man,
        &json!({
            "namespace": "AWS/Lambda",
            "metric": "Invocations",
            "dimensions": {"FunctionName": "lambda-health-monitor-us-east-1-e2e"},
            "statistic": "Sum",
            "period": 7200,
            "evaluations": 1,
            "threshold": 1.0,
            "comparison": "LessThanThreshold",
            "missing": "breaching",
            "actions": ["sns-alerts-us-east-1-e2e"],
        }),
        "{monitoring:#}"
    );
    let dashboard = &monitoring["dashboards"]["dashboard-operations-us-east-1-e2e"]["widgets"];
    let headers: Vec<&str> = dashboard
        .as_array()
        .expect("widgets")
        .iter()
        .filter(|w| w["type"] == "text")
        .map(|w| w["properties"]["markdown"].as_str().unwrap())
        .collect();
    assert_eq!(
        headers,
        [
            "## Is trading up?",
            "## Are orders flowing?",
            "## Lambda functions",
            "## Database",
            "## What is alarming?"
        ]
    );
    let status = dashboard
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["type"] == "alarm")
        .expect("an alarm status widget");
    let listed = status["properties"]["alarms"].as_array().unwrap();
    // Every alarm of the stack, the dead-man alarm among them.
    assert_eq!(
        listed.len(),
        monitoring["alarms"].as_object().unwrap().len()
    );
    assert!(
        listed.iter().any(|arn| arn
            .as_str()
            .unwrap()
            .ends_with(":alarm:alarm-health-monitor-not-running-us-east-1-e2e")),
        "{status:#}"
    );
}
