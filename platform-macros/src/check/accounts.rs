//! Account rules: every account is an AWS account id, production has an
//! account of its own, and the pipeline runs in a tooling account that is
//! not production's.

use platform_core::accounts::is_account_id;
use syn::{Ident, LitStr};

use crate::ast::{APPROVE, PerProfile};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;
use crate::suggest;

pub fn check(model: &Model, cx: &Ctxt) {
    check_ids(model, cx);
    check_separation(model, cx);
}

/// `account-id`: the platform's `accounts` and the pipeline's `account` are
/// AWS account ids, 12 digits, written as strings so that leading zeros
/// survive. Anything else would only fail at deploy time, when the role ARN
/// built from it is assumed.
fn check_ids(model: &Model, cx: &Ctxt) {
    let platform = model.platform().and_then(|p| p.accounts.as_ref());
    let pipeline = model.pipeline().and_then(|p| p.account.as_ref());
    for account in platform
        .into_iter()
        .flat_map(PerProfile::values)
        .chain(pipeline)
    {
        if is_account_id(&account.value()) {
            continue;
        }
        cx.error(
            Rule::AccountId,
            account,
            format!(
                "`{:?}` is not an AWS account id; write the account's 12 digits as a string, like `\"111111111111\"` (leading zeros included)",
                account.value()
            ),
        );
    }
}

/// The production profiles: those the pipeline deploys after its last
/// `approve` stage, or, without a pipeline, the last declared profile.
pub(crate) fn production<'a>(model: &Model<'a>) -> Vec<&'a Ident> {
    let declared = model
        .platform()
        .and_then(|p| p.profiles.as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let stages = model.pipeline().and_then(|p| p.stages.as_ref());
    let after_approval: Vec<&Ident> = stages
        .and_then(|stages| {
            let approve = stages.items.iter().rposition(|stage| stage == APPROVE)?;
            Some(stages.items[approve + 1..].iter().collect())
        })
        .unwrap_or_default();
    let production: Vec<&Ident> = declared
        .iter()
        .filter(|profile| after_approval.contains(profile))
        .collect();
    if production.is_empty() {
        declared.last().into_iter().collect()
    } else {
        production
    }
}

/// `account-separation`: production's account is not any other profile's,
/// and not the pipeline's. An account is the boundary IAM cannot cross by
/// mistake: a role, a grant or a bootstrap trust meant for dev or for the
/// tooling account never reaches production's resources. Without
/// `accounts`, every profile deploys wherever the caller's credentials
/// point, and there is nothing to compare.
fn check_separation(model: &Model, cx: &Ctxt) {
    let Some(platform) = model.platform() else {
        return;
    };
    let Some(accounts) = &platform.accounts else {
        return;
    };
    let declared = platform.profiles.as_deref().unwrap_or_default();
    let production = production(model);
    let others: Vec<&Ident> = declared
        .iter()
        .filter(|profile| !production.contains(profile))
        .collect();
    // Production's accounts, each with its profile.
    let mut production_accounts: Vec<(&Ident, &LitStr)> = Vec::new();
    match accounts {
        PerProfile::Same(account) => {
            if let (Some(prod), false) = (production.first(), others.is_empty()) {
                let others: Vec<String> = others.iter().map(|p| p.to_string()).collect();
                cx.error(
                    Rule::AccountSeparation,
                    account,
                    format!(
                        "`accounts: {:?}` puts production (`{prod}`) in the same account as {}; give production an account of its own: `accounts: profile({})`",
                        account.value(),
                        suggest::list(&others),
                        declared
                            .iter()
                            .map(|profile| format!("{profile}: \"...\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            production_accounts.extend(production.iter().map(|prod| (*prod, account)));
        }
        PerProfile::ByProfile { values, .. } => {
            let account_of =
                |profile: &Ident| values.iter().find(|(p, _)| p == profile).map(|(_, a)| a);
            for prod in &production {
                let Some(account) = account_of(prod) else {
                    continue;
                };
                production_accounts.push((prod, account));
                let shared = others
                    .iter()
                    .find(|other| account_of(other).is_some_and(|a| a.value() == account.value()));
                if let Some(other) = shared {
                    cx.error(
                        Rule::AccountSeparation,
                        account,
                        format!(
                            "production (`{prod}`) deploys into account `{}`, the same as `{other}`; give `{prod}` an account of its own, so that nothing deployed or granted in `{other}` can reach production",
                            account.value()
                        ),
                    );
                }
            }
        }
    }
    let Some(pipeline) = model.pipeline() else {
        return;
    };
    let Some(tooling) = &pipeline.account else {
        return;
    };
    if let Some((prod, _)) = production_accounts
        .iter()
        .find(|(_, account)| account.value() == tooling.value())
    {
        cx.error(
            Rule::AccountSeparation,
            tooling,
            format!(
                "pipeline `{}` runs in account `{}`, which is production's (`{prod}`); run it in a tooling account of its own, which reaches production only through the deploy role production trusts",
                pipeline.name,
                tooling.value()
            ),
        );
    }
}
