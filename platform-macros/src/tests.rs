//! Unit tests of parsing and checking: each rule's message, on inputs built
//! with `quote!`. Where errors point is proven by the trybuild cases in
//! `tests/ui/`.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::quote;

use std::path::{Path, PathBuf};

use crate::ast::{Body, Definition, Expiry, PerProfile};
use crate::expand;
use crate::rules::Rule;

mod accounts;
mod db_users;
mod errors;
mod exclude;
mod facts;
mod generic;
mod grant_code;
mod include;
mod rules;
mod triggers;

/// Every error message for `input`, or none when it expands, except those
/// of `queue-dead-letter`: most cases declare a lone queue to test
/// something else. The queue tests use [`all_errors`].
fn errors(input: TokenStream) -> Vec<String> {
    all_errors(input)
        .into_iter()
        .filter(|e| !e.ends_with(&format!("[{}]", Rule::QueueDeadLetter.id())))
        .collect()
}

/// Expands `input` in a scratch crate directory holding what this crate's
/// holds, and an `index.mjs` in each `code:` directory the input names:
/// the cases here declare functions to test something else
/// (`function-code` has cases of its own, in `tests/facts.rs`).
fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("platform-macros-crate-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(here).unwrap().flatten() {
            std::os::unix::fs::symlink(entry.path(), dir.join(entry.file_name())).unwrap();
        }
        dir
    });
    with_code_dirs(&input, dir);
    expand::expand_in(input, dir.clone())
}

/// Creates, under the scratch crate directory `dir`, each `code:` directory
/// `input` names that is not there, with an `index.mjs`.
fn with_code_dirs(input: &TokenStream, dir: &Path) {
    for code in code_dirs(input.clone()) {
        let code = dir.join(code);
        if !code.starts_with(dir) || code.exists() {
            continue;
        }
        std::fs::create_dir_all(&code).unwrap();
        std::fs::write(
            code.join("index.mjs"),
            "export const handler = async () => {};\n",
        )
        .unwrap();
    }
}

/// The strings written after `code:` anywhere in `input`.
fn code_dirs(input: TokenStream) -> Vec<String> {
    let tokens: Vec<TokenTree> = input.into_iter().collect();
    let mut dirs = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(group) => dirs.extend(code_dirs(group.stream())),
            TokenTree::Ident(ident) if ident == "code" => {
                if let (Some(TokenTree::Punct(colon)), Some(TokenTree::Literal(lit))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                    && colon.as_char() == ':'
                    && let Ok(lit) =
                        syn::parse2::<syn::LitStr>(TokenTree::Literal(lit.clone()).into())
                {
                    dirs.push(lit.value());
                }
            }
            _ => {}
        }
    }
    dirs
}

