//! The checks of raw IAM statements, reference cycles, role-name
//! collisions and function environments, without rustc.

use quote::quote;

use super::{error, errors, platform};
use crate::check::env::{ENV_MAX_BYTES, env_name_problem};

#[test]
fn statement_actions_must_exist_and_are_suggested_when_close() {
    let errors = errors(platform(quote! {
        table sessions { partition: id: string, key: data }
        function f {
            code: "f", key: data,
            statements: [
                allow ["dynamodb:DescribeTabel", "dynamo:Query", "dynamodb:describetable", "DescribeTable"] on sessions,
                allow "dynamodb:Frobnicate" on sessions,
            ],
        }
    }));
    assert_eq!(
        errors,
        [
            "`dynamodb:DescribeTabel` is not an action of dynamodb; did you mean `dynamodb:DescribeTable`? [iam-action]",
            "unknown IAM service `dynamo` in `dynamo:Query`; did you mean `dynamodb`? [iam-action]",
            "`dynamodb:describetable` is spelled `dynamodb:DescribeTable` in IAM's tables; did you mean `dynamodb:DescribeTable`? [iam-action]",
            "`DescribeTable` is not an IAM action; write `service:Action`, as in `dynamodb:GetItem` [iam-action]",
            "`dynamodb:Frobnicate` is not an action of dynamodb; see the service authorization reference for dynamodb's actions [iam-action]",
        ]
    );
}

#[test]
fn wildcard_actions_are_refused_with_what_they_match() {
    let message = error(platform(quote! {
        queue q { key: data }
        function f { code: "f", key: data, statements: [allow "sqs:SendMessag?" on q] }
    }));
    assert_eq!(
        message,
        "`sqs:SendMessag?` is a wildcard, which grants actions added to the service later too; it matches `sqs:SendMessage`: list the ones the function calls [iam-wildcard]"
    );
    let message = error(platform(quote! {
        table t { partition: id: string, key: data }
        function f { code: "f", key: data, statements: [allow "dynamodb:*" on t] }
    }));
    assert!(message.contains("it matches "), "{message}");
    assert!(
        message.contains(" actions, including `dynamodb:"),
        "{message}"
    );
}

#[test]
fn a_statement_acts_only_on_resources_its_service_owns() {
    let errors = errors(platform(quote! {
        table sessions { partition: id: string, key: data }
        bucket audit { key: data }
        function f {
            code: "f", key: data,
            statements: [
                allow "sqs:SendMessage" on sessions,
                allow "dynamodb:DescribeBackup" on sessions,
                allow "xray:PutTraceSegments" on sessions,
                allow ["s3:GetObject", "s3:ListBucket"] on audit,
            ],
        }
    }));
    assert_eq!(
        errors,
        [
            "`sqs:SendMessage` is a sqs action, but `sessions` is a table (dynamodb table or dynamodb index); sqs does not own it: grant a dynamodb action, or name a resource sqs acts on [iam-resource]",
            "`dynamodb:DescribeBackup` acts on dynamodb backup, and `sessions` (a table) is dynamodb table or dynamodb index; use an action on what `sessions` is, or scope this one to what it acts on [iam-resource]",
            "`xray:PutTraceSegments` has no resource-level permissions: IAM accepts only `*` for it, so scoped to a resource it would never apply; write `allow \"xray:PutTraceSegments\" on *` [iam-resource]",
        ]
    );
}

#[test]
fn literal_arns_must_belong_to_the_actions_service() {
    let errors = errors(platform(quote! {
        function f {
            code: "f", key: data,
            statements: [
                allow "cloudformation:DescribeStacks" on "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/tp-*/*",
                allow "cloudformation:DescribeStacks" on "arn:aws:s3:::bucket",
                allow "cloudformation:DescribeStacks" on "stack/tp",
            ],
        }
    }));
    assert_eq!(
        errors,
        [
            "`cloudformation:DescribeStacks` acts on `cloudformation` ARNs, but `arn:aws:s3:::bucket` is a s3 ARN; scope it to the resource it acts on [iam-resource]",
            "`stack/tp` is not an ARN; write `arn:${AWS::Partition}:SERVICE:${AWS::Region}:${AWS::AccountId}:...`, or name a declared resource [iam-resource]",
        ]
    );
}

#[test]
fn star_is_only_for_actions_iam_cannot_scope() {
    let message = error(platform(quote! {
        function f {
            code: "f", key: data,
            statements: [
                allow ["xray:PutTraceSegments", "xray:PutTelemetryRecords"] on *,
                allow ["xray:PutTraceSegments", "sqs:SendMessage"] on *,
            ],
        }
    }));
    assert_eq!(
        message,
        "`sqs:SendMessage` can be scoped to a resource (sqs queue), so `on *` grants it on every such resource in the account; name the resource (`on RESOURCE` or `on \"arn:...\"`), and keep `*` for actions IAM cannot scope [iam-resource-star]"
    );
}

