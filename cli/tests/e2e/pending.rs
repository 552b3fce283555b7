//! A stack left in `REVIEW_IN_PROGRESS` (a change set created with
//! `--no-execute`, or an approval that never came) holds no resources: the
//! next deploy carries it to a real completion before it reports success,
//! writes outputs or records a release.

use serde_json::Value;

use super::*;

#[test]
fn a_deploy_after_no_execute_creates_the_resources_before_it_reports_success() {
    let moto = Moto::start("pending");
    let proxy = super::proxy::Proxy::start(moto.port);
    proxy.answer_after_deploy(REGION, "pend");
    let endpoint = proxy.endpoint();
    let dir = scratch("pending");
    let run = tp_run(&endpoint, &dir, &["bootstrap", "--region", REGION]);
    assert_eq!(run.code, 0, "{run}");
    let deploy = [
        "deploy",
        "--suffix",
        "pend",
        "--region",
        REGION,
        "--require-approval",
        "never",
    ];
    let stack = "trading-platform-us-east-1-pend";
    let bucket = asset_bucket(DEV_ACCOUNT);
    let current = "releases/current/pend.json";
    let outputs = dir.join("tp.out/outputs-pend.json");

    let run = tp_run(&endpoint, &dir, &[&deploy[..], &["--no-execute"]].concat());
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("not executed (--no-execute)"), "{run}");
    assert_eq!(moto.inventory()["stacks"][stack], "REVIEW_IN_PROGRESS");
    assert!(!outputs.exists(), "no outputs before a completion");
    let objects = |inventory: &Value| -> Vec<String> {
        inventory["buckets"][bucket.as_str()]["objects"]
            .as_array()
            .map(|o| {
                o.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(!objects(&moto.inventory()).contains(&current.to_owned()));

    let run = tp_run(&endpoint, &dir, &deploy);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains("in REVIEW_IN_PROGRESS (its first change set was never executed"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains(&format!("{stack} (us-east-1): CREATE_COMPLETE")),
        "{run}"
    );
    let inventory = moto.inventory();
    assert_eq!(
        inventory["stacks"][stack], "CREATE_COMPLETE",
        "{inventory:#}"
    );
    assert!(
        names(&inventory, "tables").contains(&"ddb-sessions-us-east-1-pend".to_owned()),
        "{inventory:#}"
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&outputs).unwrap()).unwrap();
    assert_eq!(
        written[stack]["SessionsTableName"],
        "ddb-sessions-us-east-1-pend"
    );
    assert!(objects(&inventory).contains(&current.to_owned()), "{run}");
}
