//! `tp promote`: a deploy records a release (every environment's templates,
//! by content hash, in the asset bucket); promoting deploys the target
//! environment's templates from the release the source runs, after asking,
//! and refuses an artifact that no longer matches its hash.

use serde_json::Value;

use super::*;

const BUCKET: &str = "tp-assets-123456789012-us-east-1";

#[test]
fn promote_deploys_the_release_staging_runs_and_checks_its_hashes() {
    let moto = Moto::start("promote");
    // Every deploy and promotion ends with the platform's migration, which
    // moto cannot run: the proxy answers it.
    let proxy = super::proxy::Proxy::start(moto.port);
    for suffix in ["staging", "prod"] {
        proxy.answer_migrations(REGION, suffix);
    }
    let dir = scratch("promote");
    let tp = |args: &[&str]| tp_run(&proxy.endpoint(), &dir, args);
    assert_eq!(tp(&["bootstrap", "--region", REGION]).code, 0);

    // Nothing recorded for staging yet.
    let run = tp(&[
        "promote", "--from", "staging", "--to", "prod", "--region", REGION, "--yes",
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("`staging` has no release recorded in us-east-1"),
        "{run}"
    );

    let run = tp(&[
        "deploy",
        "--suffix",
        "staging",
        "--profile",
        "staging",
        "--region",
        REGION,
        "--require-approval",
        "never",
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("release "), "{run}");
    let current: Value =
        serde_json::from_str(&moto.get(BUCKET, "releases/current/staging.json")).unwrap();
    let id = current["release"].as_str().unwrap().to_owned();
    let record: Value =
        serde_json::from_str(&moto.get(BUCKET, &format!("releases/{id}.json"))).unwrap();
    let prod = &record["environments"]["prod"];
    assert_eq!(prod["profile"], "prod");
    assert_eq!(prod["stack"]["name"], "trading-platform-us-east-1-prod");
    assert_eq!(record["environments"]["dev"]["profile"], "dev");
    let prod_template = prod["stack"]["template"].as_str().unwrap().to_owned();

    // Without a terminal, a promotion is refused unless --yes.
    let promote = [
        "promote", "--from", "staging", "--to", "prod", "--region", REGION,
    ];
    let run = tp(&promote);
    assert_eq!(run.code, 6, "{run}");
    assert!(
        !moto.inventory()["stacks"]
            .as_object()
            .unwrap()
            .contains_key("trading-platform-us-east-1-prod")
    );

    let run = tp(&[&promote[..], &["--yes"]].concat());
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains(&format!("release {id} of `staging`")),
        "{run}"
    );
    assert_eq!(
        moto.inventory()["stacks"]["trading-platform-us-east-1-prod"],
        "CREATE_COMPLETE"
    );
    let now: Value = serde_json::from_str(&moto.get(BUCKET, "releases/current/prod.json")).unwrap();
    assert_eq!(now["release"], id.as_str());
    // What was deployed is the release's prod template, which is also what
    // this definition synthesizes for prod.
    let run = tp(&[
        "diff",
        "--suffix",
        "prod",
        "--profile",
        "prod",
        "--region",
        REGION,
        "--fail",
    ]);
    assert_eq!(run.code, 0, "{run}");

    // An artifact changed after it was recorded is refused.
    moto.put(
        BUCKET,
        &format!("templates/{prod_template}.json"),
        "{\"Resources\": {}}",
    );
    let run = tp(&[&promote[..], &["--yes"]].concat());
    assert_eq!(run.code, 6, "{run}");
    assert!(
        run.stderr
            .contains("does not match the hash the release recorded"),
        "{run}"
    );
}
