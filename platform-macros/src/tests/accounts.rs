//! Accounts per profile, the pipeline's tooling account and approval topic,
//! and CIDRs per profile and region, without rustc.

use proc_macro2::TokenStream;
use quote::quote;

/// The expansion of `input` as text, or its error messages.
fn expand(input: TokenStream) -> Result<String, Vec<String>> {
    super::expand(input)
        .map(|tokens| tokens.to_string())
        .map_err(|e| e.into_iter().map(|e| e.to_string()).collect())
}

/// A three-profile platform with `accounts` and an alerts topic, then `rest`.
fn with_accounts(accounts: TokenStream, rest: TokenStream) -> TokenStream {
    quote! {
        platform demo {
            regions: [us_east_1], suffix: max 12, profiles: [dev, staging, prod],
            accounts: #accounts,
        }
        key data {}
        topic alerts { key: data }
        #rest
    }
}

#[test]
fn accounts_expand_per_profile_or_the_same_for_all() {
    let output = expand(with_accounts(
        quote!(profile(dev: "111111111111", staging: "222222222222", prod: "333333333333")),
        quote!(),
    ))
    .unwrap();
    assert!(
        output.contains("accounts : :: core :: option :: Option :: Some (:: platform_core :: spec :: PerProfile :: ByProfile (:: std :: vec ! [(:: std :: string :: String :: from (\"dev\") , :: std :: string :: String :: from (\"111111111111\")) , (:: std :: string :: String :: from (\"staging\") , :: std :: string :: String :: from (\"222222222222\")) , (:: std :: string :: String :: from (\"prod\") , :: std :: string :: String :: from (\"333333333333\"))]))"),
        "{output}"
    );
    // One account for all is for platforms of one profile (see
    // `production_has_an_account_of_its_own`).
    let output = expand(quote! {
        platform demo { regions: [us_east_1], suffix: max 12, profiles: [prod], accounts: "111111111111" }
    })
    .unwrap();
    assert!(
        output.contains("accounts : :: core :: option :: Option :: Some (:: platform_core :: spec :: PerProfile :: Same (:: std :: string :: String :: from (\"111111111111\")))"),
        "{output}"
    );
    let output = expand(quote! {
        platform demo { regions: [us_east_1], suffix: max 12, profiles: [dev] }
    })
    .unwrap();
    assert!(
        output.contains("accounts : :: core :: option :: Option :: None"),
        "{output}"
    );
}

#[test]
fn accounts_cover_every_declared_profile() {
    assert_eq!(
        expand(with_accounts(
            quote!(profile(dev: "111111111111", prdo: "333333333333")),
            quote!(),
        ))
        .unwrap_err(),
        [
            "unknown profile `prdo`; did you mean `prod`? [ref-profile]",
            "`profile(...)` has no value for `staging` and `prod`; give a value for every declared profile: `dev`, `staging` and `prod` [ref-profile]",
        ]
    );
    let errors = expand(quote! {
        platform demo { regions: [us_east_1], suffix: max 12, profiles: [dev], acounts: "111111111111" }
    })
    .unwrap_err();
    assert!(errors[0].contains("did you mean `accounts`?"), "{errors:?}");
}

#[test]
fn the_pipeline_expands_its_tooling_account_and_approval_topic() {
    let pipeline = |fields: TokenStream| {
        expand(with_accounts(
            quote!(profile(dev: "111111111111", staging: "222222222222", prod: "333333333333")),
            quote! {
                pipeline release {
                    region: us_east_1, source: bucket, stages: [dev, staging, approve, prod],
                    #fields
                }
            },
        ))
    };
    let output = pipeline(quote!(account: "444444444444", notify: alerts)).unwrap();
    assert!(
        output.contains("account : :: core :: option :: Option :: Some (:: std :: string :: String :: from (\"444444444444\")) , notify : :: core :: option :: Option :: Some (:: std :: string :: String :: from (\"alerts\"))"),
        "{output}"
    );
    let output = pipeline(quote!()).unwrap();
    assert!(
        output.contains("account : :: core :: option :: Option :: None , notify : :: core :: option :: Option :: None"),
        "{output}"
    );
    assert_eq!(
        pipeline(quote!(notify: alrets)).unwrap_err(),
        ["unknown resource `alrets`; did you mean `alerts`? [ref-unknown]"]
    );
    let errors = pipeline(quote!(notify: data)).unwrap_err();
    assert_eq!(
        errors,
        [
            "`notify: data` needs a topic, but `data` is a key; declared topics are `alerts` [ref-kind]"
        ]
    );
    let errors = pipeline(quote!(acount: "444444444444")).unwrap_err();
    assert!(errors[0].contains("did you mean `account`?"), "{errors:?}");
}

