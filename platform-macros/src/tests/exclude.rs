//! A function's `exclude:` (`function-exclude`): what it expands to and each
//! mistake it can hold, read against a scratch crate directory.

use std::path::PathBuf;

use quote::quote;

use super::{error_in, platform};
use crate::expand;

/// A crate directory with `handlers/orders/index.mjs`, which imports
/// `./lib/log.mjs`, `handlers/shared/log.mjs` and a source map beside it.
fn crate_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "platform-macros-exclude-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("handlers/orders")).unwrap();
    std::fs::create_dir_all(dir.join("handlers/shared")).unwrap();
    std::fs::write(
        dir.join("handlers/orders/index.mjs"),
        "import { log } from './lib/log.mjs';\nexport const handler = async () => log;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("handlers/shared/log.mjs"),
        "export const log = 1;\n",
    )
    .unwrap();
    std::fs::write(dir.join("handlers/shared/log.mjs.map"), "{}").unwrap();
    dir
}

#[test]
fn exclude_expands_into_its_patterns() {
    let dir = crate_dir("expand");
    let input = platform(quote! {
        function orders {
            code: "handlers/orders",
            include: { "lib": "handlers/shared" },
            exclude: ["**/*.map", "lib/src"],
            key: data,
        }
    });
    let output = expand::expand_in(input, dir.clone()).unwrap().to_string();
    let none = expand::expand_in(
        platform(quote!(function orders { code: "handlers/orders", key: data })),
        dir.clone(),
    )
    .unwrap()
    .to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    let expected = "exclude : :: std :: vec ! [:: std :: string :: String :: from (\"**/*.map\") , \
        :: std :: string :: String :: from (\"lib/src\")]";
    assert!(output.contains(expected), "{output}");
    assert!(none.contains("exclude : :: std :: vec ! []"), "{none}");
}

#[test]
fn a_pattern_that_is_no_glob_of_zip_paths_is_an_error_on_it() {
    let dir = crate_dir("syntax");
    for (pattern, says) in [
        ("lib/**.map", "is not a glob"),
        ("/lib", "relative to the zip's root"),
        ("lib/../x", "`..` component"),
    ] {
        let message = error_in(
            platform(quote! {
                function orders { code: "handlers/orders", exclude: [#pattern], key: data }
            }),
            &dir,
        );
        assert!(message.contains(says), "{pattern}: {message}");
        assert!(message.ends_with("[function-exclude]"), "{message}");
    }
    let message = error_in(
        platform(quote!(function orders { code: "handlers/orders", exclude: [], key: data })),
        &dir,
    );
    assert!(
        message.starts_with("`exclude: []` names no pattern"),
        "{message}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_handler_file_and_what_it_imports_stay_in_the_zip() {
    let dir = crate_dir("handler");
    let message = error_in(
        platform(quote! {
            function orders { code: "handlers/orders", exclude: ["*.mjs"], key: data }
        }),
        &dir,
    );
    assert_eq!(
        message,
        "the pattern \"*.mjs\" leaves out \"index.mjs\", the handler file: the function would fail on every cold start with `Cannot find module`; narrow the pattern, like \"node_modules/**/*.map\" [function-exclude]"
    );
    let message = error_in(
        platform(quote! {
            function orders {
                code: "handlers/orders",
                include: { "lib": "handlers/shared" },
                exclude: ["lib/*.map", "lib"],
                key: data,
            }
        }),
        &dir,
    );
    assert_eq!(
        message,
        "the pattern \"lib\" leaves out \"lib/log.mjs\", a file the handler imports: the function would fail on every cold start with `Cannot find module`; narrow the pattern, like \"node_modules/**/*.map\" [function-exclude]"
    );
    // Leaving out only the source map compiles.
    let ok = expand::expand_in(
        platform(quote! {
            function orders {
                code: "handlers/orders",
                include: { "lib": "handlers/shared" },
                exclude: ["lib/*.map"],
                key: data,
            }
        }),
        dir.clone(),
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(ok.is_ok());
}
