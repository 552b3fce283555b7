//! Accounts per profile, the pipeline's tooling account and approval topic,
//! and CIDRs per profile and region, without rustc.

use proc_macro2::TokenStream;
use quote::quote;

/// The expansion of `input` as text, or its error messages.
fn expand(input: TokenStream) -> Result<String, Vec<String>> {
    crate::expand::expand(input)
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
    let output = expand(with_accounts(quote!("111111111111"), quote!())).unwrap();
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
            quote!("111111111111"),
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
