//! The linters over every template the platform synthesizes, for every
//! profile and with both a short suffix and the longest one allowed:
//! cfn-lint with zero errors and zero warnings, checkov with zero failed
//! checks (skips carry their justification in the resource's Metadata).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tests::{python_tool, run, scratch_dir, synth_trading};

/// A platform with what the trading platform may not declare yet: database
/// users of each privilege level, and a migration run after each deploy.
mod databases {
    platform_macros::platform! {
        platform dbusers {
            regions: [us_east_1],
            suffix: max 12,
            profiles: [dev, prod],
        }

        key data {}
        network core {
            cidr: region(us_east_1: "10.0.0.0/16"),
            azs: 2,
            endpoints: [secretsmanager, kms, sqs],
            key: data,
        }
        aurora trades { engine: postgres "16.10", capacity: 0.5..=2, network: core, key: data }
        db_user trading_app { cluster: trades, privileges: dml, key: data }
        db_user trading_reports { cluster: trades, privileges: read_only, key: data }
        db_user trading_owner { cluster: trades, privileges: owner, key: data }
        queue failed { retention: 14d, key: data }
        function api {
            code: "../platform-core/tests/fixtures/handler",
            key: data,
            network: core,
            concurrency: 2,
            dead_letter: failed,
            env: { DB_SECRET_ARN: trading_app.secret_arn, DB_USER: trading_app.name },
            grants: { trading_app: connect },
        }
        function migrate {
            code: "../platform-core/tests/fixtures/handler",
            key: data,
            network: core,
            timeout: 300s,
            concurrency: 1,
            run: after_deploy,
            env: { OWNER_SECRET_ARN: trading_owner.secret_arn, MASTER_SECRET_ARN: trades.secret_arn },
            grants: {
                trades: read_secret,
                trading_app: connect,
                trading_reports: connect,
                trading_owner: connect,
            },
        }
    }
}

/// Writes every template of every profile into `dir`.
fn write_all_templates(dir: &Path) -> Vec<PathBuf> {
    let longest_suffix = "a".repeat(platform_def::platform().suffix_max);
    let mut templates = Vec::new();
    for profile in ["dev", "staging", "prod"] {
        for suffix in ["dev", longest_suffix.as_str()] {
            for stack in synth_trading(suffix, profile).stacks {
                let path = dir.join(format!("{profile}.{}", stack.template_file()));
                std::fs::write(&path, &stack.body).unwrap();
                templates.push(path);
            }
        }
    }
    // Database users and an after-deploy function.
    let platform = databases::platform();
    for profile in ["dev", "prod"] {
        let deployment =
            platform_core::synth::Deployment::new(&platform, "dev", Some(profile), &[]).unwrap();
        for stack in platform_core::synth::synth(&platform, &deployment)
            .unwrap()
            .stacks
        {
            let path = dir.join(format!("dbusers.{profile}.{}", stack.template_file()));
            std::fs::write(&path, &stack.body).unwrap();
            templates.push(path);
        }
    }
    // The promotion pipeline's own stack, with a short and the longest
    // suffix; and with an account per profile and an approval topic.
    let mut with_accounts = platform_def::platform();
    with_accounts.accounts = Some(platform_core::spec::PerProfile::ByProfile(vec![
        ("dev".into(), "111111111111".into()),
        ("staging".into(), "222222222222".into()),
        ("prod".into(), "333333333333".into()),
    ]));
    if let Some(pipeline) = with_accounts.pipeline.as_mut() {
        pipeline.notify = Some("alerts".into());
    }
    for (variant, platform) in [("", platform_def::platform()), ("accounts.", with_accounts)] {
        for suffix in ["cicd", longest_suffix.as_str()] {
            let suffix = platform_core::naming::Suffix::new(suffix, platform.suffix_max).unwrap();
            for stack in platform_core::synth::synth_pipeline(&platform, &suffix)
                .unwrap()
                .stacks
            {
                let path = dir.join(format!("{variant}{}", stack.template_file()));
                std::fs::write(&path, &stack.body).unwrap();
                templates.push(path);
            }
        }
    }
    // The bootstrap stack of the dev account, trusting the tooling account,
    // and of the tooling account, where the pipeline runs.
    let platform = platform_def::platform();
    for (account, suffixes) in [("111111111111", vec!["dev"]), ("444444444444", vec![])] {
        for region in &platform.regions {
            let opts = platform_core::synth::bootstrap::BootstrapOptions {
                region: region.clone(),
                account: account.into(),
                trust: vec!["444444444444".into()],
                operators: vec![format!("arn:aws:iam::{account}:role/Admin")],
                suffixes: suffixes
                    .iter()
                    .map(|s: &&str| (s.to_string(), s.to_string()))
                    .collect(),
                pipeline_suffix: Some("cicd".into()),
            };
            let template =
                platform_core::synth::bootstrap::bootstrap_template(&platform, &opts).unwrap();
            let path = dir.join(format!("bootstrap.{account}.{region}.template.json"));
            std::fs::write(&path, template.to_string_pretty()).unwrap();
            templates.push(path);
        }
    }
    templates
}

fn cfn_lint(templates: &[PathBuf]) -> (i32, String) {
    let mut args: Vec<&Path> = vec![
        Path::new("--format"),
        Path::new("parseable"),
        Path::new("--"),
    ];
    args.extend(templates.iter().map(PathBuf::as_path));
    run(&python_tool("CFN_LINT", "cfn-lint"), &args)
}

