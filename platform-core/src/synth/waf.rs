//! An api's web ACL: a regional WAFv2 web ACL on its stage.
//!
//! The ACL allows by default and blocks what its rules match: first a
//! rate-based rule (the requests of one IP address over 5 minutes), then
//! AWS's managed rule groups for IP addresses with a bad reputation, known
//! bad inputs (exploit patterns such as Log4j lookups) and common threats
//! (the OWASP kinds: cross-site scripting, oversized bodies, path
//! traversal). Every rule has its CloudWatch metrics and sampled requests.
//! The ACL logs every request to a CloudWatch log group of the stack's
//! (WAF takes only groups named `aws-waf-logs-...`), with the api's key and
//! retention, the credentials a signed request carries redacted.

use crate::catalog::Kind;
use crate::spec::{ApiSpec, WafSpec};
use crate::template::{RemovalPolicy, Resource, Value};

use super::{Context, SynthError};

/// What WAF writes in place of a log group name's required prefix.
pub(crate) const LOG_GROUP_PREFIX: &str = "aws-waf-logs";

/// The seconds over which the rate-based rule counts an address's requests
/// (WAFv2's default; the DSL's `rate` is per 5 minutes).
const RATE_WINDOW_SECS: u32 = 300;

/// AWS's managed rule groups, in the order the ACL evaluates them: the
/// cheapest verdict (the caller's address) first.
const MANAGED_RULE_GROUPS: &[&str] = &[
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesCommonRuleSet",
];

/// Request headers WAF logs leave out: a SigV4 request's signature and its
/// temporary credentials' session token.
const REDACTED_HEADERS: &[&str] = &["authorization", "x-amz-security-token"];

/// Metrics and sampled requests under `metric`.
fn visibility(metric: &str) -> Value {
    Value::map([
        ("SampledRequestsEnabled", Value::Bool(true)),
        ("CloudWatchMetricsEnabled", Value::Bool(true)),
        ("MetricName", Value::str(metric)),
    ])
}

/// The ACL's rules: the rate limit, then the managed groups.
fn rules(acl_name: &str, rate_limit: u32) -> Value {
    let mut rules = vec![Value::map([
        ("Name", Value::str("RateLimitPerIp")),
        ("Priority", Value::from(0u32)),
        ("Action", Value::map([("Block", Value::map::<&str>([]))])),
        (
            "Statement",
            Value::map([(
                "RateBasedStatement",
                Value::map([
                    ("Limit", Value::from(rate_limit)),
                    ("AggregateKeyType", Value::str("IP")),
                    ("EvaluationWindowSec", Value::from(RATE_WINDOW_SECS)),
                ]),
            )]),
        ),
        (
            "VisibilityConfig",
            visibility(&format!("{acl_name}-RateLimitPerIp")),
        ),
    ])];
    for (priority, group) in (1u32..).zip(MANAGED_RULE_GROUPS) {
        rules.push(Value::map([
            ("Name", Value::str(*group)),
            ("Priority", Value::from(priority)),
            // The group's own actions (block) stand.
            (
                "OverrideAction",
                Value::map([("None", Value::map::<&str>([]))]),
            ),
            (
                "Statement",
                Value::map([(
                    "ManagedRuleGroupStatement",
                    Value::map([
                        ("VendorName", Value::str("AWS")),
                        ("Name", Value::str(*group)),
                    ]),
                )]),
            ),
            (
                "VisibilityConfig",
                visibility(&format!("{acl_name}-{group}")),
            ),
        ]));
    }
    Value::List(rules)
}

/// The web ACL of api `name` (logical id `api_id`) on its stage `stage_id`,
/// its association and its logging.
pub(crate) fn waf(
    cx: &mut Context<'_>,
    name: &str,
    api_id: &str,
    stage_id: &str,
    api: &ApiSpec,
    waf: &WafSpec,
) -> Result<(), SynthError> {
    let acl_name = cx.derived_name(Kind::Api, name);
    let acl_id = format!("{api_id}WebAcl");
    cx.add(
        &acl_id,
        Resource::new("AWS::WAFv2::WebACL")
            .prop("Name", acl_name.as_str())
            .prop("Scope", "REGIONAL")
            // WAF's descriptions take letters, digits, spaces and a few
            // marks: no `_` or backticks, so no declared names.
            .prop(
                "Description",
                "Per-IP rate limit and AWS managed rules in front of an API Gateway stage",
            )
            .prop(
                "DefaultAction",
                Value::map([("Allow", Value::map::<&str>([]))]),
            )
            .prop("Rules", rules(&acl_name, waf.rate_limit.get(cx.profile)))
            .prop("VisibilityConfig", visibility(&acl_name))
            .prop("Tags", cx.tag_list()),
    )?;
    cx.add(
        &format!("{api_id}WebAclAssociation"),
        Resource::new("AWS::WAFv2::WebACLAssociation")
            .prop(
                "ResourceArn",
                Value::sub(format!(
                    "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::/restapis/${{{api_id}}}/stages/${{{stage_id}}}"
                )),
            )
            .prop("WebACLArn", Value::get_att(&acl_id, "Arn")),
    )?;

    let log_group = format!("{api_id}WafLogGroup");
    cx.add(
        &log_group,
        Resource::new("AWS::Logs::LogGroup")
            .prop(
                "LogGroupName",
                cx.physical_name(LOG_GROUP_PREFIX, name).as_str(),
            )
            .prop("RetentionInDays", api.log_retention_days.get(cx.profile))
            .prop("KmsKeyId", cx.key_arn(&api.key))
            .prop("Tags", cx.tag_list())
            .removal(RemovalPolicy::Delete),
    )?;
    let redacted = REDACTED_HEADERS
        .iter()
        .map(|header| Value::map([("SingleHeader", Value::map([("Name", Value::str(*header))]))]));
    cx.add(
        &format!("{api_id}WafLogging"),
        Resource::new("AWS::WAFv2::LoggingConfiguration")
            .prop("ResourceArn", Value::get_att(&acl_id, "Arn"))
            // WAF takes the group's ARN without the `:*` that `Fn::GetAtt`
            // appends.
            .prop(
                "LogDestinationConfigs",
                Value::list([Value::sub(format!(
                    "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{log_group}}}"
                ))]),
            )
            .prop("RedactedFields", Value::List(redacted.collect())),
    )
}
