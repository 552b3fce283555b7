//! Backups that survive their environment: the bootstrap's vault, its key
//! and the data key that outlives environments; an environment's backup
//! plan into that vault, copied to another region; `tp destroy` takes the
//! environment and leaves the vault and the keys, not scheduled for
//! deletion.

use serde_json::Value;

use super::proxy::Proxy;
use super::*;

const SUFFIX: &str = "bk";
const VAULT: &str = "tp-backup-us-east-1";
const VAULT_KEY: &str = "alias/tp-backup-vault";
const RETAINED_KEY: &str = "alias/tp-retained-data";

/// The ARN of the key `alias` names, which exists and is not scheduled for
/// deletion.
fn live_key(backup: &Value, alias: &str) -> String {
    let key = &backup["keys"][alias];
    assert_eq!(key["state"], "Enabled", "{alias}: {backup:#}");
    assert!(key["deletion_date"].is_null(), "{alias}: {backup:#}");
    key["arn"].as_str().expect("key ARN").to_owned()
}

#[test]
fn backups_go_to_the_bootstrap_vault_and_outlive_tp_destroy() {
    let moto = Moto::start("retention");
    let proxy = Proxy::start(moto.port);
    proxy.answer_after_deploy(REGION, "bk");
    let endpoint = proxy.endpoint();
    let dir = scratch("retention");

    // Production's account: its vault is locked in compliance mode, with
    // production's retention as the minimum.
    bootstrap_trusting_dev(&moto, &endpoint, &dir, PROD_ACCOUNT);
    let prod = moto.as_operator_of(PROD_ACCOUNT).backup();
    assert_eq!(prod["vaults"][VAULT]["locked"], true, "{prod:#}");
    assert_eq!(prod["vaults"][VAULT]["min_retention_days"], 35, "{prod:#}");
    assert_eq!(
        prod["vaults"][VAULT]["key"],
        live_key(&prod, VAULT_KEY).as_str()
    );

    // The dev account: a vault under its own key, unlocked (no production
    // deploys there), and the data key that outlives environments.
    let run = tp_run(&endpoint, &dir, &["bootstrap", "--region", REGION]);
    assert_eq!(run.code, 0, "{run}");
    let before = moto.backup();
    let vault_key = live_key(&before, VAULT_KEY);
    let retained_key = live_key(&before, RETAINED_KEY);
    assert_eq!(before["vaults"][VAULT]["key"], vault_key.as_str());
    assert_eq!(before["vaults"][VAULT]["locked"], false, "{before:#}");
    assert_ne!(vault_key, retained_key);
    assert_eq!(
        moto.inventory()["parameters"]["/tp/bootstrap/retained-data-key-arn"],
        retained_key.as_str()
    );

    let run = tp_run(
        &endpoint,
        &dir,
        &[
            "deploy",
            "--suffix",
            SUFFIX,
            "--region",
            REGION,
            "--require-approval",
            "never",
        ],
    );
    assert_eq!(run.code, 0, "{run}");
    let deployed = moto.backup();

    // The plan: nightly into the bootstrap vault, dev's 7 days, each
    // recovery point copied to us-west-2's vault and kept as long.
    let plan = &deployed["plans"]["backup-nightly-us-east-1-bk"];
    let rule = &plan["rules"][0];
    assert_eq!(rule["TargetBackupVaultName"], VAULT, "{deployed:#}");
    assert_eq!(rule["ScheduleExpression"], "cron(0 3 * * ? *)");
    assert_eq!(rule["Lifecycle"]["DeleteAfterDays"], 7);
    assert_eq!(
        rule["CopyActions"][0]["DestinationBackupVaultArn"],
        format!("arn:aws:backup:us-west-2:{DEV_ACCOUNT}:backup-vault:tp-backup-us-west-2")
    );
    assert_eq!(rule["CopyActions"][0]["Lifecycle"]["DeleteAfterDays"], 7);

    // The selection: the cluster and every table, by ARN, with the plan's role.
    let selection = &plan["selections"][0];
    let selected: Vec<&str> = selection["Resources"]
        .as_array()
        .expect("selected resources")
        .iter()
        .map(|r| r.as_str().expect("ARN"))
        .collect();
    let cluster = "aurora-trades-us-east-1-bk";
    assert!(
        selected
            .contains(&format!("arn:aws:rds:us-east-1:{DEV_ACCOUNT}:cluster:{cluster}").as_str()),
        "{selected:?}"
    );
    for table in ["sessions", "order-keys", "alert-keys"] {
        let arn =
            format!("arn:aws:dynamodb:us-east-1:{DEV_ACCOUNT}:table/ddb-{table}-us-east-1-bk");
        assert!(selected.contains(&arn.as_str()), "{arn}: {selected:?}");
    }
    assert!(
        selection["IamRoleArn"]
            .as_str()
            .is_some_and(|r| r.ends_with(":role/role-nightly-backup-us-east-1-bk")),
        "{selection:#}"
    );

    // What is backed up is under the key that outlives the environment.
    assert_eq!(
        deployed["clusters"][cluster],
        retained_key.as_str(),
        "{deployed:#}"
    );
    for (table, key) in deployed["tables"].as_object().expect("tables") {
        assert_eq!(key, retained_key.as_str(), "{table}: {deployed:#}");
    }

    let own_keys: Vec<String> = deployed["keys"]
        .as_object()
        .expect("keys")
        .iter()
        .filter(|(alias, _)| alias.ends_with(&format!("-{SUFFIX}")))
        .map(|(_, key)| key["arn"].as_str().expect("key ARN").to_owned())
        .collect();
    assert_eq!(own_keys.len(), 5, "the platform's five keys: {deployed:#}");

    let run = tp_run(
        &endpoint,
        &dir,
        &["destroy", "--suffix", SUFFIX, "--region", REGION, "--yes"],
    );
    assert_eq!(run.code, 0, "{run}");

    // The environment left nothing behind: no plan, no stack, no role of its
    // own; its own keys are deleted (AWS keeps them pending deletion for
    // their window, moto removes them at once).
    let after = moto.backup();
    assert!(
        after["plans"].as_object().expect("plans").is_empty(),
        "{after:#}"
    );
    let inventory = moto.inventory();
    assert_eq!(
        names(&inventory, "stacks"),
        ["tp-bootstrap", "tp-bootstrap-access"],
        "{inventory:#}"
    );
    let roles: Vec<String> = names(&inventory, "roles")
        .into_iter()
        .filter(|r| r.ends_with(&format!("-{SUFFIX}")))
        .collect();
    assert!(roles.is_empty(), "{roles:?}");
    for key in &own_keys {
        assert!(
            matches!(
                after["key_states"][key].as_str(),
                None | Some("PendingDeletion")
            ),
            "{key}: {after:#}"
        );
    }

    // The bootstrap's vault and keys remain, unchanged and usable.
    assert_eq!(after["vaults"][VAULT], before["vaults"][VAULT], "{after:#}");
    assert_eq!(live_key(&after, VAULT_KEY), vault_key);
    assert_eq!(live_key(&after, RETAINED_KEY), retained_key);
}
