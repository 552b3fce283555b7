//! The `tp` command line: its arguments, their checks against the
//! platform, and each command handed to the module that does it. Here
//! rather than in the binary, which only hands over the platform: an edit
//! of the definition rebuilds the binary, and this much parsing code
//! compiled there would be compiled again on every edit.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::aws::Connection;
use crate::commands::{self, Approval, DeployOptions};
use crate::exit::{self, Exit};
use crate::stacks;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use platform_core::spec::Platform;
use platform_core::synth::{self, Deployment};

#[derive(Debug, Parser)]
#[command(
    name = "tp",
    version,
    about = "Synthesize and deploy the trading platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Follow each AWS error with the SDK's full error (the request, the
    /// response, every cause).
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    verbose: bool,
    /// Print only errors and questions: no progress, changes or outputs
    /// (the outputs file is still written).
    #[arg(short, long, global = true)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write each stack's CloudFormation template, the code assets and a
    /// manifest into the output directory.
    Synth {
        #[command(flatten)]
        target: Target,
        /// Output directory. A synth replaces only what the previous one
        /// wrote there (its manifest lists it) and keeps the deploy's
        /// outputs files and local environments; a directory holding
        /// anything else is refused (exit 2).
        #[arg(long, default_value = "tp.out")]
        out: PathBuf,
        /// Synthesize the promotion pipeline's stack instead of the platform's.
        #[arg(long)]
        pipeline: bool,
        /// Print one JSON document on standard output (the README shows
        /// its shape); everything else goes to standard error.
        #[arg(long)]
        json: bool,
    },
    /// List the stacks the platform produces for a suffix (no AWS call).
    List {
        #[command(flatten)]
        target: Target,
    },
    /// Draw the platform: resources grouped by network placement or kind,
    /// references and grants (labelled with the access level) as arrows.
    Graph {
        /// mermaid, dot, or svg (through Graphviz's `dot`).
        #[arg(long, default_value = "mermaid")]
        format: crate::graph::Format,
        /// network (each network with what runs in it, the rest by layer) or kind.
        #[arg(long = "group-by", default_value = "network")]
        group_by: crate::graph::Grouping,
    },
    /// Deploy the bootstrap stack of an account: the asset bucket deploys
    /// upload to and the SSM parameter naming it, the deploy role trusted
    /// accounts assume, CloudFormation's execution role, the permissions
    /// boundary, API Gateway's logging role, and what outlives
    /// environments: the backup vault, its key and the retained data key.
    Bootstrap {
        /// The account to bootstrap (12 digits); the credentials must be in
        /// it. Defaults to the credentials' account.
        #[arg(long)]
        account: Option<String>,
        /// A tooling account whose principals may assume the deploy role
        /// (repeatable), like `cdk bootstrap --trust`.
        #[arg(long = "trust", value_name = "ACCOUNT")]
        trust: Vec<String>,
        /// A role or user ARN that may assume the deploy role (repeatable).
        #[arg(long = "operator", value_name = "ARN")]
        operators: Vec<String>,
        /// An environment suffix deployed into the account (repeatable);
        /// defaults to the profiles whose account it is.
        #[arg(long = "suffix")]
        suffixes: Vec<String>,
        /// The pipeline stack's suffix, covered where the pipeline runs.
        #[arg(long, default_value = "cicd")]
        pipeline_suffix: String,
        /// Write the bootstrap stacks' templates into DIR (`tp-bootstrap`
        /// and `tp-bootstrap-access` per region) and list the actions that
        /// can only be granted on `*`, without calling AWS (needs
        /// `--account`), like `cdk bootstrap --show-template`.
        #[arg(long, value_name = "DIR")]
        show_template: Option<PathBuf>,
        /// Region to bootstrap (repeatable); defaults to every declared region.
        #[arg(long = "region")]
        regions: Vec<String>,
    },
    /// Synthesize, upload, create a change set, show it, apply the guards,
    /// execute it and watch it to the end; then print and save the outputs.
    Deploy {
        #[command(flatten)]
        target: Target,
        /// When to ask before executing: never, broadening (IAM or
        /// security-group access widens) or any-change.
        #[arg(long, value_enum, default_value = "broadening")]
        require_approval: Approval,
        /// Accept that this stateful resource (logical id) is replaced or
        /// removed (repeatable).
        #[arg(long = "allow-replace", value_name = "LOGICAL_ID")]
        allow_replace: Vec<String>,
        /// Create and show the change set, but do not execute it.
        #[arg(long)]
        no_execute: bool,
        /// Where to write the stacks' outputs [default: tp.out/outputs-<suffix>.json].
        #[arg(long)]
        outputs_file: Option<PathBuf>,
        /// The IAM role CloudFormation changes the stacks with. Default:
        /// through the profile's account's deploy role, that account's
        /// execution role (`tp-cfn-exec-<region>`); else the caller's
        /// credentials.
        #[arg(long)]
        role_arn: Option<String>,
        /// Deploy the environment `tp synth` wrote into DIR (the
        /// pipeline's release) instead of synthesizing; every file is
        /// checked against its manifest first. --suffix (and --profile, if
        /// given) must be the ones DIR was synthesized with.
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
        /// Execute a change set reviewed earlier instead of creating one
        /// (repeatable): an id `--no-execute` printed (one stack's), or a
        /// name each stack of the regions has. Refused (exit 2) when it is
        /// not there, not CREATE_COMPLETE and AVAILABLE, or the stack
        /// changed since it was created.
        #[arg(long = "change-set", value_name = "NAME", conflicts_with_all = ["no_execute", "from"])]
        change_sets: Vec<String>,
        /// Print one JSON document on standard output (the README shows
        /// its shape); everything else goes to standard error.
        #[arg(long)]
        json: bool,
    },
    /// Show what a deploy would change, without changing anything.
    Diff {
        #[command(flatten)]
        target: Target,
        /// Exit with 1 when something would change.
        #[arg(long)]
        fail: bool,
        /// Print one JSON document on standard output (the README shows
        /// its shape); everything else goes to standard error.
        #[arg(long)]
        json: bool,
    },
    /// Delete the stacks of a suffix, emptying the versioned buckets they own.
    Destroy {
        #[command(flatten)]
        target: Target,
        /// Do not ask for confirmation (required without a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Show the deployed state of each stack of a suffix.
    Status {
        #[command(flatten)]
        target: Target,
        /// Print one JSON document on standard output (the README shows
        /// its shape); everything else goes to standard error.
        #[arg(long)]
        json: bool,
    },
    /// Detect drift: resources changed outside CloudFormation.
    Drift {
        #[command(flatten)]
        target: Target,
        /// Print one JSON document on standard output (the README shows
        /// its shape); everything else goes to standard error.
        #[arg(long)]
        json: bool,
    },
    /// Print the stacks' outputs, read from CloudFormation; exits 13 when
    /// a stack asked for is not deployed.
    Outputs {
        #[command(flatten)]
        target: Target,
        /// Read the outputs file the last deploy wrote instead of calling AWS.
        #[arg(long)]
        from_file: bool,
        /// The outputs file --from-file reads [default: tp.out/outputs-<suffix>.json].
        #[arg(long, requires = "from_file")]
        outputs_file: Option<PathBuf>,
        /// Print one JSON document on standard output (the README shows
        /// its shape); everything else goes to standard error.
        #[arg(long)]
        json: bool,
    },
    /// Print a completion script for a shell: `tp completions bash >
    /// /etc/bash_completion.d/tp`, `tp completions zsh > ~/.zfunc/_tp`,
    /// `tp completions fish > ~/.config/fish/completions/tp.fish`.
    Completions { shell: clap_complete::Shell },
    /// Deploy to one environment exactly what another runs: the templates
    /// its last deploy recorded for the target environment, not a new synth.
    Promote {
        /// The environment (suffix) whose release to promote.
        #[arg(long)]
        from: String,
        /// The environment (suffix) to deploy it to.
        #[arg(long)]
        to: String,
        /// Region to promote in (repeatable); defaults to every declared region.
        #[arg(long = "region")]
        regions: Vec<String>,
        /// Deploy without asking (required without a terminal).
        #[arg(long)]
        yes: bool,
        /// Accept that this stateful resource (logical id) is replaced or
        /// removed (repeatable).
        #[arg(long = "allow-replace", value_name = "LOGICAL_ID")]
        allow_replace: Vec<String>,
        /// The IAM role CloudFormation changes the stacks with.
        #[arg(long)]
        role_arn: Option<String>,
    },
    /// Run one region of the platform on this machine: moto for AWS, a real
    /// PostgreSQL for Aurora, each function's code under Node, IAM
    /// enforced, and the API's front door, event sources, rules and
    /// schedules driven from the template.
    Local {
        #[command(subcommand)]
        command: LocalCommand,
        /// Where local environments keep their state.
        #[arg(long, default_value = "tp.out", global = true)]
        out: PathBuf,
    },
    /// Check a deployed environment: each stack complete, each api's health
    /// check path answering 2xx, no guard alarm in ALARM, every dead-letter
    /// queue empty.
    Verify {
        #[command(flatten)]
        target: Target,
        /// Base URL to send the health requests to instead of the api's
        /// deployed URL (a custom domain, or a local endpoint).
        #[arg(long)]
        api_url: Option<String>,
        /// Print one JSON document on standard output (the README shows
        /// its shape); everything else goes to standard error.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum LocalCommand {
    /// Deploy the region's stack into a local emulator and start
    /// everything; print the environment (API URL, endpoint, caller
    /// credentials, database URL) and write it to tp.out/local-<suffix>.env.
    Up {
        #[arg(long)]
        suffix: String,
        /// Sizing profile; defaults to the first declared.
        #[arg(long)]
        profile: Option<String>,
        /// The region to run; defaults to the first declared.
        #[arg(long)]
        region: Option<String>,
        /// Retry an SQS message a function failed after this long (e.g.
        /// `2s`) instead of after the queue's visibility timeout, as AWS does.
        #[arg(long)]
        retry_delay: Option<String>,
    },
    /// Stop everything an environment started and remove its state.
    Down {
        #[arg(long)]
        suffix: Option<String>,
    },
    /// Say what runs.
    Status {
        #[arg(long)]
        suffix: Option<String>,
    },
    /// Run one function with an event (default `{}`) and print its result.
    Invoke {
        /// Declared (`health_monitor`), kebab-case or physical name.
        function: String,
        /// A JSON file with the event.
        #[arg(long)]
        event: Option<PathBuf>,
        #[arg(long)]
        suffix: Option<String>,
    },
    /// Print a function's log group.
    Logs {
        function: String,
        #[arg(long)]
        suffix: Option<String>,
    },
    /// Send a SigV4-signed request to the API as the environment's caller.
    Call {
        /// GET, POST, ...
        method: String,
        /// The path under the stage: `/trades`.
        path: String,
        /// The body: `@file.json` or the text itself.
        #[arg(long)]
        data: Option<String>,
        #[arg(long)]
        suffix: Option<String>,
    },
    /// Stop or start the environment's PostgreSQL: a database outage on purpose.
    Aurora {
        #[arg(value_parser = ["stop", "start"])]
        action: String,
        #[arg(long)]
        suffix: Option<String>,
    },
    /// The daemon `up` starts (not for direct use).
    #[command(hide = true)]
    Serve {
        #[arg(long)]
        suffix: String,
        #[arg(long)]
        profile: Option<String>,
        #[arg(long)]
        region: String,
        #[arg(long)]
        retry_delay: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
struct Target {
    /// Environment suffix ending every physical name.
    #[arg(long)]
    suffix: String,
    /// Sizing profile (dev, staging, prod); defaults to the first declared.
    #[arg(long)]
    profile: Option<String>,
    /// Region to act in (repeatable); defaults to every declared region.
    /// Each command says what it does there.
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

/// What `--region` does on each command that takes it.
const REGION_HELP: &[(&str, &str)] = &[
    (
        "synth",
        "Region to write the stack of (repeatable); defaults to every declared region",
    ),
    (
        "list",
        "Region to list the stack of (repeatable); defaults to every declared region",
    ),
    (
        "deploy",
        "Region to deploy (repeatable): its stack is changed, the others are left as they are; a stack that imports from the global stack needs it deployed. Defaults to every declared region",
    ),
    (
        "diff",
        "Region whose stack to compare with what is deployed (repeatable); defaults to every declared region",
    ),
    (
        "destroy",
        "Region whose stack to delete (repeatable); defaults to every declared region",
    ),
    (
        "status",
        "Region whose stack's state to show (repeatable); defaults to every declared region",
    ),
    (
        "drift",
        "Region whose stack to check for drift (repeatable); defaults to every declared region",
    ),
    (
        "outputs",
        "Region whose stack's outputs to print (repeatable); defaults to every declared region",
    ),
    (
        "verify",
        "Region to check (repeatable); defaults to every declared region, or a local environment's region",
    ),
    (
        "bootstrap",
        "Region to bootstrap (repeatable); defaults to every declared region",
    ),
    (
        "promote",
        "Region to promote in (repeatable); defaults to every declared region",
    ),
];

/// `tp`'s command line, with what the platform decides: the longest
/// suffix it allows, and what `--region` does on each command.
fn command_line(platform: &Platform) -> clap::Command {
    let rule = platform_core::naming::suffix_rule(platform.suffix_max);
    let with_rule = move |arg: clap::Arg| {
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        arg.help(format!("{help}: {rule}"))
    };
    let mut cmd = Cli::command();
    let names: Vec<(String, bool, bool)> = cmd
        .get_subcommands()
        .map(|c| {
            let has = |id: &str| c.get_arguments().any(|a| a.get_id() == id);
            (c.get_name().to_owned(), has("suffix"), has("regions"))
        })
        .collect();
    for (name, suffix, regions) in names {
        let with_rule = with_rule.clone();
        cmd = cmd.mut_subcommand(&name, |mut c| {
            if suffix {
                c = c.mut_arg("suffix", with_rule.clone());
            }
            if name == "promote" {
                c = c
                    .mut_arg("from", with_rule.clone())
                    .mut_arg("to", with_rule.clone());
            }
            if name == "local" {
                let local: Vec<String> = c
                    .get_subcommands()
                    .filter(|l| l.get_arguments().any(|a| a.get_id() == "suffix"))
                    .map(|l| l.get_name().to_owned())
                    .collect();
                for l in local {
                    let with_rule = with_rule.clone();
                    c = c.mut_subcommand(l, |l| l.mut_arg("suffix", with_rule));
                }
            }
            if let Some((_, help)) = REGION_HELP.iter().find(|(n, _)| *n == name) {
                if regions {
                    c = c.mut_arg("regions", |a| a.help(*help));
                }
            }
            c
        });
    }
    cmd
}

/// The exit code of a failure.
fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<InvalidInput>().is_some() {
        exit::INVALID_INPUT
    } else if let Some(crate::graph::SvgError::DotMissing) = err.downcast_ref() {
        crate::graph::EXIT_DOT_MISSING
    } else if let Some(e) = err.downcast_ref::<Exit>() {
        e.code
    } else {
        exit::CHANGES
    }
}

/// Runs `tp` for `platform`: parses the command line, runs the command,
/// prints an error once and returns the exit code.
pub fn main(platform: Platform) -> ExitCode {
    let cli =
        Cli::from_arg_matches(&command_line(&platform).get_matches()).unwrap_or_else(|e| e.exit());
    // `--json`: the document is written to standard output as it was;
    // everything else the command prints goes to standard error.
    let json = cli.command.json().map(|(command, suffix)| {
        let stdout = crate::report::take_stdout();
        crate::report::enable();
        (command, suffix, stdout)
    });
    let result = run(cli, platform);
    let (code, error) = match &result {
        Ok(code) => (*code, None),
        Err(err) => {
            eprintln!("error: {err:#}");
            (exit_code(err), Some(format!("{err:#}")))
        }
    };
    if let Some((command, suffix, stdout)) = json {
        let document = crate::report::document(command, &suffix, code, error);
        if let Err(e) = crate::report::print(stdout, &document) {
            eprintln!("error: cannot print the JSON document: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::from(code)
}

impl Command {
    /// The command's name and suffix, with `--json`.
    fn json(&self) -> Option<(&'static str, String)> {
        let (name, target, json) = match self {
            Command::Synth { target, json, .. } => ("synth", target, json),
            Command::Deploy { target, json, .. } => ("deploy", target, json),
            Command::Diff { target, json, .. } => ("diff", target, json),
            Command::Status { target, json } => ("status", target, json),
            Command::Drift { target, json } => ("drift", target, json),
            Command::Outputs { target, json, .. } => ("outputs", target, json),
            Command::Verify { target, json, .. } => ("verify", target, json),
            _ => return None,
        };
        json.then(|| (name, target.suffix.clone()))
    }
}

fn run(cli: Cli, platform: Platform) -> anyhow::Result<u8> {
    crate::aws::set_verbose(cli.verbose);
    if cli.quiet {
        quiet()?;
    }
    if let Command::Completions { shell } = cli.command {
        clap_complete::generate(
            shell,
            &mut command_line(&platform),
            "tp",
            &mut std::io::stdout(),
        );
        return Ok(exit::OK);
    }
    // `tp local` runs its own emulator; every other command that calls AWS
    // checks the endpoint it would call first.
    if !matches!(
        cli.command,
        Command::Synth { .. }
            | Command::List { .. }
            | Command::Completions { .. }
            | Command::Graph { .. }
            | Command::Local { .. }
    ) {
        crate::preflight::endpoints().map_err(InvalidInput)?;
    }
    match cli.command {
        Command::Synth { .. } | Command::List { .. } | Command::Graph { .. } => {
            offline(&platform, cli.command)?;
            Ok(exit::OK)
        }
        Command::Bootstrap {
            account,
            trust,
            operators,
            suffixes,
            pipeline_suffix,
            show_template,
            regions,
        } => {
            for (flag, id) in account
                .iter()
                .map(|a| ("--account", a))
                .chain(trust.iter().map(|t| ("--trust", t)))
            {
                if !platform_core::accounts::is_account_id(id) {
                    return Err(InvalidInput(format!(
                        "{flag} `{id}` is not an AWS account id: 12 digits, like 111111111111"
                    ))
                    .into());
                }
            }
            for s in &suffixes {
                platform_core::naming::Suffix::new(s, platform.suffix_max)
                    .map_err(|e| InvalidInput(format!("invalid --suffix: {e} [name-suffix]")))?;
            }
            for r in &regions {
                if !platform.regions.contains(r) {
                    return Err(InvalidInput(format!(
                        "--region `{r}` is not one of the platform's regions ({}); declare it in `regions: [...]`",
                        platform.regions.join(", ")
                    ))
                    .into());
                }
            }
            let regions = if regions.is_empty() {
                platform.regions.clone()
            } else {
                regions
            };
            let request = commands::BootstrapRequest {
                account,
                trust,
                operators,
                suffixes,
                pipeline_suffix: Some(pipeline_suffix),
            };
            if let Some(dir) = show_template {
                let Some(account) = &request.account else {
                    return Err(InvalidInput(
                        "--show-template needs --account: the templates name the account's environments"
                            .into(),
                    )
                    .into());
                };
                commands::show_bootstrap(&platform, &regions, account, &request, &dir)?;
                return Ok(exit::OK);
            }
            with_aws(commands::bootstrap(
                &platform,
                &regions,
                &Connection::default(),
                &request,
            ))
        }
        Command::Deploy {
            target,
            require_approval,
            allow_replace,
            no_execute,
            outputs_file,
            role_arn,
            from,
            change_sets,
            json: _,
        } => {
            let deployment = deployment(&platform, &target)?;
            let suffix = deployment.suffix.to_string();
            let mut resume = format!("tp deploy --suffix {suffix}");
            if let Some(dir) = &from {
                resume.push_str(&format!(" --from {}", dir.display()));
            }
            if let Some(p) = &target.profile {
                resume.push_str(&format!(" --profile {p}"));
            }
            for r in &target.regions {
                resume.push_str(&format!(" --region {r}"));
            }
            let outputs_file = outputs_file
                .unwrap_or_else(|| PathBuf::from(format!("tp.out/outputs-{suffix}.json")));
            crate::preflight::writable_file("--outputs-file", &outputs_file)
                .map_err(InvalidInput)?;
            let opts = DeployOptions {
                approval: require_approval,
                allow_replace,
                no_execute,
                outputs_file,
                resume,
                role_arn,
                run_after_deploy: true,
            };
            if let Some(dir) = from {
                let expected = crate::artifact::Expected {
                    suffix: &suffix,
                    profile: target.profile.as_deref(),
                    regions: &target.regions,
                };
                let assembly = crate::artifact::load(&platform, &dir, expected)?;
                return with_aws(commands::deploy(&assembly, &Connection::default(), &opts));
            }
            if !change_sets.is_empty() {
                return with_aws(crate::reviewed::deploy(
                    &platform,
                    &deployment,
                    &connection(&platform, &deployment, "deploy"),
                    &change_sets,
                    &opts,
                ));
            }
            with_aws(crate::release::deploy_platform(
                &platform,
                &deployment,
                &connection(&platform, &deployment, "deploy"),
                &opts,
            ))
        }
        Command::Diff { target, fail, .. } => {
            let assembly = assembly(&platform, &target)?;
            let connection = connection(&platform, &assembly.deployment, "diff");
            let changed = with_aws(commands::diff(&assembly, &connection))?;
            Ok(if fail && changed {
                exit::CHANGES
            } else {
                exit::OK
            })
        }
        Command::Destroy { target, yes } => {
            let assembly = assembly(&platform, &target)?;
            let connection = connection(&platform, &assembly.deployment, "destroy");
            with_aws(commands::destroy(&assembly, &connection, yes))
        }
        Command::Status { target, .. } => {
            let assembly = assembly(&platform, &target)?;
            let connection = connection(&platform, &assembly.deployment, "status");
            with_aws(commands::status(&assembly, &connection))
        }
        Command::Drift { target, .. } => {
            let assembly = assembly(&platform, &target)?;
            let connection = connection(&platform, &assembly.deployment, "drift");
            with_aws(commands::drift(&assembly, &connection))
        }
        Command::Outputs {
            target,
            from_file,
            outputs_file,
            ..
        } => {
            let assembly = assembly(&platform, &target)?;
            if from_file {
                let file = outputs_file.unwrap_or_else(|| {
                    PathBuf::from(format!("tp.out/outputs-{}.json", target.suffix))
                });
                return crate::outputs::from_file(&assembly, &file);
            }
            let connection = connection(&platform, &assembly.deployment, "outputs");
            with_aws(crate::outputs::from_stacks(&assembly, &connection))
        }
        Command::Completions { .. } => unreachable!("answered before any check"),
        Command::Promote {
            from,
            to,
            regions,
            yes,
            allow_replace,
            role_arn,
        } => {
            for r in &regions {
                if !platform.regions.contains(r) {
                    return Err(InvalidInput(format!(
                        "--region `{r}` is not one of the platform's regions ({}) [name-region]",
                        platform.regions.join(", ")
                    ))
                    .into());
                }
            }
            for (flag, suffix) in [("--from", &from), ("--to", &to)] {
                platform_core::naming::Suffix::new(suffix, platform.suffix_max)
                    .map_err(|e| InvalidInput(format!("invalid {flag}: {e} [name-suffix]")))?;
            }
            if from == to {
                return Err(InvalidInput(format!(
                    "--from and --to are both `{from}`; promote between two environments"
                ))
                .into());
            }
            let regions = if regions.is_empty() {
                platform.regions.clone()
            } else {
                regions
            };
            let mut resume = format!("tp promote --from {from} --to {to}");
            for r in &regions {
                resume.push_str(&format!(" --region {r}"));
            }
            let opts = DeployOptions {
                // A promotion asks before any change, unless told not to.
                approval: if yes {
                    Approval::Never
                } else {
                    Approval::AnyChange
                },
                allow_replace,
                no_execute: false,
                outputs_file: {
                    let file = PathBuf::from(format!("tp.out/outputs-{to}.json"));
                    crate::preflight::writable_file("the outputs file", &file)
                        .map_err(InvalidInput)?;
                    file
                },
                resume,
                role_arn,
                run_after_deploy: true,
            };
            let in_account_of = |suffix: &str| {
                Connection::default().in_account(
                    crate::release::account_of(&platform, suffix),
                    &format!("tp-promote-{to}"),
                )
            };
            with_aws(crate::release::promote(
                &platform,
                &from,
                &to,
                &regions,
                &in_account_of(&from),
                &in_account_of(&to),
                &opts,
            ))
        }
        Command::Local { command, out } => {
            crate::preflight::output_dir("--out", &out).map_err(InvalidInput)?;
            local(&platform, command, &out)
        }
        Command::Verify {
            mut target,
            mut api_url,
            ..
        } => {
            // A local environment (`tp local up`) whose emulator this call
            // reaches is verified as it runs: its one region, its front door.
            let endpoint = std::env::var("AWS_ENDPOINT_URL").ok();
            if let Some(local) = crate::local::commands::running_local(
                Path::new("tp.out"),
                &target.suffix,
                endpoint.as_deref(),
            ) {
                println!(
                    "local environment `{}` (tp local): {} in {}",
                    target.suffix, local.endpoint, local.region
                );
                if target.regions.is_empty() {
                    target.regions = vec![local.region];
                }
                if target.profile.is_none() {
                    target.profile = Some(local.profile);
                }
                if api_url.is_none() {
                    api_url = local.api_url;
                }
            }
            let assembly = assembly(&platform, &target)?;
            let connection = connection(&platform, &assembly.deployment, "verify");
            with_aws(crate::verify::verify(
                &platform,
                &assembly,
                &connection,
                api_url.as_deref(),
            ))
        }
    }
}

fn local(platform: &Platform, command: LocalCommand, out: &Path) -> anyhow::Result<u8> {
    use crate::local::commands as lc;
    match command {
        LocalCommand::Up {
            suffix,
            profile,
            region,
            retry_delay,
        } => {
            let region = region.unwrap_or_else(|| platform.regions[0].clone());
            // Every argument is checked before anything starts.
            Deployment::new(
                platform,
                &suffix,
                profile.as_deref(),
                std::slice::from_ref(&region),
            )
            .map_err(|e| InvalidInput(e.to_string()))?;
            if let Some(d) = &retry_delay {
                parse_delay(d)?;
            }
            crate::local::prereq::check()?;
            lc::up(&lc::UpOptions {
                suffix,
                profile,
                region,
                out: out.to_path_buf(),
                retry_delay,
            })
        }
        LocalCommand::Down { suffix } => lc::down(&lc::resolve_suffix(out, suffix.as_deref())?),
        LocalCommand::Status { suffix } => lc::status(&lc::resolve_suffix(out, suffix.as_deref())?),
        LocalCommand::Invoke {
            function,
            event,
            suffix,
        } => lc::invoke(
            &lc::resolve_suffix(out, suffix.as_deref())?,
            &function,
            event.as_deref(),
        ),
        LocalCommand::Logs { function, suffix } => {
            let paths = lc::resolve_suffix(out, suffix.as_deref())?;
            with_aws(lc::logs(&paths, &function))
        }
        LocalCommand::Call {
            method,
            path,
            data,
            suffix,
        } => {
            let paths = lc::resolve_suffix(out, suffix.as_deref())?;
            with_aws(lc::call(
                &paths,
                &method.to_uppercase(),
                &path,
                data.as_deref(),
            ))
        }
        LocalCommand::Aurora { action, suffix } => lc::aurora(
            &lc::resolve_suffix(out, suffix.as_deref())?,
            action == "start",
        ),
        LocalCommand::Serve {
            suffix,
            profile,
            region,
            retry_delay,
        } => {
            let prereq = crate::local::prereq::check()?;
            let retry_delay = retry_delay.as_deref().map(parse_delay).transpose()?;
            with_aws(async {
                crate::local::serve::run(
                    platform,
                    prereq,
                    crate::local::serve::Options {
                        suffix,
                        profile,
                        region,
                        out: out.to_path_buf(),
                        retry_delay,
                    },
                )
                .await?;
                Ok(exit::OK)
            })
        }
    }
}

/// `tp -q`: standard output goes nowhere; errors and questions are on
/// standard error.
fn quiet() -> anyhow::Result<()> {
    use std::os::fd::AsRawFd;
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .map_err(|e| anyhow::anyhow!("-q: cannot open /dev/null: {e}"))?;
    // SAFETY: dup2 on two open descriptors; standard output is replaced
    // before anything is written to it.
    if unsafe { libc::dup2(null.as_raw_fd(), libc::STDOUT_FILENO) } < 0 {
        anyhow::bail!(
            "-q: cannot redirect standard output: {}",
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

/// `500ms`, `2s`, `1m`.
fn parse_delay(text: &str) -> anyhow::Result<std::time::Duration> {
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map(|i| text.split_at(i))
        .unwrap_or((text, "s"));
    let n: u64 = number.parse().map_err(|_| {
        InvalidInput(format!(
            "--retry-delay `{text}` is not a duration like 500ms, 2s or 1m"
        ))
    })?;
    let ms = match unit {
        "ms" => n,
        "s" => n * 1000,
        "m" => n * 60_000,
        _ => {
            return Err(InvalidInput(format!(
                "--retry-delay `{text}`: the unit must be ms, s or m"
            ))
            .into());
        }
    };
    Ok(std::time::Duration::from_millis(ms))
}

/// Validates the target and synthesizes its stacks.
fn assembly(platform: &Platform, target: &Target) -> anyhow::Result<synth::Assembly> {
    let deployment = deployment(platform, target)?;
    Ok(synth::synth(platform, &deployment)?)
}

/// Runs an AWS command on a multi-threaded runtime, with Ctrl-C handling.
fn with_aws<T, F: std::future::Future<Output = anyhow::Result<T>>>(f: F) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        stacks::install_interrupt_handler();
        f.await
    })
}

fn offline(platform: &Platform, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Synth {
            target,
            out,
            pipeline,
            ..
        } => {
            // Checked first, so that nothing is synthesized for a directory
            // that cannot take it.
            crate::preflight::output_dir("--out", &out).map_err(InvalidInput)?;
            synth::OutputDir::check(&out).map_err(InvalidInput)?;
            // Code directories unchanged since the last synth into `out`
            // keep the zips it wrote.
            let cache = synth::AssetCache::of_dir(&out);
            let assembly = if pipeline {
                let suffix =
                    platform_core::naming::Suffix::new(&target.suffix, platform.suffix_max)
                        .map_err(|e| {
                            InvalidInput(format!("invalid --suffix: {e} [name-suffix]"))
                        })?;
                synth::synth_pipeline(platform, &suffix).map_err(|e| InvalidInput(e.to_string()))?
            } else {
                let deployment = deployment(platform, &target)?;
                synth::synth_cached(platform, &deployment, &cache)?
            };
            assembly
                .write_to(&out)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
            for stack in &assembly.stacks {
                let file = display_path(&out.join(stack.template_file()));
                println!(
                    "{}  {} resources  {} bytes  {file}",
                    stack.name,
                    stack.template.resources.len(),
                    stack.body.len(),
                );
                crate::report::record(&stack.name, &stack.region, |r| {
                    r.template_file = Some(file);
                    r.resources = Some(stack.template.resources.len());
                    r.bytes = Some(stack.body.len());
                });
            }
            // The process ends with this command: freeing the templates'
            // trees node by node would cost more than writing them did.
            std::mem::forget(assembly);
            Ok(())
        }
        Command::List { target } => {
            let deployment = deployment(platform, &target)?;
            let assembly = synth::synth(platform, &deployment)?;
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
        Command::Graph { format, group_by } => {
            print!("{}", crate::graph::render(platform, format, group_by)?);
            Ok(())
        }
        _ => unreachable!("only synth, list and graph run offline"),
    }
}

/// Where `command` acts for `deployment`: its profile's account (the
/// caller's when the platform names none), through that account's deploy
/// role when the credentials are elsewhere.
fn connection(platform: &Platform, deployment: &Deployment, command: &str) -> Connection {
    Connection::default().in_account(
        platform.account(&deployment.profile),
        &format!("tp-{command}-{}", deployment.suffix),
    )
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
