//! Constructs: one declared resource becomes its CloudFormation resources,
//! with secure defaults that the definition cannot turn off.
//!
//! | kind      | resources                                              |
//! |-----------|--------------------------------------------------------|
//! | key       | `AWS::KMS::Key` (rotation, a policy separating administration from use), `AWS::KMS::Alias` |
//! | table     | `AWS::DynamoDB::Table` (on-demand, PITR, SSE-KMS)      |
//! | queue     | `AWS::SQS::Queue` (SSE-KMS, redrive), `AWS::SQS::QueuePolicy` (TLS only) |
//! | bucket    | `AWS::S3::Bucket` (versioning, SSE-KMS, public access block, lifecycle), `AWS::S3::BucketPolicy` (TLS only) |
//! | topic     | `AWS::SNS::Topic` (SSE-KMS), `AWS::SNS::TopicPolicy` (TLS only) |
//! | parameter | `AWS::SSM::Parameter` (String)                         |
//! | function  | `AWS::Lambda::Function` (X-Ray, JSON logs), `AWS::IAM::Role` (inline least-privilege policy), `AWS::Logs::LogGroup` (retention, KMS), `AWS::Lambda::EventSourceMapping` (partial batch failures, maximum concurrency), `AWS::Lambda::EventInvokeConfig` (asynchronous retries and event age, for functions invoked asynchronously) |
//!
//! Every resource that holds data gets `DeletionPolicy` and
//! `UpdateReplacePolicy` `Delete`: the platform is destroyable by design, and
//! `tp deploy` guards against replacing or removing data by surprise.

use crate::catalog::{self, Kind};
use crate::naming::{self, pascal_case};
use crate::spec::{
    AsyncInvoke, BucketSpec, FunctionSpec, KeySpec, ParameterSpec, QueueSpec, Resource as Declared,
    Spec, TableSpec, TopicSpec,
};
use crate::template::{Output, RemovalPolicy, Resource, Value};

use super::iam::{self, Statement};
use super::{ASSET_BUCKET_PARAMETER, Context, SynthError};

/// Adds the resources of one declaration to the stack.
pub(crate) fn build(cx: &mut Context<'_>, declared: &Declared) -> Result<(), SynthError> {
    let name = declared.name.as_str();
    match &declared.spec {
        Spec::Key(spec) => key(cx, name, spec)?,
        Spec::Table(spec) => table(cx, name, spec)?,
        Spec::Queue(spec) => queue(cx, name, spec)?,
        Spec::Bucket(spec) => bucket(cx, name, spec)?,
        Spec::Topic(spec) => topic(cx, name, spec)?,
        Spec::Parameter(spec) => parameter(cx, name, spec)?,
        Spec::Function(spec) => function(cx, name, spec)?,
        Spec::Network(spec) => super::network::network(cx, name, spec)?,
        Spec::Aurora(spec) => super::aurora::aurora(cx, name, spec)?,
        Spec::DbUser(spec) => super::aurora::db_user(cx, name, spec)?,
        Spec::Api(spec) => super::api::api(cx, name, spec)?,
        Spec::Bus(spec) => super::events::bus(cx, name, spec)?,
        Spec::Rule(spec) => {
            super::events::rule(cx, name, spec)?;
            super::monitoring::dead_man(cx, spec)?;
        }
        Spec::LogGroup(spec) => super::events::log_group(cx, name, spec)?,
        Spec::Alarm(spec) => super::monitoring::alarm(cx, name, spec)?,
        Spec::HealthCheck(spec) => super::monitoring::health_check(cx, name, spec)?,
        Spec::Dashboard(spec) => super::monitoring::dashboard(cx, name, spec)?,
        Spec::Zone(spec) => super::dns::zone(cx, name, spec)?,
    }
    output(cx, declared);
    Ok(())
}

/// The outputs of each kind: the attributes someone deploying or operating
/// the platform looks up (and other stacks import).
fn output_attributes(spec: &Spec) -> &'static [&'static str] {
    match spec {
        Spec::Key(_) => &["arn"],
        Spec::Table(_) => &["name"],
        Spec::Queue(_) => &["url"],
        Spec::Bucket(_) => &["name"],
        Spec::Topic(_) => &["arn"],
        Spec::Parameter(_) => &["name"],
        Spec::Function(_) => &["name"],
        Spec::Network(_) => &["id"],
        Spec::Aurora(_) => &["endpoint", "reader_endpoint", "secret_arn"],
        Spec::DbUser(_) => &["secret_arn"],
        Spec::Api(_) => &["id"],
        Spec::Bus(_) => &["name"],
        Spec::LogGroup(_) => &["name"],
        Spec::HealthCheck(_) => &["id"],
        Spec::Rule(_) | Spec::Alarm(_) | Spec::Dashboard(_) | Spec::Zone(_) => &[],
    }
}

fn output(cx: &mut Context<'_>, declared: &Declared) {
    let info = declared.spec.kind().info();
    let id = naming::logical_id(info, &declared.name);
    // What another stack holds (the global stack's health checks of a
    // domain) has its outputs there.
    if !cx.template.resources.contains_key(&id) {
        return;
    }
    let mut outputs: Vec<(String, Value, String)> = output_attributes(&declared.spec)
        .iter()
        .map(|attribute| {
            (
                format!("{id}{}", pascal_case(attribute)),
                cx.attr(&crate::spec::AttrRef::new(&declared.name, attribute)),
                format!("{} of {} `{}`", attribute, info.keyword, declared.name),
            )
        })
        .collect();
    if let Spec::Api(api) = &declared.spec {
        outputs.push((
            format!("{id}Url"),
            super::api::url(&id, &api.stage),
            format!("invoke URL of api `{}`", declared.name),
        ));
    }
    for (output_id, value, description) in outputs {
        cx.template.outputs.insert(
            output_id.clone(),
            Output {
                value,
                description,
                export: Some(Value::sub(format!("${{AWS::StackName}}-{output_id}"))),
            },
        );
    }
}

fn arn(service: &str, resource: &str) -> Value {
    Value::sub(format!(
        "arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"
    ))
}

