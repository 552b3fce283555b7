//! The CloudFormation execution role's policy and the permissions boundary
//! of the platform's roles, generated from the synthesized templates.
//!
//! The execution role is granted exactly the IAM actions the resource
//! handlers of the templates' types call ([`crate::cfn_permissions`]), each
//! on the narrowest ARNs IAM lets it be scoped to: the platform's own names
//! for the scope's region and suffixes where the platform names the
//! resource, the resource type's ARN with the id wildcarded where AWS
//! assigns it, and `"*"` (pinned to the region) only where IAM has no
//! resource type for the action. It may create and change roles only when
//! they carry the boundary, and never the boundary itself.
//!
//! The boundary allows at most what the templates' roles are granted, in
//! the scope's region and account, and denies every IAM, STS and
//! Organizations privilege change.

use std::collections::{BTreeMap, BTreeSet};

use crate::accounts::boundary_policy_name;
use crate::cfn_permissions::{Handlers, RESOURCE_TYPES};
use crate::iam::{self as iam_tables, Action};
use crate::naming;
use crate::spec::Platform;
use crate::template::{Template, Value};

use super::iam::Statement;

/// What the execution role and the boundary are scoped to: the platform's
/// names in one region of one account, for the suffixes deployed there.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    pub platform: &'a Platform,
    /// The region code (`us-east-1`).
    pub region: &'a str,
    /// The suffixes of the environments deployed into this account and
    /// region (`dev`, or `staging` and `pr-12`).
    pub suffixes: &'a [String],
}

/// The execution role's policy: statements (as IAM JSON values), and the
/// actions that could only be granted on `"*"`, each with the reason.
#[derive(Debug, Clone, Default)]
pub struct ExecutionPolicy {
    /// Policy statements, each an IAM statement object.
    pub statements: Vec<Value>,
    /// `(action, why it cannot be scoped)`, sorted by action.
    pub unscoped: Vec<(String, String)>,
    /// `(action, why it is denied)`, sorted by action: handler permissions
    /// the role is explicitly refused, because they would let a role escape
    /// the boundary.
    pub denied: Vec<(String, String)>,
    /// `(action, why it is not needed)`, sorted by action: handler
    /// permissions left out because the platform's resources never use the
    /// feature that needs them (data-plane access).
    pub omitted: Vec<(String, String)>,
}

/// The handlers of `cfn_type`, if the platform can synthesize it.
pub fn handlers(cfn_type: &str) -> Option<&'static Handlers> {
    RESOURCE_TYPES
        .binary_search_by(|(t, _)| (*t).cmp(cfn_type))
        .ok()
        .map(|i| &RESOURCE_TYPES[i].1)
}

/// Every resource type of `templates`, sorted.
pub fn resource_types<'t>(templates: &[&'t Template]) -> BTreeSet<&'t str> {
    templates
        .iter()
        .flat_map(|t| t.resources.values().map(|r| r.cfn_type.as_str()))
        .collect()
}

/// The actions the handlers of `templates`' types list: the union of their
/// create, read, update and delete permissions. [`execution_policy`] grants
/// all of them but [`ExecutionPolicy::omitted`] and
/// [`ExecutionPolicy::denied`].
///
/// List handlers are left out: CloudFormation calls them only to list
/// resources through Cloud Control or to import and generate templates,
/// never while it creates, updates, deletes or rolls back a stack.
///
/// # Panics
///
/// If a template holds a type neither the handler table nor the schema
/// table ([`crate::cfn_schema`]) covers. Types only `resource` blocks use
/// get their schema's handler permissions as listed; a type the
/// platform's constructs synthesize belongs in `scripts/gen-cfn-facts.py`,
/// whose permissions are adjusted to IAM's names.
pub fn stack_actions(templates: &[&Template]) -> BTreeSet<&'static str> {
    needed(templates, false)
}

fn needed(templates: &[&Template], omit: bool) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    for cfn_type in resource_types(templates) {
        let Some(h) = handlers(cfn_type) else {
            // A type only `resource` blocks use: its schema's handler
            // permissions, as listed.
            let actions = crate::cfn_schema::handler_actions(cfn_type).unwrap_or_else(|| {
                panic!(
                    "{cfn_type} is not a CloudFormation type of the schema table: run scripts/gen-cfn-schemas.py after changing the pinned cfn-lint"
                )
            });
            out.extend(actions);
            continue;
        };
        for ops in [h.create, h.read, h.update, h.delete] {
            out.extend(
                ops.iter().copied().filter(|a| {
                    !(omit && OMITTED.iter().any(|(t, o, _)| *t == cfn_type && o == a))
                }),
            );
        }
    }
    out
}

