//! `tp.out/` is shared by `tp synth` (templates, assets, manifest) and
//! `tp deploy` (the outputs file): each keeps what the other wrote.

use super::*;

#[test]
fn synth_and_deploy_share_the_output_directory_in_either_order() {
    let moto = Moto::start("out-dir");
    let proxy = super::proxy::Proxy::start(moto.port);
    proxy.answer_after_deploy(REGION, "outs");
    let endpoint = proxy.endpoint();
    let dir = scratch("out-dir");
    let run = tp_run(&endpoint, &dir, &["bootstrap", "--region", REGION]);
    assert_eq!(run.code, 0, "{run}");
    let target = ["--suffix", "outs", "--region", REGION];
    let deploy = [&["deploy"][..], &target, &["--require-approval", "never"]].concat();
    let synth = [&["synth"][..], &target].concat();
    let outputs = dir.join("tp.out/outputs-outs.json");
    let manifest = dir.join("tp.out/manifest.json");

    // Deploy first, then synth into the same folder: the outputs stay.
    let run = tp_run(&endpoint, &dir, &deploy);
    assert_eq!(run.code, 0, "{run}");
    let written = std::fs::read_to_string(&outputs).expect("the outputs file");
    let run = tp_run(&endpoint, &dir, &synth);
    assert_eq!(run.code, 0, "{run}");
    assert!(manifest.is_file());
    assert_eq!(std::fs::read_to_string(&outputs).unwrap(), written);

    // A second synth replaces the first and still keeps the outputs.
    let run = tp_run(&endpoint, &dir, &synth);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(std::fs::read_to_string(&outputs).unwrap(), written);

    // The folder, outputs file and all, deploys as a synth output.
    let from = [&deploy[..], &["--from", "tp.out"]].concat();
    let run = tp_run(&endpoint, &dir, &from);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("files match manifest.json"), "{run}");
    assert!(manifest.is_file() && outputs.is_file());
}
