//! Releases: what a deploy built, kept so that another environment can run
//! exactly the same thing later (`tp promote`).
//!
//! After each successful `tp deploy`, the templates of every environment
//! the platform promotes through (the pipeline's stages, or every profile
//! with the suffix named after it) are synthesized from the same
//! definition, uploaded by content hash into each region's asset bucket
//! (`templates/<sha256>.json`, beside the code assets), and described by a
//! release record `releases/<id>.json`, where the id is the record's own
//! SHA-256. `releases/current/<suffix>.json` names the release an
//! environment runs. `tp promote --from staging --to prod` deploys the
//! `prod` templates of the release `staging` runs: no new synth, every
//! object checked against its recorded hash first.

use aws_sdk_s3::primitives::ByteStream;
use futures_util::future::join_all;
use platform_core::naming::Suffix;
use platform_core::spec::{PipelineStage, Platform};
use platform_core::synth::{
    self, AfterDeploy, Assembly, Deployment, GuardAlarm, Import, NestedStack, Stack, ZoneLookup,
    sha256_hex,
};
use platform_core::template::Template;
use serde_json::{Value, json};

use crate::aws::{Connection, Session};
use crate::commands::{self, DeployOptions, deploy};
use crate::exit::{self, Exit};
use crate::stacks;

/// The account the environment `suffix` runs in: its profile's, for a
/// suffix named after a profile (as the pipeline's stages are); `None`,
/// the caller's, otherwise or when the platform names no accounts.
pub fn account_of(platform: &Platform, suffix: &str) -> Option<String> {
    platform
        .profiles
        .iter()
        .find(|p| *p == suffix)
        .and_then(|p| platform.account(p))
}

/// The environments a release holds templates for: `(suffix, profile)`.
pub fn environments(platform: &Platform) -> Vec<(String, String)> {
    let profiles: Vec<String> = match &platform.pipeline {
        Some(pipeline) => pipeline
            .stages
            .iter()
            .filter_map(|s| match s {
                PipelineStage::Deploy { profile } => Some(profile.clone()),
                PipelineStage::Approve => None,
            })
            .collect(),
        None => platform.profiles.clone(),
    };
    profiles
        .into_iter()
        .filter(|p| Suffix::new(p, platform.suffix_max).is_ok())
        .map(|p| (p.clone(), p))
        .collect()
}

fn template_key(sha256: &str) -> String {
    format!("templates/{sha256}.json")
}

fn current_key(suffix: &str) -> String {
    format!("releases/current/{suffix}.json")
}

/// One stack of one environment, as a release records it.
fn stack_record(stack: &Stack, assembly: &Assembly) -> Value {
    let mut record = json!({
        "name": stack.name,
        "template": sha256_hex(stack.body.as_bytes()),
        "nested": stack.nested.iter().map(|n| json!({
            "logical_id": n.logical_id,
            "template": n.sha256,
            "outputs": n.outputs,
        })).collect::<Vec<_>>(),
        "assets": assembly
            .assets
            .iter()
            .filter(|a| stack.assets.contains(&a.id))
            .map(|a| a.s3_key())
            .collect::<Vec<_>>(),
    });
    if let (Value::Object(record), Value::Object(metadata)) = (&mut record, stack.deploy_metadata())
    {
        record.extend(metadata);
    }
    record
}

/// Records the release `deployed` is now running: synthesizes every
/// environment, uploads what is missing and points
/// `releases/current/<suffix>.json` at the record, in each region.
pub async fn record(
    platform: &Platform,
    deployed: &Deployment,
    connection: &Connection,
) -> anyhow::Result<String> {
    let mut assemblies: Vec<(String, String, Assembly)> = Vec::new();
    for (suffix, profile) in environments(platform) {
        let deployment = Deployment::new(platform, &suffix, Some(&profile), &deployed.regions)?;
        assemblies.push((suffix, profile, synth::synth(platform, &deployment)?));
    }
    let mut id = String::new();
    for region in &deployed.regions {
        let s = Session::new(region, connection).await?;
        let bucket = stacks::asset_bucket(&s).await?;
        let mut environments = serde_json::Map::new();
        for (suffix, profile, assembly) in &assemblies {
            let Some(stack) = assembly.stacks.iter().find(|st| &st.region == region) else {
                continue;
            };
            stacks::upload(
                &s,
                &bucket,
                &template_key(&sha256_hex(stack.body.as_bytes())),
                stack.body.as_bytes(),
            )
            .await?;
            for nested in &stack.nested {
                stacks::upload(&s, &bucket, &nested.s3_key(), nested.body.as_bytes()).await?;
            }
            for asset in assembly
                .assets
                .iter()
                .filter(|a| stack.assets.contains(&a.id))
            {
                stacks::upload(&s, &bucket, &asset.s3_key(), &asset.zip()?).await?;
            }
            environments.insert(
                suffix.clone(),
                json!({ "profile": profile, "stack": stack_record(stack, assembly) }),
            );
        }
        let record = json!({
            "platform": platform.name,
            "region": region,
            "environments": environments,
        });
        let body = serde_json::to_vec_pretty(&record)?;
        id = sha256_hex(&body);
        stacks::upload(&s, &bucket, &format!("releases/{id}.json"), &body).await?;
        put(
            &s,
            &bucket,
            &current_key(deployed.suffix.as_str()),
            json!({ "release": id }),
        )
        .await?;
    }
    Ok(id)
}

