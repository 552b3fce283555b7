//! Deploy order and the parameters `tp` fills: a stack importing an output
//! of the environment's global stack deploys after it, with that output and
//! the id of a looked-up hosted zone as parameter values; a deploy that
//! cannot read them is refused before anything changes.

use std::collections::BTreeMap;

use serde_json::json;

use super::*;

const GLOBAL: &str = "trading-platform-us-east-1-waves";
const REGIONAL: &str = "trading-platform-us-east-2-waves";
const DOMAIN: &str = "waves.example.com";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn session(endpoint: &str, region: &str) -> cli::aws::Session {
    let connection = cli::aws::Connection::to_endpoint(endpoint, "testing", "testing");
    runtime()
        .block_on(cli::aws::Session::new(region, &connection))
        .expect("session")
}

/// An artifact directory as `tp synth` writes one, of two small stacks:
/// the global stack in us-east-1 gives an output, the us-east-2 stack
/// takes it and the id of the zone of `domain` as parameters.
fn artifact(dir: &Path, domain: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let global = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Marker": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Name": "/waves/global-marker", "Type": "String", "Value": "global"}}},
        "Outputs": {"GlobalMarker": {"Value": {"Ref": "Marker"}}},
    });
    let regional = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {
            "GlobalMarker": {"Type": "String"},
            "PublicZoneId": {"Type": "String"},
        },
        "Resources": {"Imported": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Name": "/waves/imported", "Type": "String",
            "Value": {"Fn::Sub": "${GlobalMarker} ${PublicZoneId}"}}}},
    });
    let mut stacks = Vec::new();
    for (name, region, template, imports, zones) in [
        (GLOBAL, "us-east-1", global, json!([]), json!([])),
        (
            REGIONAL,
            "us-east-2",
            regional,
            json!([{"parameter": "GlobalMarker", "stack": GLOBAL, "region": "us-east-1", "output": "GlobalMarker"}]),
            json!([{"parameter": "PublicZoneId", "domain": domain}]),
        ),
    ] {
        let file = format!("{name}.template.json");
        let body = serde_json::to_string_pretty(&template).unwrap();
        std::fs::write(dir.join(&file), &body).unwrap();
        stacks.push(json!({
            "name": name,
            "region": region,
            "template": file,
            "sha256": platform_core::synth::sha256_hex(body.as_bytes()),
            "assets": [],
            "nested": [],
            "imports": imports,
            "zone_lookups": zones,
        }));
    }
    let manifest = json!({
        "version": 1,
        "platform": platform_def::platform().name,
        "suffix": "waves",
        "profile": "dev",
        "regions": ["us-east-1", "us-east-2"],
        "assets": [],
        "stacks": stacks,
    });
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
}

/// The stack's parameters, or `None` when it does not exist.
fn parameters(s: &cli::aws::Session, name: &str) -> Option<BTreeMap<String, String>> {
    let stack = runtime()
        .block_on(cli::stacks::find(s, name))
        .expect("describe")?;
    Some(
        stack
            .parameters()
            .iter()
            .map(|p| {
                (
                    p.parameter_key().unwrap_or_default().to_owned(),
                    p.parameter_value().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
    )
}

#[test]
fn the_global_stack_deploys_first_and_fills_the_regional_stacks_parameters() {
    let moto = Moto::start("waves");
    let endpoint = moto.endpoint();
    let dir = scratch("waves");
    let tp = |args: &[&str]| tp_run(&endpoint, &dir, args);
    let run = tp(&[
        "bootstrap",
        "--region",
        "us-east-1",
        "--region",
        "us-east-2",
    ]);
    assert_eq!(run.code, 0, "{run}");
    let east1 = session(&endpoint, "us-east-1");
    let east2 = session(&endpoint, "us-east-2");
    let zone = runtime()
        .block_on(
            east1
                .route53
                .create_hosted_zone()
                .name(DOMAIN)
                .caller_reference("waves")
                .send(),
        )
        .expect("create the hosted zone");
    let zone_id = zone
        .hosted_zone()
        .unwrap()
        .id()
        .trim_start_matches("/hostedzone/")
        .to_owned();

    let release = dir.join("release");
    artifact(&release, DOMAIN);
    let from = release.to_str().unwrap();
    let deploy = ["deploy", "--from", from, "--suffix", "waves"];
    let nothing_deployed = || {
        assert!(parameters(&east1, GLOBAL).is_none(), "{GLOBAL} was created");
        assert!(
            parameters(&east2, REGIONAL).is_none(),
            "{REGIONAL} was created"
        );
    };

    // us-east-2 alone, before the global stack exists: refused.
    let run = tp(&[&deploy[..], &["--region", "us-east-2"]].concat());
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("deploy the global region first"),
        "{run}"
    );
    assert!(
        run.stderr
            .contains(&format!("output GlobalMarker of {GLOBAL} in us-east-1")),
        "{run}"
    );
    nothing_deployed();

    // A domain without a zone in the account: refused, naming it.
    let missing = dir.join("missing");
    artifact(&missing, "missing.example.com");
    let run = tp(&[
        "deploy",
        "--from",
        missing.to_str().unwrap(),
        "--suffix",
        "waves",
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("no public hosted zone named missing.example.com"),
        "{run}"
    );
    nothing_deployed();

    // The first deploy: the regional stack's change set waits for the
    // global stack's output.
    let run = tp(&deploy);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains(&format!(
            "deploy order (a stack after those whose outputs it imports): 1. {GLOBAL} (us-east-1); 2. {REGIONAL} (us-east-2)"
        )),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("prepared and reviewed once the stacks before it are deployed"),
        "{run}"
    );
    let global = runtime()
        .block_on(cli::stacks::find(&east1, GLOBAL))
        .unwrap()
        .expect("the global stack");
    let marker = cli::stacks::outputs(&global)
        .into_iter()
        .find(|(k, _)| k == "GlobalMarker")
        .map(|(_, v)| v)
        .expect("the global stack's output");
    assert_eq!(marker, "/waves/global-marker");
    assert_eq!(
        parameters(&east2, REGIONAL).expect("the regional stack"),
        BTreeMap::from([
            ("GlobalMarker".to_owned(), marker.clone()),
            ("PublicZoneId".to_owned(), zone_id.clone()),
        ])
    );

    // Deployed once, every import is known before anything executes: one
    // review, and nothing changes.
    let run = tp(&deploy);
    assert_eq!(run.code, 0, "{run}");
    assert!(!run.stdout.contains("prepared and reviewed once"), "{run}");
    // Said once per stack in the summary, once in its details.
    assert_eq!(run.stdout.matches("  no changes\n").count(), 2, "{run}");
    assert_eq!(run.stdout.matches("\nno changes\n").count(), 2, "{run}");
    assert!(!run.stdout.contains("Outputs of"), "{run}");

    // Now us-east-2 alone reads the deployed global stack.
    let run = tp(&[&deploy[..], &["--region", "us-east-2"]].concat());
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(
        parameters(&east2, REGIONAL).unwrap()["GlobalMarker"],
        marker
    );
}
