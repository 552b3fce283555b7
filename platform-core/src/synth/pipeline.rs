//! The promotion pipeline's stack: a CodePipeline (V2) that takes the
//! platform's source, builds it once, and deploys what it built stage by
//! stage, with a manual approval before production.
//!
//! - **Build** (one CodeBuild project): on an image pinned by digest, which
//!   pins the Rust toolchain ([`BUILD_IMAGE`], [`RUST_VERSION`]), with no
//!   installs beyond it and `cargo --locked`. It checks the toolchain,
//!   builds `tp`, synthesizes every deploy stage's environment with that
//!   `tp` (`tp synth --suffix S --profile S`, every region) into the
//!   release artifact, and writes the release record [`RELEASE_RECORD`]:
//!   the source revision, the sha256 of `tp` and of every file.
//! - **Each deploy stage** (one CodeBuild project shared by the stages,
//!   told the stage by `STAGE`): checks every file of the release against
//!   the record, then runs the built `tp` on it, `tp deploy --from S` and
//!   `tp verify`. No toolchain, no rebuild: production deploys the very
//!   files staging verified. A failure rolls the stage back
//!   (`OnFailure: ROLLBACK`), which redeploys the release that last
//!   succeeded in it.
//! - **The approval** before production notifies the pipeline's `notify`
//!   topic, created in this stack as the platform declares it, naming the
//!   source revision.
//!
//! Roles: the build's may read its source, write its artifact and logs, and
//! nothing else (no `sts:AssumeRole`, no CloudFormation). The deploy's may
//! only assume the deploy role `tp bootstrap` made in each stage's account
//! and region ([`crate::accounts::deploy_role_name`]), which holds the stack
//! permissions and passes the account's execution role to CloudFormation;
//! it reads its input artifact, the key and writes its logs. The pipeline's
//! role moves artifacts, starts the two projects, uses the source
//! connection and publishes to the approval topic.
//!
//! The stack reuses the platform's constructs for what it stores (a key,
//! an artifact bucket logging to an SSE-S3 bucket, the build log group, the
//! approval topic), so it gets the same defaults: rotation, versioning,
//! TLS-only, tags. The key's policy delegates to IAM (the account
//! administers it), so each role's own policy says what may use it: the
//! pipeline's role encrypts artifacts and publishes to the topic with it;
//! no AWS service encrypts with it on its own behalf except CloudWatch Logs
//! for the build log group, which the key construct allows.

use crate::accounts;
use crate::catalog::ROLE_SHORT_TYPE;
use crate::naming::{self, Suffix, pascal_case};
use crate::spec::{
    BucketSpec, KeySpec, LogGroupSpec, PerProfile, PipelineSource, PipelineSpec, PipelineStage,
    Platform, Resource as Declared, Spec, Subscriber, TopicSpec,
};
use crate::template::{Parameter, Resource, Template, Value};

use super::iam::{self, Statement};
use super::{Assembly, Context, Deployment, Stack, SynthError, constructs, limits};

/// The template parameter holding the CodeStar connection's ARN.
pub const CONNECTION_PARAMETER: &str = "SourceConnectionArn";

/// The object an S3-sourced pipeline starts from.
pub const SOURCE_OBJECT_KEY: &str = "source.zip";

/// How long the account's archive keeps the pipeline's access logs: seven
/// years, as production's records (`archive-retention`).
pub const PIPELINE_ARCHIVE_DAYS: u32 = 2557;

/// The name of the pipeline's bucket of server access logs, the one it
/// archives.
pub fn logs_bucket(pipeline: &crate::spec::PipelineSpec) -> String {
    format!("{}_logs", pipeline.name)
}

/// The prefix of the asset buckets `tp bootstrap` creates,
/// `tp-assets-{account}-{region}`.
pub const ASSET_BUCKET_PREFIX: &str = "tp-assets-";

/// The Rust toolchain the release is built with: the one [`BUILD_IMAGE`]
/// ships. The build refuses to run when `rustc --version` says otherwise.
pub const RUST_VERSION: &str = "1.95.0";

/// The image both projects run in: Docker's official Rust image
/// (`rust:1.95.0-bookworm`, a multi-platform index), through ECR Public's
/// mirror of Docker's library images, which CodeBuild pulls without
/// credentials. The digest pins the toolchain, Debian bookworm and its
/// glibc, so the `tp` the build links runs unchanged in the deploy stages.
/// It is the index digest public Dockerfiles pin for this tag
/// (`FROM rust:1.95.0-bookworm@sha256:6258907a...`). To update: pick the new
/// tag, take its index digest with `docker buildx imagetools inspect
/// public.ecr.aws/docker/library/rust:<version>-bookworm`, and change
/// [`RUST_VERSION`] with it.
pub const BUILD_IMAGE: &str = "public.ecr.aws/docker/library/rust:1.95.0-bookworm@sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1";

