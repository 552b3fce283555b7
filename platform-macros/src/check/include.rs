//! A function's `include:`: directories that exist, zipped under prefixes
//! that are plain relative names and take nothing the function's own
//! directory or another prefix already holds. Synthesis packages exactly
//! this (`platform_core::synth::package_function`), so a mistake fails the
//! build rather than `tp synth`.

use std::path::{Component, Path};

use syn::LitStr;

use crate::ast::Body;
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Function(function) = &resource.body else {
            continue;
        };
        let Some(include) = &function.include else {
            continue;
        };
        if include.entries.is_empty() {
            cx.error_at(
                Rule::FunctionInclude,
                include.brace.span.join(),
                "`include: {}` names no directory; name one, like `include: { \"lib\": \"handlers/shared\" }`, or remove the field",
            );
        }
        let code = function.code.as_ref().map(LitStr::value);
        let mut prefixes: Vec<&LitStr> = Vec::new();
        for (prefix, dir) in &include.entries {
            if let Some(problem) = dir_problem(model, &dir.value()) {
                cx.error(Rule::FunctionInclude, dir, problem);
            }
            if let Some(problem) = prefix_problem(&prefix.value()) {
                cx.error(Rule::FunctionInclude, prefix, problem);
                continue;
            }
            if let Some(other) = prefixes.iter().find(|other| overlap(other, prefix)) {
                cx.error(
                    Rule::FunctionInclude,
                    prefix,
                    format!(
                        "the prefix {:?} overlaps {:?}, included before: each file of the zip comes from one place; use separate prefixes",
                        prefix.value(),
                        other.value()
                    ),
                );
                continue;
            }
            prefixes.push(prefix);
            // A function whose directory is missing fails `tp synth` anyway;
            // one that exists must leave the prefix free.
            if let Some(code) = &code {
                let taken = model.manifest_dir.join(code).join(prefix.value());
                if model.manifest_dir.join(code).is_dir() && taken.exists() {
                    cx.error(
                        Rule::FunctionInclude,
                        prefix,
                        format!(
                            "the prefix {:?} is taken: \"{code}/{}\" exists in the function's own directory, and the included files would land on it; move it or choose another prefix",
                            prefix.value(),
                            prefix.value()
                        ),
                    );
                }
            }
        }
    }
}

/// Why `prefix` cannot place files in a zip: it must be a relative path of
/// plain names (`lib`, `vendor/shared`).
pub(crate) fn prefix_problem(prefix: &str) -> Option<String> {
    let plain = !prefix.is_empty()
        && !prefix.contains('\\')
        && Path::new(prefix)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    (!plain).then(|| {
        format!(
            "the prefix {prefix:?} is not a relative path of plain names: write where the files go in the function's zip, like \"lib\""
        )
    })
}

/// Why `dir` (relative to the crate's directory) cannot be included.
fn dir_problem(model: &Model, dir: &str) -> Option<String> {
    if dir.is_empty() || dir.starts_with('/') {
        return Some(format!(
            "the directory {dir:?} must be a path relative to the crate's directory, like \"handlers/shared\""
        ));
    }
    let path = model.manifest_dir.join(dir);
    (!path.is_dir()).then(|| {
        format!("the directory {dir:?} (relative to the crate's directory) does not exist or is not a directory")
    })
}

/// Whether one prefix is the other or holds it (`lib` and `lib/x`).
fn overlap(a: &LitStr, b: &LitStr) -> bool {
    let (a, b) = (a.value(), b.value());
    let (a, b) = (Path::new(&a), Path::new(&b));
    a.starts_with(b) || b.starts_with(a)
}
