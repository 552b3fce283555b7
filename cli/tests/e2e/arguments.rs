//! Every argument is checked before the first AWS call: a deploy that
//! cannot write its outputs file, or an endpoint that is not a URL, exits 2
//! having created nothing.

use super::*;

#[test]
fn an_unwritable_outputs_file_is_refused_before_anything_is_deployed() {
    let moto = Moto::start("arguments");
    let dir = scratch("arguments");
    let run = tp_run(&moto.endpoint(), &dir, &["bootstrap", "--region", REGION]);
    assert_eq!(run.code, 0, "{run}");
    std::fs::write(dir.join("notes.txt"), "a file, not a folder").unwrap();
    let before = moto.inventory()["stacks"].clone();
    for (outputs_file, why) in [
        ("notes.txt/outputs.json", "notes.txt is not a directory"),
        (".", "is a directory"),
    ] {
        let run = tp_run(
            &moto.endpoint(),
            &dir,
            &[
                "deploy",
                "--suffix",
                "args",
                "--region",
                REGION,
                "--require-approval",
                "never",
                "--outputs-file",
                outputs_file,
            ],
        );
        assert_eq!(run.code, 2, "{run}");
        assert!(run.stderr.contains("--outputs-file"), "{run}");
        assert!(run.stderr.contains(why), "{run}");
        assert_eq!(moto.inventory()["stacks"], before, "nothing was created");
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "a file, not a folder"
    );
}

#[test]
fn an_endpoint_that_is_not_a_url_exits_2_naming_the_variable() {
    let dir = scratch("bad-endpoint");
    for (endpoint, command) in [
        ("not a url", &["status", "--suffix", "dev"][..]),
        ("localhost:4566", &["deploy", "--suffix", "dev"][..]),
        ("ftp://127.0.0.1:9", &["diff", "--suffix", "dev"][..]),
    ] {
        let run = tp_run(endpoint, &dir, command);
        assert_eq!(run.code, 2, "{endpoint}: {run}");
        assert!(
            run.stderr
                .contains(&format!("AWS_ENDPOINT_URL `{endpoint}` is not")),
            "{run}"
        );
        assert!(run.stderr.contains("http://HOST:PORT"), "{run}");
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing written"
    );
}