/// The ARN of the boundary policy in the scope's region:
/// `arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/<name>`.
pub fn boundary_arn(region: &str) -> String {
    format!(
        "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{}",
        boundary_policy_name(region)
    )
}

/// Role actions whose request names the boundary the role will carry
/// (`iam:PermissionsBoundary`): granted only for the platform's boundary.
const BOUNDED_ROLE_ACTIONS: &[&str] = &[
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
];

/// Handler permissions refused outright, with the reason.
const DENIED: &[(&str, &str)] = &[(
    "iam:DeleteRolePermissionsBoundary",
    "removing a role's boundary would lift every limit the boundary sets",
)];

/// Handler permissions of one type that the platform's resources never
/// need, with the reason: left out, because they are data-plane access.
const OMITTED: &[(&str, &str, &str)] = &[(
    "AWS::DynamoDB::Table",
    "dynamodb:PutItem",
    "writes items only for an import from S3 (ImportSourceSpecification), which the platform's tables never declare",
)];

/// Changes to a managed policy: denied on the boundary itself.
const POLICY_CHANGES: &[&str] = &[
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
];

/// Services whose endpoint is global: their requests carry the partition's
/// home region as `aws:RequestedRegion`, whatever region the stack is in.
const GLOBAL_SERVICES: &[&str] = &["iam", "organizations", "route53", "sts"];

/// Above this many resource types with AWS-assigned ids in one service's
/// region and account, an action is scoped to that region and account as a
/// whole (`arn:...:ec2:us-east-1:${AWS::AccountId}:*`): listing a hundred
/// wildcarded ARNs (`ec2:CreateTags`) scopes no tighter, and the policy has
/// a size limit.
const WIDE_ACTION_TYPES: usize = 4;

/// How the platform names one IAM resource type: per placeholder of its ARN
/// template, the name pattern; `{e}` is `-{region}-{suffix}`, `{p}` the
/// platform's purpose, `{r}` the region, `{s}` the suffix, `{assets}` the
/// asset bucket. Placeholders not
/// named are ids AWS assigns (wildcarded).
struct Named {
    service: &'static str,
    resource_type: &'static str,
    variants: &'static [&'static [(&'static str, &'static str)]],
}

const fn named(
    service: &'static str,
    resource_type: &'static str,
    variants: &'static [&'static [(&'static str, &'static str)]],
) -> Named {
    Named {
        service,
        resource_type,
        variants,
    }
}

