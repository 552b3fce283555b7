//! Golden templates: the synthesized trading platform, reviewed as a diff.
//!
//! After an intended change, regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p tests --test suite golden` and review the diff.

use tests::{synth_trading, workspace_root};

fn check_golden(profile: &str) {
    let assembly = synth_trading("dev", profile);
    for stack in &assembly.stacks {
        let path = workspace_root()
            .join("tests/golden")
            .join(format!("{profile}.{}", stack.template_file()));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &stack.body).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
                path.display()
            )
        });
        if expected != stack.body {
            let first = expected
                .lines()
                .zip(stack.body.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(expected.lines().count().min(stack.body.lines().count()));
            panic!(
                "{} differs from the synthesized template at line {}:\n  golden: {:?}\n  synth:  {:?}\nreview the change, then rerun with UPDATE_GOLDEN=1",
                path.display(),
                first + 1,
                expected.lines().nth(first),
                stack.body.lines().nth(first)
            );
        }
    }
}

#[test]
fn dev_template_matches_golden() {
    check_golden("dev");
}

#[test]
fn prod_template_matches_golden() {
    check_golden("prod");
}

#[test]
fn synthesis_is_byte_identical_across_runs() {
    let a = synth_trading("dev", "dev");
    let b = synth_trading("dev", "dev");
    for (x, y) in a.stacks.iter().zip(&b.stacks) {
        assert_eq!(x.body, y.body);
    }
    for (x, y) in a.assets.iter().zip(&b.assets) {
        assert_eq!(x.zip().unwrap(), y.zip().unwrap());
    }
    assert_eq!(a.manifest(), b.manifest());
}
