//! Unit tests of parsing and checking: each rule's message, on inputs built
//! with `quote!`. Where errors point is proven by the trybuild cases in
//! `tests/ui/`.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::quote;

use crate::ast::{Body, Definition, Expiry, PerProfile};
use crate::expand;
use crate::rules::Rule;

/// Every error message for `input`, or none when it expands.
fn errors(input: TokenStream) -> Vec<String> {
    match expand::expand(input) {
        Ok(_) => Vec::new(),
        Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
    }
}

/// The single error for `input`.
fn error(input: TokenStream) -> String {
    let errors = errors(input);
    assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
    errors.into_iter().next().unwrap()
}

/// A platform header and a key, then `rest`.
fn platform(rest: TokenStream) -> TokenStream {
    quote! {
        platform demo { regions: [us_east_1], suffix: max 12, profiles: [dev, prod] }
        key data {}
        #rest
    }
}

/// The body of `platform_macros::platform! { ... }` in platform-def.
fn platform_def() -> TokenStream {
    let source = include_str!("../../platform-def/src/lib.rs");
    let tokens: TokenStream = source.parse().expect("platform-def lexes");
    let braces = tokens.into_iter().find_map(|token| match token {
        TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => Some(group),
        _ => None,
    });
    braces.expect("the macro's braces").stream()
}

// Parsing.

#[test]
fn the_real_definition_parses_checks_and_expands() {
    let expanded = expand::expand(platform_def()).unwrap_or_else(|e| {
        panic!(
            "{:#?}",
            e.into_iter().map(|e| e.to_string()).collect::<Vec<_>>()
        )
    });
    let expanded = expanded.to_string();
    assert!(expanded.contains("pub fn platform () -> :: platform_core :: spec :: Platform"));
    assert!(expanded.contains("CARGO_MANIFEST_DIR"));
}

#[test]
fn parses_every_block_with_its_values() {
    let input = platform(quote! {
        table sessions { partition: id: string, sort: at: number, ttl: expires_at, stream: keys_only, key: data }
        queue orders { visibility: 5m, retention: profile(dev: 1h, prod: 14d), dead_letter: dlq after 3, fifo: true, key: data, }
        queue dlq { key: data }
        bucket archive { key: data, expire: profile(dev: 48h, prod: never), noncurrent: 90d }
        topic alerts { key: data, display_name: "Alerts" }
        parameter version { value: "v1" }
        function api { code: "handlers/api", memory: 512, timeout: 30s, logs: 14d, key: data, trigger: orders }
    });
    let definition: Definition = syn::parse2(input).unwrap();
    assert_eq!(definition.blocks.len(), 9);
    let bodies: Vec<&Body> = definition
        .blocks
        .iter()
        .filter_map(|block| match block {
            crate::ast::Block::Resource(resource) => Some(&resource.body),
            crate::ast::Block::Platform(_) => None,
        })
        .collect();
    let Body::Queue(queue) = bodies[2] else {
        panic!("queue")
    };
    assert_eq!(queue.visibility.as_ref().unwrap().value, 300);
    let Some(PerProfile::ByProfile { values, .. }) = &queue.retention else {
        panic!("by profile")
    };
    assert_eq!(values[0].1.value, 3_600);
    assert_eq!(values[1].1.value, 14 * 86_400);
    assert_eq!(
        queue.dead_letter.as_ref().unwrap().max_receive_count.value,
        3
    );
    let Body::Bucket(bucket) = bodies[4] else {
        panic!("bucket")
    };
    let Some(PerProfile::ByProfile { values, .. }) = &bucket.expire else {
        panic!("by profile")
    };
    assert!(matches!(&values[0].1, Expiry::After(days) if days.value == 2));
    assert!(matches!(values[1].1, Expiry::Never));
    let Body::Function(function) = bodies[7] else {
        panic!("function")
    };
    assert_eq!(function.trigger.as_ref().unwrap().queue, "orders");
    assert!(function.trigger.as_ref().unwrap().batch.is_none());
}

