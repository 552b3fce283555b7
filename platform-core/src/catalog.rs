//! The catalog: every resource kind the DSL knows, with its attributes, its
//! access levels and the IAM actions they expand to, and its physical-name
//! limits.
//!
//! This is the one source of truth. The `platform!` macro checks a definition
//! against these tables at compile time; synthesis reads the same tables at run
//! time to build templates and IAM policies. Nothing here is written twice.

/// How a resource kind's attribute is read in a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrSource {
    /// `{"Ref": "<LogicalId>"}`.
    Ref,
    /// `{"Fn::GetAtt": ["<LogicalId>", "<name>"]}`.
    GetAtt(&'static str),
    /// Built by synthesis from the resource's settings (an API's invoke URL
    /// includes its stage).
    Computed,
}

/// An attribute a reference such as `sessions.name` may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute {
    /// The name used in the DSL (`name`, `arn`, `url`, ...).
    pub name: &'static str,
    /// How the attribute is read from the kind's primary resource.
    pub source: AttrSource,
}

/// An access level of a grant (`sessions: read_write`).
///
/// `resources` are ARN patterns: `{arn}` is the resource's ARN attribute,
/// `{ref}` its `Ref` value; the pseudo parameters `${AWS::Partition}`,
/// `${AWS::Region}` and `${AWS::AccountId}` are left for `Fn::Sub`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// The name used in the DSL.
    pub name: &'static str,
    /// One line on what the level allows, for docs and error messages.
    pub summary: &'static str,
    /// The IAM actions, exactly; no wildcards.
    pub actions: &'static [&'static str],
    /// The ARNs the actions are scoped to.
    pub resources: &'static [&'static str],
    /// Actions on the resource's KMS key, when the resource is encrypted with one.
    pub key_actions: &'static [&'static str],
}

/// How a kind's physical name is constrained by AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameLimit {
    /// What AWS calls the name, for messages ("bucket name").
    pub what: &'static str,
    /// Longest name AWS accepts, counting everything the platform adds.
    pub max_len: usize,
    /// Characters added around the `{type}-{purpose}-{region}-{suffix}` core
    /// (a `.fifo` suffix, an `alias/` prefix, a path prefix), counted against
    /// `max_len`.
    pub extra_len: usize,
}

/// How a CloudFormation type takes its tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagStyle {
    /// `Tags: [{"Key": k, "Value": v}, ...]`.
    List,
    /// `Tags: {k: v, ...}`.
    Map,
    /// The type cannot be tagged.
    None,
}

/// Which kind of resource a DSL block declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Key,
    Table,
    Queue,
    Bucket,
    Topic,
    Parameter,
    Function,
    Network,
    Aurora,
    DbUser,
    Api,
    Bus,
    Rule,
    LogGroup,
    Alarm,
    HealthCheck,
    Dashboard,
    Zone,
}

/// Everything the platform knows about one kind.
#[derive(Debug, Clone, Copy)]
pub struct KindInfo {
    pub kind: Kind,
    /// The DSL keyword that declares it (`table sessions { ... }`).
    pub keyword: &'static str,
    /// The short type used in physical names (`ddb-sessions-us-east-1-dev`).
    pub short_type: &'static str,
    /// The CloudFormation type of the primary resource.
    pub cfn_type: &'static str,
    /// Appended to the PascalCase name to form the logical id.
    pub logical_suffix: &'static str,
    pub attributes: &'static [Attribute],
    pub access: &'static [Access],
    pub name_limit: NameLimit,
    /// Whether the kind holds data that a replacement or removal would lose.
    pub stateful: bool,
    /// IAM service prefixes whose actions act on this kind's resources.
    pub iam_services: &'static [&'static str],
    /// The IAM resource types a declared resource of this kind is, with the
    /// ARN pattern of each (placeholders as in [`Access::resources`]); what a
    /// raw statement `allow "sqs:SendMessage" on trade_orders` is scoped to.
    pub iam_resources: &'static [IamResource],
}

/// One IAM resource type (from the service authorization reference) that a
/// declared resource is, with its ARN pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IamResource {
    /// The IAM service prefix (`dynamodb`).
    pub service: &'static str,
    /// The resource type, as the IAM tables name it (`table`, `index`).
    pub resource_type: &'static str,
    /// The ARN pattern, resolved like [`Access::resources`].
    pub arn: &'static str,
}

const fn iam(service: &'static str, resource_type: &'static str, arn: &'static str) -> IamResource {
    IamResource {
        service,
        resource_type,
        arn,
    }
}

const KMS_READ: &[&str] = &["kms:Decrypt", "kms:DescribeKey"];
const KMS_WRITE: &[&str] = &[
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
];
const KMS_PRODUCE: &[&str] = &["kms:Decrypt", "kms:GenerateDataKey"];
/// Reading a secret's versions and storing a new one: Secrets Manager
/// decrypts with the key and asks it for a data key per version.
const KMS_ROTATE: &[&str] = &["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"];

const TABLE_READ: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
];
const TABLE_WRITE: &[&str] = &[
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];
const TABLE_READ_WRITE: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
];
const TABLE_ARNS: &[&str] = &["{arn}", "{arn}/index/*"];

const BUCKET_READ: &[&str] = &[
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
];
/// `append`: only `PutObject`, and only as a conditional write
/// ([`ACCESS_CONDITIONS`]): the object must not exist yet.
const BUCKET_APPEND: &[&str] = &["s3:PutObject"];
const BUCKET_OBJECTS: &[&str] = &["{arn}/*"];
const BUCKET_WRITE: &[&str] = &["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"];
const BUCKET_READ_WRITE: &[&str] = &[
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:PutObject",
];
const BUCKET_ARNS: &[&str] = &["{arn}", "{arn}/*"];

