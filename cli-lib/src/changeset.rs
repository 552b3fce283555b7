//! CloudFormation change sets, read from `DescribeChangeSet` responses in
//! the JSON shape of CloudFormation's API reference, and merged with the
//! template comparison of [`crate::diff`].
//!
//! The change set is authoritative for *what* changes. Whether a change
//! replaces a resource is the worse of what CloudFormation reports and what
//! the create-only properties predict: a change set may say `Conditional`
//! where the schema knows better, and some endpoints report nothing.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::diff::{Action, PropertyChange, Replacement, ResourceChange};

/// The resource changes of a `DescribeChangeSet` response's `Changes` list
/// (every page concatenated), sorted by logical id.
pub fn from_describe(changes: &Value) -> Vec<ResourceChange> {
    let mut out: Vec<ResourceChange> = changes
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["Type"].as_str().unwrap_or("Resource") == "Resource")
        .filter_map(|c| resource_change(&c["ResourceChange"]))
        .collect();
    out.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
    out
}

fn resource_change(rc: &Value) -> Option<ResourceChange> {
    let action = match rc["Action"].as_str()? {
        "Add" | "Import" => Action::Add,
        "Remove" => Action::Remove,
        // `Dynamic`: the change is resolved while the stack updates.
        _ => Action::Modify,
    };
    let replacement = match (action, rc["Replacement"].as_str()) {
        (Action::Modify, Some("True")) => Replacement::Always,
        (Action::Modify, Some("Conditional")) => Replacement::Conditional,
        _ => Replacement::Never,
    };
    let mut properties: Vec<PropertyChange> = Vec::new();
    for detail in rc["Details"].as_array().into_iter().flatten() {
        let target = &detail["Target"];
        let path = target_path(target);
        let replaces = matches!(
            target["RequiresRecreation"].as_str(),
            Some("Always" | "Conditionally")
        );
        match properties.iter_mut().find(|p| p.path == path) {
            Some(existing) => existing.replaces |= replaces,
            None => properties.push(PropertyChange { path, replaces }),
        }
    }
    properties.sort_by(|a, b| a.path.cmp(&b.path));
    Some(ResourceChange {
        logical_id: rc["LogicalResourceId"].as_str()?.to_owned(),
        resource_type: rc["ResourceType"].as_str().unwrap_or("?").to_owned(),
        action,
        replacement,
        properties,
    })
}

/// `Properties.TableName` from a change target: its JSON-pointer `Path`
/// when given (`/Properties/Tags/2/Value` -> `Properties.Tags[2].Value`),
/// else the attribute and the property name.
fn target_path(target: &Value) -> String {
    if let Some(pointer) = target["Path"].as_str().filter(|p| p.starts_with('/')) {
        let mut path = String::new();
        for segment in pointer[1..].split('/') {
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                path.push_str(&format!("[{segment}]"));
            } else {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(segment);
            }
        }
        return path;
    }
    let attribute = target["Attribute"].as_str().unwrap_or("Properties");
    match target["Name"].as_str() {
        Some(name) => format!("{attribute}.{name}"),
        None => attribute.to_owned(),
    }
}