#[test]
fn blocks_may_carry_doc_comments_but_no_other_attributes() {
    let input = platform(quote! {
        #[doc = " Encrypts nothing yet."]
        key spare {}
    });
    assert_eq!(errors(input), Vec::<String>::new());
    let message = error(platform(quote! {
        #[derive(Debug)]
        key spare {}
    }));
    assert!(
        message.starts_with("attributes are not supported on blocks"),
        "{message}"
    );
}

#[test]
fn a_duration_needs_a_known_unit() {
    let message = error(platform(quote!(queue q { visibility: 180, key: data })));
    assert_eq!(
        message,
        "`180` has no unit; write a duration like `180s`, `180m`, `180h` or `180d` [grammar-syntax]"
    );
    let message = error(platform(quote!(queue q { visibility: 3w, key: data })));
    assert_eq!(
        message,
        "unknown unit `w` in `3w`; use `s`, `m`, `h` or `d` [grammar-syntax]"
    );
    let message = error(platform(quote!(bucket b { key: data, noncurrent: 36h })));
    assert!(
        message.starts_with("`36h` is not a whole number of days"),
        "{message}"
    );
}

#[test]
fn counts_take_no_unit() {
    let message = error(platform(
        quote!(function f { code: "f", key: data, memory: 512mb }),
    ));
    assert!(
        message.starts_with("expected a plain number, found `512mb`"),
        "{message}"
    );
}

#[test]
fn an_unknown_field_suggests_the_closest_one() {
    let message = error(platform(quote!(queue q { visiblity: 30s, key: data })));
    assert_eq!(
        message,
        "unknown field `visiblity` in queue `q`; did you mean `visibility`? [grammar-field]"
    );
    let message = error(platform(quote!(topic t { colour: "red", key: data })));
    assert_eq!(
        message,
        "unknown field `colour` in topic `t`; expected one of `key` and `display_name` [grammar-field]"
    );
}

#[test]
fn a_field_is_given_once() {
    let message = error(platform(quote!(queue q { key: data, key: data })));
    assert_eq!(
        message,
        "duplicate field `key` in queue `q`; give each field once [grammar-field]"
    );
}

#[test]
fn an_unknown_block_suggests_the_closest_one() {
    let message = error(platform(quote!(tabel t { key: data })));
    assert_eq!(
        message,
        "unknown block `tabel`; did you mean `table`? [grammar-syntax]"
    );
}

#[test]
fn keyword_values_say_what_is_expected() {
    let message = error(platform(quote!(key k { rotation: yes })));
    assert_eq!(message, "expected `on` or `off`");
}

#[test]
fn a_reference_value_needs_an_attribute() {
    let message = error(platform(quote!(parameter p { value: data })));
    assert!(
        message.starts_with("expected an attribute after `data`, like `data.arn`"),
        "{message}"
    );
}

// The `platform` block and required fields.

#[test]
fn grammar_platform_exactly_one_platform_block() {
    let message = error(quote!(key data {}));
    assert!(message.starts_with("no `platform` block;"), "{message}");
    let errors = errors(platform(
        quote!(platform again { regions: [us_east_1], suffix: max 4, profiles: [dev] }),
    ));
    assert_eq!(
        errors,
        [
            "a second `platform` block (`again`); declare the platform exactly once [grammar-platform]"
        ]
    );
}

#[test]
fn grammar_required_fields_without_defaults() {
    let errors = errors(platform(quote! {
        table t {}
        function f { memory: 256 }
    }));
    assert_eq!(
        errors,
        [
            "table `t` is missing `partition:`; add it, like `partition: id: string` [grammar-required]",
            "table `t` is missing `key:`; add it, like `key: data` [grammar-required]",
            "function `f` is missing `code:`; add it, like `code: \"handlers/<dir>\"` [grammar-required]",
            "function `f` is missing `key:`; add it, like `key: data` [grammar-required]",
        ]
    );
    let message = error(quote!(platform p { regions: [us_east_1], profiles: [dev] }));
    assert_eq!(
        message,
        "platform `p` is missing `suffix:`; add it, like `suffix: max 12` [grammar-required]"
    );
}

