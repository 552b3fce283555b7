//! What a deploy would change, from a comparison of the deployed template
//! with the synthesized one.
//!
//! Replacement is predicted from CloudFormation's own schemas (the
//! create-only properties in [`platform_core::cfn_facts`]), so the guards work
//! the same whether or not a change set reports `Replacement`.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde_json::Value;

/// What happens to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Add,
    Modify,
    Remove,
}

/// Whether a modification replaces the resource (a new physical resource,
/// the old one deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Replacement {
    Never,
    /// A create-only property changes to a value only known at deploy time.
    Conditional,
    Always,
}

/// One changed property, as a path into the resource (`Properties.Tags[2].Value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyChange {
    pub path: String,
    /// Whether changing it replaces the resource.
    pub replaces: bool,
}

/// One resource's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceChange {
    pub logical_id: String,
    pub resource_type: String,
    pub action: Action,
    pub replacement: Replacement,
    pub properties: Vec<PropertyChange>,
}

/// The resource changes turning `old` into `new` (both whole templates;
/// `old` is `null` when the stack does not exist yet), sorted by logical id.
pub fn compare(old: &Value, new: &Value) -> Vec<ResourceChange> {
    let empty = serde_json::Map::new();
    let old_resources = old["Resources"].as_object().unwrap_or(&empty);
    let new_resources = new["Resources"].as_object().unwrap_or(&empty);
    let ids: BTreeSet<&String> = old_resources.keys().chain(new_resources.keys()).collect();
    let mut changes = Vec::new();
    for id in ids {
        match (old_resources.get(id), new_resources.get(id)) {
            (None, Some(resource)) => changes.push(ResourceChange {
                logical_id: id.clone(),
                resource_type: type_of(resource),
                action: Action::Add,
                replacement: Replacement::Never,
                properties: Vec::new(),
            }),
            (Some(resource), None) => changes.push(ResourceChange {
                logical_id: id.clone(),
                resource_type: type_of(resource),
                action: Action::Remove,
                replacement: Replacement::Never,
                properties: Vec::new(),
            }),
            (Some(before), Some(after)) if before != after => {
                changes.push(modification(id, before, after));
            }
            _ => {}
        }
    }
    changes
}

fn type_of(resource: &Value) -> String {
    resource["Type"].as_str().unwrap_or("?").to_owned()
}

fn modification(id: &str, before: &Value, after: &Value) -> ResourceChange {
    let resource_type = type_of(after);
    if type_of(before) != resource_type {
        return ResourceChange {
            logical_id: id.to_owned(),
            resource_type,
            action: Action::Modify,
            replacement: Replacement::Always,
            properties: vec![PropertyChange {
                path: "Type".into(),
                replaces: true,
            }],
        };
    }
    let create_only = platform_core::catalog::create_only_properties(&resource_type);
    let mut paths = Vec::new();
    leaf_differences(before, after, String::new(), &mut paths);
    let mut replacement = Replacement::Never;
    let properties = paths
        .into_iter()
        .map(|path| {
            let top = path
                .strip_prefix("Properties.")
                .map(|rest| rest.split(['.', '[']).next().unwrap_or(rest));
            let replaces = top.is_some_and(|p| create_only.iter().any(|c| c == p));
            if replaces {
                let resolved_at_deploy = top
                    .map(|p| has_intrinsic(&after["Properties"][p]))
                    .unwrap_or(false);
                let this = if resolved_at_deploy {
                    Replacement::Conditional
                } else {
                    Replacement::Always
                };
                replacement = replacement.max(this);
            }
            PropertyChange { path, replaces }
        })
        .collect();
    ResourceChange {
        logical_id: id.to_owned(),
        resource_type,
        action: Action::Modify,
        replacement,
        properties,
    }
}

fn has_intrinsic(value: &Value) -> bool {
    match value {
        Value::Object(map) => {
            map.keys().any(|k| k == "Ref" || k.starts_with("Fn::"))
                || map.values().any(has_intrinsic)
        }
        Value::Array(items) => items.iter().any(has_intrinsic),
        _ => false,
    }
}

/// Paths where `a` and `b` differ, down to the first level where they are
/// not both objects or both arrays of the same length.
fn leaf_differences(a: &Value, b: &Value, path: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) if p == q => {}
                    (Some(p), Some(q)) => leaf_differences(p, q, child, out),
                    _ => out.push(child),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if p != q {
                    leaf_differences(p, q, format!("{path}[{i}]"), out);
                }
            }
        }
        _ if a != b => out.push(path),
        _ => {}
    }
}

