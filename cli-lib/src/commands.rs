//! The commands that talk to AWS: `bootstrap`, `deploy`, `diff`, `destroy`,
//! `status`, `drift`. Regions are worked on in parallel; anything that asks
//! the user or prints a change set's rendering runs one region at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use futures_util::future::join_all;
use platform_core::spec::Platform;
use platform_core::synth::{ASSET_BUCKET_SSM_NAME, Assembly, Asset, GuardAlarm, NestedStack};
use serde_json::{Value, json};

use crate::aws::{Backoff, Connection, Session};
use crate::diff::{self, ResourceChange};
use crate::exit::{self, Exit};
use crate::stacks::{self, TemplateSource};
use crate::{changeset, guards, progress, review, waves};

/// When `tp deploy` asks before executing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Approval {
    /// Never ask.
    Never,
    /// Ask when IAM or security-group permissions widen.
    Broadening,
    /// Ask before any change.
    AnyChange,
}

pub struct DeployOptions {
    pub approval: Approval,
    pub allow_replace: Vec<String>,
    pub no_execute: bool,
    pub outputs_file: PathBuf,
    /// The command that resumes this deploy, printed on Ctrl-C.
    pub resume: String,
    /// The role CloudFormation changes the stacks with (`--role-arn`);
    /// the caller's credentials when absent.
    pub role_arn: Option<String>,
    /// Whether the deploy ends by invoking the `run: after_deploy`
    /// functions (`tp deploy`, `tp promote`). `tp local` deploys into an
    /// emulator that cannot run them and invokes them itself once its
    /// functions run.
    pub run_after_deploy: bool,
}

/// One stack to bring to a template.
struct Target<'a> {
    session: Session,
    name: String,
    body: String,
    template: Value,
    assets: Vec<&'a Asset>,
    /// The nested stacks the template was split into, whose templates the
    /// parent's `TemplateURL`s name in the asset bucket.
    nested: &'a [NestedStack],
    /// Whether the template takes the bootstrap bucket (all but bootstrap).
    needs_bucket: bool,
    /// Alarms whose firing rolls a deploy back, and for how long after it.
    guard_alarms: Vec<GuardAlarm>,
    rollback_window_minutes: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Deploy,
    Diff,
}

/// What a stack's deploy would do.
struct Prepared {
    name: String,
    region: String,
    creating: bool,
    old: Value,
    change_set: Option<String>,
    /// `None`: nothing changes.
    changes: Option<Vec<ResourceChange>>,
    notes: Vec<String>,
    /// The values `tp` gave the parameters it fills ([`waves`]).
    parameters: BTreeMap<String, String>,
}

async fn sessions(regions: &[String], connection: &Connection) -> anyhow::Result<Vec<Session>> {
    join_all(regions.iter().map(|r| Session::new(r, connection)))
        .await
        .into_iter()
        .collect()
}

fn targets<'a>(assembly: &'a Assembly, sessions: Vec<Session>) -> Vec<Target<'a>> {
    assembly
        .stacks
        .iter()
        .zip(sessions)
        .map(|(stack, session)| Target {
            session,
            name: stack.name.clone(),
            body: stack.body.clone(),
            template: serde_json::from_str(&stack.body).unwrap_or(Value::Null),
            assets: assembly
                .assets
                .iter()
                .filter(|a| stack.assets.contains(&a.id))
                .collect(),
            nested: &stack.nested,
            needs_bucket: true,
            guard_alarms: stack.guard_alarms.clone(),
            rollback_window_minutes: stack.rollback_window_minutes,
        })
        .collect()
}

