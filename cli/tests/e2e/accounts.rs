//! Accounts per environment, in one moto: its default account is the
//! management account, each environment's account is reached through
//! AWS Organizations' OrganizationAccountAccessRole (an operator of that
//! account), and the tooling account deploys into an environment's
//! account through the deploy role `tp bootstrap --trust` made there.

use super::proxy::{Fault, Proxy};
use super::*;

const DEV_STACK: &str = "trading-platform-us-east-1-dev";

fn stacks(inventory: &Value) -> Vec<String> {
    names(inventory, "stacks")
}

#[test]
fn a_tooling_account_deploys_into_the_account_that_trusts_it_and_nowhere_else() {
    let moto = Moto::start_in("accounts", Some(MANAGEMENT_ACCOUNT));
    // moto cannot run functions: the proxy answers the after-deploy
    // functions' Invokes.
    let proxy = Proxy::start(moto.port);
    proxy.answer_network_guard(REGION, "dev");
    proxy.add(
        "Lambda:Invoke:lambda-migrate-us-east-1-dev",
        Fault::RespondJson {
            body: r#"{"applied":[]}"#.into(),
            headers: Vec::new(),
        },
        usize::MAX,
    );
    let endpoint = proxy.endpoint();
    let dir = scratch("accounts");
    let operator_of_dev = moto.operator_credentials(DEV_ACCOUNT);
    let tooling = moto.operator_credentials(TOOLING_ACCOUNT);
    let tp_with = |credentials: &Credentials, args: &[&str]| {
        let mut command = tp_as(&endpoint, &dir, credentials);
        command.args(args);
        run(command)
    };

    // Bootstrapping an account needs credentials in it; nothing changes.
    let run = tp_with(
        &tooling,
        &[
            "bootstrap",
            "--account",
            DEV_ACCOUNT,
            "--trust",
            TOOLING_ACCOUNT,
            "--region",
            REGION,
        ],
    );
    assert_eq!(run.code, 12, "{run}");
    assert!(
        run.stderr.contains(&format!(
            "refusing to bootstrap account {DEV_ACCOUNT}: the credentials are in account {TOOLING_ACCOUNT}"
        )),
        "{run}"
    );
    assert!(stacks(&moto.as_operator_of(TOOLING_ACCOUNT).inventory()).is_empty());
    assert!(stacks(&moto.as_operator_of(DEV_ACCOUNT).inventory()).is_empty());

    // The dev account's operator bootstraps it to trust the tooling account.
    let run = tp_with(
        &operator_of_dev,
        &[
            "bootstrap",
            "--account",
            DEV_ACCOUNT,
            "--trust",
            TOOLING_ACCOUNT,
            "--region",
            REGION,
        ],
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains(&format!(
            "bootstrapping account {DEV_ACCOUNT} for dev, trusting {TOOLING_ACCOUNT}"
        )),
        "{run}"
    );
    let dev = moto.as_operator_of(DEV_ACCOUNT).inventory();
    for role in [
        "tp-deploy-us-east-1",
        "tp-cfn-exec-us-east-1",
        "tp-apigateway-logs-us-east-1",
    ] {
        assert!(
            names(&dev, "roles").contains(&role.to_owned()),
            "{role}: {dev:#}"
        );
    }
    assert!(
        dev["buckets"].get(asset_bucket(DEV_ACCOUNT)).is_some(),
        "{dev:#}"
    );

    // From the tooling account, dev lands in the dev account.
    let run = tp_with(
        &tooling,
        &[
            "deploy",
            "--suffix",
            "dev",
            "--profile",
            "dev",
            "--region",
            REGION,
            "--require-approval",
            "never",
        ],
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains(&format!("{DEV_STACK} (us-east-1): CREATE_COMPLETE")),
        "{run}"
    );
    let dev = moto.as_operator_of(DEV_ACCOUNT).inventory();
    assert_eq!(dev["stacks"][DEV_STACK], "CREATE_COMPLETE", "{dev:#}");
    for (key, name) in [
        ("tables", "ddb-sessions-us-east-1-dev"),
        ("queues", "sqs-trade-orders-us-east-1-dev"),
        ("functions", "lambda-trade-processor-us-east-1-dev"),
    ] {
        assert!(
            names(&dev, key).contains(&name.to_owned()),
            "{name}: {dev:#}"
        );
    }
    let tooling_inventory = moto.as_operator_of(TOOLING_ACCOUNT).inventory();
    assert!(
        stacks(&tooling_inventory).is_empty(),
        "{tooling_inventory:#}"
    );
    assert!(names(&tooling_inventory, "tables").is_empty());
    assert!(names(&tooling_inventory, "functions").is_empty());
    // What tp uploaded is in the dev account's bucket.
    let assets = &dev["buckets"][asset_bucket(DEV_ACCOUNT)]["objects"];
    assert!(
        assets
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k.as_str().unwrap().starts_with("assets/")),
        "{assets}"
    );
    // Reads go through the deploy role too.
    let run = tp_with(
        &tooling,
        &[
            "status",
            "--suffix",
            "dev",
            "--profile",
            "dev",
            "--region",
            REGION,
        ],
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains(&format!("{DEV_STACK}  us-east-1  CREATE_COMPLETE")),
        "{run}"
    );

    // Staging's account trusts another account: refused before any change.
    let operator_of_staging = moto.operator_credentials(STAGING_ACCOUNT);
    let run = tp_with(
        &operator_of_staging,
        &[
            "bootstrap",
            "--account",
            STAGING_ACCOUNT,
            "--trust",
            PROD_ACCOUNT,
            "--region",
            REGION,
        ],
    );
    assert_eq!(run.code, 0, "{run}");
    for (account, profile) in [(STAGING_ACCOUNT, "staging"), (PROD_ACCOUNT, "prod")] {
        let run = tp_with(
            &tooling,
            &[
                "deploy",
                "--suffix",
                profile,
                "--profile",
                profile,
                "--region",
                REGION,
                "--require-approval",
                "never",
            ],
        );
        assert_eq!(run.code, 12, "{profile}: {run}");
        assert!(
            run.stderr
                .contains(&format!("the credentials are in account {TOOLING_ACCOUNT}"))
                && run
                    .stderr
                    .contains(&format!("deploys into account {account}")),
            "{run}"
        );
        assert!(
            run.stderr.contains(&format!(
                "tp bootstrap --account {account} --trust {TOOLING_ACCOUNT}"
            )),
            "{run}"
        );
        assert!(
            run.stderr
                .contains(&format!("arn:aws:iam::{account}:role/tp-deploy-us-east-1")),
            "{run}"
        );
        let there = moto.as_operator_of(account).inventory();
        let stack = format!("trading-platform-us-east-1-{profile}");
        assert!(!stacks(&there).contains(&stack), "{there:#}");
        assert!(names(&there, "tables").is_empty(), "{there:#}");
    }
    assert!(stacks(&moto.as_operator_of(TOOLING_ACCOUNT).inventory()).is_empty());
}

