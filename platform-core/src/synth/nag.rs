//! Evidence for cdk-nag's wildcard-permission rule (AwsSolutions-IAM5).
//!
//! cdk-nag reports every `*` in an allowed resource and asks for a
//! suppression that says why. The reasons are not written by hand: each
//! wildcard is explained by what the IAM tables (`iam_data.rs`) say it
//! stands for, and one that cannot be explained stays a finding:
//!
//! - `"*"` where IAM defines no resource type for any of the statement's
//!   actions;
//! - a resource type's ARN from the IAM tables whose variables are each
//!   left open (an id AWS assigns, a child created at run time), fixed, or
//!   one of this environment's own names (`{type}-*-{region}-{suffix}`),
//!   in this account and region;
//! - every resource of one service in this account and region, where the
//!   statement's actions reach more resource types than are worth listing
//!   (the execution role's generated policy does this only for ids AWS
//!   assigns);
//! - the children (`/*`, `/index/*`) of one resource the same template
//!   creates.
//!
//! The finding ids are cdk-nag's own (`AwsSolutions-IAM5[Resource::...]`,
//! with intrinsic functions flattened as its `flattenCfnReference` does),
//! so a suppression matches exactly one wildcard.

use crate::iam::{self as iam_tables, Action};
use crate::template::{Resource, Template, Value};

use super::nag_suppress;

/// Where a template's names come from: the region and the suffixes of the
/// environments whose resources it grants on.
pub(crate) struct NagScope<'a> {
    pub region: &'a str,
    pub suffixes: &'a [String],
}

/// cdk-nag's flat string for a policy value (`Fn::Sub`'s `${X}` and
/// references as `<X>`, `Fn::GetAtt` as `<Id.Attr>`, `Fn::Join` joined);
/// `None` for what it would print as JSON, which no suppression matches.
pub(crate) fn flatten(value: &Value) -> Option<String> {
    Some(match value {
        Value::Str(s) => s.replace("${", "<").replace('}', ">"),
        Value::Sub(s, vars) if vars.is_empty() => s.replace("${", "<").replace('}', ">"),
        Value::Ref(id) => format!("<{id}>"),
        Value::Pseudo(p) => format!("<{}>", p.name()),
        Value::GetAtt(id, attribute) => format!("<{id}.{attribute}>"),
        Value::Join(delimiter, items) => items
            .iter()
            .map(flatten)
            .collect::<Option<Vec<_>>>()?
            .join(delimiter),
        _ => return None,
    })
}

fn list(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::List(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    }
}

/// Each wildcard resource of `document`'s Allow statements, flattened,
/// with the statement it is in (cdk-nag reports the same string once).
pub(crate) fn wildcard_resources(document: &Value) -> Vec<(String, &Value)> {
    let mut out: Vec<(String, &Value)> = Vec::new();
    let Value::Map(doc) = document else {
        return out;
    };
    for statement in list(doc.get("Statement")) {
        let Value::Map(s) = statement else { continue };
        if !matches!(s.get("Effect"), Some(Value::Str(e)) if e == "Allow") {
            continue;
        }
        for resource in list(s.get("Resource")) {
            if let Some(flat) = flatten(resource)
                && flat.contains('*')
                && !out.iter().any(|(f, _)| *f == flat)
            {
                out.push((flat, statement));
            }
        }
    }
    out
}