/// Brings what is deployed and what is wanted side by side: attaches to an
/// operation in progress, recreates a stack that holds no resources
/// (ROLLBACK_COMPLETE, REVIEW_IN_PROGRESS; deploy only), compares templates, and otherwise uploads what the change
/// set needs and creates it.
async fn prepare(
    t: &Target<'_>,
    params: &waves::Params,
    mode: Mode,
    resume: &str,
    role_arn: Option<&str>,
) -> anyhow::Result<Prepared> {
    let s = &t.session;
    let name = &t.name;
    let mut notes = Vec::new();
    let mut existing = stacks::find(s, name).await?;
    if let Some(st) = existing
        .as_ref()
        .filter(|st| stacks::in_progress(stacks::status(st)))
    {
        let state = stacks::status(st).to_owned();
        if mode == Mode::Diff {
            anyhow::bail!(
                "{name} in {} has an operation in progress ({state}); wait for it to end (`tp status`) and diff again",
                s.region
            );
        }
        println!(
            "{name} ({}): an operation is already in progress ({state}); watching it until it ends",
            s.region
        );
        let seen = stacks::current_events(s, name).await?;
        let ended = stacks::watch(s, name, seen, 0, resume).await?;
        println!("{name} ({}): {}", s.region, ended.status);
        existing = stacks::find(s, name).await?;
    }
    if let Some(state) = existing
        .as_ref()
        .map(stacks::status)
        .filter(|state| stacks::holds_no_resources(state))
        .map(str::to_owned)
    {
        let why = stacks::why_empty(&state);
        if mode == Mode::Diff {
            notes.push(format!(
                "{name} is in {state} ({why}); deploy deletes it and creates it again"
            ));
        } else {
            println!(
                "{name} ({}): in {state} ({why}); deleting it and creating it again",
                s.region
            );
            let seen = stacks::current_events(s, name).await?;
            stacks::delete_stack(s, name).await?;
            let ended = stacks::watch(s, name, seen, 0, resume).await?;
            if ended.status != "DELETE_COMPLETE" {
                return Err(Exit::new(
                    exit::DEPLOY_FAILED,
                    format!(
                        "could not delete {name} from {state}: {} {}",
                        ended.status,
                        ended.failures.join("; ")
                    ),
                )
                .into());
            }
        }
        existing = None;
    }
    // In a diff, a stack holding no resources compares as absent.
    let creating = existing
        .as_ref()
        .is_none_or(|st| stacks::holds_no_resources(stacks::status(st)));
    let old = if creating {
        Value::Null
    } else {
        stacks::deployed_template(s, name).await?
    };
    let values = waves::known(params);
    let pending = waves::pending(params);
    if mode == Mode::Deploy && !pending.is_empty() {
        anyhow::bail!(
            "{name}: parameters without a value reached the deploy: {}",
            pending
                .iter()
                .map(|(p, why)| format!("{p} ({why})"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for (parameter, why) in &pending {
        notes.push(format!("parameter {parameter} is not known yet: {why}"));
    }
    let deployed_parameters = existing
        .as_ref()
        .map(waves::deployed_parameters)
        .unwrap_or_default();
    let unchanged = |notes| Prepared {
        name: name.clone(),
        region: s.region.clone(),
        creating,
        old: old.clone(),
        change_set: None,
        changes: None,
        notes,
        parameters: values.clone(),
    };
    let same_parameters = pending.is_empty()
        && values
            .iter()
            .all(|(k, v)| deployed_parameters.get(k) == Some(v));
    if !creating && old == t.template && same_parameters {
        return Ok(unchanged(notes));
    }
    let predicted = diff::compare(&old, &t.template);
    // A diff keeps the deployed value of a parameter not known yet; one
    // the deployed stack does not have yet leaves no change set to make.
    let previous: Vec<String> = pending
        .iter()
        .filter(|(p, _)| deployed_parameters.contains_key(*p))
        .map(|(p, _)| (*p).to_owned())
        .collect();
    let without_change_set = previous.len() < pending.len();
    if mode == Mode::Diff && (creating || without_change_set) {
        // No change set for a stack that does not exist: the template
        // comparison says everything.
        if !creating {
            notes.push(
                "the changes shown compare the templates: a change set needs every parameter's value"
                    .to_owned(),
            );
        }
        return Ok(Prepared {
            changes: Some(predicted),
            ..unchanged(notes)
        });
    }
    let bucket = if t.needs_bucket {
        Some(stacks::asset_bucket(s).await?)
    } else {
        None
    };
    if mode == Mode::Deploy {
        if let Some(bucket) = &bucket {
            let mut uploaded = 0;
            for asset in &t.assets {
                if stacks::upload(s, bucket, &asset.s3_key(), &asset.zip()?).await? {
                    uploaded += 1;
                }
            }
            if !t.assets.is_empty() {
                println!(
                    "{name} ({}): {} assets, {uploaded} uploaded to s3://{bucket}/assets/",
                    s.region,
                    t.assets.len()
                );
            }
        }
    }
    if let Some(bucket) = &bucket {
        // The parent's change set names these; a diff uploads them too,
        // as it uploads a parent template too large to send inline.
        let mut uploaded = 0;
        for n in t.nested {
            if stacks::upload(s, bucket, &n.s3_key(), n.body.as_bytes()).await? {
                uploaded += 1;
            }
        }
        if !t.nested.is_empty() {
            println!(
                "{name} ({}): {} nested templates, {uploaded} uploaded to s3://{bucket}/templates/",
                s.region,
                t.nested.len()
            );
        }
    }
    let source = stacks::template_source(s, bucket.as_deref(), &t.body).await?;
    if let TemplateSource::Url(url) = &source {
        println!(
            "{name} ({}): template of {} bytes at {url}",
            s.region,
            t.body.len()
        );
    }
    let rollback = if creating {
        None
    } else {
        stacks::rollback_configuration(
            existing.as_ref(),
            &old,
            &t.guard_alarms,
            t.rollback_window_minutes,
        )
    };
    if let Some(rollback) = &rollback {
        println!(
            "{name} ({}): rolls back if {} fires within {} minutes",
            s.region,
            rollback
                .rollback_triggers()
                .iter()
                .filter_map(|t| t.arn().and_then(|a| a.rsplit(':').next()))
                .collect::<Vec<_>>()
                .join(", "),
            rollback.monitoring_time_in_minutes().unwrap_or(0)
        );
    }
    // Through an account's deploy role, CloudFormation works with that
    // account's execution role unless told otherwise.
    let role_arn = role_arn.or(s.execution_role.as_deref());
    let parameters = stacks::ChangeSetParameters {
        values: values.clone(),
        previous,
    };
    let id = stacks::create_change_set(s, name, creating, source, rollback, role_arn, &parameters)
        .await?;
    let Some(reported) = stacks::change_set_changes(s, name, &id).await? else {
        return Ok(unchanged(notes));
    };
    Ok(Prepared {
        change_set: Some(id),
        changes: Some(changeset::merge(reported, &predicted)),
        ..unchanged(notes)
    })
}

/// Prints the review of every prepared stack (the summary, then each
/// stack's changes and the access they widen, [`review`]), and returns
/// what each stack widens.
fn print_review(prepared: &[(Prepared, &Target<'_>)]) -> Vec<Vec<guards::Broadening>> {
    let widening: Vec<Vec<guards::Broadening>> = prepared
        .iter()
        .map(|(p, t)| match &p.changes {
            Some(_) => guards::broadening(&p.old, &t.template),
            None => Vec::new(),
        })
        .collect();
    let reviews: Vec<review::StackReview<'_>> = prepared
        .iter()
        .zip(&widening)
        .map(|((p, t), widening)| review::StackReview {
            name: &p.name,
            region: &p.region,
            notes: &p.notes,
            changes: p.changes.as_deref(),
            widening,
            old: &p.old,
            new: &t.template,
        })
        .collect();
    anstream::print!(
        "{}",
        review::render(&reviews, review::Palette::for_stdout())
    );
    widening
}

/// Records what a stack's deploy would do for `--json`.
fn record_prepared(p: &Prepared) {
    crate::report::changes(
        &p.name,
        &p.region,
        p.creating,
        p.changes.as_deref(),
        &p.notes,
    );
    if let Some(id) = &p.change_set {
        crate::report::record(&p.name, &p.region, |s| s.change_set = Some(id.clone()));
    }
}

/// Asks on standard error, which `tp -q` keeps.
fn ask(question: &str) -> bool {
    let _ = std::io::stdout().flush();
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim(), "y" | "Y" | "yes")
}

/// Deletes the change sets that will not be executed, and the empty stacks
/// (REVIEW_IN_PROGRESS) that creating them made.
async fn discard(prepared: &[(Prepared, &Target<'_>)]) {
    for (p, t) in prepared {
        if let Some(id) = &p.change_set {
            let _ = stacks::delete_change_set(&t.session, &p.name, id).await;
            if p.creating {
                let _ = stacks::delete_stack(&t.session, &p.name).await;
            }
        }
    }
}

/// Deploys every stack of `assembly` (see [`crate::release::deploy_platform`]),
/// in the waves of [`waves::plan`]: the stacks that import from others
/// after them. Every change set whose inputs are known is prepared and reviewed
/// before any executes; a wave whose imports wait on a change not executed
/// yet is prepared and reviewed once the waves before it are complete.
pub async fn deploy(
    assembly: &Assembly,
    connection: &Connection,
    opts: &DeployOptions,
) -> anyhow::Result<u8> {
    let sessions = sessions(&assembly.deployment.regions, connection).await?;
    let targets = targets(assembly, sessions);
    let plan = waves::plan(&assembly.stacks)?;
    let inputs = read_inputs(assembly, &targets, connection).await?;
    inputs.require_outside(&assembly.stacks)?;
    print_plan(&plan, &targets);
    // What the outputs were, so only those the deploy creates or changes
    // are printed.
    let outputs_before = collect_outputs(&targets).await?;
    let allowed: BTreeSet<String> = opts.allow_replace.iter().cloned().collect();
    let mut reviewed: Vec<(Prepared, &Target<'_>)> = Vec::new();
    let mut failures = Vec::new();
    let mut next = 0;
    'groups: while next < plan.len() {
        // Prepare the next wave, and the waves after it whose inputs are
        // known, to review them together.
        let mut group: Vec<(Prepared, &Target<'_>)> = Vec::new();
        let mut bounds = Vec::new();
        while next < plan.len() {
            let params = wave_params(assembly, &plan[next], &inputs, &targets, &group).await;
            let params = match params {
                Ok(params) => params,
                Err(e) => {
                    discard(&group).await;
                    return Err(e);
                }
            };
            if !bounds.is_empty() && params.iter().any(|p| !waves::pending(p).is_empty()) {
                println!(
                    "{}: {}; prepared and reviewed once the stacks before it are deployed",
                    wave_names(&plan[next], &targets),
                    params
                        .iter()
                        .flat_map(|p| waves::pending(p))
                        .map(|(p, why)| format!("parameter {p} takes {why}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                break;
            }
            let results = join_all(plan[next].iter().zip(&params).map(|(&i, params)| {
                prepare(
                    &targets[i],
                    params,
                    Mode::Deploy,
                    &opts.resume,
                    opts.role_arn.as_deref(),
                )
            }))
            .await;
            let mut first_error = None;
            for (result, &i) in results.into_iter().zip(&plan[next]) {
                match result {
                    Ok(p) => group.push((p, &targets[i])),
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = first_error {
                discard(&group).await;
                return Err(e);
            }
            bounds.push((next, group.len()));
            next += 1;
        }
        if next == plan.len() {
            // A name may be for a resource of a stack of a later group: it
            // is checked once every stack was prepared.
            let all: Vec<&(Prepared, &Target<'_>)> = reviewed.iter().chain(&group).collect();
            if let Err(e) = check_allow_replace(&opts.allow_replace, &all) {
                discard(&group).await;
                return Err(e);
            }
        }
        review_and_approve(&group, &allowed, opts).await?;
        for (p, _) in &group {
            record_prepared(p);
        }
        if opts.no_execute {
            for (p, _) in &group {
                if let Some(id) = &p.change_set {
                    println!(
                        "{} ({}): change set created, not executed (--no-execute): {id}",
                        p.name, p.region
                    );
                }
            }
            let ids: Vec<String> = group
                .iter()
                .filter_map(|(p, _)| p.change_set.as_ref())
                .map(|id| format!(" --change-set {id}"))
                .collect();
            if !ids.is_empty() {
                println!(
                    "to execute them as reviewed: {}{}",
                    opts.resume,
                    ids.concat()
                );
            }
            if next < plan.len() {
                let rest: Vec<String> = plan[next..]
                    .iter()
                    .map(|w| wave_names(w, &targets))
                    .collect();
                println!(
                    "not prepared (--no-execute): {}, whose parameters take outputs of the change sets above",
                    rest.join(", ")
                );
            }
            return Ok(exit::OK);
        }
        // Execute wave by wave, each wave's stacks at once.
        let mut from = 0;
        for (k, &(wave, to)) in bounds.iter().enumerate() {
            let segment = &group[from..to];
            if k > 0 {
                let params = wave_params(assembly, &plan[wave], &inputs, &targets, &[]).await?;
                let changed: Vec<&str> = segment
                    .iter()
                    .zip(&params)
                    .filter(|((p, _), params)| waves::known(params) != p.parameters)
                    .map(|((p, _), _)| p.name.as_str())
                    .collect();
                if !changed.is_empty() {
                    println!(
                        "{}: the outputs they import changed in the deploy; preparing their change sets again",
                        changed.join(", ")
                    );
                    discard(&group[from..]).await;
                    reviewed.extend(group.drain(..from));
                    next = wave;
                    continue 'groups;
                }
            }
            let runs = join_all(segment.iter().map(|(p, t)| execute(p, t, &allowed, opts))).await;
            for run in runs {
                if let Err(e) = run {
                    if e.downcast_ref::<Exit>()
                        .is_some_and(|x| x.code == exit::INTERRUPTED)
                    {
                        discard(&group[to..]).await;
                        return Err(e);
                    }
                    failures.push(e);
                }
            }
            if !failures.is_empty() {
                discard(&group[to..]).await;
                break 'groups;
            }
            from = to;
        }
        reviewed.extend(group);
    }
    let outputs = collect_outputs(&targets).await?;
    print_and_write_outputs(&outputs, &outputs_before, &opts.outputs_file)?;
    if let Some(first) = failures.into_iter().next() {
        return Err(first);
    }
    if opts.run_after_deploy {
        let sessions: Vec<&Session> = targets.iter().map(|t| &t.session).collect();
        for step in after_deploy_plan(&assembly.stacks) {
            run_after_deploy(sessions[step.stack_index], &step).await?;
        }
    }
    Ok(exit::OK)
}

/// Reads what the parameters of `assembly`'s stacks are filled from
/// ([`waves::Inputs`]).
async fn read_inputs(
    assembly: &Assembly,
    targets: &[Target<'_>],
    connection: &Connection,
) -> anyhow::Result<waves::Inputs> {
    let sessions: Vec<&Session> = targets.iter().map(|t| &t.session).collect();
    waves::Inputs::read(&assembly.stacks, &sessions, connection).await
}

/// The parameters of each stack of `wave`, an import from a stack of
/// `prepared` (not executed) read as that change would leave it.
async fn wave_params(
    assembly: &Assembly,
    wave: &[usize],
    inputs: &waves::Inputs,
    targets: &[Target<'_>],
    prepared: &[(Prepared, &Target<'_>)],
) -> anyhow::Result<Vec<waves::Params>> {
    let exporters: Vec<waves::Exporter<'_>> = targets
        .iter()
        .map(|t| waves::Exporter {
            session: &t.session,
            name: &t.name,
            prepared: prepared
                .iter()
                .find(|(p, _)| p.name == t.name && p.region == t.session.region)
                .map(|(p, t)| waves::Prepared {
                    old: &p.old,
                    new: &t.template,
                    nested: t.nested,
                    changes: p.changes.as_deref(),
                }),
        })
        .collect();
    let mut all = Vec::new();
    for &i in wave {
        all.push(inputs.params(&assembly.stacks[i], &exporters).await?);
    }
    Ok(all)
}

/// The stacks of a wave, for messages.
fn wave_names(wave: &[usize], targets: &[Target<'_>]) -> String {
    wave.iter()
        .map(|&i| format!("{} ({})", targets[i].name, targets[i].session.region))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Says the order when there is one to say.
fn print_plan(plan: &[Vec<usize>], targets: &[Target<'_>]) {
    if plan.len() < 2 {
        return;
    }
    let order: Vec<String> = plan
        .iter()
        .enumerate()
        .map(|(n, w)| format!("{}. {}", n + 1, wave_names(w, targets)))
        .collect();
    println!(
        "deploy order (a stack after those whose outputs it imports): {}",
        order.join("; ")
    );
}

/// Prints the review of every prepared stack, then applies the guards and
/// asks one question for all of them when approval is needed; a refusal
/// discards the change sets.
async fn review_and_approve(
    prepared: &[(Prepared, &Target<'_>)],
    allowed: &BTreeSet<String>,
    opts: &DeployOptions,
) -> anyhow::Result<()> {
    let widening = print_review(prepared);
    let mut losses = Vec::new();
    let mut approvals = Vec::new();
    for ((p, _), widening) in prepared.iter().zip(&widening) {
        let Some(changes) = &p.changes else { continue };
        for loss in guards::data_loss(changes, allowed) {
            losses.push(format!(
                "  {} ({}) in {}: would be {}",
                loss.logical_id,
                loss.resource_type,
                p.name,
                if loss.removed { "removed" } else { "replaced" }
            ));
        }
        let needs_approval = match opts.approval {
            Approval::Never => false,
            Approval::Broadening => !widening.is_empty(),
            Approval::AnyChange => !changes.is_empty(),
        };
        if needs_approval {
            approvals.push(format!("{} ({})", p.name, p.region));
        }
    }
    if !losses.is_empty() {
        discard(prepared).await;
        return Err(Exit::new(
            exit::REFUSED,
            format!(
                "refusing to deploy: stateful resources would lose their data:\n{}\npass --allow-replace <logical id> for each one to accept the loss",
                losses.join("\n")
            ),
        )
        .into());
    }
    if approvals.is_empty() {
        return Ok(());
    }
    // One question for every stack and region reviewed above.
    let what = match opts.approval {
        Approval::AnyChange => "change",
        _ => "widen IAM or security-group access",
    };
    let names = approvals.join(", ");
    let terminal = std::io::stdin().is_terminal();
    if terminal && ask(&format!("{names}: the changes above {what}; deploy them?")) {
        return Ok(());
    }
    discard(prepared).await;
    let why = if terminal {
        "not approved".to_owned()
    } else {
        "approval is needed and there is no terminal to ask on; review the changes above and rerun on a terminal, or pass --require-approval never".to_owned()
    };
    Err(Exit::new(
        exit::REFUSED,
        format!("refusing to deploy {names} (the changes {what}): {why}"),
    )
    .into())
}

/// One invocation of a `run: after_deploy` function.
#[derive(Debug, Clone, PartialEq)]
pub struct AfterDeployStep {
    /// Which of the assembly's stacks (and so which region's session).
    pub stack_index: usize,
    pub stack: String,
    pub region: String,
    /// The declared name, for messages.
    pub declared: String,
    /// The physical name `Invoke` takes.
    pub function: String,
    pub payload: Value,
}

/// What the after-deploy step invokes, in order: region by region in the
/// deployment's order (the primary first), each region's functions in
/// declaration order. Every region has its own cluster, so each region's
/// migration runs against its own database.
pub fn after_deploy_plan(stacks: &[platform_core::synth::Stack]) -> Vec<AfterDeployStep> {
    stacks
        .iter()
        .enumerate()
        .flat_map(|(stack_index, stack)| {
            stack.after_deploy.iter().map(move |a| AfterDeployStep {
                stack_index,
                stack: stack.name.clone(),
                region: stack.region.clone(),
                declared: a.declared.clone(),
                function: a.function_name.clone(),
                payload: platform_core::synth::AfterDeploy::payload(&stack.name, &stack.region),
            })
        })
        .collect()
}

/// What an after-deploy invocation's answer means: the function's result,
/// or the message the deploy fails with. Lambda answers 200 for a function
/// that threw or timed out too, with `X-Amz-Function-Error` set and
/// `{"errorType": .., "errorMessage": ..}` as the payload (a timeout's
/// message is `Task timed out after N seconds`).
pub fn after_deploy_outcome(function_error: Option<&str>, payload: &[u8]) -> Result<Value, String> {
    let parsed: Option<Value> = serde_json::from_slice(payload).ok();
    let Some(kind) = function_error else {
        return Ok(parsed.unwrap_or_else(|| Value::String(String::from_utf8_lossy(payload).into())));
    };
    let (error_type, message) = match &parsed {
        Some(Value::Object(o)) => (
            o.get("errorType")
                .and_then(Value::as_str)
                .unwrap_or(kind)
                .to_owned(),
            o.get("errorMessage")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| Value::Object(o.clone()).to_string()),
        ),
        Some(other) => (kind.to_owned(), other.to_string()),
        None => (
            kind.to_owned(),
            String::from_utf8_lossy(payload).into_owned(),
        ),
    };
    Err(format!("{error_type}: {message}"))
}

/// Invokes one after-deploy function synchronously and prints its result;
/// a failure (the function threw, timed out, or could not be invoked)
/// fails the deploy with [`exit::DEPLOY_FAILED`]. The stacks stay deployed:
/// running `tp deploy` again retries the step.
pub(crate) async fn run_after_deploy(s: &Session, step: &AfterDeployStep) -> anyhow::Result<()> {
    println!(
        "{} ({}): running after-deploy function {} ({})",
        step.stack, step.region, step.declared, step.function
    );
    let failed = |why: String| -> anyhow::Error {
        Exit::new(
            exit::DEPLOY_FAILED,
            format!(
                "{} ({}): after-deploy function {} ({}) failed: {why}; the stacks are deployed: fix the function (its logs are in /aws/lambda/{}) and run the deploy again",
                step.stack, step.region, step.declared, step.function, step.function
            ),
        )
        .into()
    };
    let answer = s
        .lambda
        .invoke()
        .function_name(&step.function)
        .invocation_type(aws_sdk_lambda::types::InvocationType::RequestResponse)
        .payload(aws_sdk_lambda::primitives::Blob::new(
            step.payload.to_string(),
        ))
        .send()
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => {
            let e = s.error(&format!("invoke {}", step.function), e);
            // Unreachable endpoints and denied calls keep their own codes.
            if e.downcast_ref::<Exit>().is_some() {
                return Err(e);
            }
            return Err(failed(e.to_string()));
        }
    };
    let payload = answer.payload().map(|b| b.as_ref()).unwrap_or_default();
    match after_deploy_outcome(answer.function_error(), payload) {
        Ok(result) => {
            println!(
                "{} ({}): after-deploy function {} returned {result}",
                step.stack, step.region, step.declared
            );
            Ok(())
        }
        Err(why) => Err(failed(why)),
    }
}

/// `--allow-replace` must name a resource of a stack being deployed.
fn check_allow_replace(
    names: &[String],
    prepared: &[&(Prepared, &Target<'_>)],
) -> anyhow::Result<()> {
    let known: BTreeSet<&str> = prepared
        .iter()
        .flat_map(|(p, t)| {
            [&p.old, &t.template]
                .into_iter()
                .filter_map(|v| v["Resources"].as_object())
                .flat_map(|m| m.keys().map(String::as_str))
        })
        .collect();
    for name in names {
        if !known.contains(name.as_str()) {
            let stateful: BTreeSet<&str> = prepared
                .iter()
                .filter_map(|(_, t)| t.template["Resources"].as_object())
                .flat_map(|m| m.iter())
                .filter(|(_, r)| {
                    platform_core::catalog::STATEFUL_TYPES
                        .contains(&r["Type"].as_str().unwrap_or(""))
                })
                .map(|(id, _)| id.as_str())
                .collect();
            return Err(Exit::new(
                exit::INVALID_INPUT,
                format!(
                    "--allow-replace `{name}` names no resource of the stacks being deployed; it takes a logical id as shown in the change list, e.g. one of: {}",
                    stateful.into_iter().collect::<Vec<_>>().join(", ")
                ),
            )
            .into());
        }
    }
    Ok(())
}

async fn execute(
    p: &Prepared,
    t: &Target<'_>,
    allowed: &BTreeSet<String>,
    opts: &DeployOptions,
) -> anyhow::Result<()> {
    let s = &t.session;
    let (Some(id), Some(changes)) = (&p.change_set, &p.changes) else {
        return Ok(());
    };
    let policy = guards::stack_policy(&t.template, allowed);
    if !p.creating {
        stacks::set_stack_policy(s, &p.name, &policy).await?;
    }
    let status = run_change_set(s, &p.name, id, changes, opts).await?;
    if p.creating {
        stacks::set_stack_policy(s, &p.name, &policy).await?;
    }
    progress::println(&format!("{} ({}): {status}", p.name, p.region));
    Ok(())
}

/// Executes change set `id` of stack `name` and watches it to its end:
/// its status when the operation completed, an error naming the failures
/// otherwise. Only a completed operation is a success: a stack still in
/// REVIEW_IN_PROGRESS after the execution holds no resources.
pub(crate) async fn run_change_set(
    s: &Session,
    name: &str,
    id: &str,
    changes: &[ResourceChange],
    opts: &DeployOptions,
) -> anyhow::Result<String> {
    let seen = stacks::current_events(s, name).await?;
    stacks::execute_change_set(s, name, id).await?;
    let ended = stacks::watch(s, name, seen, stacks::count_changes(changes), &opts.resume).await?;
    crate::report::record(name, &s.region, |x| x.status = Some(ended.status.clone()));
    if !stacks::complete(&ended.status) {
        return Err(Exit::new(
            exit::DEPLOY_FAILED,
            format!(
                "{name} ({}) ended in {}:\n  {}",
                s.region,
                ended.status,
                ended.failures.join("\n  ")
            ),
        )
        .into());
    }
    Ok(ended.status)
}

pub(crate) type Outputs = BTreeMap<String, BTreeMap<String, String>>;

/// Each stack's outputs (see [`stack_outputs`]), of the stacks running
/// a deploy's resources.
async fn collect_outputs(targets: &[Target<'_>]) -> anyhow::Result<Outputs> {
    outputs_of(
        targets
            .iter()
            .map(|t| (&t.session, t.name.as_str(), t.nested)),
    )
    .await
}

/// The outputs of each `(session, stack, nested stacks)` running a
/// deploy's resources, by stack name (see [`stack_outputs`]).
pub(crate) async fn outputs_of<'a>(
    stacks: impl IntoIterator<Item = (&'a Session, &'a str, &'a [NestedStack])>,
) -> anyhow::Result<Outputs> {
    let mut all = Outputs::new();
    for (session, name, nested) in stacks {
        if let Some(outputs) = stack_outputs(session, name, nested).await? {
            crate::report::record(name, &session.region, |s| s.outputs = Some(outputs.clone()));
            all.insert(name.to_owned(), outputs);
        }
    }
    Ok(all)
}

/// A stack's outputs, `None` when it does not run a deploy's resources
/// (not deployed, or holding none). A split stack's parent has none of
/// its own: the platform's outputs are read from the nested stacks that
/// hold them (without the outputs that only wire nested stacks together)
/// and listed under the parent's name, as an unsplit stack would give
/// them. Records the stack's status for `--json`.
pub async fn stack_outputs(
    s: &Session,
    name: &str,
    nested: &[NestedStack],
) -> anyhow::Result<Option<BTreeMap<String, String>>> {
    let found = stacks::find(s, name).await?;
    crate::report::record(name, &s.region, |r| {
        r.status = Some(
            found
                .as_ref()
                .map(|st| stacks::status(st).to_owned())
                .unwrap_or_else(|| "NOT_DEPLOYED".to_owned()),
        )
    });
    let Some(stack) = found.filter(|st| stacks::running(stacks::status(st))) else {
        return Ok(None);
    };
    let mut outputs: BTreeMap<String, String> = stacks::outputs(&stack).into_iter().collect();
    if !nested.is_empty() {
        let ids = stacks::nested_stack_ids(s, name).await?;
        for n in nested.iter().filter(|n| !n.outputs.is_empty()) {
            let Some(id) = ids.get(&n.logical_id) else {
                continue;
            };
            let Some(child) = stacks::find(s, id).await? else {
                continue;
            };
            outputs.extend(
                stacks::outputs(&child)
                    .into_iter()
                    .filter(|(k, _)| n.outputs.contains(k)),
            );
        }
    }
    Ok(Some(outputs))
}

/// Prints the outputs the deploy created or changed (those in `outputs`
/// not in `before` with the same value), and merges all of them into `file`
/// (a JSON object of stack name to outputs), keeping other stacks' entries.
pub(crate) fn print_and_write_outputs(
    outputs: &Outputs,
    before: &Outputs,
    file: &Path,
) -> anyhow::Result<()> {
    print!("{}", render_new_outputs(outputs, before));
    let mut merged: serde_json::Map<String, Value> = std::fs::read_to_string(file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    for (stack, values) in outputs {
        merged.insert(stack.clone(), json!(values));
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(merged))?;
    text.push('\n');
    std::fs::write(file, text)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?;
    println!("outputs written to {}", file.display());
    Ok(())
}

/// The outputs of `outputs` that `before` lacks or had with another value,
/// per stack; nothing for a stack whose outputs are all as they were.
fn render_new_outputs(outputs: &Outputs, before: &Outputs) -> String {
    let mut out = String::new();
    for (stack, values) in outputs {
        let old = before.get(stack);
        let new: Vec<(&String, &String)> = values
            .iter()
            .filter(|(k, v)| old.and_then(|o| o.get(*k)) != Some(*v))
            .collect();
        if new.is_empty() {
            continue;
        }
        let what = if old.is_some_and(|o| !o.is_empty()) {
            "changed"
        } else {
            "created"
        };
        out.push_str(&format!("Outputs of {stack} ({what}):\n"));
        let width = new.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in new {
            out.push_str(&format!("  {k:width$}  {v}\n"));
        }
    }
    out
}

/// `tp diff`: the deploy's rendering, nothing executed. Returns whether
/// anything would change.
pub async fn diff(assembly: &Assembly, connection: &Connection) -> anyhow::Result<bool> {
    let sessions = sessions(&assembly.deployment.regions, connection).await?;
    let targets = targets(assembly, sessions);
    let plan = waves::plan(&assembly.stacks)?;
    let inputs = read_inputs(assembly, &targets, connection).await?;
    // Wave by wave, an import read as the waves before it would leave it:
    // a value not known until they deploy is shown as such.
    let mut prepared = Vec::new();
    let mut first_error = None;
    for wave in &plan {
        let params = match wave_params(assembly, wave, &inputs, &targets, &prepared).await {
            Ok(params) => params,
            Err(e) => {
                first_error = Some(e);
                break;
            }
        };
        let results = join_all(
            wave.iter()
                .zip(&params)
                .map(|(&i, params)| prepare(&targets[i], params, Mode::Diff, "tp diff", None)),
        )
        .await;
        for (result, &i) in results.into_iter().zip(wave) {
            match result {
                Ok(p) => prepared.push((p, &targets[i])),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if first_error.is_some() {
            break;
        }
    }
    discard(&prepared).await;
    if let Some(e) = first_error {
        return Err(e);
    }
    print_review(&prepared);
    for (p, _) in &prepared {
        record_prepared(p);
    }
    Ok(prepared
        .iter()
        .any(|(p, _)| p.changes.as_ref().is_some_and(|c| !c.is_empty())))
}

/// What `tp bootstrap` is asked for.
#[derive(Debug, Clone, Default)]
pub struct BootstrapRequest {
    /// The account to bootstrap; the credentials must be in it. `None`:
    /// the credentials' account.
    pub account: Option<String>,
    /// Tooling accounts the deploy role trusts.
    pub trust: Vec<String>,
    /// Principal ARNs the deploy role trusts.
    pub operators: Vec<String>,
    /// The suffixes deployed into the account; empty: the profiles whose
    /// account it is (every profile when the platform names no accounts).
    pub suffixes: Vec<String>,
    /// The pipeline stack's suffix, covered where the pipeline runs.
    pub pipeline_suffix: Option<String>,
}

impl BootstrapRequest {
    /// What the bootstrap stacks of `account` in `region` are for, the
    /// environments deployed there being `suffixes`.
    fn options(
        &self,
        region: &str,
        account: &str,
        suffixes: &[(String, String)],
    ) -> platform_core::synth::bootstrap::BootstrapOptions {
        platform_core::synth::bootstrap::BootstrapOptions {
            region: region.to_owned(),
            account: account.to_owned(),
            trust: self.trust.clone(),
            operators: self.operators.clone(),
            suffixes: suffixes.to_vec(),
            pipeline_suffix: self.pipeline_suffix.clone(),
        }
    }
}

/// `(suffix, profile)` of what `request` deploys into `account`: a suffix
/// that is a profile's name has that profile, any other (`pr-12`) the
/// first profile deployed into the account.
pub fn bootstrap_suffixes(
    platform: &Platform,
    account: &str,
    suffixes: &[String],
) -> Vec<(String, String)> {
    let here: Vec<&String> = platform
        .profiles
        .iter()
        .filter(|p| platform.account(p).is_none_or(|a| a == account))
        .collect();
    if suffixes.is_empty() {
        return here.into_iter().map(|p| (p.clone(), p.clone())).collect();
    }
    suffixes
        .iter()
        .map(|s| {
            let profile = if platform.profiles.contains(s) {
                s.clone()
            } else {
                here.first()
                    .map(|p| (*p).clone())
                    .unwrap_or_else(|| platform.profiles[0].clone())
            };
            (s.clone(), profile)
        })
        .collect()
}

/// `tp bootstrap --show-template DIR`: writes the bootstrap stacks of
/// `account` in each region into `dir` and prints the execution role's
/// actions that can only be granted on `"*"`, each with why. Calls no AWS.
pub fn show_bootstrap(
    platform: &Platform,
    regions: &[String],
    account: &str,
    request: &BootstrapRequest,
    dir: &Path,
) -> anyhow::Result<()> {
    let suffixes = bootstrap_suffixes(platform, account, &request.suffixes);
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    for region in regions {
        let opts = request.options(region, account, &suffixes);
        let pair = platform_core::synth::bootstrap::bootstrap_stacks(platform, &opts)
            .map_err(|e| Exit::new(exit::INVALID_INPUT, format!("cannot bootstrap: {e}")))?;
        for (name, template) in [
            (stacks::BOOTSTRAP_STACK, &pair.storage),
            (platform_core::synth::bootstrap::ACCESS_STACK, &pair.access),
        ] {
            let path = dir.join(format!("{name}-{account}-{region}.template.json"));
            std::fs::write(&path, template.to_string_pretty())
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            println!("wrote {}", path.display());
        }
        let unscoped = platform_core::synth::bootstrap::unscoped_actions(platform, &opts)
            .map_err(|e| Exit::new(exit::INVALID_INPUT, format!("cannot bootstrap: {e}")))?;
        println!(
            "{region}: {} actions of the execution role can only be granted on \"*\":",
            unscoped.len()
        );
        for (action, why) in unscoped {
            println!("  {action}: {why}");
        }
    }
    Ok(())
}

/// `tp bootstrap`: deploys the bootstrap stack in each region, after
/// checking that the credentials are in the account asked for.
pub async fn bootstrap(
    platform: &Platform,
    regions: &[String],
    connection: &Connection,
    request: &BootstrapRequest,
) -> anyhow::Result<u8> {
    let sessions = sessions(regions, connection).await?;
    let Some(first) = sessions.first() else {
        return Ok(exit::OK);
    };
    let (caller, caller_arn) = first.caller_identity().await?;
    if let Some(account) = request.account.as_ref().filter(|a| **a != caller) {
        return Err(Exit::new(
            exit::WRONG_ACCOUNT,
            format!(
                "refusing to bootstrap account {account}: the credentials are in account {caller} ({caller_arn}); nothing was changed. Run `tp bootstrap --account {account}` with credentials in {account} (an administrator there, or its OrganizationAccountAccessRole)"
            ),
        )
        .into());
    }
    let account = request.account.clone().unwrap_or(caller);
    let suffixes = bootstrap_suffixes(platform, &account, &request.suffixes);
    let mut templates = Vec::new();
    for session in &sessions {
        let opts = request.options(&session.region, &account, &suffixes);
        let stacks = platform_core::synth::bootstrap::bootstrap_stacks(platform, &opts)
            .map_err(|e| Exit::new(exit::INVALID_INPUT, format!("cannot bootstrap: {e}")))?;
        templates.push(stacks);
    }
    let environments: Vec<&str> = suffixes.iter().map(|(s, _)| s.as_str()).collect();
    println!(
        "bootstrapping account {account} for {}{}",
        if environments.is_empty() {
            "no environment".to_owned()
        } else {
            environments.join(", ")
        },
        if request.trust.is_empty() {
            String::new()
        } else {
            format!(", trusting {}", request.trust.join(", "))
        }
    );
    let target = |session: &Session,
                  name: &str,
                  template: &platform_core::template::Template,
                  needs_bucket: bool| Target {
        session: session.clone(),
        name: name.to_owned(),
        body: template.to_string_pretty(),
        template: template.to_json(),
        assets: Vec::new(),
        nested: &[],
        needs_bucket,
        guard_alarms: Vec::new(),
        rollback_window_minutes: 0,
    };
    let opts = DeployOptions {
        approval: Approval::Never,
        allow_replace: Vec::new(),
        no_execute: false,
        outputs_file: PathBuf::new(),
        resume: "tp bootstrap".into(),
        role_arn: None,
        run_after_deploy: false,
    };
    // Per region, the bucket's stack first: the IAM's template is uploaded
    // to that bucket (too large to pass inline).
    let runs = join_all(sessions.iter().zip(&templates).map(|(session, pair)| {
        let opts = &opts;
        async move {
            let storage = target(session, stacks::BOOTSTRAP_STACK, &pair.storage, false);
            let access = target(
                session,
                platform_core::synth::bootstrap::ACCESS_STACK,
                &pair.access,
                true,
            );
            for (t, last) in [(&storage, false), (&access, true)] {
                let p = prepare(t, &waves::Params::new(), Mode::Deploy, &opts.resume, None).await?;
                if p.changes.is_none() {
                    println!("{} ({}): up to date", p.name, p.region);
                }
                execute(&p, t, &BTreeSet::new(), opts).await?;
                if !last {
                    let bucket = stacks::asset_bucket(&t.session).await?;
                    println!(
                        "{} ({}): asset bucket {bucket}, recorded in SSM as {ASSET_BUCKET_SSM_NAME}",
                        p.name, p.region
                    );
                }
            }
            anyhow::Ok(())
        }
    }))
    .await;
    runs.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    Ok(exit::OK)
}

/// `tp destroy`.
pub async fn destroy(
    assembly: &Assembly,
    connection: &Connection,
    yes: bool,
) -> anyhow::Result<u8> {
    let sessions = sessions(&assembly.deployment.regions, connection).await?;
    let targets = targets(assembly, sessions);
    let mut present = Vec::new();
    for t in &targets {
        match stacks::find(&t.session, &t.name).await? {
            Some(st) => present.push((t, stacks::status(&st).to_owned())),
            None => println!("{} ({}): not deployed", t.name, t.session.region),
        }
    }
    if present.is_empty() {
        println!("nothing to destroy");
        return Ok(exit::OK);
    }
    if !yes {
        let names: Vec<&str> = present.iter().map(|(t, _)| t.name.as_str()).collect();
        if !std::io::stdin().is_terminal() {
            return Err(Exit::new(
                exit::REFUSED,
                format!(
                    "refusing to destroy {} without confirmation: there is no terminal to ask on; pass --yes",
                    names.join(", ")
                ),
            )
            .into());
        }
        println!(
            "This deletes {} and every object (all versions) in the buckets they own.",
            names.join(", ")
        );
        if !ask("Destroy?") {
            return Err(Exit::new(exit::REFUSED, "not confirmed; nothing was deleted").into());
        }
    }
    // The waves in reverse: a stack that imports from another is deleted
    // before it.
    for wave in waves::plan(&assembly.stacks)?.iter().rev() {
        let names: BTreeSet<&str> = wave.iter().map(|&i| targets[i].name.as_str()).collect();
        let runs = join_all(
            present
                .iter()
                .filter(|(t, _)| names.contains(t.name.as_str()))
                .map(|(t, state)| destroy_one(t, state)),
        )
        .await;
        runs.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    }
    Ok(exit::OK)
}

async fn destroy_one(t: &Target<'_>, state: &str) -> anyhow::Result<()> {
    let s = &t.session;
    let resume = format!("tp destroy --suffix <suffix> --region {} --yes", s.region);
    if stacks::in_progress(state) {
        println!(
            "{} ({}): an operation is in progress ({state}); waiting for it to end",
            t.name, s.region
        );
        let seen = stacks::current_events(s, &t.name).await?;
        stacks::watch(s, &t.name, seen, 0, &resume).await?;
    }
    let mut emptied = 0usize;
    let mut buckets = 0usize;
    for bucket in stack_buckets(s, &t.name).await? {
        buckets += 1;
        emptied += empty_bucket(s, &bucket).await?;
    }
    let seen = stacks::current_events(s, &t.name).await?;
    stacks::delete_stack(s, &t.name).await?;
    let ended = stacks::watch(s, &t.name, seen, 0, &resume).await?;
    if ended.status != "DELETE_COMPLETE" {
        return Err(Exit::new(
            exit::DEPLOY_FAILED,
            format!(
                "{} ({}) ended in {}:\n  {}",
                t.name,
                s.region,
                ended.status,
                ended.failures.join("\n  ")
            ),
        )
        .into());
    }
    progress::println(&format!(
        "{} ({}): deleted; {emptied} object versions removed from {buckets} buckets",
        t.name, s.region
    ));
    Ok(())
}

/// The buckets a stack owns (physical ids of its `AWS::S3::Bucket`s),
/// its nested stacks' included.
async fn stack_buckets(s: &Session, name: &str) -> anyhow::Result<Vec<String>> {
    let mut buckets = Vec::new();
    let mut stacks_left = vec![name.to_owned()];
    while let Some(name) = stacks_left.pop() {
        let (own, nested) = stack_buckets_and_children(s, &name).await?;
        buckets.extend(own);
        stacks_left.extend(nested);
    }
    Ok(buckets)
}

/// One stack's buckets, and the ids of its nested stacks.
async fn stack_buckets_and_children(
    s: &Session,
    name: &str,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut buckets = Vec::new();
    let mut children = Vec::new();
    for (kind, _, physical) in stacks::resources(s, name).await? {
        let Some(id) = physical else { continue };
        match kind.as_str() {
            "AWS::S3::Bucket" => buckets.push(id),
            "AWS::CloudFormation::Stack" => children.push(id),
            _ => {}
        }
    }
    Ok((buckets, children))
}

/// Deletes every object version and delete marker in `bucket`, which
/// CloudFormation cannot do; returns how many were deleted.
async fn empty_bucket(s: &Session, bucket: &str) -> anyhow::Result<usize> {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let mut deleted = 0;
    loop {
        let out = match s.s3.list_object_versions().bucket(bucket).send().await {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.meta().code() == Some("NoSuchBucket")) =>
            {
                return Ok(deleted);
            }
            Err(e) => return Err(s.error(&format!("list the objects of {bucket}"), e)),
        };
        let mut ids = Vec::new();
        let versions = out.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = out
            .delete_markers()
            .iter()
            .map(|m| (m.key(), m.version_id()));
        for (key, version) in versions.chain(markers) {
            let Some(key) = key else { continue };
            ids.push(
                ObjectIdentifier::builder()
                    .key(key)
                    .set_version_id(version.map(str::to_owned))
                    .build()?,
            );
        }
        if ids.is_empty() {
            return Ok(deleted);
        }
        deleted += ids.len();
        s.s3.delete_objects()
            .bucket(bucket)
            .delete(
                Delete::builder()
                    .set_objects(Some(ids))
                    .quiet(true)
                    .build()?,
            )
            .send()
            .await
            .map_err(|e| s.error(&format!("delete the objects of {bucket}"), e))?;
    }
}

/// `tp status`: each stack's state.
pub async fn status(assembly: &Assembly, connection: &Connection) -> anyhow::Result<u8> {
    let sessions = sessions(&assembly.deployment.regions, connection).await?;
    let targets = targets(assembly, sessions);
    let found = join_all(targets.iter().map(|t| stacks::find(&t.session, &t.name))).await;
    for (t, found) in targets.iter().zip(found) {
        match found? {
            Some(st) => {
                let updated = st
                    .last_updated_time()
                    .or(st.creation_time())
                    .and_then(|d| {
                        d.fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
                            .ok()
                    })
                    .unwrap_or_default();
                let drift = st
                    .drift_information()
                    .and_then(|d| d.stack_drift_status())
                    .map(|d| format!("  drift {}", d.as_str()))
                    .unwrap_or_default();
                println!(
                    "{}  {}  {}  {updated}{drift}",
                    t.name,
                    t.session.region,
                    stacks::status(&st)
                );
                crate::report::record(&t.name, &t.session.region, |r| {
                    r.status = Some(stacks::status(&st).to_owned());
                    r.last_updated = Some(updated).filter(|u| !u.is_empty());
                    r.drift = st
                        .drift_information()
                        .and_then(|d| d.stack_drift_status())
                        .map(|d| d.as_str().to_owned());
                });
            }
            None => {
                println!("{}  {}  NOT_DEPLOYED", t.name, t.session.region);
                crate::report::record(&t.name, &t.session.region, |r| {
                    r.status = Some("NOT_DEPLOYED".to_owned())
                });
            }
        }
    }
    Ok(exit::OK)
}

/// `tp drift`: starts drift detection on each deployed stack and reports
/// the resources that differ from their template.
pub async fn drift(assembly: &Assembly, connection: &Connection) -> anyhow::Result<u8> {
    let sessions = sessions(&assembly.deployment.regions, connection).await?;
    let targets = targets(assembly, sessions);
    let mut drifted = false;
    for t in &targets {
        let s = &t.session;
        if stacks::find(s, &t.name).await?.is_none() {
            println!("{} ({}): not deployed", t.name, s.region);
            crate::report::record(&t.name, &s.region, |r| {
                r.status = Some("NOT_DEPLOYED".to_owned())
            });
            continue;
        }
        let started = s.cfn.detect_stack_drift().stack_name(&t.name).send().await;
        let id = match started {
            Ok(out) => out
                .stack_drift_detection_id()
                .unwrap_or_default()
                .to_owned(),
            Err(e) => {
                let err = s.error(&format!("start drift detection on {}", t.name), e);
                if err.downcast_ref::<Exit>().is_some() {
                    return Err(err);
                }
                println!(
                    "{} ({}): drift detection is not available here: {err}",
                    t.name, s.region
                );
                crate::report::record(&t.name, &s.region, |r| {
                    r.drift = Some("NOT_CHECKED".to_owned());
                    r.notes = vec![format!("drift detection is not available here: {err}")];
                });
                continue;
            }
        };
        let mut backoff = Backoff::watching();
        let result = loop {
            let out = s
                .cfn
                .describe_stack_drift_detection_status()
                .stack_drift_detection_id(&id)
                .send()
                .await
                .map_err(|e| s.error("read drift detection status", e))?;
            let state = out.detection_status().map(|d| d.as_str()).unwrap_or("");
            if state != "DETECTION_IN_PROGRESS" {
                break out;
            }
            backoff.wait().await;
        };
        let stack_status = result
            .stack_drift_status()
            .map(|d| d.as_str())
            .unwrap_or("UNKNOWN");
        println!("{} ({}): {stack_status}", t.name, s.region);
        crate::report::record(&t.name, &s.region, |r| {
            r.drift = Some(stack_status.to_owned());
            r.drifted_resources = Some(Vec::new());
        });
        if stack_status != "DRIFTED" {
            continue;
        }
        drifted = true;
        let out = s
            .cfn
            .describe_stack_resource_drifts()
            .stack_name(&t.name)
            .send()
            .await
            .map_err(|e| s.error("read resource drifts", e))?;
        for d in out.stack_resource_drifts() {
            let state = d
                .stack_resource_drift_status()
                .map(|s| s.as_str())
                .unwrap_or("");
            if state == "IN_SYNC" || state == "NOT_CHECKED" {
                continue;
            }
            println!(
                "  {state:<9} {} {}",
                d.resource_type().unwrap_or(""),
                d.logical_resource_id().unwrap_or("")
            );
            for p in d.property_differences() {
                println!(
                    "    └─ {} ({}): expected {}, actual {}",
                    p.property_path().unwrap_or(""),
                    p.difference_type().map(|t| t.as_str()).unwrap_or(""),
                    p.expected_value().unwrap_or("-"),
                    p.actual_value().unwrap_or("-"),
                );
            }
            let resource = crate::report::DriftedResource {
                logical_id: d.logical_resource_id().unwrap_or("").to_owned(),
                resource_type: d.resource_type().unwrap_or("").to_owned(),
                status: state.to_owned(),
                differences: d
                    .property_differences()
                    .iter()
                    .map(|p| crate::report::Difference {
                        path: p.property_path().unwrap_or("").to_owned(),
                        kind: p
                            .difference_type()
                            .map(|t| t.as_str().to_owned())
                            .unwrap_or_default(),
                        expected: p.expected_value().map(str::to_owned),
                        actual: p.actual_value().map(str::to_owned),
                    })
                    .collect(),
            };
            crate::report::record(&t.name, &s.region, |r| {
                r.drifted_resources.get_or_insert_default().push(resource)
            });
        }
    }
    Ok(if drifted { exit::CHANGES } else { exit::OK })
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform_core::synth::{AfterDeploy, Stack};

    fn stack(name: &str, region: &str, functions: &[&str]) -> Stack {
        Stack {
            name: name.into(),
            region: region.into(),
            template: Default::default(),
            body: String::new(),
            assets: Vec::new(),
            nested: Vec::new(),
            guard_alarms: Vec::new(),
            rollback_window_minutes: 0,
            imports: Vec::new(),
            zone_lookups: Vec::new(),
            after_deploy: functions
                .iter()
                .map(|f| AfterDeploy {
                    declared: (*f).into(),
                    function_name: format!("fn-{}-{region}-dev", f.replace('_', "-")),
                })
                .collect(),
        }
    }

    #[test]
    fn the_plan_runs_each_region_in_order_then_each_function_in_order() {
        let stacks = [
            stack("p-us-east-1-dev", "us-east-1", &["migrate", "seed"]),
            stack("p-us-west-2-dev", "us-west-2", &[]),
            stack("p-eu-west-1-dev", "eu-west-1", &["migrate"]),
        ];
        let plan = after_deploy_plan(&stacks);
        let order: Vec<(usize, &str)> = plan
            .iter()
            .map(|s| (s.stack_index, s.function.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                (0, "fn-migrate-us-east-1-dev"),
                (0, "fn-seed-us-east-1-dev"),
                (2, "fn-migrate-eu-west-1-dev"),
            ]
        );
        assert_eq!(
            plan[2].payload,
            json!({"phase": "after_deploy", "stack": "p-eu-west-1-dev", "region": "eu-west-1"})
        );
    }

    #[test]
    fn bootstrap_covers_the_profiles_of_the_account_or_the_suffixes_named() {
        let mut platform = platform_def::platform();
        assert_eq!(
            bootstrap_suffixes(&platform, "222222222222", &[]),
            [("staging".to_owned(), "staging".to_owned())]
        );
        assert_eq!(
            bootstrap_suffixes(&platform, "111111111111", &["dev".into(), "pr12".into()]),
            [
                ("dev".to_owned(), "dev".to_owned()),
                ("pr12".to_owned(), "dev".to_owned())
            ]
        );
        assert!(bootstrap_suffixes(&platform, "444444444444", &[]).is_empty());
        platform.accounts = None;
        assert_eq!(bootstrap_suffixes(&platform, "444444444444", &[]).len(), 3);
    }

    #[test]
    fn only_outputs_created_or_changed_are_printed() {
        let outputs = |pairs: &[(&str, &str, &str)]| {
            let mut all = Outputs::new();
            for (stack, k, v) in pairs {
                all.entry((*stack).to_owned())
                    .or_default()
                    .insert((*k).to_owned(), (*v).to_owned());
            }
            all
        };
        let before = outputs(&[("a", "Url", "https://a"), ("a", "Table", "t")]);
        assert_eq!(render_new_outputs(&before, &before), "");
        let after = outputs(&[
            ("a", "Url", "https://b"),
            ("a", "Table", "t"),
            ("b", "Queue", "q"),
        ]);
        assert_eq!(
            render_new_outputs(&after, &before),
            "Outputs of a (changed):\n  Url  https://b\nOutputs of b (created):\n  Queue  q\n"
        );
    }

    #[test]
    fn a_platform_without_after_deploy_functions_invokes_nothing() {
        assert!(after_deploy_plan(&[stack("p-us-east-1-dev", "us-east-1", &[])]).is_empty());
    }

    #[test]
    fn a_function_that_returned_passes_with_its_result() {
        assert_eq!(
            after_deploy_outcome(None, br#"{"applied":["0001_trades"]}"#),
            Ok(json!({"applied": ["0001_trades"]}))
        );
        assert_eq!(after_deploy_outcome(None, b""), Ok(json!("")));
    }

    #[test]
    fn a_function_that_threw_fails_with_its_error_type_and_message() {
        let payload = br#"{"errorType":"MigrationError","errorMessage":"relation \"trades\" already exists","trace":[]}"#;
        assert_eq!(
            after_deploy_outcome(Some("Unhandled"), payload),
            Err(r#"MigrationError: relation "trades" already exists"#.to_owned())
        );
    }

    #[test]
    fn a_timed_out_function_fails_with_lambdas_message() {
        let payload = br#"{"errorMessage":"2026-12-01T09:00:00.000Z abc Task timed out after 300.00 seconds"}"#;
        let why = after_deploy_outcome(Some("Unhandled"), payload).unwrap_err();
        assert!(why.starts_with("Unhandled: "), "{why}");
        assert!(why.contains("Task timed out after 300.00 seconds"), "{why}");
    }

    #[test]
    fn an_error_without_a_json_payload_keeps_the_raw_text() {
        assert_eq!(
            after_deploy_outcome(Some("Handled"), b"out of memory"),
            Err("Handled: out of memory".to_owned())
        );
    }
}
