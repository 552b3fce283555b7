//! The promotion pipeline's stack: a CodePipeline (V2) that takes the
//! platform's source, and for each stage runs `tp deploy` and then
//! `tp verify` in CodeBuild, with a manual approval before production. A
//! stage whose verify fails rolls back to the artifact it last deployed
//! successfully (the stage's `OnFailure: ROLLBACK`).
//!
//! The stack reuses the platform's constructs for what it stores (a key,
//! an artifact bucket logging to an SSE-S3 bucket, the build log group), so
//! it gets the same defaults: rotation, versioning, TLS-only, tags. Roles:
//!
//! - the pipeline's role reads and writes artifacts, uses the key, starts
//!   the two builds and uses the source connection;
//! - the build role manages exactly the stacks the stages deploy
//!   (`{platform}-{region}-{stage}` in every declared region), reads the
//!   asset buckets `tp bootstrap` made, and passes the execution role;
//! - CloudFormation creates the platform's resources with the execution
//!   role: the services the platform uses, in its regions only, and IAM only
//!   on roles ending in a stage's suffix.

use crate::catalog::{KINDS, ROLE_SHORT_TYPE};
use crate::naming::{self, Suffix, pascal_case};
use crate::spec::{
    BucketSpec, KeySpec, LogGroupSpec, PerProfile, PipelineSource, PipelineSpec, PipelineStage,
    Platform, Resource as Declared, Spec,
};
use crate::template::{Parameter, Resource, Template, Value};

use super::iam::{self, Statement};
use super::{Assembly, Context, Deployment, Stack, SynthError, checkov_skip, constructs, limits};

/// The template parameter holding the CodeStar connection's ARN.
pub const CONNECTION_PARAMETER: &str = "SourceConnectionArn";

/// The object an S3-sourced pipeline starts from.
pub const SOURCE_OBJECT_KEY: &str = "source.zip";

/// The prefix of the asset buckets `tp bootstrap` creates,
/// `tp-assets-{account}-{region}`.
pub const ASSET_BUCKET_PREFIX: &str = "tp-assets-";

/// The CodeBuild image the deploy and verify builds run in.
const BUILD_IMAGE: &str = "aws/codebuild/standard:7.0";

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
    for stage in &pipeline.stages {
        if let PipelineStage::Deploy { profile } = stage {
            for region in &platform.regions {
                out.push(format!(
                    "{}-{region}-{profile}",
                    naming::purpose(&platform.name)
                ));
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
    let storage = storage(platform, pipeline);
    let name = pipeline_stack_name(platform, pipeline, suffix);
    let index = super::index::Index::new(&storage);
    let mut cx = Context {
        platform: &storage,
        region: &pipeline.region,
        suffix,
        profile: &deployment.profile,
        assets: &[],
        index: &index,
        owners: std::collections::HashMap::new(),
        current: 0,
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
    let template = cx.template;
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
        }],
        assets: Vec::new(),
    })
}

/// What the pipeline stores, declared as the platform declares its own
/// resources so that the same constructs build them.
fn storage(platform: &Platform, pipeline: &PipelineSpec) -> Platform {
    let n = |what: &str| format!("{}_{what}", pipeline.name);
    let mut resources = vec![
        Declared {
            name: n("key"),
            spec: Spec::Key(KeySpec {
                description: format!("Pipeline `{}`: artifacts and build logs", pipeline.name),
                rotation: true,
                pending_window_days: 7,
            }),
        },
        Declared {
            name: n("logs"),
            spec: Spec::Bucket(BucketSpec {
                key: None,
                access_logs: None,
                expire_days: PerProfile::Same(Some(90)),
                noncurrent_days: 30,
            }),
        },
        Declared {
            name: n("artifacts"),
            spec: Spec::Bucket(BucketSpec {
                key: Some(n("key")),
                access_logs: Some(n("logs")),
                expire_days: PerProfile::Same(None),
                noncurrent_days: 30,
            }),
        },
        Declared {
            name: n("builds"),
            spec: Spec::LogGroup(LogGroupSpec {
                retention_days: pipeline.log_retention_days,
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
            }),
        });
    }
    Platform {
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
    }
}