/// What checkov reported over a directory.
struct Checkov {
    failed: u64,
    /// The failures as text, one a line.
    text: String,
    /// (template file name, logical id, check id) of each check skipped.
    skipped: BTreeSet<(String, String, String)>,
}

/// Runs checkov over `dir`.
fn checkov(dir: &Path) -> Checkov {
    let checkov = python_tool("CHECKOV", "checkov");
    let output = std::process::Command::new(&checkov)
        .args([
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--compact",
            "-d",
        ])
        .arg(dir)
        .output()
        .expect("run checkov");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "checkov did not print a JSON report ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    // One report per framework run: an object, or a list of them.
    let reports = match report {
        serde_json::Value::Array(items) => items,
        single => vec![single],
    };
    let mut failed = 0;
    let mut text = String::new();
    let mut skipped = BTreeSet::new();
    for report in &reports {
        for check in report["results"]["skipped_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let file = check["file_path"].as_str().unwrap_or("?");
            let resource = check["resource"].as_str().unwrap_or("?");
            skipped.insert((
                file.rsplit('/').next().unwrap_or(file).to_owned(),
                // `AWS::S3::Bucket.LogicalId`
                resource.rsplit('.').next().unwrap_or(resource).to_owned(),
                check["check_id"].as_str().unwrap_or("?").to_owned(),
            ));
        }
        failed += report["summary"]["failed"].as_u64().unwrap_or(0);
        for check in report["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            text.push_str(&format!(
                "{} {} {}: {}\n",
                check["check_id"].as_str().unwrap_or("?"),
                check["file_path"].as_str().unwrap_or("?"),
                check["resource"].as_str().unwrap_or("?"),
                check["check_name"].as_str().unwrap_or("?"),
            ));
        }
    }
    Checkov {
        failed,
        text,
        skipped,
    }
}

/// (template file name, logical id, check id) of each checkov skip the
/// templates' resources declare (`Metadata.checkov.skip`).
fn skips_declared(templates: &[PathBuf]) -> BTreeSet<(String, String, String)> {
    let mut skips = BTreeSet::new();
    for path in templates {
        let template: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for (id, resource) in template["Resources"].as_object().into_iter().flatten() {
            for skip in resource["Metadata"]["checkov"]["skip"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let check = skip["id"].as_str().unwrap_or("?").to_owned();
                skips.insert((file.clone(), id.clone(), check));
            }
        }
    }
    skips
}

#[test]
fn cfn_lint_accepts_every_template_with_no_errors_or_warnings() {
    let dir = scratch_dir("cfn-lint");
    let templates = write_all_templates(&dir);
    let (code, output) = cfn_lint(&templates);
    assert_eq!(code, 0, "cfn-lint exit code {code}:\n{output}");
    assert!(output.trim().is_empty(), "cfn-lint reported:\n{output}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Zero failed checks; and every skip is of a check checkov applied: a skip
/// of a check it never runs on CloudFormation (one implemented for
/// Terraform only) hides nothing and tells a reviewer something false.
#[test]
fn checkov_fails_no_check_on_any_template() {
    let dir = scratch_dir("checkov");
    let templates = write_all_templates(&dir);
    let report = checkov(&dir);
    assert_eq!(report.failed, 0, "checkov failed checks:\n{}", report.text);
    let inert: Vec<String> = skips_declared(&templates)
        .difference(&report.skipped)
        .map(|(file, resource, check)| format!("{check} on {resource} in {file}"))
        .collect();
    assert!(
        inert.is_empty(),
        "checkov skips that checkov never applied to these templates (it runs no such check on CloudFormation, or none on that resource's type): remove them from the synth and from README's checkov table:\n  {}",
        inert.join("\n  ")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The harness itself: both linters must reject a template with a real
/// mistake, or the tests above prove nothing.
#[test]
fn the_linters_reject_a_broken_template() {
    let dir = scratch_dir("linters-broken");
    let body = &synth_trading("dev", "dev").stacks[0].body;
    // cfn-lint: a value CloudFormation rejects.
    let invalid = body.replace("\"PAY_PER_REQUEST\"", "\"ON_DEMAND\"");
    assert_ne!(&invalid, body);
    let path = dir.join("invalid.template.json");
    std::fs::write(&path, invalid).unwrap();
    let (code, output) = cfn_lint(std::slice::from_ref(&path));
    assert_ne!(
        code, 0,
        "cfn-lint accepted an invalid BillingMode:\n{output}"
    );
    assert!(output.contains("ON_DEMAND"), "{output}");
    std::fs::remove_file(&path).unwrap();
    // checkov: a table without point-in-time recovery.
    let insecure = body.replace(
        "\"PointInTimeRecoveryEnabled\": true",
        "\"PointInTimeRecoveryEnabled\": false",
    );
    assert_ne!(&insecure, body);
    std::fs::write(dir.join("insecure.template.json"), insecure).unwrap();
    let report = checkov(&dir);
    assert!(report.failed > 0, "checkov accepted a table without PITR");
    assert!(report.text.contains("CKV_AWS_28"), "{}", report.text);
    std::fs::remove_dir_all(&dir).unwrap();
}