/// The release record at the root of the build's artifact: `source_revision
/// <rev>`, `tp_sha256 <hex>`, then one `sha256sum` line per file.
pub const RELEASE_RECORD: &str = "RELEASE";

/// The build's output artifact, every deploy stage's input.
const RELEASE_ARTIFACT: &str = "Release";

/// The variable namespace of the source action (`#{Source.CommitId}`).
const SOURCE_NAMESPACE: &str = "Source";

/// The pipeline stack's name: `{platform}-pipeline-{region}-{suffix}`.
pub fn pipeline_stack_name(
    platform: &Platform,
    pipeline: &PipelineSpec,
    suffix: &Suffix,
) -> String {
    format!(
        "{}-pipeline-{}-{suffix}",
        naming::purpose(&platform.name),
        pipeline.region
    )
}

/// The stack names a pipeline's stages deploy: one per declared region and
/// deploy stage.
pub fn staged_stacks(platform: &Platform, pipeline: &PipelineSpec) -> Vec<String> {
    let mut out = Vec::new();
    for profile in deploy_profiles(pipeline) {
        for region in &platform.regions {
            out.push(format!(
                "{}-{region}-{profile}",
                naming::purpose(&platform.name)
            ));
        }
    }
    out
}

/// The deploy roles the pipeline's deploy stages assume: the one
/// `tp bootstrap` made in each stage's account (the caller's when the
/// platform names none) and each declared region, without repeats.
pub fn deploy_role_arns(platform: &Platform, pipeline: &PipelineSpec) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for profile in deploy_profiles(pipeline) {
        for region in &platform.regions {
            let name = accounts::deploy_role_name(region);
            let arn = match platform.account(profile) {
                Some(account) => Value::str(accounts::role_arn(&account, &name)),
                None => Value::sub(format!(
                    "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{name}"
                )),
            };
            if !out.contains(&arn) {
                out.push(arn);
            }
        }
    }
    out
}
/// Why a pipeline cannot be synthesized with `suffix`.
fn check_suffix(pipeline: &PipelineSpec, suffix: &Suffix) -> Result<(), SynthError> {
    let clash = pipeline
        .stages
        .iter()
        .any(|s| matches!(s, PipelineStage::Deploy { profile } if profile == suffix.as_str()));
    if clash {
        return Err(SynthError::Invalid(format!(
            "the pipeline cannot be deployed with suffix `{suffix}`, which a stage deploys the platform with; choose a suffix of its own, like `cicd`"
        )));
    }
    Ok(())
}

/// Synthesizes the pipeline stack of `platform` with `suffix`.
pub fn synth_pipeline(platform: &Platform, suffix: &Suffix) -> Result<Assembly, SynthError> {
    let pipeline = platform.pipeline.as_ref().ok_or_else(|| {
        SynthError::Invalid(format!(
            "platform `{}` declares no pipeline; add a `pipeline` block",
            platform.name
        ))
    })?;
    check_suffix(pipeline, suffix)?;
    let deployment = Deployment {
        suffix: suffix.clone(),
        profile: platform.profiles.first().cloned().unwrap_or_default(),
        regions: vec![pipeline.region.clone()],
    };
    let storage = storage(platform, pipeline)?;
    let name = pipeline_stack_name(platform, pipeline, suffix);
    let index = super::index::Index::new(&storage);
    let mut cx = Context {
        platform: &storage,
        region: &pipeline.region,
        suffix,
        profile: &deployment.profile,
        assets: &[],
        index: &index,
        owners: super::IdMap::default(),
        current: 0,
        imports: std::collections::BTreeMap::new(),
        zone_lookups: std::collections::BTreeMap::new(),
        guard_alarms: Vec::new(),
        template: Template {
            description: format!(
                "{} platform: promotion pipeline `{}`, suffix {suffix}, region {}",
                platform.name, pipeline.name, pipeline.region
            ),
            ..Template::default()
        },
    };
    for declared in &storage.resources {
        constructs::build(&mut cx, declared)?;
    }
    build(&mut cx, platform, pipeline)?;
    let mut template = cx.template;
    super::suppress_inline_policy_findings(&mut template);
    super::nag::suppress_wildcard_findings(
        &mut template,
        &super::nag::NagScope {
            region: &pipeline.region,
            suffixes: &[suffix.as_str().to_owned()],
        },
    );
    let dangling = template.dangling_references();
    if !dangling.is_empty() {
        return Err(SynthError::Dangling(dangling));
    }
    super::check_limits(&name, &template)?;
    let body = template.to_string_pretty();
    if body.len() > limits::MAX_S3_BODY {
        return Err(SynthError::Limit {
            stack: name,
            what: format!("template is {} bytes", body.len()),
        });
    }
    Ok(Assembly {
        platform: platform.name.clone(),
        deployment,
        stacks: vec![Stack {
            name,
            region: pipeline.region.clone(),
            template,
            body,
            assets: Vec::new(),
            nested: Vec::new(),
            guard_alarms: Vec::new(),
            after_deploy: Vec::new(),
            rollback_window_minutes: 0,
            imports: Vec::new(),
            zone_lookups: Vec::new(),
        }],
        assets: Vec::new(),
    })
}