/// Every error message for `input`, or none when it expands.
fn all_errors(input: TokenStream) -> Vec<String> {
    match expand(input) {
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

/// platform-def's directory, which its relative paths are read from.
fn platform_def_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../platform-def")
}

// Parsing.

#[test]
fn the_real_definition_parses_checks_and_expands() {
    let expanded = expand::expand_in(platform_def(), platform_def_dir()).unwrap_or_else(|e| {
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
        topic alerts { key: data, display_name: "Alerts", subscribe: email "oncall@example.com" }
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
            crate::ast::Block::Platform(_)
            | crate::ast::Block::Pipeline(_)
            | crate::ast::Block::Backup(_)
            | crate::ast::Block::Generic(_)
            | crate::ast::Block::Override(_) => None,
        })
        .collect();
    let Body::Queue(queue) = bodies[2] else {
        panic!("queue")
    };
    let Some(PerProfile::Same(visibility)) = &queue.visibility else {
        panic!("one visibility for every profile")
    };
    assert_eq!(visibility.value, 300);
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
        "unknown field `colour` in topic `t`; expected one of `key`, `display_name`, `email_subscription`, `encryption`, `removal` and `subscribe` [grammar-field]"
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
    assert_eq!(
        message,
        "in `rotation:` of key `k`: expected `on` or `off` [grammar-syntax]"
    );
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
            "duplicate grant on `q` in function `f`; grant each resource once, listing every level it needs, like `q: [send, consume]` [ref-duplicate]",
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
        "function `f` exposes `sessions.name` as `TABLE` but has no grant on `sessions`; add `sessions: <level>` to `grants`, where a table's levels are `read`, `write`, `read_write` and `monitor` [iam-env-without-grant]"
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

#[test]
fn iam_env_network_addresses_need_no_grant_but_credentials_do() {
    let input = platform_with_network(quote! {
        aurora db { engine: postgres "16.10", capacity: 0.5..=4, network: core, key: data }
        api web { waf: {}, routes: { GET "/health" => handler }, key: data }
        function reach { code: "r", key: data, network: core, env: { HOST: db.endpoint, PORT: db.port } }
        function probe { code: "p", key: data, env: { URL: web.url } }
    });
    assert_eq!(errors(input), Vec::<String>::new());

    let message = error(platform_with_network(quote! {
        aurora db { engine: postgres "16.10", capacity: 0.5..=4, network: core, key: data }
        function reach { code: "r", key: data, network: core, env: { HOST: db.endpoint, SECRET: db.secret_arn } }
    }));
    assert_eq!(
        message,
        "function `reach` exposes `db.secret_arn` as `SECRET` but has no grant on `db`; add `db: <level>` to `grants`, where an aurora's levels are `connect` and `read_secret` [iam-env-without-grant]"
    );
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
fn name_length_counts_the_longest_region_suffix_and_account() {
    // s3- + 28 + -us-east-1- + 12 + -123456789012 = 67 > 63.
    let message = error(platform(
        quote!(bucket customer_trade_confirmations { key: data }),
    ));
    assert_eq!(
        message,
        "bucket name `customer_trade_confirmations` is too long: its S3 bucket name can reach 67 characters, over the 63 AWS allows (`s3-customer-trade-confirmations-us-east-1-xxxxxxxxxxxx-123456789012`, with the longest declared region and `suffix: max 12`); shorten the name by 4 characters or lower `suffix: max` [name-length]"
    );
    // 24 characters fit exactly.
    assert_eq!(
        errors(platform(
            quote!(bucket customer_trade_confirm { key: data })
        )),
        Vec::<String>::new()
    );
}

#[test]
fn name_length_uses_the_longest_declared_region() {
    let input = quote! {
        platform demo { regions: [us_east_1, ap_southeast_1], suffix: max 12, profiles: [dev] }
        key data {}
        bucket customer_trade_confirm { key: data }
    };
    let message = error(input);
    assert!(
        message.contains("`s3-customer-trade-confirm-ap-southeast-1-xxxxxxxxxxxx-123456789012`"),
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
    let output = self::expand(platform(quote! {
        function f { code: "f", key: data, memory: profile(prod: 2048, dev: 512) }
    }))
    .unwrap()
    .to_string();
    let dev = output.find("\"dev\") , 512u32").expect("dev value");
    let prod = output.find("\"prod\") , 2048u32").expect("prod value");
    assert!(dev < prod, "{output}");
}

// The blocks added with the network, database, API, events and monitoring.

/// A platform header, a key, a network with every endpoint, a topic, a
/// queue and a function, then `rest`.
fn platform_with_network(rest: TokenStream) -> TokenStream {
    platform(quote! {
        network core {
            cidr: region(us_east_1: "10.0.0.0/16"),
            endpoints: [s3, dynamodb, sqs, sns, events, ssm, secretsmanager, kms, logs, monitoring, xray, lambda],
            key: data,
        }
        topic alerts { key: data, subscribe: email "oncall@example.com" }
        queue dlq { key: data }
        function handler { code: "f", key: data }
        #rest
    })
}

/// The single error for `input`, read against `dir`.
fn error_in(input: TokenStream, dir: &Path) -> String {
    with_code_dirs(&input, dir);
    let errors = match expand::expand_in(input, dir.to_owned()) {
        Ok(_) => Vec::new(),
        Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
    };
    let errors: Vec<String> = errors
        .into_iter()
        .filter(|e| !e.ends_with(&format!("[{}]", Rule::QueueDeadLetter.id())))
        .collect();
    assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
    errors.into_iter().next().unwrap()
}

fn resource_bodies(definition: &Definition) -> Vec<&Body> {
    definition
        .blocks
        .iter()
        .filter_map(|block| match block {
            crate::ast::Block::Resource(resource) => Some(&resource.body),
            crate::ast::Block::Platform(_)
            | crate::ast::Block::Pipeline(_)
            | crate::ast::Block::Backup(_)
            | crate::ast::Block::Generic(_)
            | crate::ast::Block::Override(_) => None,
        })
        .collect()
}

#[test]
fn parses_network_aurora_and_api_values() {
    let input = platform(quote! {
        network core { cidr: region(us_east_1: "10.0.0.0/16"), azs: 2, endpoints: [s3, execute_api], flow_logs: 14d, key: data }
        aurora trades {
            engine: postgres "16.10", capacity: profile(dev: 0.5..=2, prod: 2..=16.0), readers: 1,
            network: core, backup: profile(dev: 1d, prod: 7d), key: data, removal: profile(dev: delete, prod: snapshot),
        }
        api trading {
            waf: {},
            stage: v2, throttle: 100 burst 200, key: data,
            routes: { GET "/health" => f, POST "/trades/{id}" => f { auth: iam, body: "s.json" } },
        }
    });
    let definition: Definition = syn::parse2(input).unwrap();
    let bodies = resource_bodies(&definition);
    let Body::Network(network) = bodies[1] else {
        panic!("network")
    };
    let Some(PerProfile::Same(cidr)) = &network.cidr else {
        panic!("the same CIDRs in every profile")
    };
    assert_eq!(cidr.values[0].0, "us_east_1");
    assert_eq!(cidr.values[0].1.value(), "10.0.0.0/16");
    assert_eq!(network.endpoints.as_ref().unwrap().items[1], "execute_api");
    let Body::Aurora(aurora) = bodies[2] else {
        panic!("aurora")
    };
    let Some(PerProfile::ByProfile { values, .. }) = &aurora.capacity else {
        panic!("by profile")
    };
    assert_eq!((values[0].1.min.value, values[0].1.max.value), (0.5, 2.0));
    assert_eq!((values[1].1.min.value, values[1].1.max.value), (2.0, 16.0));
    let Body::Api(api) = bodies[3] else {
        panic!("api")
    };
    let routes = api.routes();
    assert_eq!(routes.len(), 2);
    assert_eq!(routes[1].method, "POST");
    assert_eq!(routes[1].path.value(), "/trades/{id}");
    assert!(routes[1].auth == Some(crate::ast::AuthValue::Iam));
    assert_eq!(routes[1].body.as_ref().unwrap().value(), "s.json");
    assert!(routes[0].auth.is_none());
}

#[test]
fn parses_rule_alarm_dashboard_and_function_values() {
    let input = platform(quote! {
        rule r {
            bus: b,
            pattern: { source: ["a"], "detail-type": ["B"], detail: { qty: [{ numeric: [">", -1.5] }], ok: [true, null] } },
            targets: [f, g], dead_letter: q, retries: 0, max_age: 2h,
        }
        alarm a { metric: f.errors, at_or_below: -2, notify: t, guard, description: "d" }
        dashboard d { metrics: [f.errors, t.x] }
        function f { code: "f", key: data, grants: { t: [one, two] }, network: n, concurrency: profile(dev: 1, prod: 2), dead_letter: q }
    });
    let definition: Definition = syn::parse2(input).unwrap();
    let bodies = resource_bodies(&definition);
    let Body::Rule(rule) = bodies[1] else {
        panic!("rule")
    };
    assert_eq!(
        rule.pattern.as_ref().unwrap().to_json().to_string(),
        r#"{"source":["a"],"detail-type":["B"],"detail":{"qty":[{"numeric":[">",-1.5]}],"ok":[true,null]}}"#
    );
    assert_eq!(rule.targets().len(), 2);
    assert_eq!(rule.max_age.as_ref().unwrap().value, 7_200);
    let Body::Alarm(alarm) = bodies[2] else {
        panic!("alarm")
    };
    assert_eq!(alarm.comparisons.len(), 1);
    assert_eq!(alarm.comparisons[0].0, "at_or_below");
    assert_eq!(alarm.comparisons[0].2.value, -2.0);
    assert_eq!(alarm.guard.as_ref().unwrap(), "guard");
    let Body::Dashboard(dashboard) = bodies[3] else {
        panic!("dashboard")
    };
    assert_eq!(dashboard.metrics.as_ref().unwrap().items[1].metric, "x");
    let Body::Function(function) = bodies[4] else {
        panic!("function")
    };
    assert_eq!(function.grants[0].1.0.len(), 2);
    assert_eq!(function.network.as_ref().unwrap(), "n");
    assert_eq!(function.dead_letter.as_ref().unwrap(), "q");
}

#[test]
fn a_flag_takes_no_value_and_a_region_value_says_how_to_write_it() {
    let message = error(platform(quote!(alarm a { guard: true })));
    assert_eq!(
        message,
        "in `guard:` of alarm `a`: expected `,` here, between two fields or items [grammar-syntax]"
    );
    let message = error(platform(
        quote!(network n { cidr: "10.0.0.0/16", key: data }),
    ));
    assert_eq!(
        message,
        "expected one value per region, like `region(us_east_1: \"10.0.0.0/16\")` [grammar-syntax]"
    );
}

#[test]
fn every_new_block_expands_into_its_spec() {
    let dir = std::env::temp_dir().join(format!("platform-macros-expand-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("schemas")).unwrap();
    std::fs::write(dir.join("schemas/order.json"), r#"{"type": "object"}"#).unwrap();
    let input = platform_with_network(quote! {
        aurora db { engine: postgres "16.10", capacity: 0.5..=4, network: core, key: data }
        api web { waf: {}, routes: { GET "/health" => handler, POST "/orders" => handler { auth: iam, body: "schemas/order.json" } }, key: data }
        bus events { key: data }
        log_group audit { key: data }
        rule on_event { bus: events, pattern: { source: ["x"] }, targets: [handler, audit], dead_letter: dlq }
        rule hourly { schedule: "rate(1 hour)", targets: [handler], dead_letter: dlq }
        alarm slow { metric: web.latency_p99, above: 1000, notify: alerts, guard }
        health_check web_health { api: web, path: "/health" }
        dashboard ops { metrics: [web.requests, db.cpu] }
        bucket logs { encryption: s3_managed }
        bucket data_files { key: data, access_logs: logs }
    });
    with_code_dirs(&input, &dir);
    let output = expand::expand_in(input, dir.clone()).unwrap().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    for expected in [
        "cidr : :: platform_core :: spec :: PerProfile :: Same (:: platform_core :: spec :: PerRegion (:: std :: vec ! [(:: std :: string :: String :: from (\"us-east-1\") , :: std :: string :: String :: from (\"10.0.0.0/16\"))]))",
        "azs : 3u32",
        "database : :: std :: string :: String :: from (\"db\")",
        "Capacity { min : 0.5f64 , max : 4f64 }",
        "snapshot_on_removal : :: platform_core :: spec :: PerProfile :: Same (true)",
        ":: core :: include_str ! (:: core :: concat ! (:: core :: env ! (\"CARGO_MANIFEST_DIR\") , \"/\" , \"schemas/order.json\"))",
        "auth : :: platform_core :: spec :: Auth :: Iam",
        "throttle : :: platform_core :: spec :: PerProfile :: Same (:: platform_core :: spec :: Throttle { rate_per_sec : 10000f64 , burst : 5000u32 })",
        "description : :: std :: string :: String :: from (\"events event bus\")",
        "pattern : :: core :: option :: Option :: Some (:: std :: string :: String :: from (\"{\\\"source\\\":[\\\"x\\\"]}\"))",
        ":: platform_core :: spec :: TargetRef :: LogGroup (:: std :: string :: String :: from (\"audit\"))",
        "max_retries : 3u32 , max_event_age_secs : 3600u32",
        "comparison : :: platform_core :: spec :: Comparison :: Above , threshold : 1000f64",
        "datapoints_to_alarm : 1u32",
        "guard : true , description : :: std :: string :: String :: from (\"web.latency_p99 above 1000\")",
        "interval_secs : 30u32 , failure_threshold : 3u32",
        "key : :: core :: option :: Option :: None , access_logs : :: core :: option :: Option :: None",
        "access_logs : :: core :: option :: Option :: Some (:: std :: string :: String :: from (\"logs\"))",
    ] {
        assert!(output.contains(expected), "{expected}\nnot in\n{output}");
    }
}

#[test]
fn a_function_expands_its_network_concurrency_dead_letter_and_levels() {
    let output = self::expand(platform_with_network(quote! {
        aurora db { engine: postgres "16.10", capacity: 0.5..=4, network: core, key: data }
        function worker {
            code: "w", key: data, network: core, dead_letter: dlq,
            concurrency: profile(prod: 20, dev: 2),
            grants: { db: [connect, read_secret] },
        }
    }))
    .unwrap()
    .to_string();
    for expected in [
        "network : :: core :: option :: Option :: Some (:: std :: string :: String :: from (\"core\"))",
        "reserved_concurrency : :: platform_core :: spec :: PerProfile :: ByProfile (:: std :: vec ! [(:: std :: string :: String :: from (\"dev\") , :: core :: option :: Option :: Some (2u32)) , (:: std :: string :: String :: from (\"prod\") , :: core :: option :: Option :: Some (20u32))])",
        "dead_letter : :: core :: option :: Option :: Some (:: std :: string :: String :: from (\"dlq\"))",
        "Grant { resource : :: std :: string :: String :: from (\"db\") , access : :: std :: string :: String :: from (\"connect\") } , :: platform_core :: spec :: Grant { resource : :: std :: string :: String :: from (\"db\") , access : :: std :: string :: String :: from (\"read_secret\") }",
    ] {
        assert!(output.contains(expected), "{expected}\nnot in\n{output}");
    }
}

#[test]
fn grammar_required_fields_of_the_new_blocks() {
    let errors = errors(platform(quote! {
        network n {}
        aurora a {}
        api p { waf: {} }
        log_group l {}
        rule r { schedule: "rate(1 hour)" }
        alarm m {}
        health_check h {}
        dashboard d {}
        bucket b {}
    }));
    let missing: Vec<&str> = errors
        .iter()
        .map(|e| {
            let start = e.find("missing ").unwrap() + "missing ".len();
            &e[start..e[start..].find(';').unwrap() + start]
        })
        .collect();
    assert_eq!(
        missing,
        [
            "`cidr:`",
            "`key:`",
            "`engine:`",
            "`capacity:`",
            "`network:`",
            "`key:`",
            "`routes:`",
            "`key:`",
            "`key:`",
            "`targets:`",
            "`dead_letter:`",
            "`metric:`",
            "`notify:`",
            "its threshold",
            "`api:`",
            "`path:`",
            "`metrics:`",
            "`key:`",
        ],
        "{errors:#?}"
    );
}

#[test]
fn grammar_a_rule_has_a_pattern_on_a_bus_or_a_schedule() {
    let input = |fields: TokenStream| {
        platform_with_network(quote! {
            bus events { key: data }
            rule r { targets: [handler], dead_letter: dlq, #fields }
        })
    };
    assert!(error(input(quote!())).starts_with("rule `r` has neither `pattern:` nor `schedule:`"));
    assert!(error(input(quote!(bus: events))).starts_with("rule `r` is missing `pattern:`"));
    assert!(
        error(input(quote!(pattern: { source: ["x"] })))
            .starts_with("rule `r` has a `pattern:` but no `bus:`")
    );
    assert_eq!(
        error(input(
            quote!(bus: events, pattern: { source: ["x"] }, schedule: "rate(1 hour)")
        )),
        "rule `r` has both `schedule:` and `bus:`/`pattern:`; a schedule runs on the default bus, so declare a second rule [grammar-field]"
    );
}

#[test]
fn grammar_fields_that_exclude_each_other() {
    let message = error(platform_with_network(quote! {
        alarm a { metric: handler.errors, above: 0, below: 5, notify: alerts }
    }));
    assert_eq!(
        message,
        "alarm `a` has both `above:` and `below:`; an alarm compares with one threshold, so declare a second alarm [grammar-field]"
    );
    let errors = errors(platform(quote! {
        bucket logs { key: data, encryption: s3_managed }
        bucket b { key: data, access_logs: logs }
    }));
    assert_eq!(
        errors,
        [
            "bucket `logs` has `encryption: s3_managed`, which uses no key; remove `key: data` or the `encryption:` field [grammar-field]"
        ]
    );
}

#[test]
fn ref_kind_every_new_slot_names_the_kind_it_needs() {
    let errors = errors(platform_with_network(quote! {
        bucket files { key: data }
        api web { waf: {}, routes: { GET "/health" => alerts }, key: data }
        rule r { bus: dlq, pattern: { source: ["x"] }, targets: [alerts], dead_letter: alerts }
        alarm a { metric: handler.errors, above: 0, notify: dlq }
        health_check h { api: handler, path: "/health" }
        function f { code: "f", key: data, network: dlq, dead_letter: files }
        bucket b { key: data, access_logs: dlq }
    }));
    let messages: Vec<&str> = errors
        .iter()
        .filter(|e| e.ends_with("[ref-kind]"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        messages,
        [
            "`GET \"/health\" => alerts` needs a function, but `alerts` is a topic; declared functions are `handler` and `f` [ref-kind]",
            "`bus: dlq` needs a bus, but `dlq` is a queue; no bus is declared [ref-kind]",
            "`targets: [alerts]` needs a function or a log_group, but `alerts` is a topic; declared functions and log_groups are `handler` and `f` [ref-kind]",
            "`dead_letter: alerts` needs a queue, but `alerts` is a topic; declared queues are `dlq` [ref-kind]",
            "`notify: dlq` needs a topic, but `dlq` is a queue; declared topics are `alerts` [ref-kind]",
            "`api: handler` needs an api, but `handler` is a function; declared apis are `web` [ref-kind]",
            "`network: dlq` needs a network, but `dlq` is a queue; declared networks are `core` [ref-kind]",
            "`dead_letter: files` needs a queue, but `files` is a bucket; declared queues are `dlq` [ref-kind]",
            "`access_logs: dlq` needs a bucket, but `dlq` is a queue; declared buckets are `files` and `b` [ref-kind]",
        ],
        "{errors:#?}"
    );
}

#[test]
fn ref_metric_suggests_the_kinds_metrics() {
    let message = error(platform_with_network(quote! {
        alarm a { metric: handler.eror, above: 0, notify: alerts }
    }));
    assert_eq!(
        message,
        "function `handler` has no metric `eror`; did you mean `errors`? [ref-metric]"
    );
    let message = error(platform_with_network(quote! {
        dashboard d { metrics: [dlq.depth] }
    }));
    assert_eq!(
        message,
        "queue `dlq` has no metric `depth`; it has `visible` and `oldest_age` [ref-metric]"
    );
    let message = error(platform_with_network(quote! {
        dashboard d { metrics: [alerts.published] }
    }));
    assert_eq!(
        message,
        "topic `alerts` has no metric `published`; topics publish no metrics [ref-metric]"
    );
}

#[test]
fn ref_metric_route53_metrics_need_us_east_1() {
    let message = error(quote! {
        platform demo { regions: [us_west_2], suffix: max 12, profiles: [dev] }
        key data {}
        topic alerts { key: data, subscribe: email "oncall@example.com" }
        function f { code: "f", key: data }
        api web { waf: {}, routes: { GET "/health" => f }, key: data }
        health_check h { api: web, path: "/health" }
        alarm down { metric: h.status, below: 1, notify: alerts }
    });
    assert_eq!(
        message,
        "`h.status` is published only in us-east-1, which the platform does not declare; add `us_east_1` to `regions` [ref-metric]"
    );
}

#[test]
fn ref_duplicate_entries_of_the_new_blocks() {
    let errors = errors(platform_with_network(quote! {
        network other { cidr: region(us_east_1: "10.1.0.0/16", us_east_1: "10.2.0.0/16"), endpoints: [s3, s3], key: data }
        api web { waf: {}, routes: { GET "/health" => handler, GET "/health" => handler }, key: data }
        rule r { schedule: "rate(1 hour)", targets: [handler, handler], dead_letter: dlq }
        bus b { key: data }
        rule p { bus: b, pattern: { source: ["x"], source: ["y"] }, targets: [handler], dead_letter: dlq }
        dashboard d { metrics: [handler.errors, handler.errors] }
        function f { code: "f", key: data, grants: { dlq: [send, send] } }
    }));
    let firsts: Vec<&String> = errors
        .iter()
        .filter(|e| !e.starts_with("the first"))
        .collect();
    assert_eq!(
        firsts,
        [
            "duplicate access level `send` on `dlq`; give each level once [ref-duplicate]",
            "duplicate region `us_east_1` in network `other`; give one CIDR per region [ref-duplicate]",
            "duplicate endpoint `s3` in network `other`; list each endpoint once [ref-duplicate]",
            "duplicate route `GET \"/health\"` in api `web`; each method and path goes to one function [ref-duplicate]",
            "duplicate target `handler` in rule `r`; list each target once [ref-duplicate]",
            "duplicate key `source` in the event pattern; give each key once [ref-duplicate]",
            "duplicate metric `handler.errors` in dashboard `d`; list each metric once [ref-duplicate]",
        ],
        "{errors:#?}"
    );
    assert!(errors.contains(&"the first `handler.errors` is here [ref-duplicate]".to_owned()));
}

#[test]
fn ref_profile_covers_the_new_per_profile_fields() {
    let errors = errors(platform_with_network(quote! {
        aurora db {
            engine: postgres "16.10", network: core, key: data,
            capacity: profile(dev: 0.5..=2), backup: profile(prod: 7d), removal: profile(dev: delete),
        }
        api web { waf: {}, routes: { GET "/health" => handler }, key: data, throttle: profile(dev: 1 burst 2) }
        function f { code: "f", key: data, concurrency: profile(prod: 5) }
    }));
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert!(
        errors.iter().all(|e| e.ends_with("[ref-profile]")),
        "{errors:#?}"
    );
}

#[test]
fn iam_access_with_several_levels_and_kinds_without_levels() {
    let errors = errors(platform_with_network(quote! {
        alarm handler_errors { metric: handler.errors, above: 0, period: 60s, notify: alerts }
        function f { code: "f", key: data, grants: { dlq: [send, read], core: read, handler_errors: read, alerts: [] } }
    }));
    assert_eq!(
        errors,
        [
            "queue `dlq` has no access level `read`; it has `send`, `consume` and `monitor` [iam-access]",
            "network `core` has no access level `read`; it has `close_default_security_group` [iam-access]",
            "alarm `handler_errors` has no access level `read`; nothing can be granted on an alarm [iam-access]",
            "the grant on `alerts` lists no access level; a topic's levels are `publish` [iam-access]",
        ]
    );
}

#[test]
fn iam_env_a_dead_letter_queue_counts_as_a_grant() {
    let input = platform_with_network(quote! {
        function f { code: "f", key: data, dead_letter: dlq, env: { DLQ: dlq.url } }
    });
    assert_eq!(errors(input), Vec::<String>::new());
}

#[test]
fn name_length_covers_the_new_kinds_and_their_derived_names() {
    // rule- + 49 + -us-east-1- + 12 = 77 > 64.
    let name = quote::format_ident!("{}", "r".repeat(49));
    let message = error(platform_with_network(
        quote!(rule #name { schedule: "rate(1 hour)", targets: [handler], dead_letter: dlq }),
    ));
    assert!(
        message.contains("its EventBridge rule name can reach 77 characters, over the 64"),
        "{message}"
    );
    // The network's flow-log role: role- + 35 + -flow-logs + -us-east-1- + 12 = 73 > 64.
    let name = quote::format_ident!("{}", "n".repeat(35));
    let message = error(platform(
        quote!(network #name { cidr: region(us_east_1: "10.0.0.0/16"), key: data }),
    ));
    assert!(
        message.contains("its IAM role name can reach 73 characters"),
        "{message}"
    );
    assert!(message.contains("-flow-logs-us-east-1-"), "{message}");
}

#[test]
fn network_cidr_is_a_slash_16_for_each_declared_region() {
    let errors = errors(quote! {
        platform demo { regions: [us_east_1, us_west_2, eu_west_1], suffix: max 12, profiles: [dev] }
        key data {}
        network core {
            cidr: region(us_east_1: "10.0.0.0/24", us_west_2: "10.0.0.0/16", eu_west_1: "10.0.0.0/16", us_east_2: "10.3.0.0/16", us_est_1: "x"),
            key: data,
        }
        network other { cidr: region(us_east_1: "10.1.2.0/16", us_west_2: "10.300.0.0/16", eu_west_1: "10.4.0.0"), key: data }
    });
    assert_eq!(
        errors,
        [
            "network `core` gives a CIDR for `us_east_2`, which the platform does not declare; declared regions are `us_east_1`, `us_west_2` and `eu_west_1` [name-region]",
            "unknown region `us_est_1`; did you mean `us_east_1`? [name-region]",
            "`10.0.0.0/24` is not a valid CIDR for network `core`: it is a /24; networks are /16s, which synthesis carves into /20 subnets [network-cidr]",
            "`10.0.0.0/16` for `eu_west_1` overlaps the CIDR of `us_west_2`; give each network in each profile and region its own /16 [network-cidr]",
            "`x` is not a valid CIDR for network `core`: it has no prefix length; write a /16 like `10.0.0.0/16` [network-cidr]",
            "`10.1.2.0/16` is not a valid CIDR for network `other`: `10.1.2.0` has host bits set; the /16 is `10.1.0.0/16` [network-cidr]",
            "`10.300.0.0/16` is not a valid CIDR for network `other`: `10.300.0.0` is not an IPv4 address; write a /16 like `10.0.0.0/16` [network-cidr]",
            "`10.4.0.0` is not a valid CIDR for network `other`: it has no prefix length; write a /16 like `10.0.0.0/16` [network-cidr]",
        ],
    );
}

#[test]
fn network_cidr_is_missing_for_a_declared_region() {
    let message = error(quote! {
        platform demo { regions: [us_east_1, us_west_2], suffix: max 12, profiles: [dev] }
        key data {}
        network core { cidr: region(us_east_1: "10.0.0.0/16"), key: data }
    });
    assert_eq!(
        message,
        "network `core` has no CIDR for `us_west_2`; add `us_west_2: \"10.N.0.0/16\"` with a /16 no other network, profile or region uses [network-cidr]"
    );
}

#[test]
fn network_endpoint_names_are_from_the_catalog() {
    let errors = errors(platform(quote! {
        network core { cidr: region(us_east_1: "10.0.0.0/16"), endpoints: [s3, dynamo, execute_api, route53], key: data }
    }));
    assert_eq!(
        errors,
        [
            "unknown endpoint `dynamo` in network `core`; did you mean `dynamodb`? [network-endpoint]",
            "unknown endpoint `route53` in network `core`; known endpoints are `s3`, `dynamodb`, `sqs`, `sns`, `events`, `ssm`, `secretsmanager`, `kms`, `logs`, `monitoring`, `xray`, `lambda` and `execute_api` [network-endpoint]",
        ]
    );
}

#[test]
fn network_endpoint_a_function_in_a_network_reaches_what_it_is_granted() {
    let errors = errors(platform(quote! {
        network core { cidr: region(us_east_1: "10.0.0.0/16"), endpoints: [sqs], key: data }
        table sessions { partition: id: string, key: data }
        queue orders { key: data }
        topic alerts { key: data, subscribe: email "oncall@example.com" }
        function f { code: "f", key: data }
        api web { waf: {}, routes: { GET "/health" => f }, key: data }
        function worker {
            code: "w", key: data, network: core, dead_letter: orders,
            grants: { sessions: read, orders: send, web: invoke },
        }
    }));
    assert_eq!(
        errors,
        [
            "function `worker` runs in network `core`, which has no NAT gateway, and `sessions: read` calls dynamodb, but `core` has no `dynamodb` endpoint; add `dynamodb` to its `endpoints` [network-endpoint]",
            "function `worker` runs in network `core`, which has no NAT gateway, and `sessions: read` calls kms, but `core` has no `kms` endpoint; add `kms` to its `endpoints` [network-endpoint]",
            "function `worker` runs in network `core`, which has no NAT gateway, and `orders: send` calls kms, but `core` has no `kms` endpoint; add `kms` to its `endpoints` [network-endpoint]",
            "function `worker` runs in network `core`, which has no NAT gateway, so `web: invoke` cannot reach the api's public endpoint (an `execute_api` endpoint serves private APIs only, and hides public ones from the network); call the api from a function outside the network [network-endpoint]",
            "function `worker` runs in network `core`, which has no NAT gateway, and `dead_letter: orders` calls kms, but `core` has no `kms` endpoint; add `kms` to its `endpoints` [network-endpoint]",
        ]
    );
}

#[test]
fn api_route_methods_and_paths() {
    let errors = errors(platform_with_network(quote! {
        api web {
            waf: {},
            routes: {
                get "/a" => handler, FETCH "/b" => handler, GET "c" => handler, GET "/d/" => handler,
                GET "/e//f" => handler, GET "/{x+}/g" => handler, GET "/h?i=1" => handler, GET "/{}" => handler,
                GET "/" => handler, GET "/items/{id}/{rest+}" => handler,
            },
            key: data,
        }
        api empty { waf: {}, routes: {}, key: data }
    }));
    assert_eq!(
        errors,
        [
            "unknown HTTP method `get`; methods are written in capitals: `GET` [api-route]",
            "unknown HTTP method `FETCH`; API Gateway takes `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`, `OPTIONS` and `ANY` [api-route]",
            "route path \"c\" is not valid: paths start with `/`, like `/c` [api-route]",
            "route path \"/d/\" is not valid: paths do not end with `/`; write `/d` [api-route]",
            "route path \"/e//f\" is not valid: the path has an empty segment (`//`) [api-route]",
            "route path \"/{x+}/g\" is not valid: `{x+}` matches the rest of the path, so it comes last [api-route]",
            "route path \"/h?i=1\" is not valid: `h?i=1` has '?'; path segments are letters, digits, `-`, `_` and `.`, or a `{parameter}` [api-route]",
            "route path \"/{}\" is not valid: `{}` is not a path parameter; write `{name}` with letters, digits and `_` [api-route]",
            "api `empty` has no routes; API Gateway cannot deploy an API without methods, so add one, like `GET \"/health\" => <function>` [api-route]",
        ]
    );
}

#[test]
fn api_waf_production_has_a_web_acl_with_a_rate_waf_takes() {
    let errors = errors(platform_with_network(quote! {
        api open { routes: { GET "/health" => handler }, key: data }
        api low { waf: { rate: 9 }, routes: { GET "/health" => handler }, key: data }
        api high { waf: { rate: profile(dev: 2000, prod: 2000000001) }, routes: { GET "/health" => handler }, key: data }
        api fine { waf: { rate: profile(dev: 10, prod: 2000000000) }, routes: { GET "/health" => handler }, key: data }
    }));
    assert_eq!(
        errors,
        [
            "api `open` has no web ACL, yet production (`prod`) serves it on the internet, where a flood from one address or a known exploit reaches its functions; add `waf: { rate: 2000 }` (requests per IP address per 5 minutes) for a rate limit and AWS's managed rules [api-waf]",
            "`rate: 9` is out of range: WAF's rate-based rules take 10 to 2000000000 requests per IP address per 5 minutes [value-range]",
            "`rate: 2000000001` is out of range: WAF's rate-based rules take 10 to 2000000000 requests per IP address per 5 minutes [value-range]",
        ]
    );
}

#[test]
fn api_waf_expands_to_its_rate_per_profile_or_the_default() {
    let platform = self::expand(platform(quote! {
        function handler { code: "f", key: data }
        api web { waf: { rate: profile(dev: 2000, prod: 1000) }, routes: { GET "/health" => handler }, key: data }
        api other { waf: {}, routes: { GET "/health" => handler }, key: data }
    }))
    .unwrap()
    .to_string();
    assert!(
        platform.contains(
            "waf : :: core :: option :: Option :: Some (:: platform_core :: spec :: WafSpec { rate_limit : :: platform_core :: spec :: PerProfile :: ByProfile (:: std :: vec ! [(:: std :: string :: String :: from (\"dev\") , 2000u32) , (:: std :: string :: String :: from (\"prod\") , 1000u32)]) })"
        ),
        "{platform}"
    );
    assert!(
        platform.contains(
            "WafSpec { rate_limit : :: platform_core :: spec :: PerProfile :: Same (2000u32) }"
        ),
        "{platform}"
    );
}

#[test]
fn api_throttle_a_route_stays_within_its_stage_and_lets_requests_through() {
    let errors = errors(platform_with_network(quote! {
        api web {
            waf: {},
            throttle: profile(dev: 100 burst 200, prod: 1000 burst 2000),
            routes: {
                GET "/health" => handler { throttle: profile(dev: 150 burst 20, prod: 10 burst 20) },
                GET "/status" => handler { throttle: 10 burst 0 },
                GET "/ok" => handler { throttle: 100 burst 200 },
            },
            key: data,
        }
        api defaults { waf: {}, routes: { GET "/health" => handler { throttle: 10001 burst 20 } }, key: data }
    }));
    assert_eq!(
        errors,
        [
            "`10 burst 0` lets no request through; API Gateway rejects every request at a rate or burst of 0, so use values above 0 [value-range]",
            "route `GET \"/health\"` may take `150 burst 20` in `dev`, more than its api's `100 burst 200`; a route's own throttle lowers what it may use, so write at most `100 burst 200` [api-throttle]",
            "route `GET \"/health\"` may take `10001 burst 20` in `dev`, more than its api's `10000 burst 5000`; a route's own throttle lowers what it may use, so write at most `10000 burst 5000` [api-throttle]",
        ]
    );
}

#[test]
fn api_route_a_health_check_requests_a_public_get_route() {
    let errors = errors(platform_with_network(quote! {
        api web { waf: {}, routes: { POST "/health" => handler { auth: iam }, GET "/private" => handler { auth: iam } }, key: data }
        health_check a { api: web, path: "/health" }
        health_check b { api: web, path: "/private" }
        health_check c { api: web, path: "status" }
    }));
    assert_eq!(
        errors,
        [
            "health check `a` requests `GET /health`, but api `web` has no such route; add `GET \"/health\" => <function>` to its `routes` [api-route]",
            "health check `b` requests `GET /private`, which needs `auth: iam`; Route 53 sends unsigned requests, so check a route without auth [api-route]",
            "health check path \"status\" is not valid: paths start with `/`, like `/status` [api-route]",
        ]
    );
}

#[test]
fn api_body_schema_is_an_existing_json_object() {
    let dir = std::env::temp_dir().join(format!("platform-macros-schemas-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("ok.json"),
        r#"{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"}"#,
    )
    .unwrap();
    std::fs::write(dir.join("broken.json"), "{\n  \"type\": \"object\",\n}").unwrap();
    std::fs::write(dir.join("list.json"), "[]").unwrap();
    std::fs::write(
        dir.join("draft7.json"),
        r#"{"$schema": "http://json-schema.org/draft-07/schema#"}"#,
    )
    .unwrap();
    let with_body = |path: &str| {
        platform_with_network(quote! {
            api web { waf: {}, routes: { POST "/orders" => handler { auth: iam, body: #path } }, key: data }
        })
    };
    let results: Vec<String> = [
        "missing.json",
        "broken.json",
        "list.json",
        "draft7.json",
        "/etc/hosts",
    ]
    .iter()
    .map(|path| error_in(with_body(path), &dir))
    .collect();
    // `dlq` is used by no one here, which only `queue-dead-letter` minds.
    let ok = match expand::expand_in(with_body("ok.json"), dir.clone()) {
        Ok(_) => true,
        Err(errors) => errors
            .into_iter()
            .all(|e| e.to_string().ends_with("[queue-dead-letter]")),
    };
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(ok);
    assert!(
        results[0].starts_with(
            "cannot read the body schema \"missing.json\" (relative to the crate's directory): "
        ),
        "{}",
        results[0]
    );
    assert!(results[0].ends_with("[api-body-schema]"));
    assert_eq!(
        results[1..],
        [
            "the body schema \"broken.json\" is not JSON: line 3, column 1: expected a string key [api-body-schema]",
            "the body schema \"list.json\" is not a JSON schema: its top level is not an object [api-body-schema]",
            "the body schema \"draft7.json\" declares `$schema` \"http://json-schema.org/draft-07/schema#\"; API Gateway models are JSON Schema draft 4 (\"http://json-schema.org/draft-04/schema#\") [api-body-schema]",
            "the body schema \"/etc/hosts\" must be a path relative to the crate's directory, like \"schemas/trade-order.json\" [api-body-schema]",
        ]
    );
}

#[test]
fn bucket_access_logs_go_to_an_s3_managed_bucket() {
    let errors = errors(platform(quote! {
        bucket logs { encryption: s3_managed }
        bucket keyed { key: data }
        bucket a { key: data, access_logs: keyed }
        bucket b { key: data, access_logs: b }
        bucket c { key: data, access_logs: logs }
        bucket lonely { encryption: s3_managed }
    }));
    assert_eq!(
        errors,
        [
            "bucket `a` logs access to `keyed`, which is encrypted with a key; S3 delivers server access logs only to buckets with S3-managed keys, so give `keyed` `encryption: s3_managed` instead of `key:` [bucket-access-logs]",
            "bucket `b` logs access to itself, which would log its own log deliveries; declare a separate bucket with `encryption: s3_managed` for access logs [bucket-access-logs]",
            "bucket `lonely` has `encryption: s3_managed` but no bucket sends it access logs; only access-log buckets use S3-managed keys, so encrypt it with a declared key (`key: ...`) or point another bucket's `access_logs:` at it [bucket-access-logs]",
        ]
    );
}

#[test]
fn value_range_numbers_aws_accepts() {
    let errors = errors(platform_with_network(quote! {
        network n { cidr: region(us_east_1: "10.1.0.0/16"), azs: 4, flow_logs: profile(dev: 45d, prod: 365d), key: data }
        aurora db {
            engine: postgres "16.10", network: core, key: data, readers: 16, backup: 40d,
            capacity: profile(dev: 0.3..=2, prod: 8..=4),
        }
        aurora small { engine: postgres "16.10", network: core, key: data, capacity: 0..=0.5 }
        rule r { schedule: "rate(1 hour)", targets: [handler], dead_letter: dlq, retries: 200, max_age: 30s }
        alarm a { metric: handler.errors, above: 0, notify: alerts, period: 45s, evaluations: 2, datapoints: 3 }
        alarm long { metric: handler.errors, above: 0, notify: alerts, period: 1h, evaluations: 25 }
        api web { waf: {}, routes: { GET "/health" => slow }, key: data }
        function slow { code: "s", key: data, timeout: 60s, memory: 64 }
        health_check h { api: web, path: "/health", interval: 20s, threshold: 11 }
        key other { pending_window: 5d }
    }));
    assert_eq!(
        errors,
        [
            "`azs: 4` is out of range: a network spans 2 or 3 availability zones [value-range]",
            "`flow_logs: 45d` is not a retention CloudWatch Logs accepts; use `30d` or `60d` (it accepts 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 days) [value-range]",
            "`0.3` is not an Aurora Serverless v2 capacity: it scales from 0 to 256 ACUs in steps of 0.5 [value-range]",
            "the capacity `8..=4` starts above where it ends; write the minimum first [value-range]",
            "`readers: 16` is out of range: an Aurora cluster has 0 to 15 readers [value-range]",
            "`backup: 40d` is out of range: Aurora keeps automated backups 1d to 35d [value-range]",
            "the maximum capacity `0.5` is under 1 ACU, the least Aurora scales up to [value-range]",
            "`retries: 200` is out of range: EventBridge retries 0 to 185 times [value-range]",
            "`max_age: 30s` is out of range: EventBridge keeps retrying for 1m to 24h [value-range]",
            "`period: 45s` is not a period CloudWatch takes; use `10s`, `20s`, `30s` or a whole number of minutes [value-range]",
            "`datapoints: 3` is out of range: alarm `a` evaluates 2 periods, so 1 to 2 of them can breach [value-range]",
            "alarm `long` looks back 25 periods of 3600s, over the day CloudWatch allows; lower `evaluations:` or `period:` [value-range]",
            "`memory: 64` is out of range: Lambda takes 128 to 10240 MB [value-range]",
            "`timeout: 60s` is out of range: function `slow` serves `GET \"/health\"` of api `web`, and API Gateway gives up after 29s, so use at most `29s` [value-range]",
            "`interval: 20s` is not an interval Route 53 takes; use `10s` or `30s` [value-range]",
            "`threshold: 11` is out of range: Route 53 takes 1 to 10 failures [value-range]",
            "`pending_window: 5d` is out of range: KMS waits 7 to 30 days before deleting a key [value-range]",
        ],
    );
}

#[test]
fn value_range_a_trigger_queue_outlasts_six_function_timeouts() {
    let errors = errors(platform(quote! {
        queue orders { key: data, visibility: 60s }
        function f { code: "f", key: data, timeout: 30s, trigger: orders { batch: 100 } }
    }));
    assert_eq!(
        errors,
        [
            "`batch: 100` is over 10, which needs a batching window; add `window: 1s` or more [value-range]",
            "queue `orders` hides a received message for 60s, less than 6 times the 30s timeout of function `f` it triggers, so messages still being processed are delivered again; give the queue `visibility: 180s` or more [value-range]",
            // The same, at the value the queue declares.
            "this visibility (60s) is less than 6 times the 30s timeout of function `f`, which queue `orders` triggers (`trigger: orders` in function `f`), so messages still being processed are delivered again; give the queue `visibility: 180s` or more [value-range]",
        ]
    );
}

#[test]
fn value_format_schedules_databases_versions_and_patterns() {
    let errors = errors(platform_with_network(quote! {
        bus b { key: data }
        rule one { schedule: "rate(1 hours)", targets: [handler], dead_letter: dlq }
        rule two { schedule: "every hour", targets: [handler], dead_letter: dlq }
        rule three { bus: b, pattern: { source: "x", detail: { kind: [] } }, targets: [handler], dead_letter: dlq }
        rule four { bus: b, pattern: {}, targets: [handler], dead_letter: dlq }
        aurora db { engine: postgres "latest", database: "1trades", capacity: 0.5..=2, network: core, key: data }
    }));
    assert_eq!(
        errors,
        [
            "`schedule: \"rate(1 hours)\"` is not a schedule EventBridge takes: the unit of `rate(1 ...)` is singular: `rate(1 hour)` [value-format]",
            "`schedule: \"every hour\"` is not a schedule EventBridge takes: write `rate(1 hour)` or `cron(0 12 * * ? *)` [value-format]",
            "the event pattern gives `source` a single value; EventBridge matches fields against arrays, so write `[\"x\"]` [value-format]",
            "`kind: []` matches nothing; list the values to match [value-format]",
            "the event pattern is empty; match at least one field, like `{ source: [\"trading.processor\"] }` [value-format]",
            "`database: \"1trades\"` is not a database name Aurora takes: a letter, then letters, digits and `_`, at most 63 in all [value-format]",
            "`latest` is not an engine version; write numbers separated by dots, like \"16.10\" [value-format]",
        ]
    );
}

#[test]
fn schedules_follow_eventbridge_syntax() {
    use crate::check::schedule_problem;
    assert_eq!(schedule_problem("rate(1 hour)"), Ok(()));
    assert_eq!(schedule_problem("rate(5 minutes)"), Ok(()));
    assert_eq!(schedule_problem("cron(0 12 * * ? *)"), Ok(()));
    assert_eq!(
        schedule_problem("rate(5 minute)").unwrap_err(),
        "the unit is plural: `rate(5 minutes)`"
    );
    assert_eq!(
        schedule_problem("rate(0 hours)").unwrap_err(),
        "`0` is not a positive whole number"
    );
    assert!(
        schedule_problem("cron(0 12 * * ?)")
            .unwrap_err()
            .contains("not 5")
    );
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

// Dead-letter queues.

#[test]
fn queue_dead_letter_every_queue_has_one_or_is_one() {
    let errors = all_errors(platform(quote! {
        queue orders { dead_letter: orders_dlq after 3, key: data }
        queue orders_dlq { retention: 14d, key: data }
        queue events_dlq { retention: 14d, key: data }
        queue failures { retention: 14d, key: data }
        queue lonely { key: data }
        function f { code: "f", key: data, dead_letter: events_dlq }
        rule r { schedule: "rate(1 hour)", targets: [f], dead_letter: failures }
    }));
    assert_eq!(
        errors,
        [
            "queue `lonely` has no dead-letter queue and is none, so a message that keeps failing is received again until it expires, unseen; add `dead_letter: lonely_dlq after 5` and declare `queue lonely_dlq { retention: 14d, key: data }` [queue-dead-letter]"
        ]
    );
}

#[test]
fn queue_dead_letter_receive_count() {
    let errors = all_errors(platform(quote! {
        queue orders { dead_letter: orders_dlq after 0, key: data }
        queue orders_dlq { retention: 14d, key: data }
        queue more { dead_letter: orders_dlq after 1001, key: data }
    }));
    assert_eq!(
        errors,
        [
            "`after 0` is out of range: SQS moves a message to the dead-letter queue after 1 to 1000 receives [queue-dead-letter]",
            "`after 1001` is out of range: SQS moves a message to the dead-letter queue after 1 to 1000 receives [queue-dead-letter]",
        ]
    );
}

#[test]
fn queue_dead_letter_keeps_messages_longer_than_its_source_in_every_profile() {
    let errors = all_errors(platform(quote! {
        // Defaults on both sides: 4d and 4d.
        queue a { dead_letter: a_dlq after 3, key: data }
        queue a_dlq { key: data }
        // One value against per-profile values: prod is short.
        queue b { retention: profile(dev: 1d, prod: 14d), dead_letter: b_dlq after 3, key: data }
        queue b_dlq { retention: 10d, key: data }
        // Per profile on both sides: dev is short, prod is fine.
        queue c { retention: profile(dev: 7d, prod: 1h), dead_letter: c_dlq after 3, key: data }
        queue c_dlq { retention: profile(dev: 2d, prod: 2h), key: data }
        // Both at the 14-day maximum, and a longer one: fine.
        queue d { retention: 14d, dead_letter: d_dlq after 3, key: data }
        queue d_dlq { retention: 14d, key: data }
        queue e { dead_letter: e_dlq after 3, key: data }
        queue e_dlq { retention: 5d, key: data }
    }));
    assert_eq!(
        errors,
        [
            "dead-letter queue `a_dlq` keeps messages 4d (SQS's default), not longer than the 4d its source `a` keeps them; SQS keeps a message's first enqueue time when it moves it, so it would expire there early; give `a_dlq` `retention: 5d` [queue-dead-letter]",
            "dead-letter queue `b_dlq` keeps messages 10d in `prod`, not longer than the 14d its source `b` keeps them; SQS keeps a message's first enqueue time when it moves it, so it would expire there early; give `b_dlq` `retention: 14d` [queue-dead-letter]",
            "dead-letter queue `c_dlq` keeps messages 2d in `dev`, not longer than the 7d its source `c` keeps them; SQS keeps a message's first enqueue time when it moves it, so it would expire there early; give `c_dlq` `retention: 8d` [queue-dead-letter]",
        ]
    );
}

#[test]
fn queue_dead_letter_fifo_and_standard_are_not_mixed() {
    let errors = all_errors(platform(quote! {
        queue orders { fifo: true, dead_letter: orders_dlq after 3, key: data }
        queue orders_dlq { retention: 14d, key: data }
        queue plain { dead_letter: fifo_dlq after 3, key: data }
        queue fifo_dlq { fifo: true, retention: 14d, key: data }
        queue ordered { fifo: true, dead_letter: ordered_dlq after 3, key: data }
        queue ordered_dlq { fifo: true, retention: 14d, key: data }
        function f { code: "f", key: data, dead_letter: ordered_dlq }
        rule r { schedule: "rate(1 hour)", targets: [f], dead_letter: fifo_dlq }
    }));
    assert_eq!(
        errors,
        [
            // Each mismatch at the reference and at the declaration it
            // names.
            "queue `orders` is FIFO but its dead-letter queue `orders_dlq` is standard; SQS requires a FIFO queue's dead-letter queue to be FIFO, so give `orders_dlq` `fifo: true` [queue-dead-letter]",
            "queue `orders_dlq` is standard, but FIFO queue `orders` names it as its dead-letter queue (`dead_letter: orders_dlq`); SQS requires a FIFO queue's dead-letter queue to be FIFO, so give `orders_dlq` `fifo: true` [queue-dead-letter]",
            "queue `plain` is standard but its dead-letter queue `fifo_dlq` is FIFO; SQS requires a standard queue's dead-letter queue to be standard, so drop `fifo: true` from `fifo_dlq` or point `dead_letter:` at a standard queue [queue-dead-letter]",
            "`fifo: true` makes queue `fifo_dlq` FIFO, but standard queue `plain` names it as its dead-letter queue (`dead_letter: fifo_dlq`), and SQS requires a standard queue's dead-letter queue to be standard; drop `fifo: true` here or point that `dead_letter:` at a standard queue [queue-dead-letter]",
            "function `f` sends failed asynchronous invocations to `ordered_dlq`, a FIFO queue; Lambda sends them only to standard queues, so point `dead_letter:` at a standard queue [queue-dead-letter]",
            "`fifo: true` makes queue `ordered_dlq` FIFO, but function `f` sends failed asynchronous invocations to it (`dead_letter: ordered_dlq`), and Lambda sends them only to standard queues; drop `fifo: true` here or point that `dead_letter:` at a standard queue [queue-dead-letter]",
            "rule `r` sends undeliverable events to `fifo_dlq`, a FIFO queue; EventBridge sends them only to standard queues, so point `dead_letter:` at a standard queue [queue-dead-letter]",
            "`fifo: true` makes queue `fifo_dlq` FIFO, but rule `r` sends undeliverable events to it (`dead_letter: fifo_dlq`), and EventBridge sends them only to standard queues; drop `fifo: true` here or point that `dead_letter:` at a standard queue [queue-dead-letter]",
        ]
    );
}

#[test]
fn queue_dead_letter_durations_are_written_in_the_largest_whole_unit() {
    use crate::check::queue_duration;
    assert_eq!(queue_duration(14 * 86_400), "14d");
    assert_eq!(queue_duration(36 * 3_600), "36h");
    assert_eq!(queue_duration(90 * 60), "90m");
    assert_eq!(queue_duration(45), "45s");
}

#[test]
fn queue_dead_letter_an_unused_dead_letter_queue_is_named_in_a_dead_letter_field() {
    let errors = all_errors(platform(quote! {
        queue orders_dlq { retention: 14d, key: data }
    }));
    assert_eq!(
        errors,
        [
            "queue `orders_dlq` has no dead-letter queue and is none, so a message that keeps failing is received again until it expires, unseen; name it in the `dead_letter:` of the queue, function or rule whose failures it keeps (`dead_letter: orders_dlq after 5` in a queue) [queue-dead-letter]"
        ]
    );
    // A misspelt `dead_letter:` is reported once, as unknown.
    let errors = all_errors(platform(quote! {
        queue orders { dead_letter: orders_dql after 3, key: data }
        queue orders_dlq { retention: 14d, key: data }
    }));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].ends_with("[ref-unknown]"), "{errors:#?}");
}

// Policy: the secure defaults cannot be weakened.

#[test]
fn policy_encryption_data_at_rest_is_always_encrypted_with_a_rotated_key() {
    let errors = all_errors(platform(quote! {
        key spare { rotation: off }
        table sessions { partition: id: string, key: data, encryption: none }
        queue orders { dead_letter: orders_dlq after 3, key: data, encryption: none }
        queue orders_dlq { retention: 14d, key: data }
        topic alerts { key: data, encryption: none }
        bucket files { key: data, encryption: none }
        log_group audit { key: data, encryption: none }
    }));
    assert_eq!(
        errors,
        [
            "`rotation: off` would never rotate key `spare`; the platform rotates every key yearly (old data stays readable), so remove `rotation: off` [policy-encryption]",
            "`encryption: none` would leave table `sessions` unencrypted at rest; the platform always encrypts data at rest with one of its keys, so remove `encryption: none`: `key:` names the key that encrypts it [policy-encryption]",
            "`encryption: none` would leave queue `orders` unencrypted at rest; the platform always encrypts data at rest with one of its keys, so remove `encryption: none`: `key:` names the key that encrypts it [policy-encryption]",
            "`encryption: none` would leave topic `alerts` unencrypted at rest; the platform always encrypts data at rest with one of its keys, so remove `encryption: none`: `key:` names the key that encrypts it [policy-encryption]",
            "`encryption: none` would leave bucket `files` unencrypted at rest; the platform always encrypts data at rest with one of its keys, so remove `encryption: none`: `key:` names the key that encrypts it (an access-log bucket uses `encryption: s3_managed`) [policy-encryption]",
            "`encryption: none` would leave log_group `audit` unencrypted at rest; the platform always encrypts data at rest with one of its keys, so remove `encryption: none`: `key:` names the key that encrypts it [policy-encryption]",
        ]
    );
}

#[test]
fn policy_pitr_stays_on_for_every_table() {
    let message = error(platform(quote! {
        table sessions { partition: id: string, key: data, pitr: off }
    }));
    assert_eq!(
        message,
        "`pitr: off` would turn off point-in-time recovery of table `sessions`; the platform keeps it on for every table, so that any second of the last 35 days can be restored; remove `pitr: off` [policy-pitr]"
    );
}

#[test]
fn policy_bucket_versioned_private_and_tls_only() {
    let errors = all_errors(platform(quote! {
        bucket files {
            key: data,
            versioning: off,
            public: true,
            block_public_access: off,
            tls_only: off,
        }
    }));
    assert_eq!(
        errors,
        [
            "`versioning: off` would make overwrites and deletes in bucket `files` final; the platform versions every bucket and removes old versions after `noncurrent:` days, so remove `versioning: off` (lower `noncurrent:` to keep old versions for less time) [policy-bucket]",
            "`public: true` would expose bucket `files` to anyone; the platform blocks all public access to every bucket, so remove `public: true` and serve objects through an api route [policy-bucket]",
            "`block_public_access: off` would let a policy or ACL make bucket `files` public; the platform blocks all public access to every bucket, so remove `block_public_access: off` [policy-bucket]",
            "`tls_only: off` would let bucket `files` be read and written over plain HTTP; the platform's bucket policy denies every request without TLS, so remove `tls_only: off` [policy-bucket]",
        ]
    );
}

#[test]
fn policy_removal_no_retain_policies_and_no_deletion_protection() {
    let errors = all_errors(platform_with_network(quote! {
        key kept { removal: retain }
        table sessions { partition: id: string, key: data, removal: retain }
        bucket files { key: data, removal: retain }
        log_group audit { key: data, removal: retain }
        aurora db {
            engine: postgres "16.10", capacity: 0.5..=2, network: core, key: data,
            removal: profile(dev: delete, prod: retain),
            deletion_protection: on,
        }
    }));
    let errors: Vec<&String> = errors
        .iter()
        .filter(|e| e.ends_with("[policy-removal]"))
        .collect();
    assert_eq!(
        errors,
        [
            "`removal: retain` would leave key `kept` behind when its stack is deleted; the platform deletes everything it creates, so that every deployment can be torn down without orphans; remove `removal: retain` [policy-removal]",
            "`removal: retain` would leave table `sessions` behind when its stack is deleted; the platform deletes everything it creates, so that every deployment can be torn down without orphans; remove `removal: retain` [policy-removal]",
            "`removal: retain` would leave bucket `files` behind when its stack is deleted; the platform deletes everything it creates, so that every deployment can be torn down without orphans; remove `removal: retain` [policy-removal]",
            "`removal: retain` would leave log_group `audit` behind when its stack is deleted; the platform deletes everything it creates, so that every deployment can be torn down without orphans; remove `removal: retain` [policy-removal]",
            "`removal: retain` would leave aurora `db` behind when its stack is deleted; the platform deletes everything it creates, so that every deployment can be torn down without orphans; remove `removal: retain` and write `removal: snapshot` to keep a final snapshot [policy-removal]",
            "`deletion_protection: on` would stop the stack from deleting aurora `db`; the platform keeps every deployment removable, so remove it and keep the data with `removal: snapshot` (the default), a final snapshot [policy-removal]",
        ]
    );
}

#[test]
fn policy_secure_values_are_accepted_and_expand_as_the_defaults() {
    let explicit = platform_with_network(quote! {
        key spare { rotation: on, removal: delete }
        table sessions { partition: id: string, key: data, encryption: kms, pitr: on, removal: delete }
        queue orders { dead_letter: orders_dlq after 3, key: data, encryption: kms, removal: delete }
        queue orders_dlq { retention: 14d, key: data }
        topic notices { key: data, encryption: kms, removal: delete }
        bucket files {
            key: data, encryption: kms, versioning: on, public: false,
            block_public_access: on, tls_only: on, removal: delete,
        }
        log_group audit { key: data, encryption: kms, removal: delete }
        aurora db {
            engine: postgres "16.10", capacity: 0.5..=2, network: core, key: data,
            deletion_protection: off,
        }
    });
    let implicit = platform_with_network(quote! {
        key spare {}
        table sessions { partition: id: string, key: data }
        queue orders { dead_letter: orders_dlq after 3, key: data }
        queue orders_dlq { retention: 14d, key: data }
        topic notices { key: data }
        bucket files { key: data }
        log_group audit { key: data }
        aurora db { engine: postgres "16.10", capacity: 0.5..=2, network: core, key: data }
    });
    // `queue jobs` gives the helper's `dlq` a source.
    let expand = |input: TokenStream| {
        let input = quote! {
            #input
            queue jobs { retention: 1d, dead_letter: dlq after 3, key: data }
        };
        match self::expand(input) {
            Ok(tokens) => tokens.to_string(),
            Err(errors) => panic!(
                "{:#?}",
                errors
                    .into_iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
            ),
        }
    };
    let (explicit, implicit) = (expand(explicit), expand(implicit));
    assert!(explicit.contains("Spec :: Table") && explicit.contains("Spec :: Bucket"));
    assert_eq!(explicit, implicit);
}

// Archives in production.

#[test]
fn archive_retention_keeps_records_seven_years_in_production() {
    let errors = all_errors(platform(quote! {
        bucket short { key: data, archive: profile(dev: 30d, prod: 2556d) }
        bucket same { key: data, archive: 365d }
        bucket long { key: data, archive: profile(dev: 1d, prod: 2557d) }
        bucket none { key: data }
    }));
    assert_eq!(
        errors,
        [
            "`archive: 2556d` keeps the records of bucket `short` 2556 days in production (`prod`); production archives keep records at least 2557 days, seven years (SEC 17a-4(f), FINRA 4511): write `archive: profile(.., prod: 2557d)` [archive-retention]",
            "`archive: 365d` keeps the records of bucket `same` 365 days in production (`prod`); production archives keep records at least 2557 days, seven years (SEC 17a-4(f), FINRA 4511): write `archive: profile(.., prod: 2557d)` [archive-retention]",
        ]
    );
    let output = self::expand(platform(quote! {
        bucket long { key: data, archive: profile(dev: 1d, prod: 2557d) }
        bucket none { key: data }
    }))
    .unwrap()
    .to_string();
    assert!(
        output.contains("from (\"prod\") , :: core :: option :: Option :: Some (2557u32))"),
        "{output}"
    );
    assert!(
        output.contains("archive_days : :: platform_core :: spec :: PerProfile :: Same (:: core :: option :: Option :: None)"),
        "{output}"
    );
}

#[test]
fn archive_append_writers_of_an_archived_bucket_only_append() {
    let errors = all_errors(platform(quote! {
        bucket records { key: data, archive: profile(dev: 30d, prod: 2557d) }
        bucket scratch { key: data }
        function w { code: "w", key: data, grants: { records: [read, write], scratch: write } }
        function a { code: "a", key: data, grants: { records: [read, append] } }
    }));
    assert_eq!(
        errors,
        [
            "function `w` may delete and overwrite the records of `records`, which is archived; grant `records: append` (add objects with If-None-Match: *, never delete or overwrite), with `read` too if it reads them [archive-append]"
        ]
    );
}

// Log retention in production.

#[test]
fn log_retention_prod_every_log_keeps_a_year_in_production() {
    let errors = all_errors(platform(quote! {
        function f { code: "f", key: data, logs: profile(dev: 30d, prod: 90d) }
        network n { cidr: region(us_east_1: "10.1.0.0/16"), flow_logs: 30d, key: data }
        api web { waf: {}, routes: { GET "/health" => f }, logs: profile(dev: 30d, prod: 365d), key: data }
        log_group audit { retention: profile(dev: 30d, prod: 400d), key: data }
        bucket config { key: data, access_logs: access }
        bucket access { encryption: s3_managed, expire: profile(dev: 30d, prod: 180d) }
        bucket archive { key: data, expire: 30d }
    }));
    assert_eq!(
        errors,
        [
            "`logs: 90d` keeps the logs of function `f` 90 days in production (`prod`); production keeps every log at least 365 days (PCI DSS 10.7): write `logs: profile(.., prod: 365d)` [log-retention-prod]",
            "`flow_logs: 30d` keeps the logs of network `n` 30 days in production (`prod`); production keeps every log at least 365 days (PCI DSS 10.7): write `flow_logs: profile(.., prod: 365d)` [log-retention-prod]",
            "`expire: 180d` deletes the server access logs bucket `access` receives after 180 days in production (`prod`); production keeps every log at least 365 days (PCI DSS 10.7): write `expire: profile(.., prod: 365d)` [log-retention-prod]",
        ]
    );
}

#[test]
fn log_retention_prod_follows_the_pipeline_and_defaults_to_a_year() {
    // After the approval is production: `staging` may keep 30 days.
    let errors = all_errors(quote! {
        platform demo { regions: [us_east_1], suffix: max 12, profiles: [dev, staging, prod] }
        pipeline release { region: us_east_1, source: bucket, stages: [dev, staging, approve, prod], logs: 90d }
        key data {}
        function f { code: "f", key: data, logs: profile(dev: 30d, staging: 30d, prod: 365d) }
        function g { code: "g", key: data }
    });
    assert_eq!(
        errors,
        [
            "`logs: 90d` keeps the pipeline's build logs, the record of every change to production, 90 days; production keeps every log at least 365 days (PCI DSS 10.7): write `logs: 365d` [log-retention-prod]"
        ]
    );
    let output = self::expand(platform(quote! {
        function g { code: "g", key: data }
        log_group audit { key: data }
    }))
    .unwrap()
    .to_string();
    assert!(
        output.contains(
            "log_retention_days : :: platform_core :: spec :: PerProfile :: Same (365u32)"
        ),
        "{output}"
    );
    assert!(
        output.contains("retention_days : :: platform_core :: spec :: PerProfile :: Same (365u32)"),
        "{output}"
    );
}

#[test]
fn a_log_key_encrypts_the_logs_and_defaults_to_the_key() {
    let output = self::expand(platform(quote! {
        key logs {}
        function f { code: "f", key: data, log_key: logs }
        function g { code: "g", key: data }
    }))
    .unwrap()
    .to_string();
    assert!(output.contains("key : :: std :: string :: String :: from (\"data\") , log_key : :: std :: string :: String :: from (\"logs\")"), "{output}");
    assert!(output.contains("key : :: std :: string :: String :: from (\"data\") , log_key : :: std :: string :: String :: from (\"data\")"), "{output}");
    assert_eq!(
        error(platform(
            quote! { function f { code: "f", key: data, log_key: nothing } }
        )),
        "unknown resource `nothing`; declared keys are `data` [ref-unknown]"
    );
}

// Backups.

#[test]
fn backup_schedule_is_an_at_most_hourly_cron() {
    use crate::check::backup_schedule_problem;
    assert_eq!(backup_schedule_problem("cron(0 3 * * ? *)"), Ok(()));
    assert_eq!(backup_schedule_problem("cron(30 */6 * * ? *)"), Ok(()));
    assert!(
        backup_schedule_problem("rate(1 day)")
            .unwrap_err()
            .contains("cron expressions only")
    );
    assert!(
        backup_schedule_problem("cron(0 3 * * ?)")
            .unwrap_err()
            .contains("6 fields")
    );
    assert!(
        backup_schedule_problem("cron(0,30 * * * ? *)")
            .unwrap_err()
            .contains("at most once an hour")
    );
    assert!(
        backup_schedule_problem("cron(60 3 * * ? *)")
            .unwrap_err()
            .contains("`60`")
    );
}

#[test]
fn a_backup_of_bootstrap_keyed_tables_in_two_regions_compiles() {
    let input = quote! {
        platform demo { regions: [us_east_1, us_west_2], suffix: max 12, profiles: [dev, prod] }
        key data {}
        table sessions { partition: session_id: string, key: bootstrap }
        backup nightly {
            resources: [sessions],
            schedule: "cron(0 3 * * ? *)",
            retention: profile(dev: 1d, prod: 35d),
            copy_to: region(us_east_1: us_west_2, us_west_2: us_east_1),
        }
    };
    assert_eq!(all_errors(input), Vec::<String>::new());
}

#[test]
fn a_backup_needs_every_field_and_a_short_enough_name() {
    let errors = all_errors(platform(quote! {
        backup a_very_long_backup_plan_name {}
    }));
    for needed in ["resources:", "schedule:", "retention:", "copy_to:"] {
        assert!(
            errors
                .iter()
                .any(|e| e.contains(needed) && e.ends_with("[grammar-required]")),
            "{needed}: {errors:#?}"
        );
    }
    assert!(
        errors
            .iter()
            .any(|e| e.contains("AWS Backup allows 50") && e.ends_with("[name-length]")),
        "{errors:#?}"
    );
}

#[test]
fn no_declaration_takes_the_bootstrap_key_name() {
    let errors = all_errors(platform(quote! { key bootstrap {} }));
    assert!(
        errors
            .iter()
            .any(|e| e.contains("`bootstrap` names the key `tp bootstrap` owns")),
        "{errors:#?}"
    );
}

// Parameters holding settings.

#[test]
fn parameter_value_per_profile_is_emitted_for_each_profile() {
    let expanded = self::expand(platform(quote! {
        parameter max_order_quantity { value: profile(prod: "250000", dev: "1000") }
    }))
    .unwrap_or_else(|e| panic!("expands: {e}"))
    .to_string();
    // In the platform's profile order, whatever order they were written in.
    let dev = expanded.find("\"1000\"").expect("dev's value");
    let prod = expanded.find("\"250000\"").expect("prod's value");
    assert!(expanded.contains(":: PerProfile :: ByProfile"));
    assert!(dev < prod, "{expanded}");
}

#[test]
fn parameter_value_fits_the_standard_tier() {
    let at_limit = "x".repeat(crate::check::parameters::STANDARD_TIER_BYTES);
    let over = format!("{at_limit}é");
    assert!(
        errors(platform(
            quote! { parameter doc { value: profile(dev: #at_limit, prod: "1") } }
        ))
        .is_empty()
    );
    let e = error(platform(
        quote! { parameter doc { value: profile(dev: "1", prod: #over) } },
    ));
    assert!(
        e.contains("parameter `doc`: the value is 4098 bytes, over the 4096 bytes"),
        "{e}"
    );
    assert!(e.ends_with("[parameter-value]"), "{e}");
    let e = error(platform(quote! { parameter doc { value: "" } }));
    assert!(e.contains("cannot hold an empty value"), "{e}");
}
