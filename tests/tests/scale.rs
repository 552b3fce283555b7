//! A platform too large for one CloudFormation stack: a generated platform
//! of 2,000 declared resources is split into a parent and nested stacks,
//! every template within CloudFormation's limits, wired consistently, the
//! same on every run, and clean under cfn-lint. The trading platform itself
//! stays one stack per region.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use platform_core::synth::{self, Assembly, Deployment, ROOT_STACK_NAME_PARAMETER, limits};
use platform_core::template::Value;
use serde_json::Value as Json;
use tests::{python_tool, run, scratch_dir, synth_trading, workspace_root};

const DECLARED: usize = 2_000;

fn synth_generated() -> (platform_core::spec::Platform, Assembly) {
    let code = workspace_root().join("platform-core/tests/fixtures/handler");
    let platform =
        platform_core::generate::platform(DECLARED, "us-east-1", &code.to_string_lossy());
    let deployment = Deployment::new(&platform, "dev", None, &[]).unwrap();
    let assembly = synth::synth(&platform, &deployment).unwrap();
    (platform, assembly)
}

#[test]
fn the_trading_platform_stays_one_stack_per_region() {
    for profile in ["dev", "prod"] {
        let assembly = synth_trading("dev", profile);
        assert_eq!(assembly.stacks.len(), 3);
        for stack in &assembly.stacks {
            assert!(stack.nested.is_empty(), "{} was split", stack.name);
            assert!(
                stack
                    .template
                    .resources
                    .values()
                    .all(|r| r.cfn_type != "AWS::CloudFormation::Stack"),
                "{} has a nested stack",
                stack.name
            );
        }
    }
}

#[test]
fn a_large_platform_is_split_into_nested_stacks_within_every_limit() {
    let (platform, assembly) = synth_generated();
    assert_eq!(assembly.stacks.len(), 1);
    let stack = &assembly.stacks[0];
    assert!(
        stack.nested.len() > 2,
        "{} nested stacks",
        stack.nested.len()
    );

    // The parent holds only the nested stacks.
    assert_eq!(stack.template.resources.len(), stack.nested.len());
    assert!(stack.template.outputs.is_empty());
    for template in std::iter::once(&stack.template).chain(stack.nested.iter().map(|n| &n.template))
    {
        assert!(template.resources.len() <= limits::MAX_RESOURCES);
        assert!(template.outputs.len() <= limits::MAX_OUTPUTS);
        assert!(template.parameters.len() <= limits::MAX_PARAMETERS);
    }
    assert!(stack.body.len() <= limits::MAX_S3_BODY);
    for nested in &stack.nested {
        assert!(
            nested.body.len() <= limits::MAX_S3_BODY,
            "{}",
            nested.logical_id
        );
    }

    // Every declared resource lands in exactly one nested stack, whole.
    let mut seen = BTreeSet::new();
    for nested in &stack.nested {
        for id in nested.template.resources.keys() {
            assert!(seen.insert(id.clone()), "{id} is in two nested stacks");
        }
    }
    for r in &platform.resources {
        let id = platform_core::naming::logical_id(r.spec.kind().info(), &r.name);
        assert!(seen.contains(&id), "{id} is in no nested stack");
    }
    // As many as one template would hold: the key and its alias, 19 per
    // full cell of ten, 17 for the last cell, which lacks its schedule.
    assert_eq!(seen.len(), 2 + 19 * 199 + 17);
}

#[test]
fn nested_stacks_are_wired_through_parameters_and_outputs() {
    let (_, assembly) = synth_generated();
    let stack = &assembly.stacks[0];
    let parent: Json = serde_json::from_str(&stack.body).unwrap();
    let mut cross_references = 0;
    for nested in &stack.nested {
        let resource = &parent["Resources"][&nested.logical_id];
        assert_eq!(resource["Type"], "AWS::CloudFormation::Stack");
        // Named by content, in the asset bucket.
        let url = resource["Properties"]["TemplateURL"]["Fn::Sub"]
            .as_str()
            .unwrap();
        assert!(url.starts_with("https://${AssetBucket}.s3."), "{url}");
        assert!(url.ends_with(&format!("/{}", nested.s3_key())), "{url}");
        assert_eq!(
            nested.sha256,
            platform_core::synth::sha256_hex(nested.body.as_bytes())
        );
        // The parent passes exactly the parameters the nested template takes.
        let passed: BTreeSet<String> = resource["Properties"]["Parameters"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let taken: BTreeSet<String> = nested.template.parameters.keys().cloned().collect();
        assert_eq!(passed, taken, "{}", nested.logical_id);
        for (name, value) in resource["Properties"]["Parameters"]
            .as_object()
            .into_iter()
            .flatten()
        {
            if let Some(get_att) = value.get("Fn::GetAtt") {
                // ... from an output that the other nested stack has.
                let source = get_att[0].as_str().unwrap();
                let output = get_att[1]
                    .as_str()
                    .unwrap()
                    .strip_prefix("Outputs.")
                    .unwrap();
                assert_eq!(output, name);
                let source = stack
                    .nested
                    .iter()
                    .find(|n| n.logical_id == source)
                    .unwrap();
                assert!(
                    source.template.outputs.contains_key(output),
                    "{source:?}.{output}",
                    source = source.logical_id
                );
                cross_references += 1;
            } else if name == ROOT_STACK_NAME_PARAMETER {
                assert_eq!(value, &serde_json::json!({"Ref": "AWS::StackName"}));
            } else {
                assert_eq!(value, &serde_json::json!({"Ref": name}));
                assert!(stack.template.parameters.contains_key(name), "{name}");
            }
        }
        // Exports keep the names an unsplit stack gives them.
        for output in nested.template.outputs.values() {
            if let Some(Value::Sub(s, _)) = &output.export {
                assert!(s.starts_with("${RootStackName}-"), "{s}");
            }
        }
    }
    assert!(cross_references > 0);
}

#[test]
fn splitting_is_deterministic() {
    let (_, a) = synth_generated();
    let (_, b) = synth_generated();
    assert_eq!(a.stacks[0].body, b.stacks[0].body);
    assert_eq!(a.stacks[0].nested, b.stacks[0].nested);
    assert_eq!(a.manifest(), b.manifest());
}

#[test]
fn split_templates_pass_cfn_lint_with_no_errors_or_warnings() {
    let (_, assembly) = synth_generated();
    let dir = scratch_dir("split-cfn-lint");
    let out = dir.join("tp.out");
    assembly.write_to(&out).unwrap();
    let stack = &assembly.stacks[0];
    let mut templates: Vec<PathBuf> = vec![out.join(stack.template_file())];
    templates.extend(
        stack
            .nested
            .iter()
            .map(|n| out.join(n.file_name(&stack.name))),
    );
    for t in &templates {
        assert!(t.is_file(), "{} was not written", t.display());
    }
    let mut args: Vec<&Path> = vec![
        Path::new("--format"),
        Path::new("parseable"),
        Path::new("--"),
    ];
    args.extend(templates.iter().map(PathBuf::as_path));
    let (code, output) = run(&python_tool("CFN_LINT", "cfn-lint"), &args);
    assert_eq!(code, 0, "cfn-lint exit code {code}:\n{output}");
    assert!(output.trim().is_empty(), "cfn-lint reported:\n{output}");
    std::fs::remove_dir_all(&dir).unwrap();
}
