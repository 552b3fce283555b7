//! `function-exclude`: a function's `exclude:` patterns are globs of zip
//! paths ([`platform_core::exclude`], which packaging uses too), and leave
//! in the zip the handler file and every file it imports relatively, so a
//! pattern that is wider than meant fails the build rather than every
//! cold start with `Cannot find module`.

use platform_core::exclude::Excludes;
use syn::LitStr;

use crate::ast::{Body, FunctionBody};
use crate::ctxt::Ctxt;
use crate::handler_code::Code;
use crate::model::{Model, defaults};
use crate::rules::Rule;

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Function(function) = &resource.body else {
            continue;
        };
        let Some(exclude) = &function.exclude else {
            continue;
        };
        if exclude.items.is_empty() {
            cx.error_at(
                Rule::FunctionExclude,
                exclude.bracket.span.join(),
                "`exclude: []` names no pattern; name one, like `exclude: [\"node_modules/**/*.map\"]`, or remove the field",
            );
        }
        for pattern in &exclude.items {
            if let Err((_, problem)) = Excludes::new(&[pattern.value()]) {
                cx.error(Rule::FunctionExclude, pattern, problem);
            }
        }
        // The handler's own file, whichever extension it has (`.cjs`
        // handlers are not read for grants).
        let (Some(code), Some(excludes)) = (&function.code, excludes(function)) else {
            continue;
        };
        let handler = function
            .handler
            .as_ref()
            .map_or_else(|| defaults::FUNCTION_HANDLER.to_owned(), LitStr::value);
        let Ok(file) = super::code::handler_file(&model.manifest_dir, &code.value(), &handler)
        else {
            continue;
        };
        let in_zip = file
            .strip_prefix(code.value().trim_end_matches('/'))
            .map_or(file.as_str(), |rest| rest.trim_start_matches('/'));
        report(cx, function, &excludes, in_zip, "the handler file");
    }
}

/// Each file the handler imports relatively, as [`crate::handler_code`]
/// followed them, must stay in the zip.
pub(crate) fn imports(cx: &Ctxt, function: &FunctionBody, code: &Code) {
    let Some(excludes) = excludes(function) else {
        return;
    };
    // The first file read is the handler's, reported by `check`.
    for file in code.zip_files.iter().skip(1) {
        report(cx, function, &excludes, file, "a file the handler imports");
    }
}

/// The function's patterns, when it has some and every one parses.
fn excludes(function: &FunctionBody) -> Option<Excludes> {
    let patterns: Vec<String> = function
        .exclude
        .as_ref()?
        .items
        .iter()
        .map(LitStr::value)
        .collect();
    Excludes::new(&patterns).ok().filter(|e| !e.is_empty())
}

/// An error on the pattern that leaves `file` out of the zip, if one does.
fn report(cx: &Ctxt, function: &FunctionBody, excludes: &Excludes, file: &str, what: &str) {
    let Some(pattern) = excludes.excluding(file) else {
        return;
    };
    let Some(token) = function
        .exclude
        .iter()
        .flat_map(|list| &list.items)
        .find(|p| p.value() == pattern)
    else {
        return;
    };
    cx.error(
        Rule::FunctionExclude,
        token,
        format!(
            "the pattern {pattern:?} leaves out {file:?}, {what}: the function would fail on every cold start with `Cannot find module`; narrow the pattern, like \"node_modules/**/*.map\""
        ),
    );
}
