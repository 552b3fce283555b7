//! Drift detection (`drift_check:` on the platform): AWS Config's managed
//! rule `CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK`, scoped to the region's
//! own stack, runs `DetectStackDrift` on a schedule with a role of its own;
//! an EventBridge rule turns its NON_COMPLIANT findings into a message on
//! the alerts topic.
//!
//! Why Config rather than a scheduled function: the managed rule already
//! runs the detection, waits for it and records the result (visible in
//! Config's console and history), and needs no code to maintain. It needs
//! an AWS Config recorder in the account and region, which organizations
//! usually run already; the README says so.

use crate::spec::DriftCheck;
use crate::template::{Resource, Value};

use super::iam::{self, Statement};
use super::{Context, SynthError};

/// The managed rule's identifier.
const MANAGED_RULE: &str = "CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK";

/// Config's `MaximumExecutionFrequency` for `every_hours`.
pub fn frequency(every_hours: u32) -> Option<&'static str> {
    Some(match every_hours {
        1 => "One_Hour",
        3 => "Three_Hours",
        6 => "Six_Hours",
        12 => "Twelve_Hours",
        24 => "TwentyFour_Hours",
        _ => return None,
    })
}

pub(crate) fn build(cx: &mut Context<'_>, drift: &DriftCheck) -> Result<(), SynthError> {
    let frequency = frequency(drift.every_hours).ok_or_else(|| {
        SynthError::Invalid(format!(
            "drift_check every {} hours: AWS Config runs checks every 1, 3, 6, 12 or 24 hours",
            drift.every_hours
        ))
    })?;
    let role_id = "DriftDetectionRole";
    let rule_id = "DriftDetectionConfigRule";
    let stack_arn = Value::sub(
        "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/${AWS::StackName}/*",
    );
    // Detecting drift reads every resource of the stack with the caller's
    // permissions: AWS's read-only policy, plus the drift calls on this
    // stack only.
    let mut role = iam::bounded(Resource::new("AWS::IAM::Role"), cx.region)
        .prop(
            "RoleName",
            cx.physical_name(crate::catalog::ROLE_SHORT_TYPE, "drift_detection"),
        )
        .prop(
            "AssumeRolePolicyDocument",
            iam::document(&[iam::service_trust("AssumeRole", "config.amazonaws.com")]),
        )
        .prop(
            "ManagedPolicyArns",
            Value::list([Value::sub(
                "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess",
            )]),
        )
        .prop(
            "Policies",
            Value::list([Value::map([
                ("PolicyName", Value::str("detect-drift")),
                (
                    "PolicyDocument",
                    iam::document(&[Statement::allow(
                        "DetectDriftOfThisStack",
                        &[
                            "cloudformation:DescribeStackDriftDetectionStatus",
                            "cloudformation:DescribeStackResourceDrifts",
                            "cloudformation:DetectStackDrift",
                            "cloudformation:DetectStackResourceDrift",
                        ],
                        vec![stack_arn],
                    )]),
                ),
            ])]),
        )
        .prop("Tags", cx.tag_list());
    super::nag_suppress(
        &mut role,
        ["AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess]"],
        "AWS Config's drift check reads every resource of the stack as its type's read handler does; AWS's ReadOnlyAccess follows new resource types, and the permissions boundary limits it to the read actions of the platform's own types",
    );
    cx.add(role_id, role)?;
    let rule_name = cx.physical_name("config", "stack_drift");
    let config_rule = Resource::new("AWS::Config::ConfigRule")
        .prop("ConfigRuleName", rule_name.as_str())
        .prop(
            "Description",
            "Whether this stack's resources still match its template",
        )
        .prop(
            "Source",
            Value::map([
                ("Owner", Value::str("AWS")),
                ("SourceIdentifier", Value::str(MANAGED_RULE)),
            ]),
        )
        .prop(
            "InputParameters",
            Value::map([("cloudformationRoleArn", Value::get_att(role_id, "Arn"))]),
        )
        .prop(
            "Scope",
            Value::map([
                (
                    "ComplianceResourceTypes",
                    Value::list([Value::str("AWS::CloudFormation::Stack")]),
                ),
                (
                    "ComplianceResourceId",
                    Value::Pseudo(crate::template::Pseudo::StackId),
                ),
            ]),
        )
        .prop("MaximumExecutionFrequency", frequency);
    cx.add(rule_id, config_rule)?;
    let topic = cx.logical_id(&drift.notify);
    let pattern = Value::map([
        ("source", Value::list([Value::str("aws.config")])),
        (
            "detail-type",
            Value::list([Value::str("Config Rules Compliance Change")]),
        ),
        (
            "detail",
            Value::map([
                (
                    "configRuleName",
                    Value::list([Value::str(rule_name.as_str())]),
                ),
                (
                    "newEvaluationResult",
                    Value::map([("complianceType", Value::list([Value::str("NON_COMPLIANT")]))]),
                ),
            ]),
        ),
    ]);
    let alert = Resource::new("AWS::Events::Rule")
        .prop(
            "Name",
            cx.physical_name(crate::catalog::Kind::Rule.info().short_type, "stack_drift"),
        )
        .prop(
            "Description",
            "Tell the alerts topic when this stack drifts from its template",
        )
        .prop("EventPattern", pattern)
        .prop("State", "ENABLED")
        .prop(
            "Targets",
            Value::list([Value::map([
                ("Id", Value::str("Alerts")),
                ("Arn", Value::Ref(topic)),
                (
                    "InputTransformer",
                    Value::map([
                        (
                            "InputPathsMap",
                            Value::map([
                                ("resource", Value::str("$.detail.resourceId")),
                                ("time", Value::str("$.time")),
                            ]),
                        ),
                        (
                            "InputTemplate",
                            Value::str(
                                "\"Stack <resource> has drifted from its template (detected <time>); run `tp drift` to see which resources and properties.\"",
                            ),
                        ),
                    ]),
                ),
            ])]),
        )
        .prop("Tags", cx.tag_list());
    cx.add("DriftDetectionAlertRule", alert)
}
