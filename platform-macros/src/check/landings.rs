//! `value-schema`: a value written in the DSL that tp copies into a
//! CloudFormation property meets that property's constraints in the
//! registry schema (type, allowed values, pattern, length, range), checked
//! by the same code as `resource` blocks ([`super::generic`]), from the
//! same generated tables ([`platform_core::cfn_schema`]). A mistake nobody
//! wrote a rule for (a handler with a space, a description longer than the
//! service keeps) fails the build instead of the deploy.
//!
//! [`LANDINGS`] maps each such DSL field, once, to the resource type and
//! property path it lands in. Fields that tp transforms first (a queue's
//! `visibility:` is checked against the function it triggers, names get a
//! prefix and suffix) have rules of their own that say more
//! (`value-range`, `name-length`) and are not listed.

use platform_core::catalog::Kind;
use platform_core::cfn_schema::{self, PropType};
use proc_macro2::Span;
use syn::LitStr;

use super::generic::{self, Target};
use crate::ast::Body;
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

/// One DSL field and the CloudFormation property it becomes.
pub(crate) struct Landing {
    pub kind: Kind,
    /// The DSL field, as written (`handler`).
    pub field: &'static str,
    pub cfn_type: &'static str,
    /// The property path in `cfn_type` (`Handler`, `Nested.Property`).
    pub property: &'static str,
    /// The values the field is written with in a block of `kind`, each with
    /// its token's span; empty when the field is not written.
    pub values: fn(&Body) -> Vec<(Span, String)>,
}

fn string(lit: Option<&LitStr>) -> Vec<(Span, String)> {
    lit.map(|lit| (lit.span(), lit.value()))
        .into_iter()
        .collect()
}

/// Every DSL field whose value tp copies into a CloudFormation property
/// unchanged. Each is a string property (a unit test holds the table to
/// the schema); the numbers tp copies have `value-range` rules that name
/// the service's reason.
pub(crate) const LANDINGS: &[Landing] = &[
    Landing {
        kind: Kind::Key,
        field: "description",
        cfn_type: "AWS::KMS::Key",
        property: "Description",
        values: |body| match body {
            Body::Key(key) => string(key.description.as_ref()),
            _ => Vec::new(),
        },
    },
    Landing {
        kind: Kind::Topic,
        field: "display_name",
        cfn_type: "AWS::SNS::Topic",
        property: "DisplayName",
        values: |body| match body {
            Body::Topic(topic) => string(topic.display_name.as_ref()),
            _ => Vec::new(),
        },
    },
    Landing {
        kind: Kind::Parameter,
        field: "description",
        cfn_type: "AWS::SSM::Parameter",
        property: "Description",
        values: |body| match body {
            Body::Parameter(parameter) => string(parameter.description.as_ref()),
            _ => Vec::new(),
        },
    },
    Landing {
        kind: Kind::Bus,
        field: "description",
        cfn_type: "AWS::Events::EventBus",
        property: "Description",
        values: |body| match body {
            Body::Bus(bus) => string(bus.description.as_ref()),
            _ => Vec::new(),
        },
    },
    Landing {
        kind: Kind::Alarm,
        field: "description",
        cfn_type: "AWS::CloudWatch::Alarm",
        property: "AlarmDescription",
        values: |body| match body {
            Body::Alarm(alarm) => string(alarm.description.as_ref()),
            _ => Vec::new(),
        },
    },
    Landing {
        kind: Kind::Function,
        field: "handler",
        cfn_type: "AWS::Lambda::Function",
        property: "Handler",
        values: |body| match body {
            Body::Function(function) => string(function.handler.as_ref()),
            _ => Vec::new(),
        },
    },
];

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        for landing in LANDINGS.iter().filter(|l| l.kind == resource.info.kind) {
            let values = (landing.values)(&resource.body);
            if values.is_empty() {
                continue;
            }
            let Some(schema) = cfn_schema::lookup(landing.cfn_type) else {
                continue;
            };
            let Some(property) = generic::property_at(&schema, landing.property) else {
                continue;
            };
            let target = Target {
                cx,
                rule: Rule::ValueSchema,
                type_name: schema.type_name,
                context: format!(
                    "; `{}:` of {} `{}` becomes it, so shorten or correct the value",
                    landing.field, resource.info.keyword, resource.name
                ),
            };
            for (span, text) in values {
                if property.ty == PropType::String {
                    generic::check_string(
                        &target,
                        &property.constraints,
                        &text,
                        span,
                        landing.property,
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_landing_names_a_property_of_its_type_in_the_schema() {
        for landing in LANDINGS {
            let schema = cfn_schema::lookup(landing.cfn_type)
                .unwrap_or_else(|| panic!("no schema for {}", landing.cfn_type));
            let property = generic::property_at(&schema, landing.property)
                .unwrap_or_else(|| panic!("{} has no {}", landing.cfn_type, landing.property));
            assert_eq!(
                property.ty,
                PropType::String,
                "{}.{} is not a string",
                landing.cfn_type,
                landing.property
            );
        }
    }

    #[test]
    fn nested_property_paths_resolve_through_definitions() {
        let schema = cfn_schema::lookup("AWS::Route53::HealthCheck").unwrap();
        let path = generic::property_at(&schema, "HealthCheckConfig.ResourcePath").unwrap();
        assert_eq!(path.constraints.max_length, Some(255));
        assert!(generic::property_at(&schema, "HealthCheckConfig.Nope").is_none());
        assert!(generic::property_at(&schema, "HealthCheckTags.Key").is_none());
    }
}
