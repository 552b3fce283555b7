//! Naming rules: declared names make valid physical names, in every declared
//! region, with the longest suffix the platform allows.

use platform_core::catalog::{self, Kind, NameLimit};
use platform_core::naming::{self, PurposeError};
use syn::Ident;

use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;
use crate::suggest;

pub fn check(model: &Model, cx: &Ctxt) {
    check_charset(model, cx);
    check_regions(model, cx);
    check_suffix_max(model, cx);
    check_lengths(model, cx);
    check_collisions(model, cx);
}

/// `name-collision`: no two IAM roles the platform creates get the same
/// name. Roles live in one account-wide namespace, and some role names are
/// derived from a resource's name (`catalog::DERIVED_NAMES`: network `core`'s
/// flow-log role is `role-core-flow-logs-...`, the same as the role of a
/// function called `core_flow_logs`), and the api's account role is
/// `role-apigw-cloudwatch-...`. A collision fails the deploy with "already
/// exists" halfway through. Other physical names are unique because
/// declared names are, and each kind has its own prefix.
pub(crate) fn check_collisions(model: &Model, cx: &Ctxt) {
    let mut roles: Vec<(String, String, &Ident)> = Vec::new();
    let mut api_role = false;
    for resource in &model.resources {
        let name = resource.name.to_string();
        if resource.info.kind == Kind::Api && !api_role {
            api_role = true;
            roles.push((
                catalog::API_ACCOUNT_ROLE_PURPOSE.replace('_', "-"),
                "the API Gateway account's CloudWatch role".to_owned(),
                &resource.name,
            ));
        }
        for derived in catalog::derived_names(resource.info.kind) {
            if derived.short_type != catalog::ROLE_SHORT_TYPE {
                continue;
            }
            let purpose = format!("{name}{}", derived.purpose_suffix);
            let what = if derived.purpose_suffix.is_empty() {
                format!("the role of {} `{name}`", resource.info.keyword)
            } else {
                format!(
                    "the `{}` role of {} `{name}`",
                    derived.purpose_suffix.trim_start_matches('_'),
                    resource.info.keyword
                )
            };
            roles.push((purpose.replace('_', "-"), what, &resource.name));
        }
    }
    for (index, (purpose, what, at)) in roles.iter().enumerate() {
        let Some((_, first, first_at)) = roles[..index].iter().find(|(p, ..)| p == purpose) else {
            continue;
        };
        if first_at == at {
            continue;
        }
        cx.error(
            Rule::NameCollision,
            at,
            format!(
                "{what} would be named `{}-{purpose}-<region>-<suffix>`, the same as {first} (declared at `{first_at}`); IAM role names are unique in an account: rename `{at}`",
                catalog::ROLE_SHORT_TYPE
            ),
        );
    }
}

/// `name-charset`: resource names and the platform's name are lowercase
/// letters, digits and single underscores, starting with a letter
/// (`naming::check_purpose`), because they become parts of physical names
/// such as S3 bucket names, which allow nothing else.
fn check_charset(model: &Model, cx: &Ctxt) {
    let platform = model
        .platform()
        .map(|platform| (&platform.name, "platform"));
    let resources = model.resources.iter().map(|r| (&r.name, r.info.keyword));
    for (name, what) in platform.into_iter().chain(resources) {
        let text = name.to_string();
        if let Err(error) = naming::check_purpose(&text) {
            cx.error(
                Rule::NameCharset,
                name,
                format!(
                    "{what} name `{text}` is not valid: {error}{}",
                    charset_fix(&text, &error)
                ),
            );
        }
    }
}

