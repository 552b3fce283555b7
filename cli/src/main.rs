//! `tp`: the trading platform's command-line tool.
//!
//! Argument parsing and terminal output only; synthesis lives in
//! `platform-core`, the platform itself in `platform-def`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use platform_core::spec::Platform;
use platform_core::synth::{self, Deployment};

/// Exit code for input that breaks a rule (a bad suffix, an unknown profile).
const EXIT_INVALID_INPUT: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "tp",
    version,
    about = "Synthesize and deploy the trading platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write each stack's CloudFormation template, the code assets and a
    /// manifest into the output directory.
    Synth {
        #[command(flatten)]
        target: Target,
        /// Output directory; replaced as a whole, only if it holds a previous synth.
        #[arg(long, default_value = "tp.out")]
        out: PathBuf,
        /// Synthesize the promotion pipeline's stack instead of the platform's.
        #[arg(long)]
        pipeline: bool,
    },
    /// List the stacks the platform produces for a suffix.
    List {
        #[command(flatten)]
        target: Target,
    },
    /// Draw the platform: resources grouped by network placement or kind,
    /// references and grants (labelled with the access level) as arrows.
    Graph {
        /// mermaid, dot, or svg (through Graphviz's `dot`).
        #[arg(long, default_value = "mermaid")]
        format: cli::graph::Format,
        /// network (each network with what runs in it, the rest by layer) or kind.
        #[arg(long = "group-by", default_value = "network")]
        group_by: cli::graph::Grouping,
    },
}

#[derive(Debug, clap::Args)]
struct Target {
    /// Environment suffix ending every physical name: lowercase letters and
    /// digits, up to the maximum the platform declares.
    #[arg(long)]
    suffix: String,
    /// Sizing profile (dev, staging, prod); defaults to the first declared.
    #[arg(long)]
    profile: Option<String>,
    /// Region to synthesize (repeatable); defaults to every declared region.
    #[arg(long = "region")]
    regions: Vec<String>,
}

/// A rule the user's input breaks; reported with exit code 2.
#[derive(Debug)]
struct InvalidInput(String);

impl std::fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidInput {}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.downcast_ref::<InvalidInput>().is_some() {
                ExitCode::from(EXIT_INVALID_INPUT)
            } else if let Some(cli::graph::SvgError::DotMissing) = err.downcast_ref() {
                ExitCode::from(cli::graph::EXIT_DOT_MISSING)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let platform = platform_def::platform();
    match cli.command {
        Command::Synth {
            target,
            out,
            pipeline,
        } => {
            let assembly = if pipeline {
                let suffix =
                    platform_core::naming::Suffix::new(&target.suffix, platform.suffix_max)
                        .map_err(|e| {
                            InvalidInput(format!("invalid --suffix: {e} [name-suffix]"))
                        })?;
                synth::synth_pipeline(&platform, &suffix)
                    .map_err(|e| InvalidInput(e.to_string()))?
            } else {
                let deployment = deployment(&platform, &target)?;
                synth::synth(&platform, &deployment)?
            };
            assembly
                .write_to(&out)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
            for stack in &assembly.stacks {
                println!(
                    "{}  {} resources  {} bytes  {}",
                    stack.name,
                    stack.template.resources.len(),
                    stack.body.len(),
                    display_path(&out.join(stack.template_file()))
                );
            }
            Ok(())
        }
        Command::Graph { format, group_by } => {
            print!("{}", cli::graph::render(&platform, format, group_by)?);
            Ok(())
        }
        Command::List { target } => {
            let deployment = deployment(&platform, &target)?;
            let assembly = synth::synth(&platform, &deployment)?;
            for stack in &assembly.stacks {
                println!(
                    "{}  {}  {} resources  profile {}",
                    stack.name,
                    stack.region,
                    stack.template.resources.len(),
                    deployment.profile
                );
            }
            Ok(())
        }
    }
}

/// Validates the command line against the platform before anything happens.
fn deployment(platform: &Platform, target: &Target) -> anyhow::Result<Deployment> {
    Deployment::new(
        platform,
        &target.suffix,
        target.profile.as_deref(),
        &target.regions,
    )
    .map_err(|e| InvalidInput(e.to_string()).into())
}

fn display_path(path: &Path) -> String {
    path.display().to_string()
}