/// What the pipeline stores, declared as the platform declares its own
/// resources so that the same constructs build them. The approval topic is
/// the platform's declared topic, encrypted with the pipeline's key.
fn storage(platform: &Platform, pipeline: &PipelineSpec) -> Result<Platform, SynthError> {
    let n = |what: &str| format!("{}_{what}", pipeline.name);
    let mut resources = vec![
        Declared {
            name: n("key"),
            spec: Spec::Key(KeySpec {
                description: format!(
                    "Pipeline `{}`: artifacts, build logs and approval notices",
                    pipeline.name
                ),
                rotation: true,
                pending_window_days: 30,
            }),
        },
        Declared {
            name: n("logs"),
            spec: Spec::Bucket(BucketSpec {
                key: None,
                access_logs: None,
                // A year: the pipeline deploys production, and PCI DSS
                // 10.7 keeps its logs that long.
                expire_days: PerProfile::Same(Some(365)),
                noncurrent_days: 30,
                // Who read and wrote the release artifacts is the record of
                // what reached production: archived write-once, seven years.
                archive_days: PerProfile::Same(Some(PIPELINE_ARCHIVE_DAYS)),
            }),
        },
        Declared {
            name: n("artifacts"),
            spec: Spec::Bucket(BucketSpec {
                key: Some(n("key")),
                access_logs: Some(n("logs")),
                expire_days: PerProfile::Same(None),
                noncurrent_days: 30,
                archive_days: PerProfile::Same(None),
            }),
        },
        Declared {
            name: n("builds"),
            spec: Spec::LogGroup(LogGroupSpec {
                retention_days: PerProfile::Same(pipeline.log_retention_days),
                key: n("key"),
            }),
        },
    ];
    if pipeline.source == PipelineSource::Bucket {
        resources.push(Declared {
            name: n("source"),
            spec: Spec::Bucket(BucketSpec {
                key: Some(n("key")),
                access_logs: Some(n("logs")),
                expire_days: PerProfile::Same(None),
                noncurrent_days: 30,
                archive_days: PerProfile::Same(None),
            }),
        });
    }
    if let Some(notify) = &pipeline.notify {
        let declared = platform.resources.iter().find(|r| &r.name == notify);
        let Some(Spec::Topic(topic)) = declared.map(|r| &r.spec) else {
            return Err(SynthError::Invalid(format!(
                "pipeline `{}` notifies `{notify}`, which is not a declared topic; declare `topic {notify} {{ key: ... }}` or name one",
                pipeline.name
            )));
        };
        resources.push(Declared {
            name: notify.clone(),
            spec: Spec::Topic(TopicSpec {
                key: n("key"),
                subscribers: without_queues(&topic.subscribers),
                ..topic.clone()
            }),
        });
    }
    Ok(Platform {
        name: platform.name.clone(),
        regions: vec![pipeline.region.clone()],
        suffix_max: platform.suffix_max,
        tags: platform.tags.clone(),
        profiles: platform.profiles.clone(),
        resources,
        pipeline: None,
        rollback_window_minutes: PerProfile::Same(0),
        drift_check: None,
        accounts: None,
        backups: Vec::new(),
        generic: Vec::new(),
        overrides: Vec::new(),
    })
}

/// Logical ids of the storage, as the constructs name them.
struct Ids {
    key: String,
    artifacts: String,
    source: Option<String>,
    builds: String,
    topic: Option<String>,
}

