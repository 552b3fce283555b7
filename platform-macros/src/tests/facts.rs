//! Policy rules and AWS facts kept as data: credentials in the
//! environment, public write routes, tag limits, SSM's reserved prefixes,
//! Aurora versions, metric resolution, Lambda's concurrency quota and the
//! `code:` directory.

use quote::quote;

use super::{errors, platform};
use crate::check::env_secrets::credential_word;

#[test]
fn credential_names_are_whole_words_and_pointers_are_not_credentials() {
    assert_eq!(credential_word("DB_PASSWORD").as_deref(), Some("PASSWORD"));
    assert_eq!(
        credential_word("STRIPE_API_KEY").as_deref(),
        Some("API_KEY")
    );
    assert_eq!(
        credential_word("private_key").as_deref(),
        Some("PRIVATE_KEY")
    );
    assert_eq!(credential_word("AUTH_TOKEN").as_deref(), Some("TOKEN"));
    // Whole words only: a `KEY` alone, or `SECRET` inside a word, is not one.
    assert_eq!(credential_word("PARTITION_KEY"), None);
    assert_eq!(credential_word("SECRETARY_EMAIL"), None);
    assert_eq!(credential_word("TOKENIZER"), None);
    // Where the credential is kept is no credential.
    assert_eq!(credential_word("DB_SECRET_ARN"), None);
    assert_eq!(credential_word("TOKEN_TTL"), None);
}

#[test]
fn a_literal_credential_in_the_environment_is_rejected_and_a_reference_is_not() {
    let input = platform(quote! {
        aurora trades { engine: postgres "16.10", capacity: 0.5..=2, network: core, key: data }
        network core { cidr: region(us_east_1: "10.0.0.0/16") }
        function f {
            code: "f", key: data,
            env: { DB_PASSWORD: "hunter2-secret", DB_SECRET: trades.secret_arn, STAGE: "live" },
            grants: { trades: read_secret },
        }
    });
    let errors: Vec<String> = errors(input)
        .into_iter()
        .filter(|e| e.ends_with("[policy-env-secret]"))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].starts_with("`DB_PASSWORD` names a credential (PASSWORD)"));
}

#[test]
fn state_changing_routes_are_authorized_or_public_with_a_reason() {
    let input = platform(quote! {
        function f { code: "f", key: data }
        api web {
            waf: {}, key: data,
            routes: {
                GET "/health" => f,
                POST "/a" => f,
                PUT "/b" => f { auth: none },
                PATCH "/c" => f { auth: none "  " },
                DELETE "/d" => f { auth: none "webhook, verified by its signature" },
                ANY "/e" => f { auth: iam },
            },
        }
    });
    let errors: Vec<String> = errors(input)
        .into_iter()
        .filter(|e| e.ends_with("[api-route-auth]"))
        .collect();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(errors[0].starts_with("route `POST \"/a\"` changes state and has no `auth:`"));
    assert!(
        errors[1].starts_with("route `PUT \"/b\"` changes state and `auth: none` makes it public")
    );
    assert!(errors[2].starts_with("the reason route `PATCH \"/c\"` is public is empty"));
}

#[test]
fn tag_keys_and_values_are_within_aws_limits() {
    use crate::check::tags::{tag_key_problem, tag_value_problem};
    assert_eq!(tag_key_problem(&"k".repeat(128)), None);
    assert!(
        tag_key_problem(&"k".repeat(129))
            .unwrap()
            .contains("129 characters, over AWS's 128")
    );
    assert!(tag_key_problem("AWS:team").unwrap().contains("reserves"));
    assert!(tag_key_problem("Region").unwrap().contains("tp sets"));
    assert_eq!(tag_value_problem("Owner", &"é".repeat(256)), None);
    assert!(
        tag_value_problem("Owner", &"v".repeat(257))
            .unwrap()
            .contains("257 characters")
    );
    assert!(tag_value_problem("Owner", "a;b").unwrap().contains("`;`"));
    assert_eq!(
        tag_value_problem("Owner", "team@example.com/x+y=z: a_b-c"),
        None
    );
}

