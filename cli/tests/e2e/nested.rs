//! A platform too large for one CloudFormation stack, deployed to moto
//! through the deploy engine `tp` runs (`cli::release::deploy_platform`):
//! a generated platform split into a parent and nested stacks, whose
//! templates are uploaded under their content hashes and read by
//! CloudFormation from the `TemplateURL`s the parent builds.

use std::time::Instant;

use cli::aws::{Connection, Session};
use cli::commands::{self, Approval, DeployOptions};
use cli::stacks;
use platform_core::synth::{self, Deployment};
use serde_json::Value;

use super::flow::expected_names;
use super::*;

/// Declared resources: the size the split is tested at in `tests/` (3,600
/// CloudFormation resources in 26 nested stacks; moto creates them in
/// about 10 s).
const DECLARED: usize = 2_000;

#[test]
fn a_split_platform_deploys_with_its_nested_stacks_to_moto() {
    let moto = Moto::start("nested");
    let endpoint = moto.endpoint();
    let dir = scratch("nested");
    let run = tp_run(&endpoint, &dir, &["bootstrap", "--region", REGION]);
    assert_eq!(run.code, 0, "{run}");
    let bucket = asset_bucket(DEV_ACCOUNT);
    let bucket = bucket.as_str();

    let code = workspace_root().join("platform-core/tests/fixtures/handler");
    let platform = platform_core::generate::platform(DECLARED, REGION, &code.to_string_lossy());
    let deployment =
        Deployment::new(&platform, "e2e", None, &[REGION.to_owned()]).expect("deployment");
    let assembly = synth::synth(&platform, &deployment).expect("synth");
    let stack = &assembly.stacks[0];
    assert!(stack.nested.len() >= 3, "{} nested", stack.nested.len());

    let connection = Connection::to_endpoint(&endpoint, "testing", "testing");
    let outputs_file = dir.join("outputs.json");
    let opts = DeployOptions {
        approval: Approval::Never,
        allow_replace: Vec::new(),
        no_execute: false,
        outputs_file: outputs_file.clone(),
        resume: "the nested-stack test".into(),
        role_arn: None,
        run_after_deploy: true,
    };
    let started = Instant::now();
    let code = block_on(cli::release::deploy_platform(
        &platform,
        &deployment,
        &connection,
        &opts,
    ))
    .expect("deploy");
    assert_eq!(code, 0);
    let created = started.elapsed();

    // Every nested template is in the asset bucket under its content hash.
    let inventory = moto.inventory();
    let objects: Vec<&str> = inventory["buckets"][bucket]["objects"]
        .as_array()
        .expect("the asset bucket")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for n in &stack.nested {
        assert!(objects.contains(&n.s3_key().as_str()), "{}", n.s3_key());
    }

    // CloudFormation: the parent and each nested stack it names completed.
    let (parent, nested) = block_on(async {
        let s = Session::new(REGION, &connection).await.expect("session");
        let parent = stacks::find(&s, &stack.name).await.expect("describe");
        let ids = stacks::nested_stack_ids(&s, &stack.name)
            .await
            .expect("list resources");
        let mut nested = Vec::new();
        for n in &stack.nested {
            let id = ids.get(&n.logical_id).unwrap_or_else(|| {
                panic!(
                    "{} is not a resource of {}: {ids:?}",
                    n.logical_id, stack.name
                )
            });
            let found = stacks::find(&s, id).await.expect("describe nested");
            nested.push((
                n.logical_id.clone(),
                found.map(|st| stacks::status(&st).to_owned()),
            ));
        }
        (parent.map(|st| stacks::status(&st).to_owned()), nested)
    });
    assert_eq!(parent.as_deref(), Some("CREATE_COMPLETE"));
    for (id, state) in &nested {
        assert_eq!(state.as_deref(), Some("CREATE_COMPLETE"), "{id}");
    }

    // What the nested stacks declare exists, read through each service.
    let mut missing = Vec::new();
    let mut checked = 0;
    for n in &stack.nested {
        let template: Value = serde_json::from_str(&n.body).expect("nested JSON");
        for (key, name) in expected_names(&template) {
            checked += 1;
            if !names(&inventory, key).contains(&name) {
                missing.push(format!("{key}: {name}"));
            }
        }
    }
    assert!(checked > DECLARED / 2, "{checked} names checked");
    assert!(missing.is_empty(), "not created: {missing:#?}");

    // The platform's outputs, read from the nested stacks that hold them,
    // are filed under the parent; the outputs wiring stacks together are not.
    let outputs: Value =
        serde_json::from_str(&std::fs::read_to_string(&outputs_file).expect("outputs file"))
            .expect("outputs JSON");
    let filed = outputs[&stack.name]
        .as_object()
        .expect("the parent's outputs");
    let wanted: Vec<&String> = stack.nested.iter().flat_map(|n| &n.outputs).collect();
    assert!(!wanted.is_empty());
    assert_eq!(filed.len(), wanted.len(), "{filed:?}");
    for name in wanted {
        let value = filed[name.as_str()].as_str().unwrap_or("");
        assert!(!value.is_empty(), "output {name}: {filed:?}");
    }

    // Deploying again changes nothing, and diff agrees.
    let started = Instant::now();
    let code = block_on(cli::release::deploy_platform(
        &platform,
        &deployment,
        &connection,
        &opts,
    ))
    .expect("no-op deploy");
    assert_eq!(code, 0);
    let noop = started.elapsed();
    let changed = block_on(commands::diff(&assembly, &connection)).expect("diff");
    assert!(!changed);

    // Destroy removes the nested stacks and what they hold.
    let started = Instant::now();
    let code = block_on(commands::destroy(&assembly, &connection, true)).expect("destroy");
    assert_eq!(code, 0);
    let destroyed = started.elapsed();
    let inventory = moto.inventory();
    assert_eq!(
        names(&inventory, "stacks"),
        ["tp-bootstrap", "tp-bootstrap-access"],
        "{inventory:#}"
    );
    for key in ["tables", "queues", "functions", "topics"] {
        assert!(names(&inventory, key).is_empty(), "{key} left");
    }
    // The bootstrap's buckets remain: the assets and the write-once archive.
    assert_eq!(
        names(&inventory, "buckets"),
        [
            bucket.to_owned(),
            platform_core::accounts::archive_bucket_name(DEV_ACCOUNT, REGION)
        ]
    );
    eprintln!(
        "{DECLARED} declared resources, {} CloudFormation resources in {} nested stacks: created in {:.1} s, no-op deploy {:.2} s, destroyed in {:.1} s",
        stack
            .nested
            .iter()
            .map(|n| n.template.resources.len())
            .sum::<usize>(),
        stack.nested.len(),
        created.as_secs_f64(),
        noop.as_secs_f64(),
        destroyed.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