/// Every resource type the platform names (`naming::physical_name`), with
/// the names it gives.
static NAMED: &[Named] = &[
    named(
        "cloudformation",
        "stack",
        // The stacks, their nested stacks (`{parent}-{logical id}-{random}`)
        // and the pipeline stack (`{p}-pipeline{e}`).
        &[
            &[("StackName", "{p}{e}")],
            &[("StackName", "{p}{e}-*")],
            &[("StackName", "{p}-*{e}")],
        ],
    ),
    named("cloudwatch", "alarm", &[&[("AlarmName", "alarm-*{e}")]]),
    named(
        "cloudwatch",
        "dashboard",
        &[&[("DashboardName", "dashboard-*{e}")]],
    ),
    named(
        "codebuild",
        "project",
        &[&[("ProjectName", "codebuild-*{e}")]],
    ),
    named(
        "codepipeline",
        "pipeline",
        &[&[("PipelineName", "codepipeline-*{e}")]],
    ),
    named(
        "codepipeline",
        "stage",
        &[&[("PipelineName", "codepipeline-*{e}")]],
    ),
    named("dynamodb", "table", &[&[("TableName", "ddb-*{e}")]]),
    named("dynamodb", "index", &[&[("TableName", "ddb-*{e}")]]),
    named("dynamodb", "stream", &[&[("TableName", "ddb-*{e}")]]),
    named("dynamodb", "import", &[&[("TableName", "ddb-*{e}")]]),
    named("events", "event-bus", &[&[("EventBusName", "bus-*{e}")]]),
    named(
        "events",
        "rule-on-custom-event-bus",
        &[&[("EventBusName", "bus-*{e}"), ("RuleName", "rule-*{e}")]],
    ),
    named(
        "events",
        "rule-on-default-event-bus",
        &[&[("RuleName", "rule-*{e}")]],
    ),
    named("iam", "role", &[&[("RoleNameWithPath", "role-*{e}")]]),
    named("kms", "alias", &[&[("Alias", "kms-*{e}")]]),
    named(
        "lambda",
        "function",
        // Versions and aliases are `function:{name}:{qualifier}`.
        &[
            &[("FunctionName", "lambda-*{e}")],
            &[("FunctionName", "lambda-*{e}:*")],
        ],
    ),
    named(
        "logs",
        "log-group",
        // `/aws/lambda/lambda-...{e}`, `/aws/apigateway/apigw-...{e}`; IAM
        // matches some log-group actions against `log-group:{name}:*`.
        &[&[("LogGroupName", "/*{e}")], &[("LogGroupName", "/*{e}:*")]],
    ),
    named("logs", "log-stream", &[&[("LogGroupName", "/*{e}")]]),
    named(
        "rds",
        "cluster",
        &[&[("DbClusterInstanceName", "aurora-*{e}")]],
    ),
    named("rds", "db", &[&[("DbInstanceName", "aurora-*{e}")]]),
    named("rds", "subgrp", &[&[("SubnetGroupName", "aurora-*{e}")]]),
    // Bucket names end with the account (`naming::bucket_name`): the
    // account the bootstrap is in, which the environments deploy into.
    named(
        "s3",
        "bucket",
        &[&[("BucketName", "s3-*{e}-${AWS::AccountId}")]],
    ),
    // Objects CloudFormation's handlers read are assets (function code, API
    // bodies) in the bootstrap's asset bucket, never the platform's data.
    named(
        "s3",
        "object",
        &[&[("BucketName", "{assets}"), ("ObjectName", "*")]],
    ),
    named(
        "secretsmanager",
        "Secret",
        // Secrets Manager appends `-` and six random characters.
        &[&[("SecretId", "dbuser-*{e}-??????")]],
    ),
    named("sns", "topic", &[&[("TopicName", "sns-*{e}")]]),
    named("sqs", "queue", &[&[("QueueName", "sqs-*{e}")]]),
    named(
        "ssm",
        "parameter",
        &[&[("ParameterNameWithoutLeadingSlash", "{p}/{s}/{r}/*")]],
    ),
    // Web ACLs are regional (API Gateway stages take no other), named
    // `waf-<api>-<region>-<suffix>`; WAF appends an id.
    named(
        "wafv2",
        "webacl",
        &[&[("Scope", "regional"), ("Name", "waf-*{e}")]],
    ),
    named("wafv2", "rulegroup", &[&[("Scope", "regional")]]),
];

/// Resource types the platform never creates, through which an action
/// would reach further than its own resources (objects of any bucket behind
/// an access point; access grants, Batch Operations jobs, Storage Lens):
/// never granted when the action has other types. Of S3's types the
/// platform creates only buckets and their objects; of AWS Backup's, plans
/// (vaults are the bootstrap's), never recovery points, whose IAM ARN is
/// any service's resource in any account; of what a web ACL can be
/// associated with, only API Gateway stages.
const NEVER_CREATED: &[(&str, &str)] = &[
    ("wafv2", "agentcore-gateway"),
    ("wafv2", "amplify-app"),
    ("wafv2", "apprunner"),
    ("wafv2", "appsync"),
    ("wafv2", "loadbalancer/app/"),
    ("wafv2", "userpool"),
    ("wafv2", "verified-access-instance"),
    ("backup", "backupAccessPoint"),
    ("backup", "framework"),
    ("backup", "legalHold"),
    ("backup", "recoveryPoint"),
    ("backup", "reportPlan"),
    ("backup", "restoreTestingPlan"),
    ("backup", "tieringConfiguration"),
    ("s3", "accessgrant"),
    ("s3", "accessgrantsinstance"),
    ("s3", "accessgrantslocation"),
    ("s3", "accesspoint"),
    ("s3", "accesspointobject"),
    ("s3", "job"),
    ("s3", "multiregionaccesspoint"),
    ("s3", "multiregionaccesspointrequestarn"),
    ("s3", "objectlambdaaccesspoint"),
    ("wafv2", "ipset"),
    ("wafv2", "managedruleset"),
    ("wafv2", "regexpatternset"),
    ("s3", "storagelensconfiguration"),
    ("s3", "storagelensgroup"),
];

/// Whether the execution role never gets `service`'s `resource_type` (when
/// an action has others): one the platform never creates, through which
/// the action would reach further than the platform's own resources.
pub fn never_granted(service: &str, resource_type: &str) -> bool {
    NEVER_CREATED.contains(&(service, resource_type))
}