// References.

#[test]
fn ref_unknown_suggests_the_closest_name() {
    let message = error(platform(quote! {
        table sessions { partition: id: string, key: data }
        function api { code: "api", key: data, env: { TABLE: sesions.name }, grants: { sessions: read } }
    }));
    assert_eq!(
        message,
        "unknown resource `sesions`; did you mean `sessions`? [ref-unknown]"
    );
}

#[test]
fn ref_unknown_suggests_among_the_kind_the_slot_needs() {
    let message = error(platform(quote!(queue q { key: dat })));
    assert_eq!(
        message,
        "unknown resource `dat`; did you mean `data`? [ref-unknown]"
    );
    let message = error(platform(
        quote!(queue q { key: data, dead_letter: nothing after 3 }),
    ));
    assert_eq!(
        message,
        "unknown resource `nothing`; declared queues are `q` [ref-unknown]"
    );
}

#[test]
fn ref_kind_a_slot_names_the_kind_it_needs() {
    let message = error(platform(quote! {
        table sessions { partition: id: string, key: data }
        queue q { key: sessions }
    }));
    assert_eq!(
        message,
        "`key: sessions` needs a key, but `sessions` is a table; declared keys are `data` [ref-kind]"
    );
    let message = error(platform(quote! {
        table sessions { partition: id: string, key: data }
        function f { code: "f", key: data, trigger: sessions }
    }));
    assert_eq!(
        message,
        "`trigger: sessions` needs a queue, but `sessions` is a table; no queue is declared [ref-kind]"
    );
}

#[test]
fn ref_attribute_lists_the_kinds_attributes() {
    let message = error(platform(quote! {
        table sessions { partition: id: string, key: data }
        parameter p { value: sessions.url }
    }));
    assert_eq!(
        message,
        "table `sessions` has no attribute `url`; it has `name`, `arn` and `stream_arn` [ref-attribute]"
    );
    let message = error(platform(quote!(parameter p { value: data.ar })));
    assert_eq!(
        message,
        "key `data` has no attribute `ar`; did you mean `arn`? [ref-attribute]"
    );
}

#[test]
fn ref_duplicate_names_across_kinds_point_at_the_first() {
    let errors = errors(platform(quote! {
        table sessions { partition: id: string, key: data }
        queue sessions { key: data }
    }));
    assert_eq!(
        errors,
        [
            "duplicate name `sessions`: a table is already called `sessions`; names are unique across all kinds, so rename one [ref-duplicate]",
            "the first `sessions` is here [ref-duplicate]",
        ]
    );
}

#[test]
fn ref_duplicate_entries_in_keyed_lists() {
    let errors = errors(quote! {
        platform demo { regions: [us_east_1], suffix: max 12, profiles: [dev, prod], tags: { Team: "a", Team: "b" } }
        key data {}
        queue q { key: data, retention: profile(dev: 4d, dev: 5d, prod: 4d) }
        function f {
            code: "f", key: data,
            env: { QUEUE: q.url, QUEUE: q.arn },
            grants: { q: send, q: consume },
        }
    });
    let firsts: Vec<&String> = errors.iter().step_by(2).collect();
    assert_eq!(
        firsts,
        [
            "duplicate tag `Team`; give each tag once [ref-duplicate]",
            "duplicate environment variable `QUEUE` in function `f`; set each variable once [ref-duplicate]",
            "duplicate grant on `q` in function `f`; grant each resource once, with the one access level it needs [ref-duplicate]",
            "duplicate value for profile `dev`; give one value per profile [ref-duplicate]",
        ]
    );
}

