//! `aurora-version`: an aurora's `engine: postgres "X.Y"` is an Aurora
//! PostgreSQL version that exists and runs Serverless v2, from the table
//! generated from the pinned cfn-lint's RDS data
//! (`platform_core::aurora_versions`). Any other fails the cluster's
//! creation at deploy time.

use platform_core::aurora_versions::{
    EXISTING, SERVERLESS_V2_MINIMUM, runs_serverless_v2, serverless_v2,
};

use crate::ast::Body;
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Aurora(aurora) = &resource.body else {
            continue;
        };
        let Some(engine) = &aurora.engine else {
            continue;
        };
        if let Some(problem) = version_problem(&engine.version.value()) {
            cx.error(Rule::AuroraVersion, &engine.version, problem);
        }
    }
}

/// `16.10` -> `[16, 10]`; `None` when it is not numbers separated by dots
/// (`value-format` reports those).
fn numbers(version: &str) -> Option<Vec<u32>> {
    version.split('.').map(|part| part.parse().ok()).collect()
}

/// Why `version` cannot be an aurora's engine version, naming the nearest
/// one that can.
pub(crate) fn version_problem(version: &str) -> Option<String> {
    let wanted = numbers(version)?;
    if runs_serverless_v2(version) {
        return None;
    }
    let nearest = nearest(&wanted);
    let first_of_each_major: Vec<String> = SERVERLESS_V2_MINIMUM
        .iter()
        .map(|(major, minor)| format!("{major}.{minor}"))
        .collect();
    let why = if EXISTING.contains(&version) {
        format!(
            "Aurora PostgreSQL {version} exists but does not run Serverless v2, which needs {} or later in its major version",
            first_of_each_major.join(", ")
        )
    } else if wanted.len() < 2 {
        format!(
            "`{version}` is a major version alone, which RDS resolves to a default minor that changes over time; pin a minor version"
        )
    } else {
        format!("Aurora PostgreSQL has no version {version}")
    };
    Some(format!(
        "{why}; did you mean \"{nearest}\"? (versions from cfn-lint's RDS data, `platform_core::aurora_versions`)"
    ))
}

/// The Serverless v2 version nearest `wanted`: in its major version the
/// closest minor, else the closest major's nearest end.
fn nearest(wanted: &[u32]) -> &'static str {
    let key = |v: &str| {
        let n = numbers(v).unwrap_or_default();
        let major = n.first().copied().unwrap_or(0);
        let minor = n.get(1).copied().unwrap_or(0);
        let want_major = wanted[0];
        // Same major first; then, within one, the minor closest to what
        // was asked for (the latest, when the major itself was all).
        let want_minor = wanted.get(1).copied().unwrap_or(u32::MAX);
        let minor_distance = if major == want_major {
            want_minor.abs_diff(minor)
        } else if major < want_major {
            u32::MAX - minor
        } else {
            minor
        };
        (major.abs_diff(want_major), minor_distance)
    };
    serverless_v2()
        .min_by_key(|v| key(v))
        .expect("the version table is not empty")
}