fn naming_of(service: &str, resource_type: &str) -> Option<&'static Named> {
    NAMED
        .iter()
        .find(|n| n.service == service && n.resource_type == resource_type)
}

/// Fills an ARN template (`arn:${Partition}:sqs:${Region}:${Account}:${QueueName}`)
/// for `Fn::Sub`: the partition and account as pseudo parameters, the
/// region as given, each name from `names`, any other placeholder `*`.
fn fill(template: &str, region: &str, names: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        let end = start + rest[start..].find('}').expect("closed placeholder");
        out.push_str(&rest[..start]);
        let key = &rest[start + 2..end];
        match key {
            "Partition" => out.push_str("${AWS::Partition}"),
            "Account" => out.push_str("${AWS::AccountId}"),
            "Region" => out.push_str(region),
            _ => match names.iter().find(|(k, _)| *k == key) {
                Some((_, v)) => out.push_str(v),
                None => out.push('*'),
            },
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    // Two wildcards in a row match what one does.
    while out.contains("**") {
        out = out.replace("**", "*");
    }
    out
}

fn name_pattern(pattern: &str, scope: &Scope<'_>, suffix: &str) -> String {
    pattern
        .replace("{e}", &format!("-{}-{suffix}", scope.region))
        .replace("{p}", &naming::purpose(&scope.platform.name))
        .replace("{r}", scope.region)
        .replace("{s}", suffix)
        .replace(
            "{assets}",
            &crate::accounts::asset_bucket_name("${AWS::AccountId}", scope.region),
        )
}

/// The ARN templates of one IAM resource type (a few have several, `|`- or
/// `, `-separated, one per API flavour).
fn arn_templates(service: &str, resource_type: &str) -> Vec<&'static str> {
    iam_tables::arn_template(service, resource_type)
        .map(|t| t.split(", ").map(str::trim).collect())
        .unwrap_or_default()
}

/// The ARNs one resource type of an action is scoped to in `scope`, and
/// whether the platform names it.
fn type_arns(service: &str, resource_type: &str, scope: &Scope<'_>) -> (Vec<String>, bool) {
    let templates = arn_templates(service, resource_type);
    match naming_of(service, resource_type) {
        Some(named) => {
            let mut out = Vec::new();
            for template in &templates {
                for suffix in scope.suffixes {
                    for variant in named.variants {
                        let names: Vec<(&str, String)> = variant
                            .iter()
                            .map(|(k, p)| (*k, name_pattern(p, scope, suffix)))
                            .collect();
                        out.push(fill(template, scope.region, &names));
                    }
                }
            }
            (out, true)
        }
        None => (
            templates
                .iter()
                .map(|t| fill(t, scope.region, &[]))
                .collect(),
            false,
        ),
    }
}

/// The six fields of an ARN, `${AWS::...}` pseudo parameters kept whole
/// (they hold `::` themselves).
fn arn_fields(arn: &str) -> Option<Vec<String>> {
    let masked = arn.replace("AWS::", "AWS\u{1}");
    let fields: Vec<String> = masked
        .splitn(6, ':')
        .map(|f| f.replace("AWS\u{1}", "AWS::"))
        .collect();
    (fields.len() == 6 && fields[0] == "arn").then_some(fields)
}

/// `arn:{partition}:{service}:{region}:{account}:` of an ARN.
fn arn_space(arn: &str) -> Option<String> {
    let fields = arn_fields(arn)?;
    Some(format!("{}:", fields[..5].join(":")))
}

/// The ARNs `action` is granted on in `scope`; empty when IAM has no
/// resource type for it.
fn action_arns(action: &Action, scope: &Scope<'_>) -> Vec<String> {
    if action.service == "iam" && action.name == "CreateServiceLinkedRole" {
        // Service-linked roles have AWS's names, under their own path.
        return vec!["arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*".into()];
    }
    let mut scoped = BTreeSet::new();
    let mut assigned: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut named_spaces = BTreeSet::new();
    let reaches_further = |t: &&&str| {
        NEVER_CREATED.contains(&(action.service, **t)) && action.resource_types.len() > 1
    };
    for resource_type in action.resource_types.iter().filter(|t| !reaches_further(t)) {
        let (arns, named) = type_arns(action.service, resource_type, scope);
        for arn in arns {
            let space = arn_space(&arn).unwrap_or_default();
            if named {
                named_spaces.insert(space);
                scoped.insert(arn);
            } else {
                assigned.entry(space).or_default().insert(arn);
            }
        }
    }
    for (space, arns) in assigned {
        if arns.len() > WIDE_ACTION_TYPES && !named_spaces.contains(&space) && !space.is_empty() {
            scoped.insert(format!("{space}*"));
        } else {
            scoped.extend(arns);
        }
    }
    scoped.into_iter().collect()
}