/// Which AWS services need the key for resources that they, not a caller's
/// role, encrypt: CloudWatch Logs for the log groups (functions', flow logs,
/// the API's, database log exports, declared log groups), EventBridge for
/// dead-letter queues and drift topics, CloudWatch alarms for topics.
fn key_users(cx: &Context<'_>, key: &str) -> Vec<Statement> {
    let mut statements = Vec::new();
    let uses = |service: &str| service_uses_key(cx, key, service);
    if uses("events") {
        // EventBridge describes a bus's key when the bus is created or
        // updated (it must be a symmetric key).
        let mut statement = service_key_statement("AllowEventBridge", "events.amazonaws.com");
        statement.actions.push("kms:DescribeKey".into());
        statements.push(statement);
    }
    if uses("cloudwatch") {
        statements.push(service_key_statement(
            "AllowCloudWatchAlarms",
            "cloudwatch.amazonaws.com",
        ));
    }
    if uses("sns") {
        // SNS encrypts what it delivers to a subscribed queue.
        statements.push(service_key_statement(
            "AllowSnsDeliveries",
            "sns.amazonaws.com",
        ));
    }
    let logs = uses("logs");
    if logs {
        statements.push(Statement {
            sid: "AllowCloudWatchLogs".into(),
            effect: "Allow",
            actions: [
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
            ]
            .map(String::from)
            .to_vec(),
            resources: vec![Value::str("*")],
            principal: Some(Value::map([(
                "Service",
                Value::sub("logs.${AWS::Region}.amazonaws.com"),
            )])),
            condition: Some(Value::map([(
                "ArnLike",
                Value::map([(
                    "kms:EncryptionContext:aws:logs:arn",
                    arn("logs", "log-group:*"),
                )]),
            )])),
        });
    }
    statements
}

/// An S3 bucket with what every bucket the platform and `tp bootstrap`
/// create has: versioning, default encryption (`encryption`, with S3
/// Bucket Keys when it is a KMS key), every kind of public access blocked,
/// ownership enforced for the bucket owner (no ACLs), and `rules` as its
/// lifecycle.
pub(crate) fn private_bucket(
    name: Value,
    encryption: Value,
    bucket_key: bool,
    rules: Vec<Value>,
) -> Resource {
    Resource::new("AWS::S3::Bucket")
        .prop("BucketName", name)
        .prop(
            "VersioningConfiguration",
            Value::map([("Status", Value::str("Enabled"))]),
        )
        .prop(
            "BucketEncryption",
            Value::map([(
                "ServerSideEncryptionConfiguration",
                Value::list([Value::map([
                    ("ServerSideEncryptionByDefault", encryption),
                    ("BucketKeyEnabled", Value::Bool(bucket_key)),
                ])]),
            )]),
        )
        .prop(
            "PublicAccessBlockConfiguration",
            Value::map([
                ("BlockPublicAcls", Value::Bool(true)),
                ("BlockPublicPolicy", Value::Bool(true)),
                ("IgnorePublicAcls", Value::Bool(true)),
                ("RestrictPublicBuckets", Value::Bool(true)),
            ]),
        )
        .prop(
            "OwnershipControls",
            Value::map([(
                "Rules",
                Value::list([Value::map([(
                    "ObjectOwnership",
                    Value::str("BucketOwnerEnforced"),
                )])]),
            )]),
        )
        .prop(
            "LifecycleConfiguration",
            Value::map([("Rules", Value::List(rules))]),
        )
}

/// Whether an AWS service writes, on its own behalf, to a resource that
/// `key` encrypts: EventBridge to dead-letter queues, CloudWatch alarms to
/// topics.
fn service_uses_key(cx: &Context<'_>, key: &str, service: &str) -> bool {
    cx.index.key_used_by(key, service)
}

fn service_key_statement(sid: &str, service: &str) -> Statement {
    Statement {
        sid: sid.into(),
        effect: "Allow",
        actions: vec!["kms:Decrypt".into(), "kms:GenerateDataKey".into()],
        resources: vec![Value::str("*")],
        principal: Some(Value::map([("Service", Value::str(service))])),
        condition: Some(Value::map([(
            "StringEquals",
            Value::map([(
                "aws:SourceAccount",
                Value::Pseudo(crate::template::Pseudo::AccountId),
            )]),
        )])),
    }
}

/// What the account's administrators may do with a key: manage it, never
/// use it. These are the actions of AWS's default key policy's "key
/// administrators" statement.
pub(crate) const KEY_ADMINISTRATION: &[&str] = &[
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
];

/// The cryptographic use of a key: what its users are allowed, through
/// the services that encrypt with it.
pub(crate) const KEY_USE: &[&str] = &[
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
];

