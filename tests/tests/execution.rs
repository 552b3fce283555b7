//! The execution role's policy and the permissions boundary for the trading
//! platform: exactly the handlers' permissions, scoped, every role bounded,
//! and what IAM's evaluator (`@cloud-copilot/iam-simulate`, through the
//! `tp local` sidecar `cli/local/node/iam-eval.mjs`) makes of the policy.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use platform_core::iam;
use platform_core::synth::Assembly;
use platform_core::synth::execution::{
    MANAGED_POLICY_MAX_CHARS, Scope, boundary_arn, boundary_policy, execution_policy, handlers,
    pack, policy_chars, resource_types, stack_actions,
};
use platform_core::template::Template;
use serde_json::{Value, json};
use tests::{synth_trading, workspace_root};

const ACCOUNT: &str = "111111111111";

/// Every stack's template of one region, nested ones included.
fn templates_in<'a>(assembly: &'a Assembly, region: &str) -> Vec<&'a Template> {
    let mut out = Vec::new();
    for stack in assembly.stacks.iter().filter(|s| s.region == region) {
        out.push(&stack.template);
        out.extend(stack.nested.iter().map(|n| &n.template));
    }
    out
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Object(m) if m.contains_key("Fn::Sub") => strings(&m["Fn::Sub"]),
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// Runs `check` for every stage's environment in every region: the stage,
/// the region, every stack template there (nested ones included) and the
/// scope the bootstrap generates the policies with.
fn each_stage_and_region(mut check: impl FnMut(&str, &str, &[&Template], &Scope<'_>)) {
    let platform = platform_def::platform();
    for stage in ["dev", "staging", "prod"] {
        let assembly = synth_trading(stage, stage);
        let suffixes = [stage.to_owned()];
        for region in &assembly.deployment.regions {
            let templates = templates_in(&assembly, region);
            let scope = Scope {
                platform: &platform,
                region,
                suffixes: &suffixes,
            };
            check(stage, region, &templates, &scope);
        }
    }
}

#[test]
fn every_stage_gets_exactly_the_handler_permissions_of_its_types_and_bounded_roles() {
    each_stage_and_region(|stage, region, templates, scope| {
        let policy = execution_policy(templates, scope);
        let mut expected = BTreeSet::new();
        for t in resource_types(templates) {
            let h = handlers(t).unwrap_or_else(|| panic!("{t} has no handlers"));
            for a in [h.create, h.read, h.update, h.delete].concat() {
                expected.insert(a.to_owned());
            }
        }
        assert!(
            expected.contains("cloudformation:CreateStack")
                || !resource_types(templates).contains("AWS::CloudFormation::Stack")
        );
        let (mut allowed, mut star) = (BTreeSet::new(), BTreeSet::new());
        for s in &policy.statements {
            let s = s.to_json();
            let actions = strings(&s["Action"]);
            for a in &actions {
                assert!(
                    !a.contains('*') && !a.contains('?'),
                    "{stage}/{region}: wildcard action {a}"
                );
            }
            if s["Effect"] != "Allow" {
                continue;
            }
            if strings(&s["Resource"]).iter().any(|r| r == "*") {
                for a in &actions {
                    let found = iam::lookup(a).unwrap();
                    assert!(
                        !found.supports_resource_level(),
                        "{stage}/{region}: {a} on \"*\" but IAM scopes it"
                    );
                    star.insert(a.clone());
                }
            }
            allowed.extend(actions);
        }
        let denied: BTreeSet<String> = policy
            .denied
            .iter()
            .chain(&policy.omitted)
            .map(|(a, _)| a.clone())
            .collect();
        assert!(allowed.is_disjoint(&denied));
        assert_eq!(
            allowed.union(&denied).cloned().collect::<BTreeSet<_>>(),
            expected,
            "{stage}/{region}"
        );
        assert_eq!(stack_actions(templates).len(), expected.len());
        let unscoped: BTreeSet<String> = policy.unscoped.iter().map(|(a, _)| a.clone()).collect();
        assert_eq!(unscoped, star, "{stage}/{region}");

        let boundary = json!({ "Fn::Sub": boundary_arn(region) });
        for t in templates {
            for (id, r) in &t.resources {
                // The role of the account-wide API Gateway logging
                // setting is the bootstrap stack's, not the platform's.
                if r.cfn_type == "AWS::IAM::Role" && id != "ApiGatewayCloudWatchRole" {
                    assert_eq!(
                        r.properties.get("PermissionsBoundary").map(|v| v.to_json()),
                        Some(boundary.clone()),
                        "{stage}/{region}: role {id} carries no boundary"
                    );
                }
            }
        }
    });
}

/// `Fn::Sub` resolved for account 111111111111 in the `aws` partition.
fn resolve(v: &Value) -> Value {
    match v {
        Value::Object(m) if m.len() == 1 && m.contains_key("Fn::Sub") => Value::String(
            m["Fn::Sub"]
                .as_str()
                .unwrap()
                .replace("${AWS::Partition}", "aws")
                .replace("${AWS::AccountId}", ACCOUNT),
        ),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), resolve(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(resolve).collect()),
        other => other.clone(),
    }
}