#[test]
fn ref_profile_values_cover_exactly_the_declared_profiles() {
    let errors = errors(platform(quote! {
        function f { code: "f", key: data, memory: profile(dev: 512, prd: 1024) }
    }));
    assert_eq!(
        errors,
        [
            "unknown profile `prd`; did you mean `prod`? [ref-profile]",
            "`profile(...)` has no value for `prod`; give a value for every declared profile: `dev` and `prod` [ref-profile]",
        ]
    );
}

// IAM.

#[test]
fn iam_access_lists_the_kinds_levels() {
    let message = error(platform(quote! {
        queue orders { key: data }
        function f { code: "f", key: data, grants: { orders: read_write } }
    }));
    assert_eq!(
        message,
        "queue `orders` has no access level `read_write`; it has `send`, `consume` and `monitor` [iam-access]"
    );
}

#[test]
fn iam_env_without_grant_says_which_grant_to_add() {
    let message = error(platform(quote! {
        table sessions { partition: id: string, key: data }
        function f { code: "f", key: data, env: { TABLE: sessions.name } }
    }));
    assert_eq!(
        message,
        "function `f` exposes `sessions.name` as `TABLE` but has no grant on `sessions`; add `sessions: <level>` to `grants`, where a table's levels are `read`, `write` and `read_write` [iam-env-without-grant]"
    );
}

#[test]
fn iam_env_a_trigger_counts_as_a_grant() {
    let input = platform(quote! {
        queue orders { key: data }
        function f { code: "f", key: data, trigger: orders { batch: 5 }, env: { QUEUE: orders.url } }
    });
    assert_eq!(errors(input), Vec::<String>::new());
}

// Naming.

#[test]
fn name_charset_suggests_a_valid_name() {
    let message = error(platform(quote!(queue Trade_Orders { key: data })));
    assert_eq!(
        message,
        "queue name `Trade_Orders` is not valid: the name has 'T'; names are lowercase letters, digits and single underscores, because they become part of physical names such as S3 buckets; try `trade_orders` [name-charset]"
    );
    let message = error(platform(quote!(queue trade__orders { key: data })));
    assert!(
        message.ends_with("; try `trade_orders` [name-charset]"),
        "{message}"
    );
    let message = error(platform(quote!(queue TradeOrders2Eu { key: data })));
    assert!(
        message.ends_with("; try `trade_orders2_eu` [name-charset]"),
        "{message}"
    );
}

#[test]
fn name_length_counts_the_longest_region_and_suffix() {
    // s3- + 40 + -us-east-1- + 12 = 66 > 63.
    let message = error(platform(
        quote!(bucket customer_trade_confirmation_archive_2024 { key: data }),
    ));
    assert_eq!(
        message,
        "bucket name `customer_trade_confirmation_archive_2024` is too long: its S3 bucket name can reach 66 characters, over the 63 AWS allows (`s3-customer-trade-confirmation-archive-2024-us-east-1-xxxxxxxxxxxx`, with the longest declared region and `suffix: max 12`); shorten the name by 3 characters or lower `suffix: max` [name-length]"
    );
    // 37 characters fit exactly.
    assert_eq!(
        errors(platform(
            quote!(bucket customer_trade_confirmation_archive { key: data })
        )),
        Vec::<String>::new()
    );
}

#[test]
fn name_length_uses_the_longest_declared_region() {
    let input = quote! {
        platform demo { regions: [us_east_1, ap_southeast_1], suffix: max 12, profiles: [dev] }
        key data {}
        bucket customer_trade_confirmation_archiv { key: data }
    };
    let message = error(input);
    assert!(
        message.contains("`s3-customer-trade-confirmation-archiv-ap-southeast-1-xxxxxxxxxxxx`"),
        "{message}"
    );
}