/// `tp deploy`: synthesizes `platform` for `deployment` and deploys it.
/// The whole deploy engine, for `tp` and for programs (the end-to-end
/// tests deploy generated platforms through it).
pub async fn deploy_platform(
    platform: &Platform,
    deployment: &Deployment,
    connection: &Connection,
    opts: &DeployOptions,
) -> anyhow::Result<u8> {
    let assembly = platform_core::synth::synth(platform, deployment)?;
    let code = deploy(&assembly, connection, opts).await?;
    if code == exit::OK && !opts.no_execute {
        let id = crate::release::record(platform, deployment, connection).await?;
        println!(
            "release {id} recorded: `tp promote --from {}` deploys the same templates elsewhere",
            deployment.suffix
        );
    }
    Ok(code)
}

async fn put(s: &Session, bucket: &str, key: &str, value: Value) -> anyhow::Result<()> {
    s.s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(serde_json::to_vec_pretty(&value)?))
        .send()
        .await
        .map_err(|e| s.error(&format!("write s3://{bucket}/{key}"), e))?;
    Ok(())
}

/// The object at `key`, or `None` when there is none.
async fn get(s: &Session, bucket: &str, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
    match s.s3.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => Ok(Some(
            out.body
                .collect()
                .await
                .map_err(|e| anyhow::anyhow!("read s3://{bucket}/{key}: {e}"))?
                .into_bytes()
                .to_vec(),
        )),
        Err(e) if e.as_service_error().is_some_and(|se| se.is_no_such_key()) => Ok(None),
        Err(e) => Err(s.error(&format!("read s3://{bucket}/{key}"), e)),
    }
}

/// The template with `sha256`, checked against it.
async fn template(s: &Session, bucket: &str, sha256: &str) -> anyhow::Result<String> {
    let key = template_key(sha256);
    let bytes = get(s, bucket, &key).await?.ok_or_else(|| {
        Exit::new(
            exit::REFUSED,
            format!("s3://{bucket}/{key}, which the release names, is gone; deploy the source environment again to record a new release"),
        )
    })?;
    if sha256_hex(&bytes) != sha256 {
        return Err(Exit::new(
            exit::REFUSED,
            format!("s3://{bucket}/{key} does not match the hash the release recorded; refusing to deploy it"),
        )
        .into());
    }
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("s3://{bucket}/{key} is not UTF-8"))
}

/// A release record outlives the environment it was recorded for (`tp
/// destroy` leaves it): promoting is refused unless the source's stack in
/// the region is there, its last operation completed, and it runs the
/// template the release recorded for it.
async fn source_runs_release(
    s: &Session,
    platform: &Platform,
    from: &str,
    id: &str,
    record: &Value,
    bucket: &str,
) -> anyhow::Result<()> {
    let suffix = Suffix::new(from, platform.suffix_max).map_err(|e| {
        Exit::new(
            exit::INVALID_INPUT,
            format!("invalid --from: {e} [name-suffix]"),
        )
    })?;
    let name = platform_core::synth::stack_name(platform, &s.region, &suffix);
    let refuse = |why: String| -> anyhow::Error {
        Exit::new(
            exit::REFUSED,
            format!(
                "refusing to promote release {id} of `{from}`: {why}; deploy `{from}` (`tp deploy --suffix {from}`) and promote again"
            ),
        )
        .into()
    };
    let Some(stack) = stacks::find(s, &name).await? else {
        return Err(refuse(format!(
            "{name} is not deployed in {} (destroyed?), so `{from}` does not run it",
            s.region
        )));
    };
    let state = stacks::status(&stack);
    if !stacks::complete(state) {
        return Err(refuse(format!(
            "{name} in {} is in {state}, not a completed deploy",
            s.region
        )));
    }
    if let Some(recorded) = record["environments"][from]["stack"]["template"].as_str() {
        let released: Value = serde_json::from_str(&template(s, bucket, recorded).await?)?;
        if stacks::deployed_template(s, &name).await? != released {
            return Err(refuse(format!(
                "{name} in {} runs another template than the release recorded for it (deployed since by other means)",
                s.region
            )));
        }
    }
    Ok(())
}

