//! Least-privilege IAM policies from grants.
//!
//! Each grant expands to exactly the actions of its access level in the
//! catalog, on exactly the ARNs the catalog names for that kind; when the
//! resource is encrypted with a declared key, the level's key actions are
//! granted on that key alone.

use std::collections::BTreeMap;

use crate::catalog::Access;
use crate::naming::pascal_case;
use crate::spec::{FunctionSpec, Grant, Spec, StatementResource};
use crate::template::Value;

use super::Context;

/// A policy statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    pub sid: String,
    pub effect: &'static str,
    pub actions: Vec<String>,
    pub resources: Vec<Value>,
    pub principal: Option<Value>,
    pub condition: Option<Value>,
}

impl Statement {
    pub fn allow(sid: &str, actions: &[&str], resources: Vec<Value>) -> Self {
        Statement {
            sid: sid.to_owned(),
            effect: "Allow",
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            resources,
            principal: None,
            condition: None,
        }
    }

    pub fn to_value(&self) -> Value {
        let mut m = crate::template::Map::new();
        m.insert("Sid".to_owned(), Value::str(self.sid.clone()));
        m.insert("Effect".to_owned(), Value::str(self.effect));
        let one_or_list = |mut items: Vec<Value>| {
            if items.len() == 1 {
                items.remove(0)
            } else {
                Value::List(items)
            }
        };
        m.insert(
            "Action".to_owned(),
            one_or_list(self.actions.iter().map(|a| Value::str(a.clone())).collect()),
        );
        if !self.resources.is_empty() {
            m.insert("Resource".to_owned(), one_or_list(self.resources.clone()));
        }
        if let Some(p) = &self.principal {
            m.insert("Principal".to_owned(), p.clone());
        }
        if let Some(c) = &self.condition {
            m.insert("Condition".to_owned(), c.clone());
        }
        Value::Map(m)
    }
}

/// `{"Version": "2012-10-17", "Statement": [...]}`.
pub(crate) fn document(statements: &[Statement]) -> Value {
    Value::map([
        ("Version", Value::str("2012-10-17")),
        (
            "Statement",
            Value::list(statements.iter().map(Statement::to_value)),
        ),
    ])
}

/// The `PermissionsBoundary` every role the platform creates carries: the
/// boundary `tp bootstrap` installs in the region
/// (`arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/<boundary_policy_name(region)>`).
/// The execution role may create roles only with it.
pub(crate) fn bounded(role: crate::template::Resource, region: &str) -> crate::template::Resource {
    role.prop(
        "PermissionsBoundary",
        Value::sub(super::execution::boundary_arn(region)),
    )
}

/// A trust policy statement letting an AWS service assume a role, for this
/// account only.
pub(crate) fn service_trust(sid: &str, service: &str) -> Statement {
    Statement {
        sid: sid.to_owned(),
        effect: "Allow",
        actions: vec!["sts:AssumeRole".into()],
        resources: Vec::new(),
        principal: Some(Value::map([("Service", Value::str(service))])),
        condition: Some(Value::map([(
            "StringEquals",
            Value::map([(
                "aws:SourceAccount",
                Value::Pseudo(crate::template::Pseudo::AccountId),
            )]),
        )])),
    }
}

/// A statement denying any request to the resource that is not over TLS.
pub(crate) fn deny_insecure_transport(action: &str, resources: Vec<Value>) -> Statement {
    Statement {
        sid: "DenyInsecureTransport".into(),
        effect: "Deny",
        actions: vec![action.to_owned()],
        resources,
        principal: Some(Value::str("*")),
        condition: Some(Value::map([(
            "Bool",
            Value::map([("aws:SecureTransport", Value::str("false"))]),
        )])),
    }
}

/// The ARN patterns of an access level resolved against resource `name`:
/// `{ref}` is its `Ref`, any other `{attribute}` that attribute; `${...}` is
/// left for `Fn::Sub`.
fn resolve_arns(cx: &Context<'_>, name: &str, access: &Access) -> Vec<Value> {
    resolve_patterns(cx, name, access.resources)
}

fn resolve_patterns(cx: &Context<'_>, name: &str, patterns: &[&str]) -> Vec<Value> {
    patterns
        .iter()
        .map(|pattern| {
            if let Some(attribute) = whole_placeholder(pattern) {
                return placeholder_value(cx, name, attribute);
            }
            let mut out = String::with_capacity(pattern.len() + 16);
            let mut rest = *pattern;
            while let Some(start) = rest.find('{') {
                let dollar = start > 0 && rest.as_bytes()[start - 1] == b'$';
                let end = rest[start..]
                    .find('}')
                    .map(|e| start + e)
                    .expect("closed placeholder");
                out.push_str(&rest[..start]);
                if dollar {
                    out.push_str(&rest[start..=end]);
                } else {
                    out.push_str(&placeholder_sub(cx, name, &rest[start + 1..end]));
                }
                rest = &rest[end + 1..];
            }
            out.push_str(rest);
            Value::sub(out)
        })
        .collect()
}

fn whole_placeholder(pattern: &str) -> Option<&str> {
    let inner = pattern.strip_prefix('{')?.strip_suffix('}')?;
    (!inner.contains(['{', '}', '$'])).then_some(inner)
}

fn placeholder_value(cx: &Context<'_>, name: &str, attribute: &str) -> Value {
    if attribute == "ref" {
        Value::Ref(cx.logical_id(name))
    } else {
        cx.attr(&crate::spec::AttrRef::new(name, attribute))
    }
}

