//! `tp deploy --change-set NAME`: executes change sets reviewed earlier
//! (`tp deploy --no-execute` prints one per stack) instead of creating new
//! ones. What runs is what was reviewed: the change sets' templates and
//! parameters. The definition is synthesized only for what a deploy does
//! around the execution: the stacks' names and order, the outputs nested
//! stacks hold, the `run: after_deploy` functions and the release record.
//!
//! Refused with [`exit::INVALID_INPUT`] before anything executes: a change
//! set that is not there, one that is not `CREATE_COMPLETE` and
//! `AVAILABLE` (an executed one is `EXECUTE_COMPLETE`), and one the stack
//! moved on from (changed after the change set was created, or busy).

use std::collections::BTreeSet;

use platform_core::spec::Platform;
use platform_core::synth::{self, Deployment};

use crate::aws::{Connection, Session};
use crate::commands::DeployOptions;
use crate::exit::{self, Exit};
use crate::{diff, guards, stacks, waves};

/// One change set to execute.
struct Reviewed {
    /// Which of the assembly's stacks.
    index: usize,
    session: Session,
    stack: String,
    id: String,
    creating: bool,
}

fn refused(message: String) -> anyhow::Error {
    Exit::new(exit::INVALID_INPUT, message).into()
}

/// Executes the change sets `names` (each an ARN, which names one stack's
/// change set, or a name every stack of the deployment's regions has),
/// then writes the outputs, runs the after-deploy functions and records
/// the release, as `tp deploy` does.
pub async fn deploy(
    platform: &Platform,
    deployment: &Deployment,
    connection: &Connection,
    names: &[String],
    opts: &DeployOptions,
) -> anyhow::Result<u8> {
    let assembly = synth::synth(platform, deployment)?;
    let sessions = Session::for_stacks(&assembly.stacks, connection).await?;
    let mut chosen: Vec<(usize, String)> = Vec::new();
    for name in names {
        if let Some(region) = name.strip_prefix("arn:").and_then(|a| a.split(':').nth(2)) {
            let Some(index) = assembly.stacks.iter().position(|s| s.region == region) else {
                return Err(refused(format!(
                    "--change-set {name} is in region {region}, which this deploy does not cover ({}); pass --region {region}",
                    deployment.regions.join(", ")
                )));
            };
            chosen.push((index, name.clone()));
        } else {
            chosen.extend((0..assembly.stacks.len()).map(|i| (i, name.clone())));
        }
    }
    let mut reviewed: Vec<Reviewed> = Vec::new();
    for (index, name) in chosen {
        let r = check(&sessions[index], &assembly.stacks[index].name, &name).await?;
        if reviewed.iter().any(|o| o.index == index) {
            return Err(refused(format!(
                "two change sets name {} ({}); pass one per stack",
                r.0, sessions[index].region
            )));
        }
        reviewed.push(Reviewed {
            index,
            session: sessions[index].clone(),
            stack: r.0,
            id: r.1,
            creating: r.2,
        });
    }
    // The order of a deploy: a stack after those whose outputs it imports.
    let plan = waves::plan(&assembly.stacks)?;
    let wave_of = |i: usize| plan.iter().position(|w| w.contains(&i)).unwrap_or(0);
    reviewed.sort_by_key(|r| (wave_of(r.index), r.index));
    let allowed: BTreeSet<String> = opts.allow_replace.iter().cloned().collect();
    let mut changes = Vec::new();
    for r in &reviewed {
        let found = stacks::change_set_changes(&r.session, &r.stack, &r.id)
            .await?
            .unwrap_or_default();
        println!("{} ({}): change set {}", r.stack, r.session.region, r.id);
        print!("{}", diff::render(&found));
        let losses = guards::data_loss(&found, &allowed);
        if !losses.is_empty() {
            return Err(Exit::new(
                exit::REFUSED,
                format!(
                    "refusing to execute the change set of {}: stateful resources would lose their data: {}; pass --allow-replace <logical id> for each one to accept the loss",
                    r.stack,
                    losses
                        .iter()
                        .map(|l| format!("{} ({})", l.logical_id, l.resource_type))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .into());
        }
        crate::report::changes(&r.stack, &r.session.region, r.creating, Some(&found), &[]);
        crate::report::record(&r.stack, &r.session.region, |s| {
            s.change_set = Some(r.id.clone())
        });
        changes.push(found);
    }
    // What the outputs were, so only those the execution creates or
    // changes are printed.
    let stacks_of = || {
        assembly
            .stacks
            .iter()
            .zip(&sessions)
            .map(|(stack, s)| (s, stack.name.as_str(), stack.nested.as_slice()))
    };
    let before = crate::commands::outputs_of(stacks_of()).await?;
    for (r, found) in reviewed.iter().zip(&changes) {
        execute(r, found, &allowed, opts).await?;
    }
    let outputs = crate::commands::outputs_of(stacks_of()).await?;
    crate::commands::print_and_write_outputs(&outputs, &before, &opts.outputs_file)?;
    if opts.run_after_deploy {
        for step in crate::commands::after_deploy_plan(&assembly.stacks)
            .into_iter()
            .filter(|step| reviewed.iter().any(|r| r.index == step.stack_index))
        {
            crate::commands::run_after_deploy(&sessions[step.stack_index], &step).await?;
        }
    }
    let id = crate::release::record(platform, deployment, connection).await?;
    crate::report::release(&id);
    println!(
        "release {id} recorded: `tp promote --from {}` deploys the same templates elsewhere",
        deployment.suffix
    );
    Ok(exit::OK)
}

/// The change set `name` of `stack`, if it can be executed: its stack,
/// id, and whether executing it creates the stack.
async fn check(s: &Session, stack: &str, name: &str) -> anyhow::Result<(String, String, bool)> {
    let mut request = s.cfn.describe_change_set().change_set_name(name);
    if !name.starts_with("arn:") {
        request = request.stack_name(stack);
    }
    let out = match request.send().await {
        Ok(out) => out,
        Err(e)
            if e.as_service_error().is_some_and(|se| {
                se.is_change_set_not_found_exception()
                    || se
                        .meta()
                        .message()
                        .is_some_and(|m| m.contains("does not exist"))
            }) =>
        {
            return Err(refused(format!(
                "{stack} ({}) has no change set {name}: `tp deploy --no-execute` creates one and prints its id",
                s.region
            )));
        }
        Err(e) => return Err(s.error(&format!("describe change set {name} of {stack}"), e)),
    };
    let owner = out.stack_name().unwrap_or(stack).to_owned();
    if owner != stack {
        return Err(refused(format!(
            "change set {name} is of stack {owner}, not of {stack}, this deploy's stack in {}",
            s.region
        )));
    }
    let id = out.change_set_id().unwrap_or(name).to_owned();
    let deployed = stacks::find(s, stack).await?;
    let state = deployed.as_ref().map(stacks::status);
    let changed = deployed
        .as_ref()
        .and_then(|d| d.last_updated_time().or(d.creation_time()));
    let found = Found {
        status: out.status().map(|x| x.as_str()).unwrap_or("UNKNOWN"),
        execution: out
            .execution_status()
            .map(|x| x.as_str())
            .unwrap_or("UNKNOWN"),
        stack: state,
        moved_on: matches!((changed, out.creation_time()), (Some(c), Some(made)) if c > made),
    };
    if let Some(why) = not_executable(&found) {
        return Err(refused(format!(
            "change set {name} of {stack} ({}) cannot run: {why}; review a new one with `tp deploy --no-execute`",
            s.region
        )));
    }
    let state = state.unwrap_or_default();
    Ok((owner, id, state == "REVIEW_IN_PROGRESS"))
}

/// What is known of a change set and its stack.
struct Found<'a> {
    status: &'a str,
    execution: &'a str,
    /// The stack's status; `None`: the stack is gone.
    stack: Option<&'a str>,
    /// The stack changed after the change set was created.
    moved_on: bool,
}

/// Why a change set cannot be executed as it was reviewed, if it cannot.
fn not_executable(found: &Found<'_>) -> Option<String> {
    if found.status != "CREATE_COMPLETE" || found.execution != "AVAILABLE" {
        return Some(format!(
            "it is {}, execution {}: only a CREATE_COMPLETE change set whose execution is AVAILABLE can run",
            found.status, found.execution
        ));
    }
    let Some(state) = found.stack else {
        return Some("the stack is gone".to_owned());
    };
    if stacks::in_progress(state) {
        return Some(format!("the stack is busy ({state})"));
    }
    // A stack awaiting its first change set was made with it.
    if found.moved_on && state != "REVIEW_IN_PROGRESS" {
        return Some(format!(
            "the stack moved on since it was created (it is {state}, changed later)"
        ));
    }
    None
}

/// Executes one change set and watches it to the end; the stack policy
/// protects the stateful resources not allowed to go, as in `tp deploy`.
async fn execute(
    r: &Reviewed,
    changes: &[diff::ResourceChange],
    allowed: &BTreeSet<String>,
    opts: &DeployOptions,
) -> anyhow::Result<()> {
    let s = &r.session;
    if !r.creating {
        let current = stacks::deployed_template(s, &r.stack).await?;
        stacks::set_stack_policy(s, &r.stack, &guards::stack_policy(&current, allowed)).await?;
    }
    let status = crate::commands::run_change_set(s, &r.stack, &r.id, changes, opts).await?;
    let deployed = stacks::deployed_template(s, &r.stack).await?;
    stacks::set_stack_policy(s, &r.stack, &guards::stack_policy(&deployed, allowed)).await?;
    crate::progress::println(&format!("{} ({}): {status}", r.stack, s.region));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(status: &'static str, execution: &'static str) -> Found<'static> {
        Found {
            status,
            execution,
            stack: Some("UPDATE_COMPLETE"),
            moved_on: false,
        }
    }

    #[test]
    fn a_reviewed_change_set_of_a_stack_that_stayed_put_runs() {
        assert_eq!(not_executable(&found("CREATE_COMPLETE", "AVAILABLE")), None);
        let first = Found {
            stack: Some("REVIEW_IN_PROGRESS"),
            moved_on: true,
            ..found("CREATE_COMPLETE", "AVAILABLE")
        };
        assert_eq!(not_executable(&first), None);
    }

    #[test]
    fn an_executed_failed_or_pending_change_set_is_refused_with_its_state() {
        for (status, execution) in [
            ("CREATE_COMPLETE", "EXECUTE_COMPLETE"),
            ("FAILED", "UNAVAILABLE"),
            ("CREATE_IN_PROGRESS", "UNAVAILABLE"),
            ("CREATE_COMPLETE", "OBSOLETE"),
        ] {
            let why = not_executable(&found(status, execution)).unwrap();
            assert!(why.contains(status) && why.contains(execution), "{why}");
        }
    }

    #[test]
    fn a_stack_that_moved_on_is_busy_or_gone_is_refused() {
        let moved = Found {
            moved_on: true,
            ..found("CREATE_COMPLETE", "AVAILABLE")
        };
        assert!(not_executable(&moved).unwrap().contains("moved on"));
        let busy = Found {
            stack: Some("UPDATE_IN_PROGRESS"),
            ..found("CREATE_COMPLETE", "AVAILABLE")
        };
        assert!(not_executable(&busy).unwrap().contains("busy"));
        let gone = Found {
            stack: None,
            ..found("CREATE_COMPLETE", "AVAILABLE")
        };
        assert!(not_executable(&gone).unwrap().contains("gone"));
    }
}