/// The policy documents of an IAM role, managed policy or policy.
fn documents(resource: &Resource) -> Vec<&Value> {
    match resource.cfn_type.as_str() {
        "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
            list(resource.properties.get("Policies"))
                .into_iter()
                .filter_map(|p| match p {
                    Value::Map(m) => m.get("PolicyDocument"),
                    _ => None,
                })
                .collect()
        }
        "AWS::IAM::ManagedPolicy" | "AWS::IAM::Policy" => resource
            .properties
            .get("PolicyDocument")
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// Records, on every IAM resource of `template`, the evidence for each
/// wildcard resource it allows that the IAM tables explain.
pub(crate) fn suppress_wildcard_findings(template: &mut Template, scope: &NagScope<'_>) {
    // Read in one pass, written in another: the types come from the
    // template itself, not from a copy of every id and type.
    let resources = &template.resources;
    let cfn_type = |id: &str| resources.get(id).map(|r| r.cfn_type.as_str());
    // Each resource is read on its own: side by side.
    let all: Vec<(&String, &Resource)> = resources.iter().collect();
    let findings: Vec<(String, Vec<(String, String)>)> =
        super::par_chunks(&all, |&(id, resource)| {
            let mut evidence: Vec<(String, String)> = Vec::new();
            for document in documents(resource) {
                for (flat, statement) in wildcard_resources(document) {
                    if let Some(reason) = explain(&flat, statement, scope, &cfn_type) {
                        let id = format!("AwsSolutions-IAM5[Resource::{flat}]");
                        if !evidence.iter().any(|(i, _)| *i == id) {
                            evidence.push((id, reason));
                        }
                    }
                }
            }
            (!evidence.is_empty()).then(|| (id.clone(), evidence))
        })
        .into_iter()
        .flatten()
        .collect();
    for (id, evidence) in findings {
        let resource = template
            .resources
            .get_mut(&id)
            .expect("a finding is on a resource of the template");
        for (rule, reason) in evidence {
            nag_suppress(resource, [rule], &reason);
        }
    }
}

/// Records, on a permissions boundary, why its wildcards stand: a
/// boundary grants nothing itself; it is the ceiling of what the roles
/// carrying it may be granted.
pub(crate) fn suppress_boundary_wildcards(boundary: &mut Resource) {
    let flats: Vec<String> = documents(boundary)
        .into_iter()
        .flat_map(wildcard_resources)
        .map(|(flat, _)| flat)
        .collect();
    for flat in flats {
        nag_suppress(
            boundary,
            [format!("AwsSolutions-IAM5[Resource::{flat}]")],
            "A permissions boundary: it grants nothing, it caps what the platform's roles may be granted. Its actions are exactly those the roles' own policies grant; its resources are this account and region (the service left open because an action only ever applies to its own service's resources), so a role can never reach another account or region whatever its policy says",
        );
    }
}

fn actions(statement: &Value) -> Option<Vec<Action>> {
    let Value::Map(s) = statement else {
        return None;
    };
    list(s.get("Action"))
        .into_iter()
        .map(|a| match a {
            Value::Str(a) if !a.contains('*') => iam_tables::lookup(a).ok(),
            _ => None,
        })
        .collect()
}

fn within_region(statement: &Value) -> bool {
    let Value::Map(s) = statement else {
        return false;
    };
    s.get("Condition")
        .is_some_and(|c| c.to_json().to_string().contains("aws:RequestedRegion"))
}

/// Why `flat`, allowed by `statement`, is no broader than it must be;
/// `None` when the IAM tables do not explain it.
fn explain<'t>(
    flat: &str,
    statement: &Value,
    scope: &NagScope<'_>,
    cfn_type: &dyn Fn(&str) -> Option<&'t str>,
) -> Option<String> {
    let actions = actions(statement)?;
    let names: Vec<String> = actions
        .iter()
        .map(|a| format!("{}:{}", a.service, a.name))
        .collect();
    if flat == "*" {
        if actions.is_empty() || actions.iter().any(Action::supports_resource_level) {
            return None;
        }
        let region = if within_region(statement) {
            ", and the statement is limited to this region (aws:RequestedRegion)"
        } else {
            ""
        };
        return Some(format!(
            "IAM defines no resource type for {}: they can be granted only on \"*\"{region}",
            names.join(", ")
        ));
    }
    if let Some(rest) = flat.strip_prefix('<') {
        let (reference, children) = rest.split_once('>')?;
        let (id, attribute) = reference.split_once('.')?;
        let cfn_type = cfn_type(id)?;
        if attribute != "Arn" || !children.starts_with(['/', ':']) || reference.contains('*') {
            return None;
        }
        return Some(format!(
            "Only `{children}` under {id}, the one {cfn_type} this stack creates ({}): the wildcard stands for what the service names inside it",
            names.join(", ")
        ));
    }
    let arn = Arn::parse(flat)?;
    if !arn.account_is_ours() || !arn.region_is(scope.region) {
        return None;
    }
    if arn.resource == "*" {
        if actions.iter().any(|a| a.service != arn.service) {
            return None;
        }
        let types: usize = actions.iter().map(|a| a.resource_types.len()).max()?;
        return Some(format!(
            "Every {} resource in this account{}: {} reach {types} resource types, whose ids AWS assigns when it creates them",
            arn.service,
            if arn.region.is_empty() {
                ""
            } else {
                " and region"
            },
            names.join(", ")
        ));
    }
    for action in &actions {
        for resource_type in action.resource_types {
            let Some(templates) = iam_tables::arn_template(action.service, resource_type) else {
                continue;
            };
            // A few types have several ARN forms, listed with ", ".
            for template in templates.split(", ") {
                let Some(theirs) = Arn::parse(template) else {
                    continue;
                };
                if theirs.service != arn.service {
                    continue;
                }
                let Some(vars) = bind(&theirs.resource, &arn.resource) else {
                    continue;
                };
                if let Some(parts) = describe(&vars, &actions, scope) {
                    return Some(format!(
                        "{} {resource_type} ({template}) in this account and region only: {} ({})",
                        action.service,
                        parts.join("; "),
                        names.join(", ")
                    ));
                }
            }
        }
    }
    None
}