/// The human-readable rendering: one line per resource, changed properties
/// beneath, replacements called out.
pub fn render(changes: &[ResourceChange]) -> String {
    if changes.is_empty() {
        return "no changes\n".into();
    }
    let mut out = String::new();
    for change in changes {
        let (mark, note) = match (change.action, change.replacement) {
            (Action::Add, _) => ("[+]", ""),
            (Action::Remove, _) => ("[-]", ""),
            (Action::Modify, Replacement::Always) => ("[~]", " (replacement)"),
            (Action::Modify, Replacement::Conditional) => ("[~]", " (may be replaced)"),
            (Action::Modify, Replacement::Never) => ("[~]", ""),
        };
        let _ = writeln!(
            out,
            "{mark} {} {}{note}",
            change.resource_type, change.logical_id
        );
        for property in &change.properties {
            let replaces = if property.replaces { " (replaces)" } else { "" };
            let _ = writeln!(out, "    └─ {}{replaces}", property.path);
        }
    }
    let count = |action| changes.iter().filter(|c| c.action == action).count();
    let replaced = changes
        .iter()
        .filter(|c| c.replacement != Replacement::Never)
        .count();
    let _ = writeln!(
        out,
        "{} to add, {} to modify ({replaced} replaced), {} to remove",
        count(Action::Add),
        count(Action::Modify),
        count(Action::Remove)
    );
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn template(resources: Value) -> Value {
        json!({ "Resources": resources })
    }

    #[test]
    fn a_new_stack_adds_everything() {
        let new =
            template(json!({"B": {"Type": "AWS::SQS::Queue"}, "A": {"Type": "AWS::SNS::Topic"}}));
        let changes = compare(&Value::Null, &new);
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].logical_id, "A");
        assert!(changes.iter().all(|c| c.action == Action::Add));
    }

    #[test]
    fn identical_templates_change_nothing() {
        let t = template(
            json!({"A": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}}}),
        );
        assert!(compare(&t, &t).is_empty());
        assert_eq!(render(&[]), "no changes\n");
    }

    #[test]
    fn property_paths_are_reported_to_the_leaf() {
        let old = template(json!({"Q": {"Type": "AWS::SQS::Queue", "Properties": {
            "VisibilityTimeout": 30, "Tags": [{"Key": "a", "Value": "1"}]}}}));
        let new = template(json!({"Q": {"Type": "AWS::SQS::Queue", "Properties": {
            "VisibilityTimeout": 60, "Tags": [{"Key": "a", "Value": "2"}]}}}));
        let changes = compare(&old, &new);
        assert_eq!(changes.len(), 1);
        let paths: Vec<&str> = changes[0]
            .properties
            .iter()
            .map(|p| p.path.as_str())
            .collect();
        assert_eq!(
            paths,
            ["Properties.Tags[0].Value", "Properties.VisibilityTimeout"]
        );
        assert_eq!(changes[0].replacement, Replacement::Never);
    }

    #[test]
    fn a_changed_create_only_property_replaces_the_resource() {
        let old = template(
            json!({"T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "ddb-a-us-east-1-dev"}}}),
        );
        let new = template(
            json!({"T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "ddb-b-us-east-1-dev"}}}),
        );
        let changes = compare(&old, &new);
        assert_eq!(changes[0].replacement, Replacement::Always);
        assert!(changes[0].properties[0].replaces);
        assert!(render(&changes).contains("[~] AWS::DynamoDB::Table T (replacement)"));
        // A create-only value known only at deploy time may or may not change.
        let new = template(
            json!({"T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Ref": "Name"}}}}),
        );
        assert_eq!(compare(&old, &new)[0].replacement, Replacement::Conditional);
    }

    #[test]
    fn a_changed_table_key_replaces_the_table_and_the_guard_refuses_it() {
        let table = |key: &str| {
            template(
                json!({"SessionsTable": {"Type": "AWS::DynamoDB::Table", "Properties": {
                    "TableName": "ddb-sessions-us-east-1-dev",
                    "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
                }}}),
            )
        };
        let changes = compare(&table("session_id"), &table("user_id"));
        assert_eq!(changes[0].replacement, Replacement::Always);
        let key = changes[0]
            .properties
            .iter()
            .find(|p| p.path == "Properties.KeySchema[0].AttributeName")
            .expect("the key's change is listed");
        assert!(key.replaces);
        let losses = crate::guards::data_loss(&changes, &Default::default());
        assert_eq!(losses.len(), 1);
        assert_eq!(losses[0].logical_id, "SessionsTable");
        assert!(!losses[0].removed);
    }

    #[test]
    fn a_resource_block_of_any_type_has_its_schema_s_replacement_facts() {
        let archive = |source: &str| {
            template(json!({"A": {"Type": "AWS::Events::Archive", "Properties": {
                "SourceArn": source, "RetentionDays": 7}}}))
        };
        let changes = compare(&archive("arn:a"), &archive("arn:b"));
        assert_eq!(changes[0].replacement, Replacement::Always);
        let old = archive("arn:a");
        let new = template(json!({"A": {"Type": "AWS::Events::Archive", "Properties": {
            "SourceArn": "arn:a", "RetentionDays": 30}}}));
        assert_eq!(compare(&old, &new)[0].replacement, Replacement::Never);
    }

    #[test]
    fn the_summary_counts_each_kind_of_change() {
        let old = template(json!({
            "Gone": {"Type": "AWS::SNS::Topic"},
            "Kept": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}},
        }));
        let new = template(json!({
            "Kept": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 60}},
            "New": {"Type": "AWS::SNS::Topic"},
        }));
        let text = render(&compare(&old, &new));
        assert!(text.contains("[-] AWS::SNS::Topic Gone\n"), "{text}");
        assert!(text.contains("[+] AWS::SNS::Topic New\n"), "{text}");
        assert!(
            text.ends_with("1 to add, 1 to modify (0 replaced), 1 to remove\n"),
            "{text}"
        );
    }
}
