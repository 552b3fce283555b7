//! Backup rules: every `backup` block names what it backs up, when, for how
//! long and where it copies to, in forms AWS Backup accepts; production
//! keeps recovery points at least 35 days; and what is backed up (or keeps
//! a final snapshot) is encrypted with the key that outlives environments.

use platform_core::naming;
use platform_core::spec::BOOTSTRAP_KEY;
use syn::Ident;

use crate::ast::{BackupBlock, Body, PerProfile};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

/// The least retention, in days, of a recovery point in production.
pub const PRODUCTION_BACKUP_DAYS: u32 = 35;

/// AWS Backup's limit on a plan's name, which is
/// `backup-{name}-{region}-{suffix}`.
const PLAN_NAME_MAX: usize = 50;

pub fn check(model: &Model, cx: &Ctxt) {
    let production = super::accounts::production(model);
    for block in &model.backup_blocks {
        check_required(cx, block);
        check_retention(cx, block, &production);
        check_copy_regions(model, cx, block);
        check_schedule(cx, block);
        check_plan_name(model, cx, block);
    }
    check_bootstrap_key(model, cx);
}

/// `grammar-required`: a backup names its resources (at least one), its
/// schedule, its retention and its copy regions.
fn check_required(cx: &Ctxt, block: &BackupBlock) {
    let missing = [
        ("resources: [TABLE, AURORA]", block.resources.is_none()),
        ("schedule: \"cron(0 3 * * ? *)\"", block.schedule.is_none()),
        ("retention: 35d", block.retention.is_none()),
        (
            "copy_to: region(us_east_1: us_west_2, ..)",
            block.copy_to.is_none(),
        ),
    ];
    for (field, _) in missing.iter().filter(|(_, missing)| *missing) {
        cx.error(
            Rule::GrammarRequired,
            &block.name,
            format!("backup `{}` needs `{field}`", block.name),
        );
    }
    if let Some(resources) = &block.resources
        && resources.items.is_empty()
    {
        cx.error_at(
            Rule::GrammarRequired,
            resources.span(),
            format!(
                "backup `{}` backs up nothing; name its tables and aurora clusters: `resources: [trades, sessions]`",
                block.name
            ),
        );
    }
}

/// `backup-retention-prod`: in every production profile a backup keeps
/// each recovery point (and its copy) at least 35 days, so a month's
/// corruption found late can still be undone, and the vault lock's minimum
/// holds. Every retention is at least a day (AWS Backup's minimum).
fn check_retention(cx: &Ctxt, block: &BackupBlock, production: &[&Ident]) {
    let Some(retention) = &block.retention else {
        return;
    };
    let values: Vec<(Option<&Ident>, &crate::ast::Days)> = match retention {
        PerProfile::Same(days) => vec![(None, days)],
        PerProfile::ByProfile { values, .. } => values.iter().map(|(p, d)| (Some(p), d)).collect(),
    };
    for (profile, days) in values {
        if days.value == 0 {
            cx.error(
                Rule::BackupRetentionProd,
                &days.lit,
                format!(
                    "`retention: {}` keeps no recovery point; AWS Backup keeps them at least a day",
                    days.lit
                ),
            );
            continue;
        }
        let in_production: Vec<&&Ident> = match profile {
            None => production.iter().collect(),
            Some(p) => production.iter().filter(|prod| **prod == p).collect(),
        };
        if days.value >= PRODUCTION_BACKUP_DAYS {
            continue;
        }
        for prod in in_production {
            cx.error(
                Rule::BackupRetentionProd,
                &days.lit,
                format!(
                    "`retention: {}` keeps backup `{}`'s recovery points {} days in production (`{prod}`); production keeps them at least {PRODUCTION_BACKUP_DAYS} days: write `retention: profile(.., {prod}: {PRODUCTION_BACKUP_DAYS}d)`",
                    days.lit, block.name, days.value
                ),
            );
        }
    }
}

