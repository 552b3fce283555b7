//! A function's environment: names Lambda accepts and leaves to the
//! function, within Lambda's size limit.

use platform_core::catalog::RESERVED_LAMBDA_ENV;

use crate::ast::{Body, Value};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

/// Lambda's limit on a function's environment: the keys and values of all
/// its variables together.
pub(crate) const ENV_MAX_BYTES: usize = 4 * 1024;

/// What a reference counts for against [`ENV_MAX_BYTES`] when its value is
/// only known at deploy time and is not a physical name: ARNs, URLs, ids
/// and endpoints of the platform's resources stay below it.
pub(crate) const REFERENCE_MAX_BYTES: usize = 256;

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Function(function) = &resource.body else {
            continue;
        };
        for (var, _) in &function.env {
            if let Some(problem) = env_name_problem(&var.to_string()) {
                cx.error(Rule::FunctionEnv, var, problem);
            }
        }
        let mut total = 0;
        for (var, value) in &function.env {
            total += var.to_string().len()
                + match value {
                    Value::Literal(lit) => lit.value().len(),
                    Value::Attr(_) => REFERENCE_MAX_BYTES,
                };
            if total > ENV_MAX_BYTES {
                cx.error(
                    Rule::FunctionEnv,
                    var,
                    format!(
                        "the environment of function `{}` reaches {total} bytes at `{var}`, over Lambda's {ENV_MAX_BYTES}-byte limit on all keys and values together (a reference counts as {REFERENCE_MAX_BYTES}); keep large values in a parameter or bucket and pass its name",
                        resource.name
                    ),
                );
                break;
            }
        }
    }
}

/// Why Lambda would refuse, or take over, an environment variable called
/// `name`: it must start with a letter, and the runtime's own variables
/// (`AWS_REGION`, `_HANDLER`, ...) are reserved.
pub(crate) fn env_name_problem(name: &str) -> Option<String> {
    if RESERVED_LAMBDA_ENV.contains(&name) {
        return Some(format!(
            "`{name}` is reserved: Lambda sets it for every function and refuses a function that sets it; pick another name (the runtime already provides `{name}`)"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some(format!(
            "`{name}` is not a name Lambda accepts: environment variables start with a letter; try `{}`",
            name.trim_start_matches(|c: char| !c.is_ascii_alphabetic())
        ));
    }
    None
}
