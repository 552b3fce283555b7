//! `tp-bench versus`: `tp synth` beside `cdk synth` of the same platform.
//!
//! `bench/cdk` declares the trading platform as an AWS CDK v2 app (its
//! `app.mjs` says what it mirrors). Each round runs every command once, in
//! turn, so both tools see the same machine state; the first round warms
//! the page cache and node's compile cache and is not counted. Each tool
//! writes into the same output directory every round, as a developer's
//! repeated synth does. Resources are counted from the templates each run
//! wrote.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{ChildUsage, median, ms, run_child};

/// The CDK app's stack of the region `tp synth --region` writes.
const ONE_REGION: &str = "us-east-1";
const CDK_ONE_STACK: &str = "trading-platform-us-east-1-dev";

/// One command of the comparison and where its templates land.
struct Case {
    label: String,
    command: Command,
    out: PathBuf,
    /// The one stack whose template it is measured for, when the tool
    /// writes others too (a CDK app synthesizes every stack it declares).
    stack: Option<&'static str>,
    samples: Vec<ChildUsage>,
}

impl Case {
    fn new(label: String, command: Command, out: PathBuf, stack: Option<&'static str>) -> Self {
        Case {
            label,
            command,
            out,
            stack,
            samples: Vec::new(),
        }
    }
}

fn tp_synth(tp: &Path, out: &Path, regions: &[&str]) -> Command {
    let mut command = Command::new(tp);
    command.args(["synth", "--suffix", "bench"]);
    for region in regions {
        command.args(["--region", region]);
    }
    command.arg("--out").arg(out);
    command
}

fn cdk_synth(cdk_dir: &Path, stack: Option<&str>) -> Command {
    let mut command = Command::new("npx");
    command.current_dir(cdk_dir).args(["cdk", "synth", "-q"]);
    command.args(stack);
    // `cdk.json` already turns telemetry off; the version check also runs
    // only on a terminal. Both stay off whatever the environment says, so
    // the figures never include a network call.
    command
        .env("CDK_DISABLE_CLI_TELEMETRY", "1")
        .env("CDK_DISABLE_VERSION_CHECK", "1");
    command
}

/// CloudFormation resources in the templates under `out` (only `stack`'s,
/// if given). A nested stack counts by what its own template holds, not as
/// a resource of its parent.
fn resources(out: &Path, stack: Option<&str>) -> Result<usize, String> {
    let mut total = 0;
    let entries = std::fs::read_dir(out).map_err(|e| format!("{}: {e}", out.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let wanted = match stack {
            Some(stack) => name.strip_suffix(".template.json") == Some(stack),
            None => name.ends_with(".template.json"),
        };
        if !wanted {
            continue;
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let template: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let Some(resources) = template["Resources"].as_object() else {
            return Err(format!("{}: no Resources", path.display()));
        };
        total += resources
            .values()
            .filter(|r| r["Type"] != "AWS::CloudFormation::Stack")
            .count();
    }
    Ok(total)
}

/// Runs `case` once; its standard error goes to `log`, shown if it fails.
fn run(case: &mut Case, log: &Path) -> Result<ChildUsage, String> {
    let file = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    case.command.stderr(file);
    run_child(&mut case.command).map_err(|e| {
        let output = std::fs::read_to_string(log).unwrap_or_default();
        format!("{}: {e}\n{output}", case.label)
    })
}

fn median_of(samples: &[ChildUsage], field: impl Fn(&ChildUsage) -> Duration) -> Duration {
    median(samples.iter().map(field).collect())
}

/// Runs every case once per round, in turn; round 0 is the warm-up. The
/// resources each case's last run synthesized.
fn alternate(cases: &mut [Case], runs: usize, log: &Path) -> Result<Vec<usize>, String> {
    let mut counts = vec![0; cases.len()];
    for round in 0..=runs {
        for (case, count) in cases.iter_mut().zip(&mut counts) {
            let usage = run(case, log)?;
            // Counted after each run, before another case overwrites a
            // shared directory.
            *count = resources(&case.out, case.stack)?;
            if round > 0 {
                case.samples.push(usage);
            }
        }
    }
    Ok(counts)
}

pub fn versus(tp: &Path, cdk_dir: &Path, runs: usize) -> Result<(), String> {
    if !cdk_dir.join("node_modules").is_dir() {
        return Err(format!(
            "{} has no node_modules: run `npm ci` there first (scripts/bench-cdk does)",
            cdk_dir.display()
        ));
    }
    let scratch = std::env::temp_dir().join(format!("tp-bench-versus-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let cdk_out = cdk_dir.join("cdk.out");
    let mut cases = [
        Case::new(
            format!("`tp synth --suffix bench --region {ONE_REGION}`"),
            tp_synth(tp, &scratch.join("tp-one"), &[ONE_REGION]),
            scratch.join("tp-one"),
            None,
        ),
        Case::new(
            "`tp synth --suffix bench` (every region)".into(),
            tp_synth(tp, &scratch.join("tp-all"), &[]),
            scratch.join("tp-all"),
            None,
        ),
        Case::new(
            format!("`npx cdk synth -q {CDK_ONE_STACK}`"),
            cdk_synth(cdk_dir, Some(CDK_ONE_STACK)),
            cdk_out.clone(),
            Some(CDK_ONE_STACK),
        ),
        Case::new(
            "`npx cdk synth -q` (every stack)".into(),
            cdk_synth(cdk_dir, None),
            cdk_out,
            None,
        ),
    ];

    let counts = alternate(&mut cases, runs, &scratch.join("stderr.log"));
    let _ = std::fs::remove_dir_all(&scratch);
    let counts = counts?;

    println!(
        "`tp synth` beside `cdk synth` of the same platform (`bench/cdk`, AWS CDK v2), whole processes, alternating, median of {runs} after a warm-up:"
    );
    println!();
    println!("| command | median wall ms | user ms | sys ms | CloudFormation resources |");
    println!("|---|---:|---:|---:|---:|");
    let mut wall = Vec::new();
    for (case, count) in cases.iter().zip(&counts) {
        let median_wall = median_of(&case.samples, |u| u.wall);
        wall.push(median_wall.as_secs_f64());
        println!(
            "| {} | {} | {} | {} | {count} |",
            case.label,
            ms(median_wall),
            ms(median_of(&case.samples, |u| u.user)),
            ms(median_of(&case.samples, |u| u.sys)),
        );
    }
    let [tp_one, tp_all, cdk_one, cdk_all] = wall[..] else {
        unreachable!("four cases")
    };
    println!();
    println!(
        "`cdk synth` over `tp synth`, median wall time: one region {:.0}x, every region {:.0}x; `npx cdk synth -q` over `tp synth --region {ONE_REGION}`: {:.0}x.",
        cdk_one / tp_one,
        cdk_all / tp_all,
        cdk_all / tp_one,
    );
    println!();
    Ok(())
}