/// A real name of the dev stage for an ARN template's placeholder, read from
/// the templates themselves; `None` for ids AWS assigns.
fn real_name(templates: &[&Template], stack: &str, placeholder: &str) -> Option<String> {
    let (cfn_type, property, strip) = match placeholder {
        "QueueName" => ("AWS::SQS::Queue", "QueueName", ""),
        "TableName" => ("AWS::DynamoDB::Table", "TableName", ""),
        "BucketName" => ("AWS::S3::Bucket", "BucketName", ""),
        "TopicName" => ("AWS::SNS::Topic", "TopicName", ""),
        "FunctionName" => ("AWS::Lambda::Function", "FunctionName", ""),
        "RoleNameWithPath" => ("AWS::IAM::Role", "RoleName", ""),
        "Alias" => ("AWS::KMS::Alias", "AliasName", "alias/"),
        "EventBusName" => ("AWS::Events::EventBus", "Name", ""),
        "RuleName" => ("AWS::Events::Rule", "Name", ""),
        "AlarmName" => ("AWS::CloudWatch::Alarm", "AlarmName", ""),
        "DashboardName" => ("AWS::CloudWatch::Dashboard", "DashboardName", ""),
        "LogGroupName" => ("AWS::Logs::LogGroup", "LogGroupName", ""),
        "DbClusterInstanceName" => ("AWS::RDS::DBCluster", "DBClusterIdentifier", ""),
        "DbInstanceName" => ("AWS::RDS::DBInstance", "DBInstanceIdentifier", ""),
        "SubnetGroupName" => ("AWS::RDS::DBSubnetGroup", "DBSubnetGroupName", ""),
        "SecretId" => ("AWS::SecretsManager::Secret", "Name", ""),
        "ParameterNameWithoutLeadingSlash" => ("AWS::SSM::Parameter", "Name", "/"),
        "StackName" => return Some(stack.to_owned()),
        _ => return None,
    };
    let name = templates
        .iter()
        .flat_map(|t| t.resources.values())
        .filter(|r| r.cfn_type == cfn_type)
        .find_map(|r| match r.properties.get(property)?.to_json() {
            Value::String(s) => Some(s),
            _ => None,
        })?;
    let name = name.strip_prefix(strip).unwrap_or(&name).to_owned();
    // Secrets Manager appends six random characters to a secret's name.
    Some(if placeholder == "SecretId" {
        format!("{name}-AbCdEf")
    } else {
        name
    })
}

/// The name of the dev stage's web ACL.
fn web_acl_name(templates: &[&Template]) -> String {
    templates
        .iter()
        .flat_map(|t| t.resources.values())
        .filter(|r| r.cfn_type == "AWS::WAFv2::WebACL")
        .find_map(|r| match r.properties.get("Name")?.to_json() {
            Value::String(s) => Some(s),
            _ => None,
        })
        .expect("the dev stage has a web ACL")
}