#[test]
fn a_statement_on_a_resource_counts_as_a_grant_and_needs_endpoints() {
    // The env var is covered by the statement, so only the endpoint is missing.
    let message = error(platform(quote! {
        network core { cidr: region(us_east_1: "10.0.0.0/16"), endpoints: [kms], key: data }
        table sessions { partition: id: string, key: data }
        function f {
            code: "f", key: data, network: core,
            env: { TABLE: sessions.name },
            statements: [allow "dynamodb:DescribeTable" on sessions],
        }
    }));
    assert!(
        message.contains("calls dynamodb, but `core` has no `dynamodb` endpoint"),
        "{message}"
    );
    assert!(message.ends_with("[network-endpoint]"), "{message}");
}

#[test]
fn statements_expand_to_policy_statements() {
    let output = super::expand(platform(quote! {
        table sessions { partition: id: string, key: data }
        function f {
            code: "f", key: data,
            statements: [allow "dynamodb:DescribeTable" on sessions, allow "xray:PutTraceSegments" on *],
        }
    }))
    .unwrap()
    .to_string();
    assert!(
        output.contains(
            "StatementResource :: Declared (:: std :: string :: String :: from (\"sessions\"))"
        ),
        "{output}"
    );
    assert!(output.contains("StatementResource :: All"), "{output}");
    assert!(output.contains("\"dynamodb:DescribeTable\""), "{output}");
}

#[test]
fn reference_cycles_are_reported_once_with_their_path() {
    let errors = errors(platform(quote! {
        queue a { key: data, dead_letter: b after 3 }
        queue b { key: data, dead_letter: a after 3 }
        queue c { key: data, dead_letter: c after 3 }
        function f { code: "f", key: data, env: { API: trading.url }, grants: { trading: invoke } }
        api trading { waf: {}, routes: { GET "/x" => f }, key: data }
    }));
    assert_eq!(
        errors,
        [
            "`a` and `b` refer to each other in a cycle (`a` -> `b` -> `a`), which CloudFormation rejects as a circular dependency; drop one of the references (pass the value at run time instead, for example through a parameter the function reads) [ref-cycle]",
            "`c` refers to itself through `dead_letter: c`; CloudFormation rejects a resource that depends on itself: drop the reference [ref-cycle]",
            "`f` and `trading` refer to each other in a cycle (`f` -> `trading` -> `f`), which CloudFormation rejects as a circular dependency; drop one of the references (pass the value at run time instead, for example through a parameter the function reads) [ref-cycle]",
        ]
    );
}

#[test]
fn a_longer_cycle_names_every_resource_on_it() {
    let message = error(platform(quote! {
        parameter p { value: f.arn }
        function f { code: "f", key: data, env: { Q: q.url }, grants: { q: send } }
        queue q { key: data, dead_letter: d after 3 }
        queue d { key: data }
        function g { code: "g", key: data, env: { P: p.name }, grants: { p: read } }
        parameter r { value: g.arn }
        function h { code: "h", key: data, env: { R: r.name }, grants: { r: read, h2: invoke } }
        function h2 { code: "h", key: data, env: { H: h.arn }, grants: { h: invoke } }
    }));
    assert!(message.contains("(`h` -> `h2` -> `h`)"), "{message}");
}

#[test]
fn derived_role_names_must_not_collide() {
    let errors = errors(platform(quote! {
        network core { cidr: region(us_east_1: "10.0.0.0/16"), key: data }
        function core_flow_logs { code: "f", key: data }
        function apigw_cloudwatch { code: "f", key: data }
        function ok { code: "f", key: data }
        api trading { waf: {}, routes: { GET "/x" => ok }, key: data }
    }));
    assert_eq!(
        errors,
        [
            "the role of function `core_flow_logs` would be named `role-core-flow-logs-<region>-<suffix>`, the same as the `flow_logs` role of network `core` (declared at `core`); IAM role names are unique in an account: rename `core_flow_logs` [name-collision]",
            "the API Gateway account's CloudWatch role would be named `role-apigw-cloudwatch-<region>-<suffix>`, the same as the role of function `apigw_cloudwatch` (declared at `apigw_cloudwatch`); IAM role names are unique in an account: rename `trading` [name-collision]",
        ]
    );
}

