//! Pipeline rules: one pipeline, in a declared region, promoting through
//! declared profiles with a manual approval right before production, and
//! names that fit once its suffix is added.

use platform_core::catalog::{LOG_RETENTION_DAYS, ROLE_NAME_LIMIT, ROLE_SHORT_TYPE};
use platform_core::naming;
use syn::Ident;

use crate::ast::{APPROVE, PipelineBlock};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;
use crate::suggest;

pub fn check(model: &Model, cx: &Ctxt) {
    for extra in model.pipeline_blocks.iter().skip(1) {
        cx.error(
            Rule::PipelineStage,
            &extra.keyword,
            "a platform has one promotion pipeline; put every stage in the first `pipeline` block",
        );
    }
    let Some(block) = model.pipeline() else {
        return;
    };
    check_required(cx, block);
    check_region(model, cx, block);
    check_stages(model, cx, block);
    check_names(model, cx, block);
    if let Some(days) = &block.logs
        && !LOG_RETENTION_DAYS.contains(&days.value)
    {
        cx.error(
            Rule::ValueRange,
            &days.lit,
            format!(
                "`logs: {}d` is not a retention CloudWatch Logs accepts; it accepts {} days",
                days.value,
                LOG_RETENTION_DAYS
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
}

fn check_required(cx: &Ctxt, block: &PipelineBlock) {
    let missing: Vec<&str> = [
        ("region: us_east_1", block.region.is_none()),
        (
            "source: repository \"OWNER/REPO\" branch \"main\"",
            block.source.is_none(),
        ),
        ("stages: [dev, approve, prod]", block.stages.is_none()),
    ]
    .into_iter()
    .filter_map(|(field, missing)| missing.then_some(field))
    .collect();
    for field in missing {
        cx.error(
            Rule::GrammarRequired,
            &block.name,
            format!("pipeline `{}` needs `{field}`", block.name),
        );
    }
}

/// `name-region`: the pipeline runs in a declared region.
fn check_region(model: &Model, cx: &Ctxt, block: &PipelineBlock) {
    let Some(region) = &block.region else {
        return;
    };
    let declared = model.declared_regions();
    let text = region.to_string();
    if declared.contains(&text) {
        return;
    }
    let names: Vec<&str> = declared.iter().map(String::as_str).collect();
    let hint = suggest::hint(&text, &names, "declared regions are");
    cx.error(
        Rule::NameRegion,
        region,
        format!(
            "pipeline `{}` runs in `{text}`, which the platform does not declare{hint}",
            block.name
        ),
    );
}

/// `pipeline-stage` and `pipeline-approval`.
pub(crate) fn check_stages(model: &Model, cx: &Ctxt, block: &PipelineBlock) {
    let Some(stages) = &block.stages else {
        return;
    };
    let profiles = model.profiles();
    let names: Vec<&str> = profiles.iter().map(String::as_str).collect();
    let suffix_max = model
        .platform()
        .and_then(|p| p.suffix.as_ref())
        .map(|s| s.value);
    let mut seen: Vec<&Ident> = Vec::new();
    for stage in &stages.items {
        let text = stage.to_string();
        if text == APPROVE {
            continue;
        }
        if !names.contains(&text.as_str()) {
            let mut candidates = names.clone();
            candidates.push(APPROVE);
            let hint = suggest::hint(&text, &candidates, "stages are the declared profiles");
            cx.error(
                Rule::PipelineStage,
                stage,
                format!(
                    "unknown stage `{text}`: a stage deploys a declared profile, or is `{APPROVE}`{hint}"
                ),
            );
            continue;
        }
        if let Some(first) = seen.iter().find(|s| **s == stage) {
            cx.error(
                Rule::PipelineStage,
                stage,
                format!("profile `{text}` is deployed twice, first at `{first}`; promote each profile once"),
            );
            continue;
        }
        seen.push(stage);
        // The stage deploys with `--suffix <profile>`.
        if let Some(max) = suffix_max
            && let Err(error) = naming::Suffix::new(&text, max)
        {
            cx.error(
                Rule::PipelineStage,
                stage,
                format!(
                    "stage `{text}` deploys with `--suffix {text}`, which is not a valid suffix: {error}; rename the profile"
                ),
            );
        }
    }
    check_approval(cx, block, &stages.items, stages.span());
}

/// `pipeline-approval`: production (the last stage) is deployed only right
/// after a manual approval, and something is deployed and verified before
/// anyone is asked to approve.
fn check_approval(cx: &Ctxt, block: &PipelineBlock, stages: &[Ident], span: proc_macro2::Span) {
    let is_approve = |s: &Ident| s == APPROVE;
    let Some(last) = stages.last() else {
        cx.error_at(
            Rule::PipelineApproval,
            span,
            format!(
                "pipeline `{}` has no stages; write `[dev, approve, prod]`",
                block.name
            ),
        );
        return;
    };
    if is_approve(last) {
        cx.error(
            Rule::PipelineApproval,
            last,
            "the last stage is production and must deploy a profile; an approval at the end approves nothing",
        );
        return;
    }
    let before = stages.len().checked_sub(2).map(|i| &stages[i]);
    if !before.is_some_and(is_approve) {
        cx.error(
            Rule::PipelineApproval,
            last,
            format!(
                "stage `{last}` is production (the last stage) and must come right after a manual approval; write `..., {APPROVE}, {last}]`"
            ),
        );
    }
    for (index, stage) in stages.iter().enumerate() {
        if !is_approve(stage) {
            continue;
        }
        if index == 0 || is_approve(&stages[index - 1]) {
            cx.error(
                Rule::PipelineApproval,
                stage,
                "an approval follows a deployed and verified stage, so that there is something to approve",
            );
        }
    }
}

/// `name-charset` and `name-length`: the pipeline's name becomes part of
/// its roles', buckets' and projects' physical names.
fn check_names(model: &Model, cx: &Ctxt, block: &PipelineBlock) {
    let text = block.name.to_string();
    if let Err(error) = naming::check_purpose(&text) {
        cx.error(
            Rule::NameCharset,
            &block.name,
            format!("pipeline name `{text}` is not valid: {error}"),
        );
        return;
    }
    let Some(suffix) = model.platform().and_then(|p| p.suffix.as_ref()) else {
        return;
    };
    let Some(region) = block
        .region
        .as_ref()
        .and_then(|r| naming::region_code(&r.to_string()))
    else {
        return;
    };
    let suffix = "x".repeat(suffix.value);
    for (short_type, purpose, limit, what) in [
        (
            ROLE_SHORT_TYPE,
            format!("{text}_execution"),
            ROLE_NAME_LIMIT.max_len,
            "IAM role name",
        ),
        ("s3", format!("{text}_artifacts"), 63, "S3 bucket name"),
    ] {
        let name = naming::physical_name(short_type, &purpose, region, &suffix);
        if name.len() > limit {
            cx.error(
                Rule::NameLength,
                &block.name,
                format!(
                    "pipeline name `{text}` is too long: its {what} `{name}` has {} characters with `suffix: max {}`, over the {limit} AWS allows; shorten the name by {}",
                    name.len(),
                    suffix.len(),
                    name.len() - limit
                ),
            );
            return;
        }
    }
}
