//! cdk-nag's rule packs AwsSolutions, HIPAA.Security, NIST.800.53.R5 and
//! PCI.DSS.321 over every template the trading platform deploys: each
//! profile's stacks in every region (and their nested templates when
//! split), the pipeline's stack, and the bootstrap stacks of an account.
//!
//! No pack may report an unsuppressed finding: fix the template, or
//! suppress the finding on its resource in
//! `Metadata.cdk_nag.rules_to_suppress` with a reason a bank's reviewer
//! would accept. A suppression without a reason, or one that matches no
//! finding, fails as well.
//!
//! The checker is `tests/cdk-nag/check.mjs` (Node, cdk-nag pinned in
//! `tests/cdk-nag/package.json`, installed by `scripts/test`); one Node
//! process checks every template.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tests::{scratch_dir, synth_trading, workspace_root};

const PACKS: [&str; 4] = [
    "AwsSolutions",
    "HIPAA.Security",
    "NIST.800.53.R5",
    "PCI.DSS.321",
];

/// Runs the checker over `templates`; returns its JSON lines.
fn check(templates: &[PathBuf]) -> Vec<Value> {
    let dir = workspace_root().join("tests").join("cdk-nag");
    assert!(
        dir.join("node_modules").join("cdk-nag").is_dir(),
        "cdk-nag is not installed in {}: run scripts/test (it runs npm ci there), or `npm ci` in that directory",
        dir.display()
    );
    let output = Command::new("node")
        .arg(dir.join("check.mjs"))
        .args(templates)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node (Node.js 20 or newer is needed): {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "check.mjs failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| {
                panic!("check.mjs printed a line that is not JSON ({e}): {line}")
            })
        })
        .collect()
}

/// Every resource of every template was imported and checked.
fn assert_every_resource_checked(templates: &[PathBuf], lines: &[Value]) {
    for path in templates {
        let name = path.file_name().unwrap().to_string_lossy();
        let template: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let resources = template["Resources"].as_object().map_or(0, |r| r.len());
        let checked: Vec<_> = lines
            .iter()
            .filter(|l| l["template"] == *name && !l["resources"].is_null())
            .collect();
        assert_eq!(checked.len(), 1, "{name} checked once: {checked:?}");
        assert_eq!(
            checked[0]["resources"], resources,
            "{name}: not every resource was imported"
        );
    }
}

fn text<'a>(line: &'a Value, key: &str) -> &'a str {
    line[key].as_str().unwrap_or("?")
}

/// The unsuppressed findings of `lines` in `template`, as (pack, id, resource).
fn open_findings<'a>(lines: &'a [Value], template: &str) -> Vec<(&'a str, &'a str, &'a str)> {
    let mut found: Vec<_> = lines
        .iter()
        .filter(|l| l["template"] == template && l["suppressed"] == false)
        .map(|l| (text(l, "pack"), text(l, "id"), text(l, "resource")))
        .collect();
    found.sort();
    found
}

/// Writes every template the trading platform deploys into `dir`: each
/// profile (suffix `dev`, every region, nested templates included), the
/// pipeline's stack (suffix `cicd`) and the bootstrap stacks of the dev
/// account trusting the tooling account. The same set as `scripts/cdk-nag`.
fn write_deployed_templates(dir: &Path) -> Vec<PathBuf> {
    let mut templates = Vec::new();
    let mut write = |name: String, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        templates.push(path);
    };
    for profile in ["dev", "staging", "prod"] {
        for stack in synth_trading("dev", profile).stacks {
            for nested in &stack.nested {
                write(
                    format!("{profile}.{}", nested.file_name(&stack.name)),
                    &nested.body,
                );
            }
            write(format!("{profile}.{}", stack.template_file()), &stack.body);
        }
    }
    let platform = platform_def::platform();
    let suffix = platform_core::naming::Suffix::new("cicd", platform.suffix_max).unwrap();
    for stack in platform_core::synth::synth_pipeline(&platform, &suffix)
        .unwrap()
        .stacks
    {
        write(stack.template_file(), &stack.body);
    }
    // As `tp bootstrap --account 111111111111 --trust 444444444444` does.
    for region in &platform.regions {
        let opts = platform_core::synth::bootstrap::BootstrapOptions {
            region: region.clone(),
            account: "111111111111".into(),
            trust: vec!["444444444444".into()],
            operators: vec![],
            suffixes: vec![("dev".into(), "dev".into())],
            pipeline_suffix: Some("cicd".into()),
        };
        let stacks = platform_core::synth::bootstrap::bootstrap_stacks(&platform, &opts).unwrap();
        write(
            format!("tp-bootstrap-111111111111-{region}.template.json"),
            &stacks.storage.to_string_pretty(),
        );
        write(
            format!("tp-bootstrap-access-111111111111-{region}.template.json"),
            &stacks.access.to_string_pretty(),
        );
    }
    templates
}

