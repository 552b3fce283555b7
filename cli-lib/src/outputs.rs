//! `tp outputs`: an environment's stack outputs, read from CloudFormation
//! (DescribeStacks, a split stack's nested stacks included) or, offline,
//! from the outputs file the last deploy wrote (`--from-file`).

use std::collections::BTreeMap;
use std::path::Path;

use futures_util::future::join_all;
use platform_core::synth::Assembly;
use serde_json::Value;

use crate::aws::{Connection, Session};
use crate::exit::{self, Exit};

type Outputs = BTreeMap<String, BTreeMap<String, String>>;

/// Reads the outputs of every stack of `assembly` from the stacks, prints
/// them and records them for `--json`; fails with [`exit::NOT_DEPLOYED`]
/// naming the stacks that do not run a deploy's resources.
pub async fn from_stacks(assembly: &Assembly, connection: &Connection) -> anyhow::Result<u8> {
    crate::report::source("stacks");
    let sessions = Session::for_stacks(&assembly.stacks, connection).await?;
    let read = join_all(
        assembly
            .stacks
            .iter()
            .zip(&sessions)
            .map(|(stack, s)| crate::commands::stack_outputs(s, &stack.name, &stack.nested)),
    )
    .await;
    let mut found = Outputs::new();
    let mut missing = Vec::new();
    for (stack, read) in assembly.stacks.iter().zip(read) {
        match read? {
            Some(outputs) => {
                crate::report::record(&stack.name, &stack.region, |r| {
                    r.outputs = Some(outputs.clone())
                });
                found.insert(stack.name.clone(), outputs);
            }
            None => missing.push(format!("{} ({})", stack.name, stack.region)),
        }
    }
    finish(assembly, &found, &missing, "deploy it with `tp deploy`")
}

/// Reads the outputs of every stack of `assembly` from `file` (a JSON
/// object of stack name to outputs, as `tp deploy` writes it).
pub fn from_file(assembly: &Assembly, file: &Path) -> anyhow::Result<u8> {
    crate::report::source("file");
    let suffix = assembly.deployment.suffix.as_str();
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Exit::new(
                exit::NOT_DEPLOYED,
                format!(
                    "no outputs file {}: `tp deploy --suffix {suffix}` writes it; read the stacks instead without --from-file, or name the file with --outputs-file",
                    file.display()
                ),
            )
            .into());
        }
        Err(e) => anyhow::bail!("cannot read {}: {e}", file.display()),
    };
    let all: BTreeMap<String, Value> = serde_json::from_str(&text).map_err(|e| {
        Exit::new(
            exit::INVALID_INPUT,
            format!(
                "{} is not an outputs file (a JSON object of stack name to outputs): {e}",
                file.display()
            ),
        )
    })?;
    let mut found = Outputs::new();
    let mut missing = Vec::new();
    for stack in &assembly.stacks {
        let outputs = all.get(&stack.name).and_then(Value::as_object).map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let v = v
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string());
                    (k.clone(), v)
                })
                .collect::<BTreeMap<_, _>>()
        });
        match outputs {
            Some(outputs) => {
                crate::report::record(&stack.name, &stack.region, |r| {
                    r.outputs = Some(outputs.clone())
                });
                found.insert(stack.name.clone(), outputs);
            }
            None => {
                crate::report::record(&stack.name, &stack.region, |_| {});
                missing.push(format!("{} ({})", stack.name, stack.region));
            }
        }
    }
    finish(
        assembly,
        &found,
        &missing,
        &format!("{} has no entry for it", file.display()),
    )
}

/// Prints what was found; fails naming what was not.
fn finish(
    assembly: &Assembly,
    found: &Outputs,
    missing: &[String],
    why: &str,
) -> anyhow::Result<u8> {
    for stack in &assembly.stacks {
        let Some(values) = found.get(&stack.name) else {
            continue;
        };
        println!("Outputs of {} ({}):", stack.name, stack.region);
        let width = values.keys().map(String::len).max().unwrap_or(0);
        for (k, v) in values {
            println!("  {k:width$}  {v}");
        }
    }
    if missing.is_empty() {
        return Ok(exit::OK);
    }
    let suffix = assembly.deployment.suffix.as_str();
    Err(Exit::new(
        exit::NOT_DEPLOYED,
        format!(
            "environment `{suffix}` is not deployed in {}: {why} (or ask only for the regions deployed, with --region)",
            missing.join(", ")
        ),
    )
    .into())
}