fn pascal(service: &str) -> String {
    service
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            let first = c.next().expect("non-empty").to_ascii_uppercase();
            std::iter::once(first).chain(c).collect::<String>()
        })
        .collect()
}

fn string_equals(key: &str, values: Vec<Value>) -> Value {
    let value = if values.len() == 1 {
        values.into_iter().next().expect("one")
    } else {
        Value::List(values)
    };
    Value::map([("StringEquals", Value::map([(key, value)]))])
}

fn requested_region(region: &str) -> Value {
    string_equals("aws:RequestedRegion", vec![Value::str(region)])
}

fn unscoped_reason(action: &Action) -> String {
    let what = if GLOBAL_SERVICES.contains(&action.service) {
        format!(
            "{} is a global service; its requests carry the partition's home region, so only the account scopes it",
            action.service
        )
    } else {
        "granted on \"*\" in the scope's region only (aws:RequestedRegion)".to_owned()
    };
    let verb = action.name[1..]
        .find(|c: char| c.is_ascii_uppercase())
        .map_or(action.name, |i| &action.name[..=i]);
    let why = match verb {
        "List" | "Describe" | "Get" | "Search" => "it reads across the account",
        "Create" | "Put" | "Generate" => {
            "it creates something that has no ARN before the call, or is account-wide"
        }
        _ => "it acts on an account-level setting",
    };
    format!("IAM defines no resource type for it ({why}); {what}")
}

/// What makes actions share a statement: its label, resources and
/// condition (as JSON text).
type GroupKey = (String, Vec<String>, Option<String>);

/// Statements in the making: actions sharing resources and condition.
#[derive(Default)]
struct Groups {
    by_key: BTreeMap<GroupKey, (Vec<String>, Option<Value>)>,
}

impl Groups {
    fn add(&mut self, label: &str, action: &str, resources: Vec<String>, condition: Option<Value>) {
        let key = (
            label.to_owned(),
            resources,
            condition.as_ref().map(|c| c.to_json().to_string()),
        );
        self.by_key
            .entry(key)
            .or_insert_with(|| (Vec::new(), condition))
            .0
            .push(action.to_owned());
    }

    /// Statements `{Label}{n}`, numbered per label in a stable order.
    fn statements(self) -> Vec<Statement> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut out = Vec::new();
        let mut groups: Vec<_> = self.by_key.into_iter().collect();
        groups.sort_by(|a, b| (&a.0.0, &a.1.0).cmp(&(&b.0.0, &b.1.0)));
        for ((label, resources, _), (mut actions, condition)) in groups {
            actions.sort();
            let n = counts.entry(label.clone()).or_default();
            *n += 1;
            let refs: Vec<&str> = actions.iter().map(String::as_str).collect();
            let mut s = Statement::allow(
                &format!("{label}{n}"),
                &refs,
                resources.into_iter().map(sub_or_str).collect(),
            );
            s.condition = condition;
            out.push(s);
        }
        out
    }
}

fn sub_or_str(s: String) -> Value {
    if s.contains("${") {
        Value::sub(s)
    } else {
        Value::Str(s)
    }
}

/// The services the templates' roles trust: what they are passed to.
fn trusted_services(templates: &[&Template]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for role in roles(templates) {
        let Some(Value::Map(doc)) = role.properties.get("AssumeRolePolicyDocument") else {
            continue;
        };
        for statement in list(doc.get("Statement")) {
            let Value::Map(s) = statement else { continue };
            let Some(Value::Map(principal)) = s.get("Principal") else {
                continue;
            };
            for service in list(principal.get("Service")) {
                if let Value::Str(service) = service {
                    out.insert(service.clone());
                    // RDS takes the enhanced-monitoring role in
                    // CreateDBInstance, passed as its own.
                    if service == "monitoring.rds.amazonaws.com" {
                        out.insert("rds.amazonaws.com".into());
                    }
                }
            }
        }
    }
    out
}

fn roles<'t>(
    templates: &'t [&'t Template],
) -> impl Iterator<Item = &'t crate::template::Resource> + 't {
    templates
        .iter()
        .flat_map(|t| t.resources.values())
        .filter(|r| r.cfn_type == "AWS::IAM::Role")
}

fn list(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::List(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    }
}

