//! A function's `include:` (`function-include`): what it expands to and each
//! mistake it can hold, read against a scratch crate directory.

use std::path::PathBuf;

use quote::quote;

use super::{error_in, platform};
use crate::expand;

/// A crate directory with `handlers/orders/index.mjs` and
/// `handlers/shared/log.mjs`.
fn crate_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "platform-macros-include-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("handlers/orders")).unwrap();
    std::fs::create_dir_all(dir.join("handlers/shared")).unwrap();
    std::fs::write(dir.join("handlers/orders/index.mjs"), "").unwrap();
    std::fs::write(dir.join("handlers/shared/log.mjs"), "").unwrap();
    dir
}

#[test]
fn include_expands_into_prefixes_and_directories_under_the_crate() {
    let dir = crate_dir("expand");
    let input = platform(quote! {
        function orders {
            code: "handlers/orders",
            include: { "lib": "handlers/shared", "vendor/more": "handlers/shared" },
            key: data,
        }
    });
    let output = expand::expand_in(input, dir.clone()).unwrap().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    let expected = "include : :: std :: vec ! [\
        :: platform_core :: spec :: Include { prefix : :: std :: string :: String :: from (\"lib\") , \
        dir : :: std :: string :: String :: from (:: core :: concat ! (:: core :: env ! (\"CARGO_MANIFEST_DIR\") , \"/\" , \"handlers/shared\")) , } , \
        :: platform_core :: spec :: Include { prefix : :: std :: string :: String :: from (\"vendor/more\") , \
        dir : :: std :: string :: String :: from (:: core :: concat ! (:: core :: env ! (\"CARGO_MANIFEST_DIR\") , \"/\" , \"handlers/shared\")) , }]";
    assert!(output.contains(expected), "{output}");

    // Without `include:`, nothing is included.
    let dir = crate_dir("expand-none");
    let input = platform(quote!(function orders { code: "handlers/orders", key: data }));
    let output = expand::expand_in(input, dir.clone()).unwrap().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(output.contains("include : :: std :: vec ! []"), "{output}");
}

#[test]
fn an_included_directory_must_exist_relative_to_the_crate() {
    let dir = crate_dir("missing");
    let message = error_in(
        platform(quote! {
            function orders { code: "handlers/orders", include: { "lib": "handlers/common" }, key: data }
        }),
        &dir,
    );
    assert_eq!(
        message,
        "the directory \"handlers/common\" (relative to the crate's directory) does not exist or is not a directory [function-include]"
    );
    let message = error_in(
        platform(quote! {
            function orders { code: "handlers/orders", include: { "lib": "/etc" }, key: data }
        }),
        &dir,
    );
    assert!(
        message
            .starts_with("the directory \"/etc\" must be a path relative to the crate's directory"),
        "{message}"
    );
    // A file is not a directory.
    let message = error_in(
        platform(quote! {
            function orders { code: "handlers/orders", include: { "lib": "handlers/shared/log.mjs" }, key: data }
        }),
        &dir,
    );
    assert!(message.contains("is not a directory"), "{message}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_prefix_is_plain_relative_names() {
    let dir = crate_dir("prefix");
    for prefix in ["", "../lib", "/lib", "./lib", "lib/../x"] {
        let message = error_in(
            platform(quote! {
                function orders { code: "handlers/orders", include: { #prefix: "handlers/shared" }, key: data }
            }),
            &dir,
        );
        assert_eq!(
            message,
            format!(
                "the prefix {prefix:?} is not a relative path of plain names: write where the files go in the function's zip, like \"lib\" [function-include]"
            )
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_prefix_the_functions_own_directory_holds_is_taken() {
    let dir = crate_dir("taken");
    std::fs::create_dir_all(dir.join("handlers/orders/lib")).unwrap();
    std::fs::write(dir.join("handlers/orders/lib/schema.mjs"), "").unwrap();
    let message = error_in(
        platform(quote! {
            function orders { code: "handlers/orders", include: { "lib": "handlers/shared" }, key: data }
        }),
        &dir,
    );
    assert_eq!(
        message,
        "the prefix \"lib\" is taken: \"handlers/orders/lib\" exists in the function's own directory, and the included files would land on it; move it or choose another prefix [function-include]"
    );
    // A free prefix beside it is fine.
    let input = platform(quote! {
        function orders { code: "handlers/orders", include: { "shared": "handlers/shared" }, key: data }
    });
    assert!(expand::expand_in(input, dir.clone()).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn prefixes_do_not_overlap_and_a_map_is_not_empty() {
    let dir = crate_dir("overlap");
    let message = error_in(
        platform(quote! {
            function orders { code: "handlers/orders", include: { "lib": "handlers/shared", "lib/x": "handlers/shared" }, key: data }
        }),
        &dir,
    );
    assert_eq!(
        message,
        "the prefix \"lib/x\" overlaps \"lib\", included before: each file of the zip comes from one place; use separate prefixes [function-include]"
    );
    let message = error_in(
        platform(quote! {
            function orders { code: "handlers/orders", include: {}, key: data }
        }),
        &dir,
    );
    assert!(
        message.starts_with("`include: {}` names no directory"),
        "{message}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
