//! Synthesis of a small hand-built platform: secure defaults, exact IAM,
//! determinism.

use serde_json::{Value as Json, json};

use super::*;
use crate::spec::*;

fn fixture_code() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/handler").to_owned()
}

pub(crate) fn sample() -> Platform {
    let r = |name: &str, spec: Spec| Resource {
        name: name.into(),
        spec,
    };
    Platform {
        name: "trading".into(),
        regions: vec!["us-east-1".into(), "us-west-2".into()],
        suffix_max: 12,
        tags: vec![("Project".into(), "trading-platform".into())],
        profiles: vec!["dev".into(), "prod".into()],
        resources: vec![
            r(
                "data",
                Spec::Key(KeySpec {
                    description: "data".into(),
                    rotation: true,
                    pending_window_days: 30,
                }),
            ),
            r(
                "logs",
                Spec::Key(KeySpec {
                    description: "logs".into(),
                    rotation: true,
                    pending_window_days: 30,
                }),
            ),
            r(
                "sessions",
                Spec::Table(TableSpec {
                    partition: ("session_id".into(), KeyType::String),
                    sort: None,
                    ttl: Some("expires_at".into()),
                    stream: Some(StreamView::NewAndOldImages),
                    key: "data".into(),
                }),
            ),
            r(
                "orders",
                Spec::Queue(QueueSpec {
                    visibility_timeout_secs: PerProfile::ByProfile(vec![
                        ("dev".into(), 120),
                        ("prod".into(), 180),
                    ]),
                    retention_secs: PerProfile::ByProfile(vec![
                        ("dev".into(), 345_600),
                        ("prod".into(), 1_209_600),
                    ]),
                    fifo: false,
                    dead_letter: Some(DeadLetter {
                        queue: "orders_dlq".into(),
                        max_receive_count: 5,
                    }),
                    key: "data".into(),
                }),
            ),
            r(
                "orders_dlq",
                Spec::Queue(QueueSpec {
                    visibility_timeout_secs: PerProfile::Same(30),
                    retention_secs: PerProfile::Same(1_209_600),
                    fifo: false,
                    dead_letter: None,
                    key: "data".into(),
                }),
            ),
            r(
                "audit",
                Spec::Bucket(BucketSpec {
                    key: Some("data".into()),
                    access_logs: Some("access_logs".into()),
                    expire_days: PerProfile::ByProfile(vec![
                        ("dev".into(), Some(30)),
                        ("prod".into(), None),
                    ]),
                    noncurrent_days: 90,
                    archive_days: PerProfile::ByProfile(vec![
                        ("dev".into(), Some(30)),
                        ("prod".into(), Some(2557)),
                    ]),
                }),
            ),
            r(
                "access_logs",
                Spec::Bucket(BucketSpec {
                    key: None,
                    access_logs: None,
                    expire_days: PerProfile::Same(Some(90)),
                    noncurrent_days: 30,
                archive_days: PerProfile::Same(None),
                }),
            ),
            r(
                "alerts",
                Spec::Topic(TopicSpec {
                    key: "data".into(),
                    display_name: None,
                    email_subscription: true,
                    subscribers: PerProfile::Same(Vec::new()),
                }),
            ),
            r(
                "core",
                Spec::Network(NetworkSpec {
                    cidr: PerProfile::Same(PerRegion(vec![
                        ("us-east-1".into(), "10.0.0.0/16".into()),
                        ("us-west-2".into(), "10.2.0.0/16".into()),
                    ])),
                    azs: 3,
                    endpoints: [
                        "s3",
                        "dynamodb",
                        "sqs",
                        "sns",
                        "events",
                        "ssm",
                        "secretsmanager",
                        "kms",
                        "logs",
                        "monitoring",
                    ]
                    .map(String::from)
                    .to_vec(),
                    flow_log_retention_days: PerProfile::ByProfile(vec![("dev".into(), 30), ("prod".into(), 365)]),
                    key: "logs".into(),
                    public: false,
                }),
            ),
            r(
                "trades",
                Spec::Aurora(AuroraSpec {
                    engine_version: "16.10".into(),
                    database: "trading".into(),
                    capacity: PerProfile::ByProfile(vec![
                        ("dev".into(), Capacity { min: 0.5, max: 2.0 }),
                        (
                            "prod".into(),
                            Capacity {
                                min: 2.0,
                                max: 16.0,
                            },
                        ),
                    ]),
                    readers: 1,
                    network: "core".into(),
                    backup_days: PerProfile::Same(7),
                    key: "data".into(),
                    log_retention_days: PerProfile::ByProfile(vec![("dev".into(), 30), ("prod".into(), 365)]),
                    log_key: "logs".into(),
                    snapshot_on_removal: PerProfile::ByProfile(vec![
                        ("dev".into(), false),
                        ("prod".into(), true),
                    ]),
                }),
            ),
            r(
                "trading",
                Spec::Api(ApiSpec {
                    stage: "v1".into(),
                    routes: vec![
                        Route {
                            method: "GET".into(),
                            path: "/health".into(),
                            function: "processor".into(),
                            auth: Auth::None,
                            body_schema: None,
                            throttle: Some(PerProfile::Same(Throttle { rate_per_sec: 10.0, burst: 20 })),
                        },
                        Route {
                            method: "POST".into(),
                            path: "/trades".into(),
                            function: "processor".into(),
                            auth: Auth::Iam,
                            body_schema: Some(r#"{"type":"object","required":["symbol"],"properties":{"symbol":{"type":"string"}}}"#.into()),
                            throttle: None,
                        },
                    ],
                    throttle: PerProfile::ByProfile(vec![
                        ("dev".into(), Throttle { rate_per_sec: 100.0, burst: 200 }),
                        ("prod".into(), Throttle { rate_per_sec: 2000.0, burst: 4000 }),
                    ]),
                    log_retention_days: PerProfile::ByProfile(vec![("dev".into(), 90), ("prod".into(), 365)]),
                    key: "logs".into(),
                    waf: Some(WafSpec {
                        rate_limit: PerProfile::ByProfile(vec![("dev".into(), 2000), ("prod".into(), 1000)]),
                    }),
                    domain: None,
                }),
            ),
            r("events", Spec::Bus(BusSpec { description: "trade events".into(), key: "data".into() })),
            r("audit_events", Spec::LogGroup(LogGroupSpec { retention_days: PerProfile::Same(365), key: "logs".into() })),
            r(
                "trade_events",
                Spec::Rule(RuleSpec {
                    bus: Some("events".into()),
                    pattern: Some(r#"{"source":["trading.processor"],"detail-type":["TradeProcessed"]}"#.into()),
                    schedule: None,
                    targets: vec![TargetRef::Function("processor".into()), TargetRef::LogGroup("audit_events".into())],
                    dead_letter: "orders_dlq".into(),
                    max_retries: 3,
                    max_event_age_secs: 3600,
                    notify: None,
                }),
            ),
            r(
                "hourly",
                Spec::Rule(RuleSpec {
                    bus: None,
                    pattern: None,
                    schedule: Some("rate(1 hour)".into()),
                    targets: vec![TargetRef::Function("processor".into())],
                    dead_letter: "orders_dlq".into(),
                    max_retries: 2,
                    max_event_age_secs: 3600,
                    notify: None,
                }),
            ),
            r(
                "api_health",
                Spec::HealthCheck(HealthCheckSpec {
                    api: "trading".into(),
                    path: "/health".into(),
                    interval_secs: 30,
                    failure_threshold: 3,
                }),
            ),
            r(
                "api_latency",
                Spec::Alarm(AlarmSpec {
                    metric: MetricRef { resource: "trading".into(), metric: "latency_p99".into() },
                    comparison: Comparison::Above,
                    threshold: 1000.0,
                    period_secs: 60,
                    evaluation_periods: 5,
                    datapoints_to_alarm: 3,
                    notify: "alerts".into(),
                    guard: true,
                    description: "API p99 latency above 1 s".into(),
                }),
            ),
            r(
                "api_down",
                Spec::Alarm(AlarmSpec {
                    metric: MetricRef { resource: "api_health".into(), metric: "status".into() },
                    comparison: Comparison::Below,
                    threshold: 1.0,
                    period_secs: 60,
                    evaluation_periods: 2,
                    datapoints_to_alarm: 2,
                    notify: "alerts".into(),
                    guard: false,
                    description: "Health check failing".into(),
                }),
            ),
            r(
                "operations",
                Spec::Dashboard(DashboardSpec {
                    metrics: vec![
                        MetricRef { resource: "trades".into(), metric: "cpu".into() },
                        MetricRef { resource: "processor".into(), metric: "errors".into() },
                        MetricRef { resource: "trading".into(), metric: "latency_p99".into() },
                        MetricRef { resource: "api_health".into(), metric: "status".into() },
                    ],
                    sections: Vec::new(),
                }),
            ),
            r(
                "table_name",
                Spec::Parameter(ParameterSpec {
                    value: PerProfile::Same(ValueSource::Attr(AttrRef::new("sessions", "name"))),
                    description: "d".into(),
                }),
            ),
            r(
                "processor",
                Spec::Function(FunctionSpec {
                    code: fixture_code(),
                    include: Vec::new(),
                    exclude: Vec::new(),
                    handler: "index.handler".into(),
                    memory_mb: PerProfile::ByProfile(vec![
                        ("dev".into(), 512),
                        ("prod".into(), 2048),
                    ]),
                    timeout_secs: PerProfile::ByProfile(vec![("dev".into(), 20), ("prod".into(), 30)]),
                    log_retention_days: PerProfile::ByProfile(vec![("dev".into(), 30), ("prod".into(), 365)]),
                    key: "data".into(),
                    log_key: "logs".into(),
                    env: vec![
                        (
                            "TABLE".into(),
                            ValueSource::Attr(AttrRef::new("sessions", "name")),
                        ),
                        ("MODE".into(), ValueSource::Literal("fast".into())),
                    ],
                    grants: vec![
                        Grant {
                            resource: "sessions".into(),
                            access: "read".into(),
                        },
                        Grant {
                            resource: "audit".into(),
                            access: "write".into(),
                        },
                        Grant {
                            resource: "table_name".into(),
                            access: "read".into(),
                        },
                    ],
                    statements: vec![
                        PolicyStatement {
                            actions: vec!["dynamodb:DescribeTable".into(), "dynamodb:Query".into()],
                            resource: StatementResource::Declared("sessions".into()),
                        },
                        PolicyStatement {
                            actions: vec!["xray:PutTraceSegments".into()],
                            resource: StatementResource::All,
                        },
                        PolicyStatement {
                            actions: vec!["cloudformation:DescribeStacks".into()],
                            resource: StatementResource::Arn(
                                "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/tp-*/*".into(),
                            ),
                        },
                    ],
                    trigger: Some(Trigger {
                        queue: "orders".into(),
                        batch_size: PerProfile::Same(10),
                        max_batching_window_secs: PerProfile::Same(0),
                        max_concurrency: PerProfile::ByProfile(vec![
                            ("dev".into(), Some(9)),
                            ("prod".into(), Some(90)),
                        ]),
                    }),
                    network: Some("core".into()),
                    reserved_concurrency: PerProfile::ByProfile(vec![
                        ("dev".into(), Some(10)),
                        ("prod".into(), Some(100)),
                    ]),
                    dead_letter: Some("orders_dlq".into()),
                    async_invoke: Some(AsyncInvoke {
                        max_retries: 1,
                        max_event_age_secs: 900,
                    }),
                    metric_namespace: Some("Trading".into()),
                    run: None,
                }),
            ),
        ],
        pipeline: Some(PipelineSpec {
            name: "release".into(),
            region: "us-east-1".into(),
            source: PipelineSource::Repository {
                repository: "acme/trading".into(),
                branch: "main".into(),
            },
            stages: vec![
                PipelineStage::Deploy {
                    profile: "dev".into(),
                },
                PipelineStage::Approve,
                PipelineStage::Deploy {
                    profile: "prod".into(),
                },
            ],
            log_retention_days: 90,
            account: None,
            notify: None,
        }),
        rollback_window_minutes: PerProfile::ByProfile(vec![("dev".into(), 5), ("prod".into(), 15)]),
        drift_check: Some(DriftCheck {
            notify: "alerts".into(),
            every_hours: 24,
        }),
        accounts: None,
        backups: Vec::new(),
        generic: Vec::new(),
        overrides: Vec::new(),
    }
}

fn synth_json(profile: &str) -> Json {
    let platform = sample();
    let deployment =
        Deployment::new(&platform, "dev", Some(profile), &["us-east-1".into()]).unwrap();
    let assembly = synth(&platform, &deployment).unwrap();
    serde_json::from_str(&assembly.stacks[0].body).unwrap()
}

#[test]
fn deployments_are_validated_against_the_platform() {
    let p = sample();
    let d = Deployment::new(&p, "dev", None, &[]).unwrap();
    assert_eq!(d.profile, "dev");
    assert_eq!(d.regions, ["us-east-1", "us-west-2"]);
    assert!(matches!(
        Deployment::new(&p, "Dev!", None, &[]),
        Err(DeploymentError::Suffix(_))
    ));
    let err = Deployment::new(&p, "dev", Some("qa"), &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown --profile `qa`; the platform declares `dev`, `prod` [ref-profile]"
    );
    let err = Deployment::new(&p, "dev", None, &["eu-west-1".into()]).unwrap_err();
    assert!(
        err.to_string().contains("`us-east-1`, `us-west-2`"),
        "{err}"
    );
}

#[test]
fn one_stack_per_region_named_after_platform_region_and_suffix() {
    let p = sample();
    let d = Deployment::new(&p, "pr7", None, &[]).unwrap();
    let a = synth(&p, &d).unwrap();
    let names: Vec<&str> = a.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["trading-us-east-1-pr7", "trading-us-west-2-pr7"]);
    assert!(a.stacks[1].body.contains("ddb-sessions-us-west-2-pr7"));
    assert_eq!(a.assets.len(), 1);
    assert_eq!(a.stacks[0].assets, [a.assets[0].id.clone()]);
}

#[test]
fn functions_with_the_same_code_but_other_includes_get_their_own_assets() {
    let mut p = sample();
    let mut auditor = p.resource("processor").unwrap().clone();
    auditor.name = "auditor".into();
    let Spec::Function(f) = &mut auditor.spec else {
        panic!("processor is a function")
    };
    // The fixture directory again, under `lib/`: only the zip differs.
    f.include = vec![Include {
        prefix: "lib".into(),
        dir: fixture_code(),
    }];
    f.trigger = None;
    p.resources.push(auditor);
    let d = Deployment::new(&p, "dev", None, &["us-east-1".into()]).unwrap();
    let a = synth(&p, &d).unwrap();
    assert_eq!(a.assets.len(), 2);
    let (plain, with_lib) = (&a.assets[0], &a.assets[1]);
    assert!(plain.include.is_empty());
    assert_eq!(with_lib.include[0].prefix, "lib");
    let archive =
        zip::ZipArchive::new(std::io::Cursor::new(with_lib.zip().unwrap().into_owned())).unwrap();
    let mut names: Vec<&str> = archive.file_names().collect();
    names.sort();
    assert_eq!(names, ["index.mjs", "lib/index.mjs"]);
    let t: Json = serde_json::from_str(&a.stacks[0].body).unwrap();
    let key = |logical: &str| t["Resources"][logical]["Properties"]["Code"]["S3Key"].clone();
    assert_eq!(key("ProcessorFunction"), json!(plain.s3_key()));
    assert_eq!(key("AuditorFunction"), json!(with_lib.s3_key()));
}

#[test]
fn functions_whose_directories_hold_identical_code_share_one_asset() {
    // A copy of the fixture directory: another place, the same zip.
    let copy = std::env::temp_dir().join(format!("tp-same-code-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(fixture_code()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    let mut p = sample();
    let mut twin = p.resource("processor").unwrap().clone();
    twin.name = "twin".into();
    let Spec::Function(f) = &mut twin.spec else {
        panic!("processor is a function")
    };
    f.code = copy.to_string_lossy().into_owned();
    f.trigger = None;
    p.resources.push(twin);
    let d = Deployment::new(&p, "dev", None, &["us-east-1".into()]).unwrap();
    let a = synth(&p, &d);
    let _ = std::fs::remove_dir_all(&copy);
    let a = a.unwrap();
    assert_eq!(a.assets.len(), 1, "one zip, uploaded once");
    let t: Json = serde_json::from_str(&a.stacks[0].body).unwrap();
    let key = |logical: &str| t["Resources"][logical]["Properties"]["Code"]["S3Key"].clone();
    assert_eq!(key("ProcessorFunction"), json!(a.assets[0].s3_key()));
    assert_eq!(key("TwinFunction"), json!(a.assets[0].s3_key()));
}

#[test]
fn stacks_synthesized_with_the_cached_ids_are_kept_only_when_the_ids_still_hold() {
    let p = sample();
    let d = Deployment::new(&p, "dev", None, &["us-east-1".into()]).unwrap();
    let fresh = synth(&p, &d).unwrap();
    let out = std::env::temp_dir().join(format!("tp-guess-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let with_id = |id: &str| {
        let recorded: Vec<Asset> = fresh
            .assets
            .iter()
            .map(|a| Asset {
                id: id.to_owned(),
                fingerprint: Some("not the files' fingerprint".into()),
                ..a.clone()
            })
            .collect();
        std::fs::write(out.join(ASSET_CACHE_FILE), AssetCache::document(&recorded)).unwrap();
        synth_cached(&p, &d, &AssetCache::of_dir(&out)).unwrap()
    };
    // The code changed since the cache was written: the guess is wrong
    // and the stacks are synthesized again with the packaged id.
    let stale = with_id(&"0".repeat(64));
    let right = with_id(&fresh.assets[0].id);
    let _ = std::fs::remove_dir_all(&out);
    for a in [stale, right] {
        assert_eq!(a.assets[0].id, fresh.assets[0].id);
        assert_eq!(a.stacks[0].body, fresh.stacks[0].body);
        assert_eq!(a.stacks[0].assets, fresh.stacks[0].assets);
    }
}

#[test]
fn synthesis_is_byte_identical_across_runs() {
    let p = sample();
    let d = Deployment::new(&p, "dev", None, &[]).unwrap();
    let a = synth(&p, &d).unwrap();
    let b = synth(&p, &d).unwrap();
    assert_eq!(a.stacks[0].body, b.stacks[0].body);
    assert_eq!(a.assets[0].zip().unwrap(), b.assets[0].zip().unwrap());
    assert_eq!(a.manifest(), b.manifest());
}

#[test]
fn stateful_resources_are_encrypted_and_destroyable() {
    let t = synth_json("dev");
    let r = &t["Resources"];
    let key_arn = json!({"Fn::GetAtt": ["DataKey", "Arn"]});
    assert_eq!(r["DataKey"]["Properties"]["EnableKeyRotation"], true);
    assert_eq!(
        r["DataKeyAlias"]["Properties"]["AliasName"],
        "alias/kms-data-us-east-1-dev"
    );
    let table = &r["SessionsTable"]["Properties"];
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(table["SSESpecification"]["KMSMasterKeyId"], key_arn);
    assert_eq!(
        table["StreamSpecification"]["StreamViewType"],
        "NEW_AND_OLD_IMAGES"
    );
    assert_eq!(
        table["TimeToLiveSpecification"]["AttributeName"],
        "expires_at"
    );
    assert_eq!(r["OrdersQueue"]["Properties"]["KmsMasterKeyId"], key_arn);
    assert_eq!(
        r["OrdersQueue"]["Properties"]["RedrivePolicy"],
        json!({"deadLetterTargetArn": {"Fn::GetAtt": ["OrdersDlqQueue", "Arn"]}, "maxReceiveCount": 5})
    );
    let bucket = &r["AuditBucket"]["Properties"];
    assert_eq!(bucket["VersioningConfiguration"]["Status"], "Enabled");
    assert_eq!(
        bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"],
        true
    );
    assert_eq!(
        bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
            ["KMSMasterKeyID"],
        key_arn
    );
    assert_eq!(r["AlertsTopic"]["Properties"]["KmsMasterKeyId"], key_arn);
    for id in [
        "DataKey",
        "SessionsTable",
        "OrdersQueue",
        "OrdersDlqQueue",
        "AuditBucket",
    ] {
        assert_eq!(r[id]["DeletionPolicy"], "Delete", "{id}");
        assert_eq!(r[id]["UpdateReplacePolicy"], "Delete", "{id}");
    }
    for policy in [
        "OrdersQueuePolicy",
        "AuditBucketPolicy",
        "AlertsTopicPolicy",
    ] {
        let statement = &r[policy]["Properties"]["PolicyDocument"]["Statement"][0];
        assert_eq!(statement["Effect"], "Deny", "{policy}");
        assert_eq!(
            statement["Condition"]["Bool"]["aws:SecureTransport"], "false",
            "{policy}"
        );
    }
}

#[test]
fn per_profile_values_follow_the_deployment_profile() {
    let dev = synth_json("dev");
    let prod = synth_json("prod");
    assert_eq!(
        dev["Resources"]["ProcessorFunction"]["Properties"]["MemorySize"],
        512
    );
    assert_eq!(
        prod["Resources"]["ProcessorFunction"]["Properties"]["MemorySize"],
        2048
    );
    assert_eq!(
        dev["Resources"]["OrdersQueue"]["Properties"]["MessageRetentionPeriod"],
        345_600
    );
    for (template, timeout, visibility) in [(&dev, 20, 120), (&prod, 30, 180)] {
        assert_eq!(
            template["Resources"]["ProcessorFunction"]["Properties"]["Timeout"],
            timeout
        );
        assert_eq!(
            template["Resources"]["OrdersQueue"]["Properties"]["VisibilityTimeout"],
            visibility
        );
    }
    let rules = |t: &Json| {
        t["Resources"]["AuditBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(rules(&dev), 3);
    assert_eq!(rules(&prod), 2, "prod keeps current objects");
}

#[test]
fn every_taggable_resource_carries_suffix_region_profile_and_platform_tags() {
    let t = synth_json("dev");
    let expected_list = json!([
        {"Key": "Project", "Value": "trading-platform"},
        {"Key": "EnvironmentSuffix", "Value": "dev"},
        {"Key": "Profile", "Value": "dev"},
        {"Key": "Region", "Value": "us-east-1"},
    ]);

    for (id, resource) in t["Resources"].as_object().unwrap() {
        let ty = resource["Type"].as_str().unwrap();
        let (_, tag_property) = crate::catalog::cfn_type_facts(ty).unwrap_or_else(|| {
            panic!("{ty} is missing from cfn_facts; add it to scripts/gen-cfn-facts.py")
        });
        let Some(tag_property) = tag_property else {
            assert!(resource["Properties"].get("Tags").is_none(), "{id}");
            continue;
        };
        let tags = &resource["Properties"][tag_property];
        if ty == "AWS::SSM::Parameter" {
            assert_eq!(tags["EnvironmentSuffix"], "dev", "{id}");
            assert_eq!(tags["Project"], "trading-platform", "{id}");
        } else if tags[0]["Key"] == "Name" {
            // EC2 and Route 53 show the `Name` tag as the resource's name.
            assert_eq!(
                &Json::Array(tags.as_array().unwrap()[1..].to_vec()),
                &expected_list,
                "{id}"
            );
        } else {
            assert_eq!(tags, &expected_list, "{id}");
        }
    }
}

#[test]
fn a_function_gets_exactly_its_grants_scoped_to_their_resources() {
    let t = synth_json("dev");
    let role = &t["Resources"]["ProcessorFunctionRole"]["Properties"];
    assert_eq!(role["RoleName"], "role-processor-us-east-1-dev");
    let statements = role["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    let by_sid = |sid: &str| {
        statements
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("{sid}: {statements:#?}"))
    };
    assert_eq!(
        by_sid("SessionsRead")["Resource"],
        json!([{"Fn::GetAtt": ["SessionsTable", "Arn"]}, {"Fn::Sub": "${SessionsTable.Arn}/index/*"}])
    );
    assert!(
        !by_sid("SessionsRead")["Action"]
            .as_array()
            .unwrap()
            .contains(&json!("dynamodb:PutItem"))
    );
    assert_eq!(
        by_sid("AuditWrite")["Action"],
        json!(["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"])
    );
    assert_eq!(
        by_sid("TableNameRead")["Resource"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${TableNameParameter}"})
    );
    // The trigger's queue is consumed without a declared grant.
    assert_eq!(
        by_sid("OrdersConsume")["Resource"],
        json!({"Fn::GetAtt": ["OrdersQueue", "Arn"]})
    );
    // One key statement with the union of what the grants need, on that key only.
    let key = by_sid("DataKeyUse");
    assert_eq!(key["Resource"], json!({"Fn::GetAtt": ["DataKey", "Arn"]}));
    assert!(
        key["Action"]
            .as_array()
            .unwrap()
            .contains(&json!("kms:GenerateDataKey"))
    );
    for s in statements {
        for a in s["Action"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| vec![s["Action"].clone()])
        {
            assert!(!a.as_str().unwrap().contains('*'), "wildcard action {a}");
        }
        if s["Resource"] == "*" {
            let sid = s["Sid"].as_str().unwrap();
            assert!(
                ["WriteTraces", "VpcDescribe", "PublishMetrics", "Statement2"].contains(&sid),
                "{sid} is unscoped"
            );
        }
    }
    assert_eq!(statements.len(), 15, "{statements:#?}");
    // Raw statements: a declared resource becomes the ARNs of the IAM
    // resource types its actions accept (Query also works on indexes,
    // DescribeTable only on the table); `*` and literal ARNs stay as written.
    assert_eq!(
        by_sid("Statement1")["Action"],
        json!(["dynamodb:DescribeTable", "dynamodb:Query"])
    );
    assert_eq!(
        by_sid("Statement1")["Resource"],
        json!([{"Fn::GetAtt": ["SessionsTable", "Arn"]}, {"Fn::Sub": "${SessionsTable.Arn}/index/*"}])
    );
    assert_eq!(by_sid("Statement2")["Resource"], "*");
    assert_eq!(
        by_sid("Statement3")["Resource"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/tp-*/*"})
    );
    let metrics = by_sid("PublishMetrics");
    assert_eq!(metrics["Action"], "cloudwatch:PutMetricData");
    assert_eq!(
        metrics["Condition"]["StringEquals"]["cloudwatch:namespace"],
        "Trading"
    );
}

#[test]
fn a_function_logs_to_its_own_encrypted_group_and_is_triggered_with_partial_failures() {
    let t = synth_json("dev");
    let r = &t["Resources"];
    let f = &r["ProcessorFunction"]["Properties"];
    assert_eq!(f["FunctionName"], "lambda-processor-us-east-1-dev");
    assert_eq!(f["TracingConfig"]["Mode"], "Active");
    assert_eq!(f["KmsKeyArn"], json!({"Fn::GetAtt": ["DataKey", "Arn"]}));
    assert_eq!(
        f["LoggingConfig"]["LogGroup"],
        json!({"Ref": "ProcessorFunctionLogGroup"})
    );
    assert_eq!(
        f["Environment"]["Variables"]["TABLE"],
        json!({"Ref": "SessionsTable"})
    );
    assert_eq!(f["Environment"]["Variables"]["MODE"], "fast");
    assert_eq!(f["Code"]["S3Bucket"], json!({"Ref": "AssetBucket"}));
    assert!(f["Code"]["S3Key"].as_str().unwrap().starts_with("assets/"));
    let logs = &r["ProcessorFunctionLogGroup"]["Properties"];
    assert_eq!(
        logs["LogGroupName"],
        "/aws/lambda/lambda-processor-us-east-1-dev"
    );
    assert_eq!(logs["RetentionInDays"], 30);
    let prod = synth_json("prod");
    assert_eq!(
        prod["Resources"]["ProcessorFunctionLogGroup"]["Properties"]["RetentionInDays"],
        365
    );
    // The log group has the logs key; the environment keeps the function's own.
    assert_eq!(logs["KmsKeyId"], json!({"Fn::GetAtt": ["LogsKey", "Arn"]}));
    let trigger = &r["ProcessorFunctionOrdersTrigger"]["Properties"];
    assert_eq!(
        trigger["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert_eq!(trigger["BatchSize"], 10);
    // The key lets CloudWatch Logs use it, for log groups of this account only.
    let key_policy = r["LogsKey"]["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap();
    let logs = key_policy
        .iter()
        .find(|s| s["Sid"] == "AllowCloudWatchLogs")
        .unwrap();
    assert_eq!(
        logs["Principal"]["Service"],
        json!({"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"})
    );
}

/// The us-east-1 template of `platform`, in `profile`.
fn synth_platform(platform: &Platform, profile: &str) -> Json {
    let deployment =
        Deployment::new(platform, "dev", Some(profile), &["us-east-1".into()]).unwrap();
    serde_json::from_str(&synth(platform, &deployment).unwrap().stacks[0].body).unwrap()
}

/// The function `name` of `platform`.
fn function_mut<'a>(platform: &'a mut Platform, name: &str) -> &'a mut FunctionSpec {
    match platform.resources.iter_mut().find(|r| r.name == name) {
        Some(Resource {
            spec: Spec::Function(f),
            ..
        }) => f,
        _ => panic!("no function `{name}`"),
    }
}

#[test]
fn a_trigger_runs_at_most_its_maximum_concurrency_in_each_profile() {
    let scaling = |t: &Json| {
        t["Resources"]["ProcessorFunctionOrdersTrigger"]["Properties"]["ScalingConfig"].clone()
    };
    assert_eq!(
        scaling(&synth_json("dev")),
        json!({"MaximumConcurrency": 9})
    );
    assert_eq!(
        scaling(&synth_json("prod")),
        json!({"MaximumConcurrency": 90})
    );
    let mut p = sample();
    function_mut(&mut p, "processor")
        .trigger
        .as_mut()
        .unwrap()
        .max_concurrency = PerProfile::Same(None);
    assert_eq!(scaling(&synth_platform(&p, "prod")), Json::Null);
}

#[test]
fn functions_invoked_asynchronously_retry_as_declared_or_by_default() {
    let t = synth_json("dev");
    let config = &t["Resources"]["ProcessorFunctionInvokeConfig"];
    assert_eq!(config["Type"], "AWS::Lambda::EventInvokeConfig");
    assert_eq!(
        config["Properties"],
        json!({
            "FunctionName": {"Ref": "ProcessorFunction"},
            "Qualifier": "$LATEST",
            "MaximumRetryAttempts": 1,
            "MaximumEventAgeInSeconds": 900,
        })
    );
    // Failures still go to the function's own dead-letter queue.
    assert_eq!(
        t["Resources"]["ProcessorFunction"]["Properties"]["DeadLetterConfig"]["TargetArn"],
        json!({"Fn::GetAtt": ["OrdersDlqQueue", "Arn"]})
    );

    let mut p = sample();
    function_mut(&mut p, "processor").async_invoke = None;
    // A function invoked by no rule and without `dead_letter:` or `async:`
    // has no asynchronous invocations to configure.
    let mut reporter = function_mut(&mut p, "processor").clone();
    reporter.trigger = None;
    reporter.dead_letter = None;
    p.resources.push(Resource {
        name: "reporter".into(),
        spec: Spec::Function(reporter),
    });
    let t = synth_platform(&p, "dev");
    let r = &t["Resources"];
    assert_eq!(
        r["ProcessorFunctionInvokeConfig"]["Properties"]["MaximumRetryAttempts"],
        AsyncInvoke::DEFAULT.max_retries
    );
    assert_eq!(
        r["ProcessorFunctionInvokeConfig"]["Properties"]["MaximumEventAgeInSeconds"],
        AsyncInvoke::DEFAULT.max_event_age_secs
    );
    assert!(r.get("ReporterFunction").is_some());
    assert!(r.get("ReporterFunctionInvokeConfig").is_none());

    function_mut(&mut p, "reporter").async_invoke = Some(AsyncInvoke {
        max_retries: 0,
        max_event_age_secs: 60,
    });
    let t = synth_platform(&p, "dev");
    let props = &t["Resources"]["ReporterFunctionInvokeConfig"]["Properties"];
    assert_eq!(props["MaximumRetryAttempts"], 0);
    assert_eq!(props["MaximumEventAgeInSeconds"], 60);
}

#[test]
fn no_template_refers_to_what_it_does_not_define() {
    let p = sample();
    let d = Deployment::new(&p, "dev", None, &[]).unwrap();
    for stack in synth(&p, &d).unwrap().stacks {
        assert!(stack.template.dangling_references().is_empty());
    }
}

#[test]
fn dangling_references_in_a_hand_built_platform_are_reported() {
    let mut p = sample();
    if let Some(Spec::Table(t)) = p
        .resources
        .iter_mut()
        .find(|r| r.name == "sessions")
        .map(|r| &mut r.spec)
    {
        t.key = "missing".into();
    }
    let d = Deployment::new(&p, "dev", None, &[]).unwrap();
    let err = synth(&p, &d).unwrap_err();
    assert_eq!(
        err.to_string(),
        "references to undeclared resources: `sessions` -> `missing`;"
    );
}

#[test]
fn write_to_replaces_only_the_files_of_the_previous_synth() {
    let p = sample();
    let both = synth(&p, &Deployment::new(&p, "dev", None, &[]).unwrap()).unwrap();
    let east = synth(
        &p,
        &Deployment::new(&p, "dev", None, &["us-east-1".into()]).unwrap(),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("tp-write-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    both.write_to(&dir).unwrap();
    assert!(dir.join("trading-us-west-2-dev.template.json").is_file());
    // What a deploy and a local environment keep beside a synth.
    std::fs::write(dir.join("outputs-dev.json"), "{}").unwrap();
    std::fs::create_dir(dir.join("local-dev")).unwrap();
    east.write_to(&dir).unwrap();
    assert!(!dir.join("trading-us-west-2-dev.template.json").exists());
    assert!(dir.join("trading-us-east-1-dev.template.json").is_file());
    assert!(dir.join(east.assets[0].file_name()).is_file());
    assert_eq!(
        std::fs::read_to_string(dir.join("outputs-dev.json")).unwrap(),
        "{}"
    );
    assert!(dir.join("local-dev").is_dir());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn write_to_leaves_a_file_holding_its_bytes_and_replaces_one_that_differs() {
    use std::os::unix::fs::MetadataExt;
    let p = sample();
    let a = synth(&p, &Deployment::new(&p, "dev", None, &[]).unwrap()).unwrap();
    let dir = std::env::temp_dir().join(format!("tp-write-same-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    a.write_to(&dir).unwrap();
    let inodes = || {
        let mut files: Vec<(String, u64)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().into_string().unwrap(),
                    e.metadata().unwrap().ino(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let first = inodes();
    assert!(first.len() >= 4, "{first:?}");
    // The same synth again: every file is the one already there.
    a.write_to(&dir).unwrap();
    assert_eq!(inodes(), first);
    let staging = format!(".tp-write-same-{}.staging", std::process::id());
    assert!(std::fs::read_dir(dir.parent().unwrap()).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(&staging)
    }));
    // A template edited in place, to the same size: replaced with the
    // synth's bytes, and the manifest listing it is written again; the
    // other files stay.
    let stack = &a.stacks[0];
    let template = dir.join(stack.template_file());
    let mut edited = stack.body.clone().into_bytes();
    let at = edited.iter().position(|&b| b == b'A').unwrap();
    edited[at] = b'B';
    std::fs::write(&template, &edited).unwrap();
    a.write_to(&dir).unwrap();
    assert_eq!(std::fs::read_to_string(&template).unwrap(), stack.body);
    let changed: Vec<&str> = inodes()
        .iter()
        .zip(&first)
        .filter(|(now, then)| now != then)
        .map(|(_, (name, _))| name.as_str())
        .collect();
    let mut expected = vec![stack.template_file(), MANIFEST_FILE.to_owned()];
    expected.sort();
    assert_eq!(changed, expected);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn write_to_refuses_a_directory_with_files_it_did_not_write_and_leaves_them() {
    let p = sample();
    let a = synth(&p, &Deployment::new(&p, "dev", None, &[]).unwrap()).unwrap();
    let dir = std::env::temp_dir().join(format!("tp-write-foreign-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    a.write_to(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    std::fs::create_dir(dir.join("keep")).unwrap();
    let before = std::fs::read_dir(&dir).unwrap().count();
    let err = a.write_to(&dir).unwrap_err();
    assert!(
        err.to_string()
            .contains("files `tp synth` did not write (keep, notes.txt)"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), before);
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
    // A manifest naming a file elsewhere removes nothing there.
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::create_dir_all(dir.join("inner")).unwrap();
    std::fs::write(dir.join("precious"), "mine").unwrap();
    std::fs::write(
        dir.join("inner/manifest.json"),
        r#"{"stacks": [{"template": "../precious"}], "assets": []}"#,
    )
    .unwrap();
    a.write_to(&dir.join("inner")).unwrap();
    assert!(dir.join("precious").is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn aurora_is_private_encrypted_passwordless_and_reachable_only_from_functions() {
    let dev = synth_json("dev");
    let prod = synth_json("prod");
    let r = &dev["Resources"];
    let cluster = &r["TradesCluster"];
    let p = &cluster["Properties"];
    assert_eq!(p["DBClusterIdentifier"], "aurora-trades-us-east-1-dev");
    assert_eq!(p["StorageEncrypted"], true);
    assert_eq!(p["ManageMasterUserPassword"], true);
    assert!(p.get("MasterUserPassword").is_none());
    assert_eq!(p["EnableIAMDatabaseAuthentication"], true);
    assert_eq!(p["DeletionProtection"], false);
    assert_eq!(
        p["ServerlessV2ScalingConfiguration"],
        json!({"MinCapacity": 0.5, "MaxCapacity": 2.0})
    );
    assert_eq!(cluster["DeletionPolicy"], "Delete");
    assert_eq!(
        prod["Resources"]["TradesCluster"]["DeletionPolicy"],
        "Snapshot"
    );
    assert_eq!(
        prod["Resources"]["TradesCluster"]["UpdateReplacePolicy"],
        "Snapshot"
    );
    assert_eq!(
        p["VpcSecurityGroupIds"],
        json!([{"Ref": "TradesClusterSecurityGroup"}])
    );
    let ingress = &r["TradesClusterSecurityGroup"]["Properties"]["SecurityGroupIngress"];
    assert_eq!(ingress.as_array().unwrap().len(), 1);
    assert_eq!(ingress[0]["FromPort"], 5432);
    assert_eq!(
        ingress[0]["SourceSecurityGroupId"],
        json!({"Ref": "CoreVpcFunctionSecurityGroup"})
    );
    assert_eq!(
        r["TradesClusterSubnetGroup"]["Properties"]["SubnetIds"],
        json!([{"Ref": "CoreVpcIsolatedSubnet1"}, {"Ref": "CoreVpcIsolatedSubnet2"}, {"Ref": "CoreVpcIsolatedSubnet3"}])
    );
    let writer = &r["TradesClusterWriter"]["Properties"];
    let reader = &r["TradesClusterReader1"]["Properties"];
    assert_eq!(writer["DBInstanceClass"], "db.serverless");
    assert_ne!(writer["AvailabilityZone"], reader["AvailabilityZone"]);
    assert_eq!(
        reader["DBInstanceIdentifier"],
        "aurora-trades-reader-1-us-east-1-dev"
    );
}

#[test]
fn the_network_has_private_and_isolated_tiers_no_route_out_and_no_open_ingress() {
    let t = synth_json("dev");
    let r = t["Resources"].as_object().unwrap();
    let count = |ty: &str| r.values().filter(|v| v["Type"] == ty).count();
    assert_eq!(count("AWS::EC2::Subnet"), 6);
    assert_eq!(count("AWS::EC2::NatGateway"), 0);
    assert_eq!(count("AWS::EC2::InternetGateway"), 0);
    assert_eq!(count("AWS::EC2::Route"), 0, "nothing routes out of the VPC");
    assert_eq!(count("AWS::EC2::VPCEndpoint"), 10);
    assert_eq!(count("AWS::EC2::FlowLog"), 1);
    assert_eq!(
        r["CoreVpcIsolatedSubnet3"]["Properties"]["CidrBlock"],
        "10.0.160.0/20"
    );
    for (id, v) in r {
        for rule in v["Properties"]["SecurityGroupIngress"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert_ne!(rule["CidrIp"], "0.0.0.0/0", "{id} is open to the internet");
        }
    }
    assert_eq!(
        r["CoreVpcS3Endpoint"]["Properties"]["VpcEndpointType"],
        "Gateway"
    );
    assert_eq!(
        r["CoreVpcSqsEndpoint"]["Properties"]["SubnetIds"],
        json!([{"Ref": "CoreVpcPrivateSubnet1"}, {"Ref": "CoreVpcPrivateSubnet2"}, {"Ref": "CoreVpcPrivateSubnet3"}])
    );
}

#[test]
fn a_public_network_routes_its_public_tier_alone_to_an_internet_gateway() {
    let mut platform = sample();
    for resource in &mut platform.resources {
        if let Spec::Network(network) = &mut resource.spec {
            network.public = true;
        }
    }
    let t = synth_platform(&platform, "dev");
    let r = t["Resources"].as_object().unwrap();
    let count = |ty: &str| r.values().filter(|v| v["Type"] == ty).count();
    assert_eq!(count("AWS::EC2::Subnet"), 9);
    assert_eq!(count("AWS::EC2::InternetGateway"), 1);
    assert_eq!(
        r["CoreVpcPublicSubnet1"]["Properties"]["CidrBlock"],
        "10.0.0.0/20"
    );
    assert_eq!(
        r["CoreVpcPublicSubnet1"]["Properties"]["MapPublicIpOnLaunch"],
        false
    );
    let routes: Vec<&Json> = r
        .values()
        .filter(|v| v["Type"] == "AWS::EC2::Route")
        .collect();
    assert_eq!(
        routes.len(),
        1,
        "only the public tier routes to the internet"
    );
    assert_eq!(
        routes[0]["Properties"]["RouteTableId"],
        json!({"Ref": "CoreVpcPublicRouteTable"})
    );
    assert_eq!(
        routes[0]["Properties"]["GatewayId"],
        json!({"Ref": "CoreVpcInternetGateway"})
    );
}

#[test]
fn the_api_proxies_routes_validates_bodies_and_logs_throttles_and_traces() {
    let dev = synth_json("dev");
    let prod = synth_json("prod");
    let r = &dev["Resources"];
    let post = &r["TradingApiPostTradesMethod"]["Properties"];
    assert_eq!(post["AuthorizationType"], "AWS_IAM");
    assert_eq!(post["Integration"]["Type"], "AWS_PROXY");
    assert_eq!(
        post["RequestValidatorId"],
        json!({"Ref": "TradingApiRequestValidator"})
    );
    // One validator for bodies and parameters, on every method.
    let validator = &r["TradingApiRequestValidator"]["Properties"];
    assert_eq!(validator["ValidateRequestBody"], true);
    assert_eq!(validator["ValidateRequestParameters"], true);
    assert_eq!(
        r["TradingApiGetHealthMethod"]["Properties"]["RequestValidatorId"],
        json!({"Ref": "TradingApiRequestValidator"})
    );
    assert_eq!(
        r["TradingApiPostTradesModel"]["Properties"]["Schema"]["required"],
        json!(["symbol"])
    );
    assert_eq!(
        r["TradingApiGetHealthMethod"]["Properties"]["AuthorizationType"],
        "NONE"
    );
    assert_eq!(
        r["TradingApiPostTradesPermission"]["Properties"]["SourceArn"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${TradingApi}/v1/POST/trades"})
    );
    let stage = |t: &Json| t["Resources"]["TradingApiStage"]["Properties"].clone();
    assert_eq!(stage(&dev)["TracingEnabled"], true);
    assert_eq!(
        stage(&dev)["MethodSettings"][0]["ThrottlingRateLimit"],
        100.0
    );
    assert_eq!(
        stage(&prod)["MethodSettings"][0]["ThrottlingRateLimit"],
        2000.0
    );
    assert_eq!(
        stage(&dev)["AccessLogSetting"]["DestinationArn"],
        json!({"Fn::GetAtt": ["TradingApiAccessLogGroup", "Arn"]})
    );
    // The account's API Gateway logging setting is the bootstrap stack's.
    assert!(r.get("ApiGatewayAccount").is_none());
    // The execution log group is the stack's, with the profile's retention
    // and the key, created before the stage that writes to it.
    assert_eq!(
        r["TradingApiStage"]["DependsOn"],
        json!(["TradingApiExecutionLogGroup"])
    );
    let execution = |t: &Json| t["Resources"]["TradingApiExecutionLogGroup"]["Properties"].clone();
    assert_eq!(
        execution(&dev)["LogGroupName"],
        json!({"Fn::Sub": "API-Gateway-Execution-Logs_${TradingApi}/v1"})
    );
    assert_eq!(execution(&dev)["RetentionInDays"], 90);
    assert_eq!(execution(&prod)["RetentionInDays"], 365);
    assert_eq!(
        execution(&dev)["KmsKeyId"],
        json!({"Fn::GetAtt": ["LogsKey", "Arn"]})
    );
    assert_eq!(
        prod["Resources"]["TradingApiAccessLogGroup"]["Properties"]["RetentionInDays"],
        365
    );
    // The deployment's id changes with the routes, so a changed API is redeployed.
    let deployments: Vec<&String> = r
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("TradingApiDeployment"))
        .collect();
    assert_eq!(deployments.len(), 1);
    let mut p = sample();
    if let Some(Resource {
        spec: Spec::Api(api),
        ..
    }) = p.resources.iter_mut().find(|r| r.name == "trading")
    {
        api.routes[0].path = "/status".into();
    }
    let d = Deployment::new(&p, "dev", None, &["us-east-1".into()]).unwrap();
    let changed: Json = serde_json::from_str(&synth(&p, &d).unwrap().stacks[0].body).unwrap();
    assert!(changed["Resources"].get(deployments[0].as_str()).is_none());
    assert_eq!(
        dev["Outputs"]["TradingApiUrl"]["Value"],
        json!({"Fn::Sub": "https://${TradingApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/v1"})
    );
}

#[test]
fn a_route_with_its_own_throttle_gets_its_own_method_settings_and_path_parameters_are_required() {
    let mut p = sample();
    if let Some(Resource {
        spec: Spec::Api(api),
        ..
    }) = p.resources.iter_mut().find(|r| r.name == "trading")
    {
        api.routes[1].path = "/trades/{id}".into();
    }
    let t = synth_platform(&p, "dev");
    let r = &t["Resources"];
    let settings = r["TradingApiStage"]["Properties"]["MethodSettings"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(settings.len(), 2, "the stage's and GET /health's");
    assert_eq!(settings[0]["ResourcePath"], "/*");
    assert_eq!(settings[0]["ThrottlingRateLimit"], 100.0);
    let health = &settings[1];
    assert_eq!(health["ResourcePath"], "/~1health");
    assert_eq!(health["HttpMethod"], "GET");
    assert_eq!(health["ThrottlingRateLimit"], 10.0);
    assert_eq!(health["ThrottlingBurstLimit"], 20);
    // Its own entry replaces the stage's for the method: logging and
    // metrics are repeated.
    assert_eq!(health["LoggingLevel"], "INFO");
    assert_eq!(health["MetricsEnabled"], true);
    assert_eq!(
        r["TradingApiPostTradesIdMethod"]["Properties"]["RequestParameters"],
        json!({"method.request.path.id": true})
    );
    assert!(
        r["TradingApiGetHealthMethod"]["Properties"]
            .get("RequestParameters")
            .is_none()
    );
}

#[test]
fn the_web_acl_rate_limits_each_address_runs_the_managed_rules_and_logs_to_its_group() {
    let dev = synth_json("dev");
    let prod = synth_json("prod");
    let r = &dev["Resources"];
    let acl = &r["TradingApiWebAcl"]["Properties"];
    assert_eq!(r["TradingApiWebAcl"]["Type"], "AWS::WAFv2::WebACL");
    assert_eq!(acl["Name"], "waf-trading-us-east-1-dev");
    assert_eq!(acl["Scope"], "REGIONAL");
    assert_eq!(acl["DefaultAction"], json!({"Allow": {}}));
    let rules = acl["Rules"].as_array().unwrap();
    let names: Vec<&str> = rules.iter().map(|r| r["Name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "RateLimitPerIp",
            "AWSManagedRulesAmazonIpReputationList",
            "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesCommonRuleSet",
        ]
    );
    let priorities: Vec<i64> = rules
        .iter()
        .map(|r| r["Priority"].as_i64().unwrap())
        .collect();
    assert_eq!(priorities, [0, 1, 2, 3]);
    assert_eq!(rules[0]["Action"], json!({"Block": {}}));
    let rate = &rules[0]["Statement"]["RateBasedStatement"];
    assert_eq!(rate["Limit"], 2000);
    assert_eq!(rate["AggregateKeyType"], "IP");
    assert_eq!(
        prod["Resources"]["TradingApiWebAcl"]["Properties"]["Rules"][0]["Statement"]["RateBasedStatement"]
            ["Limit"],
        1000
    );
    for rule in &rules[1..] {
        assert_eq!(rule["OverrideAction"], json!({"None": {}}));
        assert_eq!(
            rule["Statement"]["ManagedRuleGroupStatement"]["VendorName"],
            "AWS"
        );
    }
    for rule in rules {
        assert_eq!(rule["VisibilityConfig"]["CloudWatchMetricsEnabled"], true);
    }
    let association = &r["TradingApiWebAclAssociation"]["Properties"];
    assert_eq!(
        association["ResourceArn"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${TradingApi}/stages/${TradingApiStage}"})
    );
    assert_eq!(
        association["WebACLArn"],
        json!({"Fn::GetAtt": ["TradingApiWebAcl", "Arn"]})
    );
    let group = &r["TradingApiWafLogGroup"]["Properties"];
    assert!(
        group["LogGroupName"]
            .as_str()
            .unwrap()
            .starts_with("aws-waf-logs-"),
        "WAF logs only to groups named aws-waf-logs-*"
    );
    assert_eq!(group["RetentionInDays"], 90);
    assert_eq!(group["KmsKeyId"], json!({"Fn::GetAtt": ["LogsKey", "Arn"]}));
    assert_eq!(
        prod["Resources"]["TradingApiWafLogGroup"]["Properties"]["RetentionInDays"],
        365
    );
    let logging = &r["TradingApiWafLogging"]["Properties"];
    assert_eq!(
        logging["ResourceArn"],
        json!({"Fn::GetAtt": ["TradingApiWebAcl", "Arn"]})
    );
    assert_eq!(
        logging["LogDestinationConfigs"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${TradingApiWafLogGroup}"}])
    );
    assert_eq!(
        logging["RedactedFields"],
        json!([{"SingleHeader": {"Name": "authorization"}}, {"SingleHeader": {"Name": "x-amz-security-token"}}])
    );

    let mut p = sample();
    if let Some(Resource {
        spec: Spec::Api(api),
        ..
    }) = p.resources.iter_mut().find(|r| r.name == "trading")
    {
        api.waf = None;
    }
    let without = synth_platform(&p, "dev");
    assert!(
        without["Resources"]
            .as_object()
            .unwrap()
            .values()
            .all(|v| !v["Type"].as_str().unwrap().starts_with("AWS::WAFv2::"))
    );
}

#[test]
fn rules_deliver_with_retries_and_dead_letters_that_eventbridge_may_use() {
    let t = synth_json("dev");
    let r = &t["Resources"];
    let rule = &r["TradeEventsRule"]["Properties"];
    assert_eq!(rule["EventBusName"], json!({"Ref": "EventsBus"}));
    assert_eq!(
        rule["EventPattern"]["detail-type"],
        json!(["TradeProcessed"])
    );
    let targets = rule["Targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    for target in targets {
        assert_eq!(
            target["DeadLetterConfig"]["Arn"],
            json!({"Fn::GetAtt": ["OrdersDlqQueue", "Arn"]})
        );
        assert_eq!(target["RetryPolicy"]["MaximumRetryAttempts"], 3);
    }
    assert_eq!(
        r["HourlyRule"]["Properties"]["ScheduleExpression"],
        "rate(1 hour)"
    );
    assert!(r["HourlyRule"]["Properties"].get("EventBusName").is_none());
    assert_eq!(
        r["TradeEventsRuleProcessorFunctionPermission"]["Properties"]["Principal"],
        "events.amazonaws.com"
    );
    // The DLQ admits EventBridge for these rules only, and its key lets it encrypt.
    let statements = r["OrdersDlqQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    let allow = statements
        .iter()
        .find(|s| s["Sid"] == "EventBridgeDeadLetters")
        .unwrap();
    assert_eq!(
        allow["Condition"]["ArnEquals"]["aws:SourceArn"],
        json!([{"Fn::GetAtt": ["TradeEventsRule", "Arn"]}, {"Fn::GetAtt": ["HourlyRule", "Arn"]}])
    );
    assert!(
        r["OrdersQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["Sid"] != "EventBridgeDeadLetters"),
        "only dead-letter queues of rules admit EventBridge"
    );
    let key = r["DataKey"]["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap();
    assert!(key.iter().any(|s| s["Sid"] == "AllowEventBridge"));
    assert!(key.iter().any(|s| s["Sid"] == "AllowCloudWatchAlarms"));
    assert_eq!(
        r["AuditEventsLogGroup"]["Properties"]["LogGroupName"],
        "/aws/events/logs-audit-events-us-east-1-dev"
    );
    assert_eq!(
        r["AuditEventsLogGroupEventsPolicy"]["Type"],
        "AWS::Logs::ResourcePolicy"
    );
}

#[test]
fn alarms_notify_the_topic_and_route53_ones_exist_only_in_us_east_1() {
    let p = sample();
    let d = Deployment::new(&p, "dev", None, &[]).unwrap();
    let a = synth(&p, &d).unwrap();
    let east: Json = serde_json::from_str(&a.stacks[0].body).unwrap();
    let west: Json = serde_json::from_str(&a.stacks[1].body).unwrap();
    let latency = &east["Resources"]["ApiLatencyAlarm"]["Properties"];
    assert_eq!(latency["ExtendedStatistic"], "p99");
    assert_eq!(latency["Threshold"], 1000.0);
    assert_eq!(latency["ComparisonOperator"], "GreaterThanThreshold");
    assert_eq!(latency["AlarmActions"], json!([{"Ref": "AlertsTopic"}]));
    assert_eq!(
        latency["Dimensions"],
        json!([{"Name": "ApiName", "Value": "apigw-trading-us-east-1-dev"}, {"Name": "Stage", "Value": "v1"}])
    );
    let down = &east["Resources"]["ApiDownAlarm"]["Properties"];
    assert_eq!(down["Namespace"], "AWS/Route53");
    assert_eq!(down["TreatMissingData"], "breaching");
    assert!(west["Resources"].get("ApiDownAlarm").is_none());
    assert!(west["Resources"].get("ApiLatencyAlarm").is_some());
    let hc = &east["Resources"]["ApiHealthHealthCheck"]["Properties"]["HealthCheckConfig"];
    assert_eq!(hc["ResourcePath"], "/v1/health");
    assert_eq!(hc["RequestInterval"], 30);
    assert_eq!(hc["FailureThreshold"], 3);
    let topic_policy =
        east["Resources"]["AlertsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap();
    assert!(
        topic_policy
            .iter()
            .any(|s| s["Principal"]["Service"] == "cloudwatch.amazonaws.com")
    );
    // The dashboard body is JSON once CloudFormation substitutes the references.
    let body = &east["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"];
    let text = body[0].as_str().unwrap();
    let widgets: Json = serde_json::from_str(text).unwrap();
    let widgets = widgets["widgets"].as_array().unwrap();
    let kinds: Vec<&str> = widgets
        .iter()
        .map(|w| w["type"].as_str().unwrap())
        .collect();
    // The four metrics, then what is alarming: a header and every alarm's state.
    assert_eq!(
        kinds,
        ["metric", "metric", "metric", "metric", "text", "alarm"]
    );
    assert_eq!(body[1]["M0D0"], json!({"Ref": "TradesCluster"}));
    let alarms = widgets[5]["properties"]["alarms"].as_array().unwrap();
    let declared = east["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::CloudWatch::Alarm")
        .count();
    assert_eq!(alarms.len(), declared);
    assert_eq!(alarms[0], "${A0}");
    assert_eq!(body[1]["A0"]["Fn::GetAtt"][1], "Arn");
}

#[test]
fn functions_in_a_network_run_in_its_private_subnets_with_scoped_interface_rights() {
    let dev = synth_json("dev");
    let prod = synth_json("prod");
    let f = &dev["Resources"]["ProcessorFunction"]["Properties"];
    assert_eq!(
        f["VpcConfig"]["SubnetIds"],
        json!([{"Ref": "CoreVpcPrivateSubnet1"}, {"Ref": "CoreVpcPrivateSubnet2"}, {"Ref": "CoreVpcPrivateSubnet3"}])
    );
    assert_eq!(
        f["VpcConfig"]["SecurityGroupIds"],
        json!([{"Ref": "CoreVpcFunctionSecurityGroup"}])
    );
    assert_eq!(f["ReservedConcurrentExecutions"], 10);
    assert_eq!(
        prod["Resources"]["ProcessorFunction"]["Properties"]["ReservedConcurrentExecutions"],
        100
    );
    assert_eq!(
        f["DeadLetterConfig"]["TargetArn"],
        json!({"Fn::GetAtt": ["OrdersDlqQueue", "Arn"]})
    );
    let statements = dev["Resources"]["ProcessorFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    let create = statements
        .iter()
        .find(|s| s["Sid"] == "VpcCreateNetworkInterfaces")
        .unwrap();
    assert!(create["Resource"].as_array().unwrap().contains(
        &json!({"Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:subnet/${CoreVpcPrivateSubnet2}"})
    ));
    // Sending failed asynchronous events needs the dead-letter queue's send rights.
    assert!(statements.iter().any(|s| s["Sid"] == "OrdersDlqSend"));
}

#[test]
fn buckets_log_access_to_an_sse_s3_bucket_that_admits_only_their_delivery() {
    let t = synth_json("dev");
    let r = &t["Resources"];
    let audit = &r["AuditBucket"];
    assert_eq!(
        audit["Properties"]["LoggingConfiguration"],
        json!({"DestinationBucketName": {"Ref": "AccessLogsBucket"}, "LogFilePrefix": "audit/"})
    );
    assert_eq!(audit["DependsOn"], json!(["AccessLogsBucketPolicy"]));
    let logs = &r["AccessLogsBucket"]["Properties"];
    assert_eq!(
        logs["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"],
        json!({"SSEAlgorithm": "AES256"})
    );
    let statements = r["AccessLogsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    let delivery = statements
        .iter()
        .find(|s| s["Sid"] == "ServerAccessLogDelivery")
        .unwrap();
    assert_eq!(delivery["Principal"]["Service"], "logging.s3.amazonaws.com");
    assert_eq!(
        delivery["Condition"]["ArnLike"]["aws:SourceArn"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:s3:::s3-audit-us-east-1-dev-${AWS::AccountId}"}])
    );
}

#[test]
fn an_api_exposes_its_invoke_url_and_unknown_attributes_are_refused() {
    let mut p = sample();
    if let Some(Resource {
        spec: Spec::Function(f),
        ..
    }) = p.resources.iter_mut().find(|r| r.name == "processor")
    {
        f.env.push((
            "API_URL".into(),
            ValueSource::Attr(AttrRef::new("trading", "url")),
        ));
    }
    let d = Deployment::new(&p, "dev", None, &["us-east-1".into()]).unwrap();
    let t: Json = serde_json::from_str(&synth(&p, &d).unwrap().stacks[0].body).unwrap();
    assert_eq!(
        t["Resources"]["ProcessorFunction"]["Properties"]["Environment"]["Variables"]["API_URL"],
        json!({"Fn::Sub": "https://${TradingApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/v1"})
    );
    if let Some(Resource {
        spec: Spec::Function(f),
        ..
    }) = p.resources.iter_mut().find(|r| r.name == "processor")
    {
        f.env.push((
            "BAD".into(),
            ValueSource::Attr(AttrRef::new("sessions", "url")),
        ));
    }
    let err = synth(&p, &d).unwrap_err().to_string();
    assert_eq!(
        err,
        "`processor` refers to `sessions.url`, but a table has no attribute `url`"
    );
}

#[test]
fn an_email_subscription_is_made_only_when_an_address_is_given() {
    let t = synth_json("dev");
    assert_eq!(t["Parameters"]["AlertsTopicEmail"]["Default"], "");
    assert_eq!(
        t["Conditions"]["AlertsTopicEmailGiven"],
        json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertsTopicEmail"}, ""]}]})
    );
    let sub = &t["Resources"]["AlertsTopicEmailSubscription"];
    assert_eq!(sub["Condition"], "AlertsTopicEmailGiven");
    assert_eq!(sub["Properties"]["Protocol"], "email");
    assert_eq!(
        sub["Properties"]["Endpoint"],
        json!({"Ref": "AlertsTopicEmail"})
    );
    assert_eq!(sub["Properties"]["TopicArn"], json!({"Ref": "AlertsTopic"}));
}

fn pipeline_json() -> Json {
    pipeline_json_of(&sample())
}

fn pipeline_json_of(platform: &Platform) -> Json {
    let suffix = Suffix::new("cicd", 12).unwrap();
    let assembly = synth_pipeline(platform, &suffix).unwrap();
    assert_eq!(assembly.stacks.len(), 1);
    assert_eq!(assembly.stacks[0].name, "trading-pipeline-us-east-1-cicd");
    serde_json::from_str(&assembly.stacks[0].body).unwrap()
}

/// The sample with an account per profile and an approval topic.
fn sample_with_accounts() -> Platform {
    let mut platform = sample();
    platform.accounts = Some(PerProfile::ByProfile(vec![
        ("dev".into(), "111111111111".into()),
        ("prod".into(), "222222222222".into()),
    ]));
    platform.pipeline.as_mut().unwrap().notify = Some("alerts".into());
    platform
}

fn statements_of(t: &Json, role: &str) -> Vec<Json> {
    t["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .clone()
}

fn actions_of(statement: &Json) -> Vec<String> {
    match &statement["Action"] {
        Json::Array(a) => a.iter().map(|a| a.as_str().unwrap().to_owned()).collect(),
        one => vec![one.as_str().unwrap().to_owned()],
    }
}

fn buildspec_of(t: &Json, project: &str) -> String {
    t["Resources"][project]["Properties"]["Source"]["BuildSpec"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The commands of a buildspec, as CodeBuild reads them: each is a quoted
/// YAML (JSON) string on a `- ` line.
fn commands_of(spec: &str) -> Vec<String> {
    spec.lines()
        .filter_map(|l| l.trim_start().strip_prefix("- \""))
        .map(|l| serde_json::from_str(&format!("\"{l}")).unwrap())
        .collect()
}

#[test]
fn the_pipeline_builds_once_then_deploys_the_release_in_each_stage() {
    let t = pipeline_json();
    let pipeline = &t["Resources"]["ReleasePipeline"]["Properties"];
    assert_eq!(pipeline["PipelineType"], "V2");
    assert_eq!(pipeline["Name"], "codepipeline-release-us-east-1-cicd");
    let stages: Vec<&str> = pipeline["Stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Name"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["Source", "Build", "Dev", "Approve", "Prod"]);
    let build = &pipeline["Stages"][1]["Actions"][0];
    assert_eq!(
        build["Configuration"]["ProjectName"],
        json!({"Ref": "ReleaseBuildProject"})
    );
    assert_eq!(build["OutputArtifacts"][0]["Name"], "Release");
    for (index, profile) in [(2, "dev"), (4, "prod")] {
        let stage = &pipeline["Stages"][index];
        assert_eq!(stage["OnFailure"]["Result"], "ROLLBACK");
        let actions = stage["Actions"].as_array().unwrap();
        assert_eq!(actions.len(), 1);
        // Every stage deploys the build's output, never the source.
        assert_eq!(actions[0]["InputArtifacts"], json!([{"Name": "Release"}]));
        assert_eq!(
            actions[0]["Configuration"]["ProjectName"],
            json!({"Ref": "ReleaseDeployProject"})
        );
        assert_eq!(
            actions[0]["Configuration"]["EnvironmentVariables"],
            format!(r#"[{{"name":"STAGE","value":"{profile}","type":"PLAINTEXT"}}]"#)
        );
    }
    assert_eq!(
        pipeline["Stages"][0]["Actions"][0]["Configuration"]["ConnectionArn"],
        json!({"Ref": "SourceConnectionArn"})
    );
    assert_eq!(pipeline["Stages"][0]["Actions"][0]["Namespace"], "Source");
    assert_eq!(
        pipeline["ArtifactStore"]["EncryptionKey"]["Id"],
        json!({"Fn::GetAtt": ["ReleaseKeyKey", "Arn"]})
    );
    // The execution role lives in each account's bootstrap stack now.
    assert!(t["Resources"].get("ReleaseExecutionRole").is_none());
    let kinds: Vec<&str> = t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::CodeBuild::Project")
        .map(|r| r["Properties"]["Name"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "codebuild-release-build-us-east-1-cicd",
            "codebuild-release-deploy-us-east-1-cicd"
        ]
    );
}

/// The build runs on the digest-pinned image, checks its toolchain, builds
/// `tp` from the lock file, synthesizes each stage with it and records the
/// release; the deploy checks the record and runs the built `tp`.
#[test]
fn the_release_is_built_on_a_pinned_image_and_deployed_as_built() {
    let t = pipeline_json();
    assert!(
        pipeline::BUILD_IMAGE.contains(&format!(":{}-bookworm@sha256:", pipeline::RUST_VERSION)),
        "{}",
        pipeline::BUILD_IMAGE
    );
    let digest = pipeline::BUILD_IMAGE.rsplit_once("@sha256:").unwrap().1;
    assert!(
        digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
        "{digest}"
    );
    for project in ["ReleaseBuildProject", "ReleaseDeployProject"] {
        let env = &t["Resources"][project]["Properties"]["Environment"];
        assert_eq!(env["Image"], pipeline::BUILD_IMAGE);
        assert_eq!(env["ImagePullCredentialsType"], "CODEBUILD");
        assert_eq!(env["PrivilegedMode"], false);
        let spec = buildspec_of(&t, project);
        for forbidden in ["curl", "rustup", "wget", "apt-get", "cargo install", "pip "] {
            assert!(
                !spec.contains(forbidden),
                "{project}: `{forbidden}` in\n{spec}"
            );
        }
        // Nothing downloaded is piped into a shell.
        for command in commands_of(&spec) {
            let piped = command.split('|').skip(1).map(str::trim);
            for target in piped {
                assert!(
                    !["sh", "bash"].contains(&target.split(' ').next().unwrap_or("")),
                    "{project}: `{command}`"
                );
            }
        }
    }
    let build = commands_of(&buildspec_of(&t, "ReleaseBuildProject"));
    assert!(
        build[0].starts_with(&format!(
            "test \"$(rustc --version | cut -d ' ' -f 2)\" = \"{}\" ||",
            pipeline::RUST_VERSION
        )),
        "{build:?}"
    );
    assert_eq!(build[1], "cargo build --release --locked -p cli");
    let synths: Vec<&String> = build.iter().filter(|c| c.contains(" synth ")).collect();
    assert_eq!(
        synths,
        [
            "release/tp synth --suffix dev --profile dev --out release/dev",
            "release/tp synth --suffix prod --profile prod --out release/prod",
        ]
    );
    let record = build.join("\n");
    assert!(
        record.contains("$CODEBUILD_RESOLVED_SOURCE_VERSION"),
        "{record}"
    );
    assert!(record.contains("sha256sum release/tp"), "{record}");
    assert!(record.contains("xargs -0 sha256sum"), "{record}");
    assert!(buildspec_of(&t, "ReleaseBuildProject").contains("base-directory: release"));

    let deploy = commands_of(&buildspec_of(&t, "ReleaseDeployProject"));
    assert!(!deploy.iter().any(|c| c.contains("cargo")), "{deploy:?}");
    let check = deploy
        .iter()
        .position(|c| c.contains("sha256sum --check --strict"));
    let run = deploy
        .iter()
        .position(|c| c.starts_with("./tp deploy --from \"$STAGE\""));
    let verify = deploy
        .iter()
        .position(|c| c.starts_with("./tp verify --suffix \"$STAGE\""));
    assert!(
        check.is_some() && check < run && run < verify,
        "the record is checked, then the stage deployed, then verified: {deploy:?}"
    );
}

/// The deploy role may only assume the deploy roles of the stages'
/// accounts, in every region, and read its input; the build role has no
/// deploy rights; no role has a wildcard action, and `Resource: "*"` only
/// where the action cannot be scoped.
#[test]
fn the_pipeline_roles_hold_only_what_their_step_needs() {
    // Actions that take no resource, and why each role needs it.
    const UNSCOPABLE: &[&str] = &[
        // `tp` compares the caller's account with the stage's.
        "sts:GetCallerIdentity",
    ];
    let t = pipeline_json_of(&sample_with_accounts());
    let deploy = statements_of(&t, "ReleaseDeployRole");
    let assume: Vec<&Json> = deploy
        .iter()
        .filter(|s| {
            actions_of(s)
                .iter()
                .any(|a| a.starts_with("sts:AssumeRole"))
        })
        .collect();
    assert_eq!(assume.len(), 1);
    assert_eq!(actions_of(assume[0]), ["sts:AssumeRole"]);
    let mut expected = Vec::new();
    for account in ["111111111111", "222222222222"] {
        for region in ["us-east-1", "us-west-2"] {
            expected.push(json!(crate::accounts::role_arn(
                account,
                &crate::accounts::deploy_role_name(region)
            )));
        }
    }
    assert_eq!(assume[0]["Resource"], Json::Array(expected));
    let deploy_actions: Vec<String> = deploy.iter().flat_map(actions_of).collect();
    for a in &deploy_actions {
        assert!(
            ["sts:", "s3:Get", "kms:Decrypt", "kms:DescribeKey", "logs:"]
                .iter()
                .any(|p| a.starts_with(p)),
            "the deploy role holds {a}"
        );
    }

    let build = statements_of(&t, "ReleaseBuildRole");
    for a in build.iter().flat_map(actions_of) {
        assert!(
            !a.starts_with("sts:") && !a.starts_with("cloudformation:") && !a.starts_with("iam:"),
            "the build role holds {a}"
        );
    }

    for (id, resource) in t["Resources"].as_object().unwrap() {
        if resource["Type"] != "AWS::IAM::Role" {
            continue;
        }
        for s in statements_of(&t, id) {
            for a in actions_of(&s) {
                assert!(!a.contains('*'), "{id}: wildcard action {a}");
            }
            if s["Resource"] == "*"
                || s["Resource"]
                    .as_array()
                    .is_some_and(|r| r.contains(&json!("*")))
            {
                for a in actions_of(&s) {
                    assert!(UNSCOPABLE.contains(&a.as_str()), "{id}: {a} on *");
                }
            }
        }
    }

    // Without accounts, the deploy roles are the caller's account's.
    let t = pipeline_json();
    let deploy = statements_of(&t, "ReleaseDeployRole");
    let assume = deploy
        .iter()
        .find(|s| s["Sid"] == "AssumeStageDeployRoles")
        .unwrap();
    assert_eq!(
        assume["Resource"],
        json!([
            {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/tp-deploy-us-east-1"},
            {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/tp-deploy-us-west-2"}
        ])
    );
}

/// The approval before production names the release, and notifies the
/// pipeline's topic, created in the pipeline stack with the pipeline's key.
#[test]
fn the_approval_notifies_the_declared_topic_naming_the_release() {
    let t = pipeline_json();
    let approve = &t["Resources"]["ReleasePipeline"]["Properties"]["Stages"][3]["Actions"][0];
    assert_eq!(approve["ActionTypeId"]["Provider"], "Manual");
    assert!(approve["Configuration"].get("NotificationArn").is_none());
    let message = approve["Configuration"]["CustomData"].as_str().unwrap();
    assert!(message.contains("#{Source.CommitId}"), "{message}");
    assert!(message.contains("to prod"), "{message}");
    assert!(message.contains("dev deployed and verified"), "{message}");
    assert!(message.len() <= 500, "CodePipeline takes 500 characters");

    let t = pipeline_json_of(&sample_with_accounts());
    let approve = &t["Resources"]["ReleasePipeline"]["Properties"]["Stages"][3]["Actions"][0];
    assert_eq!(
        approve["Configuration"]["NotificationArn"],
        json!({"Ref": "AlertsTopic"})
    );
    let topic = &t["Resources"]["AlertsTopic"]["Properties"];
    assert_eq!(topic["TopicName"], "sns-alerts-us-east-1-cicd");
    assert_eq!(
        topic["KmsMasterKeyId"],
        json!({"Fn::GetAtt": ["ReleaseKeyKey", "Arn"]})
    );
    let pipeline = statements_of(&t, "ReleasePipelineRole");
    let publish = pipeline
        .iter()
        .find(|s| s["Sid"] == "NotifyApprovers")
        .unwrap();
    assert_eq!(publish["Action"], "sns:Publish");
    assert_eq!(publish["Resource"], json!({"Ref": "AlertsTopic"}));
    let key = pipeline.iter().find(|s| s["Sid"] == "PipelineKey").unwrap();
    assert!(actions_of(key).contains(&"kms:GenerateDataKey".to_owned()));

    // A topic the platform does not declare is refused.
    let mut platform = sample();
    platform.pipeline.as_mut().unwrap().notify = Some("nobody".into());
    let error = synth_pipeline(&platform, &Suffix::new("cicd", 12).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("`nobody`, which is not a declared topic"),
        "{error}"
    );
}

#[test]
fn a_pipeline_needs_a_suffix_of_its_own() {
    let platform = sample();
    let suffix = Suffix::new("dev", 12).unwrap();
    let error = synth_pipeline(&platform, &suffix).unwrap_err().to_string();
    assert!(error.contains("choose a suffix of its own"), "{error}");
    let mut without = sample();
    without.pipeline = None;
    let error = synth_pipeline(&without, &Suffix::new("cicd", 12).unwrap())
        .unwrap_err()
        .to_string();
    assert!(error.contains("declares no pipeline"), "{error}");
}

/// Guard alarms become the stack's rollback triggers, with the profile's
/// window; an alarm the region does not get is not one of them.
#[test]
fn guard_alarms_and_the_rollback_window_follow_the_stack_and_profile() {
    let mut platform = sample();
    if let Some(r) = platform.resources.iter_mut().find(|r| r.name == "api_down")
        && let Spec::Alarm(a) = &mut r.spec
    {
        a.guard = true;
    }
    let synth_in = |region: &str, profile: &str| {
        let deployment =
            Deployment::new(&platform, "dev", Some(profile), &[region.to_owned()]).unwrap();
        synth(&platform, &deployment).unwrap()
    };
    let east = synth_in("us-east-1", "prod");
    let stack = &east.stacks[0];
    assert_eq!(
        stack.guard_alarms,
        [
            GuardAlarm {
                logical_id: "ApiLatencyAlarm".into(),
                name: "alarm-api-latency-us-east-1-dev".into()
            },
            GuardAlarm {
                logical_id: "ApiDownAlarm".into(),
                name: "alarm-api-down-us-east-1-dev".into()
            },
        ]
    );
    assert_eq!(stack.rollback_window_minutes, 15);
    assert_eq!(
        east.manifest()["stacks"][0]["guard_alarms"],
        json!([
            {"logical_id": "ApiLatencyAlarm", "name": "alarm-api-latency-us-east-1-dev"},
            {"logical_id": "ApiDownAlarm", "name": "alarm-api-down-us-east-1-dev"}
        ])
    );
    // Route 53's health-check alarm exists only in us-east-1.
    let west = synth_in("us-west-2", "dev");
    assert_eq!(
        west.stacks[0]
            .guard_alarms
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>(),
        ["alarm-api-latency-us-west-2-dev"]
    );
    assert_eq!(west.stacks[0].rollback_window_minutes, 5);
}

/// `drift_check`: Config's managed drift rule on this stack with a role
/// that reads it, and an EventBridge rule telling the topic, which lets
/// EventBridge publish and whose key lets it encrypt.
#[test]
fn drift_detection_is_a_config_rule_on_the_stack_alerting_the_topic() {
    let t = synth_json("dev");
    let rule = &t["Resources"]["DriftDetectionConfigRule"]["Properties"];
    assert_eq!(
        rule["Source"]["SourceIdentifier"],
        "CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK"
    );
    assert_eq!(rule["MaximumExecutionFrequency"], "TwentyFour_Hours");
    assert_eq!(
        rule["Scope"]["ComplianceResourceId"],
        json!({"Ref": "AWS::StackId"})
    );
    assert_eq!(
        rule["InputParameters"]["cloudformationRoleArn"],
        json!({"Fn::GetAtt": ["DriftDetectionRole", "Arn"]})
    );
    let role = &t["Resources"]["DriftDetectionRole"]["Properties"];
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "config.amazonaws.com"
    );
    assert_eq!(
        role["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/${AWS::StackName}/*"})
    );
    let alert = &t["Resources"]["DriftDetectionAlertRule"]["Properties"];
    assert_eq!(alert["Targets"][0]["Arn"], json!({"Ref": "AlertsTopic"}));
    assert_eq!(
        alert["EventPattern"]["detail"]["configRuleName"],
        json!(["config-stack-drift-us-east-1-dev"])
    );
    let topic_policy =
        t["Resources"]["AlertsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
            .clone();
    assert!(
        topic_policy
            .iter()
            .any(|s| s["Principal"]["Service"] == "events.amazonaws.com"),
        "{topic_policy:#?}"
    );
    let key_policy = t["Resources"]["DataKey"]["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        key_policy.iter().any(|s| s["Sid"] == "AllowEventBridge"),
        "{key_policy:#?}"
    );
}

/// `sample()` with a database user the processor connects as, and a
/// migration that runs after each deploy.
fn with_db_user() -> Platform {
    let mut platform = sample();
    platform.resources.push(Resource {
        name: "trading_app".into(),
        spec: Spec::DbUser(DbUserSpec {
            cluster: "trades".into(),
            privileges: DbPrivileges::Dml,
            key: "data".into(),
            rotation_days: None,
        }),
    });
    let processor = function_mut(&mut platform, "processor");
    processor.grants.push(Grant {
        resource: "trading_app".into(),
        access: "connect".into(),
    });
    processor.env.push((
        "DB_USER".into(),
        ValueSource::Attr(AttrRef::new("trading_app", "name")),
    ));
    let mut migrate = processor.clone();
    migrate.trigger = None;
    migrate.dead_letter = None;
    migrate.async_invoke = None;
    migrate.statements.clear();
    migrate.run = Some(Run::AfterDeploy);
    migrate.env = vec![(
        "APP_PRIVILEGES".into(),
        ValueSource::Attr(AttrRef::new("trading_app", "privileges")),
    )];
    migrate.grants = vec![
        Grant {
            resource: "trades".into(),
            access: "read_secret".into(),
        },
        Grant {
            resource: "trading_app".into(),
            access: "connect".into(),
        },
    ];
    platform.resources.push(Resource {
        name: "migrate".into(),
        spec: Spec::Function(migrate),
    });
    platform
}

#[test]
fn a_db_user_has_its_own_generated_encrypted_secret() {
    let t = synth_platform(&with_db_user(), "dev");
    let secret = &t["Resources"]["TradingAppDbUser"];
    assert_eq!(secret["Type"], "AWS::SecretsManager::Secret");
    assert_eq!(secret["DeletionPolicy"], "Delete");
    let p = &secret["Properties"];
    assert_eq!(p["Name"], "dbuser-trading-app-us-east-1-dev");
    assert_eq!(p["KmsKeyId"], json!({"Fn::GetAtt": ["DataKey", "Arn"]}));
    assert_eq!(
        p["GenerateSecretString"],
        json!({
            "SecretStringTemplate": "{\"username\":\"trading_app\"}",
            "GenerateStringKey": "password",
            "PasswordLength": 32,
            "ExcludePunctuation": true,
            "IncludeSpace": false,
            "RequireEachIncludedType": true,
        })
    );
    assert!(
        p.get("SecretString").is_none(),
        "no password in the template"
    );
    let tags = p["Tags"].as_array().expect("tags");
    assert!(tags.contains(&json!({"Key": "EnvironmentSuffix", "Value": "dev"})));
    assert!(tags.contains(&json!({"Key": "Project", "Value": "trading-platform"})));
    // Not rotated: it declares no rotation.
    assert!(
        t["Resources"]
            .as_object()
            .unwrap()
            .values()
            .all(|r| r["Type"] != "AWS::SecretsManager::RotationSchedule")
    );
    assert_eq!(
        t["Outputs"]["TradingAppDbUserSecretArn"]["Value"],
        json!({"Ref": "TradingAppDbUser"})
    );
}

#[test]
fn a_rotating_db_user_is_rotated_by_its_rotate_grantee_on_its_profiles_schedule() {
    let mut platform = with_db_user();
    for r in &mut platform.resources {
        if let Spec::DbUser(user) = &mut r.spec {
            user.rotation_days = Some(PerProfile::ByProfile(vec![
                ("dev".into(), 7),
                ("prod".into(), 30),
            ]));
        }
    }
    let mut rotation = match &platform.resource("migrate").unwrap().spec {
        Spec::Function(f) => f.clone(),
        _ => unreachable!(),
    };
    rotation.run = None;
    rotation.env.clear();
    rotation.grants = vec![Grant {
        resource: "trading_app".into(),
        access: "rotate".into(),
    }];
    platform.resources.push(Resource {
        name: "db_rotation".into(),
        spec: Spec::Function(rotation),
    });
    for (profile, days) in [("dev", 7), ("prod", 30)] {
        let t = synth_platform(&platform, profile);
        let r = &t["Resources"];
        assert_eq!(
            r["TradingAppDbUserRotationSchedule"],
            json!({
                "Type": "AWS::SecretsManager::RotationSchedule",
                "DependsOn": ["TradingAppDbUserRotationPermission"],
                "Properties": {
                    "SecretId": {"Ref": "TradingAppDbUser"},
                    "RotationLambdaARN": {"Fn::GetAtt": ["DbRotationFunction", "Arn"]},
                    "RotationRules": {"AutomaticallyAfterDays": days},
                    "RotateImmediatelyOnUpdate": false,
                },
            })
        );
        assert_eq!(
            r["TradingAppDbUserRotationPermission"]["Properties"],
            json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Fn::GetAtt": ["DbRotationFunction", "Arn"]},
                "Principal": "secretsmanager.amazonaws.com",
                "SourceArn": {"Ref": "TradingAppDbUser"},
                "SourceAccount": {"Ref": "AWS::AccountId"},
            })
        );
        let statements = r["DbRotationFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
            ["Statement"]
            .as_array()
            .unwrap()
            .clone();
        let sid = |sid: &str| statements.iter().find(|s| s["Sid"] == sid).cloned();
        assert_eq!(
            sid("TradingAppRotate").unwrap()["Action"],
            json!([
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ])
        );
        assert_eq!(
            sid("GenerateDbUserPasswords").unwrap(),
            json!({"Sid": "GenerateDbUserPasswords", "Effect": "Allow",
                   "Action": "secretsmanager:GetRandomPassword", "Resource": "*"})
        );
        assert_eq!(
            sid("DataKeyUse").unwrap()["Action"],
            json!(["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"])
        );
        // Only the rotating function may generate passwords.
        let processor = &r["ProcessorFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"];
        assert!(!processor.to_string().contains("GetRandomPassword"));
        assert!(!processor.to_string().contains("PutSecretValue"));
    }
}

#[test]
fn connect_on_a_db_user_reads_exactly_its_secret_and_decrypts_with_its_key() {
    let t = synth_platform(&with_db_user(), "dev");
    let policy = &t["Resources"]["ProcessorFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        ["Statement"];
    let statements = policy.as_array().expect("statements");
    let connect = statements
        .iter()
        .find(|s| s["Sid"] == "TradingAppConnect")
        .expect("the connect statement");
    assert_eq!(
        connect,
        &json!({
            "Sid": "TradingAppConnect",
            "Effect": "Allow",
            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            "Resource": {"Ref": "TradingAppDbUser"},
        })
    );
    let key_use = statements
        .iter()
        .find(|s| s["Sid"] == "DataKeyUse")
        .expect("key use");
    let actions = key_use["Action"].as_array().unwrap();
    assert!(actions.contains(&json!("kms:Decrypt")));
    assert!(actions.contains(&json!("kms:DescribeKey")));
    // The processor does not read the master secret.
    assert!(statements.iter().all(|s| s["Sid"] != "TradesReadSecret"));
    // The user's name and privileges are literals.
    let env = &t["Resources"]["ProcessorFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(env["DB_USER"], "trading_app");
    let env = &t["Resources"]["MigrateFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(env["APP_PRIVILEGES"], "dml");
}

#[test]
fn the_after_deploy_functions_are_recorded_per_stack_and_in_the_manifest() {
    let platform = with_db_user();
    let deployment = Deployment::new(&platform, "dev", None, &[]).unwrap();
    let assembly = synth(&platform, &deployment).unwrap();
    for stack in &assembly.stacks {
        assert_eq!(
            stack.after_deploy,
            [AfterDeploy {
                declared: "migrate".into(),
                function_name: format!("lambda-migrate-{}-dev", stack.region),
            }]
        );
        let template: Json = serde_json::from_str(&stack.body).unwrap();
        assert_eq!(
            template["Resources"]["MigrateFunction"]["Properties"]["FunctionName"],
            stack.after_deploy[0].function_name.as_str()
        );
    }
    assert_eq!(
        assembly.manifest()["stacks"][1]["after_deploy"],
        json!([{"declared": "migrate", "function_name": "lambda-migrate-us-west-2-dev"}])
    );
    assert_eq!(
        AfterDeploy::payload("s", "us-west-2"),
        json!({"phase": "after_deploy", "stack": "s", "region": "us-west-2"})
    );
    // Without `run:`, nothing runs after the deploy.
    let plain = Deployment::new(&sample(), "dev", None, &[]).unwrap();
    let assembly = synth(&sample(), &plain).unwrap();
    assert!(assembly.stacks.iter().all(|s| s.after_deploy.is_empty()));
    assert_eq!(assembly.manifest()["stacks"][0]["after_deploy"], json!([]));
}

#[test]
fn db_user_names_must_be_postgresql_roles_of_their_own() {
    use crate::naming::db_user_name_problem;
    assert_eq!(db_user_name_problem("trading_app"), None);
    assert!(
        db_user_name_problem("postgres")
            .unwrap()
            .contains("reserved")
    );
    assert!(db_user_name_problem("rds_app").unwrap().contains("`rds_`"));
    assert!(db_user_name_problem("pg_app").unwrap().contains("`pg_`"));
    assert!(
        db_user_name_problem(&"a".repeat(64))
            .unwrap()
            .contains("64 bytes")
    );
    assert_eq!(db_user_name_problem(&"a".repeat(63)), None);
    assert!(db_user_name_problem("App").is_some());
}

#[test]
fn a_hand_built_db_user_of_something_else_than_an_aurora_is_refused() {
    let mut platform = with_db_user();
    if let Some(Resource {
        spec: Spec::DbUser(u),
        ..
    }) = platform
        .resources
        .iter_mut()
        .find(|r| r.name == "trading_app")
    {
        u.cluster = "core".into();
    }
    let deployment = Deployment::new(&platform, "dev", None, &[]).unwrap();
    let err = synth(&platform, &deployment).unwrap_err();
    assert!(err.to_string().contains("must name an aurora"), "{err}");
}

#[test]
fn endpoints_admit_only_the_platforms_account_and_its_own_buckets_and_tables() {
    let dev = synth_json("dev");
    let r = &dev["Resources"];
    let account = json!({"StringEquals": {
        "aws:PrincipalAccount": {"Ref": "AWS::AccountId"},
        "aws:ResourceAccount": {"Ref": "AWS::AccountId"},
    }});
    let policy = |id: &str| r[id]["Properties"]["PolicyDocument"]["Statement"].clone();
    let s3 = policy("CoreVpcS3Endpoint");
    assert_eq!(s3.as_array().unwrap().len(), 1);
    assert_eq!(s3[0]["Action"], "s3:*");
    assert_eq!(s3[0]["Condition"], account);
    let buckets: Vec<&str> = r
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v["Type"] == "AWS::S3::Bucket")
        .map(|(k, _)| k.as_str())
        .collect();
    assert!(!buckets.is_empty());
    let resources = s3[0]["Resource"].as_array().unwrap();
    assert_eq!(resources.len(), 2 * buckets.len());
    for bucket in &buckets {
        assert!(resources.contains(&json!({"Fn::GetAtt": [bucket, "Arn"]})));
        assert!(resources.contains(&json!({"Fn::Sub": format!("${{{bucket}.Arn}}/*")})));
    }
    let dynamodb = policy("CoreVpcDynamodbEndpoint");
    assert_eq!(dynamodb[0]["Action"], "dynamodb:*");
    assert!(
        dynamodb[0]["Resource"]
            .as_array()
            .unwrap()
            .contains(&json!({"Fn::GetAtt": ["SessionsTable", "Arn"]}))
    );
    // Every endpoint has a policy, each statement bound to the account.
    for (id, v) in r.as_object().unwrap() {
        if v["Type"] != "AWS::EC2::VPCEndpoint" {
            continue;
        }
        let statements = v["Properties"]["PolicyDocument"]["Statement"].clone();
        for s in statements.as_array().unwrap() {
            assert_eq!(
                s["Condition"]["StringEquals"]["aws:PrincipalAccount"],
                json!({"Ref": "AWS::AccountId"}),
                "{id}"
            );
        }
    }
}

#[test]
fn functions_send_only_https_to_the_endpoints_and_the_gateway_prefix_lists() {
    let dev = synth_json("dev");
    let r = &dev["Resources"];
    let sg = &r["CoreVpcFunctionSecurityGroup"];
    assert!(sg.get("Metadata").is_none(), "no skip left: {sg}");
    let egress = sg["Properties"]["SecurityGroupEgress"].as_array().unwrap();
    for rule in egress {
        assert_eq!(rule["FromPort"], 443);
        assert_eq!(rule["ToPort"], 443);
        assert!(rule.get("CidrIp").is_none(), "{rule}");
    }
    let destinations: Vec<&Json> = egress
        .iter()
        .map(|rule| {
            rule.get("DestinationSecurityGroupId")
                .or_else(|| rule.get("DestinationPrefixListId"))
                .unwrap()
        })
        .collect();
    assert!(destinations.contains(&&json!({"Ref": "CoreVpcEndpointSecurityGroup"})));
    assert!(destinations.contains(&&json!("pl-63a5400a")));
    assert!(destinations.contains(&&json!("pl-02cd2c6b")));
    // The database port is added by the cluster, to its own group.
    let db = &r["TradesClusterSecurityGroupFunctionEgress"]["Properties"];
    assert_eq!(
        db["DestinationSecurityGroupId"],
        json!({"Ref": "TradesClusterSecurityGroup"})
    );
    assert!(super::network::gateway_prefix_list("eu-west-3", "s3").is_err());
}

#[test]
fn the_cluster_forces_tls_and_audits_ddl_and_writes_to_its_log_export() {
    let dev = synth_json("dev");
    let r = &dev["Resources"];
    let p = &r["TradesCluster"]["Properties"];
    assert_eq!(
        p["DBClusterParameterGroupName"],
        json!({"Ref": "TradesClusterParameterGroup"})
    );
    assert_eq!(p["EnableCloudwatchLogsExports"], json!(["postgresql"]));
    let group = &r["TradesClusterParameterGroup"]["Properties"];
    assert_eq!(group["Family"], "aurora-postgresql16");
    let parameters = &group["Parameters"];
    assert_eq!(parameters["rds.force_ssl"], "1");
    assert!(
        parameters["shared_preload_libraries"]
            .as_str()
            .unwrap()
            .split(',')
            .any(|l| l == "pgaudit")
    );
    assert_eq!(parameters["pgaudit.log"], "ddl,write");
    assert_eq!(parameters["pgaudit.log_parameter"], "0");
}

#[test]
fn a_bus_is_encrypted_with_its_key_which_lets_eventbridge_describe_it() {
    let dev = synth_json("dev");
    let r = &dev["Resources"];
    let bus = &r["EventsBus"]["Properties"];
    assert_eq!(
        bus["KmsKeyIdentifier"],
        json!({"Fn::GetAtt": ["DataKey", "Arn"]})
    );
    let statements = r["DataKey"]["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap();
    let events = statements
        .iter()
        .find(|s| s["Sid"] == "AllowEventBridge")
        .unwrap();
    assert!(
        events["Action"]
            .as_array()
            .unwrap()
            .contains(&json!("kms:DescribeKey"))
    );
}

#[test]
fn key_policies_separate_administration_from_use() {
    let t = synth_json("dev");
    let r = &t["Resources"];
    let statements = |key: &str| r[key]["Properties"]["KeyPolicy"]["Statement"].clone();
    let sid = |key: &str, sid: &str| {
        statements(key)
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .cloned()
    };
    for key in ["DataKey", "LogsKey"] {
        assert_eq!(r[key]["Properties"]["PendingWindowInDays"], 30);
        let all = statements(key);
        for statement in all.as_array().unwrap() {
            assert_ne!(statement["Action"], "kms:*", "{key}: {statement:#}");
        }
        // The account administers the key, and may not use it as such.
        let admin = sid(key, "KeyAdministration").unwrap();
        assert_eq!(
            admin["Principal"]["AWS"],
            json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"})
        );
        assert!(admin.get("Condition").is_none());
        let actions: Vec<&str> = admin["Action"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(actions.contains(&"kms:ScheduleKeyDeletion"));
        assert!(actions.contains(&"kms:Put*"));
        for crypto in ["Decrypt", "Encrypt", "GenerateDataKey", "ReEncrypt"] {
            assert!(
                !actions.iter().any(|a| a.contains(crypto)),
                "{key}: administrators may {crypto}"
            );
        }
        let deny = sid(key, "DenyGrantsNotForAwsResources").unwrap();
        assert_eq!(deny["Effect"], "Deny");
        assert_eq!(
            deny["Condition"]["BoolIfExists"]["kms:GrantIsForAWSResource"],
            "false"
        );
    }
    // Principals of the account use the data key only through the services
    // of the resources it encrypts, in this account.
    let use_ = sid("DataKey", "KeyUseThroughServices").unwrap();
    let condition = &use_["Condition"]["StringEquals"];
    assert_eq!(
        condition["kms:CallerAccount"],
        json!({"Ref": "AWS::AccountId"})
    );
    let via: Vec<String> = condition["kms:ViaService"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["Fn::Sub"].as_str().unwrap().to_owned())
        .collect();
    for service in ["dynamodb", "sqs", "lambda", "rds", "secretsmanager"] {
        assert!(
            via.contains(&format!("{service}.${{AWS::Region}}.amazonaws.com")),
            "{service} missing from {via:?}"
        );
    }
    assert!(!via.iter().any(|v| v.starts_with("logs.")), "{via:?}");
    // The logs key encrypts only log groups: only CloudWatch Logs uses it.
    assert!(sid("LogsKey", "KeyUseThroughServices").is_none());
    assert!(sid("LogsKey", "AllowCloudWatchLogs").is_some());
    assert!(sid("DataKey", "AllowCloudWatchLogs").is_none());
}

#[test]
fn a_function_role_holds_no_grant_on_the_key_of_its_logs() {
    let t = synth_json("dev");
    let policy =
        &t["Resources"]["ProcessorFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"];
    let keys: Vec<&Json> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            let actions = match &s["Action"] {
                Json::Array(a) => a.clone(),
                one => vec![one.clone()],
            };
            actions
                .iter()
                .any(|a| a.as_str().unwrap().starts_with("kms:"))
        })
        .map(|s| &s["Resource"])
        .collect();
    assert_eq!(keys, vec![&json!({"Fn::GetAtt": ["DataKey", "Arn"]})]);
}

/// [`sample`] with its table and cluster under the bootstrap's key and a
/// nightly backup of both.
pub(crate) fn sample_with_backup() -> Platform {
    let mut p = sample();
    for r in &mut p.resources {
        match &mut r.spec {
            Spec::Table(t) => t.key = BOOTSTRAP_KEY.into(),
            Spec::Aurora(a) => a.key = BOOTSTRAP_KEY.into(),
            _ => {}
        }
    }
    p.backups.push(BackupSpec {
        name: "nightly".into(),
        resources: vec!["trades".into(), "sessions".into()],
        schedule: "cron(0 3 * * ? *)".into(),
        retention_days: PerProfile::ByProfile(vec![("dev".into(), 7), ("prod".into(), 35)]),
        copy_to: PerRegion(vec![
            ("us-east-1".into(), "us-west-2".into()),
            ("us-west-2".into(), "us-east-1".into()),
        ]),
    });
    p
}

#[test]
fn a_backup_plan_goes_to_the_bootstrap_vault_and_copies_to_the_other_region() {
    let platform = sample_with_backup();
    assert_eq!(platform.validate_references(), Ok(()));
    let deployment =
        Deployment::new(&platform, "dev", Some("prod"), &["us-east-1".into()]).unwrap();
    let t: Json =
        serde_json::from_str(&synth(&platform, &deployment).unwrap().stacks[0].body).unwrap();
    let r = &t["Resources"];
    let plan = &r["NightlyBackupPlan"]["Properties"]["BackupPlan"];
    assert_eq!(plan["BackupPlanName"], "backup-nightly-us-east-1-dev");
    let rule = &plan["BackupPlanRule"][0];
    assert_eq!(rule["TargetBackupVault"], "tp-backup-us-east-1");
    assert_eq!(rule["Lifecycle"], json!({"DeleteAfterDays": 35}));
    assert_eq!(
        rule["CopyActions"][0],
        json!({
            "DestinationBackupVaultArn": {"Fn::Sub": "arn:${AWS::Partition}:backup:us-west-2:${AWS::AccountId}:backup-vault:tp-backup-us-west-2"},
            "Lifecycle": {"DeleteAfterDays": 35},
        })
    );
    let selection = &r["NightlyBackupSelection"]["Properties"];
    assert_eq!(
        selection["BackupPlanId"],
        json!({"Ref": "NightlyBackupPlan"})
    );
    let selected = selection["BackupSelection"]["Resources"].to_string();
    assert!(selected.contains("cluster:${TradesCluster}"), "{selected}");
    assert!(selected.contains("SessionsTable"), "{selected}");
    // The storage is under the bootstrap's key, from its SSM parameter.
    assert_eq!(
        t["Parameters"][RETAINED_DATA_KEY_PARAMETER]["Default"],
        crate::accounts::RETAINED_DATA_KEY_SSM_NAME
    );
    let key = json!({"Ref": RETAINED_DATA_KEY_PARAMETER});
    assert_eq!(r["TradesCluster"]["Properties"]["KmsKeyId"], key);
    assert_eq!(
        r["SessionsTable"]["Properties"]["SSESpecification"]["KMSMasterKeyId"],
        key
    );
    // The role may back up and copy exactly the selected resources.
    let role = &r["NightlyBackupRole"]["Properties"];
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
        json!({"Service": "backup.amazonaws.com"})
    );
    let policy = role["Policies"][0]["PolicyDocument"].to_string();
    assert!(policy.contains("backup:CopyIntoBackupVault"), "{policy}");
    assert!(policy.contains("tp-backup-us-west-2"), "{policy}");
    assert!(
        !policy.contains("\"*\""),
        "no action on every resource: {policy}"
    );
    // Without a backup, nothing of it.
    let t = synth_json("dev");
    assert!(t["Resources"].get("NightlyBackupPlan").is_none());
    assert!(t["Parameters"].get(RETAINED_DATA_KEY_PARAMETER).is_none());
}

#[test]
fn a_backup_naming_no_copy_region_for_a_region_is_refused() {
    let mut platform = sample_with_backup();
    platform.backups[0].copy_to.0.pop();
    let deployment = Deployment::new(&platform, "dev", Some("dev"), &["us-west-2".into()]).unwrap();
    let err = synth(&platform, &deployment).unwrap_err().to_string();
    assert!(
        err.contains("`copy_to:` names no region for us-west-2"),
        "{err}"
    );
}

#[test]
fn bucket_names_carry_the_profiles_account_or_the_stacks() {
    let t = synth_json("dev");
    assert_eq!(
        t["Resources"]["AuditBucket"]["Properties"]["BucketName"],
        json!({"Fn::Sub": "s3-audit-us-east-1-dev-${AWS::AccountId}"})
    );
    let platform = sample_with_accounts();
    let deployment =
        Deployment::new(&platform, "dev", Some("prod"), &["us-east-1".into()]).unwrap();
    let assembly = synth(&platform, &deployment).unwrap();
    let t: Json = serde_json::from_str(&assembly.stacks[0].body).unwrap();
    assert_eq!(
        t["Resources"]["AuditBucket"]["Properties"]["BucketName"],
        "s3-audit-us-east-1-dev-222222222222"
    );
}

#[test]
fn an_archived_bucket_replicates_every_object_to_the_write_once_archive() {
    let t = synth_json("dev");
    let r = &t["Resources"];
    let replication = &r["AuditBucket"]["Properties"]["ReplicationConfiguration"];
    assert_eq!(
        replication["Role"],
        json!({"Fn::GetAtt": ["AuditBucketReplicationRole", "Arn"]})
    );
    let rule = &replication["Rules"][0];
    assert_eq!(rule["Status"], "Enabled");
    assert_eq!(rule["DeleteMarkerReplication"]["Status"], "Disabled");
    assert_eq!(rule["Filter"], json!({"Prefix": ""}));
    assert_eq!(
        rule["Destination"]["Bucket"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::tp-audit-archive-${AWS::AccountId}-${AWS::Region}"})
    );
    assert_eq!(
        rule["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"],
        json!({"Ref": "ArchiveKeyArn"})
    );
    assert_eq!(
        rule["SourceSelectionCriteria"]["SseKmsEncryptedObjects"]["Status"],
        "Enabled"
    );
    assert_eq!(
        t["Parameters"]["ArchiveKeyArn"]["Type"],
        "AWS::SSM::Parameter::Value<String>"
    );
    assert_eq!(
        t["Parameters"]["ArchiveKeyArn"]["Default"],
        "/tp/bootstrap/archive-key-arn"
    );
    let role = &r["AuditBucketReplicationRole"]["Properties"];
    assert_eq!(role["RoleName"], "role-audit-replication-us-east-1-dev");
    assert!(role["PermissionsBoundary"].is_object());
    let statements = statements_of(&t, "AuditBucketReplicationRole");
    let actions: Vec<String> = statements.iter().flat_map(actions_of).collect();
    // Replication reads versions and writes replicas; it never deletes,
    // neither here nor in the archive.
    assert!(actions.iter().all(|a| !a.contains("Delete")), "{actions:?}");
    assert!(actions.contains(&"s3:ReplicateObject".to_owned()));
    assert!(!actions.iter().any(|a| a == "s3:PutObject"), "{actions:?}");
    // Not archived: no replication.
    assert!(r["AccessLogsBucket"]["Properties"]["ReplicationConfiguration"].is_null());
}

/// The topic `name` of `platform`.
fn topic_mut<'a>(platform: &'a mut Platform, name: &str) -> &'a mut TopicSpec {
    match platform.resources.iter_mut().find(|r| r.name == name) {
        Some(Resource {
            spec: Spec::Topic(t),
            ..
        }) => t,
        _ => panic!("no topic `{name}`"),
    }
}

#[test]
fn declared_subscribers_are_subscribed_per_profile_and_a_queue_admits_only_its_topic() {
    let mut p = sample();
    topic_mut(&mut p, "alerts").subscribers = PerProfile::ByProfile(vec![
        (
            "dev".into(),
            vec![Subscriber::Email("dev@example.com".into())],
        ),
        (
            "prod".into(),
            vec![
                Subscriber::Https("https://pager.example.com/hook".into()),
                Subscriber::Sqs {
                    queue: "orders_dlq".into(),
                    raw: true,
                },
            ],
        ),
    ]);
    let dev = synth_platform(&p, "dev");
    let sub = &dev["Resources"]["AlertsTopicSubscription1"]["Properties"];
    assert_eq!(sub["Protocol"], "email");
    assert_eq!(sub["Endpoint"], "dev@example.com");
    assert_eq!(sub["TopicArn"], json!({"Ref": "AlertsTopic"}));
    assert!(dev["Resources"].get("AlertsTopicSubscription2").is_none());

    let prod = synth_platform(&p, "prod");
    assert_eq!(
        prod["Resources"]["AlertsTopicSubscription1"]["Properties"]["Protocol"],
        "https"
    );
    let sqs = &prod["Resources"]["AlertsTopicSubscription2"]["Properties"];
    assert_eq!(sqs["Protocol"], "sqs");
    assert_eq!(sqs["RawMessageDelivery"], true);
    assert_eq!(
        sqs["Endpoint"],
        json!({"Fn::GetAtt": ["OrdersDlqQueue", "Arn"]})
    );
    // The queue lets SNS send to it, from this topic only.
    let statements =
        prod["Resources"]["OrdersDlqQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap();
    let delivery = statements
        .iter()
        .find(|s| s["Principal"]["Service"] == "sns.amazonaws.com")
        .expect("a statement admitting SNS");
    assert_eq!(delivery["Action"], "sqs:SendMessage");
    assert_eq!(
        delivery["Condition"]["ArnEquals"]["aws:SourceArn"],
        json!({"Ref": "AlertsTopic"})
    );
    // The queue's key lets SNS encrypt what it delivers.
    let key = prod["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::KMS::Key")
        .flat_map(|k| {
            k["Properties"]["KeyPolicy"]["Statement"]
                .as_array()
                .unwrap()
                .clone()
        })
        .find(|s| s["Sid"] == "AllowSnsDeliveries")
        .expect("a key statement for SNS deliveries");
    assert_eq!(key["Principal"]["Service"], "sns.amazonaws.com");
}

#[test]
fn a_scheduled_function_has_a_dead_man_alarm_over_twice_its_period() {
    let mut p = sample();
    let dead_man = |t: &Json| {
        t["Resources"].as_object().unwrap().values().any(|r| {
            r["Properties"]["TreatMissingData"] == "breaching"
                && r["Properties"]["MetricName"] == "Invocations"
        })
    };
    assert!(
        !dead_man(&synth_platform(&p, "dev")),
        "no `notify:`, no dead-man alarm"
    );
    let hourly = p.resources.iter_mut().find(|r| r.name == "hourly").unwrap();
    let Spec::Rule(rule) = &mut hourly.spec else {
        panic!("`hourly` is a rule")
    };
    rule.notify = Some("alerts".into());
    let t = synth_platform(&p, "dev");
    let (id, alarm) = t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| {
            r["Type"] == "AWS::CloudWatch::Alarm"
                && r["Properties"]["TreatMissingData"] == "breaching"
                && r["Properties"]["MetricName"] == "Invocations"
        })
        .expect("a dead-man alarm");
    let props = &alarm["Properties"];
    assert_eq!(props["Statistic"], "Sum");
    assert_eq!(props["ComparisonOperator"], "LessThanThreshold");
    assert_eq!(props["Threshold"], 1.0);
    assert_eq!(props["Period"], 7200);
    assert_eq!(props["EvaluationPeriods"], 1);
    assert_eq!(props["AlarmActions"], json!([{"Ref": "AlertsTopic"}]));
    assert_eq!(props["Dimensions"][0]["Name"], "FunctionName");
    // It is on the dashboard's alarm status, and CloudWatch may publish to the topic.
    let body = &t["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"];
    let vars = body[1].as_object().unwrap();
    assert!(
        vars.values()
            .any(|v| v == &json!({"Fn::GetAtt": [id, "Arn"]}))
    );
}

#[test]
fn dashboard_sections_start_with_a_header_on_a_row_of_their_own() {
    let mut p = sample();
    let dashboard = p
        .resources
        .iter_mut()
        .find(|r| matches!(r.spec, Spec::Dashboard(_)))
        .unwrap();
    let Spec::Dashboard(spec) = &mut dashboard.spec else {
        unreachable!()
    };
    let metrics = std::mem::take(&mut spec.metrics);
    spec.sections = vec![
        DashboardSection {
            title: "Is trading up?".into(),
            metrics: metrics[..3].to_vec(),
        },
        DashboardSection {
            title: "Database".into(),
            metrics: metrics[..1].to_vec(),
        },
    ];
    let t = synth_platform(&p, "dev");
    let body = &t["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"];
    let widgets: Json = serde_json::from_str(body[0].as_str().unwrap()).unwrap();
    let placed: Vec<(String, u64, u64)> = widgets["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let what = match w["type"].as_str().unwrap() {
                "text" => w["properties"]["markdown"].as_str().unwrap().to_owned(),
                other => other.to_owned(),
            };
            (what, w["x"].as_u64().unwrap(), w["y"].as_u64().unwrap())
        })
        .collect();
    let expect = |what: &str, x: u64, y: u64| (what.to_owned(), x, y);
    assert_eq!(
        placed[..7],
        [
            expect("## Is trading up?", 0, 0),
            expect("metric", 0, 1),
            expect("metric", 12, 1),
            expect("metric", 0, 7),
            // The third metric's row is closed before the next header.
            expect("## Database", 0, 13),
            expect("metric", 0, 14),
            expect("## What is alarming?", 0, 20),
        ]
    );
    assert_eq!(placed[7].0, "alarm");
}

/// The sample platform with its api on `api.<profile>.example.com` in zone
/// `public`, whose source is `source`.
fn with_domain(source: ZoneSource) -> Platform {
    let mut platform = sample();
    platform.resources.push(Resource {
        name: "public".into(),
        spec: Spec::Zone(ZoneSpec {
            domain: PerProfile::ByProfile(vec![
                ("dev".into(), "dev.example.com".into()),
                ("prod".into(), "example.com".into()),
            ]),
            source: PerProfile::Same(source),
        }),
    });
    let api = platform
        .resources
        .iter_mut()
        .find(|r| r.name == "trading")
        .unwrap();
    let Spec::Api(api) = &mut api.spec else {
        panic!("an api")
    };
    api.domain = Some(ApiDomain {
        name: PerProfile::ByProfile(vec![
            ("dev".into(), "api.dev.example.com".into()),
            ("prod".into(), "api.example.com".into()),
        ]),
        zone: "public".into(),
    });
    platform
}

/// Every stack of `platform` in profile `profile`, by region.
fn synth_regions(platform: &Platform, profile: &str) -> (Assembly, Vec<Json>) {
    let deployment = Deployment::new(platform, "dev", Some(profile), &platform.regions).unwrap();
    let assembly = synth(platform, &deployment).unwrap();
    let bodies = assembly
        .stacks
        .iter()
        .map(|s| serde_json::from_str(&s.body).unwrap())
        .collect();
    (assembly, bodies)
}

#[test]
fn a_created_zone_and_the_health_checks_live_in_the_global_stack_alone() {
    let platform = with_domain(ZoneSource::Created);
    let (assembly, stacks) = synth_regions(&platform, "dev");
    let (east, west) = (&stacks[0], &stacks[1]);
    let zone = &east["Resources"]["PublicZone"];
    assert_eq!(zone["Type"], "AWS::Route53::HostedZone");
    assert_eq!(zone["Properties"]["Name"], "dev.example.com");
    assert!(zone.get("DeletionPolicy").is_none_or(|p| p == "Delete"));
    assert!(east["Outputs"].get("PublicZoneNameServers").is_some());
    assert_eq!(
        east["Outputs"]["PublicZoneId"]["Value"],
        json!({"Ref": "PublicZone"})
    );
    assert!(west["Resources"].get("PublicZone").is_none());
    // One health check per region, all in us-east-1, each probing its
    // region's own name without the stage prefix.
    for region in ["UsEast1", "UsWest2"] {
        assert!(
            west["Resources"]
                .get(format!("ApiHealthHealthCheck{region}"))
                .is_none()
        );
        let check = &east["Resources"][format!("ApiHealthHealthCheck{region}")];
        assert_eq!(check["Type"], "AWS::Route53::HealthCheck");
        let alarm = &east["Resources"][format!("ApiDownAlarm{region}")]["Properties"];
        assert_eq!(alarm["ComparisonOperator"], "LessThanThreshold");
        assert_eq!(alarm["TreatMissingData"], "breaching");
        assert_eq!(
            alarm["Dimensions"],
            json!([{"Name": "HealthCheckId", "Value": {"Ref": format!("ApiHealthHealthCheck{region}")}}])
        );
    }
    let west_check =
        &east["Resources"]["ApiHealthHealthCheckUsWest2"]["Properties"]["HealthCheckConfig"];
    assert_eq!(
        west_check["FullyQualifiedDomainName"],
        "us-west-2.api.dev.example.com"
    );
    assert_eq!(west_check["ResourcePath"], "/health");
    // us-west-2 reads the zone and its health check from us-east-1.
    let imports: Vec<&str> = assembly.stacks[1]
        .imports
        .iter()
        .map(|i| i.parameter.as_str())
        .collect();
    assert!(imports.contains(&"PublicZoneId"), "{imports:?}");
    assert!(
        imports.contains(&"ApiHealthHealthCheckUsWest2Id"),
        "{imports:?}"
    );
    assert!(assembly.stacks[0].imports.is_empty());
}

#[test]
fn a_guard_on_a_domains_health_check_rolls_back_the_global_stack_on_every_regions_alarm() {
    let mut platform = with_domain(ZoneSource::Created);
    if let Some(r) = platform.resources.iter_mut().find(|r| r.name == "api_down")
        && let Spec::Alarm(a) = &mut r.spec
    {
        a.guard = true;
    }
    let (assembly, _) = synth_regions(&platform, "dev");
    let guards = |i: usize| -> Vec<(String, String)> {
        assembly.stacks[i]
            .guard_alarms
            .iter()
            .filter(|g| g.logical_id.starts_with("ApiDown"))
            .map(|g| (g.logical_id.clone(), g.name.clone()))
            .collect()
    };
    assert_eq!(
        guards(0),
        [
            (
                "ApiDownAlarmUsEast1".to_owned(),
                "alarm-api-down-us-east-1-dev".to_owned()
            ),
            (
                "ApiDownAlarmUsWest2".to_owned(),
                "alarm-api-down-us-west-2-dev".to_owned()
            ),
        ]
    );
    assert_eq!(guards(1), []);
}

#[test]
fn every_region_serves_the_domain_latency_routed_with_its_own_health_check() {
    let platform = with_domain(ZoneSource::Created);
    let (_, stacks) = synth_regions(&platform, "dev");
    let west = &stacks[1]["Resources"];
    let certificate = &west["TradingApiCertificate"]["Properties"];
    assert_eq!(certificate["DomainName"], "api.dev.example.com");
    assert_eq!(
        certificate["SubjectAlternativeNames"],
        json!(["us-west-2.api.dev.example.com"])
    );
    assert_eq!(certificate["ValidationMethod"], "DNS");
    assert_eq!(
        certificate["DomainValidationOptions"][1],
        json!({"DomainName": "us-west-2.api.dev.example.com", "HostedZoneId": {"Ref": "PublicZoneId"}})
    );
    for (name, host) in [
        ("TradingApiDomainName", "api.dev.example.com"),
        (
            "TradingApiRegionalDomainName",
            "us-west-2.api.dev.example.com",
        ),
    ] {
        let domain = &west[name]["Properties"];
        assert_eq!(domain["DomainName"], host);
        assert_eq!(domain["SecurityPolicy"], "TLS_1_2");
        assert_eq!(
            domain["EndpointConfiguration"],
            json!({"Types": ["REGIONAL"]})
        );
    }
    assert_eq!(
        west["TradingApiBasePathMapping"]["Properties"]["Stage"],
        json!({"Ref": "TradingApiStage"})
    );
    let latency = &west["TradingApiLatencyRecord"]["Properties"];
    assert_eq!(latency["Name"], "api.dev.example.com");
    assert_eq!(latency["Region"], "us-west-2");
    assert_eq!(latency["SetIdentifier"], "us-west-2");
    assert_eq!(
        latency["HealthCheckId"],
        json!({"Ref": "ApiHealthHealthCheckUsWest2Id"})
    );
    assert_eq!(latency["AliasTarget"]["EvaluateTargetHealth"], true);
    let regional = &west["TradingApiRegionalRecord"]["Properties"];
    assert_eq!(regional["Name"], "us-west-2.api.dev.example.com");
    assert_eq!(
        regional["AliasTarget"]["DNSName"],
        json!({"Fn::GetAtt": ["TradingApiRegionalDomainName", "RegionalDomainName"]})
    );
}

#[test]
fn an_existing_zone_is_used_by_id_or_looked_up_and_never_created() {
    let platform = with_domain(ZoneSource::Id("Z0EXISTING".into()));
    let (assembly, stacks) = synth_regions(&platform, "prod");
    assert!(stacks[0]["Resources"].get("PublicZone").is_none());
    assert_eq!(
        stacks[1]["Resources"]["TradingApiLatencyRecord"]["Properties"]["HostedZoneId"],
        "Z0EXISTING"
    );
    assert!(assembly.stacks.iter().all(|s| s.zone_lookups.is_empty()));
    let platform = with_domain(ZoneSource::Lookup);
    let (assembly, stacks) = synth_regions(&platform, "prod");
    assert!(stacks[0]["Resources"].get("PublicZone").is_none());
    for stack in &assembly.stacks {
        assert_eq!(stack.zone_lookups.len(), 1);
        assert_eq!(stack.zone_lookups[0].domain, "example.com");
    }
}

#[test]
fn every_dashboard_shows_every_regions_health_from_us_east_1() {
    let mut platform = with_domain(ZoneSource::Created);
    let dashboard = platform
        .resources
        .iter_mut()
        .find(|r| matches!(r.spec, Spec::Dashboard(_)))
        .unwrap();
    let Spec::Dashboard(spec) = &mut dashboard.spec else {
        unreachable!()
    };
    spec.metrics.push(MetricRef {
        resource: "api_health".into(),
        metric: "status".into(),
    });
    let (_, stacks) = synth_regions(&platform, "dev");
    for stack in &stacks {
        let (id, dashboard) = stack["Resources"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(_, r)| r["Type"] == "AWS::CloudWatch::Dashboard")
            .unwrap();
        let sub = &dashboard["Properties"]["DashboardBody"]["Fn::Sub"];
        let body: Json = serde_json::from_str(sub[0].as_str().unwrap()).unwrap();
        let widget = body["widgets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["properties"]["title"] == "api_health.status by region")
            .unwrap_or_else(|| panic!("{id} shows no health by region"));
        assert_eq!(widget["properties"]["region"], "us-east-1");
        assert_eq!(widget["properties"]["metrics"].as_array().unwrap().len(), 2);
    }
}

/// What a build leaves in its context: the template, its owners sorted,
/// and how many guard alarms it asked for.
type Built = (Template, Vec<(String, usize)>, usize);

/// What `build` leaves after building `platform` into a fresh context.
fn built_with(
    platform: &Platform,
    build: fn(&mut Context<'_>) -> Result<(), SynthError>,
) -> Result<Built, String> {
    let deployment = Deployment::new(platform, "dev", None, &[]).unwrap();
    let assets = package_functions(&distinct_functions(platform), &AssetCache::none()).unwrap();
    let index = index::Index::new(platform);
    let mut cx = Context::new(
        platform,
        "us-east-1",
        &deployment.suffix,
        &deployment.profile,
        &assets,
        &index,
    );
    build(&mut cx).map_err(|e| e.to_string())?;
    let mut owners: Vec<(String, usize)> = cx.owners.into_iter().collect();
    owners.sort();
    Ok((cx.template, owners, cx.guard_alarms.len()))
}

fn one_by_one(cx: &mut Context<'_>) -> Result<(), SynthError> {
    build_run(cx, 0..cx.platform.resources.len())
}

#[test]
fn building_side_by_side_makes_what_building_in_order_makes() {
    let platform = crate::generate::platform(400, "us-east-1", &fixture_code());
    let (template, owners, alarms) = built_with(&platform, build_declared).unwrap();
    assert_eq!(
        built_with(&platform, one_by_one).unwrap(),
        (template.clone(), owners, alarms)
    );
    assert!(template.resources.len() > platform.resources.len());
}

#[test]
fn a_logical_id_two_runs_both_add_is_the_error_building_in_order_meets() {
    let mut platform = crate::generate::platform(400, "us-east-1", &fixture_code());
    // The second resource again, at the end: built in another run than
    // its first copy.
    let again = platform.resources[1].clone();
    platform.resources.push(again);
    let in_order = built_with(&platform, one_by_one).unwrap_err();
    assert!(in_order.contains("produced twice"), "{in_order}");
    assert_eq!(built_with(&platform, build_declared).unwrap_err(), in_order);
}

#[test]
fn the_first_error_of_any_run_is_the_one_building_in_order_meets() {
    let mut platform = crate::generate::platform(400, "us-east-1", &fixture_code());
    // An id added twice early in the first run, another late in the
    // second: building in order meets the early one.
    let late = platform.resources.len() - 1;
    let (first, second) = (
        platform.resources[2].clone(),
        platform.resources[late].clone(),
    );
    platform.resources.insert(3, first);
    platform.resources.push(second);
    let in_order = built_with(&platform, one_by_one).unwrap_err();
    assert_eq!(built_with(&platform, build_declared).unwrap_err(), in_order);
}

#[test]
fn side_by_side_each_item_is_computed_once_and_kept_in_its_place() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = AtomicUsize::new(0);
    // Uneven items: the first is slow, so the others are taken meanwhile.
    let items: Vec<usize> = (0..200).collect();
    let out = par_map_owned(items, |i, item| {
        calls.fetch_add(1, Ordering::Relaxed);
        assert_eq!(i, item, "each item comes with its own index");
        if i == 0 {
            (0..200_000u64).fold(0u64, |a, b| a.wrapping_add(b * b));
        }
        item * 3
    });
    assert_eq!(calls.load(Ordering::Relaxed), 200);
    assert_eq!(out, (0..200).map(|i| i * 3).collect::<Vec<_>>());
}

#[test]
fn a_panic_side_by_side_reaches_the_caller() {
    let caught = std::panic::catch_unwind(|| {
        par_map_owned((0..8).collect::<Vec<usize>>(), |_, item| {
            assert_ne!(item, 5, "item five fails");
            item
        })
    });
    let panic = caught.unwrap_err();
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    assert!(message.contains("item five fails"), "{message}");
}

#[test]
fn a_map_inside_an_item_runs_on_that_items_thread() {
    let out = par_map_owned((0..4).collect::<Vec<usize>>(), |_, outer| {
        let here = std::thread::current().id();
        let inner = par_map_owned((0..50).collect::<Vec<usize>>(), |_, inner| {
            (std::thread::current().id(), outer * 100 + inner)
        });
        assert!(inner.iter().all(|(thread, _)| *thread == here));
        inner.into_iter().map(|(_, v)| v).sum::<usize>()
    });
    let expected: Vec<usize> = (0..4)
        .map(|o| o * 100 * 50 + (0..50).sum::<usize>())
        .collect();
    assert_eq!(out, expected);
    // Outside any item, the map uses the cores again: the first items
    // each wait until as many threads as cores have taken one.
    let seen = std::sync::Mutex::new(std::collections::HashSet::new());
    let joined = std::sync::Condvar::new();
    let all_there = par_map_owned((0..64).collect::<Vec<usize>>(), |i, _| {
        let mut threads = seen.lock().unwrap();
        threads.insert(std::thread::current().id());
        joined.notify_all();
        if i >= cores() {
            return true;
        }
        let (threads, _) = joined
            .wait_timeout_while(threads, std::time::Duration::from_secs(30), |t| {
                t.len() < cores()
            })
            .unwrap();
        threads.len() == cores()
    });
    assert!(all_there.iter().all(|&ok| ok));
}

#[test]
fn a_split_stack_refers_to_nothing_its_nested_stacks_do_not_define() {
    let platform = crate::generate::platform(400, "us-east-1", &fixture_code());
    let d = Deployment::new(&platform, "dev", None, &[]).unwrap();
    let stack = synth(&platform, &d).unwrap().stacks.remove(0);
    assert!(stack.nested.len() > 1, "split into nested stacks");
    for n in &stack.nested {
        assert!(
            n.template.dangling_references().is_empty(),
            "{}",
            n.logical_id
        );
    }
    // A resource referring to an id no stack holds: the reference stays
    // unwired, and the split reports it.
    let (mut template, owners, _) = built_with(&platform, build_declared).unwrap();
    let owners: IdMap<String, usize> = owners.into_iter().collect();
    // The parameter `synth_stack` declares for the functions' code.
    template.parameters.insert(
        ASSET_BUCKET_PARAMETER.into(),
        crate::template::Parameter {
            param_type: "AWS::SSM::Parameter::Value<String>".into(),
            default: Some(ASSET_BUCKET_SSM_NAME.into()),
            description: String::new(),
        },
    );
    let (id, resource) = template.resources.iter_mut().nth(700).unwrap();
    let id = id.clone();
    resource
        .properties
        .insert("Extra".into(), Value::get_att("Missing", "Arn"));
    let err = split_stack("s", &platform, template, &owners, Value::list([]))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!("references to undeclared resources: `{id}` -> `Missing`;")
    );
}