/// The services (`kms:ViaService` prefixes) through which the account's
/// principals use `key`: those whose resources it encrypts with the
/// caller's credentials. CloudWatch Logs, EventBridge and CloudWatch alarms
/// use it as themselves, under [`key_users`]' statements, not here.
fn key_services(cx: &Context<'_>, key: &str) -> Vec<&'static str> {
    let mut services: Vec<&'static str> = Vec::new();
    for resource in &cx.platform.resources {
        let uses: &[&'static str] = match &resource.spec {
            Spec::Table(t) if t.key == key => &["dynamodb"],
            Spec::Queue(q) if q.key == key => &["sqs"],
            Spec::Bucket(b) if b.key.as_deref() == Some(key) => &["s3"],
            Spec::Topic(t) if t.key == key => &["sns"],
            // Storage and Performance Insights through RDS; the master
            // secret RDS keeps in Secrets Manager.
            Spec::Aurora(a) if a.key == key => &["rds", "secretsmanager"],
            Spec::DbUser(u) if u.key == key => &["secretsmanager"],
            // Lambda decrypts the environment with the function's role.
            Spec::Function(f) if f.key == key && !f.env.is_empty() => &["lambda"],
            _ => &[],
        };
        for service in uses {
            if !services.contains(service) {
                services.push(service);
            }
        }
    }
    // AWS Backup copies and restores what a plan selects under its key.
    let backed_up = cx
        .platform
        .backups
        .iter()
        .flat_map(|b| &b.resources)
        .any(|name| {
            matches!(
                cx.platform.resource(name).map(|r| &r.spec),
                Some(Spec::Table(crate::spec::TableSpec { key: k, .. }))
                    | Some(Spec::Aurora(crate::spec::AuroraSpec { key: k, .. })) if k == key
            )
        });
    if backed_up && !services.contains(&"backup") {
        services.push("backup");
    }
    services.sort_unstable();
    services
}

/// A key policy. Administration and use are separate: the account (its
/// root, so that IAM policies delegate it, as in AWS's default key policy)
/// administers the key but cannot use it directly, so an administrator who
/// can change the key cannot decrypt with it through the KMS API. The
/// account's principals use the key only through the services `via` names
/// (`kms:ViaService` values; no use statement when empty), and only when
/// their own policy grants it on this key. Grants only for AWS resources.
pub(crate) fn key_policy(via: Vec<Value>) -> Vec<Statement> {
    let account_root = || {
        Some(Value::map([(
            "AWS",
            Value::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root"),
        )]))
    };
    let mut statements = vec![Statement {
        sid: "KeyAdministration".into(),
        effect: "Allow",
        actions: KEY_ADMINISTRATION.iter().map(|a| (*a).to_owned()).collect(),
        resources: vec![Value::str("*")],
        principal: account_root(),
        condition: None,
    }];
    if !via.is_empty() {
        statements.push(Statement {
            sid: "KeyUseThroughServices".into(),
            effect: "Allow",
            actions: KEY_USE.iter().map(|a| (*a).to_owned()).collect(),
            resources: vec![Value::str("*")],
            principal: account_root(),
            condition: Some(Value::map([(
                "StringEquals",
                Value::map([
                    (
                        "kms:CallerAccount",
                        Value::Pseudo(crate::template::Pseudo::AccountId),
                    ),
                    ("kms:ViaService", Value::List(via)),
                ]),
            )])),
        });
    }
    // `kms:Create*` includes CreateGrant, which hands out use of the key:
    // only AWS services may create grants, for the resources they encrypt
    // (Lambda, RDS, DynamoDB), never an administrator for a principal.
    statements.push(Statement {
        sid: "DenyGrantsNotForAwsResources".into(),
        effect: "Deny",
        actions: vec!["kms:CreateGrant".into()],
        resources: vec![Value::str("*")],
        principal: Some(Value::str("*")),
        condition: Some(Value::map([(
            "BoolIfExists",
            Value::map([("kms:GrantIsForAWSResource", Value::str("false"))]),
        )])),
    });
    statements
}

/// A symmetric encryption key with `statements` as its policy.
pub(crate) fn kms_key(
    description: &str,
    rotation: bool,
    pending_window_days: u32,
    statements: &[Statement],
) -> Resource {
    Resource::new("AWS::KMS::Key")
        .prop("Description", description)
        .prop("EnableKeyRotation", rotation)
        .prop("Enabled", true)
        .prop("KeySpec", "SYMMETRIC_DEFAULT")
        .prop("KeyUsage", "ENCRYPT_DECRYPT")
        .prop("PendingWindowInDays", pending_window_days)
        .prop("KeyPolicy", iam::document(statements))
}

fn key(cx: &mut Context<'_>, name: &str, spec: &KeySpec) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    // Each function's role is granted exactly the key actions of its
    // grants, on the keys of the resources granted. Services that encrypt
    // as themselves (CloudWatch Logs for the log groups, ...) are named
    // with conditions binding them to this account's resources.
    let via = key_services(cx, name)
        .iter()
        .map(|s| Value::sub(format!("{s}.${{AWS::Region}}.amazonaws.com")))
        .collect();
    let mut statements = key_policy(via);
    statements.extend(key_users(cx, name));
    let key = kms_key(
        &spec.description,
        spec.rotation,
        spec.pending_window_days,
        &statements,
    )
    .prop("Tags", cx.tag_list())
    .removal(RemovalPolicy::Delete);
    cx.add(&id, key)?;
    let alias = Resource::new("AWS::KMS::Alias")
        .prop(
            "AliasName",
            format!(
                "alias/{}",
                cx.physical_name(Kind::Key.info().short_type, name)
            ),
        )
        .prop("TargetKeyId", Value::Ref(id.clone()));
    cx.add(&format!("{id}Alias"), alias)
}

fn table(cx: &mut Context<'_>, name: &str, spec: &TableSpec) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    let mut attributes = vec![attribute_definition(&spec.partition)];
    let mut schema = vec![key_schema(&spec.partition.0, "HASH")];
    if let Some(sort) = &spec.sort {
        attributes.push(attribute_definition(sort));
        schema.push(key_schema(&sort.0, "RANGE"));
    }
    let mut table = Resource::new("AWS::DynamoDB::Table")
        .prop(
            "TableName",
            cx.physical_name(Kind::Table.info().short_type, name),
        )
        .prop("BillingMode", "PAY_PER_REQUEST")
        .prop("AttributeDefinitions", Value::List(attributes))
        .prop("KeySchema", Value::List(schema))
        .prop(
            "PointInTimeRecoverySpecification",
            Value::map([("PointInTimeRecoveryEnabled", Value::Bool(true))]),
        )
        .prop(
            "SSESpecification",
            Value::map([
                ("SSEEnabled", Value::Bool(true)),
                ("SSEType", Value::str("KMS")),
                ("KMSMasterKeyId", cx.key_arn(&spec.key)),
            ]),
        )
        .prop("DeletionProtectionEnabled", false)
        .prop("Tags", cx.tag_list())
        .removal(RemovalPolicy::Delete);
    if let Some(view) = spec.stream {
        table = table.prop(
            "StreamSpecification",
            Value::map([("StreamViewType", Value::str(view.cfn()))]),
        );
    }
    if let Some(ttl) = &spec.ttl {
        table = table.prop(
            "TimeToLiveSpecification",
            Value::map([
                ("AttributeName", Value::str(ttl.clone())),
                ("Enabled", Value::Bool(true)),
            ]),
        );
    }
    cx.add(&id, table)
}

fn attribute_definition((name, key_type): &(String, crate::spec::KeyType)) -> Value {
    Value::map([
        ("AttributeName", Value::str(name.clone())),
        ("AttributeType", Value::str(key_type.letter())),
    ])
}

fn key_schema(name: &str, key_type: &str) -> Value {
    Value::map([
        ("AttributeName", Value::str(name)),
        ("KeyType", Value::str(key_type)),
    ])
}

fn queue(cx: &mut Context<'_>, name: &str, spec: &QueueSpec) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    let mut queue_name = cx.physical_name(Kind::Queue.info().short_type, name);
    if spec.fifo {
        queue_name.push_str(".fifo");
    }
    let mut queue = Resource::new("AWS::SQS::Queue")
        .prop("QueueName", queue_name)
        .prop(
            "VisibilityTimeout",
            spec.visibility_timeout_secs.get(cx.profile),
        )
        .prop(
            "MessageRetentionPeriod",
            spec.retention_secs.get(cx.profile),
        )
        .prop("KmsMasterKeyId", cx.key_arn(&spec.key))
        .prop("KmsDataKeyReusePeriodSeconds", 300u32)
        .prop("Tags", cx.tag_list())
        .removal(RemovalPolicy::Delete);
    if spec.fifo {
        queue = queue.prop("FifoQueue", true);
    }
    if let Some(dlq) = &spec.dead_letter {
        queue = queue.prop(
            "RedrivePolicy",
            Value::map([
                (
                    "deadLetterTargetArn",
                    cx.attr(&crate::spec::AttrRef::new(&dlq.queue, "arn")),
                ),
                ("maxReceiveCount", Value::from(dlq.max_receive_count)),
            ]),
        );
    }
    cx.add(&id, queue)?;
    let mut statements = vec![iam::deny_insecure_transport(
        "sqs:*",
        vec![Value::get_att(&id, "Arn")],
    )];
    statements.extend(super::events::dead_letter_statements(
        cx,
        name,
        Value::get_att(&id, "Arn"),
    ));
    statements.extend(topic_deliveries(cx, name, &Value::get_att(&id, "Arn")));
    let policy = Resource::new("AWS::SQS::QueuePolicy")
        .prop("Queues", Value::list([Value::Ref(id.clone())]))
        .prop("PolicyDocument", iam::document(&statements));
    cx.add(&format!("{id}Policy"), policy)
}

fn bucket(cx: &mut Context<'_>, name: &str, spec: &BucketSpec) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    let mut rules = vec![
        Value::map([
            ("Id", Value::str("abort-incomplete-uploads")),
            ("Status", Value::str("Enabled")),
            (
                "AbortIncompleteMultipartUpload",
                Value::map([("DaysAfterInitiation", Value::from(7u32))]),
            ),
        ]),
        Value::map([
            ("Id", Value::str("expire-noncurrent-versions")),
            ("Status", Value::str("Enabled")),
            (
                "NoncurrentVersionExpiration",
                Value::map([("NoncurrentDays", Value::from(spec.noncurrent_days))]),
            ),
        ]),
    ];
    if let Some(days) = spec.expire_days.get(cx.profile) {
        rules.push(Value::map([
            ("Id", Value::str("expire-current-versions")),
            ("Status", Value::str("Enabled")),
            ("ExpirationInDays", Value::from(days)),
        ]));
    }
    let encryption = match &spec.key {
        Some(key) => Value::map([
            ("SSEAlgorithm", Value::str("aws:kms")),
            ("KMSMasterKeyID", cx.key_arn(key)),
        ]),
        None => Value::map([("SSEAlgorithm", Value::str("AES256"))]),
    };
    let mut bucket = private_bucket(cx.bucket_name(name), encryption, spec.key.is_some(), rules)
        .prop("Tags", cx.tag_list())
        .removal(RemovalPolicy::Delete);
    if let Some(target) = &spec.access_logs {
        bucket = bucket
            .depends_on(&format!("{}Policy", cx.logical_id(target)))
            .prop(
                "LoggingConfiguration",
                Value::map([
                    ("DestinationBucketName", Value::Ref(cx.logical_id(target))),
                    (
                        "LogFilePrefix",
                        Value::Str(format!("{}/", naming::purpose(name))),
                    ),
                ]),
            );
    }
    if spec.archive_days.get(cx.profile).is_some() {
        bucket = archive_replication(cx, name, spec, bucket)?;
    }
    let sources = cx.index.access_log_sources(name);
    if !sources.is_empty() {
        super::checkov_skip(
            &mut bucket,
            &[(
                "CKV_AWS_18",
                "This bucket receives the other buckets' server access logs; logging its own access would loop",
            )],
        );
        if spec.key.is_none() {
            super::nag_suppress(
                &mut bucket,
                super::compliance_rule("S3DefaultEncryptionKMS", super::HIPAA_NIST_PCI),
                "This bucket receives the other buckets' server access logs; S3's guide names SSE-S3 (AES256) as the default encryption of a log destination bucket. Its records are replicated into the write-once audit archive, which is encrypted with a KMS key of its own",
            );
        }
    }
    cx.add(&id, bucket)?;
    let mut statements = vec![iam::deny_insecure_transport(
        "s3:*",
        vec![
            Value::get_att(&id, "Arn"),
            Value::sub(format!("${{{id}.Arn}}/*")),
        ],
    )];
    if !sources.is_empty() {
        let mut allow = Statement::allow(
            "ServerAccessLogDelivery",
            &["s3:PutObject"],
            vec![Value::sub(format!("${{{id}.Arn}}/*"))],
        );
        allow.principal = Some(Value::map([(
            "Service",
            Value::str("logging.s3.amazonaws.com"),
        )]));
        // ARNs from names, not references: the source buckets depend on
        // this policy (S3 checks it when logging is configured).
        let source_arns: Vec<Value> = sources
            .iter()
            .map(|b| {
                Value::sub(format!(
                    "arn:${{AWS::Partition}}:s3:::{}",
                    cx.bucket_name_sub(b)
                ))
            })
            .collect();
        allow.condition = Some(Value::map([
            (
                "ArnLike",
                Value::map([("aws:SourceArn", Value::List(source_arns))]),
            ),
            (
                "StringEquals",
                Value::map([(
                    "aws:SourceAccount",
                    Value::Pseudo(crate::template::Pseudo::AccountId),
                )]),
            ),
        ]));
        statements.push(allow);
    }
    let policy = Resource::new("AWS::S3::BucketPolicy")
        .prop("Bucket", Value::Ref(id.clone()))
        .prop("PolicyDocument", iam::document(&statements));
    cx.add(&format!("{id}Policy"), policy)
}

