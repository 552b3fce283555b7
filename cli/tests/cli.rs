//! The `tp` binary, run as a user runs it.

use std::path::PathBuf;
use std::process::Command;

fn tp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tp"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tp-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn synth_writes_templates_and_a_manifest_and_prints_one_line_per_stack() {
    let dir = scratch("synth");
    let out = dir.join("tp.out");
    let output = tp()
        .args(["synth", "--suffix", "dev", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let regions = platform_def::platform().regions;
    assert_eq!(lines.len(), regions.len(), "one line per region:\n{stdout}");
    for (line, region) in lines.iter().zip(&regions) {
        assert!(
            line.starts_with(&format!("trading-platform-{region}-dev  ")),
            "{stdout}"
        );
    }
    assert!(
        lines[0].starts_with("trading-platform-us-east-1-dev  "),
        "{stdout}"
    );
    assert!(lines[0].contains(" resources  "), "{stdout}");
    let template = out.join("trading-platform-us-east-1-dev.template.json");
    let body = std::fs::read_to_string(&template).unwrap();
    assert!(
        lines[0].contains(&format!("{} bytes", body.len())),
        "{stdout}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["suffix"], "dev");
    assert_eq!(manifest["profile"], "dev");
    assert_eq!(
        manifest["stacks"][0]["template"],
        "trading-platform-us-east-1-dev.template.json"
    );
    for asset in manifest["assets"].as_array().unwrap() {
        assert!(out.join(asset["file"].as_str().unwrap()).is_file());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_invalid_suffix_exits_2_names_the_rule_and_writes_nothing() {
    let dir = scratch("bad-suffix");
    let out = dir.join("tp.out");
    let output = tp()
        .args(["synth", "--suffix", "Dev!", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("invalid --suffix"), "{stderr}");
    assert!(stderr.trim_end().ends_with("[name-suffix]"), "{stderr}");
    assert!(
        stderr.contains("only lowercase letters a-z and digits 0-9"),
        "{stderr}"
    );
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing written"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_suffix_longer_than_the_declared_maximum_exits_2() {
    let output = tp()
        .args(["list", "--suffix", "abcdefghijklm"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("`suffix: max 12`"), "{stderr}");
}

#[test]
fn an_unknown_profile_or_region_exits_2_naming_the_rule() {
    for (args, rule) in [
        (["--profile", "qa"], "[ref-profile]"),
        (["--region", "eu-west-9"], "[name-region]"),
    ] {
        let output = tp()
            .args(["list", "--suffix", "dev"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.trim_end().ends_with(rule), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}: nothing listed");
    }
}

#[test]
fn an_unknown_profile_exits_2_listing_the_declared_ones() {
    let output = tp()
        .args(["list", "--suffix", "dev", "--profile", "qa"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("`dev`, `staging`, `prod`"), "{stderr}");
}

#[test]
fn quiet_prints_only_errors() {
    let output = tp()
        .args(["-q", "list", "--suffix", "dev"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(output.stdout.is_empty(), "{output:?}");
    let output = tp()
        .args(["list", "-q", "--suffix", "Dev!"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid --suffix"));
}

#[test]
fn list_names_the_stacks_of_a_suffix() {
    let output = tp()
        .args(["list", "--suffix", "pr42", "--profile", "prod"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.starts_with("trading-platform-us-east-1-pr42  us-east-1  "),
        "{stdout}"
    );
    assert!(stdout.contains("profile prod"), "{stdout}");
}

#[test]
fn synth_refuses_to_replace_a_directory_that_is_not_a_synth_output() {
    let dir = scratch("foreign");
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let output = tp()
        .args(["synth", "--suffix", "dev", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn synth_refuses_a_synth_output_holding_other_files_and_leaves_them_all() {
    let dir = scratch("manifest-and-notes");
    let out = dir.join("tp.out");
    let synth = || {
        tp().args(["synth", "--suffix", "dev", "--out"])
            .arg(&out)
            .output()
            .unwrap()
    };
    assert!(synth().status.success());
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    std::fs::create_dir(out.join("drafts")).unwrap();
    std::fs::write(out.join("drafts/plan.md"), "draft").unwrap();
    let output = synth();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("files `tp synth` did not write (drafts, notes.txt)"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("drafts/plan.md")).unwrap(),
        "draft"
    );
    assert!(
        out.join("manifest.json").is_file(),
        "the previous synth stays"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn synth_into_a_file_exits_2() {
    let dir = scratch("out-is-a-file");
    std::fs::write(dir.join("tp.out"), "not a directory").unwrap();
    let output = tp()
        .args(["synth", "--suffix", "dev", "--out"])
        .arg(dir.join("tp.out"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a directory"));
    // Nor under a file: nothing to create the directory in.
    for args in [&["synth", "--suffix", "dev"][..], &["local", "status"]] {
        let output = tp()
            .args(args)
            .arg("--out")
            .arg(dir.join("tp.out/inner"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("tp.out is not a directory"), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn synth_pipeline_writes_the_pipeline_stack_with_a_suffix_of_its_own() {
    let dir = scratch("pipeline");
    let out = dir.join("tp.out");
    let output = tp()
        .args(["synth", "--pipeline", "--suffix", "cicd", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let template = out.join("trading-platform-pipeline-us-east-1-cicd.template.json");
    let body: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&template).unwrap()).unwrap();
    assert_eq!(
        body["Resources"]["ReleasePipeline"]["Type"],
        "AWS::CodePipeline::Pipeline"
    );
    // A stage's suffix would make the pipeline manage its own stage's names.
    let output = tp()
        .args(["synth", "--pipeline", "--suffix", "staging", "--out"])
        .arg(dir.join("other"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!dir.join("other").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn graph_prints_mermaid_and_the_readme_shows_it() {
    let output = tp().arg("graph").output().unwrap();
    assert!(output.status.success());
    let mermaid = String::from_utf8(output.stdout).unwrap();
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    assert!(mermaid.contains("r_trade_api ==>|\"read_write\"| r_sessions"));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let shown = readme
        .split_once("<!-- graph:start -->\n```mermaid\n")
        .and_then(|(_, rest)| rest.split_once("```\n<!-- graph:end -->"))
        .map(|(diagram, _)| diagram)
        .expect("README.md shows the diagram between graph markers");
    assert_eq!(
        shown, mermaid,
        "README.md's diagram is stale: paste the output of `tp graph`"
    );
}

#[test]
fn graph_draws_svg_with_dot_or_says_dot_is_missing() {
    let dot = tp().args(["graph", "--format", "dot"]).output().unwrap();
    assert!(
        String::from_utf8(dot.stdout)
            .unwrap()
            .starts_with("digraph")
    );
    let output = tp().args(["graph", "--format", "svg"]).output().unwrap();
    if output.status.success() {
        assert!(String::from_utf8_lossy(&output.stdout).contains("<svg"));
    } else {
        assert_eq!(output.status.code(), Some(9));
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("Graphviz `dot` is not installed")
        );
    }
    let bad = tp().args(["graph", "--format", "png"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn graph_svg_without_graphviz_exits_with_code_3() {
    let output = tp()
        .args(["graph", "--format", "svg"])
        .env("PATH", "")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(9));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("apt-get install graphviz"), "{stderr}");
    assert!(output.stdout.is_empty());
}

mod e2e;

#[test]
fn completions_are_scripts_each_shell_reads() {
    let script = |shell: &str| {
        let output = tp().args(["completions", shell]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{shell}");
        String::from_utf8(output.stdout).unwrap()
    };
    let bash = script("bash");
    let dir = scratch("completions");
    let file = dir.join("tp.bash");
    std::fs::write(&file, &bash).unwrap();
    let check = Command::new("bash").arg("-n").arg(&file).output().unwrap();
    assert!(
        check.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    // Sourced, the script registers its function for `tp`, which bash
    // calls with the command, the word and the word before it: `tp ou`
    // offers `outputs`.
    let offered = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(tp ou); COMP_CWORD=1; _tp tp ou tp; printf '%s\\n' \"${{COMPREPLY[@]}}\"; complete -p tp",
            file.display()
        ))
        .output()
        .unwrap();
    let offered = String::from_utf8(offered.stdout).unwrap();
    assert!(offered.lines().any(|l| l == "outputs"), "{offered}");
    assert!(offered.contains("-F _tp tp"), "{offered}");
    assert!(
        bash.contains("--change-set"),
        "deploy's options are completed"
    );
    assert!(script("zsh").starts_with("#compdef tp"));
    assert!(script("fish").contains("complete -c tp"));
    assert!(script("powershell").contains("Register-ArgumentCompleter"));
    let output = tp().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "an unknown shell is refused");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_shows_the_declared_suffix_maximum_and_what_region_does_on_each_command() {
    let max = platform_def::platform().suffix_max;
    let help = |command: &str| {
        let output = tp().args([command, "--help"]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{command}");
        String::from_utf8(output.stdout).unwrap()
    };
    for command in [
        "synth", "deploy", "diff", "status", "drift", "outputs", "verify", "destroy",
    ] {
        let text = help(command);
        assert!(
            text.contains(&format!("1 to {max} lowercase letters")),
            "{command}: {text}"
        );
    }
    assert!(help("deploy").contains("Region to deploy"));
    assert!(help("destroy").contains("Region whose stack to delete"));
    assert!(help("status").contains("Region whose stack's state to show"));
    assert!(help("synth").contains("Region to write the stack of"));
    assert!(help("promote").contains(&format!("1 to {max} lowercase letters")));
}
