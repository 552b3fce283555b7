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
    // moto cannot run functions: the proxy answers the migration's Invoke.
    let proxy = Proxy::start(moto.port);
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