fn lookup(action: &str) -> Action {
    iam_tables::lookup(action).unwrap_or_else(|e| {
        panic!("{action} is not in iam_data.rs ({e:?}): add its service to scripts/gen-iam-data.py")
    })
}

/// The execution role's policy for `templates` (every stack, nested ones
/// included, that CloudFormation will run with the role in `scope`).
///
/// # Panics
///
/// If a template holds a type the handler table does not cover, or an
/// action's service is missing from the IAM tables: both are generated, and
/// the messages say which generator to extend.
pub fn execution_policy(templates: &[&Template], scope: &Scope<'_>) -> ExecutionPolicy {
    let boundary = boundary_arn(scope.region);
    let passed_to: Vec<Value> = trusted_services(templates)
        .into_iter()
        .map(Value::Str)
        .collect();
    let mut groups = Groups::default();
    let mut unscoped = Vec::new();
    let mut denied = Vec::new();
    let wanted = needed(templates, true);
    let omitted: Vec<(String, String)> = stack_actions(templates)
        .difference(&wanted)
        .map(|a| {
            let why = OMITTED.iter().find(|(_, o, _)| o == a).expect("omitted").2;
            ((*a).to_owned(), why.to_owned())
        })
        .collect();
    for name in wanted {
        if let Some((_, why)) = DENIED.iter().find(|(a, _)| *a == name) {
            denied.push((name.to_owned(), (*why).to_owned()));
            continue;
        }
        let action = lookup(name);
        let label = pascal(action.service);
        let arns = action_arns(&action, scope);
        if arns.is_empty() {
            unscoped.push((name.to_owned(), unscoped_reason(&action)));
            let condition = (!GLOBAL_SERVICES.contains(&action.service))
                .then(|| requested_region(scope.region));
            groups.add(
                &format!("{label}Unscoped"),
                name,
                vec!["*".into()],
                condition,
            );
        } else if BOUNDED_ROLE_ACTIONS.contains(&name) {
            let condition = string_equals("iam:PermissionsBoundary", vec![Value::sub(&boundary)]);
            groups.add("IamBoundedRoles", name, arns, Some(condition));
        } else if name == "iam:PassRole" {
            let condition = (!passed_to.is_empty())
                .then(|| string_equals("iam:PassedToService", passed_to.clone()));
            groups.add("IamPassRole", name, arns, condition);
        } else {
            groups.add(&label, name, arns, None);
        }
    }
    let mut statements: Vec<Value> = groups
        .statements()
        .iter()
        .map(Statement::to_value)
        .collect();
    if !denied.is_empty() {
        let actions: Vec<&str> = denied.iter().map(|(a, _)| a.as_str()).collect();
        statements.push(deny("DenyBoundaryRemoval", &actions, vec![Value::str("*")]));
    }
    statements.push(deny(
        "DenyBoundaryPolicyChanges",
        POLICY_CHANGES,
        vec![Value::sub(boundary)],
    ));
    ExecutionPolicy {
        statements,
        unscoped,
        denied,
        omitted,
    }
}

fn deny(sid: &str, actions: &[&str], resources: Vec<Value>) -> Value {
    let mut s = Statement::allow(sid, actions, resources);
    s.effect = "Deny";
    s.to_value()
}

/// What a managed policy a role attaches is, for the boundary: the actions
/// it needs from it. `ReadOnlyAccess` serves drift detection, which reads
/// each resource of a stack exactly as the type's read handler does.
fn managed_policy_actions(arn: &Value, templates: &[&Template]) -> BTreeSet<&'static str> {
    let text = match arn {
        Value::Str(s) | Value::Sub(s, _) => s.as_str(),
        _ => "",
    };
    if text.ends_with(":policy/ReadOnlyAccess") {
        let mut out = BTreeSet::new();
        for cfn_type in resource_types(templates) {
            if let Some(h) = handlers(cfn_type) {
                out.extend(h.read.iter().copied());
            }
        }
        return out;
    }
    panic!(
        "a role attaches managed policy {}, which the boundary does not know: add what it is for to managed_policy_actions",
        arn.to_json()
    )
}