/// An archived bucket (`archive:`) replicates every new object version to
/// the account's write-once archive ([`super::ARCHIVE_BUCKET_NAME`], an
/// Object Lock bucket in COMPLIANCE mode that `tp bootstrap` owns), with a
/// role of its own that can only read this bucket's versions for
/// replication and replicate them there, re-encrypted with the archive's
/// key (its ARN a template parameter resolved from SSM). Delete markers are
/// not replicated: deleting here never hides a record there.
fn archive_replication(
    cx: &mut Context<'_>,
    name: &str,
    spec: &BucketSpec,
    bucket: Resource,
) -> Result<Resource, SynthError> {
    cx.template.parameters.insert(
        super::ARCHIVE_KEY_PARAMETER.into(),
        crate::template::Parameter {
            param_type: "AWS::SSM::Parameter::Value<String>".into(),
            default: Some(super::ARCHIVE_KEY_SSM_NAME.into()),
            description: "Key of the account's audit archive; recorded in SSM by `tp bootstrap`"
                .into(),
        },
    );
    let id = cx.logical_id(name);
    let role_id = format!("{id}ReplicationRole");
    // ARNs from names: the bucket refers to the role, so the role cannot
    // refer to the bucket.
    let source = format!("arn:${{AWS::Partition}}:s3:::{}", cx.bucket_name_sub(name));
    let archive = format!(
        "arn:${{AWS::Partition}}:s3:::{}",
        super::ARCHIVE_BUCKET_NAME
    );
    let via_s3 = |arn: &str| {
        Some(Value::map([
            (
                "StringEquals",
                Value::map([(
                    "kms:ViaService",
                    Value::sub("s3.${AWS::Region}.amazonaws.com"),
                )]),
            ),
            (
                "StringLike",
                Value::map([(
                    "kms:EncryptionContext:aws:s3:arn",
                    Value::list([Value::sub(arn.to_owned()), Value::sub(format!("{arn}/*"))]),
                )]),
            ),
        ]))
    };
    let mut statements = vec![
        Statement::allow(
            "ReadReplicationConfiguration",
            &["s3:GetReplicationConfiguration", "s3:ListBucket"],
            vec![Value::sub(source.clone())],
        ),
        Statement::allow(
            "ReadVersionsForReplication",
            &[
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionTagging",
            ],
            vec![Value::sub(format!("{source}/*"))],
        ),
        Statement::allow(
            "ReplicateToArchive",
            &["s3:ReplicateObject", "s3:ReplicateTags"],
            vec![Value::sub(format!("{archive}/*"))],
        ),
    ];
    if let Some(key) = &spec.key {
        let mut decrypt =
            Statement::allow("DecryptSource", &["kms:Decrypt"], vec![cx.key_arn(key)]);
        decrypt.condition = via_s3(&source);
        statements.push(decrypt);
    }
    let mut encrypt = Statement::allow(
        "EncryptReplicas",
        &["kms:Encrypt", "kms:GenerateDataKey"],
        vec![Value::Ref(super::ARCHIVE_KEY_PARAMETER.into())],
    );
    encrypt.condition = via_s3(&archive);
    statements.push(encrypt);
    let role = iam::bounded(Resource::new("AWS::IAM::Role"), cx.region)
        .prop("RoleName", cx.derived_name(Kind::Bucket, name))
        .prop(
            "AssumeRolePolicyDocument",
            iam::document(&[iam::service_trust("S3Replication", "s3.amazonaws.com")]),
        )
        .prop(
            "Policies",
            Value::list([Value::map([
                ("PolicyName", Value::str("replicate-to-archive")),
                ("PolicyDocument", iam::document(&statements)),
            ])]),
        )
        .prop("Tags", cx.tag_list());
    let mut role = role;
    let nag = |arn: &str| {
        format!(
            "AwsSolutions-IAM5[Resource::{}/*]",
            arn.replace("${", "<").replace('}', ">")
        )
    };
    super::nag_suppress(
        &mut role,
        [nag(&source), nag(&archive)],
        "Replication reads the versions of every object of this one bucket and writes their replicas into the account's archive: object-level actions on the objects of exactly these two buckets, which object ARNs can only name with a wildcard key",
    );
    cx.add(&role_id, role)?;
    let mut rule = vec![
        ("Id", Value::str("archive")),
        ("Status", Value::str("Enabled")),
        ("Priority", Value::Int(1)),
        // Every object: an empty prefix filter (the V2 rule form, which
        // `DeleteMarkerReplication` needs).
        ("Filter", Value::map([("Prefix", Value::str(""))])),
        (
            "DeleteMarkerReplication",
            Value::map([("Status", Value::str("Disabled"))]),
        ),
    ];
    let mut destination = vec![("Bucket", Value::sub(archive.clone()))];
    if spec.key.is_some() {
        // Objects encrypted with a KMS key replicate only when the rule
        // selects them and names the key for the replicas.
        rule.push((
            "SourceSelectionCriteria",
            Value::map([(
                "SseKmsEncryptedObjects",
                Value::map([("Status", Value::str("Enabled"))]),
            )]),
        ));
        destination.push((
            "EncryptionConfiguration",
            Value::map([(
                "ReplicaKmsKeyID",
                Value::Ref(super::ARCHIVE_KEY_PARAMETER.into()),
            )]),
        ));
    }
    rule.push(("Destination", Value::map(destination)));
    Ok(bucket.prop(
        "ReplicationConfiguration",
        Value::map([
            ("Role", Value::get_att(&role_id, "Arn")),
            ("Rules", Value::list([Value::map(rule)])),
        ]),
    ))
}