#[test]
fn every_account_is_twelve_digits() {
    let errors = expand(with_accounts(
        quote!(profile(dev: "11111111111", staging: "22222222222a", prod: "333333333333")),
        quote! {
            pipeline release {
                region: us_east_1, source: bucket, stages: [dev, staging, approve, prod],
                account: "4444-4444-4444",
            }
        },
    ))
    .unwrap_err();
    assert_eq!(
        errors,
        [
            "`\"11111111111\"` is not an AWS account id; write the account's 12 digits as a string, like `\"111111111111\"` (leading zeros included) [account-id]",
            "`\"22222222222a\"` is not an AWS account id; write the account's 12 digits as a string, like `\"111111111111\"` (leading zeros included) [account-id]",
            "`\"4444-4444-4444\"` is not an AWS account id; write the account's 12 digits as a string, like `\"111111111111\"` (leading zeros included) [account-id]",
        ]
    );
}

/// A three-profile pipeline promoting to `stages`' last, in `account`.
fn pipeline(stages: TokenStream, account: &str) -> TokenStream {
    quote! {
        pipeline release { region: us_east_1, source: bucket, stages: #stages, account: #account }
    }
}

#[test]
fn production_has_an_account_of_its_own() {
    let errors = expand(with_accounts(
        quote!(profile(dev: "111111111111", staging: "333333333333", prod: "333333333333")),
        pipeline(quote!([dev, staging, approve, prod]), "444444444444"),
    ))
    .unwrap_err();
    assert_eq!(
        errors,
        [
            "production (`prod`) deploys into account `333333333333`, the same as `staging`; give `prod` an account of its own, so that nothing deployed or granted in `staging` can reach production [account-separation]"
        ]
    );
    // Without a pipeline, production is the last declared profile.
    let errors = expand(with_accounts(
        quote!(profile(dev: "111111111111", staging: "222222222222", prod: "111111111111")),
        quote!(),
    ))
    .unwrap_err();
    assert!(
        errors[0].starts_with(
            "production (`prod`) deploys into account `111111111111`, the same as `dev`;"
        ),
        "{errors:?}"
    );
    // Production is what the pipeline deploys after its approval, whatever
    // the declaration order: dev and prod may share nothing, staging is free.
    assert!(
        expand(with_accounts(
            quote!(profile(dev: "111111111111", staging: "111111111111", prod: "333333333333")),
            pipeline(quote!([dev, staging, approve, prod]), "444444444444"),
        ))
        .is_ok()
    );
    let errors = expand(with_accounts(quote!("111111111111"), quote!())).unwrap_err();
    assert_eq!(
        errors,
        [
            "`accounts: \"111111111111\"` puts production (`prod`) in the same account as `dev` and `staging`; give production an account of its own: `accounts: profile(dev: \"...\", staging: \"...\", prod: \"...\")` [account-separation]"
        ]
    );
    // One profile has nothing to be separated from.
    assert!(
        expand(quote! {
            platform demo { regions: [us_east_1], suffix: max 12, profiles: [prod], accounts: "111111111111" }
        })
        .is_ok()
    );
}

#[test]
fn the_pipeline_runs_outside_productions_account() {
    let errors = expand(with_accounts(
        quote!(profile(dev: "111111111111", staging: "222222222222", prod: "333333333333")),
        pipeline(quote!([dev, staging, approve, prod]), "333333333333"),
    ))
    .unwrap_err();
    assert_eq!(
        errors,
        [
            "pipeline `release` runs in account `333333333333`, which is production's (`prod`); run it in a tooling account of its own, which reaches production only through the deploy role production trusts [account-separation]"
        ]
    );
    // The tooling account may be a non-production one; without `accounts`
    // there is nothing to compare it with.
    assert!(
        expand(with_accounts(
            quote!(profile(dev: "111111111111", staging: "222222222222", prod: "333333333333")),
            pipeline(quote!([dev, staging, approve, prod]), "111111111111"),
        ))
        .is_ok()
    );
    assert!(
        expand(quote! {
            platform demo { regions: [us_east_1], suffix: max 12, profiles: [dev, prod] }
            pipeline release { region: us_east_1, source: bucket, stages: [dev, approve, prod], account: "111111111111" }
        })
        .is_ok()
    );
}

/// A two-region, three-profile platform with a key, then `rest`.
fn with_regions(rest: TokenStream) -> TokenStream {
    quote! {
        platform demo { regions: [us_east_1, us_west_2], suffix: max 12, profiles: [dev, staging, prod] }
        key data {}
        #rest
    }
}

#[test]
fn cidrs_expand_per_profile_and_region() {
    let output = expand(with_regions(quote! {
        network core {
            cidr: profile(
                dev: region(us_west_2: "10.1.0.0/16", us_east_1: "10.0.0.0/16"),
                staging: region(us_east_1: "10.10.0.0/16", us_west_2: "10.11.0.0/16"),
                prod: region(us_east_1: "10.20.0.0/16", us_west_2: "10.21.0.0/16"),
            ),
            key: data,
        }
        network edge { cidr: region(us_east_1: "10.30.0.0/16", us_west_2: "10.31.0.0/16"), key: data }
    }))
    .unwrap();
    let cidrs = |values: &[(&str, &str)]| {
        let values: Vec<String> = values
            .iter()
            .map(|(region, cidr)| format!("(:: std :: string :: String :: from (\"{region}\") , :: std :: string :: String :: from (\"{cidr}\"))"))
            .collect();
        format!(
            ":: platform_core :: spec :: PerRegion (:: std :: vec ! [{}])",
            values.join(" , ")
        )
    };
    let expected = format!(
        "cidr : :: platform_core :: spec :: PerProfile :: ByProfile (:: std :: vec ! [(:: std :: string :: String :: from (\"dev\") , {}) , (:: std :: string :: String :: from (\"staging\") , {}) , (:: std :: string :: String :: from (\"prod\") , {})])",
        cidrs(&[("us-east-1", "10.0.0.0/16"), ("us-west-2", "10.1.0.0/16")]),
        cidrs(&[("us-east-1", "10.10.0.0/16"), ("us-west-2", "10.11.0.0/16")]),
        cidrs(&[("us-east-1", "10.20.0.0/16"), ("us-west-2", "10.21.0.0/16")]),
    );
    assert!(output.contains(&expected), "{expected}\nnot in\n{output}");
    let expected = format!(
        "cidr : :: platform_core :: spec :: PerProfile :: Same ({})",
        cidrs(&[("us-east-1", "10.30.0.0/16"), ("us-west-2", "10.31.0.0/16")]),
    );
    assert!(output.contains(&expected), "{expected}\nnot in\n{output}");
}

#[test]
fn each_profiles_cidrs_are_checked_like_one_region_list() {
    let errors = expand(with_regions(quote! {
        network core {
            cidr: profile(
                dev: region(us_east_1: "10.0.0.0/16", us_west_2: "10.1.0.0/24"),
                staging: region(us_east_1: "10.10.0.0/16"),
                prdo: region(us_east_1: "10.20.0.0/16", us_west_2: "10.21.0.0/16", us_west_2: "10.22.0.0/16"),
            ),
            key: data,
        }
    }))
    .unwrap_err();
    assert_eq!(
        errors,
        [
            "duplicate region `us_west_2` in network `core`; give one CIDR per region [ref-duplicate]",
            "the first `us_west_2` is here [ref-duplicate]",
            "unknown profile `prdo`; did you mean `prod`? [ref-profile]",
            "`profile(...)` has no value for `prod`; give a value for every declared profile: `dev`, `staging` and `prod` [ref-profile]",
            "network `core` has no CIDR in profile `staging` for `us_west_2`; add `us_west_2: \"10.N.0.0/16\"` with a /16 no other network, profile or region uses [network-cidr]",
            "`10.1.0.0/24` is not a valid CIDR for network `core`: it is a /24; networks are /16s, which synthesis carves into /20 subnets [network-cidr]",
        ]
    );
}

#[test]
fn no_two_vpcs_of_any_profile_and_region_overlap() {
    let errors = expand(with_regions(quote! {
        network core {
            cidr: profile(
                dev: region(us_east_1: "10.0.0.0/16", us_west_2: "10.1.0.0/16"),
                staging: region(us_east_1: "10.10.0.0/16", us_west_2: "10.11.0.0/16"),
                prod: region(us_east_1: "10.20.0.0/16", us_west_2: "10.0.0.0/16"),
            ),
            key: data,
        }
        network edge { cidr: region(us_east_1: "10.11.0.0/16", us_west_2: "10.31.0.0/16"), key: data }
        network batch {
            cidr: profile(
                dev: region(us_east_1: "10.40.0.0/16", us_west_2: "10.41.0.0/16"),
                staging: region(us_east_1: "10.42.0.0/16", us_west_2: "10.31.0.0/16"),
                prod: region(us_east_1: "10.44.0.0/16", us_west_2: "10.45.0.0/16"),
            ),
            key: data,
        }
    }))
    .unwrap_err();
    assert_eq!(
        errors,
        [
            "`10.0.0.0/16` for `prod` in `us_west_2` overlaps the CIDR of `dev` in `us_east_1`; give each network in each profile and region its own /16 [network-cidr]",
            "`10.11.0.0/16` for `us_east_1` overlaps the CIDR of network `core` for `staging` in `us_west_2`; give each network in each profile and region its own /16 [network-cidr]",
            "`10.31.0.0/16` for `staging` in `us_west_2` overlaps the CIDR of network `edge` in `us_west_2`; give each network in each profile and region its own /16 [network-cidr]",
        ]
    );
}
