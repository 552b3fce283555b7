//! A parameter's literal value fits what SSM stores in a String parameter of
//! the standard tier: at least one character and at most 4 KB. Larger values
//! need the advanced tier, which is billed per parameter and month, so the
//! build fails before CloudFormation would.

use crate::ast::{Body, Value};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

/// The most bytes a standard-tier SSM parameter's value holds.
pub(crate) const STANDARD_TIER_BYTES: usize = 4096;

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Parameter(parameter) = &resource.body else {
            continue;
        };
        for value in parameter.value.iter().flat_map(|v| v.values()) {
            let Value::Literal(literal) = value else {
                continue;
            };
            if let Some(problem) = literal_problem(&literal.value()) {
                cx.error(
                    Rule::ParameterValue,
                    literal,
                    format!("parameter `{}`: {problem}", resource.name),
                );
            }
        }
    }
}

/// Why SSM would refuse `value` as a standard-tier String parameter's value.
pub(crate) fn literal_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some(
            "an SSM parameter cannot hold an empty value; write at least one character, like `\"none\"`"
                .into(),
        );
    }
    let bytes = value.len();
    (bytes > STANDARD_TIER_BYTES).then(|| {
        format!(
            "the value is {bytes} bytes, over the {STANDARD_TIER_BYTES} bytes of a standard-tier SSM parameter; \
             keep settings small, or store a document in a bucket and put its key in the parameter"
        )
    })
}