fn topic(cx: &mut Context<'_>, name: &str, spec: &TopicSpec) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    let mut topic = Resource::new("AWS::SNS::Topic")
        .prop(
            "TopicName",
            cx.physical_name(Kind::Topic.info().short_type, name),
        )
        .prop("KmsMasterKeyId", cx.key_arn(&spec.key))
        .prop("Tags", cx.tag_list());
    if let Some(display) = &spec.display_name {
        topic = topic.prop("DisplayName", display.as_str());
    }
    cx.add(&id, topic)?;
    let mut statements = vec![iam::deny_insecure_transport(
        "sns:Publish",
        vec![Value::Ref(id.clone())],
    )];
    // The policy replaces SNS's default one: services of this account that
    // publish must be allowed explicitly.
    if cx.index.is_alarm_topic(name) {
        statements.push(service_publishes(
            "CloudWatchAlarms",
            "cloudwatch.amazonaws.com",
            &id,
        ));
    }
    if cx.index.is_drift_topic(name) {
        // Drift findings (`drift_check`).
        statements.push(service_publishes(
            "EventBridgeDriftFindings",
            "events.amazonaws.com",
            &id,
        ));
    }
    if spec.email_subscription {
        email_subscription(cx, &id)?;
    }
    subscriptions(cx, &id, &spec.subscribers.get(cx.profile))?;
    let policy = Resource::new("AWS::SNS::TopicPolicy")
        .prop("Topics", Value::list([Value::Ref(id.clone())]))
        .prop("PolicyDocument", iam::document(&statements));
    cx.add(&format!("{id}Policy"), policy)
}