/// A resource the platform really has for `action` in the dev stage: its
/// first resource type whose names the templates hold, else its first,
/// with AWS-assigned ids made up; `*` when IAM has no resource type for it.
fn request_arn(templates: &[&Template], stack: &str, action: &str) -> String {
    let found = iam::lookup(action).unwrap();
    if action == "iam:CreateServiceLinkedRole" {
        return format!(
            "arn:aws:iam::{ACCOUNT}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS"
        );
    }
    let mut fallback = None;
    for resource_type in found.resource_types {
        if found.service == "s3" && *resource_type == "object" {
            // The objects handlers read are assets: function code.
            return format!("arn:aws:s3:::tp-assets-{ACCOUNT}-us-east-1/assets/code.zip");
        }
        if found.resource_types.len() > 1
            && platform_core::synth::execution::never_granted(found.service, resource_type)
        {
            continue;
        }
        if found.service == "wafv2" && !matches!(*resource_type, "webacl" | "rulegroup") {
            // IP sets, regex pattern sets and managed rule sets the platform
            // never creates, and the policy never grants (`NEVER_CREATED`).
            continue;
        }
        let Some(template) = iam::arn_template(found.service, resource_type) else {
            continue;
        };
        let template = template.split(", ").next().unwrap();
        let mut all_named = true;
        let mut any_named = false;
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            let end = start + rest[start..].find('}').unwrap();
            out.push_str(&rest[..start]);
            let key = &rest[start + 2..end];
            match key {
                "Partition" => out.push_str("aws"),
                "Region" => out.push_str("us-east-1"),
                "Account" => out.push_str(ACCOUNT),
                // Web ACLs in front of API Gateway stages are regional.
                "Scope" if found.service == "wafv2" => out.push_str("regional"),
                "Name" if found.service == "wafv2" && *resource_type == "webacl" => {
                    any_named = true;
                    out.push_str(&web_acl_name(templates));
                }
                _ => match real_name(templates, stack, key) {
                    Some(name) => {
                        any_named = true;
                        out.push_str(&name);
                    }
                    None => {
                        all_named &= !matches!(key, "TableName" | "QueueName");
                        out.push_str("0abc1234");
                    }
                },
            }
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        if any_named && all_named {
            return out;
        }
        fallback.get_or_insert(out);
    }
    fallback.unwrap_or_else(|| "*".to_owned())
}

/// Runs requests through `iam-eval.mjs`; the answers in request order.
fn evaluate(requests: &[Value]) -> Vec<String> {
    let node = std::env::var_os("TP_NODE").unwrap_or_else(|| "node".into());
    let script = workspace_root().join("cli/local/node/iam-eval.mjs");
    let mut child = Command::new(&node)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run node {}: {e}; install Node.js or set TP_NODE",
                script.display()
            )
        });
    {
        let mut stdin = child.stdin.take().unwrap();
        for (id, r) in requests.iter().enumerate() {
            let mut r = r.clone();
            r["id"] = json!(id);
            writeln!(stdin, "{r}").unwrap();
        }
    }
    let mut answers = vec![String::new(); requests.len()];
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let answer: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let id = answer["id"].as_u64().expect("an answer to a request") as usize;
        answers[id] = match answer["result"].as_str() {
            Some(result) => result.to_owned(),
            None => panic!("{}: {}", requests[id], answer["error"]),
        };
    }
    assert!(child.wait().unwrap().success());
    answers
}