fn build(
    cx: &mut Context<'_>,
    platform: &Platform,
    pipeline: &PipelineSpec,
) -> Result<(), SynthError> {
    let n = |what: &str| format!("{}_{what}", pipeline.name);
    let ids = Ids {
        key: cx.logical_id(&n("key")),
        artifacts: cx.logical_id(&n("artifacts")),
        source: (pipeline.source == PipelineSource::Bucket).then(|| cx.logical_id(&n("source"))),
        builds: cx.logical_id(&n("builds")),
        topic: pipeline.notify.as_ref().map(|t| cx.logical_id(t)),
    };
    for id in std::iter::once(&ids.artifacts).chain(ids.source.as_ref()) {
        if let Some(bucket) = cx.template.resources.get_mut(id) {
            super::nag_suppress(
                bucket,
                super::compliance_rule("S3BucketReplicationEnabled", super::HIPAA_NIST_PCI),
                "Holds only what each release builds from the repository (the source archive, build outputs); a release run again rebuilds it, and who read and wrote it is in the pipeline's access logs, which are archived write-once",
            );
        }
    }
    if let PipelineSource::Repository { .. } = pipeline.source {
        cx.template.parameters.insert(
            CONNECTION_PARAMETER.into(),
            Parameter {
                param_type: "String".into(),
                default: None,
                description: "ARN of the CodeStar connection to the repository".into(),
            },
        );
    }
    let prefix = pascal_case(&pipeline.name);
    let build_role = format!("{prefix}BuildRole");
    let deploy_role = format!("{prefix}DeployRole");
    let pipeline_role = format!("{prefix}PipelineRole");
    let build_project = format!("{prefix}BuildProject");
    let deploy_project = format!("{prefix}DeployProject");
    let pipeline_id = format!("{prefix}Pipeline");

    let role_resource = role(
        cx,
        &n("build"),
        "codebuild.amazonaws.com",
        build_statements(&ids),
    );
    cx.add(&build_role, role_resource)?;
    let role_resource = role(
        cx,
        &n("deploy"),
        "codebuild.amazonaws.com",
        deploy_statements(platform, pipeline, &ids),
    );
    cx.add(&deploy_role, role_resource)?;

    let profiles = deploy_profiles(pipeline);
    let build_spec = build_buildspec(&profiles);
    let deploy_spec = deploy_buildspec();
    for (id, what, role_id, spec, compute, minutes, description) in [
        (
            &build_project,
            "build",
            &build_role,
            build_spec.as_str(),
            "BUILD_GENERAL1_LARGE",
            60u32,
            format!(
                "Builds `tp` and every stage's templates once, for pipeline `{}`",
                pipeline.name
            ),
        ),
        (
            &deploy_project,
            "deploy",
            &deploy_role,
            deploy_spec.as_str(),
            "BUILD_GENERAL1_SMALL",
            120,
            format!(
                "Deploys and verifies the built release in one stage of pipeline `{}`",
                pipeline.name
            ),
        ),
    ] {
        let mut project = Resource::new("AWS::CodeBuild::Project")
            .prop("Name", cx.physical_name("codebuild", &n(what)))
            .prop("Description", description)
            .prop("ServiceRole", Value::get_att(role_id, "Arn"))
            .prop("EncryptionKey", Value::get_att(&ids.key, "Arn"))
            .prop("TimeoutInMinutes", minutes)
            .prop(
                "Source",
                Value::map([
                    ("Type", Value::str("CODEPIPELINE")),
                    ("BuildSpec", Value::str(spec)),
                ]),
            )
            .prop(
                "Artifacts",
                Value::map([("Type", Value::str("CODEPIPELINE"))]),
            )
            .prop(
                "Environment",
                Value::map([
                    ("Type", Value::str("LINUX_CONTAINER")),
                    ("ComputeType", Value::str(compute)),
                    ("Image", Value::str(BUILD_IMAGE)),
                    // A public image: CodeBuild pulls it itself, the
                    // project's role needs no registry rights.
                    ("ImagePullCredentialsType", Value::str("CODEBUILD")),
                    ("PrivilegedMode", Value::from(false)),
                ]),
            )
            .prop(
                "LogsConfig",
                Value::map([(
                    "CloudWatchLogs",
                    Value::map([
                        ("Status", Value::str("ENABLED")),
                        ("GroupName", Value::Ref(ids.builds.clone())),
                        ("StreamName", Value::str(what)),
                    ]),
                )]),
            )
            .prop("Tags", cx.tag_list());
        super::nag_suppress(
            &mut project,
            ["AwsSolutions-CB5"],
            "The image is pinned by digest to one Rust toolchain, so every build of a release uses the same compiler; CodeBuild's curated images cannot be pinned by digest",
        );
        super::nag_suppress(
            &mut project,
            super::compliance_rule(
                "CodeBuildProjectSourceRepoUrl",
                &["HIPAA.Security", "PCI.DSS.321"],
            ),
            "The source is CODEPIPELINE: the project has no repository URL, so none can carry credentials; the pipeline reaches the repository through its CodeStar connection",
        );
        cx.add(id, project)?;
    }

    let statements = pipeline_statements(pipeline, &ids, &[&build_project, &deploy_project]);
    let pipeline_role_resource = role(cx, &n("pipeline"), "codepipeline.amazonaws.com", statements);
    cx.add(&pipeline_role, pipeline_role_resource)?;

    let mut stages = vec![source_stage(pipeline, &ids), build_stage(&build_project)];
    for (i, stage) in pipeline.stages.iter().enumerate() {
        stages.push(match stage {
            PipelineStage::Approve => approval_stage(
                platform,
                pipeline,
                &ids,
                &pipeline.stages[..i],
                &pipeline.stages[i + 1..],
            ),
            PipelineStage::Deploy { profile } => deploy_stage(profile, &deploy_project),
        });
    }
    let resource = Resource::new("AWS::CodePipeline::Pipeline")
        .prop("Name", cx.physical_name("codepipeline", &pipeline.name))
        .prop("PipelineType", "V2")
        .prop("ExecutionMode", "QUEUED")
        .prop("RoleArn", Value::get_att(&pipeline_role, "Arn"))
        .prop(
            "ArtifactStore",
            Value::map([
                ("Type", Value::str("S3")),
                ("Location", Value::Ref(ids.artifacts.clone())),
                (
                    "EncryptionKey",
                    Value::map([
                        ("Id", Value::get_att(&ids.key, "Arn")),
                        ("Type", Value::str("KMS")),
                    ]),
                ),
            ]),
        )
        .prop("Stages", Value::list(stages))
        .prop("Tags", cx.tag_list());
    cx.add(&pipeline_id, resource)?;
    if let Some(source) = &ids.source {
        source_trigger(cx, pipeline, source, &pipeline_id)?;
    }
    cx.template.outputs.insert(
        format!("{prefix}PipelineName"),
        crate::template::Output {
            value: Value::Ref(pipeline_id),
            description: format!("Name of pipeline `{}`", pipeline.name),
            export: None,
        },
    );
    Ok(())
}