/// "; try `trade_orders`" when snake-casing `TradeOrders` or tidying
/// underscores makes a valid name.
fn charset_fix(name: &str, error: &PurposeError) -> String {
    if matches!(error, PurposeError::Empty) {
        return String::new();
    }
    let mut snake = String::with_capacity(name.len() + 4);
    let mut previous = '_';
    for c in name.chars() {
        if c.is_ascii_uppercase() && (previous.is_ascii_lowercase() || previous.is_ascii_digit()) {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
        previous = c;
    }
    let fixed = snake
        .split('_')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    match naming::check_purpose(&fixed) {
        Ok(()) if fixed != name => format!("; try `{fixed}`"),
        _ => String::new(),
    }
}

/// `name-region`: the platform declares at least one region, and each one is
/// a region the platform knows (`naming::REGIONS`), written like `us_east_1`.
fn check_regions(model: &Model, cx: &Ctxt) {
    let Some(platform) = model.platform() else {
        return;
    };
    let Some(regions) = &platform.regions else {
        return;
    };
    if regions.is_empty() {
        cx.error(
            Rule::NameRegion,
            &platform.name,
            format!("platform `{}` declares no regions; declare at least one, like `regions: [us_east_1]`", platform.name),
        );
    }
    let known: Vec<&str> = naming::REGIONS.iter().map(|(ident, _)| *ident).collect();
    for region in regions {
        let text = region.to_string();
        if naming::region_code(&text).is_none() {
            let hint = match suggest::closest(&text, known.iter().copied()) {
                Some(best) => format!("; did you mean `{best}`?"),
                None => "; regions are written like `us_east_1` for us-east-1".to_owned(),
            };
            cx.error(
                Rule::NameRegion,
                region,
                format!("unknown region `{text}`{hint}"),
            );
        }
    }
}

/// `name-suffix`: `suffix: max N` allows 1 to `naming::SUFFIX_HARD_MAX`
/// characters: every physical name ends with a non-empty suffix, and a longer
/// one leaves too little room for names.
fn check_suffix_max(model: &Model, cx: &Ctxt) {
    let Some(suffix) = model
        .platform()
        .and_then(|platform| platform.suffix.as_ref())
    else {
        return;
    };
    let hard_max = naming::SUFFIX_HARD_MAX;
    if suffix.value == 0 {
        cx.error(
            Rule::NameSuffix,
            &suffix.lit,
            format!("`suffix: max 0` allows no suffix; every physical name ends with one, so allow 1 to {hard_max} characters"),
        );
    } else if suffix.value > hard_max {
        cx.error(
            Rule::NameSuffix,
            &suffix.lit,
            format!("`suffix: max {}` is over the limit of {hard_max} characters; use at most `suffix: max {hard_max}`", suffix.value),
        );
    }
}

/// `name-length`: every physical name a declaration produces fits its
/// kind's AWS limit (`catalog::KindInfo::name_limit`, plus the names it
/// derives, `catalog::DERIVED_NAMES`: a function's IAM role, a network's
/// flow-log role, a cluster's monitoring role, ...) with the longest declared region and a suffix of the declared
/// maximum length, so no `--suffix` that `tp` accepts can produce a name AWS
/// rejects in the middle of a deploy.
fn check_lengths(model: &Model, cx: &Ctxt) {
    let Some(platform) = model.platform() else {
        return;
    };
    let Some(suffix) = &platform.suffix else {
        return;
    };
    if suffix.value == 0 || suffix.value > naming::SUFFIX_HARD_MAX {
        return;
    }
    let Some(region) = model
        .region_codes()
        .into_iter()
        .max_by_key(|code| code.len())
    else {
        return;
    };
    let suffix = "x".repeat(suffix.value);
    if let Some(api) = model.resources.iter().find(|r| r.info.kind == Kind::Api) {
        let role = naming::physical_name(
            catalog::ROLE_SHORT_TYPE,
            catalog::API_ACCOUNT_ROLE_PURPOSE,
            region,
            &suffix,
        );
        if role.len() > catalog::ROLE_NAME_LIMIT.max_len {
            cx.error(
                Rule::NameLength,
                &api.name,
                format!(
                    "the API Gateway account's CloudWatch role, which api `{}` needs, would be named `{role}` ({} characters with the longest declared region and `suffix: max {}`), over the {} IAM allows; lower `suffix: max` by {}",
                    api.name,
                    role.len(),
                    suffix.len(),
                    catalog::ROLE_NAME_LIMIT.max_len,
                    role.len() - catalog::ROLE_NAME_LIMIT.max_len,
                ),
            );
        }
    }
    for resource in &model.resources {
        let name = resource.name.to_string();
        let info = resource.info;
        let mut name_limit = info.name_limit;
        if let crate::ast::Body::Aurora(aurora) = &resource.body {
            // `-reader-10` and up are a character longer than `-reader-1`.
            if aurora.readers.as_ref().is_some_and(|r| r.value >= 10) {
                name_limit.extra_len += 1;
            }
        }
        let mut names = vec![(
            name_limit,
            match info.kind {
                Kind::Parameter => {
                    let path =
                        naming::parameter_path(&platform.name.to_string(), &name, region, &suffix);
                    (path.len(), path)
                }
                _ => {
                    let len = naming::longest_name_len(
                        info.short_type,
                        &name,
                        region.len(),
                        suffix.len(),
                        &name_limit,
                    );
                    let example = match info.kind {
                        Kind::Bucket => naming::bucket_name(&name, region, &suffix, "123456789012"),
                        _ => naming::physical_name(info.short_type, &name, region, &suffix),
                    };
                    (len, example)
                }
            },
        )];
        for derived in catalog::derived_names(info.kind) {
            let purpose = format!("{name}{}", derived.purpose_suffix);
            let len = naming::longest_name_len(
                derived.short_type,
                &purpose,
                region.len(),
                suffix.len(),
                &derived.limit,
            );
            names.push((
                derived.limit,
                (
                    len,
                    naming::physical_name(derived.short_type, &purpose, region, &suffix),
                ),
            ));
        }
        if let Some((limit, (len, example))) = names
            .into_iter()
            .find(|(limit, (len, _))| *len > limit.max_len)
        {
            cx.error(
                Rule::NameLength,
                &resource.name,
                too_long(
                    &resource.name,
                    info.keyword,
                    &limit,
                    suffix.len(),
                    len,
                    &example,
                ),
            );
        }
    }
}

fn too_long(
    name: &Ident,
    keyword: &str,
    limit: &NameLimit,
    suffix_max: usize,
    len: usize,
    example: &str,
) -> String {
    let around = match len - example.len() {
        0 => String::new(),
        extra => format!(" plus {extra} characters around it"),
    };
    format!(
        "{keyword} name `{name}` is too long: its {} can reach {len} characters, over the {} AWS allows (`{example}`{around}, with the longest declared region and `suffix: max {suffix_max}`); shorten the name by {} characters or lower `suffix: max`",
        limit.what,
        limit.max_len,
        len - limit.max_len,
    )
}