/// What each variable of a resource type's ARN is bound to; `None` when a
/// wildcard is anything but open, or one of this environment's names.
fn describe(
    vars: &[(String, String)],
    actions: &[Action],
    scope: &NagScope<'_>,
) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    for (var, value) in vars {
        let open = value.chars().all(|c| c == '*' || c == '?');
        let service_linked = actions
            .iter()
            .all(|a| a.service == "iam" && a.name.contains("ServiceLinkedRole"));
        if var == "RoleNameWithPath" && value == "aws-service-role/*" && service_linked {
            parts.push(
                "service-linked roles only: AWS names them under the aws-service-role/ path, which only AWS services create roles in"
                    .to_owned(),
            );
        } else if open {
            parts.push(format!(
                "{var} is left open, as the platform never names it: AWS assigns it when it creates the resource, or the service at run time"
            ));
        } else if !value.contains(['*', '?']) {
            parts.push(format!("{var} is {value}"));
        } else if let Some(kind) = own_name(value, scope) {
            parts.push(format!("{var} is `{value}`, {kind}"));
        } else {
            return None;
        }
    }
    Some(parts)
}

/// Whether `value` is one of this environment's names with a wildcard,
/// and which kind: `ddb-*-us-east-1-dev`, `/*-us-east-1-dev`,
/// `dbuser-*-us-east-1-dev-??????` (a wildcard purpose between a fixed
/// type and this region and suffix), `trading-platform-us-east-1-dev-*`
/// (what this environment's name begins: its nested stacks),
/// `trading-platform/dev/us-east-1/*` (its SSM path).
fn own_name(value: &str, scope: &NagScope<'_>) -> Option<&'static str> {
    let (head, tail) = value.split_once('*')?;
    let ours = |s: &String| format!("-{}-{s}", scope.region);
    if tail.is_empty()
        && scope
            .suffixes
            .iter()
            .any(|s| head.ends_with(&format!("{}-", ours(s))))
    {
        return Some("names that begin with this environment's own name");
    }
    if tail.is_empty()
        && scope
            .suffixes
            .iter()
            .any(|s| head.ends_with(&format!("/{s}/{}/", scope.region)))
    {
        return Some("this environment's own parameter path");
    }
    let tail = tail.trim_end_matches(['?', '-']);
    let tail = tail.strip_suffix(":*").unwrap_or(tail);
    // Bucket names end with the account: `s3-*-us-east-1-dev-<AWS::AccountId>`.
    let tail = tail.strip_suffix("-<AWS::AccountId>").unwrap_or_else(|| {
        tail.rsplit_once('-')
            .filter(|(_, account)| crate::accounts::is_account_id(account))
            .map_or(tail, |(rest, _)| rest)
    });
    (!tail.contains(['*', '?'])
        && !head.contains('?')
        && scope.suffixes.iter().any(|s| tail == ours(s)))
    .then_some("this environment's names: the wildcard is the purpose in {type}-{purpose}-{region}-{suffix}")
}

/// Binds `${Var}`s of `template` (an IAM ARN template's resource part) to
/// the parts of `text` they stand for, matching literal parts exactly.
fn bind(template: &str, text: &str) -> Option<Vec<(String, String)>> {
    fn go(template: &str, text: &str, out: &mut Vec<(String, String)>) -> bool {
        let Some(start) = template.find("${") else {
            return template == text;
        };
        let (literal, rest) = template.split_at(start);
        let Some(text) = text.strip_prefix(literal) else {
            return false;
        };
        let Some(end) = rest.find('}') else {
            return false;
        };
        let var = &rest[2..end];
        let after = &rest[end + 1..];
        for cut in (1..=text.len()).rev().filter(|&i| text.is_char_boundary(i)) {
            out.push((var.to_owned(), text[..cut].to_owned()));
            if go(after, &text[cut..], out) {
                return true;
            }
            out.pop();
        }
        false
    }
    let mut out = Vec::new();
    go(template, text, &mut out).then_some(out)
}

/// An ARN's fields, pseudo parameters (`<AWS::Region>`) kept whole.
struct Arn {
    service: String,
    region: String,
    account: String,
    resource: String,
}

impl Arn {
    fn parse(text: &str) -> Option<Arn> {
        let masked = text.replace("AWS::", "AWS\u{1}");
        let fields: Vec<String> = masked
            .splitn(6, ':')
            .map(|f| f.replace("AWS\u{1}", "AWS::"))
            .collect();
        if fields.len() != 6 || fields[0] != "arn" {
            return None;
        }
        Some(Arn {
            service: fields[2].clone(),
            region: fields[3].clone(),
            account: fields[4].clone(),
            resource: fields[5].clone(),
        })
    }

    fn account_is_ours(&self) -> bool {
        self.account.is_empty()
            || self.account == "<AWS::AccountId>"
            || crate::accounts::is_account_id(&self.account)
    }

    fn region_is(&self, region: &str) -> bool {
        self.region.is_empty() || self.region == "<AWS::Region>" || self.region == region
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> (String, Vec<String>) {
        ("us-east-1".into(), vec!["dev".into()])
    }

    fn statement(actions: &[&str], resource: &str) -> Value {
        Value::map([
            ("Effect", Value::str("Allow")),
            (
                "Action",
                Value::List(actions.iter().map(|a| Value::str(*a)).collect()),
            ),
            ("Resource", Value::sub(resource)),
        ])
    }

    fn why(actions: &[&str], resource: &str) -> Option<String> {
        let (region, suffixes) = scope();
        let scope = NagScope {
            region: &region,
            suffixes: &suffixes,
        };
        let s = statement(actions, resource);
        let flat = flatten(&Value::sub(resource)).expect("flat");
        explain(&flat, &s, &scope, &|id| {
            (id == "AuditLogBucket").then_some("AWS::S3::Bucket")
        })
    }

    #[test]
    fn flattening_is_cdk_nags() {
        let v = Value::Join(
            "".into(),
            vec![Value::get_att("Bucket", "Arn"), Value::str("/*")],
        );
        assert_eq!(flatten(&v).as_deref(), Some("<Bucket.Arn>/*"));
        assert_eq!(
            flatten(&Value::sub("arn:${AWS::Partition}:logs:${AWS::Region}:x")).as_deref(),
            Some("arn:<AWS::Partition>:logs:<AWS::Region>:x")
        );
    }

    #[test]
    fn star_only_for_actions_without_a_resource_type() {
        let ok = why(&["xray:PutTraceSegments"], "*").expect("explained");
        assert!(
            ok.contains("no resource type for xray:PutTraceSegments"),
            "{ok}"
        );
        assert_eq!(
            why(&["xray:PutTraceSegments", "sqs:SendMessage"], "*"),
            None
        );
    }

    #[test]
    fn assigned_ids_and_own_names_are_explained() {
        let eni = why(
            &["ec2:CreateNetworkInterface"],
            "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:network-interface/*",
        )
        .expect("an ENI's id is AWS's");
        assert!(eni.contains("NetworkInterfaceId is left open"), "{eni}");
        let index = why(
            &["dynamodb:Query"],
            "arn:${AWS::Partition}:dynamodb:us-east-1:${AWS::AccountId}:table/ddb-*-us-east-1-dev/index/*",
        )
        .expect("indexes of this environment's tables");
        assert!(
            index.contains("TableName is `ddb-*-us-east-1-dev`, this environment's names"),
            "{index}"
        );
        let bucket = why(
            &["s3:GetBucketPolicy"],
            "arn:${AWS::Partition}:s3:::s3-*-us-east-1-dev-${AWS::AccountId}",
        )
        .expect("this environment's buckets, named with the account");
        assert!(bucket.contains("this environment's names"), "{bucket}");
        assert!(
            why(
                &["s3:GetBucketPolicy"],
                "arn:${AWS::Partition}:s3:::s3-*-us-east-1-dev-111111111111"
            )
            .is_some()
        );
        // Another environment's names, another region, another account: no.
        for other in [
            "arn:${AWS::Partition}:dynamodb:us-east-1:${AWS::AccountId}:table/ddb-*-us-east-1-prod",
            "arn:${AWS::Partition}:dynamodb:us-west-2:${AWS::AccountId}:table/ddb-*-us-east-1-dev",
            "arn:${AWS::Partition}:dynamodb:us-east-1:*:table/ddb-*-us-east-1-dev",
            "arn:${AWS::Partition}:dynamodb:us-east-1:${AWS::AccountId}:table/*dev",
        ] {
            assert_eq!(why(&["dynamodb:Query"], other), None, "{other}");
        }
    }

    #[test]
    fn service_linked_roles_only_for_their_own_actions() {
        let arn = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*";
        assert!(why(&["iam:CreateServiceLinkedRole"], arn).is_some());
        assert_eq!(why(&["iam:PassRole"], arn), None);
    }

    #[test]
    fn children_of_a_resource_of_the_same_stack() {
        let objects = why(&["s3:PutObject"], "${AuditLogBucket.Arn}/*").expect("objects");
        assert!(
            objects.contains("AuditLogBucket, the one AWS::S3::Bucket"),
            "{objects}"
        );
        assert_eq!(why(&["s3:PutObject"], "${Elsewhere.Arn}/*"), None);
    }

    #[test]
    fn a_whole_service_only_for_its_own_actions() {
        let ec2 = why(
            &["ec2:CreateTags"],
            "arn:${AWS::Partition}:ec2:us-east-1:${AWS::AccountId}:*",
        )
        .expect("one service");
        assert!(
            ec2.starts_with("Every ec2 resource in this account and region"),
            "{ec2}"
        );
        assert_eq!(
            why(
                &["ec2:CreateTags", "sqs:SendMessage"],
                "arn:${AWS::Partition}:ec2:us-east-1:${AWS::AccountId}:*"
            ),
            None
        );
    }
}