/// An IAM role `service` assumes, with one inline policy.
fn role(cx: &Context<'_>, purpose: &str, service: &str, statements: Vec<Statement>) -> Resource {
    iam::bounded(Resource::new("AWS::IAM::Role"), cx.region)
        .prop("RoleName", cx.physical_name(ROLE_SHORT_TYPE, purpose))
        .prop(
            "AssumeRolePolicyDocument",
            iam::document(&[iam::service_trust("AssumeRole", service)]),
        )
        .prop(
            "Policies",
            Value::list([Value::map([
                ("PolicyName", Value::str("least-privilege")),
                ("PolicyDocument", iam::document(&statements)),
            ])]),
        )
        .prop("Tags", cx.tag_list())
}

fn action_type(category: &str, provider: &str) -> Value {
    Value::map([
        ("Category", Value::str(category)),
        ("Owner", Value::str("AWS")),
        ("Provider", Value::str(provider)),
        ("Version", Value::str("1")),
    ])
}

fn artifact(name: &str) -> Value {
    Value::list([Value::map([("Name", Value::str(name))])])
}

fn source_stage(pipeline: &PipelineSpec, ids: &Ids) -> Value {
    let action = match &pipeline.source {
        PipelineSource::Repository { repository, branch } => Value::map([
            ("Name", Value::str("Source")),
            (
                "ActionTypeId",
                action_type("Source", "CodeStarSourceConnection"),
            ),
            (
                "Configuration",
                Value::map([
                    ("ConnectionArn", Value::Ref(CONNECTION_PARAMETER.into())),
                    ("FullRepositoryId", Value::str(repository.as_str())),
                    ("BranchName", Value::str(branch.as_str())),
                    ("OutputArtifactFormat", Value::str("CODE_ZIP")),
                    ("DetectChanges", Value::from(true)),
                ]),
            ),
            ("OutputArtifacts", artifact("Source")),
            ("Namespace", Value::str(SOURCE_NAMESPACE)),
            ("RunOrder", Value::from(1u32)),
        ]),
        PipelineSource::Bucket => Value::map([
            ("Name", Value::str("Source")),
            ("ActionTypeId", action_type("Source", "S3")),
            (
                "Configuration",
                Value::map([
                    (
                        "S3Bucket",
                        Value::Ref(ids.source.clone().expect("an S3 source has a bucket")),
                    ),
                    ("S3ObjectKey", Value::str(SOURCE_OBJECT_KEY)),
                    // Changes arrive through the EventBridge rule instead.
                    ("PollForSourceChanges", Value::from(false)),
                ]),
            ),
            ("OutputArtifacts", artifact("Source")),
            ("Namespace", Value::str(SOURCE_NAMESPACE)),
            ("RunOrder", Value::from(1u32)),
        ]),
    };
    Value::map([
        ("Name", Value::str("Source")),
        ("Actions", Value::list([action])),
    ])
}

