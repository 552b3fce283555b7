//! A replacement predicted through the deploy's real path (change set
//! created in CloudFormation, merged with the template comparison): a
//! table's partition key is a property whose change replaces the table, so
//! a deploy that changes it is refused unless `--allow-replace` names it.

use cli::aws::Connection;
use cli::commands::{Approval, DeployOptions};
use cli::exit::{self, Exit};
use platform_core::spec::{KeySpec, KeyType, Platform, Spec, TableSpec};
use platform_core::synth::Deployment;

use super::*;

/// A key and a table keyed on `partition`.
fn platform(partition: &str) -> Platform {
    one_region_platform(
        "keys",
        vec![
            (
                "data",
                Spec::Key(KeySpec {
                    description: "data".into(),
                    rotation: true,
                    pending_window_days: 30,
                }),
            ),
            (
                "sessions",
                Spec::Table(TableSpec {
                    partition: (partition.into(), KeyType::String),
                    sort: None,
                    ttl: None,
                    stream: None,
                    key: "data".into(),
                }),
            ),
        ],
    )
}

fn options(dir: &std::path::Path, allow_replace: &[&str]) -> DeployOptions {
    DeployOptions {
        approval: Approval::Never,
        allow_replace: allow_replace.iter().map(|s| (*s).to_owned()).collect(),
        no_execute: false,
        outputs_file: dir.join("outputs.json"),
        resume: "the replacement test".into(),
        role_arn: None,
        run_after_deploy: false,
    }
}

#[test]
fn changing_a_tables_key_is_predicted_as_a_replacement_and_refused() {
    let moto = Moto::start("replacement");
    let dir = scratch("replacement");
    let run = tp_run(&moto.endpoint(), &dir, &["bootstrap", "--region", REGION]);
    assert_eq!(run.code, 0, "{run}");
    let connection = Connection::to_endpoint(&moto.endpoint(), "testing", "testing");
    let deploy = |partition: &str, allow: &[&str]| {
        let platform = platform(partition);
        let deployment = Deployment::new(&platform, "e2e", None, &[]).expect("deployment");
        block_on(cli::release::deploy_platform(
            &platform,
            &deployment,
            &connection,
            &options(&dir, allow),
        ))
    };
    let stack = "keys-us-east-1-e2e";
    assert_eq!(
        deploy("session_id", &[]).expect("the first deploy"),
        exit::OK
    );
    let stacks = &moto.inventory()["stacks"];
    assert_eq!(stacks[stack], "CREATE_COMPLETE", "{stacks:#}");

    let refused = deploy("user_id", &[]).expect_err("a key change is refused");
    let exit = refused.downcast_ref::<Exit>().expect("an exit code");
    assert_eq!(exit.code, exit::REFUSED, "{refused:#}");
    assert!(
        exit.message.contains(
            "SessionsTable (AWS::DynamoDB::Table) in keys-us-east-1-e2e: would be replaced"
        ),
        "{refused:#}"
    );
    // Nothing was executed: the table keeps its key.
    let stacks = &moto.inventory()["stacks"];
    assert_eq!(stacks[stack], "CREATE_COMPLETE", "{stacks:#}");

    assert_eq!(
        deploy("user_id", &["SessionsTable"]).expect("accepted with --allow-replace"),
        exit::OK
    );
}