fn placeholder_sub(cx: &Context<'_>, name: &str, attribute: &str) -> String {
    if attribute == "ref" {
        format!("${{{}}}", cx.logical_id(name))
    } else {
        cx.sub_var(name, attribute)
    }
}

/// The ARNs of resource `name` that a raw statement's actions act on: the
/// kind's IAM resource types that any of the actions accepts, in the
/// catalog's order.
fn declared_scopes(cx: &Context<'_>, name: &str, actions: &[String]) -> Vec<Value> {
    let resource = cx.platform.resource(name).expect("validated");
    let info = resource.spec.kind().info();
    let mut patterns: Vec<&str> = Vec::new();
    for action in actions {
        let action = crate::iam::lookup(action).expect("actions are checked by the macro");
        for scope in crate::iam::scopes(info, &action) {
            if !patterns.contains(&scope.arn) {
                patterns.push(scope.arn);
            }
        }
    }
    patterns.sort_by_key(|p| info.iam_resources.iter().position(|r| r.arn == *p));
    resolve_patterns(cx, name, &patterns)
}

/// The key that encrypts a declared resource, if any.
fn encryption_key(spec: &Spec) -> Option<&str> {
    match spec {
        Spec::Table(t) => Some(&t.key),
        Spec::Queue(q) => Some(&q.key),
        Spec::Bucket(b) => b.key.as_deref(),
        Spec::Topic(t) => Some(&t.key),
        Spec::Aurora(a) => Some(&a.key),
        Spec::DbUser(u) => Some(&u.key),
        Spec::LogGroup(l) => Some(&l.key),
        Spec::Key(_)
        | Spec::Parameter(_)
        | Spec::Function(_)
        | Spec::Network(_)
        | Spec::Api(_)
        | Spec::Bus(_)
        | Spec::Rule(_)
        | Spec::Alarm(_)
        | Spec::HealthCheck(_)
        | Spec::Dashboard(_)
        | Spec::Zone(_) => None,
    }
}

/// The grants of a function, with its trigger's queue consumed and its
/// dead-letter queue sent to.
pub(crate) fn effective_grants(function: &FunctionSpec) -> Vec<Grant> {
    let mut grants = function.grants.clone();
    let mut imply = |resource: &str, access: &str| {
        if !grants
            .iter()
            .any(|g| g.resource == resource && g.access == access)
        {
            grants.push(Grant {
                resource: resource.to_owned(),
                access: access.to_owned(),
            });
        }
    };
    // The event source mapping reads with the function's role; Lambda sends
    // failed asynchronous events to the dead-letter queue with it too.
    if let Some(t) = &function.trigger {
        imply(&t.queue, "consume");
    }
    if let Some(queue) = &function.dead_letter {
        imply(queue, "send");
    }
    grants
}

/// The statements a function's grants expand to: one per grant, then one per
/// key with the union of the key actions needed (including decrypting the
/// function's own environment).
pub(crate) fn grant_statements(cx: &Context<'_>, function: &FunctionSpec) -> Vec<Statement> {
    let mut statements = Vec::new();
    let mut key_actions: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    if !function.env.is_empty() {
        // The environment is encrypted with the function's key.
        key_actions
            .entry(function.key.as_str())
            .or_default()
            .push("kms:Decrypt");
    }
    for grant in effective_grants(function) {
        let resource = cx.resource(&grant.resource).expect("validated");
        let info = resource.spec.kind().info();
        let access = info
            .access(&grant.access)
            .expect("access levels are checked by the macro");
        let mut actions: Vec<&str> = access.actions.to_vec();
        actions.sort_unstable();
        let sid = format!(
            "{}{}",
            pascal_case(&grant.resource),
            pascal_case(&grant.access)
        );
        let mut statement =
            Statement::allow(&sid, &actions, resolve_arns(cx, &grant.resource, access));
        if let Some(c) = crate::catalog::access_condition(info.kind, access.name) {
            statement.condition = Some(Value::map([(
                c.operator,
                Value::map([(c.key, Value::str(c.value))]),
            )]));
        }
        statements.push(statement);
        if let Some(key) = encryption_key(&resource.spec) {
            let entry = key_actions.entry(key).or_default();
            entry.extend(access.key_actions.iter().copied());
        }
    }
    if function.grants.iter().any(|g| {
        g.access == "rotate"
            && matches!(
                cx.resource(&g.resource).map(|r| &r.spec),
                Some(Spec::DbUser(_))
            )
    }) {
        // A rotation's new password, with the rules the secret's
        // `GenerateSecretString` has; the action has no resource type.
        statements.push(Statement::allow(
            "GenerateDbUserPasswords",
            &["secretsmanager:GetRandomPassword"],
            vec![Value::str("*")],
        ));
    }
    for (index, raw) in function.statements.iter().enumerate() {
        let mut actions: Vec<&str> = raw.actions.iter().map(String::as_str).collect();
        actions.sort_unstable();
        actions.dedup();
        let resources = match &raw.resource {
            StatementResource::All => vec![Value::str("*")],
            StatementResource::Arn(arn) if arn.contains("${") => vec![Value::sub(arn.clone())],
            StatementResource::Arn(arn) => vec![Value::str(arn.clone())],
            StatementResource::Declared(name) => declared_scopes(cx, name, &raw.actions),
        };
        statements.push(Statement::allow(
            &format!("Statement{}", index + 1),
            &actions,
            resources,
        ));
    }
    for (key, mut actions) in key_actions {
        if actions.is_empty() {
            continue;
        }
        actions.sort_unstable();
        actions.dedup();
        let sid = format!("{}KeyUse", pascal_case(key));
        statements.push(Statement::allow(&sid, &actions, vec![cx.key_arn(key)]));
    }
    statements
}