/// The actions a role's inline policies grant, each with whether any of
/// its resources lies outside the role's own region or account (a literal
/// ARN naming another region, account, or any).
fn granted(role: &crate::template::Resource) -> BTreeMap<String, (bool, bool)> {
    let mut out: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for policy in list(role.properties.get("Policies")) {
        let Value::Map(policy) = policy else { continue };
        let Some(Value::Map(doc)) = policy.get("PolicyDocument") else {
            continue;
        };
        for statement in list(doc.get("Statement")) {
            let Value::Map(s) = statement else { continue };
            if s.get("Effect") != Some(&Value::str("Allow")) {
                continue;
            }
            let (mut foreign_region, mut foreign_account) = (false, false);
            for resource in list(s.get("Resource")) {
                let text = match resource {
                    Value::Str(t) | Value::Sub(t, _) => t.as_str(),
                    _ => continue,
                };
                if let Some(fields) = arn_fields(text) {
                    foreign_region |= !fields[3].is_empty() && fields[3] != "${AWS::Region}";
                    foreign_account |= !fields[4].is_empty() && fields[4] != "${AWS::AccountId}";
                }
            }
            for action in list(s.get("Action")) {
                let Value::Str(pattern) = action else {
                    continue;
                };
                // A wildcard grants every action it matches.
                let actions = if pattern.contains(['*', '?']) {
                    iam_tables::wildcard_matches(pattern)
                } else {
                    vec![pattern.clone()]
                };
                for a in actions {
                    let entry = out.entry(a).or_default();
                    entry.0 |= foreign_region;
                    entry.1 |= foreign_account;
                }
            }
        }
    }
    out
}

/// Privilege changes no platform role may make, whatever it is granted:
/// roles, users, groups, policies and boundaries (IAM), other identities'
/// credentials (STS), the organization's accounts and policies.
const PRIVILEGE_CHANGES: &[&str] = &[
    "iam:Add*",
    "iam:Attach*",
    "iam:Create*",
    "iam:Delete*",
    "iam:Detach*",
    "iam:Put*",
    "iam:Remove*",
    "iam:Set*",
    "iam:Update*",
    "iam:Upload*",
    "organizations:*",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:GetFederationToken",
];

/// The permissions boundary of every role `templates` create: statements
/// (as IAM JSON values).
///
/// It allows the union of the roles' granted actions (inline policies, and
/// what their managed policies serve), each on its resource types' ARNs in
/// the scope's region and account (any region or account only for an action
/// a role is granted on another's resources), and denies privilege changes.
///
/// # Panics
///
/// If a role attaches a managed policy the boundary does not know, or
/// grants an action missing from the IAM tables.
pub fn boundary_policy(templates: &[&Template], scope: &Scope<'_>) -> Vec<Value> {
    let mut actions: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for role in roles(templates) {
        for (action, foreign) in granted(role) {
            let entry = actions.entry(action).or_default();
            entry.0 |= foreign.0;
            entry.1 |= foreign.1;
        }
        for arn in list(role.properties.get("ManagedPolicyArns")) {
            for action in managed_policy_actions(arn, templates) {
                actions.entry(action.to_owned()).or_default();
            }
        }
    }
    let mut groups = Groups::default();
    for (name, (foreign_region, foreign_account)) in &actions {
        let action = lookup(name);
        let region = if *foreign_region { "*" } else { scope.region };
        let mut spaces = BTreeSet::new();
        for resource_type in action.resource_types {
            for template in arn_templates(action.service, resource_type) {
                let arn = fill(template, region, &[]);
                let Some(space) = arn_space(&arn) else {
                    continue;
                };
                let space = match arn_fields(&space) {
                    Some(fields) if *foreign_account && !fields[4].is_empty() => {
                        format!("{}:*:", fields[..4].join(":"))
                    }
                    _ => space,
                };
                // One statement for every service: an action only ever
                // applies to its own service's resources, so naming the
                // service in the ARN adds nothing, and the boundary must fit
                // in one managed policy.
                let space = match arn_fields(&space) {
                    Some(mut fields) => {
                        fields[2] = "*".into();
                        format!("{}:", fields[..5].join(":"))
                    }
                    None => space,
                };
                spaces.insert(format!("{space}*"));
            }
        }
        if spaces.is_empty() {
            let condition = (!GLOBAL_SERVICES.contains(&action.service) && !foreign_region)
                .then(|| requested_region(scope.region));
            groups.add("PlatformUnscoped", name, vec!["*".into()], condition);
        } else {
            groups.add("Platform", name, spaces.into_iter().collect(), None);
        }
    }
    let mut statements: Vec<Value> = merge_into_supersets(groups.statements())
        .iter()
        .map(Statement::to_value)
        .collect();
    statements.push(deny(
        "DenyPrivilegeChanges",
        PRIVILEGE_CHANGES,
        vec![Value::str("*")],
    ));
    statements
}