/// The pipeline variable holding the revision the source action produced.
fn source_revision(pipeline: &PipelineSpec) -> String {
    let variable = match pipeline.source {
        PipelineSource::Repository { .. } => "CommitId",
        PipelineSource::Bucket => "VersionId",
    };
    format!("#{{{SOURCE_NAMESPACE}.{variable}}}")
}

/// Builds the release once: `tp` and every stage's templates.
fn build_stage(build_project: &str) -> Value {
    Value::map([
        ("Name", Value::str("Build")),
        (
            "Actions",
            Value::list([Value::map([
                ("Name", Value::str("Build")),
                ("ActionTypeId", action_type("Build", "CodeBuild")),
                (
                    "Configuration",
                    Value::map([("ProjectName", Value::Ref(build_project.to_owned()))]),
                ),
                ("InputArtifacts", artifact("Source")),
                ("OutputArtifacts", artifact(RELEASE_ARTIFACT)),
                ("RunOrder", Value::from(1u32)),
            ])]),
        ),
    ])
}

/// Deploys, then verifies, the built release in one stage; a failure in the
/// stage rolls it back to the release it last deployed successfully.
fn deploy_stage(profile: &str, deploy_project: &str) -> Value {
    let env = Value::str(format!(
        r#"[{{"name":"STAGE","value":"{profile}","type":"PLAINTEXT"}}]"#
    ));
    Value::map([
        ("Name", Value::str(pascal_case(profile))),
        (
            "Actions",
            Value::list([Value::map([
                ("Name", Value::str("DeployAndVerify")),
                ("ActionTypeId", action_type("Build", "CodeBuild")),
                (
                    "Configuration",
                    Value::map([
                        ("ProjectName", Value::Ref(deploy_project.to_owned())),
                        ("EnvironmentVariables", env),
                    ]),
                ),
                ("InputArtifacts", artifact(RELEASE_ARTIFACT)),
                ("RunOrder", Value::from(1u32)),
            ])]),
        ),
        (
            "OnFailure",
            Value::map([("Result", Value::str("ROLLBACK"))]),
        ),
    ])
}

/// A manual approval naming the release and the stages around it; it
/// notifies the pipeline's `notify` topic when there is one.
fn approval_stage(
    platform: &Platform,
    pipeline: &PipelineSpec,
    ids: &Ids,
    before: &[PipelineStage],
    after: &[PipelineStage],
) -> Value {
    let profile = |stage: &PipelineStage| match stage {
        PipelineStage::Deploy { profile } => Some(profile.clone()),
        PipelineStage::Approve => None,
    };
    let verified = before.iter().rev().find_map(profile);
    let next = after.iter().find_map(profile);
    let mut message = format!(
        "Approve deploying release {} of {}",
        source_revision(pipeline),
        platform.name
    );
    if let Some(next) = next {
        message.push_str(&format!(" to {next}"));
    }
    if let Some(verified) = verified {
        message.push_str(&format!(
            ": the same files {verified} deployed and verified"
        ));
    }
    message.push_str(&format!(
        " (every file's sha256 is in the build's {RELEASE_RECORD})."
    ));
    let mut configuration = vec![("CustomData", Value::str(message))];
    if let Some(topic) = &ids.topic {
        configuration.push(("NotificationArn", Value::Ref(topic.clone())));
    }
    Value::map([
        ("Name", Value::str("Approve")),
        (
            "Actions",
            Value::list([Value::map([
                ("Name", Value::str("Approve")),
                ("ActionTypeId", action_type("Approval", "Manual")),
                ("Configuration", Value::map(configuration)),
                ("RunOrder", Value::from(1u32)),
            ])]),
        ),
    ])
}

/// A buildspec running `commands` in bash, each quoted as a YAML (JSON)
/// string so that no character of the shell is read as YAML.
fn buildspec(commands: &[String], artifacts: Option<&str>) -> String {
    let mut spec =
        String::from("version: 0.2\nenv:\n  shell: bash\nphases:\n  build:\n    commands:\n");
    for command in commands {
        let quoted = serde_json::to_string(command).expect("a string serializes");
        spec.push_str(&format!("      - {quoted}\n"));
    }
    if let Some(base) = artifacts {
        spec.push_str(&format!(
            "artifacts:\n  base-directory: {base}\n  files:\n    - '**/*'\n"
        ));
    }
    spec
}

