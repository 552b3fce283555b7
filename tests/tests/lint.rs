//! cfn-lint over every template the platform synthesizes: zero errors and
//! zero warnings, for every profile and with the longest suffix allowed.

use tests::{python_tool, run, scratch_dir, synth_trading};

#[test]
fn cfn_lint_accepts_every_template_with_no_errors_or_warnings() {
    let cfn_lint = python_tool("CFN_LINT", "cfn-lint");
    let dir = scratch_dir("cfn-lint");
    let longest_suffix = "a".repeat(platform_def::platform().suffix_max);
    let mut templates = Vec::new();
    for profile in ["dev", "staging", "prod"] {
        for suffix in ["dev", longest_suffix.as_str()] {
            let assembly = synth_trading(suffix, profile);
            for stack in &assembly.stacks {
                let path = dir.join(format!("{profile}.{}", stack.template_file()));
                std::fs::write(&path, &stack.body).unwrap();
                templates.push(path);
            }
        }
    }
    let mut args: Vec<&std::path::Path> = vec![
        std::path::Path::new("--format"),
        std::path::Path::new("parseable"),
        std::path::Path::new("--"),
    ];
    args.extend(templates.iter().map(|p| p.as_path()));
    let (code, output) = run(&cfn_lint, &args);
    assert_eq!(code, 0, "cfn-lint exit code {code}:\n{output}");
    assert!(output.trim().is_empty(), "cfn-lint reported:\n{output}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The harness itself: cfn-lint must fail a template CloudFormation would reject,
/// or the test above proves nothing.
#[test]
fn cfn_lint_rejects_a_broken_template() {
    let cfn_lint = python_tool("CFN_LINT", "cfn-lint");
    let dir = scratch_dir("cfn-lint-broken");
    let path = dir.join("broken.template.json");
    let assembly = synth_trading("dev", "dev");
    let broken = assembly.stacks[0]
        .body
        .replace("\"PAY_PER_REQUEST\"", "\"ON_DEMAND\"");
    assert_ne!(broken, assembly.stacks[0].body);
    std::fs::write(&path, broken).unwrap();
    let (code, output) = run(&cfn_lint, &[std::path::Path::new("--"), &path]);
    assert_ne!(
        code, 0,
        "cfn-lint accepted an invalid BillingMode:\n{output}"
    );
    assert!(output.contains("ON_DEMAND"), "{output}");
    std::fs::remove_dir_all(&dir).unwrap();
}
