//! `tp promote`: a deploy records a release (every environment's templates,
//! by content hash, in the asset bucket); promoting deploys the target
//! environment's templates from the release the source runs, after asking,
//! and refuses an artifact that no longer matches its hash, or a source
//! environment that no longer runs the release (destroyed). Staging and
//! prod run in accounts of their own, bootstrapped to trust the dev
//! account, whose credentials promote from one to the other.

use serde_json::Value;

use super::*;

#[test]
fn promote_deploys_the_release_staging_runs_and_checks_its_hashes() {
    let moto = Moto::start("promote");
    // Every deploy and promotion ends with the platform's migration, which
    // moto cannot run: the proxy answers it.
    let proxy = super::proxy::Proxy::start(moto.port);
    for suffix in ["staging", "prod"] {
        proxy.answer_after_deploy(REGION, suffix);
    }
    let dir = scratch("promote");
    let tp = |args: &[&str]| tp_run(&proxy.endpoint(), &dir, args);
    for account in [STAGING_ACCOUNT, PROD_ACCOUNT] {
        let mut bootstrap = tp_as(&proxy.endpoint(), &dir, &moto.operator_credentials(account));
        bootstrap.args([
            "bootstrap",
            "--account",
            account,
            "--trust",
            DEV_ACCOUNT,
            "--region",
            REGION,
        ]);
        let run = run(bootstrap);
        assert_eq!(run.code, 0, "{run}");
    }
    let (staging, prod) = (
        moto.as_operator_of(STAGING_ACCOUNT),
        moto.as_operator_of(PROD_ACCOUNT),
    );
    let (staging_bucket, prod_bucket) = (asset_bucket(STAGING_ACCOUNT), asset_bucket(PROD_ACCOUNT));
    // Production's zone is the DNS team's: it exists before the platform
    // deploys, and the deploy looks its id up.
    prod.create_zone("trading.example.com");

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
        serde_json::from_str(&staging.get(&staging_bucket, "releases/current/staging.json"))
            .unwrap();
    let id = current["release"].as_str().unwrap().to_owned();
    let record: Value =
        serde_json::from_str(&staging.get(&staging_bucket, &format!("releases/{id}.json")))
            .unwrap();
    let recorded = &record["environments"]["prod"];
    assert_eq!(recorded["profile"], "prod");
    assert_eq!(recorded["stack"]["name"], "trading-platform-us-east-1-prod");
    assert_eq!(
        recorded["stack"]["zone_lookups"][0]["domain"], "trading.example.com",
        "the release records what a promotion fills: {recorded:#}"
    );
    assert_eq!(record["environments"]["dev"]["profile"], "dev");
    let prod_template = recorded["stack"]["template"].as_str().unwrap().to_owned();
    // Staging landed in its own account, not in dev's.
    assert_eq!(
        staging.inventory()["stacks"]["trading-platform-us-east-1-staging"],
        "CREATE_COMPLETE"
    );
    assert!(names(&moto.inventory(), "stacks").is_empty());

    // Without a terminal, a promotion is refused unless --yes.
    let promote = [
        "promote", "--from", "staging", "--to", "prod", "--region", REGION,
    ];
    let run = tp(&promote);
    assert_eq!(run.code, 6, "{run}");
    assert!(
        !prod.inventory()["stacks"]
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
        prod.inventory()["stacks"]["trading-platform-us-east-1-prod"],
        "CREATE_COMPLETE"
    );
    // The release and the code it names were copied into prod's account.
    let now: Value =
        serde_json::from_str(&prod.get(&prod_bucket, "releases/current/prod.json")).unwrap();
    prod.get(&prod_bucket, &format!("releases/{id}.json"));
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
    staging.put(
        &staging_bucket,
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

    // A destroyed environment runs no release, though its record stays.
    let run = tp(&[
        "destroy",
        "--suffix",
        "staging",
        "--profile",
        "staging",
        "--region",
        REGION,
        "--yes",
    ]);
    assert_eq!(run.code, 0, "{run}");
    let before = prod.inventory()["stacks"].clone();
    let run = tp(&[&promote[..], &["--yes"]].concat());
    assert_eq!(run.code, 6, "{run}");
    assert!(
        run.stderr.contains(&format!(
            "refusing to promote release {id} of `staging`: trading-platform-us-east-1-staging is not deployed in us-east-1"
        )),
        "{run}"
    );
    assert_eq!(prod.inventory()["stacks"], before, "nothing was deployed");
}
