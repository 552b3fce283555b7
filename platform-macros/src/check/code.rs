//! `function-code`: a function's `code:` directory exists (relative to the
//! crate's directory) and holds the file its `handler:` names, so a
//! misspelt directory fails the build rather than `tp synth`. The
//! expansion includes the handler file with `include_bytes!`, so cargo
//! rebuilds, and checks again, when it changes or goes.

use std::path::Path;

use syn::LitStr;

use crate::ast::Body;
use crate::ctxt::Ctxt;
use crate::model::{Model, defaults};
use crate::rules::Rule;
use crate::suggest;

/// The extensions the Node.js runtime loads a handler module from, in the
/// order it tries them.
pub(crate) const HANDLER_EXTENSIONS: &[&str] = &["mjs", "js", "cjs"];

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Function(function) = &resource.body else {
            continue;
        };
        let Some(code) = &function.code else {
            continue;
        };
        let handler = function
            .handler
            .as_ref()
            .map_or_else(|| defaults::FUNCTION_HANDLER.to_owned(), LitStr::value);
        if let Err(problem) = handler_file(&model.manifest_dir, &code.value(), &handler) {
            cx.error(Rule::FunctionCode, code, problem);
        }
    }
}

/// The handler file of a function with `code: "{code}"` and `handler:
/// "{handler}"`, relative to the crate's directory (`handlers/x/index.mjs`),
/// or why there is none.
pub(crate) fn handler_file(
    manifest_dir: &Path,
    code: &str,
    handler: &str,
) -> Result<String, String> {
    let dir = manifest_dir.join(code);
    if !dir.is_dir() {
        let parent = Path::new(code).parent().unwrap_or(Path::new(""));
        let siblings: Vec<String> = std::fs::read_dir(manifest_dir.join(parent))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.path().is_dir())
            .map(|entry| {
                parent
                    .join(entry.file_name())
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        let hint = suggest::closest(code, siblings.iter().map(String::as_str)).map_or_else(
            || "; create it, or fix the path".to_owned(),
            |best| format!("; did you mean \"{best}\"?"),
        );
        return Err(format!(
            "the code directory {code:?} (relative to the crate's directory) does not exist or is not a directory{hint}"
        ));
    }
    // `index.handler`: the module `index`, its export `handler`.
    let module = handler
        .rsplit_once('.')
        .map_or(handler, |(module, _)| module);
    HANDLER_EXTENSIONS
        .iter()
        .map(|ext| format!("{module}.{ext}"))
        .find(|file| dir.join(file).is_file())
        .map(|file| format!("{}/{file}", code.trim_end_matches('/')))
        .ok_or_else(|| {
            format!(
                "{code:?} has no {module}.mjs, {module}.js or {module}.cjs, the module `handler: {handler:?}` names; add it, or point `handler:` at the file that exports the function"
            )
        })
}