/// The change set's changes, each with the worse replacement of the two
/// sources and the property paths of both (the template comparison's leaf
/// paths first; a reported path already covered by one of them is dropped).
pub fn merge(reported: Vec<ResourceChange>, predicted: &[ResourceChange]) -> Vec<ResourceChange> {
    let predicted: BTreeMap<&str, &ResourceChange> = predicted
        .iter()
        .map(|c| (c.logical_id.as_str(), c))
        .collect();
    reported
        .into_iter()
        .map(|mut change| {
            let Some(p) = predicted.get(change.logical_id.as_str()) else {
                return change;
            };
            if change.action == Action::Modify && p.action == Action::Modify {
                change.replacement = change.replacement.max(p.replacement);
            }
            let mut properties = p.properties.clone();
            for r in change.properties {
                let covered = properties.iter_mut().find(|q| {
                    q.path == r.path
                        || q.path.starts_with(&format!("{}.", r.path))
                        || q.path.starts_with(&format!("{}[", r.path))
                });
                match covered {
                    Some(q) => q.replaces |= r.replaces,
                    None => properties.push(r),
                }
            }
            properties.sort_by(|a, b| a.path.cmp(&b.path));
            change.properties = properties;
            change
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;
    use crate::diff::{compare, render};
    use crate::guards::data_loss;

    /// The `Changes` of a `DescribeChangeSet` response as AWS documents it.
    fn aws_response() -> Value {
        json!([
            {"Type": "Resource", "ResourceChange": {
                "Action": "Modify", "LogicalResourceId": "SessionsTable",
                "PhysicalResourceId": "ddb-sessions-us-east-1-dev",
                "ResourceType": "AWS::DynamoDB::Table", "Replacement": "True",
                "Scope": ["Properties"],
                "Details": [{
                    "Target": {"Attribute": "Properties", "Name": "TableName",
                               "RequiresRecreation": "Always", "Path": "/Properties/TableName"},
                    "Evaluation": "Static", "ChangeSource": "DirectModification"
                }]
            }},
            {"Type": "Resource", "ResourceChange": {
                "Action": "Modify", "LogicalResourceId": "TradeOrdersQueue",
                "ResourceType": "AWS::SQS::Queue", "Replacement": "False",
                "Scope": ["Properties", "Tags"],
                "Details": [
                    {"Target": {"Attribute": "Properties", "Name": "VisibilityTimeout", "RequiresRecreation": "Never"}},
                    {"Target": {"Attribute": "Tags", "RequiresRecreation": "Never"}}
                ]
            }},
            {"Type": "Resource", "ResourceChange": {
                "Action": "Add", "LogicalResourceId": "AuditTopic", "ResourceType": "AWS::SNS::Topic"
            }},
            {"Type": "Resource", "ResourceChange": {
                "Action": "Remove", "LogicalResourceId": "ConfigBucket",
                "PhysicalResourceId": "s3-config-us-east-1-dev-111111111111", "ResourceType": "AWS::S3::Bucket"
            }},
            {"Type": "HookInvocation"}
        ])
    }

    #[test]
    fn an_aws_shaped_response_becomes_resource_changes_with_paths() {
        let changes = from_describe(&aws_response());
        let ids: Vec<(&str, Action, Replacement)> = changes
            .iter()
            .map(|c| (c.logical_id.as_str(), c.action, c.replacement))
            .collect();
        assert_eq!(
            ids,
            [
                ("AuditTopic", Action::Add, Replacement::Never),
                ("ConfigBucket", Action::Remove, Replacement::Never),
                ("SessionsTable", Action::Modify, Replacement::Always),
                ("TradeOrdersQueue", Action::Modify, Replacement::Never),
            ]
        );
        assert_eq!(
            changes[2].properties,
            [PropertyChange {
                path: "Properties.TableName".into(),
                replaces: true
            }]
        );
        let paths: Vec<&str> = changes[3]
            .properties
            .iter()
            .map(|p| p.path.as_str())
            .collect();
        assert_eq!(paths, ["Properties.VisibilityTimeout", "Tags"]);
        let text = render(&changes);
        assert!(
            text.contains("[~] AWS::DynamoDB::Table SessionsTable (replacement)\n    └─ Properties.TableName (replaces)\n"),
            "{text}"
        );
        assert!(text.ends_with("1 to add, 2 to modify (1 replaced), 1 to remove\n"));
    }

    #[test]
    fn the_guard_refuses_what_the_change_set_says_would_lose_data() {
        let changes = from_describe(&aws_response());
        let blocked = data_loss(&changes, &BTreeSet::new());
        let ids: Vec<(&str, bool)> = blocked
            .iter()
            .map(|b| (b.logical_id.as_str(), b.removed))
            .collect();
        assert_eq!(ids, [("ConfigBucket", true), ("SessionsTable", false)]);
        let allowed: BTreeSet<String> = ["SessionsTable".into()].into();
        assert_eq!(data_loss(&changes, &allowed).len(), 1);
    }

    #[test]
    fn conditional_replacement_is_reported_and_a_pointer_path_keeps_indexes() {
        let changes = from_describe(&json!([{"Type": "Resource", "ResourceChange": {
            "Action": "Modify", "LogicalResourceId": "Key", "ResourceType": "AWS::KMS::Key",
            "Replacement": "Conditional",
            "Details": [{"Target": {"Attribute": "Properties", "Name": "Tags",
                "Path": "/Properties/Tags/2/Value", "RequiresRecreation": "Conditionally"}}]
        }}]));
        assert_eq!(changes[0].replacement, Replacement::Conditional);
        assert_eq!(changes[0].properties[0].path, "Properties.Tags[2].Value");
        assert!(changes[0].properties[0].replaces);
        assert_eq!(data_loss(&changes, &BTreeSet::new()).len(), 1);
    }

    #[test]
    fn a_change_set_without_replacement_values_gets_the_predicted_one() {
        // Some endpoints report neither `Replacement` nor `Details`.
        let reported = from_describe(&json!([{"Type": "Resource", "ResourceChange": {
            "Action": "Modify", "LogicalResourceId": "T", "ResourceType": "AWS::DynamoDB::Table"
        }}]));
        let old = json!({"Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "a"}}}});
        let new = json!({"Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "b"}}}});
        let merged = merge(reported, &compare(&old, &new));
        assert_eq!(merged[0].replacement, Replacement::Always);
        assert_eq!(merged[0].properties[0].path, "Properties.TableName");
        assert_eq!(data_loss(&merged, &BTreeSet::new()).len(), 1);
    }

    #[test]
    fn merging_keeps_the_worse_replacement_and_every_path_once() {
        let reported = from_describe(&json!([{"Type": "Resource", "ResourceChange": {
            "Action": "Modify", "LogicalResourceId": "Q", "ResourceType": "AWS::SQS::Queue",
            "Replacement": "True",
            "Details": [
                {"Target": {"Attribute": "Properties", "Name": "Tags", "RequiresRecreation": "Never"}},
                {"Target": {"Attribute": "Properties", "Name": "QueueName", "RequiresRecreation": "Always"}}
            ]
        }}]));
        let old = json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"Tags": [{"Key": "a", "Value": "1"}]}}}});
        let new = json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"Tags": [{"Key": "a", "Value": "2"}]}}}});
        let merged = merge(reported, &compare(&old, &new));
        assert_eq!(merged[0].replacement, Replacement::Always);
        let paths: Vec<(&str, bool)> = merged[0]
            .properties
            .iter()
            .map(|p| (p.path.as_str(), p.replaces))
            .collect();
        assert_eq!(
            paths,
            [
                ("Properties.QueueName", true),
                ("Properties.Tags[0].Value", false)
            ]
        );
    }
}