/// Every `Allow` statement of a template's IAM policies, with its actions
/// and resources as written.
fn allow_statements(template: &Value) -> Vec<(Vec<String>, Vec<Value>)> {
    let as_list = |v: &Value| match v {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    let mut out = Vec::new();
    for resource in template["Resources"].as_object().unwrap().values() {
        let p = &resource["Properties"];
        let mut documents = vec![p["PolicyDocument"].clone()];
        for policy in as_list(&p["Policies"]) {
            documents.push(policy["PolicyDocument"].clone());
        }
        for document in documents {
            for s in as_list(&document["Statement"]) {
                if s["Effect"] == "Allow" {
                    let actions = as_list(&s["Action"])
                        .iter()
                        .map(|a| a.as_str().unwrap().to_owned())
                        .collect();
                    out.push((actions, as_list(&s["Resource"])));
                }
            }
        }
    }
    out
}

#[test]
fn show_template_writes_the_bootstrap_stacks_and_names_every_action_granted_on_star() {
    let dir = scratch("show-template");
    let run = super::run({
        let mut c = tp_without_aws(&dir);
        c.args([
            "bootstrap",
            "--show-template",
            "boot",
            "--region",
            "us-east-1",
        ]);
        c
    });
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("--show-template needs --account"),
        "{run}"
    );
    assert!(!dir.join("boot").exists());

    let run = super::run({
        let mut c = tp_without_aws(&dir);
        c.args([
            "bootstrap",
            "--account",
            DEV_ACCOUNT,
            "--trust",
            TOOLING_ACCOUNT,
            "--region",
            "us-east-1",
            "--show-template",
            "boot",
        ]);
        c
    });
    assert_eq!(run.code, 0, "{run}");
    let read = |name: &str| -> Value {
        let path = dir
            .join("boot")
            .join(format!("{name}-{DEV_ACCOUNT}-us-east-1.template.json"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    };
    let storage = read("tp-bootstrap");
    let access = read("tp-bootstrap-access");
    assert!(storage["Resources"].get("AssetBucket").is_some());
    assert!(storage["Resources"].get("ApiGatewayAccount").is_some());
    assert!(access["Resources"].get("ExecutionPolicy1").is_some());
    // What the command lists is exactly what the execution role grants on
    // "*", and no policy of the access stack grants a wildcard action.
    let listed: std::collections::BTreeSet<String> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .map(|l| l.split_once(": ").unwrap().0.to_owned())
        .collect();
    assert!(listed.contains("kms:CreateKey"), "{run}");
    let mut on_star = std::collections::BTreeSet::new();
    for (id, resource) in access["Resources"].as_object().unwrap() {
        let single = serde_json::json!({"Resources": {id: resource}});
        for (actions, resources) in allow_statements(&single) {
            for a in &actions {
                assert!(!a.contains('*'), "{id}: wildcard action {a}");
            }
            if resources.iter().any(|r| r == "*") && id.starts_with("ExecutionPolicy") {
                on_star.extend(actions);
            }
        }
    }
    assert_eq!(on_star, listed);
}