#[test]
fn iam_simulate_allows_every_handler_call_of_the_dev_stage_and_nothing_else() {
    let assembly = synth_trading("dev", "dev");
    let platform = platform_def::platform();
    let region = "us-east-1";
    let suffixes = ["dev".to_owned()];
    let templates = templates_in(&assembly, region);
    let stack = &assembly
        .stacks
        .iter()
        .find(|s| s.region == region)
        .unwrap()
        .name;
    let policy = execution_policy(
        &templates,
        &Scope {
            platform: &platform,
            region,
            suffixes: &suffixes,
        },
    );
    let document = resolve(&json!({
        "Version": "2012-10-17",
        "Statement": policy.statements.iter().map(|s| s.to_json()).collect::<Vec<_>>(),
    }));
    let boundary = format!("arn:aws:iam::{ACCOUNT}:policy/tp-boundary-{region}");
    let request = |action: &str, resource: &str, context: Value| {
        let mut r = json!({
            "principal": format!("arn:aws:iam::{ACCOUNT}:role/tp-cfn-exec-{region}"),
            "account": ACCOUNT,
            "action": action,
            "resource": resource,
            "context": context,
            "policies": [{"name": "execution", "policy": document}],
        });
        if action.starts_with("kms:") && resource != "*" {
            // KMS allows nothing its key policy does not; the platform's
            // keys leave it to the account's IAM policies, as the default
            // key policy does.
            r["resourcePolicy"] = json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
                    "Action": "kms:*",
                    "Resource": "*",
                }],
            });
        }
        r
    };
    let context_for = |action: &str| {
        let mut c = json!({"aws:RequestedRegion": region});
        if [
            "iam:CreateRole",
            "iam:PutRolePolicy",
            "iam:AttachRolePolicy",
            "iam:PutRolePermissionsBoundary",
        ]
        .contains(&action)
        {
            c["iam:PermissionsBoundary"] = json!(boundary);
        }
        if action == "iam:PassRole" {
            c["iam:PassedToService"] = json!("lambda.amazonaws.com");
        }
        c
    };
    let denied: BTreeSet<&str> = policy.denied.iter().map(|(a, _)| a.as_str()).collect();
    let omitted: BTreeSet<&str> = policy.omitted.iter().map(|(a, _)| a.as_str()).collect();
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    for action in stack_actions(&templates) {
        if action == "apigateway:SetWebACL" {
            // The simulator's data gives API Gateway's stage resource type
            // its two ARN patterns (HTTP and REST APIs) as one string, which
            // it matches against nothing ("no.resource.types"); the grant on
            // the REST API stages web ACLs are associated with is read from
            // the policy instead.
            let granted = document["Statement"].as_array().unwrap().iter().any(|s| {
                s["Effect"] == "Allow"
                    && (s["Action"] == action
                        || s["Action"]
                            .as_array()
                            .is_some_and(|a| a.contains(&json!(action))))
                    && s["Resource"].as_array().is_some_and(|r| {
                        r.contains(&json!(format!(
                            "arn:aws:apigateway:{region}::/restapis/*/stages/*"
                        )))
                    })
            });
            assert!(granted, "{action} is not granted on REST API stages");
            continue;
        }
        if iam::lookup(action)
            .unwrap()
            .resource_types
            .contains(&"recoveryPoint")
        {
            // AWS Backup's recovery point ARN (`arn:${Partition}:${Vendor}:
            // ${Region}:*:${ResourceType}:${RecoveryPointId}`) matches every
            // other Backup ARN too, so the simulator refuses to pick a type
            // ("multiple.resource.types"); the grant on the platform's backup
            // plans (recovery points are never granted) is read from the
            // policy instead.
            let plans = json!(format!("arn:aws:backup:{region}:{ACCOUNT}:backup-plan:*"));
            let granted = document["Statement"].as_array().unwrap().iter().any(|s| {
                s["Effect"] == "Allow"
                    && (s["Action"] == action
                        || s["Action"]
                            .as_array()
                            .is_some_and(|a| a.contains(&json!(action))))
                    && (s["Resource"] == plans
                        || s["Resource"].as_array().is_some_and(|r| r.contains(&plans)))
            });
            assert!(granted, "{action} is not granted on the backup plans");
            continue;
        }
        let arn = request_arn(&templates, stack, action);
        requests.push(request(action, &arn, context_for(action)));
        expected.push(if denied.contains(action) {
            "ExplicitlyDenied"
        } else if omitted.contains(action) {
            "ImplicitlyDenied"
        } else {
            "Allowed"
        });
    }
    let role =
        |suffix: &str| format!("arn:aws:iam::{ACCOUNT}:role/role-trade-api-{region}-{suffix}");
    let queue =
        |suffix: &str| format!("arn:aws:sqs:{region}:{ACCOUNT}:sqs-trade-orders-{region}-{suffix}");
    let refused = [
        // A role without the boundary, or with another one.
        (
            request(
                "iam:CreateRole",
                &role("dev"),
                json!({"aws:RequestedRegion": region}),
            ),
            "ImplicitlyDenied",
        ),
        (
            request(
                "iam:CreateRole",
                &role("dev"),
                json!({"aws:RequestedRegion": region, "iam:PermissionsBoundary": format!("arn:aws:iam::{ACCOUNT}:policy/other")}),
            ),
            "ImplicitlyDenied",
        ),
        (
            request("iam:DeleteRolePermissionsBoundary", &role("dev"), json!({})),
            "ExplicitlyDenied",
        ),
        (
            request("iam:CreatePolicyVersion", &boundary, json!({})),
            "ExplicitlyDenied",
        ),
        // Roles that are not the platform's, or passed to another service.
        (
            request(
                "iam:PassRole",
                &format!("arn:aws:iam::{ACCOUNT}:role/tp-deploy-{region}"),
                json!({"iam:PassedToService": "lambda.amazonaws.com"}),
            ),
            "ImplicitlyDenied",
        ),
        (
            request(
                "iam:PassRole",
                &role("dev"),
                json!({"iam:PassedToService": "ec2.amazonaws.com"}),
            ),
            "ImplicitlyDenied",
        ),
        // Data-plane calls CloudFormation never makes.
        (
            request("sqs:SendMessage", &queue("dev"), context_for("")),
            "ImplicitlyDenied",
        ),
        (
            request(
                "s3:GetObject",
                &format!("arn:aws:s3:::s3-audit-log-{region}-dev/key"),
                context_for(""),
            ),
            "ImplicitlyDenied",
        ),
        (
            request(
                "dynamodb:PutItem",
                &format!("arn:aws:dynamodb:{region}:{ACCOUNT}:table/ddb-sessions-{region}-dev"),
                context_for(""),
            ),
            "ImplicitlyDenied",
        ),
        // Another suffix's resources, another region.
        (
            request("sqs:DeleteQueue", &queue("prod"), context_for("")),
            "ImplicitlyDenied",
        ),
        (
            request("iam:DeleteRole", &role("prod"), context_for("")),
            "ImplicitlyDenied",
        ),
        (
            request(
                "sqs:DeleteQueue",
                &format!("arn:aws:sqs:us-west-2:{ACCOUNT}:sqs-trade-orders-us-west-2-dev"),
                json!({"aws:RequestedRegion": "us-west-2"}),
            ),
            "ImplicitlyDenied",
        ),
        (
            request(
                "ec2:DescribeVpcs",
                "*",
                json!({"aws:RequestedRegion": "us-west-2"}),
            ),
            "ImplicitlyDenied",
        ),
    ];
    // The same refusals on the dev stage's own names are granted, so the
    // denials above are about what differs.
    requests.push(request("sqs:DeleteQueue", &queue("dev"), context_for("")));
    expected.push("Allowed");
    for (r, e) in refused {
        requests.push(r);
        expected.push(e);
    }
    let answers = evaluate(&requests);
    let wrong: Vec<String> = requests
        .iter()
        .zip(&answers)
        .zip(&expected)
        .filter(|((_, a), e)| a.as_str() != **e)
        .map(|((r, a), e)| format!("{} on {}: {a}, expected {e}", r["action"], r["resource"]))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} requests: {wrong:#?}",
        wrong.len(),
        requests.len()
    );
}