#[test]
fn the_api_account_role_and_tenth_readers_count_against_name_limits() {
    let message = error(quote! {
        platform demo { regions: [ap_southeast_1], suffix: max 32, profiles: [dev] }
        key data {}
        function ok { code: "f", key: data }
        api t { waf: {}, routes: { GET "/x" => ok }, key: data }
    });
    assert!(
        message.contains("the API Gateway account's CloudWatch role"),
        "{message}"
    );
    assert!(message.ends_with("[name-length]"), "{message}");

    // 63 characters exactly with `-reader-9`, one over with `-reader-10`.
    let name = syn::Ident::new(
        &format!("d{}", "b".repeat(15)),
        proc_macro2::Span::call_site(),
    );
    let cluster = |readers: usize| {
        let readers = proc_macro2::Literal::usize_unsuffixed(readers);
        quote! {
            platform demo { regions: [us_east_1], suffix: max 20, profiles: [dev] }
            key data {}
            network core { cidr: region(us_east_1: "10.0.0.0/16"), key: data }
            aurora #name { engine: postgres "16.10", capacity: 0.5..=4, readers: #readers, network: core, key: data }
        }
    };
    assert_eq!(errors(cluster(9)), Vec::<String>::new());
    let message = error(cluster(10));
    assert!(message.contains("RDS DB identifier"), "{message}");
}