/// Logical ids of the storage, as the constructs name them.
struct Ids {
    key: String,
    artifacts: String,
    source: Option<String>,
    builds: String,
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
    };
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
    let exec_role = format!("{prefix}ExecutionRole");
    let build_role = format!("{prefix}BuildRole");
    let pipeline_role = format!("{prefix}PipelineRole");
    let deploy_project = format!("{prefix}DeployProject");
    let verify_project = format!("{prefix}VerifyProject");
    let pipeline_id = format!("{prefix}Pipeline");

    let mut exec = role(
        cx,
        &n("execution"),
        "cloudformation.amazonaws.com",
        execution_statements(platform, pipeline),
    );
    checkov_skip(
        &mut exec,
        &[
            (
                "CKV_AWS_111",
                "CloudFormation creates the platform's resources with this role; create actions have no resource ARN to scope to before the resource exists, so they are limited to the platform's regions instead",
            ),
            (
                "CKV_AWS_109",
                "the role manages the key policies and resource policies of the platform's own resources, limited to its regions",
            ),
            (
                "CKV_AWS_110",
                "IAM actions are limited to roles named `role-*-{stage}`, the platform's own roles",
            ),
        ],
    );
    cx.add(&exec_role, exec)?;

    let build = role(
        cx,
        &n("build"),
        "codebuild.amazonaws.com",
        build_statements(platform, pipeline, &ids, &exec_role),
    );
    cx.add(&build_role, build)?;

    for (id, what, spec) in [
        (&deploy_project, "deploy", deploy_buildspec()),
        (&verify_project, "verify", verify_buildspec()),
    ] {
        let project = Resource::new("AWS::CodeBuild::Project")
            .prop("Name", cx.physical_name("codebuild", &n(what)))
            .prop(
                "Description",
                format!("`tp {what}` of one stage of pipeline `{}`", pipeline.name),
            )
            .prop("ServiceRole", Value::get_att(&build_role, "Arn"))
            .prop("EncryptionKey", Value::get_att(&ids.key, "Arn"))
            .prop("TimeoutInMinutes", 60u32)
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
                    ("ComputeType", Value::str("BUILD_GENERAL1_MEDIUM")),
                    ("Image", Value::str(BUILD_IMAGE)),
                    ("PrivilegedMode", Value::from(false)),
                    (
                        "EnvironmentVariables",
                        Value::list([Value::map([
                            ("Name", Value::str("TP_EXECUTION_ROLE_ARN")),
                            ("Type", Value::str("PLAINTEXT")),
                            ("Value", Value::get_att(&exec_role, "Arn")),
                        ])]),
                    ),
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
        cx.add(id, project)?;
    }

    let statements = pipeline_statements(pipeline, &ids, &[&deploy_project, &verify_project]);
    let pipeline_role_resource = role(cx, &n("pipeline"), "codepipeline.amazonaws.com", statements);
    cx.add(&pipeline_role, pipeline_role_resource)?;

    let mut stages = vec![source_stage(pipeline, &ids)];
    for stage in &pipeline.stages {
        stages.push(match stage {
            PipelineStage::Approve => Value::map([
                ("Name", Value::str("Approve")),
                (
                    "Actions",
                    Value::list([Value::map([
                        ("Name", Value::str("Approve")),
                        ("ActionTypeId", action_type("Approval", "Manual")),
                        ("RunOrder", Value::from(1u32)),
                    ])]),
                ),
            ]),
            PipelineStage::Deploy { profile } => {
                deploy_stage(profile, &deploy_project, &verify_project)
            }
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
            ("RunOrder", Value::from(1u32)),
        ]),
    };
    Value::map([
        ("Name", Value::str("Source")),
        ("Actions", Value::list([action])),
    ])
}