#[test]
fn name_length_checks_a_functions_role_and_a_parameters_path() {
    // lambda- + 39 + -us-east-1- + 12 = 69 > 64.
    let message = error(platform(
        quote!(function process_customer_trade_confirmations_v2 { code: "f", key: data }),
    ));
    assert!(
        message.contains("its Lambda function name can reach 69 characters"),
        "{message}"
    );
    let message = error(quote! {
        platform demo { regions: [us_east_1], suffix: max 32, profiles: [dev] }
        key data {}
        queue customer_trade_confirmation_notifications_v2 { key: data }
    });
    assert!(
        message.contains("its SQS queue name can reach 96 characters"),
        "{message}"
    );
    assert!(
        message.contains(" plus 5 characters around it"),
        "{message}"
    );
    // /demo/ + 12 + /us-east-1/ + 990 = 1019 > 1011.
    let name = quote::format_ident!("{}", "p".repeat(990));
    let message = error(platform(quote!(parameter #name { value: "v" })));
    assert!(
        message.contains("its SSM parameter name can reach 1019 characters"),
        "{message}"
    );
    assert!(
        message.contains("(`/demo/xxxxxxxxxxxx/us-east-1/ppp"),
        "{message}"
    );
}

#[test]
fn name_region_suggests_the_region_identifier() {
    let message =
        error(quote!(platform p { regions: [us_east1], suffix: max 12, profiles: [dev] }));
    assert_eq!(
        message,
        "unknown region `us_east1`; did you mean `us_east_1`? [name-region]"
    );
}

#[test]
fn name_suffix_max_is_within_the_hard_limit() {
    let message =
        error(quote!(platform p { regions: [us_east_1], suffix: max 40, profiles: [dev] }));
    assert_eq!(
        message,
        "`suffix: max 40` is over the limit of 32 characters; use at most `suffix: max 32` [name-suffix]"
    );
    let message =
        error(quote!(platform p { regions: [us_east_1], suffix: max 0, profiles: [dev] }));
    assert!(
        message.starts_with("`suffix: max 0` allows no suffix"),
        "{message}"
    );
}

// Collection and expansion.

#[test]
fn every_error_is_reported_in_one_run() {
    let errors = errors(platform(quote! {
        table Sessions { partition: id: string, key: dta }
        queue orders { key: data }
        function f { code: "f", key: data, env: { Q: orders.uri }, grants: { orders: read } }
    }));
    let rules: Vec<&str> = errors
        .iter()
        .map(|e| e.rsplit('[').next().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "ref-unknown]",
            "ref-attribute]",
            "name-charset]",
            "iam-access]"
        ],
        "{errors:#?}"
    );
}

#[test]
fn errors_expand_to_compile_errors_and_a_placeholder() {
    let output = expand::platform(platform(quote!(queue q { key: nothing }))).to_string();
    assert!(output.contains("compile_error"), "{output}");
    assert!(output.contains("pub fn platform () -> :: platform_core :: spec :: Platform { :: core :: unimplemented ! () }"), "{output}");
}

#[test]
fn per_profile_values_expand_in_the_declared_profile_order() {
    let output = expand::expand(platform(quote! {
        function f { code: "f", key: data, memory: profile(prod: 2048, dev: 512) }
    }))
    .unwrap()
    .to_string();
    let dev = output.find("\"dev\") , 512u32").expect("dev value");
    let prod = output.find("\"prod\") , 2048u32").expect("prod value");
    assert!(dev < prod, "{output}");
}

// The rules reference.

#[test]
fn every_rule_is_documented_with_an_existing_ui_case() {
    let doc = include_str!("../../docs/rules.md");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for rule in Rule::ALL {
        let line = doc
            .lines()
            .find(|line| line.contains(&format!("`{}`", rule.id())))
            .unwrap_or_else(|| panic!("docs/rules.md has no line for `{}`", rule.id()));
        let case = line
            .split('`')
            .find(|part| part.starts_with("tests/ui/"))
            .unwrap_or_else(|| panic!("the line for `{}` names no ui case", rule.id()));
        assert!(root.join(case).exists(), "{case} does not exist");
    }
}