#[test]
fn environment_names_are_lambdas_and_fit_in_four_kilobytes() {
    assert!(env_name_problem("AWS_REGION").unwrap().contains("reserved"));
    assert!(env_name_problem("_HANDLER").unwrap().contains("reserved"));
    assert!(
        env_name_problem("_TABLE")
            .unwrap()
            .contains("start with a letter; try `TABLE`")
    );
    assert_eq!(env_name_problem("TABLE_NAME"), None);

    let message = error(platform(quote! {
        function f { code: "f", key: data, env: { AWS_REGION: "us-east-1" } }
    }));
    assert!(message.ends_with("[function-env]"), "{message}");

    let big = "x".repeat(ENV_MAX_BYTES / 2);
    let message = error(platform(quote! {
        function f { code: "f", key: data, env: { A: #big, B: #big } }
    }));
    assert_eq!(
        message,
        format!(
            "the environment of function `f` reaches {} bytes at `B`, over Lambda's 4096-byte limit on all keys and values together (a reference counts as 256); keep large values in a parameter or bucket and pass its name [function-env]",
            ENV_MAX_BYTES + 2
        )
    );
}

fn pipeline(stages: proc_macro2::TokenStream) -> Vec<String> {
    errors(quote! {
        platform demo { regions: [us_east_1], suffix: max 12, profiles: [dev, staging, prod, pre_prod] }
        pipeline release {
            region: us_east_1,
            source: repository "acme/x" branch "main",
            stages: #stages,
        }
    })
}

#[test]
fn pipeline_stages_are_declared_profiles_deployed_once_with_valid_suffixes() {
    assert_eq!(
        pipeline(quote!([dev, staging, approve, prod])),
        Vec::<String>::new()
    );
    assert_eq!(
        pipeline(quote!([dev, prd, dev, pre_prod, approve, prod])),
        [
            "unknown stage `prd`: a stage deploys a declared profile, or is `approve`; did you mean `prod`? [pipeline-stage]",
            "profile `dev` is deployed twice, first at `dev`; promote each profile once [pipeline-stage]",
            "stage `pre_prod` deploys with `--suffix pre_prod`, which is not a valid suffix: the suffix has '_' at position 4; only lowercase letters a-z and digits 0-9 are allowed, because the suffix ends every physical name (S3 bucket names are lowercase); rename the profile [pipeline-stage]",
        ]
    );
}

#[test]
fn production_comes_right_after_an_approval_that_follows_a_verified_stage() {
    assert_eq!(
        pipeline(quote!([approve, prod])),
        [
            "an approval follows a deployed and verified stage, so that there is something to approve [pipeline-approval]"
        ]
    );
    assert_eq!(
        pipeline(quote!([dev, staging, prod])),
        [
            "stage `prod` is production (the last stage) and must come right after a manual approval; write `..., approve, prod]` [pipeline-approval]"
        ]
    );
    assert_eq!(
        pipeline(quote!([dev, approve])),
        [
            "the last stage is production and must deploy a profile; an approval at the end approves nothing [pipeline-approval]"
        ]
    );
    assert_eq!(
        pipeline(quote!([dev, approve, approve, prod])),
        [
            "an approval follows a deployed and verified stage, so that there is something to approve [pipeline-approval]"
        ]
    );
    assert_eq!(
        pipeline(quote!([])),
        ["pipeline `release` has no stages; write `[dev, approve, prod]` [pipeline-approval]"]
    );
}

#[test]
fn a_pipeline_runs_in_a_declared_region_with_names_that_fit() {
    let errors = errors(quote! {
        platform demo { regions: [us_east_1], suffix: max 32, profiles: [dev, prod] }
        pipeline a_release_pipeline_with_a_name_long_enough {
            region: us_west_2,
            stages: [dev, approve, prod],
        }
        pipeline second { region: us_east_1, source: bucket, stages: [dev, approve, prod] }
    });
    assert_eq!(
        errors,
        [
            "a platform has one promotion pipeline; put every stage in the first `pipeline` block [pipeline-stage]",
            "pipeline `a_release_pipeline_with_a_name_long_enough` needs `source: repository \"OWNER/REPO\" branch \"main\"` [grammar-required]",
            "pipeline `a_release_pipeline_with_a_name_long_enough` runs in `us_west_2`, which the platform does not declare; did you mean `us_east_1`? [name-region]",
            "pipeline name `a_release_pipeline_with_a_name_long_enough` is too long: its IAM role name `role-a-release-pipeline-with-a-name-long-enough-execution-us-west-2-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` has 100 characters with `suffix: max 32`, over the 64 AWS allows; shorten the name by 36 [name-length]",
        ]
    );
    let message = error(quote! {
        platform demo { regions: [us_east_1], suffix: max 32, profiles: [dev, prod] }
        pipeline a_release_pipeline {
            region: us_east_1, source: bucket, stages: [dev, approve, prod],
        }
    });
    assert!(
        message.contains("its IAM role name `role-a-release-pipeline-execution-us-east-1-"),
        "{message}"
    );
    assert!(message.ends_with("[name-length]"), "{message}");
}

#[test]
fn a_pipeline_expands_into_the_platforms_spec() {
    let output = super::expand(quote! {
        platform demo { regions: [us_east_1], suffix: max 12, profiles: [dev, prod] }
        pipeline release { region: us_east_1, source: bucket, stages: [dev, approve, prod], logs: 400d }
    })
    .unwrap()
    .to_string();
    assert!(output.contains("PipelineSource :: Bucket"), "{output}");
    assert!(output.contains("PipelineStage :: Approve"), "{output}");
    assert!(
        output.contains("region : :: std :: string :: String :: from (\"us-east-1\")"),
        "{output}"
    );
    assert!(output.contains("log_retention_days : 400u32"), "{output}");
}

#[test]
fn the_rollback_window_is_whole_minutes_up_to_three_hours_per_profile() {
    let window = |value: proc_macro2::TokenStream| {
        super::expand(quote! {
            platform demo { regions: [us_east_1], suffix: max 12, profiles: [dev, prod], rollback_window: #value }
        })
        .map(|tokens| tokens.to_string())
        .map_err(|e| e.into_iter().map(|e| e.to_string()).collect::<Vec<_>>())
    };
    let output = window(quote!(profile(dev: 5m, prod: 3h))).unwrap();
    assert!(
        output.contains("rollback_window_minutes : :: platform_core :: spec :: PerProfile :: ByProfile (:: std :: vec ! [(:: std :: string :: String :: from (\"dev\") , 5u32) , (:: std :: string :: String :: from (\"prod\") , 180u32)])"),
        "{output}"
    );
    assert_eq!(
        window(quote!(profile(dev: 90s, prod: 181m))).unwrap_err(),
        [
            "`rollback_window: 90s` is not one CloudFormation accepts: whole minutes from 0m to 180m [value-range]",
            "`rollback_window: 181m` is not one CloudFormation accepts: whole minutes from 0m to 180m [value-range]",
        ]
    );
    assert_eq!(
        window(quote!(profile(dev: 5m))).unwrap_err(),
        [
            "`profile(...)` has no value for `prod`; give a value for every declared profile: `dev` and `prod` [ref-profile]"
        ]
    );
}

#[test]
fn drift_check_alerts_a_declared_topic_at_a_frequency_config_runs() {
    let check = |value: proc_macro2::TokenStream| {
        super::expand(quote! {
            platform demo { regions: [us_east_1], suffix: max 12, profiles: [dev], drift_check: #value }
            key data {}
            topic alerts { key: data }
            bucket q { key: data }
        })
        .map(|tokens| tokens.to_string())
        .map_err(|e| e.into_iter().map(|e| e.to_string()).collect::<Vec<_>>())
    };
    let output = check(quote!({ notify: alerts, every: 6h })).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(
        output.contains("drift_check : :: core :: option :: Option :: Some (:: platform_core :: spec :: DriftCheck { notify : :: std :: string :: String :: from (\"alerts\") , every_hours : 6u32 , })"),
        "{output}"
    );
    let errors = check(quote!({ notify: q, every: 2h })).unwrap_err();
    assert!(errors[0].ends_with("[ref-kind]"), "{errors:?}");
    assert_eq!(
        errors[1],
        "`every: 2h` is not a frequency AWS Config runs checks at: 1h, 3h, 6h, 12h or 24h [value-range]"
    );
    assert_eq!(
        check(quote!({ every: 24h })).unwrap_err(),
        [
            "`drift_check` needs `notify: TOPIC`, the topic told when a stack drifts [grammar-required]"
        ]
    );
    assert!(check(quote!({ notify: alrets })).unwrap_err()[0].contains("did you mean `alerts`?"));
}
