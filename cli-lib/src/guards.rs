//! Deploy guards: what a deploy refuses to do unless told to.
//!
//! - **Data loss**: replacing or removing a stateful resource
//!   ([`platform_core::catalog::STATEFUL_TYPES`]) is refused unless
//!   `--allow-replace` names it. A stack policy denying `Update:Replace` and
//!   `Update:Delete` on the same resources is set on every deploy as a second
//!   line.
//! - **Security broadening**, as AWS CDK defines it: an added `Allow`, a
//!   removed `Deny`, an added managed policy, an added Lambda permission, or
//!   an added security-group rule needs approval.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde_json::{Value, json};

use crate::diff::{Action, Replacement, ResourceChange};

/// A stateful resource the change would replace or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataLoss {
    pub logical_id: String,
    pub resource_type: String,
    pub removed: bool,
}

/// The changes that would lose data, less those `allowed` (logical ids).
pub fn data_loss(changes: &[ResourceChange], allowed: &BTreeSet<String>) -> Vec<DataLoss> {
    changes
        .iter()
        .filter(|c| platform_core::catalog::STATEFUL_TYPES.contains(&c.resource_type.as_str()))
        .filter(|c| c.action == Action::Remove || c.replacement != Replacement::Never)
        .filter(|c| !allowed.contains(&c.logical_id))
        .map(|c| DataLoss {
            logical_id: c.logical_id.clone(),
            resource_type: c.resource_type.clone(),
            removed: c.action == Action::Remove,
        })
        .collect()
}

/// The stack policy set on every deploy: updates allowed, except replacing
/// or deleting the stateful resources of `template` not in `allowed`.
pub fn stack_policy(template: &Value, allowed: &BTreeSet<String>) -> Value {
    let protected: Vec<String> = template["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(id, r)| {
            platform_core::catalog::STATEFUL_TYPES.contains(&r["Type"].as_str().unwrap_or(""))
                && !allowed.contains(*id)
        })
        .map(|(id, _)| format!("LogicalResourceId/{id}"))
        .collect();
    let mut statements = vec![json!({
        "Effect": "Allow",
        "Action": "Update:*",
        "Principal": "*",
        "Resource": "*",
    })];
    if !protected.is_empty() {
        statements.push(json!({
            "Effect": "Deny",
            "Action": ["Update:Replace", "Update:Delete"],
            "Principal": "*",
            "Resource": protected,
        }));
    }
    json!({ "Statement": statements })
}

/// One permission widened by the change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Broadening {
    /// The logical id of the resource holding the policy or rule.
    pub resource: String,
    /// The widening in one line, in policy terms (`+ Allow s3:GetObject on ...`).
    pub what: String,
    /// The same, in parts, for a reader's sentence ([`crate::review`]).
    pub kind: Widening,
}

/// How access widens.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Widening {
    /// A statement allows what it did not.
    Allowed(Grant),
    /// A statement that denied is gone.
    DenyRemoved(Grant),
    /// A managed policy attached, or a security-group rule added
    /// (`managed policy arn:...`, `ingress {...}`).
    Attached(String),
}

/// One action of a policy statement on one resource, each part as the
/// template has it (intrinsics as compact JSON; empty when absent).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub condition: String,
}

/// A condition less its keys without a value (a Lambda permission
/// without `SourceArn`); empty when none is left.
fn meaningful_condition(condition: &str) -> String {
    match serde_json::from_str::<Value>(condition) {
        Ok(Value::Object(mut map)) => {
            map.retain(|_, v| !v.is_null());
            if map.is_empty() {
                String::new()
            } else {
                Value::Object(map).to_string()
            }
        }
        Ok(Value::Null) => String::new(),
        _ => condition.to_owned(),
    }
}

impl Grant {
    fn of(atom: &Atom) -> Grant {
        Grant {
            principal: atom.principal.clone(),
            action: atom.action.clone(),
            resource: atom.resource.clone(),
            condition: meaningful_condition(&atom.condition),
        }
    }
}

/// One `Effect x Principal x Action x Resource x Condition` combination of a
/// policy statement, so a statement that grows by one action is caught.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Atom {
    holder: String,
    effect: String,
    principal: String,
    action: String,
    resource: String,
    condition: String,
}

fn as_list(value: &Value) -> Vec<String> {
    match value {
        Value::Null => vec![String::new()],
        Value::Array(items) => items.iter().map(compact).collect(),
        other => vec![compact(other)],
    }
}

fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The policy documents a resource holds, by where.
fn documents(resource: &Value) -> Vec<Value> {
    let props = &resource["Properties"];
    let mut docs = Vec::new();
    match resource["Type"].as_str().unwrap_or("") {
        "AWS::IAM::Role" => {
            docs.push(props["AssumeRolePolicyDocument"].clone());
            for policy in props["Policies"].as_array().into_iter().flatten() {
                docs.push(policy["PolicyDocument"].clone());
            }
        }
        "AWS::IAM::Policy"
        | "AWS::IAM::ManagedPolicy"
        | "AWS::S3::BucketPolicy"
        | "AWS::SQS::QueuePolicy"
        | "AWS::SNS::TopicPolicy" => docs.push(props["PolicyDocument"].clone()),
        "AWS::KMS::Key" => docs.push(props["KeyPolicy"].clone()),
        "AWS::Logs::ResourcePolicy" => {
            // A JSON string, possibly inside `Fn::Sub`.
            let text = props["PolicyDocument"]["Fn::Sub"]
                .as_str()
                .or(props["PolicyDocument"].as_str());
            if let Some(doc) = text.and_then(|t| serde_json::from_str(t).ok()) {
                docs.push(doc);
            }
        }
        "AWS::Lambda::Permission" => docs.push(json!({"Statement": [{
            "Effect": "Allow",
            "Principal": props["Principal"],
            "Action": props["Action"],
            "Resource": props["FunctionName"],
            "Condition": {"SourceArn": props["SourceArn"]},
        }]})),
        _ => {}
    }
    docs
}

fn atoms(template: &Value) -> BTreeSet<Atom> {
    let mut out = BTreeSet::new();
    for (id, resource) in template["Resources"].as_object().into_iter().flatten() {
        for doc in documents(resource) {
            let statements = match &doc["Statement"] {
                Value::Array(items) => items.clone(),
                Value::Null => Vec::new(),
                single => vec![single.clone()],
            };
            for s in statements {
                for principal in as_list(&s["Principal"]) {
                    for action in as_list(&s["Action"]) {
                        for resource in as_list(&s["Resource"]) {
                            out.insert(Atom {
                                holder: id.clone(),
                                effect: compact(&s["Effect"]),
                                principal: principal.clone(),
                                action: action.clone(),
                                resource,
                                condition: compact(&s["Condition"]),
                            });
                        }
                    }
                }
            }
        }
    }
    out
}

/// Managed policies and security-group rules, each as `(holder, description)`.
fn attachments(template: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (id, resource) in template["Resources"].as_object().into_iter().flatten() {
        let props = &resource["Properties"];
        for arn in props["ManagedPolicyArns"].as_array().into_iter().flatten() {
            out.insert((id.clone(), format!("managed policy {}", compact(arn))));
        }
        match resource["Type"].as_str().unwrap_or("") {
            "AWS::EC2::SecurityGroup" => {
                for rule in props["SecurityGroupIngress"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    out.insert((id.clone(), format!("ingress {}", compact(rule))));
                }
                for rule in props["SecurityGroupEgress"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    out.insert((id.clone(), format!("egress {}", compact(rule))));
                }
            }
            "AWS::EC2::SecurityGroupIngress" => {
                out.insert((id.clone(), format!("ingress {}", compact(props))));
            }
            "AWS::EC2::SecurityGroupEgress" => {
                out.insert((id.clone(), format!("egress {}", compact(props))));
            }
            _ => {}
        }
    }
    out
}

/// Every way `new` widens what `old` allows (`old` is `null` for a new stack).
pub fn broadening(old: &Value, new: &Value) -> Vec<Broadening> {
    let (before, after) = (atoms(old), atoms(new));
    let mut out: Vec<Broadening> = Vec::new();
    for atom in after.difference(&before).filter(|a| a.effect == "Allow") {
        out.push(Broadening {
            resource: atom.holder.clone(),
            what: describe("+ Allow", atom),
            kind: Widening::Allowed(Grant::of(atom)),
        });
    }
    for atom in before.difference(&after).filter(|a| a.effect == "Deny") {
        out.push(Broadening {
            resource: atom.holder.clone(),
            what: describe("- Deny", atom),
            kind: Widening::DenyRemoved(Grant::of(atom)),
        });
    }
    let (before, after) = (attachments(old), attachments(new));
    for (holder, what) in after.difference(&before) {
        out.push(Broadening {
            resource: holder.clone(),
            what: format!("+ {what}"),
            kind: Widening::Attached(what.clone()),
        });
    }
    out.sort();
    out
}