/// `service` of this account may publish to topic `topic_id`.
fn service_publishes(sid: &str, service: &str, topic_id: &str) -> Statement {
    let mut allow = Statement::allow(sid, &["sns:Publish"], vec![Value::Ref(topic_id.to_owned())]);
    allow.principal = Some(Value::map([("Service", Value::str(service))]));
    allow.condition = Some(Value::map([(
        "StringEquals",
        Value::map([(
            "aws:SourceAccount",
            Value::Pseudo(crate::template::Pseudo::AccountId),
        )]),
    )]));
    allow
}

/// An email subscription made only when the deploy passes an address in the
/// `<Id>Email` parameter (`tp deploy --parameter`); empty by default.
fn email_subscription(cx: &mut Context<'_>, topic_id: &str) -> Result<(), SynthError> {
    let parameter = format!("{topic_id}Email");
    let condition = format!("{topic_id}EmailGiven");
    cx.template.parameters.insert(
        parameter.clone(),
        crate::template::Parameter {
            param_type: "String".into(),
            default: Some(String::new()),
            description: format!("Email address subscribed to {topic_id}; empty for none"),
        },
    );
    cx.template.conditions.insert(
        condition.clone(),
        Value::Not(Box::new(Value::Equals(
            Box::new(Value::Ref(parameter.clone())),
            Box::new(Value::str("")),
        ))),
    );
    let mut subscription = Resource::new("AWS::SNS::Subscription")
        .prop("TopicArn", Value::Ref(topic_id.to_owned()))
        .prop("Protocol", "email")
        .prop("Endpoint", Value::Ref(parameter));
    subscription.condition = Some(condition);
    cx.add(&format!("{topic_id}EmailSubscription"), subscription)
}

/// The subscribers the definition declares for this profile, one
/// `AWS::SNS::Subscription` each, numbered in declaration order.
fn subscriptions(
    cx: &mut Context<'_>,
    topic_id: &str,
    subscribers: &[crate::spec::Subscriber],
) -> Result<(), SynthError> {
    use crate::spec::Subscriber;
    for (n, subscriber) in subscribers.iter().enumerate() {
        let subscription = Resource::new("AWS::SNS::Subscription")
            .prop("TopicArn", Value::Ref(topic_id.to_owned()));
        let subscription = match subscriber {
            Subscriber::Email(address) => subscription
                .prop("Protocol", "email")
                .prop("Endpoint", address.as_str()),
            Subscriber::Https(url) => subscription
                .prop("Protocol", "https")
                .prop("Endpoint", url.as_str()),
            Subscriber::Sqs { queue, raw } => subscription
                .prop("Protocol", "sqs")
                .prop(
                    "Endpoint",
                    cx.attr(&crate::spec::AttrRef::new(queue, "arn")),
                )
                .prop("RawMessageDelivery", Value::Bool(*raw)),
        };
        cx.add(&format!("{topic_id}Subscription{}", n + 1), subscription)?;
    }
    Ok(())
}

/// The topics that deliver to queue `name` may send to it, each only from
/// itself.
fn topic_deliveries(cx: &Context<'_>, name: &str, queue_arn: &Value) -> Vec<Statement> {
    cx.index
        .topics_subscribed_by(name)
        .iter()
        .map(|topic| {
            let topic_id = cx.logical_id(topic);
            let mut allow = Statement::allow(
                &format!("{topic_id}Delivers"),
                &["sqs:SendMessage"],
                vec![queue_arn.clone()],
            );
            allow.principal = Some(Value::map([("Service", Value::str("sns.amazonaws.com"))]));
            allow.condition = Some(Value::map([(
                "ArnEquals",
                Value::map([("aws:SourceArn", Value::Ref(topic_id))]),
            )]));
            allow
        })
        .collect()
}

fn parameter(cx: &mut Context<'_>, name: &str, spec: &ParameterSpec) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    let parameter = Resource::new("AWS::SSM::Parameter")
        .prop(
            "Name",
            naming::parameter_path(&cx.platform.name, name, cx.region, cx.suffix.as_str()),
        )
        .prop("Type", "String")
        .prop("Tier", "Standard")
        .prop("Value", cx.value(&spec.value.get(cx.profile)))
        .prop("Description", spec.description.as_str())
        .prop("Tags", cx.tag_map());
    cx.add(&id, parameter)
}

/// Whether nothing invokes the function asynchronously, so a function-level
/// dead-letter queue would never receive anything.
/// How Lambda retries the function's asynchronous invocations, when it has
/// any: it is a rule's target, or declares `dead_letter:` or `async:`.
fn async_invoke(cx: &Context<'_>, name: &str, spec: &FunctionSpec) -> Option<AsyncInvoke> {
    let asynchronous = cx.index.is_rule_target_function(name)
        || spec.dead_letter.is_some()
        || spec.async_invoke.is_some();
    asynchronous.then(|| spec.async_invoke.unwrap_or(AsyncInvoke::DEFAULT))
}

fn invoked_synchronously(cx: &Context<'_>, name: &str, spec: &FunctionSpec) -> bool {
    let async_target = cx.index.is_rule_target_function(name);
    let sync_source = spec.trigger.is_some()
        || cx.index.is_routed_function(name)
        || !rotated_users(cx, spec).is_empty();
    sync_source && !async_target
}

