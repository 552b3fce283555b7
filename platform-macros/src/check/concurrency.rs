//! `lambda-concurrency-quota`: Lambda refuses reserved concurrency that
//! leaves less than 100 of the account's concurrent executions quota
//! unreserved in a region. Every function is deployed in every declared
//! region, so each region's sum is the sum over the functions, and the
//! profiles that deploy into one account (`accounts:`) share its quota.

use platform_core::catalog::Kind;

use crate::ast::Body;
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

/// Lambda's default concurrent executions quota per account and region.
pub(crate) const DEFAULT_QUOTA: u32 = 1_000;
/// What Lambda keeps unreserved for functions without reserved concurrency.
pub(crate) const UNRESERVED_MIN: u32 = 100;

pub fn check(model: &Model, cx: &Ctxt) {
    let Some(platform) = model.platform() else {
        return;
    };
    let profiles = model.profiles();
    // Profiles grouped by the account they deploy into; without `accounts:`
    // each profile's account is unknown, so each is counted on its own.
    let mut groups: Vec<(Option<String>, Vec<&str>)> = Vec::new();
    for profile in &profiles {
        let account = platform
            .accounts
            .as_ref()
            .and_then(|accounts| accounts.in_profile(profile))
            .map(|account| account.value());
        match groups
            .iter_mut()
            .find(|(a, _)| account.is_some() && *a == account)
        {
            Some((_, members)) => members.push(profile),
            None => groups.push((account, vec![profile])),
        }
    }
    for (account, members) in &groups {
        let quota = members
            .iter()
            .map(|profile| {
                platform
                    .lambda_concurrency_quota
                    .as_ref()
                    .and_then(|quota| quota.in_profile(profile))
                    .map_or(DEFAULT_QUOTA, |count| count.value)
            })
            .min()
            .unwrap_or(DEFAULT_QUOTA);
        let limit = quota.saturating_sub(UNRESERVED_MIN);
        let mut total = 0u32;
        'functions: for resource in &model.resources {
            if resource.info.kind != Kind::Function {
                continue;
            }
            let Body::Function(function) = &resource.body else {
                continue;
            };
            let Some(concurrency) = &function.concurrency else {
                continue;
            };
            for profile in members {
                let Some(count) = concurrency.in_profile(profile) else {
                    continue;
                };
                total = total.saturating_add(count.value);
                if total > limit {
                    let whose = match account {
                        Some(account) if members.len() == 1 => {
                            format!("account {account} (profile `{profile}`)")
                        }
                        Some(account) => {
                            format!("account {account} (profiles {})", members.join(", "))
                        }
                        None => format!("profile `{profile}`'s account"),
                    };
                    let declare = members
                        .iter()
                        .map(|member| format!("{member}: N"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    cx.error(
                        Rule::LambdaConcurrencyQuota,
                        &count.lit,
                        format!(
                            "the functions' reserved concurrency in {whose} reaches {total} at function `{}`, over the {limit} Lambda allows: it keeps {UNRESERVED_MIN} of the account's quota of {quota} concurrent executions per region unreserved; lower `concurrency:`, or, if AWS raised the quota, declare it: `lambda_concurrency_quota: profile({declare}, ..)` in the platform block",
                            resource.name
                        ),
                    );
                    break 'functions;
                }
            }
        }
    }
}