/// IAM's default quota of managed policies attached to one role.
const MANAGED_POLICIES_PER_ROLE: usize = 10;

#[test]
fn the_boundary_fits_one_managed_policy_and_the_execution_policy_fits_the_roles_quota() {
    each_stage_and_region(|stage, region, templates, scope| {
        let boundary = boundary_policy(templates, scope);
        let chars = policy_chars(&boundary);
        assert!(
            chars <= MANAGED_POLICY_MAX_CHARS,
            "{stage}/{region}: the boundary takes {chars} characters"
        );
        let policy = execution_policy(templates, scope);
        let packed = pack(&policy.statements).unwrap();
        assert!(
            packed.len() <= MANAGED_POLICIES_PER_ROLE,
            "{stage}/{region}: the execution policy needs {} managed policies",
            packed.len()
        );
        assert!(
            packed
                .iter()
                .all(|p| policy_chars(p) <= MANAGED_POLICY_MAX_CHARS)
        );
        assert_eq!(
            packed.iter().map(Vec::len).sum::<usize>(),
            policy.statements.len()
        );
        if stage == "dev" && region == "us-east-1" {
            eprintln!(
                "dev/us-east-1: boundary {chars} characters; execution policy {} characters in {} managed policies",
                policy_chars(&policy.statements),
                packed.len()
            );
        }
    });
}