/// The stack of environment `to` in the release `from` runs in region `s`.
async fn released_stack(
    s: &Session,
    platform: &Platform,
    from: &str,
    to: &str,
) -> anyhow::Result<(String, String, Stack, Vec<String>)> {
    let bucket = stacks::asset_bucket(s).await?;
    let not_released = || {
        Exit::new(
            exit::INVALID_INPUT,
            format!(
                "`{from}` has no release recorded in {}; deploy it with `tp deploy --suffix {from}` first",
                s.region
            ),
        )
    };
    let current = get(s, &bucket, &current_key(from))
        .await?
        .ok_or_else(not_released)?;
    let current: Value = serde_json::from_slice(&current)?;
    let id = current["release"]
        .as_str()
        .ok_or_else(not_released)?
        .to_owned();
    let record = get(s, &bucket, &format!("releases/{id}.json"))
        .await?
        .ok_or_else(not_released)?;
    if sha256_hex(&record) != id {
        return Err(Exit::new(
            exit::REFUSED,
            format!("release record {id} in s3://{bucket} does not match its hash; refusing to deploy it"),
        )
        .into());
    }
    let record: Value = serde_json::from_slice(&record)?;
    source_runs_release(s, platform, from, &id, &record, &bucket).await?;
    let environment = &record["environments"][to];
    let Some(profile) = environment["profile"].as_str() else {
        let known: Vec<&str> = record["environments"]
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        return Err(Exit::new(
            exit::INVALID_INPUT,
            format!(
                "release {id} holds no templates for `{to}`; it has {}",
                known.join(", ")
            ),
        )
        .into());
    };
    let recorded = &environment["stack"];
    let body = template(
        s,
        &bucket,
        recorded["template"].as_str().unwrap_or_default(),
    )
    .await?;
    let mut nested = Vec::new();
    for n in recorded["nested"].as_array().into_iter().flatten() {
        let sha256 = n["template"].as_str().unwrap_or_default().to_owned();
        nested.push(NestedStack {
            logical_id: n["logical_id"].as_str().unwrap_or_default().to_owned(),
            template: Template::default(),
            body: template(s, &bucket, &sha256).await?,
            sha256,
            outputs: strings(&n["outputs"]),
        });
    }
    let assets = strings(&recorded["assets"]);
    for key in &assets {
        if !stacks::exists(s, &bucket, key).await? {
            return Err(Exit::new(
                exit::REFUSED,
                format!("s3://{bucket}/{key}, which the release names, is gone; deploy `{from}` again to record a new release"),
            )
            .into());
        }
    }
    let (guard_alarms, rollback_window_minutes, after_deploy) = deploy_metadata(recorded);
    let stack = Stack {
        name: recorded["name"].as_str().unwrap_or_default().to_owned(),
        region: s.region.clone(),
        // The deploy engine works from the body; the typed template is
        // what a synth builds, and there is none here.
        template: Template::default(),
        body,
        assets: Vec::new(),
        nested,
        guard_alarms,
        rollback_window_minutes,
        after_deploy,
        imports: imports(recorded),
        zone_lookups: zone_lookups(recorded),
    };
    Ok((id, profile.to_owned(), stack, assets))
}