/// The build: check the pinned toolchain, build `tp` from the lock file,
/// synthesize each stage's environment with it, record the release.
fn build_buildspec(profiles: &[&str]) -> String {
    let mut commands = vec![
        format!(
            r#"test "$(rustc --version | cut -d ' ' -f 2)" = "{RUST_VERSION}" || {{ echo "rustc is $(rustc --version), not the {RUST_VERSION} the build image pins; change the image and the version together" >&2; exit 1; }}"#
        ),
        "cargo build --release --locked -p cli".to_owned(),
        "mkdir -p release && cp target/release/tp release/tp".to_owned(),
    ];
    for profile in profiles {
        commands.push(format!(
            "release/tp synth --suffix {profile} --profile {profile} --out release/{profile}"
        ));
    }
    commands.push(format!(
        r#"printf 'source_revision %s\ntp_sha256 %s\n' "$CODEBUILD_RESOLVED_SOURCE_VERSION" "$(sha256sum release/tp | cut -d ' ' -f 1)" > {RELEASE_RECORD}.partial"#
    ));
    commands.push(format!(
        r#"(cd release && find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum) >> {RELEASE_RECORD}.partial"#
    ));
    commands.push(format!(
        "mv {RELEASE_RECORD}.partial release/{RELEASE_RECORD} && cat release/{RELEASE_RECORD}"
    ));
    buildspec(&commands, Some("release"))
}

/// A deploy stage: check the release against its record, then deploy the
/// stage's environment from it and verify it, with the built `tp`.
fn deploy_buildspec() -> String {
    buildspec(
        &[
            format!("head -n 2 {RELEASE_RECORD}"),
            format!(
                "grep -E '^[0-9a-f]{{64}}  ' {RELEASE_RECORD} | sha256sum --check --strict --quiet"
            ),
            // Artifacts travel as zips, which do not keep the mode.
            "chmod +x tp".to_owned(),
            r#"./tp deploy --from "$STAGE" --suffix "$STAGE" --profile "$STAGE" --require-approval never"#.to_owned(),
            r#"./tp verify --suffix "$STAGE" --profile "$STAGE""#.to_owned(),
        ],
        None,
    )
}

/// `arn:${AWS::Partition}:{service}:{region}:${AWS::AccountId}:{resource}`.
fn arn_in(service: &str, region: &str, resource: &str) -> Value {
    Value::sub(format!(
        "arn:${{AWS::Partition}}:{service}:{region}:${{AWS::AccountId}}:{resource}"
    ))
}

fn deploy_profiles(pipeline: &PipelineSpec) -> Vec<&str> {
    pipeline
        .stages
        .iter()
        .filter_map(|s| match s {
            PipelineStage::Deploy { profile } => Some(profile.as_str()),
            PipelineStage::Approve => None,
        })
        .collect()
}

/// The pipeline's artifacts: the bucket and its objects.
fn artifact_objects(ids: &Ids) -> Vec<Value> {
    vec![Value::sub(format!("${{{}.Arn}}/*", ids.artifacts))]
}

fn log_statement(ids: &Ids) -> Statement {
    Statement::allow(
        "BuildLogs",
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        vec![Value::get_att(&ids.builds, "Arn")],
    )
}