fn describe(sign: &str, atom: &Atom) -> String {
    let mut text = format!("{sign} {} on {}", atom.action, atom.resource);
    if !atom.principal.is_empty() {
        let _ = write!(text, " to {}", atom.principal);
    }
    if !atom.condition.is_empty() && atom.condition != "null" {
        let _ = write!(text, " when {}", atom.condition);
    }
    text
}

/// The table of IAM and security-group broadening shown before approval.
pub fn render_broadening(items: &[Broadening]) -> String {
    let width = items.iter().map(|b| b.resource.len()).max().unwrap_or(0);
    let mut out = String::new();
    for b in items {
        let _ = writeln!(out, "{:width$}  {}", b.resource, b.what);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::compare;

    fn role(actions: &[&str]) -> Value {
        json!({"Resources": {"FnRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": actions, "Resource": {"Fn::GetAtt": ["Table", "Arn"]}}
            ]}}]
        }}}})
    }

    #[test]
    fn replacing_or_removing_stateful_resources_is_refused_unless_allowed() {
        let old = json!({"Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "a"}},
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "a"}},
        }});
        let new = json!({"Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "b"}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "b"}},
        }});
        let changes = compare(&old, &new);
        let blocked = data_loss(&changes, &BTreeSet::new());
        let ids: Vec<(&str, bool)> = blocked
            .iter()
            .map(|b| (b.logical_id.as_str(), b.removed))
            .collect();
        // The topic is replaced too, but holds no data.
        assert_eq!(ids, [("Bucket", true), ("Table", false)]);
        let allowed: BTreeSet<String> = ["Table".to_owned(), "Bucket".to_owned()].into();
        assert!(data_loss(&changes, &allowed).is_empty());
    }

    #[test]
    fn the_stack_policy_denies_replacing_and_deleting_stateful_resources() {
        let template = json!({"Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table"},
            "Fn": {"Type": "AWS::Lambda::Function"},
            "Queue": {"Type": "AWS::SQS::Queue"},
        }});
        let policy = stack_policy(&template, &BTreeSet::new());
        assert_eq!(
            policy["Statement"][1]["Resource"],
            json!(["LogicalResourceId/Queue", "LogicalResourceId/Table"])
        );
        assert_eq!(
            policy["Statement"][1]["Action"],
            json!(["Update:Replace", "Update:Delete"])
        );
        let allowed: BTreeSet<String> = ["Queue".to_owned()].into();
        assert_eq!(
            stack_policy(&template, &allowed)["Statement"][1]["Resource"],
            json!(["LogicalResourceId/Table"])
        );
    }

    #[test]
    fn an_added_action_in_an_existing_statement_is_broadening() {
        let old = role(&["dynamodb:GetItem"]);
        let new = role(&["dynamodb:GetItem", "dynamodb:PutItem"]);
        let found = broadening(&old, &new);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].resource, "FnRole");
        assert!(
            found[0].what.starts_with("+ Allow dynamodb:PutItem on "),
            "{}",
            found[0].what
        );
        // Narrowing is not broadening.
        assert!(broadening(&new, &old).is_empty());
        assert!(broadening(&new, &new).is_empty());
    }

    #[test]
    fn removed_denies_added_rules_managed_policies_and_permissions_are_broadening() {
        let old = json!({"Resources": {
            "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"PolicyDocument": {"Statement": [
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
            ]}}},
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": []}},
        }});
        let new = json!({"Resources": {
            "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"PolicyDocument": {"Statement": []}}},
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [
                {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIp": "10.0.0.0/16"}
            ]}},
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}},
            "Perm": {"Type": "AWS::Lambda::Permission", "Properties": {"Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com", "FunctionName": "f"}},
        }});
        let found = broadening(&old, &new);
        let holders: Vec<&str> = found.iter().map(|b| b.resource.as_str()).collect();
        assert_eq!(holders, ["Perm", "Policy", "Role", "Sg"], "{found:#?}");
        assert!(found[1].what.starts_with("- Deny s3:*"));
        assert!(render_broadening(&found).contains("Sg      + ingress "));
    }
}