/// What a deploy needs of a stack beside its templates, as a release and a
/// synth's `manifest.json` both record it: the guard alarms (rollback
/// triggers), their window, and the `run: after_deploy` functions.
pub(crate) fn deploy_metadata(recorded: &Value) -> (Vec<GuardAlarm>, u32, Vec<AfterDeploy>) {
    let guard_alarms = recorded["guard_alarms"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| GuardAlarm {
            logical_id: g["logical_id"].as_str().unwrap_or_default().to_owned(),
            name: g["name"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    let window = recorded["rollback_window_minutes"].as_u64().unwrap_or(0) as u32;
    // A release recorded before after-deploy functions existed has none.
    let after_deploy = recorded["after_deploy"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| AfterDeploy {
            declared: a["declared"].as_str().unwrap_or_default().to_owned(),
            function_name: a["function_name"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    (guard_alarms, window, after_deploy)
}

/// The imports (parameters filled from the global stack) a manifest or
/// release records for a stack; none before imports existed.
pub(crate) fn imports(recorded: &Value) -> Vec<Import> {
    recorded["imports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            let field = |k: &str| i[k].as_str().unwrap_or_default().to_owned();
            Import {
                parameter: field("parameter"),
                stack: field("stack"),
                region: field("region"),
                output: field("output"),
            }
        })
        .collect()
}

/// The hosted-zone lookups a manifest or release records for a stack.
pub(crate) fn zone_lookups(recorded: &Value) -> Vec<ZoneLookup> {
    recorded["zone_lookups"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|z| ZoneLookup {
            parameter: z["parameter"].as_str().unwrap_or_default().to_owned(),
            domain: z["domain"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

pub(crate) fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// `tp promote`: deploys, in each region, the `to` templates of the release
/// `from` runs, then records that `to` runs it.
pub async fn promote(
    platform: &Platform,
    from: &str,
    to: &str,
    regions: &[String],
    from_connection: &Connection,
    to_connection: &Connection,
    opts: &DeployOptions,
) -> anyhow::Result<u8> {
    let open = |connection: &Connection| {
        let connection = connection.clone();
        async move {
            join_all(regions.iter().map(|r| Session::new(r, &connection)))
                .await
                .into_iter()
                .collect::<anyhow::Result<Vec<Session>>>()
        }
    };
    let sessions = open(from_connection).await?;
    let targets = open(to_connection).await?;
    let mut stacks_to_deploy = Vec::new();
    let mut release = None;
    let mut profile = String::new();
    for (s, t) in sessions.iter().zip(&targets) {
        let (id, p, stack, assets) = released_stack(s, platform, from, to).await?;
        // Another account: the release and the code it names are copied
        // into the target account's asset bucket, which its stacks read.
        let (source, target) = (
            stacks::asset_bucket(s).await?,
            stacks::asset_bucket(t).await?,
        );
        if source != target {
            for key in assets
                .iter()
                .chain(std::iter::once(&format!("releases/{id}.json")))
            {
                let bytes = get(s, &source, key).await?.ok_or_else(|| {
                    Exit::new(
                        exit::REFUSED,
                        format!("s3://{source}/{key}, which the release names, is gone; deploy `{from}` again to record a new release"),
                    )
                })?;
                stacks::upload(t, &target, key, &bytes).await?;
            }
        }
        println!(
            "{} ({}): release {id} of `{from}`, templates for `{to}`",
            stack.name, s.region
        );
        if release.as_ref().is_some_and(|r| r != &id) {
            println!(
                "note: {} runs another release of `{from}` than the first region",
                s.region
            );
        }
        release.get_or_insert(id);
        profile = p;
        stacks_to_deploy.push(stack);
    }
    let suffix = Suffix::new(to, platform.suffix_max).map_err(|e| {
        Exit::new(
            exit::INVALID_INPUT,
            format!("invalid --to: {e} [name-suffix]"),
        )
    })?;
    let assembly = Assembly {
        platform: platform.name.clone(),
        deployment: Deployment {
            suffix,
            profile,
            regions: regions.to_vec(),
        },
        stacks: stacks_to_deploy,
        assets: Vec::new(),
    };
    let code = commands::deploy(&assembly, to_connection, opts).await?;
    if code == exit::OK && !opts.no_execute {
        for (s, t) in sessions.iter().zip(&targets) {
            let bucket = stacks::asset_bucket(s).await?;
            let current = get(s, &bucket, &current_key(from))
                .await?
                .unwrap_or_default();
            put(
                t,
                &stacks::asset_bucket(t).await?,
                &current_key(to),
                serde_json::from_slice(&current)?,
            )
            .await?;
        }
        println!("`{to}` now runs the release `{from}` runs");
    }
    Ok(code)
}