/// Deploy, then verify with the `tp` the deploy built; a failure in the
/// stage rolls it back to its last successful artifact.
fn deploy_stage(profile: &str, deploy_project: &str, verify_project: &str) -> Value {
    let stage = pascal_case(profile);
    let tool = format!("{stage}Tool");
    let env = Value::str(format!(
        r#"[{{"name":"STAGE","value":"{profile}","type":"PLAINTEXT"}}]"#
    ));
    Value::map([
        ("Name", Value::str(stage.clone())),
        (
            "Actions",
            Value::list([
                Value::map([
                    ("Name", Value::str("Deploy")),
                    ("ActionTypeId", action_type("Build", "CodeBuild")),
                    (
                        "Configuration",
                        Value::map([
                            ("ProjectName", Value::Ref(deploy_project.to_owned())),
                            ("EnvironmentVariables", env.clone()),
                        ]),
                    ),
                    ("InputArtifacts", artifact("Source")),
                    ("OutputArtifacts", artifact(&tool)),
                    ("RunOrder", Value::from(1u32)),
                ]),
                Value::map([
                    ("Name", Value::str("Verify")),
                    ("ActionTypeId", action_type("Build", "CodeBuild")),
                    (
                        "Configuration",
                        Value::map([
                            ("ProjectName", Value::Ref(verify_project.to_owned())),
                            ("EnvironmentVariables", env),
                        ]),
                    ),
                    ("InputArtifacts", artifact(&tool)),
                    ("RunOrder", Value::from(2u32)),
                ]),
            ]),
        ),
        (
            "OnFailure",
            Value::map([("Result", Value::str("ROLLBACK"))]),
        ),
    ])
}

fn deploy_buildspec() -> &'static str {
    "version: 0.2
phases:
  install:
    commands:
      - curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  build:
    commands:
      - . \"$HOME/.cargo/env\"
      - cargo build --release --locked -p cli
      - ./target/release/tp deploy --suffix \"$STAGE\" --profile \"$STAGE\" --require-approval never --role-arn \"$TP_EXECUTION_ROLE_ARN\"
artifacts:
  files:
    - target/release/tp
"
}

fn verify_buildspec() -> &'static str {
    "version: 0.2
phases:
  build:
    commands:
      - ./target/release/tp verify --suffix \"$STAGE\" --profile \"$STAGE\"
"
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