/// The harness itself: a bucket without encryption, logging, versioning or
/// a TLS policy, and a role with a wildcard resource, must yield findings
/// in every pack; a suppression in the resource's Metadata must turn
/// exactly its finding into a suppressed one; wrong suppressions are named.
#[test]
fn the_checker_reports_findings_and_honours_suppressions() {
    let dir = scratch_dir("cdk-nag-harness");
    let template = |bucket_rules: Value, role_rules: Value| {
        serde_json::json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "Bucket": {
                    "Type": "AWS::S3::Bucket",
                    "Metadata": { "cdk_nag": { "rules_to_suppress": bucket_rules } },
                },
                "Role": {
                    "Type": "AWS::IAM::Role",
                    "Metadata": { "cdk_nag": { "rules_to_suppress": role_rules } },
                    "Properties": {
                        "AssumeRolePolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [{
                                "Effect": "Allow",
                                "Principal": { "Service": "lambda.amazonaws.com" },
                                "Action": "sts:AssumeRole",
                            }],
                        },
                        "Policies": [{
                            "PolicyName": "read",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [{
                                    "Effect": "Allow",
                                    "Action": "s3:GetObject",
                                    "Resource": "*",
                                }],
                            },
                        }],
                    },
                },
            },
        })
    };
    let reason = "access logs of this bucket are not needed in this test";
    let files = [
        (
            "bad.json",
            template(serde_json::json!([]), serde_json::json!([])),
        ),
        (
            "suppressed.json",
            template(
                serde_json::json!([{ "id": "AwsSolutions-S1", "reason": reason }]),
                serde_json::json!([{ "id": "AwsSolutions-IAM5[Resource::*]", "reason": reason }]),
            ),
        ),
        (
            "wrong.json",
            template(
                // No reason; and a rule this resource does not break.
                serde_json::json!([{ "id": "AwsSolutions-S1" }, { "id": "AwsSolutions-L1", "reason": reason }]),
                // The rule without its finding: cdk-nag 3 matches findings exactly.
                serde_json::json!([{ "id": "AwsSolutions-IAM5", "reason": reason }]),
            ),
        ),
    ];
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|(name, body)| {
            let path = dir.join(name);
            std::fs::write(&path, body.to_string()).unwrap();
            path
        })
        .collect();
    let lines = check(&paths);
    assert_every_resource_checked(&paths, &lines);

    let bad = open_findings(&lines, "bad.json");
    for pack in PACKS {
        assert!(
            bad.iter().any(|(p, _, r)| *p == pack && *r == "Bucket"),
            "no {pack} finding on the unencrypted, unlogged bucket: {bad:?}"
        );
    }
    for expected in [
        ("AwsSolutions", "AwsSolutions-S1", "Bucket"),
        ("AwsSolutions", "AwsSolutions-IAM5[Resource::*]", "Role"),
        (
            "HIPAA.Security",
            "HIPAA.Security-S3BucketLoggingEnabled",
            "Bucket",
        ),
        (
            "NIST.800.53.R5",
            "NIST.800.53.R5-S3DefaultEncryptionKMS",
            "Bucket",
        ),
        (
            "PCI.DSS.321",
            "PCI.DSS.321-S3BucketSSLRequestsOnly",
            "Bucket",
        ),
    ] {
        assert!(bad.contains(&expected), "{expected:?} missing from {bad:?}");
    }
    assert!(
        lines
            .iter()
            .all(|l| l["template"] != "bad.json" || l["problem"].is_null()),
        "{lines:?}"
    );

    // Exactly the two suppressed findings leave the unsuppressed ones, and
    // are reported as suppressed with their reason.
    let expected: Vec<_> = bad
        .iter()
        .filter(|(_, id, _)| !["AwsSolutions-S1", "AwsSolutions-IAM5[Resource::*]"].contains(id))
        .cloned()
        .collect();
    assert_eq!(open_findings(&lines, "suppressed.json"), expected);
    let mut suppressed: Vec<_> = lines
        .iter()
        .filter(|l| l["template"] == "suppressed.json" && l["suppressed"] == true)
        .map(|l| (text(l, "id"), text(l, "resource"), text(l, "reason")))
        .collect();
    suppressed.sort();
    assert_eq!(
        suppressed,
        [
            ("AwsSolutions-IAM5[Resource::*]", "Role", reason),
            ("AwsSolutions-S1", "Bucket", reason),
        ]
    );

    // Wrong suppressions suppress nothing and are each named.
    assert_eq!(open_findings(&lines, "wrong.json"), bad);
    let mut problems: Vec<_> = lines
        .iter()
        .filter(|l| l["template"] == "wrong.json" && !l["problem"].is_null())
        .map(|l| (text(l, "resource"), text(l, "id"), text(l, "problem")))
        .collect();
    problems.sort();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert_eq!(problems[0].0, "Bucket");
    assert_eq!(problems[0].1, "AwsSolutions-L1");
    assert!(problems[0].2.contains("matches no finding"), "{problems:?}");
    assert_eq!(problems[1].1, "AwsSolutions-S1");
    assert!(problems[1].2.contains("no reason"), "{problems:?}");
    assert_eq!(problems[2].0, "Role");
    assert!(
        problems[2].2.contains("AwsSolutions-IAM5[Action::s3:*]"),
        "{problems:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_cdk_nag_finding_is_fixed_or_suppressed_with_a_reason() {
    let dir = scratch_dir("cdk-nag");
    let templates = write_deployed_templates(&dir);
    let lines = check(&templates);
    assert_every_resource_checked(&templates, &lines);

    // pack -> rule -> the unsuppressed findings.
    let mut found: BTreeMap<&str, BTreeMap<&str, Vec<&Value>>> = BTreeMap::new();
    let mut suppressed: BTreeMap<&str, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for line in &lines {
        if !line["resources"].is_null() {
            continue;
        } else if !line["problem"].is_null() {
            problems.push(format!(
                "{} {} {}: {}",
                text(line, "template"),
                text(line, "resource"),
                text(line, "id"),
                text(line, "problem")
            ));
        } else if line["suppressed"] == true {
            *suppressed.entry(text(line, "pack")).or_default() += 1;
        } else {
            found
                .entry(text(line, "pack"))
                .or_default()
                .entry(text(line, "rule"))
                .or_default()
                .push(line);
        }
    }
    let mut figures = format!(
        "cdk-nag over {} templates: unsuppressed (suppressed) findings per pack\n",
        templates.len()
    );
    for pack in PACKS {
        let rules = found.get(pack).cloned().unwrap_or_default();
        let total: usize = rules.values().map(Vec::len).sum();
        figures.push_str(&format!(
            "{pack}: {total} ({})\n",
            suppressed.get(pack).copied().unwrap_or(0)
        ));
        let mut by_count: Vec<_> = rules.iter().collect();
        by_count.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        for (rule, findings) in by_count {
            figures.push_str(&format!("  {:>4}  {rule}\n", findings.len()));
        }
    }
    println!("{figures}");

    let mut open = Vec::new();
    for pack in PACKS {
        for (rule, findings) in found.get(pack).cloned().unwrap_or_default() {
            let mut text_out = format!(
                "{rule}: {} findings. {}\n",
                findings.len(),
                text(findings[0], "message")
            );
            for f in findings.iter().take(40) {
                text_out.push_str(&format!(
                    "    {} {} {}\n",
                    text(f, "template"),
                    text(f, "resource"),
                    text(f, "id")
                ));
            }
            if findings.len() > 40 {
                text_out.push_str(&format!(
                    "    ... and {} more (scripts/cdk-nag --findings lists every one)\n",
                    findings.len() - 40
                ));
            }
            open.push(text_out);
        }
    }
    let mut failures = String::new();
    if !open.is_empty() {
        failures.push_str(&format!(
            "unsuppressed cdk-nag findings. Fix the template, or suppress the finding on its resource with \
             `Metadata.cdk_nag.rules_to_suppress: [{{\"id\": \"<id as listed>\", \"reason\": \"<why a reviewer accepts it>\"}}]`:\n{}\n",
            open.join("")
        ));
    }
    if !problems.is_empty() {
        failures.push_str(&format!(
            "wrong cdk-nag suppressions:\n  {}\n",
            problems.join("\n  ")
        ));
    }
    assert!(failures.is_empty(), "{failures}\n{figures}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A split stack's templates import too: the parent (whose nested stacks
/// are `AWS::CloudFormation::Stack` resources with parameters) and each
/// nested template (parameters fed by the parent) on its own.
#[test]
fn the_checker_imports_a_split_stack_and_its_nested_templates() {
    let code = workspace_root().join("platform-core/tests/fixtures/handler");
    let platform = platform_core::generate::platform(2_000, "us-east-1", &code.to_string_lossy());
    let deployment = platform_core::synth::Deployment::new(&platform, "dev", None, &[]).unwrap();
    let assembly = platform_core::synth::synth(&platform, &deployment).unwrap();
    let stack = &assembly.stacks[0];
    assert!(
        stack.nested.len() > 1,
        "the generated platform was not split"
    );
    let dir = scratch_dir("cdk-nag-split");
    let mut paths = vec![dir.join(stack.template_file())];
    std::fs::write(&paths[0], &stack.body).unwrap();
    for nested in &stack.nested {
        let path = dir.join(nested.file_name(&stack.name));
        std::fs::write(&path, &nested.body).unwrap();
        paths.push(path);
    }
    let lines = check(&paths);
    assert_every_resource_checked(&paths, &lines);
    std::fs::remove_dir_all(&dir).unwrap();
}