/// `backup-copy-region`: `copy_to:` gives every platform region one other
/// platform region to copy its recovery points to, so a region's loss
/// leaves them in another. Its vault is the bootstrap's there, which exists
/// only where the platform is bootstrapped, in its own regions.
fn check_copy_regions(model: &Model, cx: &Ctxt, block: &BackupBlock) {
    let Some(copy_to) = &block.copy_to else {
        return;
    };
    let declared = model.declared_regions();
    let list = || {
        declared
            .iter()
            .map(|r| format!("`{r}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (from, to) in &copy_to.values {
        for region in [from, to] {
            if !declared.contains(&region.to_string()) {
                cx.error(
                    Rule::BackupCopyRegion,
                    region,
                    format!(
                        "`{region}` is not one of the platform's regions ({}); copies go to the bootstrap vault of a platform region",
                        list()
                    ),
                );
            }
        }
        if from == to {
            cx.error(
                Rule::BackupCopyRegion,
                to,
                format!(
                    "`{from}: {to}` copies {from}'s recovery points into the region they are in; name another of the platform's regions ({}), so a region's loss leaves a copy",
                    list()
                ),
            );
        }
    }
    for region in &declared {
        if !copy_to.values.iter().any(|(from, _)| from == region) {
            cx.error(
                Rule::BackupCopyRegion,
                &copy_to.keyword,
                format!(
                    "`copy_to:` names no region for `{region}`; give every platform region another to copy to: `copy_to: region(.., {region}: ..)`"
                ),
            );
        }
    }
    let seen: Vec<&Ident> = copy_to.values.iter().map(|(from, _)| from).collect();
    for (first, second) in super::duplicates(seen) {
        super::report_duplicate(
            cx,
            first,
            second,
            format!("`{second}` is given twice in `copy_to:`"),
        );
    }
}

/// `backup-schedule`: the schedule is a six-field `cron(..)` (AWS Backup
/// takes no `rate(..)`), at most hourly: the minutes field is one number.
fn check_schedule(cx: &Ctxt, block: &BackupBlock) {
    let Some(schedule) = &block.schedule else {
        return;
    };
    if let Err(problem) = backup_schedule_problem(&schedule.value()) {
        cx.error(
            Rule::BackupSchedule,
            schedule,
            format!(
                "`schedule: {:?}` is not a schedule AWS Backup takes: {problem}",
                schedule.value()
            ),
        );
    }
}

pub(crate) fn backup_schedule_problem(text: &str) -> Result<(), String> {
    if text.starts_with("rate(") {
        return Err(
            "AWS Backup takes cron expressions only; write `cron(0 3 * * ? *)` for every day at 03:00 UTC"
                .to_owned(),
        );
    }
    super::values::schedule_problem(text)?;
    let minutes = text
        .trim_start_matches("cron(")
        .split_whitespace()
        .next()
        .unwrap_or_default();
    match minutes.parse::<u32>() {
        Ok(m) if m < 60 => Ok(()),
        _ => Err(format!(
            "the minutes field `{minutes}` is not one minute from 0 to 59; AWS Backup runs a rule at most once an hour"
        )),
    }
}

/// `name-charset`: a backup's name is a purpose name, as a resource's;
/// `name-length`: the plan's name, `backup-{name}-{region}-{suffix}` with
/// the longest region and suffix, fits AWS Backup's 50 characters.
fn check_plan_name(model: &Model, cx: &Ctxt, block: &BackupBlock) {
    if let Err(problem) = naming::check_purpose(&block.name.to_string()) {
        cx.error(
            Rule::NameCharset,
            &block.name,
            format!("backup name `{}`: {problem}", block.name),
        );
    }
    let Some(platform) = model.platform() else {
        return;
    };
    let longest_region = platform
        .regions
        .iter()
        .flatten()
        .filter_map(|r| naming::region_code(&r.to_string()))
        .map(str::len)
        .max()
        .unwrap_or_default();
    let suffix = platform.suffix.as_ref().map_or(0, |s| s.value);
    let len = naming::physical_name(
        "backup",
        &block.name.to_string(),
        &"r".repeat(longest_region),
        &"s".repeat(suffix),
    )
    .len();
    if len > PLAN_NAME_MAX {
        cx.error(
            Rule::NameLength,
            &block.name,
            format!(
                "backup `{}`'s plan name would be {len} characters with the longest region and a {suffix}-character suffix; AWS Backup allows {PLAN_NAME_MAX}: shorten the name by {}",
                block.name,
                len - PLAN_NAME_MAX
            ),
        );
    }
}

/// `backup-key`: `key: bootstrap` (the data key `tp bootstrap` owns, which
/// outlives environments) is written only on tables and aurora clusters,
/// and no declaration takes the name `bootstrap`. What a backup selects is
/// encrypted with it: a snapshot is encrypted with its source's key, and a
/// key the environment's stack owns is deleted with it, leaving the
/// snapshot unrestorable. A cluster with it names its `log_key:`:
/// CloudWatch Logs cannot use the bootstrap's key.
fn check_bootstrap_key(model: &Model, cx: &Ctxt) {
    let backed_up: Vec<&Ident> = model
        .backup_blocks
        .iter()
        .flat_map(|b| b.resources())
        .collect();
    for resource in &model.resources {
        if resource.name == BOOTSTRAP_KEY {
            cx.error(
                Rule::BackupKey,
                &resource.name,
                format!(
                    "`{BOOTSTRAP_KEY}` names the key `tp bootstrap` owns (`key: {BOOTSTRAP_KEY}`); give this {} another name",
                    resource.info.keyword
                ),
            );
        }
        let key = resource.body.key();
        let bootstrap = key.filter(|k| *k == BOOTSTRAP_KEY);
        match (&resource.body, bootstrap) {
            (Body::Table(_) | Body::Aurora(_), _) => {}
            (_, Some(key)) => {
                cx.error(
                    Rule::BackupKey,
                    key,
                    format!(
                        "`key: {BOOTSTRAP_KEY}` is for tables and aurora clusters, whose backups must outlive the environment; give {} `{}` one of the declared keys",
                        resource.info.keyword, resource.name
                    ),
                );
                continue;
            }
            (_, None) => continue,
        }
        let selected = backed_up.contains(&&resource.name);
        if bootstrap.is_none() && selected {
            let at: &dyn quote::ToTokens = match key {
                Some(key) => key,
                None => &resource.name,
            };
            cx.error(
                Rule::BackupKey,
                at,
                format!(
                    "{} `{}` is encrypted with a key its environment's stack deletes, yet a backup selects it: its recovery points would be unrestorable after `tp destroy`; write `key: {BOOTSTRAP_KEY}`",
                    resource.info.keyword, resource.name
                ),
            );
        }
        if let (Body::Aurora(aurora), Some(key)) = (&resource.body, bootstrap)
            && aurora.log_key.is_none()
        {
            cx.error(
                Rule::BackupKey,
                key,
                format!(
                    "aurora `{}` with `key: {BOOTSTRAP_KEY}` needs `log_key:`: CloudWatch Logs cannot use the bootstrap's key for the database's logs; name a declared key",
                    resource.name
                ),
            );
        }
    }
}