/// The build role: the stages' stacks by name and nothing else of
/// CloudFormation's, the asset buckets and their SSM names, the pipeline's
/// artifacts, key and log group, and passing the execution role.
fn build_statements(
    platform: &Platform,
    pipeline: &PipelineSpec,
    ids: &Ids,
    exec_role: &str,
) -> Vec<Statement> {
    let stacks: Vec<Value> = staged_stacks(platform, pipeline)
        .iter()
        .map(|name| {
            let region = platform
                .regions
                .iter()
                .find(|r| name.contains(&format!("-{r}-")))
                .expect("a staged stack is in a declared region");
            arn_in("cloudformation", region, &format!("stack/{name}/*"))
        })
        .collect();
    let parameters: Vec<Value> = platform
        .regions
        .iter()
        .map(|region| arn_in("ssm", region, "parameter/tp/bootstrap/asset-bucket"))
        .collect();
    let mut asset_buckets: Vec<Value> = Vec::new();
    for region in &platform.regions {
        let bucket = format!("{ASSET_BUCKET_PREFIX}${{AWS::AccountId}}-{region}");
        asset_buckets.push(Value::sub(format!("arn:${{AWS::Partition}}:s3:::{bucket}")));
        asset_buckets.push(Value::sub(format!(
            "arn:${{AWS::Partition}}:s3:::{bucket}/*"
        )));
    }
    let artifacts = vec![
        Value::get_att(&ids.artifacts, "Arn"),
        Value::sub(format!("${{{}.Arn}}/*", ids.artifacts)),
    ];
    vec![
        Statement::allow(
            "ManageStageStacks",
            &[
                "cloudformation:CreateChangeSet",
                "cloudformation:DeleteChangeSet",
                "cloudformation:DescribeChangeSet",
                "cloudformation:DescribeStackEvents",
                "cloudformation:DescribeStacks",
                "cloudformation:DetectStackDrift",
                "cloudformation:DescribeStackResourceDrifts",
                "cloudformation:ExecuteChangeSet",
                "cloudformation:GetTemplate",
                "cloudformation:ListStackResources",
                "cloudformation:SetStackPolicy",
            ],
            stacks,
        ),
        Statement::allow("ReadAssetBucketNames", &["ssm:GetParameter"], parameters),
        Statement::allow(
            "UploadAssets",
            &["s3:GetObject", "s3:ListBucket", "s3:PutObject"],
            asset_buckets,
        ),
        Statement::allow(
            "PipelineArtifacts",
            &["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            artifacts,
        ),
        Statement::allow(
            "PipelineKey",
            &["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
            vec![Value::get_att(&ids.key, "Arn")],
        ),
        Statement::allow(
            "BuildLogs",
            &["logs:CreateLogStream", "logs:PutLogEvents"],
            vec![Value::get_att(&ids.builds, "Arn")],
        ),
        Statement::allow(
            "PassExecutionRole",
            &["iam:PassRole"],
            vec![Value::get_att(exec_role, "Arn")],
        ),
        Statement::allow(
            "ReadGuardAlarms",
            &["cloudwatch:DescribeAlarms"],
            stage_names(platform, pipeline, |region, profile| {
                arn_in(
                    "cloudwatch",
                    region,
                    &format!("alarm:alarm-*-{region}-{profile}"),
                )
            }),
        ),
        Statement::allow(
            "ReadDeadLetterQueues",
            &["sqs:GetQueueAttributes"],
            stage_names(platform, pipeline, |region, profile| {
                arn_in("sqs", region, &format!("sqs-*-{region}-{profile}*"))
            }),
        ),
        Statement::allow("WhoAmI", &["sts:GetCallerIdentity"], vec![Value::str("*")]),
    ]
}

/// One ARN per declared region and deploy stage.
fn stage_names(
    platform: &Platform,
    pipeline: &PipelineSpec,
    arn: impl Fn(&str, &str) -> Value,
) -> Vec<Value> {
    let mut out = Vec::new();
    for profile in deploy_profiles(pipeline) {
        for region in &platform.regions {
            out.push(arn(region, profile));
        }
    }
    out
}

/// The execution role: the services the platform's kinds use, in its
/// regions; IAM only on the platform's own roles.
fn execution_statements(platform: &Platform, pipeline: &PipelineSpec) -> Vec<Statement> {
    let mut services: Vec<&str> = Vec::new();
    for declared in &platform.resources {
        let info = declared.spec.kind().info();
        for service in info.iam_services.iter().chain(std::iter::once(&"logs")) {
            if *service != "iam" && !services.contains(service) {
                services.push(service);
            }
        }
    }
    // What constructs create beside the declared resources.
    for service in ["ec2", "kms", "cloudwatch", "ssm", "lambda"] {
        if !services.contains(&service) {
            services.push(service);
        }
    }
    services.retain(|s| KINDS.iter().any(|k| k.iam_services.contains(s)) || *s == "logs");
    services.sort_unstable();
    let actions: Vec<String> = services.iter().map(|s| format!("{s}:*")).collect();
    let regions: Vec<Value> = platform
        .regions
        .iter()
        .map(|r| Value::str(r.as_str()))
        .collect();
    let roles: Vec<Value> = deploy_profiles(pipeline)
        .iter()
        .map(|profile| {
            Value::sub(format!(
                "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{ROLE_SHORT_TYPE}-*-{profile}"
            ))
        })
        .collect();
    vec![
        Statement {
            sid: "PlatformServicesInItsRegions".into(),
            effect: "Allow",
            actions,
            resources: vec![Value::str("*")],
            principal: None,
            condition: Some(Value::map([(
                "StringEquals",
                Value::map([("aws:RequestedRegion", Value::List(regions))]),
            )])),
        },
        Statement::allow(
            "PlatformRoles",
            &[
                "iam:AttachRolePolicy",
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:PassRole",
                "iam:PutRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
            ],
            roles,
        ),
        Statement::allow(
            "ServiceLinkedRoles",
            &["iam:CreateServiceLinkedRole"],
            vec![Value::sub(
                "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*",
            )],
        ),
    ]
}

/// The pipeline's role: its artifacts and key, the two builds, the source.
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