/// The boundary's statements with each one whose resources another's hold
/// (and more, all in this account and region) merged into that one, so
/// the boundary fits one managed policy. This widens no action beyond the
/// scope's account and region: an action only ever applies to its own
/// service's resources, and the patterns it gains are of the same region
/// and account (or of none, for types whose ARNs have none).
fn merge_into_supersets(mut statements: Vec<Statement>) -> Vec<Statement> {
    let text = |v: &Value| match v {
        Value::Str(s) | Value::Sub(s, _) => s.clone(),
        other => other.to_json().to_string(),
    };
    let patterns = |s: &Statement| -> BTreeSet<String> { s.resources.iter().map(text).collect() };
    // Another region's or account's resources (`arn:..:*:*:ACCOUNT:*`).
    let foreign =
        |pattern: &String| arn_fields(pattern).is_some_and(|f| f[3] == "*" || f[4] == "*");
    let mut i = 0;
    while i < statements.len() {
        let own = patterns(&statements[i]);
        let into = (0..statements.len()).find(|&j| {
            if j == i || statements[i].condition.is_some() || statements[j].condition.is_some() {
                return false;
            }
            let theirs = patterns(&statements[j]);
            theirs.len() > own.len()
                && own.is_subset(&theirs)
                && !theirs.difference(&own).any(foreign)
        });
        match into {
            Some(j) => {
                let moved = statements.remove(i);
                let j = if j > i { j - 1 } else { j };
                statements[j].actions.extend(moved.actions);
                statements[j].actions.sort();
                i = 0;
            }
            None => i += 1,
        }
    }
    statements
}

/// The most characters a customer managed policy may hold, whitespace not
/// counted (IAM quotas). A permissions boundary is one managed policy.
pub const MANAGED_POLICY_MAX_CHARS: usize = 6_144;

/// The longest value each pseudo parameter resolves to in a policy:
/// `aws-us-gov` is the longest partition, account ids are 12 digits, and
/// `ap-southeast-5` the longest region code.
const PSEUDO_LONGEST: &[(&str, &str)] = &[
    ("${AWS::Partition}", "aws-us-gov"),
    ("${AWS::AccountId}", "000000000000"),
    ("${AWS::Region}", "ap-southeast-5"),
];

/// How many characters a policy document of `statements` takes once
/// CloudFormation has resolved its pseudo parameters (at their longest),
/// as IAM counts them: without whitespace outside strings.
pub fn policy_chars(statements: &[Value]) -> usize {
    fn resolve(v: serde_json::Value) -> serde_json::Value {
        use serde_json::Value as J;
        match v {
            J::Object(m) if m.len() == 1 && m.contains_key("Fn::Sub") => match &m["Fn::Sub"] {
                J::String(text) => {
                    let mut out = text.clone();
                    for (pseudo, longest) in PSEUDO_LONGEST {
                        out = out.replace(pseudo, longest);
                    }
                    J::String(out)
                }
                _ => J::Object(m),
            },
            J::Object(m) => J::Object(m.into_iter().map(|(k, v)| (k, resolve(v))).collect()),
            J::Array(items) => J::Array(items.into_iter().map(resolve).collect()),
            other => other,
        }
    }
    let document = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": statements.iter().map(|s| resolve(s.to_json())).collect::<Vec<_>>(),
    });
    serde_json::to_string(&document)
        .expect("a policy serializes")
        .len()
}

/// Splits `statements` into as few policy documents as first-fit
/// decreasing packing finds, each within [`MANAGED_POLICY_MAX_CHARS`].
///
/// # Errors
///
/// A statement that alone exceeds the limit.
pub fn pack(statements: &[Value]) -> Result<Vec<Vec<Value>>, String> {
    let mut sized: Vec<(usize, &Value)> = statements
        .iter()
        .map(|s| (policy_chars(std::slice::from_ref(s)), s))
        .collect();
    sized.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut bins: Vec<Vec<Value>> = Vec::new();
    for (size, statement) in sized {
        if size > MANAGED_POLICY_MAX_CHARS {
            return Err(format!(
                "a policy statement of {size} characters exceeds a managed policy's {MANAGED_POLICY_MAX_CHARS}"
            ));
        }
        let mut placed = false;
        for bin in &mut bins {
            bin.push(statement.clone());
            if policy_chars(bin) <= MANAGED_POLICY_MAX_CHARS {
                placed = true;
                break;
            }
            bin.pop();
        }
        if !placed {
            bins.push(vec![statement.clone()]);
        }
    }
    Ok(bins)
}

#[cfg(test)]
mod tests;