/// The build role: read the source, write the release, its logs; no deploy
/// rights of any kind.
fn build_statements(ids: &Ids) -> Vec<Statement> {
    vec![
        Statement::allow(
            "ReadSourceWriteRelease",
            &["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            artifact_objects(ids),
        ),
        Statement::allow(
            "PipelineKey",
            &["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
            vec![Value::get_att(&ids.key, "Arn")],
        ),
        log_statement(ids),
    ]
}

/// The deploy role: assume each stage account's deploy role, read the
/// release, its logs. Everything else happens as the deploy role.
fn deploy_statements(platform: &Platform, pipeline: &PipelineSpec, ids: &Ids) -> Vec<Statement> {
    vec![
        Statement::allow(
            "AssumeStageDeployRoles",
            &["sts:AssumeRole"],
            deploy_role_arns(platform, pipeline),
        ),
        Statement::allow(
            "ReadRelease",
            &["s3:GetObject", "s3:GetObjectVersion"],
            artifact_objects(ids),
        ),
        Statement::allow(
            "PipelineKey",
            &["kms:Decrypt", "kms:DescribeKey"],
            vec![Value::get_att(&ids.key, "Arn")],
        ),
        log_statement(ids),
        // `tp` compares the caller's account with the stage's before it
        // assumes; GetCallerIdentity has no resource to scope to.
        Statement::allow("WhoAmI", &["sts:GetCallerIdentity"], vec![Value::str("*")]),
    ]
}

/// The pipeline's role: its artifacts and key, the two builds, the source,
/// the approval topic.
fn pipeline_statements(pipeline: &PipelineSpec, ids: &Ids, projects: &[&str]) -> Vec<Statement> {
    let mut buckets = vec![
        Value::get_att(&ids.artifacts, "Arn"),
        Value::sub(format!("${{{}.Arn}}/*", ids.artifacts)),
    ];
    if let Some(source) = &ids.source {
        buckets.push(Value::get_att(source, "Arn"));
        buckets.push(Value::sub(format!("${{{source}.Arn}}/*")));
    }
    let mut statements = vec![
        Statement::allow(
            "Artifacts",
            &[
                "s3:GetBucketLocation",
                "s3:GetBucketVersioning",
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:PutObject",
            ],
            buckets,
        ),
        Statement::allow(
            "PipelineKey",
            &[
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
            ],
            vec![Value::get_att(&ids.key, "Arn")],
        ),
        Statement::allow(
            "RunBuilds",
            &["codebuild:BatchGetBuilds", "codebuild:StartBuild"],
            projects.iter().map(|p| Value::get_att(p, "Arn")).collect(),
        ),
    ];
    if let PipelineSource::Repository { .. } = pipeline.source {
        statements.push(Statement::allow(
            "UseSourceConnection",
            &["codestar-connections:UseConnection"],
            vec![Value::Ref(CONNECTION_PARAMETER.into())],
        ));
    }
    if let Some(topic) = &ids.topic {
        // The approval action publishes as the pipeline's role.
        statements.push(Statement::allow(
            "NotifyApprovers",
            &["sns:Publish"],
            vec![Value::Ref(topic.clone())],
        ));
    }
    statements
}

/// An S3-sourced pipeline starts when `source.zip` changes: the bucket
/// sends its events to EventBridge, and a rule starts the pipeline.
fn source_trigger(
    cx: &mut Context<'_>,
    pipeline: &PipelineSpec,
    source: &str,
    pipeline_id: &str,
) -> Result<(), SynthError> {
    let prefix = pascal_case(&pipeline.name);
    let role_id = format!("{prefix}TriggerRole");
    let pipeline_arn = arn_in(
        "codepipeline",
        "${AWS::Region}",
        &format!("${{{pipeline_id}}}"),
    );
    let trigger_role = role(
        cx,
        &format!("{}_trigger", pipeline.name),
        "events.amazonaws.com",
        vec![Statement::allow(
            "StartPipeline",
            &["codepipeline:StartPipelineExecution"],
            vec![pipeline_arn.clone()],
        )],
    );
    cx.add(&role_id, trigger_role)?;
    if let Some(bucket) = cx.template.resources.get_mut(source) {
        bucket.properties.insert(
            "NotificationConfiguration".into(),
            Value::map([(
                "EventBridgeConfiguration",
                Value::map([("EventBridgeEnabled", Value::from(true))]),
            )]),
        );
    }
    let pattern = Value::map([
        ("source", Value::list([Value::str("aws.s3")])),
        ("detail-type", Value::list([Value::str("Object Created")])),
        (
            "detail",
            Value::map([
                (
                    "bucket",
                    Value::map([("name", Value::list([Value::Ref(source.to_owned())]))]),
                ),
                (
                    "object",
                    Value::map([("key", Value::list([Value::str(SOURCE_OBJECT_KEY)]))]),
                ),
            ]),
        ),
    ]);
    let rule = Resource::new("AWS::Events::Rule")
        .prop(
            "Description",
            format!(
                "Start pipeline `{}` when {SOURCE_OBJECT_KEY} changes",
                pipeline.name
            ),
        )
        .prop("EventPattern", pattern)
        .prop("State", "ENABLED")
        .prop(
            "Targets",
            Value::list([Value::map([
                ("Id", Value::str("Pipeline")),
                ("Arn", pipeline_arn),
                ("RoleArn", Value::get_att(&role_id, "Arn")),
            ])]),
        );
    cx.add(&format!("{prefix}SourceRule"), rule)
}

/// The subscribers the pipeline's copy of a topic keeps: the environment's
/// queues are not in the pipeline's stack.
fn without_queues(subscribers: &PerProfile<Vec<Subscriber>>) -> PerProfile<Vec<Subscriber>> {
    let keep = |list: &Vec<Subscriber>| {
        list.iter()
            .filter(|s| !matches!(s, Subscriber::Sqs { .. }))
            .cloned()
            .collect()
    };
    match subscribers {
        PerProfile::Same(list) => PerProfile::Same(keep(list)),
        PerProfile::ByProfile(values) => {
            PerProfile::ByProfile(values.iter().map(|(p, l)| (p.clone(), keep(l))).collect())
        }
    }
}
