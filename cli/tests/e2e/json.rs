//! `--json` documents of each command, `tp outputs`, and a change set
//! reviewed with `--no-execute` then executed with `--change-set`.

use serde_json::Value;

use super::*;

const SUFFIX: &str = "jsn";
const STACK: &str = "trading-platform-us-east-1-jsn";

/// Runs `tp` with `args`; its standard output must be one JSON document
/// whose `exit_code` is the process's.
fn json(endpoint: &str, dir: &Path, args: &[&str]) -> (Run, Value) {
    let run = tp_run(endpoint, dir, args);
    let doc: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{run}"));
    assert_eq!(doc["version"], 1, "{run}");
    assert_eq!(doc["suffix"], SUFFIX, "{run}");
    assert_eq!(doc["exit_code"], run.code, "{run}");
    (run, doc)
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn the_stack(doc: &Value) -> &Value {
    let stacks = doc["stacks"].as_array().expect("stacks");
    assert_eq!(stacks.len(), 1, "{doc:#}");
    assert_eq!(stacks[0]["name"], STACK, "{doc:#}");
    assert_eq!(stacks[0]["region"], REGION, "{doc:#}");
    &stacks[0]
}

#[test]
fn json_documents_outputs_and_a_reviewed_change_set_against_moto() {
    let moto = Moto::start("json");
    let proxy = super::proxy::Proxy::start(moto.port);
    proxy.answer_after_deploy(REGION, SUFFIX);
    let endpoint = proxy.endpoint();
    let dir = scratch("json");
    let target = ["--suffix", SUFFIX, "--region", REGION];
    let with = |command: &str, extra: &[&str]| -> Vec<String> {
        [&[command][..], &target[..], extra]
            .concat()
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    let run = tp_run(&endpoint, &dir, &["bootstrap", "--region", REGION]);
    assert_eq!(run.code, 0, "{run}");

    // Not deployed yet: `tp outputs` says so with its own exit code, from
    // the stacks and from the (missing) outputs file.
    let (run, doc) = json(&endpoint, &dir, &args(&with("outputs", &["--json"])));
    assert_eq!(run.code, 13, "{run}");
    assert_eq!(doc["source"], "stacks");
    assert_eq!(the_stack(&doc)["status"], "NOT_DEPLOYED");
    assert!(
        doc["error"].as_str().unwrap().contains("not deployed"),
        "{run}"
    );
    let run = tp_run(&endpoint, &dir, &args(&with("outputs", &["--from-file"])));
    assert_eq!(run.code, 13, "{run}");
    assert!(run.stderr.contains("no outputs file"), "{run}");

    let (run, doc) = json(&endpoint, &dir, &args(&with("status", &["--json"])));
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(the_stack(&doc)["status"], "NOT_DEPLOYED");

    // A diff of a stack to create: every resource added.
    let (run, doc) = json(&endpoint, &dir, &args(&with("diff", &["--json"])));
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(doc["changed"], true);
    let stack = the_stack(&doc);
    assert_eq!(stack["creating"], true);
    let table = stack["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["logical_id"] == "SessionsTable")
        .unwrap_or_else(|| panic!("no SessionsTable change: {doc:#}"));
    assert_eq!(table["action"], "add");
    assert_eq!(table["resource_type"], "AWS::DynamoDB::Table");
    assert_eq!(table["replacement"], "never");
    assert!(!run.stderr.is_empty(), "the human rendering is on stderr");

    // Reviewed, not executed: the change set's id is in the document and
    // in the command that executes it.
    let (run, doc) = json(
        &endpoint,
        &dir,
        &args(&with(
            "deploy",
            &["--no-execute", "--require-approval", "never", "--json"],
        )),
    );
    assert_eq!(run.code, 0, "{run}");
    let id = the_stack(&doc)["change_set"]
        .as_str()
        .unwrap_or_else(|| panic!("no change set: {doc:#}"))
        .to_owned();
    assert!(id.starts_with("arn:aws:cloudformation:us-east-1:"), "{id}");
    assert!(
        run.stderr.contains(&format!("--change-set {id}")),
        "the command to execute it is printed: {run}"
    );
    assert!(doc.get("release").is_none(), "{doc:#}");
    assert_eq!(moto.inventory()["stacks"][STACK], "REVIEW_IN_PROGRESS");

    // A change set that is not there is refused before anything runs.
    let run = tp_run(
        &endpoint,
        &dir,
        &args(&with("deploy", &["--change-set", "tp-0"])),
    );
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("has no change set tp-0"), "{run}");

    // Executed as reviewed: the stack created, outputs written, release
    // recorded.
    let (run, doc) = json(
        &endpoint,
        &dir,
        &args(&with("deploy", &["--change-set", &id, "--json"])),
    );
    assert_eq!(run.code, 0, "{run}");
    let stack = the_stack(&doc);
    assert_eq!(stack["status"], "CREATE_COMPLETE", "{doc:#}");
    assert_eq!(stack["change_set"], id.as_str());
    assert_eq!(
        stack["outputs"]["SessionsTableName"],
        "ddb-sessions-us-east-1-jsn"
    );
    assert!(
        doc["release"].as_str().is_some_and(|r| r.len() == 64),
        "{doc:#}"
    );
    let inventory = moto.inventory();
    assert_eq!(inventory["stacks"][STACK], "CREATE_COMPLETE");
    assert!(names(&inventory, "tables").contains(&"ddb-sessions-us-east-1-jsn".to_owned()));
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("tp.out/outputs-jsn.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        written[STACK]["SessionsTableName"],
        "ddb-sessions-us-east-1-jsn"
    );

    // Executed once: a second run is refused.
    let run = tp_run(
        &endpoint,
        &dir,
        &args(&with("deploy", &["--change-set", &id])),
    );
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("EXECUTE_COMPLETE"), "{run}");

    // The outputs, from the stacks and from the file, are the same.
    let (run, from_stacks) = json(&endpoint, &dir, &args(&with("outputs", &["--json"])));
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(from_stacks["source"], "stacks");
    let (run, from_file) = json(
        &endpoint,
        &dir,
        &args(&with("outputs", &["--from-file", "--json"])),
    );
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(from_file["source"], "file");
    assert_eq!(
        the_stack(&from_stacks)["outputs"],
        the_stack(&from_file)["outputs"]
    );
    assert_eq!(
        the_stack(&from_file)["outputs"]["SessionsTableName"],
        "ddb-sessions-us-east-1-jsn"
    );
    let run = tp_run(&endpoint, &dir, &args(&with("outputs", &[])));
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("SessionsTableName"), "{run}");

    let (run, doc) = json(&endpoint, &dir, &args(&with("status", &["--json"])));
    assert_eq!(run.code, 0, "{run}");
    let stack = the_stack(&doc);
    assert_eq!(stack["status"], "CREATE_COMPLETE");
    assert!(stack["last_updated"].as_str().is_some(), "{doc:#}");

    // Nothing to change: an empty list, no change set.
    let (run, doc) = json(&endpoint, &dir, &args(&with("diff", &["--json"])));
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(doc["changed"], false);
    assert_eq!(the_stack(&doc)["changes"], serde_json::json!([]));
    let (run, doc) = json(
        &endpoint,
        &dir,
        &args(&with("deploy", &["--require-approval", "never", "--json"])),
    );
    assert_eq!(run.code, 0, "{run}");
    let stack = the_stack(&doc);
    assert_eq!(stack["changes"], serde_json::json!([]));
    assert!(stack.get("change_set").is_none(), "{doc:#}");
    assert_eq!(stack["status"], "CREATE_COMPLETE");

    let (run, doc) = json(&endpoint, &dir, &args(&with("drift", &["--json"])));
    assert!(run.code == 0 || run.code == 1, "{run}");
    assert_eq!(doc["changed"], run.code == 1, "{doc:#}");
    let stack = the_stack(&doc);
    assert!(stack["drift"].as_str().is_some(), "{doc:#}");

    // Nothing answers the health path: the check fails, the others pass.
    let unanswered = format!("http://127.0.0.1:{}", free_port());
    let (run, doc) = json(
        &endpoint,
        &dir,
        &args(&with("verify", &["--api-url", &unanswered, "--json"])),
    );
    assert_eq!(run.code, 10, "{run}");
    let checks = the_stack(&doc)["checks"].as_array().unwrap().clone();
    let check = |prefix: &str| {
        checks
            .iter()
            .find(|c| c["check"].as_str().unwrap().starts_with(prefix))
            .unwrap_or_else(|| panic!("no check {prefix}: {doc:#}"))
            .clone()
    };
    assert_eq!(check("stack ")["ok"], true);
    assert_eq!(check("stack ")["detail"], "CREATE_COMPLETE");
    assert_eq!(check("health GET ")["ok"], false);
    assert!(
        doc["error"].as_str().unwrap().contains("checks failed"),
        "{doc:#}"
    );
}

#[test]
fn synth_json_lists_each_stack_with_its_template_file() {
    let dir = scratch("json-synth");
    let mut command = tp_without_aws(&dir);
    command.args(["synth", "--suffix", SUFFIX, "--out", "out", "--json"]);
    let run = run(command);
    assert_eq!(run.code, 0, "{run}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"));
    assert_eq!(doc["command"], "synth");
    let regions = platform_def::platform().regions;
    let stacks = doc["stacks"].as_array().unwrap();
    assert_eq!(stacks.len(), regions.len(), "{doc:#}");
    for (stack, region) in stacks.iter().zip(&regions) {
        assert_eq!(stack["region"], region.as_str());
        let file = stack["template_file"].as_str().unwrap();
        let body = std::fs::read_to_string(dir.join(file)).unwrap();
        assert_eq!(stack["bytes"], body.len());
        let template: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            stack["resources"],
            template["Resources"].as_object().unwrap().len()
        );
    }
}