#[test]
fn at_most_fifty_tags_counting_the_three_tp_adds() {
    let with = |n: usize| {
        let tags = (0..n).map(|i| {
            let key = quote::format_ident!("T{i}");
            quote! { #key: "v", }
        });
        quote! {
            platform demo { regions: [us_east_1], suffix: max 12, profiles: [dev, prod], tags: { #(#tags)* } }
        }
    };
    assert!(errors(with(47)).iter().all(|e| !e.ends_with("[tag-limit]")));
    let over: Vec<String> = errors(with(48))
        .into_iter()
        .filter(|e| e.ends_with("[tag-limit]"))
        .collect();
    assert_eq!(over.len(), 1, "{over:#?}");
    assert!(over[0].starts_with("the platform declares 48 tags; with the 3 tp adds"));
}

#[test]
fn ssm_reserved_prefixes_are_refused_in_any_case() {
    use crate::check::ssm::reserved_prefix;
    assert_eq!(reserved_prefix("/aws/dev/us-east-1/x"), Some("aws"));
    assert_eq!(reserved_prefix("/SSM-trading/dev"), Some("ssm"));
    assert_eq!(reserved_prefix("/AwsTrading/dev"), Some("aws"));
    assert_eq!(reserved_prefix("/trading/aws/x"), None);
}

#[test]
fn a_platform_named_for_a_reserved_prefix_fails_with_its_parameters() {
    let with_parameter = |name: proc_macro2::TokenStream| {
        quote! {
            platform #name { regions: [us_east_1], suffix: max 12, profiles: [dev, prod] }
            parameter p { value: "v" }
        }
    };
    let reserved: Vec<String> = errors(with_parameter(quote!(ssm_trading)))
        .into_iter()
        .filter(|e| e.ends_with("[ssm-reserved-prefix]"))
        .collect();
    assert_eq!(reserved.len(), 1, "{reserved:#?}");
    assert!(reserved[0].contains("(`/ssm-trading/SUFFIX/us-east-1/p`)"));
    assert!(reserved[0].contains("(`trading`)"));
    assert!(
        errors(with_parameter(quote!(trading)))
            .iter()
            .all(|e| !e.ends_with("[ssm-reserved-prefix]"))
    );
}

#[test]
fn aurora_versions_exist_and_run_serverless_v2_with_the_nearest_suggested() {
    use crate::check::aurora_version::version_problem;
    assert_eq!(version_problem("16.10"), None);
    assert_eq!(version_problem("13.6"), None);
    let too_high = version_problem("16.99").unwrap();
    assert!(
        too_high.starts_with("Aurora PostgreSQL has no version 16.99"),
        "{too_high}"
    );
    assert!(too_high.contains("did you mean \"16.15\"?"), "{too_high}");
    let old = version_problem("11.9").unwrap();
    assert!(
        old.starts_with("Aurora PostgreSQL 11.9 exists but does not run Serverless v2"),
        "{old}"
    );
    assert!(old.contains("13.6, 14.3, 15.2, 16.1"), "{old}");
    assert!(old.contains("did you mean \"13.6\"?"), "{old}");
    let before_serverless = version_problem("13.3").unwrap();
    assert!(
        before_serverless.contains("did you mean \"13.6\"?"),
        "{before_serverless}"
    );
    assert!(
        version_problem("16")
            .unwrap()
            .contains("a major version alone")
    );
    // Malformed versions are `value-format`'s.
    assert_eq!(version_problem("16.x"), None);
}

#[test]
fn alarm_periods_are_whole_datapoints_of_their_metric() {
    use crate::check::resolution::period_problem;
    use platform_core::catalog::{Kind, METRICS, STANDARD_RESOLUTION_SECS};
    // None of the catalog's metrics is high-resolution.
    assert!(
        METRICS
            .iter()
            .all(|m| m.resolution_secs == STANDARD_RESOLUTION_SECS)
    );
    let errors_metric = Kind::Function.info().metric("errors").unwrap();
    assert_eq!(period_problem(60, errors_metric, "f.errors"), None);
    assert_eq!(period_problem(300, errors_metric, "f.errors"), None);
    let problem = period_problem(30, errors_metric, "f.errors").unwrap();
    assert!(
        problem.starts_with("`f.errors` (AWS/Lambda/Errors) is a standard-resolution metric"),
        "{problem}"
    );
    assert!(problem.contains("use `period: 60s`"), "{problem}");
    let high = platform_core::catalog::Metric {
        resolution_secs: 1,
        ..*errors_metric
    };
    assert_eq!(period_problem(10, &high, "f.custom"), None);
}

#[test]
fn a_thirty_second_alarm_on_a_standard_metric_is_rejected() {
    let input = platform(quote! {
        topic alerts { key: data, subscribe: https "https://pager.example.com/hook" }
        function f { code: "f", key: data }
        alarm fast { metric: f.errors, above: 0, period: 30s, notify: alerts }
        alarm slow { metric: f.errors, above: 0, period: 120s, notify: alerts }
    });
    let found: Vec<String> = errors(input)
        .into_iter()
        .filter(|e| e.ends_with("[alarm-period-resolution]"))
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("over 30s periods"));
}

#[test]
fn reserved_concurrency_leaves_a_hundred_of_each_accounts_quota() {
    let with = |quota: proc_macro2::TokenStream, prod: u32| {
        let prod = proc_macro2::Literal::u32_unsuffixed(prod);
        quote! {
            platform demo {
                regions: [us_east_1], suffix: max 12, profiles: [dev, staging, prod],
                accounts: profile(dev: "111111111111", staging: "111111111111", prod: "222222222222"),
                #quota
            }
            key data {}
            function a { code: "a", key: data, concurrency: profile(dev: 400, staging: 400, prod: #prod) }
            function b { code: "b", key: data, concurrency: 50 }
        }
    };
    let quota_errors = |input| -> Vec<String> {
        errors(input)
            .into_iter()
            .filter(|e| e.ends_with("[lambda-concurrency-quota]"))
            .collect()
    };
    // dev and staging share an account: 400 + 400, then b's 50 + 50 = 900.
    assert_eq!(quota_errors(with(quote!(), 850)), Vec::<String>::new());
    let over = quota_errors(with(quote!(), 851));
    assert_eq!(over.len(), 1, "{over:#?}");
    assert!(
        over[0].starts_with("the functions' reserved concurrency in account 222222222222 (profile `prod`) reaches 901 at function `b`, over the 900 Lambda allows"),
        "{over:#?}"
    );
    // A raised quota, declared, allows more.
    let raised = quote!(lambda_concurrency_quota: profile(dev: 1000, staging: 1000, prod: 3000),);
    assert_eq!(quota_errors(with(raised, 2800)), Vec::<String>::new());
    // Sharing an account counts both profiles.
    let shared = quote! {
        platform demo {
            regions: [us_east_1], suffix: max 12, profiles: [dev, staging, prod],
            accounts: profile(dev: "111111111111", staging: "111111111111", prod: "222222222222"),
        }
        key data {}
        function a { code: "a", key: data, concurrency: profile(dev: 450, staging: 451, prod: 1) }
    };
    let shared = quota_errors(shared);
    assert_eq!(shared.len(), 1, "{shared:#?}");
    assert!(shared[0].contains("account 111111111111 (profiles dev, staging) reaches 901"));
}

#[test]
fn the_code_directory_and_its_handler_file_exist_with_a_suggestion() {
    use crate::check::code::handler_file;
    let dir = std::env::temp_dir().join(format!("platform-macros-code-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("handlers/trade-api")).unwrap();
    std::fs::create_dir_all(dir.join("handlers/ledger/src")).unwrap();
    std::fs::write(dir.join("handlers/trade-api/index.mjs"), "").unwrap();
    std::fs::write(dir.join("handlers/ledger/src/main.js"), "").unwrap();
    assert_eq!(
        handler_file(&dir, "handlers/trade-api", "index.handler").as_deref(),
        Ok("handlers/trade-api/index.mjs")
    );
    assert_eq!(
        handler_file(&dir, "handlers/ledger/", "src/main.run").as_deref(),
        Ok("handlers/ledger/src/main.js")
    );
    let misspelt = handler_file(&dir, "handlers/trade-apu", "index.handler").unwrap_err();
    assert!(
        misspelt.contains("did you mean \"handlers/trade-api\"?"),
        "{misspelt}"
    );
    let no_file = handler_file(&dir, "handlers/ledger", "index.handler").unwrap_err();
    assert!(
        no_file.contains("has no index.mjs, index.js or index.cjs"),
        "{no_file}"
    );
    // The expansion includes the handler file, so cargo rebuilds when it changes.
    let input = platform(quote! { function f { code: "handlers/trade-api", key: data } });
    let output = crate::expand::expand_in(input, dir.clone())
        .unwrap()
        .to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(output.contains("include_bytes ! (:: core :: concat ! (:: core :: env ! (\"CARGO_MANIFEST_DIR\") , \"/\" , \"handlers/trade-api/index.mjs\"))"), "{output}");
}

#[test]
fn the_generated_aurora_table_is_ordered_and_within_what_exists() {
    use platform_core::aurora_versions::{EXISTING, serverless_v2};
    let numbers = |v: &str| -> Vec<u32> { v.split('.').map(|n| n.parse().unwrap()).collect() };
    let serverless: Vec<&str> = serverless_v2().collect();
    for table in [EXISTING, serverless.as_slice()] {
        assert!(
            table.windows(2).all(|w| numbers(w[0]) < numbers(w[1])),
            "oldest first"
        );
    }
    assert!(serverless.iter().all(|v| EXISTING.contains(v)));
    // The first versions of each major that run Serverless v2, per the
    // Aurora User Guide, and what the trading platform declares.
    for v in ["13.6", "14.3", "15.2", "16.1", "16.10"] {
        assert!(serverless.contains(&v), "{v}");
    }
    for v in ["13.5", "14.2", "15.1", "11.9"] {
        assert!(!serverless.contains(&v), "{v}");
    }
}