/// What Lambda needs to attach a function to the network's private subnets:
/// network interfaces in those subnets with the functions' security group.
/// Describing interfaces has no resource-level permissions.
fn vpc_access_statements(cx: &Context<'_>, network: &str) -> Vec<Statement> {
    let net = super::network::NetworkIds::new(cx, network);
    let azs = match cx.resource(network).map(|r| &r.spec) {
        Some(Spec::Network(n)) => n.azs,
        _ => 0,
    };
    let ec2 = |resource: String| {
        Value::sub(format!(
            "arn:${{AWS::Partition}}:ec2:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"
        ))
    };
    let interfaces = ec2("network-interface/*".into());
    let mut create_on = vec![
        interfaces.clone(),
        ec2(format!("security-group/${{{}}}", net.function_sg())),
    ];
    create_on.extend((0..azs).map(|i| {
        ec2(format!(
            "subnet/${{{}}}",
            net.subnet(super::network::Tier::Private, i)
        ))
    }));
    vec![
        Statement::allow(
            "VpcCreateNetworkInterfaces",
            &["ec2:CreateNetworkInterface"],
            create_on,
        ),
        Statement::allow(
            "VpcManageNetworkInterfaces",
            &[
                "ec2:AssignPrivateIpAddresses",
                "ec2:DeleteNetworkInterface",
                "ec2:UnassignPrivateIpAddresses",
            ],
            vec![interfaces],
        ),
        Statement::allow(
            "VpcDescribe",
            &["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            vec![Value::str("*")],
        ),
    ]
}

fn function(cx: &mut Context<'_>, name: &str, spec: &FunctionSpec) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    let function_name = cx.physical_name(Kind::Function.info().short_type, name);
    let log_group_id = format!("{id}LogGroup");
    let role_id = format!("{id}Role");

    let log_group = Resource::new("AWS::Logs::LogGroup")
        .prop("LogGroupName", format!("/aws/lambda/{function_name}"))
        .prop("RetentionInDays", spec.log_retention_days.get(cx.profile))
        .prop("KmsKeyId", cx.key_arn(&spec.log_key))
        .prop("Tags", cx.tag_list())
        .removal(RemovalPolicy::Delete);
    cx.add(&log_group_id, log_group)?;

    let mut statements = vec![
        Statement::allow(
            "WriteOwnLogs",
            &["logs:CreateLogStream", "logs:PutLogEvents"],
            vec![Value::get_att(&log_group_id, "Arn")],
        ),
        // X-Ray trace submission has no resource-level permissions.
        Statement::allow(
            "WriteTraces",
            &["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            vec![Value::str("*")],
        ),
    ];
    if let Some(network) = &spec.network {
        statements.extend(vpc_access_statements(cx, network));
    }
    if let Some(namespace) = &spec.metric_namespace {
        // PutMetricData has no resource-level permissions; the namespace
        // condition is what scopes it.
        let mut publish = Statement::allow(
            "PublishMetrics",
            &["cloudwatch:PutMetricData"],
            vec![Value::str("*")],
        );
        publish.condition = Some(Value::map([(
            "StringEquals",
            Value::map([("cloudwatch:namespace", Value::str(namespace.clone()))]),
        )]));
        statements.push(publish);
    }
    statements.extend(iam::grant_statements(cx, spec));
    let role = iam::bounded(Resource::new("AWS::IAM::Role"), cx.region)
        .prop("RoleName", cx.derived_name(Kind::Function, name))
        .prop("Description", format!("Execution role of {function_name}"))
        .prop(
            "AssumeRolePolicyDocument",
            iam::document(&[iam::service_trust(
                "LambdaAssumeRole",
                "lambda.amazonaws.com",
            )]),
        )
        .prop(
            "Policies",
            Value::list([Value::map([
                ("PolicyName", Value::str("least-privilege")),
                ("PolicyDocument", iam::document(&statements)),
            ])]),
        )
        .prop("Tags", cx.tag_list());
    cx.add(&role_id, role)?;

    let asset = cx
        .assets
        .iter()
        .find(|a| {
            a.source == std::path::Path::new(&spec.code)
                && a.include == spec.include
                && a.exclude == spec.exclude
        })
        .expect("every function's code is packaged before its stack");
    let mut variables: Vec<(String, Value)> = spec
        .env
        .iter()
        .map(|(k, v)| (k.clone(), cx.value(v)))
        .collect();
    variables.sort_by(|a, b| a.0.cmp(&b.0));
    let mut function = Resource::new("AWS::Lambda::Function")
        .prop("FunctionName", function_name)
        .prop(
            "Description",
            format!("{} function `{name}`", cx.platform.name),
        )
        .prop("Runtime", catalog::LAMBDA_RUNTIME)
        .prop("Architectures", Value::list([Value::str("arm64")]))
        .prop("Handler", spec.handler.as_str())
        .prop(
            "Code",
            Value::map([
                ("S3Bucket", Value::Ref(ASSET_BUCKET_PARAMETER.into())),
                ("S3Key", Value::str(asset.s3_key())),
            ]),
        )
        .prop("Role", Value::get_att(&role_id, "Arn"))
        .prop("MemorySize", spec.memory_mb.get(cx.profile))
        .prop("Timeout", spec.timeout_secs.get(cx.profile))
        .prop(
            "TracingConfig",
            Value::map([("Mode", Value::str("Active"))]),
        )
        .prop(
            "LoggingConfig",
            Value::map([
                ("LogFormat", Value::str("JSON")),
                ("LogGroup", Value::Ref(log_group_id.clone())),
            ]),
        )
        .prop("Tags", cx.tag_list());
    if !variables.is_empty() {
        function = function
            .prop(
                "Environment",
                Value::map([("Variables", Value::map(variables))]),
            )
            .prop("KmsKeyArn", cx.key_arn(&spec.key));
    }
    if let Some(network) = &spec.network {
        let net = super::network::NetworkIds::new(cx, network);
        let azs = match cx.resource(network).map(|r| &r.spec) {
            Some(Spec::Network(n)) => n.azs,
            _ => {
                return Err(SynthError::Invalid(format!(
                    "function `{name}`: `network:` must name a network"
                )));
            }
        };
        function = function.prop(
            "VpcConfig",
            Value::map([
                ("SubnetIds", net.subnets(super::network::Tier::Private, azs)),
                (
                    "SecurityGroupIds",
                    Value::list([Value::Ref(net.function_sg())]),
                ),
            ]),
        );
    }
    if let Some(limit) = spec.reserved_concurrency.get(cx.profile) {
        function = function.prop("ReservedConcurrentExecutions", limit);
    }
    let mut skips: Vec<(&str, &str)> = Vec::new();
    if spec.network.is_none() {
        skips.push((
            "CKV_AWS_117",
            "Declared without `network:`: it runs outside the platform's networks, which have no NAT gateway, to reach public endpoints",
        ));
    }
    if let Some(queue) = &spec.dead_letter {
        function = function.prop(
            "DeadLetterConfig",
            Value::map([(
                "TargetArn",
                cx.attr(&crate::spec::AttrRef::new(queue, "arn")),
            )]),
        );
    } else if spec.run.is_some() {
        skips.push((
            "CKV_AWS_116",
            "Run after each deploy: tp deploy invokes it synchronously and fails the deploy with its error",
        ));
    } else if invoked_synchronously(cx, name, spec) {
        skips.push((
            "CKV_AWS_116",
            "Invoked synchronously (API Gateway, an SQS event source mapping or Secrets Manager's rotation): failures return to the caller, to the source queue's dead-letter queue, or to the secret's failed rotation",
        ));
    }
    for (check, reason) in &skips {
        let rule = match *check {
            "CKV_AWS_117" => super::compliance_rule("LambdaInsideVPC", super::HIPAA_NIST_PCI),
            _ => super::compliance_rule("LambdaDLQ", super::HIPAA_NIST),
        };
        super::nag_suppress(&mut function, rule, reason);
    }
    if !skips.is_empty() {
        super::checkov_skip(&mut function, &skips);
    }
    cx.add(&id, function)?;
    rotation_schedules(cx, &id, spec)?;

    if let Some(invoke) = async_invoke(cx, name, spec) {
        // Lambda's defaults (2 retries over up to 6 hours) are written out,
        // so how long a failing event keeps retrying is what the
        // definition says; failures still go to the function's
        // `DeadLetterConfig`, so no `DestinationConfig`.
        cx.add(
            &format!("{id}InvokeConfig"),
            Resource::new("AWS::Lambda::EventInvokeConfig")
                .prop("FunctionName", Value::Ref(id.clone()))
                .prop("Qualifier", "$LATEST")
                .prop("MaximumRetryAttempts", invoke.max_retries)
                .prop("MaximumEventAgeInSeconds", invoke.max_event_age_secs),
        )?;
    }

    if let Some(trigger) = &spec.trigger {
        let mut mapping = Resource::new("AWS::Lambda::EventSourceMapping")
            .prop("FunctionName", Value::Ref(id.clone()))
            .prop(
                "EventSourceArn",
                cx.attr(&crate::spec::AttrRef::new(&trigger.queue, "arn")),
            )
            .prop("BatchSize", trigger.batch_size.get(cx.profile))
            .prop(
                "MaximumBatchingWindowInSeconds",
                trigger.max_batching_window_secs.get(cx.profile),
            )
            .prop(
                "FunctionResponseTypes",
                Value::list([Value::str("ReportBatchItemFailures")]),
            )
            .prop("Enabled", true)
            .prop("Tags", cx.tag_list());
        if let Some(limit) = trigger.max_concurrency.get(cx.profile) {
            mapping = mapping.prop(
                "ScalingConfig",
                Value::map([("MaximumConcurrency", Value::from(limit))]),
            );
        }
        cx.add(
            &format!("{id}{}Trigger", pascal_case(&trigger.queue)),
            mapping,
        )?;
    }
    Ok(())
}

/// The database users whose passwords `spec` rotates: those it is granted
/// `rotate` on that declare a rotation schedule, with their days per
/// profile.
fn rotated_users<'s>(
    cx: &Context<'_>,
    spec: &'s FunctionSpec,
) -> Vec<(&'s str, crate::spec::PerProfile<u32>)> {
    spec.grants
        .iter()
        .filter(|g| g.access == "rotate")
        .filter_map(|g| match cx.resource(&g.resource).map(|r| &r.spec) {
            Some(Spec::DbUser(user)) => user
                .rotation_days
                .clone()
                .map(|days| (g.resource.as_str(), days)),
            _ => None,
        })
        .collect()
}

/// Per database user the function rotates: the secret's
/// `AWS::SecretsManager::RotationSchedule` naming the function, and the
/// `AWS::Lambda::Permission` letting Secrets Manager invoke it for that
/// secret of this account alone. Built with the function, not the user:
/// the schedule refers to the function, and the function's stack comes
/// after the users' when a stack is split.
///
/// `RotateImmediatelyOnUpdate: false`: the first rotation waits for the
/// schedule, since the role the secret names is created from it by the
/// after-deploy migration, after the stack is complete.
fn rotation_schedules(
    cx: &mut Context<'_>,
    function_id: &str,
    spec: &FunctionSpec,
) -> Result<(), SynthError> {
    for (user, days) in rotated_users(cx, spec) {
        let user_id = cx.logical_id(user);
        let permission_id = format!("{user_id}RotationPermission");
        cx.add(
            &permission_id,
            Resource::new("AWS::Lambda::Permission")
                .prop("Action", "lambda:InvokeFunction")
                .prop("FunctionName", Value::get_att(function_id, "Arn"))
                .prop("Principal", "secretsmanager.amazonaws.com")
                .prop("SourceArn", Value::Ref(user_id.clone()))
                .prop(
                    "SourceAccount",
                    Value::Pseudo(crate::template::Pseudo::AccountId),
                ),
        )?;
        cx.add(
            &format!("{user_id}RotationSchedule"),
            Resource::new("AWS::SecretsManager::RotationSchedule")
                .prop("SecretId", Value::Ref(user_id.clone()))
                .prop("RotationLambdaARN", Value::get_att(function_id, "Arn"))
                .prop(
                    "RotationRules",
                    Value::map([("AutomaticallyAfterDays", Value::from(days.get(cx.profile)))]),
                )
                .prop("RotateImmediatelyOnUpdate", false)
                .depends_on(&permission_id),
        )?;
    }
    Ok(())
}
