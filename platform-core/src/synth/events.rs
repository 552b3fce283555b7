//! EventBridge: buses (encrypted with a declared key), rules (event patterns
//! or schedules) with retries and dead-letter queues, and the log groups
//! rules deliver audit events to.

use crate::catalog::Kind;
use crate::spec::{BusSpec, LogGroupSpec, RuleSpec, TargetRef};
use crate::template::{RemovalPolicy, Resource, Value};

use super::api::json_value;
use super::iam::Statement;
use super::{Context, SynthError};

pub(crate) fn bus(cx: &mut Context<'_>, name: &str, spec: &BusSpec) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    cx.add(
        &id,
        Resource::new("AWS::Events::EventBus")
            .prop("Name", cx.physical_name("bus", name))
            .prop("Description", spec.description.as_str())
            .prop("KmsKeyIdentifier", cx.key_arn(&spec.key))
            .prop("Tags", cx.tag_list()),
    )
}

/// A log group's name: EventBridge delivers only to `/aws/events/...`.
pub(crate) fn log_group_name(cx: &Context<'_>, name: &str) -> String {
    format!("/aws/events/{}", cx.physical_name("logs", name))
}

pub(crate) fn log_group(
    cx: &mut Context<'_>,
    name: &str,
    spec: &LogGroupSpec,
) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    cx.add(
        &id,
        Resource::new("AWS::Logs::LogGroup")
            .prop("LogGroupName", log_group_name(cx, name))
            .prop("RetentionInDays", spec.retention_days.get(cx.profile))
            .prop("KmsKeyId", cx.key_arn(&spec.key))
            .prop("Tags", cx.tag_list())
            .removal(RemovalPolicy::Delete),
    )?;
    let targeted = cx.index.is_rule_target_log_group(name);
    if targeted {
        // EventBridge writes to log groups under a resource policy, not a role.
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"EventBridgeDelivery","Effect":"Allow","Principal":{{"Service":["delivery.logs.amazonaws.com","events.amazonaws.com"]}},"Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"${{{id}.Arn}}","Condition":{{"StringEquals":{{"aws:SourceAccount":"${{AWS::AccountId}}"}}}}}}]}}"#
        );
        cx.add(
            &format!("{id}EventsPolicy"),
            Resource::new("AWS::Logs::ResourcePolicy")
                .prop("PolicyName", cx.derived_name(Kind::LogGroup, name))
                .prop("PolicyDocument", Value::sub(policy)),
        )?;
    }
    Ok(())
}

pub(crate) fn rule(cx: &mut Context<'_>, name: &str, spec: &RuleSpec) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    let dlq_arn = cx.attr(&crate::spec::AttrRef::new(&spec.dead_letter, "arn"));
    let targets: Vec<Value> = spec
        .targets
        .iter()
        .map(|target| {
            let (target_name, arn) = match target {
                TargetRef::Function(f) => (f.as_str(), cx.attr(&crate::spec::AttrRef::new(f, "arn"))),
                // The group's ARN without the `:*` that `Fn::GetAtt` adds.
                TargetRef::LogGroup(g) => (
                    g.as_str(),
                    Value::sub(format!(
                        "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{}}}",
                        cx.logical_id(g)
                    )),
                ),
            };
            Value::map([
                ("Id", Value::str(cx.logical_id(target_name))),
                ("Arn", arn),
                ("DeadLetterConfig", Value::map([("Arn", dlq_arn.clone())])),
                (
                    "RetryPolicy",
                    Value::map([
                        ("MaximumRetryAttempts", Value::from(spec.max_retries)),
                        ("MaximumEventAgeInSeconds", Value::from(spec.max_event_age_secs)),
                    ]),
                ),
            ])
        })
        .collect();
    let mut rule = Resource::new("AWS::Events::Rule")
        .prop("Name", cx.physical_name("rule", name))
        .prop("Description", format!("{} rule `{name}`", cx.platform.name))
        .prop("State", "ENABLED")
        .prop("Targets", Value::List(targets))
        .prop("Tags", cx.tag_list());
    if let Some(bus) = &spec.bus {
        rule = rule.prop(
            "EventBusName",
            cx.attr(&crate::spec::AttrRef::new(bus, "name")),
        );
    }
    if let Some(pattern) = &spec.pattern {
        let json: serde_json::Value = serde_json::from_str(pattern)
            .map_err(|e| SynthError::Invalid(format!("rule `{name}`: event pattern: {e}")))?;
        rule = rule.prop("EventPattern", json_value(&json));
    }
    if let Some(schedule) = &spec.schedule {
        rule = rule.prop("ScheduleExpression", schedule.as_str());
    }
    cx.add(&id, rule)?;
    for target in &spec.targets {
        if let TargetRef::Function(f) = target {
            let function_id = cx.logical_id(f);
            cx.add(
                &format!("{id}{function_id}Permission"),
                Resource::new("AWS::Lambda::Permission")
                    .prop("Action", "lambda:InvokeFunction")
                    .prop("FunctionName", Value::get_att(&function_id, "Arn"))
                    .prop("Principal", "events.amazonaws.com")
                    .prop("SourceArn", Value::get_att(&id, "Arn")),
            )?;
        }
    }
    Ok(())
}

/// Statements a queue's policy needs so the rules using it as their
/// dead-letter queue can send to it.
pub(crate) fn dead_letter_statements(
    cx: &Context<'_>,
    queue: &str,
    queue_arn: Value,
) -> Vec<Statement> {
    let rules: Vec<Value> = cx
        .index
        .rules_with_dead_letter(queue)
        .iter()
        .map(|rule| Value::get_att(&cx.logical_id(rule), "Arn"))
        .collect();
    if rules.is_empty() {
        return Vec::new();
    }
    vec![Statement {
        sid: "EventBridgeDeadLetters".into(),
        effect: "Allow",
        actions: vec!["sqs:SendMessage".into()],
        resources: vec![queue_arn],
        principal: Some(Value::map([(
            "Service",
            Value::str("events.amazonaws.com"),
        )])),
        condition: Some(Value::map([(
            "ArnEquals",
            Value::map([("aws:SourceArn", Value::List(rules))]),
        )])),
    }]
}
