//! `ssm-reserved-prefix`: SSM refuses parameter names that begin with `aws`
//! or `ssm` in any case (`/aws/...` holds AWS's public parameters), and
//! every parameter path the platform produces begins with the platform's
//! name (`naming::parameter_path`).

use platform_core::catalog::Kind;
use platform_core::naming;

use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

/// The prefixes SSM reserves, compared without case.
pub(crate) const RESERVED_PREFIXES: &[&str] = &["aws", "ssm"];

pub fn check(model: &Model, cx: &Ctxt) {
    let Some(platform) = model.platform() else {
        return;
    };
    let region = model.region_codes().first().copied().unwrap_or("us-east-1");
    let paths = model
        .resources
        .iter()
        .filter(|resource| resource.info.kind == Kind::Parameter)
        .map(|resource| {
            naming::parameter_path(
                &platform.name.to_string(),
                &resource.name.to_string(),
                region,
                "SUFFIX",
            )
        });
    for path in paths {
        if let Some(prefix) = reserved_prefix(&path) {
            cx.error(
                Rule::SsmReservedPrefix,
                &platform.name,
                format!(
                    "parameter paths begin with the platform's name (`{path}`), and SSM refuses names beginning with `{prefix}` in any case; rename the platform so its name does not begin with `aws` or `ssm` (`{}`)",
                    suggestion(&platform.name.to_string())
                ),
            );
            // The platform's name is the one cause: once is enough.
            return;
        }
    }
}

/// The reserved prefix `path`'s first segment begins with, if any.
pub(crate) fn reserved_prefix(path: &str) -> Option<&'static str> {
    let first = path.trim_start_matches('/').to_ascii_lowercase();
    RESERVED_PREFIXES
        .iter()
        .copied()
        .find(|prefix| first.starts_with(prefix))
}

/// A name without the reserved prefix: `aws_trading` -> `trading`, `ssm`
/// -> `platform_ssm`.
fn suggestion(name: &str) -> String {
    match name.get(4..) {
        Some(rest) if name.as_bytes()[3] == b'_' && reserved_prefix(rest).is_none() => {
            rest.to_owned()
        }
        _ => format!("platform_{name}"),
    }
}
