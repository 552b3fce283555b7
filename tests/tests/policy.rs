//! Compliance rules checked on the synthesized templates themselves: tags on
//! everything CloudFormation can tag, and no secret anywhere.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tests::{synth_trading, workspace_root};

/// cfn-lint's bundled resource schemas (us-east-1), installed by scripts/test.
fn schema_dir() -> PathBuf {
    let lib = workspace_root().join(".venv/lib");
    let python = std::fs::read_dir(&lib)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run scripts/test to install the pinned tools",
                lib.display()
            )
        })
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("python"))
        .expect("a python directory in .venv/lib");
    python.path().join("site-packages/cfnlint/data/schemas")
}

/// The property through which a type takes tags, per its CloudFormation
/// schema, if it takes any.
fn tag_property(schemas: &Path, providers: &Value, cfn_type: &str) -> Option<&'static str> {
    let file = providers[cfn_type]
        .as_str()
        .unwrap_or_else(|| panic!("no schema for {cfn_type}"));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(schemas.join("resources").join(format!("{file}.json"))).unwrap(),
    )
    .unwrap();
    ["Tags", "HealthCheckTags"]
        .into_iter()
        .find(|p| schema["properties"].get(*p).is_some())
}

fn tag_value<'a>(tags: &'a Value, key: &str) -> Option<&'a Value> {
    match tags {
        Value::Array(items) => items.iter().find(|t| t["Key"] == key).map(|t| &t["Value"]),
        Value::Object(map) => map.get(key),
        _ => None,
    }
}

#[test]
fn every_resource_that_can_be_tagged_carries_suffix_region_and_platform_tags() {
    let schemas = schema_dir();
    let providers: Value = serde_json::from_str(
        &std::fs::read_to_string(schemas.join("providers/us-east-1.json")).unwrap(),
    )
    .unwrap();
    let platform = platform_def::platform();
    let mut checked = 0;
    for stack in synth_trading("dev", "prod").stacks {
        let template: Value = serde_json::from_str(&stack.body).unwrap();
        for (id, resource) in template["Resources"].as_object().unwrap() {
            let cfn_type = resource["Type"].as_str().unwrap();
            let Some(property) = tag_property(&schemas, &providers, cfn_type) else {
                continue;
            };
            let tags = &resource["Properties"][property];
            assert_eq!(
                tag_value(tags, "EnvironmentSuffix"),
                Some(&Value::from("dev")),
                "{id} ({cfn_type})"
            );
            assert_eq!(
                tag_value(tags, "Region"),
                Some(&Value::from(stack.region.as_str())),
                "{id}"
            );
            assert_eq!(
                tag_value(tags, "Profile"),
                Some(&Value::from("prod")),
                "{id}"
            );
            for (key, value) in &platform.tags {
                assert_eq!(
                    tag_value(tags, key),
                    Some(&Value::from(value.as_str())),
                    "{id}: {key}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} taggable resources found");
}

/// Walks every string and key of a JSON value.
fn walk<'a>(value: &'a Value, path: &mut Vec<String>, visit: &mut dyn FnMut(&[String], &'a str)) {
    match value {
        Value::String(s) => visit(path, s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                walk(item, path, visit);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                path.push(k.clone());
                visit(path, k);
                walk(v, path, visit);
                path.pop();
            }
        }
        _ => {}
    }
}

#[test]
fn no_template_holds_a_plaintext_secret() {
    let forbidden_properties = [
        "MasterUserPassword",
        "Password",
        "SecretString",
        "SecretAccessKey",
    ];
    for profile in ["dev", "staging", "prod"] {
        for stack in synth_trading("dev", profile).stacks {
            let template: Value = serde_json::from_str(&stack.body).unwrap();
            let mut findings = Vec::new();
            walk(&template, &mut Vec::new(), &mut |path, s| {
                let key = path.last().map(String::as_str).unwrap_or("");
                if forbidden_properties.contains(&key) {
                    findings.push(format!("{}: property {key}", path.join(".")));
                }
                let access_key = s.as_bytes().windows(20).any(|w| {
                    w.starts_with(b"AKIA")
                        && w[4..]
                            .iter()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                });
                if access_key || s.contains("-----BEGIN") || s.contains("aws_secret_access_key") {
                    findings.push(format!("{}: {s:?}", path.join(".")));
                }
            });
            assert!(findings.is_empty(), "{}: {findings:#?}", stack.name);
        }
    }
}