const PARAMETER_ARN: &str =
    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter{ref}";

/// The catalog, in declaration order of the DSL reference.
pub static KINDS: &[KindInfo] = &[
    KindInfo {
        kind: Kind::Key,
        keyword: "key",
        short_type: "kms",
        cfn_type: "AWS::KMS::Key",
        logical_suffix: "Key",
        attributes: &[
            Attribute {
                name: "arn",
                source: AttrSource::GetAtt("Arn"),
            },
            Attribute {
                name: "id",
                source: AttrSource::Ref,
            },
        ],
        access: &[
            Access {
                name: "encrypt",
                summary: "encrypt and generate data keys",
                actions: &[
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:GenerateDataKey",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                ],
                resources: &["{arn}"],
                key_actions: &[],
            },
            Access {
                name: "decrypt",
                summary: "decrypt",
                actions: &["kms:Decrypt", "kms:DescribeKey"],
                resources: &["{arn}"],
                key_actions: &[],
            },
        ],
        // The alias `alias/kms-...` is the key's name.
        name_limit: NameLimit {
            what: "KMS alias name",
            max_len: 256,
            extra_len: "alias/".len(),
        },
        stateful: true,
        iam_services: &["kms"],
        iam_resources: &[iam("kms", "key", "{arn}")],
    },
    KindInfo {
        kind: Kind::Table,
        keyword: "table",
        short_type: "ddb",
        cfn_type: "AWS::DynamoDB::Table",
        logical_suffix: "Table",
        attributes: &[
            Attribute {
                name: "name",
                source: AttrSource::Ref,
            },
            Attribute {
                name: "arn",
                source: AttrSource::GetAtt("Arn"),
            },
            Attribute {
                name: "stream_arn",
                source: AttrSource::GetAtt("StreamArn"),
            },
        ],
        access: &[
            Access {
                name: "read",
                summary: "get, query and scan items",
                actions: TABLE_READ,
                resources: TABLE_ARNS,
                key_actions: KMS_READ,
            },
            Access {
                name: "write",
                summary: "put, update and delete items",
                actions: TABLE_WRITE,
                resources: TABLE_ARNS,
                key_actions: KMS_WRITE,
            },
            Access {
                name: "read_write",
                summary: "read and write items",
                actions: TABLE_READ_WRITE,
                resources: TABLE_ARNS,
                key_actions: KMS_WRITE,
            },
            Access {
                name: "monitor",
                summary: "describe the table, such as its status, and read no item",
                actions: &["dynamodb:DescribeTable"],
                resources: &["{arn}"],
                key_actions: &[],
            },
        ],
        name_limit: NameLimit {
            what: "DynamoDB table name",
            max_len: 255,
            extra_len: 0,
        },
        stateful: true,
        iam_services: &["dynamodb"],
        iam_resources: &[
            iam("dynamodb", "table", "{arn}"),
            iam("dynamodb", "index", "{arn}/index/*"),
        ],
    },
    KindInfo {
        kind: Kind::Queue,
        keyword: "queue",
        short_type: "sqs",
        cfn_type: "AWS::SQS::Queue",
        logical_suffix: "Queue",
        attributes: &[
            Attribute {
                name: "url",
                source: AttrSource::Ref,
            },
            Attribute {
                name: "arn",
                source: AttrSource::GetAtt("Arn"),
            },
            Attribute {
                name: "name",
                source: AttrSource::GetAtt("QueueName"),
            },
        ],
        access: &[
            Access {
                name: "send",
                summary: "send messages",
                actions: &[
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                    "sqs:SendMessage",
                ],
                resources: &["{arn}"],
                key_actions: KMS_PRODUCE,
            },
            Access {
                name: "consume",
                summary: "receive, delete and extend the visibility of messages",
                actions: &[
                    "sqs:ChangeMessageVisibility",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                    "sqs:ReceiveMessage",
                ],
                resources: &["{arn}"],
                key_actions: KMS_READ,
            },
            Access {
                name: "monitor",
                summary: "read the queue's attributes, such as its depth",
                actions: &["sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                resources: &["{arn}"],
                key_actions: &[],
            },
        ],
        // Counted with `.fifo`, so a queue can become FIFO without a rename.
        name_limit: NameLimit {
            what: "SQS queue name",
            max_len: 80,
            extra_len: ".fifo".len(),
        },
        stateful: true,
        iam_services: &["sqs"],
        iam_resources: &[iam("sqs", "queue", "{arn}")],
    },
    KindInfo {
        kind: Kind::Bucket,
        keyword: "bucket",
        short_type: "s3",
        cfn_type: "AWS::S3::Bucket",
        logical_suffix: "Bucket",
        attributes: &[
            Attribute {
                name: "name",
                source: AttrSource::Ref,
            },
            Attribute {
                name: "arn",
                source: AttrSource::GetAtt("Arn"),
            },
            Attribute {
                name: "domain_name",
                source: AttrSource::GetAtt("RegionalDomainName"),
            },
        ],
        access: &[
            Access {
                name: "read",
                summary: "list the bucket and get objects",
                actions: BUCKET_READ,
                resources: BUCKET_ARNS,
                key_actions: KMS_READ,
            },
            Access {
                name: "write",
                summary: "put and delete objects",
                actions: BUCKET_WRITE,
                resources: BUCKET_ARNS,
                key_actions: KMS_WRITE,
            },
            Access {
                name: "append",
                summary: "add new objects, never delete or overwrite one (write-once records)",
                actions: BUCKET_APPEND,
                resources: BUCKET_OBJECTS,
                key_actions: KMS_WRITE,
            },
            Access {
                name: "read_write",
                summary: "read and write objects",
                actions: BUCKET_READ_WRITE,
                resources: BUCKET_ARNS,
                key_actions: KMS_WRITE,
            },
        ],
        name_limit: NameLimit {
            what: "S3 bucket name",
            max_len: 63,
            // `-{account}`: bucket names are global, so they carry the
            // account id (`naming::bucket_name`).
            extra_len: 1 + crate::naming::ACCOUNT_ID_LEN,
        },
        stateful: true,
        iam_services: &["s3"],
        iam_resources: &[iam("s3", "bucket", "{arn}"), iam("s3", "object", "{arn}/*")],
    },
    KindInfo {
        kind: Kind::Topic,
        keyword: "topic",
        short_type: "sns",
        cfn_type: "AWS::SNS::Topic",
        logical_suffix: "Topic",
        attributes: &[
            Attribute {
                name: "arn",
                source: AttrSource::Ref,
            },
            Attribute {
                name: "name",
                source: AttrSource::GetAtt("TopicName"),
            },
        ],
        access: &[Access {
            name: "publish",
            summary: "publish messages",
            actions: &["sns:Publish"],
            resources: &["{ref}"],
            key_actions: KMS_PRODUCE,
        }],
        name_limit: NameLimit {
            what: "SNS topic name",
            max_len: 256,
            extra_len: ".fifo".len(),
        },
        stateful: false,
        iam_services: &["sns"],
        iam_resources: &[iam("sns", "topic", "{ref}")],
    },
    KindInfo {
        kind: Kind::Parameter,
        keyword: "parameter",
        short_type: "ssm",
        cfn_type: "AWS::SSM::Parameter",
        logical_suffix: "Parameter",
        attributes: &[Attribute {
            name: "name",
            source: AttrSource::Ref,
        }],
        access: &[Access {
            name: "read",
            summary: "read the parameter's value",
            actions: &[
                "ssm:GetParameter",
                "ssm:GetParameterHistory",
                "ssm:GetParameters",
            ],
            resources: &[PARAMETER_ARN],
            key_actions: &[],
        }],
        // Parameter names are paths: `/{platform}/{suffix}/{region}/{purpose}`;
        // the platform name's length is added by the length check.
        name_limit: NameLimit {
            what: "SSM parameter name",
            max_len: 1011,
            extra_len: 4,
        },
        stateful: false,
        iam_services: &["ssm"],
        iam_resources: &[iam("ssm", "parameter", PARAMETER_ARN)],
    },
    KindInfo {
        kind: Kind::Function,
        keyword: "function",
        short_type: "lambda",
        cfn_type: "AWS::Lambda::Function",
        logical_suffix: "Function",
        attributes: &[
            Attribute {
                name: "name",
                source: AttrSource::Ref,
            },
            Attribute {
                name: "arn",
                source: AttrSource::GetAtt("Arn"),
            },
        ],
        access: &[Access {
            name: "invoke",
            summary: "invoke the function",
            actions: &["lambda:InvokeFunction"],
            resources: &["{arn}"],
            key_actions: &[],
        }],
        name_limit: NameLimit {
            what: "Lambda function name",
            max_len: 64,
            extra_len: 0,
        },
        stateful: false,
        iam_services: &["lambda"],
        iam_resources: &[iam("lambda", "function", "{arn}")],
    },
    KindInfo {
        kind: Kind::Network,
        keyword: "network",
        short_type: "vpc",
        cfn_type: "AWS::EC2::VPC",
        logical_suffix: "Vpc",
        attributes: &[
            Attribute {
                name: "id",
                source: AttrSource::Ref,
            },
            Attribute {
                name: "cidr",
                source: AttrSource::GetAtt("CidrBlock"),
            },
            // The security group EC2 creates with the VPC.
            Attribute {
                name: "default_security_group",
                source: AttrSource::GetAtt("DefaultSecurityGroup"),
            },
        ],
        access: &[Access {
            name: "close_default_security_group",
            summary: "remove the rules EC2 gives the VPC's default security group",
            actions: &[
                "ec2:RevokeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupIngress",
            ],
            resources: &[
                "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/{default_security_group}",
            ],
            key_actions: &[],
        }],
        // The VPC's name tag; the IAM role of its flow logs is checked separately.
        name_limit: NameLimit {
            what: "VPC name tag",
            max_len: 255,
            extra_len: 0,
        },
        stateful: false,
        iam_services: &["ec2"],
        iam_resources: &[],
    },
    KindInfo {
        kind: Kind::Aurora,
        keyword: "aurora",
        short_type: "aurora",
        cfn_type: "AWS::RDS::DBCluster",
        logical_suffix: "Cluster",
        attributes: &[
            Attribute {
                name: "name",
                source: AttrSource::Ref,
            },
            Attribute {
                name: "endpoint",
                source: AttrSource::GetAtt("Endpoint.Address"),
            },
            Attribute {
                name: "reader_endpoint",
                source: AttrSource::GetAtt("ReadEndpoint.Address"),
            },
            Attribute {
                name: "port",
                source: AttrSource::GetAtt("Endpoint.Port"),
            },
            Attribute {
                name: "arn",
                source: AttrSource::GetAtt("DBClusterArn"),
            },
            Attribute {
                name: "resource_id",
                source: AttrSource::GetAtt("DBClusterResourceId"),
            },
            Attribute {
                name: "secret_arn",
                source: AttrSource::GetAtt("MasterUserSecret.SecretArn"),
            },
        ],
        access: &[
            Access {
                name: "connect",
                summary: "connect as any database user with IAM authentication",
                actions: &["rds-db:connect"],
                resources: &[
                    "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:{resource_id}/*",
                ],
                key_actions: &[],
            },
            Access {
                name: "read_secret",
                summary: "read the master user's secret",
                actions: &[
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                ],
                resources: &["{secret_arn}"],
                key_actions: KMS_READ,
            },
        ],
        // RDS identifiers: 63 characters, counted with the instance part
        // (`-reader-1`) that instance identifiers add.
        name_limit: NameLimit {
            what: "RDS DB identifier",
            max_len: 63,
            extra_len: "-reader-1".len(),
        },
        stateful: true,
        iam_services: &["rds", "rds-db", "secretsmanager"],
        iam_resources: &[
            iam("rds", "cluster", "{arn}"),
            iam(
                "rds-db",
                "db-user",
                "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:{resource_id}/*",
            ),
        ],
    },
    KindInfo {
        kind: Kind::DbUser,
        keyword: "db_user",
        short_type: "dbuser",
        cfn_type: "AWS::SecretsManager::Secret",
        logical_suffix: "DbUser",
        attributes: &[
            // `Ref` of a secret is its ARN.
            Attribute {
                name: "secret_arn",
                source: AttrSource::Ref,
            },
            // The PostgreSQL role name: the declared name itself.
            Attribute {
                name: "name",
                source: AttrSource::Computed,
            },
            // `dml`, `read_only` or `owner`, for the migration that creates
            // the role and grants it what the word means.
            Attribute {
                name: "privileges",
                source: AttrSource::Computed,
            },
        ],
        access: &[
            Access {
                name: "connect",
                summary: "read the database user's secret, to connect as that user",
                actions: &[
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                ],
                resources: &["{secret_arn}"],
                key_actions: KMS_READ,
            },
            // What Secrets Manager's rotation steps call on the secret they
            // rotate: read its versions, store the pending one, move the
            // stages. `GetRandomPassword` has no resource type; the grant
            // adds it on `"*"` (`synth::iam`).
            Access {
                name: "rotate",
                summary: "rotate the database user's password (its rotation function)",
                actions: &[
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:UpdateSecretVersionStage",
                ],
                resources: &["{secret_arn}"],
                key_actions: KMS_ROTATE,
            },
        ],
        name_limit: NameLimit {
            what: "Secrets Manager secret name",
            max_len: 512,
            extra_len: 0,
        },
        stateful: true,
        iam_services: &["secretsmanager"],
        iam_resources: &[iam("secretsmanager", "Secret", "{secret_arn}")],
    },
    KindInfo {
        kind: Kind::Api,
        keyword: "api",
        short_type: "apigw",
        cfn_type: "AWS::ApiGateway::RestApi",
        logical_suffix: "Api",
        attributes: &[
            Attribute {
                name: "id",
                source: AttrSource::Ref,
            },
            Attribute {
                name: "root_resource_id",
                source: AttrSource::GetAtt("RootResourceId"),
            },
            Attribute {
                name: "url",
                source: AttrSource::Computed,
            },
        ],
        access: &[Access {
            name: "invoke",
            summary: "call any route of the API with SigV4-signed requests",
            actions: &["execute-api:Invoke"],
            resources: &[
                "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:{ref}/*",
            ],
            key_actions: &[],
        }],
        name_limit: NameLimit {
            what: "REST API name",
            max_len: 1024,
            extra_len: 0,
        },
        stateful: false,
        iam_services: &["apigateway", "execute-api"],
        iam_resources: &[iam(
            "execute-api",
            "execute-api-general",
            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:{ref}/*",
        )],
    },
    KindInfo {
        kind: Kind::Bus,
        keyword: "bus",
        short_type: "bus",
        cfn_type: "AWS::Events::EventBus",
        logical_suffix: "Bus",
        attributes: &[
            Attribute {
                name: "name",
                source: AttrSource::Ref,
            },
            Attribute {
                name: "arn",
                source: AttrSource::GetAtt("Arn"),
            },
        ],
        access: &[Access {
            name: "put_events",
            summary: "put events on the bus",
            actions: &["events:PutEvents"],
            resources: &["{arn}"],
            key_actions: &[],
        }],
        name_limit: NameLimit {
            what: "event bus name",
            max_len: 256,
            extra_len: 0,
        },
        stateful: false,
        iam_services: &["events"],
        iam_resources: &[iam("events", "event-bus", "{arn}")],
    },
    KindInfo {
        kind: Kind::Rule,
        keyword: "rule",
        short_type: "rule",
        cfn_type: "AWS::Events::Rule",
        logical_suffix: "Rule",
        attributes: &[
            Attribute {
                name: "arn",
                source: AttrSource::GetAtt("Arn"),
            },
            Attribute {
                name: "name",
                source: AttrSource::Ref,
            },
        ],
        access: &[],
        name_limit: NameLimit {
            what: "EventBridge rule name",
            max_len: 64,
            extra_len: 0,
        },
        stateful: false,
        iam_services: &["events"],
        iam_resources: &[
            iam("events", "rule-on-custom-event-bus", "{arn}"),
            iam("events", "rule-on-default-event-bus", "{arn}"),
        ],
    },
    KindInfo {
        kind: Kind::LogGroup,
        keyword: "log_group",
        short_type: "logs",
        cfn_type: "AWS::Logs::LogGroup",
        logical_suffix: "LogGroup",
        attributes: &[
            Attribute {
                name: "name",
                source: AttrSource::Ref,
            },
            Attribute {
                name: "arn",
                source: AttrSource::GetAtt("Arn"),
            },
        ],
        access: &[],
        // EventBridge only delivers to groups under `/aws/events/`.
        name_limit: NameLimit {
            what: "log group name",
            max_len: 512,
            extra_len: "/aws/events/".len(),
        },
        stateful: true,
        iam_services: &["logs"],
        iam_resources: &[iam("logs", "log-group", "{arn}")],
    },
    KindInfo {
        kind: Kind::Alarm,
        keyword: "alarm",
        short_type: "alarm",
        cfn_type: "AWS::CloudWatch::Alarm",
        logical_suffix: "Alarm",
        attributes: &[
            Attribute {
                name: "name",
                source: AttrSource::Ref,
            },
            Attribute {
                name: "arn",
                source: AttrSource::GetAtt("Arn"),
            },
        ],
        access: &[],
        name_limit: NameLimit {
            what: "alarm name",
            max_len: 255,
            extra_len: 0,
        },
        stateful: false,
        iam_services: &["cloudwatch"],
        iam_resources: &[iam("cloudwatch", "alarm", "{arn}")],
    },
    KindInfo {
        kind: Kind::HealthCheck,
        keyword: "health_check",
        short_type: "hc",
        cfn_type: "AWS::Route53::HealthCheck",
        logical_suffix: "HealthCheck",
        attributes: &[Attribute {
            name: "id",
            source: AttrSource::Ref,
        }],
        access: &[],
        // The name is the health check's `Name` tag (256 characters).
        name_limit: NameLimit {
            what: "health check name tag",
            max_len: 256,
            extra_len: 0,
        },
        stateful: false,
        iam_services: &["route53"],
        iam_resources: &[],
    },
    KindInfo {
        kind: Kind::Dashboard,
        keyword: "dashboard",
        short_type: "dashboard",
        cfn_type: "AWS::CloudWatch::Dashboard",
        logical_suffix: "Dashboard",
        attributes: &[Attribute {
            name: "name",
            source: AttrSource::Ref,
        }],
        access: &[],
        name_limit: NameLimit {
            what: "dashboard name",
            max_len: 255,
            extra_len: 0,
        },
        stateful: false,
        iam_services: &["cloudwatch"],
        iam_resources: &[],
    },
    KindInfo {
        kind: Kind::Zone,
        keyword: "zone",
        short_type: "zone",
        cfn_type: "AWS::Route53::HostedZone",
        logical_suffix: "Zone",
        // A zone is read through the api that names it (`zone: ZONE`); its
        // id is an import in every stack but the global one.
        attributes: &[],
        access: &[],
        // The zone's name is its domain; the `Name` tag carries the
        // physical name (256 characters).
        name_limit: NameLimit {
            what: "hosted zone name tag",
            max_len: 256,
            extra_len: 0,
        },
        // Its records are the platform's own, made again by a deploy.
        stateful: false,
        iam_services: &["route53"],
        iam_resources: &[],
    },
];

/// The short type of IAM roles the platform creates.
pub const ROLE_SHORT_TYPE: &str = "role";

/// The purpose of the role API Gateway writes CloudWatch logs with: one per
/// region, shared by every api (`role-apigw-cloudwatch-{region}-{suffix}`).
pub const API_ACCOUNT_ROLE_PURPOSE: &str = "apigw_cloudwatch";
/// IAM role names are at most 64 characters.
pub const ROLE_NAME_LIMIT: NameLimit = NameLimit {
    what: "IAM role name",
    max_len: 64,
    extra_len: 0,
};

/// A physical name a declared resource creates beside its own, with its own
/// limit: `{short_type}-{name}{purpose_suffix}-{region}-{suffix}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DerivedName {
    pub kind: Kind,
    pub short_type: &'static str,
    /// Appended to the declared name (`_monitoring`).
    pub purpose_suffix: &'static str,
    pub limit: NameLimit,
}

/// Every derived name, so the length check covers them as synthesis makes them.
pub static DERIVED_NAMES: &[DerivedName] = &[
    // A function's execution role.
    DerivedName {
        kind: Kind::Function,
        short_type: ROLE_SHORT_TYPE,
        purpose_suffix: "",
        limit: ROLE_NAME_LIMIT,
    },
    // The role VPC flow logs deliver with.
    DerivedName {
        kind: Kind::Network,
        short_type: ROLE_SHORT_TYPE,
        purpose_suffix: "_flow_logs",
        limit: ROLE_NAME_LIMIT,
    },
    // Aurora's enhanced-monitoring role.
    DerivedName {
        kind: Kind::Aurora,
        short_type: ROLE_SHORT_TYPE,
        purpose_suffix: "_monitoring",
        limit: ROLE_NAME_LIMIT,
    },
    // An api's WAFv2 web ACL (`waf:`).
    DerivedName {
        kind: Kind::Api,
        short_type: "waf",
        purpose_suffix: "",
        limit: NameLimit {
            what: "WAF web ACL name",
            max_len: 128,
            extra_len: 0,
        },
    },
    // The role S3 replicates an archived bucket (`archive:`) with.
    DerivedName {
        kind: Kind::Bucket,
        short_type: ROLE_SHORT_TYPE,
        purpose_suffix: "_replication",
        limit: ROLE_NAME_LIMIT,
    },
    // The resource policy letting EventBridge write to a log group.
    DerivedName {
        kind: Kind::LogGroup,
        short_type: "logs",
        purpose_suffix: "_events",
        limit: NameLimit {
            what: "log resource policy name",
            max_len: 255,
            extra_len: 0,
        },
    },
];

/// A condition an access level's statement always carries: what makes
/// the level narrower than its actions alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessCondition {
    pub kind: Kind,
    /// The access level's name.
    pub access: &'static str,
    /// The IAM condition operator (`Null`, `StringEquals`).
    pub operator: &'static str,
    /// The condition key.
    pub key: &'static str,
    pub value: &'static str,
}

/// Access levels whose statements carry a condition.
pub static ACCESS_CONDITIONS: &[AccessCondition] = &[
    // A bucket's `append`: `PutObject` only with `If-None-Match: *` (S3
    // conditional writes: the request fails with 412 when the key exists),
    // so a record once written can be neither deleted nor overwritten by
    // its writer. AWS's own form: the header must be present.
    AccessCondition {
        kind: Kind::Bucket,
        access: "append",
        operator: "Null",
        key: "s3:if-none-match",
        value: "false",
    },
];

/// The condition `kind`'s access level `access` always carries, if any.
pub fn access_condition(kind: Kind, access: &str) -> Option<&'static AccessCondition> {
    ACCESS_CONDITIONS
        .iter()
        .find(|c| c.kind == kind && c.access == access)
}

/// The derived names of `kind`.
pub fn derived_names(kind: Kind) -> impl Iterator<Item = &'static DerivedName> {
    DERIVED_NAMES.iter().filter(move |d| d.kind == kind)
}

impl Kind {
    /// The catalog entry of this kind.
    pub fn info(self) -> &'static KindInfo {
        KINDS
            .iter()
            .find(|info| info.kind == self)
            .expect("every kind has a catalog entry")
    }
}

impl KindInfo {
    /// The attribute called `name`, if the kind has one.
    pub fn attribute(&self, name: &str) -> Option<&'static Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The access level called `name`, if the kind has one.
    pub fn access(&self, name: &str) -> Option<&'static Access> {
        self.access.iter().find(|a| a.name == name)
    }

    /// Whether the attribute called `name` is a network address (a host, a
    /// port, a public URL) rather than the name of something IAM guards:
    /// reaching it is a matter of the network (security groups, an api
    /// route's own `auth:`), so a function may hold it without a grant.
    pub fn is_network_address(&self, name: &str) -> bool {
        NETWORK_ADDRESS_ATTRIBUTES
            .iter()
            .any(|(kind, names)| *kind == self.kind && names.contains(&name))
    }

    /// The names of the kind's attributes, for messages.
    pub fn attribute_names(&self) -> Vec<&'static str> {
        self.attributes.iter().map(|a| a.name).collect()
    }

    /// The names of the kind's access levels, for messages.
    pub fn access_names(&self) -> Vec<&'static str> {
        self.access.iter().map(|a| a.name).collect()
    }
}

/// The kind declared by the DSL keyword `keyword`.
pub fn kind_by_keyword(keyword: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|info| info.keyword == keyword)
}

/// Where a metric dimension's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DimensionSource {
    /// An attribute of the resource (`name`, `id`).
    Attribute(&'static str),
    /// The physical name of the resource (an API's name).
    PhysicalName,
    /// The API's stage name.
    Stage,
}

/// A CloudWatch metric a kind publishes, by its DSL name (`trade_api.errors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    pub kind: Kind,
    pub name: &'static str,
    pub namespace: &'static str,
    pub metric_name: &'static str,
    /// `Sum`, `Average`, `Maximum`, `Minimum` or a percentile `p99`.
    pub statistic: &'static str,
    pub dimensions: &'static [(&'static str, DimensionSource)],
    /// Metrics CloudWatch only publishes in us-east-1 (Route 53).
    pub us_east_1_only: bool,
    /// How often the service publishes a datapoint, in seconds: 60 for
    /// every metric AWS's services publish ([`STANDARD_RESOLUTION_SECS`]);
    /// 1 only for a high-resolution metric, which an alarm may evaluate
    /// over 10, 20 or 30 seconds.
    pub resolution_secs: u32,
}

/// The resolution of AWS's standard metrics: a datapoint a minute. None of
/// the services the platform uses publishes high-resolution metrics.
pub const STANDARD_RESOLUTION_SECS: u32 = 60;

const FUNCTION_NAME: &[(&str, DimensionSource)] =
    &[("FunctionName", DimensionSource::Attribute("name"))];
const QUEUE_NAME: &[(&str, DimensionSource)] = &[("QueueName", DimensionSource::Attribute("name"))];
const CLUSTER_ID: &[(&str, DimensionSource)] =
    &[("DBClusterIdentifier", DimensionSource::Attribute("name"))];
const API_STAGE: &[(&str, DimensionSource)] = &[
    ("ApiName", DimensionSource::PhysicalName),
    ("Stage", DimensionSource::Stage),
];

const fn metric(
    kind: Kind,
    name: &'static str,
    namespace: &'static str,
    metric_name: &'static str,
    statistic: &'static str,
    dimensions: &'static [(&'static str, DimensionSource)],
) -> Metric {
    Metric {
        kind,
        name,
        namespace,
        metric_name,
        statistic,
        dimensions,
        us_east_1_only: false,
        resolution_secs: STANDARD_RESOLUTION_SECS,
    }
}

/// Every metric an alarm or dashboard may name.
pub static METRICS: &[Metric] = &[
    metric(
        Kind::Function,
        "errors",
        "AWS/Lambda",
        "Errors",
        "Sum",
        FUNCTION_NAME,
    ),
    metric(
        Kind::Function,
        "throttles",
        "AWS/Lambda",
        "Throttles",
        "Sum",
        FUNCTION_NAME,
    ),
    metric(
        Kind::Function,
        "invocations",
        "AWS/Lambda",
        "Invocations",
        "Sum",
        FUNCTION_NAME,
    ),
    metric(
        Kind::Function,
        "duration_p99",
        "AWS/Lambda",
        "Duration",
        "p99",
        FUNCTION_NAME,
    ),
    metric(
        Kind::Queue,
        "visible",
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "Maximum",
        QUEUE_NAME,
    ),
    metric(
        Kind::Queue,
        "oldest_age",
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        "Maximum",
        QUEUE_NAME,
    ),
    metric(
        Kind::Aurora,
        "cpu",
        "AWS/RDS",
        "CPUUtilization",
        "Average",
        CLUSTER_ID,
    ),
    metric(
        Kind::Aurora,
        "capacity",
        "AWS/RDS",
        "ServerlessDatabaseCapacity",
        "Average",
        CLUSTER_ID,
    ),
    metric(
        Kind::Aurora,
        "acu_utilization",
        "AWS/RDS",
        "ACUUtilization",
        "Average",
        CLUSTER_ID,
    ),
    metric(
        Kind::Aurora,
        "connections",
        "AWS/RDS",
        "DatabaseConnections",
        "Maximum",
        CLUSTER_ID,
    ),
    metric(
        Kind::Api,
        "latency_p99",
        "AWS/ApiGateway",
        "Latency",
        "p99",
        API_STAGE,
    ),
    metric(
        Kind::Api,
        "errors_5xx",
        "AWS/ApiGateway",
        "5XXError",
        "Sum",
        API_STAGE,
    ),
    metric(
        Kind::Api,
        "errors_4xx",
        "AWS/ApiGateway",
        "4XXError",
        "Sum",
        API_STAGE,
    ),
    metric(
        Kind::Api,
        "requests",
        "AWS/ApiGateway",
        "Count",
        "Sum",
        API_STAGE,
    ),
    Metric {
        kind: Kind::HealthCheck,
        name: "status",
        namespace: "AWS/Route53",
        metric_name: "HealthCheckStatus",
        statistic: "Minimum",
        dimensions: &[("HealthCheckId", DimensionSource::Attribute("id"))],
        us_east_1_only: true,
        resolution_secs: STANDARD_RESOLUTION_SECS,
    },
];

impl KindInfo {
    /// The metric called `name` of this kind.
    pub fn metric(&self, name: &str) -> Option<&'static Metric> {
        METRICS
            .iter()
            .find(|m| m.kind == self.kind && m.name == name)
    }

    /// The names of the kind's metrics, for messages.
    pub fn metric_names(&self) -> Vec<&'static str> {
        METRICS
            .iter()
            .filter(|m| m.kind == self.kind)
            .map(|m| m.name)
            .collect()
    }
}

/// Periods CloudWatch alarms accept below one minute; above, multiples of 60.
pub const HIGH_RESOLUTION_PERIODS: &[u32] = &[10, 20, 30];

/// CloudFormation types holding data that replacing or removing them loses:
/// deploys refuse to do either unless told to (`tp deploy --allow-replace`).
pub const STATEFUL_TYPES: &[&str] = &[
    "AWS::DynamoDB::Table",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::RDS::DBCluster",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::SecretsManager::Secret",
];

/// The facts generated from CloudFormation's schema for `cfn_type`:
/// create-only properties and the tag property.
pub fn cfn_type_facts(cfn_type: &str) -> Option<(&'static [&'static str], Option<&'static str>)> {
    let table = crate::cfn_facts::RESOURCE_TYPES;
    table
        .binary_search_by(|(t, _, _)| (*t).cmp(cfn_type))
        .ok()
        .map(|i| (table[i].1, table[i].2))
}

/// The attributes, per kind, that are network addresses (see
/// [`KindInfo::is_network_address`]). An aurora's `secret_arn` and
/// `resource_id`, and every ARN and name, are not: using them takes a grant.
pub static NETWORK_ADDRESS_ATTRIBUTES: &[(Kind, &[&str])] = &[
    (Kind::Aurora, &["endpoint", "reader_endpoint", "port"]),
    (Kind::Api, &["url"]),
];

/// How a VPC endpoint service is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointType {
    /// Route-table entries; free.
    Gateway,
    /// Network interfaces in the private subnets with private DNS.
    Interface,
}

/// VPC endpoint services a `network` may declare, by the name in
/// `com.amazonaws.{region}.{name}`, with the IAM service prefix whose API
/// calls the endpoint carries.
pub static ENDPOINT_SERVICES: &[(&str, EndpointType, &str)] = &[
    ("s3", EndpointType::Gateway, "s3"),
    ("dynamodb", EndpointType::Gateway, "dynamodb"),
    ("sqs", EndpointType::Interface, "sqs"),
    ("sns", EndpointType::Interface, "sns"),
    ("events", EndpointType::Interface, "events"),
    ("ssm", EndpointType::Interface, "ssm"),
    ("secretsmanager", EndpointType::Interface, "secretsmanager"),
    ("kms", EndpointType::Interface, "kms"),
    ("logs", EndpointType::Interface, "logs"),
    ("monitoring", EndpointType::Interface, "cloudwatch"),
    ("xray", EndpointType::Interface, "xray"),
    ("lambda", EndpointType::Interface, "lambda"),
    ("execute-api", EndpointType::Interface, "execute-api"),
];

/// The tags tp adds to every taggable resource after the platform's own
/// (`synth::Context::tags`): the environment suffix, the profile and the
/// region.
pub const ADDED_TAG_KEYS: &[&str] = &["EnvironmentSuffix", "Profile", "Region"];

/// AWS's limits on a resource's tags: user tags per resource (tags with
/// the `aws:` prefix, CloudFormation's own, do not count), a key's and a
/// value's length in Unicode characters.
pub const TAG_MAX_PER_RESOURCE: usize = 50;
pub const TAG_KEY_MAX_CHARS: usize = 128;
pub const TAG_VALUE_MAX_CHARS: usize = 256;

/// Environment variable names the Lambda runtime reserves.
pub const RESERVED_LAMBDA_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
];

/// Retention values CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The Lambda runtime every function uses.
pub const LAMBDA_RUNTIME: &str = "nodejs24.x";

/// Resources a kind generates beside its primary one that an `override`
/// may address: `(kind, part, CloudFormation type)`, where `part` is the
/// logical id's ending after the PascalCase name (a function `processor`'s
/// role is `ProcessorFunctionRole`: part `FunctionRole`).
pub static GENERATED_PARTS: &[(Kind, &str, &str)] = &[
    (Kind::Function, "FunctionRole", "AWS::IAM::Role"),
    (Kind::Function, "FunctionLogGroup", "AWS::Logs::LogGroup"),
    (Kind::Key, "KeyAlias", "AWS::KMS::Alias"),
];

/// The parts of `kind` an `override` may address, `(part, CloudFormation
/// type)`: its primary resource (the kind's logical suffix) first, then
/// [`GENERATED_PARTS`].
pub fn generated_parts(kind: Kind) -> Vec<(&'static str, &'static str)> {
    let info = kind.info();
    std::iter::once((info.logical_suffix, info.cfn_type))
        .chain(
            GENERATED_PARTS
                .iter()
                .filter(|(k, ..)| *k == kind)
                .map(|(_, part, ty)| (*part, *ty)),
        )
        .collect()
}

/// The create-only top-level properties of `cfn_type` (changing one
/// replaces the resource): from [`cfn_type_facts`] for the types the
/// platform's constructs synthesize, else from the type's registry schema
/// ([`crate::cfn_schema`]), for `resource` blocks of any type.
pub fn create_only_properties(cfn_type: &str) -> Vec<String> {
    if let Some((props, _)) = cfn_type_facts(cfn_type) {
        return props.iter().map(|p| (*p).to_owned()).collect();
    }
    crate::cfn_schema::lookup(cfn_type)
        .map(|schema| {
            schema
                .create_only()
                .into_iter()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_entry_with_a_unique_keyword_and_short_type() {
        for (i, a) in KINDS.iter().enumerate() {
            assert_eq!(a.kind.info().keyword, a.keyword);
            for b in &KINDS[i + 1..] {
                assert_ne!(a.keyword, b.keyword);
                assert_ne!(a.short_type, b.short_type);
                assert_ne!(a.kind, b.kind);
            }
        }
    }

    #[test]
    fn access_levels_name_exact_actions_of_their_own_service() {
        for info in KINDS {
            for access in info.access {
                assert!(
                    !access.actions.is_empty(),
                    "{}.{}",
                    info.keyword,
                    access.name
                );
                for action in access.actions.iter().chain(access.key_actions) {
                    assert!(!action.contains('*'), "wildcard action {action}");
                    let (service, _) = action.split_once(':').expect("service:Action");
                    let service_ok = service
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                    assert!(service_ok, "{action}");
                }
                for action in access.actions {
                    let service = action.split(':').next().unwrap();
                    assert!(
                        info.iam_services.contains(&service),
                        "{}: {action}",
                        info.keyword
                    );
                }
            }
        }
    }

    /// Every `{placeholder}` of an access level's ARN patterns is `ref` or
    /// one of the kind's attributes.
    #[test]
    fn arn_patterns_use_only_the_kinds_attributes() {
        for info in KINDS {
            for access in info.access {
                for pattern in access.resources {
                    let mut rest = *pattern;
                    while let Some(start) = rest.find('{') {
                        let end = start + rest[start..].find('}').expect("closed");
                        let dollar = start > 0 && rest.as_bytes()[start - 1] == b'$';
                        let name = &rest[start + 1..end];
                        assert!(
                            dollar || name == "ref" || info.attribute(name).is_some(),
                            "{}.{}: {pattern}",
                            info.keyword,
                            access.name
                        );
                        rest = &rest[end + 1..];
                    }
                }
            }
        }
    }

    #[test]
    fn grants_read_the_same_attributes_synthesis_uses() {
        assert_eq!(
            kind_by_keyword("table").unwrap().attribute_names(),
            ["name", "arn", "stream_arn"]
        );
        assert_eq!(
            kind_by_keyword("queue").unwrap().access_names(),
            ["send", "consume", "monitor"]
        );
        assert!(
            kind_by_keyword("queue")
                .unwrap()
                .access("read_write")
                .is_none()
        );
    }
}