/// The inline policy of the role named `role_name` in `templates`, its
/// references to declared buckets resolved to their dev-stage ARNs.
fn role_policy(templates: &[&Template], role_name: &str) -> Value {
    let role = templates
        .iter()
        .flat_map(|t| {
            let json = t.to_json();
            json["Resources"]
                .as_object()
                .unwrap()
                .values()
                .cloned()
                .collect::<Vec<_>>()
        })
        .find(|r| r["Type"] == "AWS::IAM::Role" && r["Properties"]["RoleName"] == role_name)
        .unwrap_or_else(|| panic!("no role {role_name}"));
    let text = resolve(&role["Properties"]["Policies"][0]["PolicyDocument"])
        .to_string()
        .replace(
            "${AuditLogBucket.Arn}",
            &format!("arn:aws:s3:::s3-audit-log-us-east-1-dev-{ACCOUNT}"),
        )
        .replace("${AWS::Region}", "us-east-1");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn iam_simulate_the_audit_writer_appends_and_never_deletes_or_overwrites() {
    let assembly = synth_trading("dev", "dev");
    let templates = templates_in(&assembly, "us-east-1");
    let mut writer = role_policy(&templates, "role-event-handler-us-east-1-dev");
    // The key statements name the key by reference; S3's own actions are
    // what is in question here.
    writer["Statement"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["Action"].to_string().contains("s3:"));
    let object =
        format!("arn:aws:s3:::s3-audit-log-us-east-1-dev-{ACCOUNT}/audit/year=2025/a.json");
    let request = |action: &str, context: Value| {
        json!({
            "principal": format!("arn:aws:iam::{ACCOUNT}:role/role-event-handler-us-east-1-dev"),
            "account": ACCOUNT,
            "action": action,
            "resource": object,
            "context": context,
            "policies": [{"name": "writer", "policy": writer}],
        })
    };
    let cases = [
        // A new record, written with If-None-Match: *.
        (
            request("s3:PutObject", json!({"s3:if-none-match": "*"})),
            "Allowed",
        ),
        // Without it the write could replace a record: refused.
        (request("s3:PutObject", json!({})), "ImplicitlyDenied"),
        (request("s3:DeleteObject", json!({})), "ImplicitlyDenied"),
        (
            request("s3:DeleteObjectVersion", json!({})),
            "ImplicitlyDenied",
        ),
        (
            request("s3:PutObjectRetention", json!({})),
            "ImplicitlyDenied",
        ),
        (request("s3:GetObject", json!({})), "ImplicitlyDenied"),
    ];
    let (requests, expected): (Vec<Value>, Vec<&str>) = cases.into_iter().unzip();
    assert_eq!(evaluate(&requests), expected);
}

#[test]
fn iam_simulate_the_archive_refuses_deletes_and_lock_changes_to_everyone() {
    let platform = platform_def::platform();
    let opts = platform_core::synth::bootstrap::BootstrapOptions {
        region: "us-east-1".into(),
        account: ACCOUNT.into(),
        trust: Vec::new(),
        operators: Vec::new(),
        suffixes: vec![("dev".into(), "dev".into())],
        pipeline_suffix: None,
    };
    let bootstrap = platform_core::synth::bootstrap::bootstrap_template(&platform, &opts)
        .unwrap()
        .to_json();
    let archive = format!("arn:aws:s3:::tp-audit-archive-{ACCOUNT}-us-east-1");
    let text =
        resolve(&bootstrap["Resources"]["ArchiveBucketPolicy"]["Properties"]["PolicyDocument"])
            .to_string()
            .replace("${ArchiveBucket.Arn}", &archive);
    let mut bucket_policy: Value = serde_json::from_str(&text).unwrap();
    for s in bucket_policy["Statement"].as_array_mut().unwrap() {
        // The bucket itself, by `Fn::GetAtt`.
        if let Some(resources) = s["Resource"].as_array_mut() {
            for r in resources.iter_mut().filter(|r| r.is_object()) {
                *r = json!(archive);
            }
        }
    }
    // An administrator of the account, allowed everything on S3 by IAM.
    let admin = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    ]});
    let replication =
        format!("arn:aws:iam::{ACCOUNT}:role/role-audit-log-replication-us-east-1-dev");
    let request = |principal: &str, action: &str| {
        json!({
            "principal": principal,
            "account": ACCOUNT,
            "action": action,
            "resource": format!("{archive}/audit/year=2025/a.json"),
            // What AWS sets on every request.
            "context": {"aws:SecureTransport": "true", "aws:PrincipalArn": principal},
            "policies": [{"name": "admin", "policy": admin}],
            "resourcePolicy": bucket_policy,
        })
    };
    let admin_role = format!("arn:aws:iam::{ACCOUNT}:role/Admin");
    let cases = [
        (request(&replication, "s3:ReplicateObject"), "Allowed"),
        (
            request(&admin_role, "s3:ReplicateObject"),
            "ExplicitlyDenied",
        ),
        (request(&admin_role, "s3:PutObject"), "ExplicitlyDenied"),
        (
            request(&admin_role, "s3:DeleteObjectVersion"),
            "ExplicitlyDenied",
        ),
        (request(&admin_role, "s3:DeleteObject"), "ExplicitlyDenied"),
        (
            request(&admin_role, "s3:PutObjectRetention"),
            "ExplicitlyDenied",
        ),
        (
            request(&admin_role, "s3:BypassGovernanceRetention"),
            "ExplicitlyDenied",
        ),
        (
            request(&replication, "s3:DeleteObjectVersion"),
            "ExplicitlyDenied",
        ),
        (request(&admin_role, "s3:GetObject"), "Allowed"),
    ];
    let (requests, expected): (Vec<Value>, Vec<&str>) = cases.into_iter().unzip();
    assert_eq!(evaluate(&requests), expected);
}
