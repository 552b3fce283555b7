//! `tp deploy --from DIR`: the environment a `tp synth` wrote (what the
//! pipeline's build leaves for each stage) is deployed as it is, after every
//! file was checked against its manifest; a changed file is refused before
//! anything reaches AWS.

use super::*;

const STACK: &str = "trading-platform-us-east-1-dev";

#[test]
fn deploy_from_a_synth_refuses_a_changed_file_then_deploys_the_untouched_one() {
    let moto = Moto::start("artifact");
    // The deploy ends with the platform's migration, which moto cannot run.
    let proxy = super::proxy::Proxy::start(moto.port);
    proxy.answer_after_deploy(REGION, "dev");
    let dir = scratch("artifact");
    let tp = |args: &[&str]| tp_run(&proxy.endpoint(), &dir, args);
    assert_eq!(tp(&["bootstrap", "--region", REGION]).code, 0);

    let release = dir.join("release-dev");
    let release_arg = release.to_str().unwrap();
    let run = tp_run(
        &proxy.endpoint(),
        &dir,
        &[
            "synth",
            "--suffix",
            "dev",
            "--profile",
            "dev",
            "--region",
            REGION,
            "--out",
            release_arg,
        ],
    );
    assert_eq!(run.code, 0, "{run}");
    let deploy = [
        "deploy",
        "--from",
        release_arg,
        "--suffix",
        "dev",
        "--profile",
        "dev",
        "--require-approval",
        "never",
    ];

    // A template changed after the synth: refused, nothing deployed.
    let template = release.join(format!("{STACK}.template.json"));
    let body = std::fs::read_to_string(&template).unwrap();
    std::fs::write(
        &template,
        body.replacen("\"Resources\"", "\"Resources\" ", 1),
    )
    .unwrap();
    let run = tp(&deploy);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("does not match the sha256 manifest.json records"),
        "{run}"
    );
    assert!(
        !names(&moto.inventory(), "stacks").contains(&STACK.to_owned()),
        "a refused artifact created {STACK}"
    );

    // Another environment's artifact is refused too.
    std::fs::write(&template, &body).unwrap();
    let run = tp(&[
        &deploy[..3],
        &["--suffix", "staging", "--profile", "staging"],
    ]
    .concat());
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("synthesized with --suffix dev"),
        "{run}"
    );

    // The untouched artifact deploys, with the after-deploy function and
    // the outputs of a normal deploy.
    let run = tp(&deploy);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("files match manifest.json"), "{run}");
    assert_eq!(moto.inventory()["stacks"][STACK], "CREATE_COMPLETE");
    assert!(run.stdout.contains("lambda-migrate-us-east-1-dev"), "{run}");
    let outputs: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("tp.out/outputs-dev.json")).unwrap(),
    )
    .unwrap();
    assert!(outputs[STACK].as_object().is_some_and(|o| !o.is_empty()));

    // What was deployed is what this definition synthesizes for dev.
    let run = tp(&[
        "diff",
        "--suffix",
        "dev",
        "--profile",
        "dev",
        "--region",
        REGION,
        "--fail",
    ]);
    assert_eq!(run.code, 0, "{run}");
}
