//! Compile-fail cases, one per compile-time rule (`docs/rules.md`), and a
//! case that must compile. Paths are relative to this crate's manifest.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    for family in [
        "grammar",
        "references",
        "naming",
        "iam",
        "network",
        "api",
        "buckets",
        "functions",
        "databases",
        "pipeline",
        "accounts",
        "values",
        "logs",
        "queues",
        "policy",
        "backup",
        "alerting",
        "dns",
        "resources",
    ] {
        t.compile_fail(format!("ui/{family}/*.rs"));
    }
    t.pass("pass/*.rs");
}
