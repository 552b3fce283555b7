//! The Aurora PostgreSQL Serverless v2 construct: a cluster with a writer
//! and readers in different AZs, in the network's isolated subnets, reachable
//! on 5432 only from the functions' security group.
//!
//! Secure by construction: storage encrypted with the declared key, the master
//! password generated and kept by Secrets Manager (`ManageMasterUserPassword`,
//! so no password appears in any template), IAM database authentication,
//! PostgreSQL logs exported to an encrypted log group, Performance Insights
//! encrypted with the key, enhanced monitoring, and a cluster parameter group
//! that refuses connections without TLS and audits DDL and writes with
//! pgaudit (see [`PARAMETERS`]). No deletion protection: every
//! environment is destroyable (the seeds' rule); removal keeps a final
//! snapshot where the profile says so.

use crate::catalog::Kind;
use crate::spec::{AuroraSpec, DbUserSpec, Spec};
use crate::template::{RemovalPolicy, Resource, Value};

use super::iam::{self, Statement};
use super::network::{NetworkIds, Tier};
use super::{Context, SynthError};

/// PostgreSQL's port.
pub(crate) const PORT: u32 = 5432;

pub(crate) fn aurora(
    cx: &mut Context<'_>,
    name: &str,
    spec: &AuroraSpec,
) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    let identifier = cx.physical_name("aurora", name);
    let network = match cx.resource(&spec.network).map(|r| &r.spec) {
        Some(Spec::Network(n)) => n.clone(),
        _ => {
            return Err(SynthError::Invalid(format!(
                "aurora `{name}`: `network:` must name a network"
            )));
        }
    };
    let net = NetworkIds::new(cx, &spec.network);
    let subnet_group = format!("{id}SubnetGroup");
    let sg = format!("{id}SecurityGroup");
    let log_group = format!("{id}LogGroup");
    let monitoring_role = format!("{id}MonitoringRole");
    let parameter_group = format!("{id}ParameterGroup");

    cx.add(
        &subnet_group,
        Resource::new("AWS::RDS::DBSubnetGroup")
            .prop("DBSubnetGroupName", identifier.as_str())
            .prop(
                "DBSubnetGroupDescription",
                format!("Isolated subnets of {identifier}"),
            )
            .prop("SubnetIds", net.subnets(Tier::Isolated, network.azs))
            .prop("Tags", cx.tag_list()),
    )?;
    security_groups(cx, &net, &sg, &identifier)?;
    cx.add(
        &log_group,
        Resource::new("AWS::Logs::LogGroup")
            .prop(
                "LogGroupName",
                format!("/aws/rds/cluster/{identifier}/postgresql"),
            )
            .prop("RetentionInDays", spec.log_retention_days.get(cx.profile))
            .prop("KmsKeyId", cx.key_arn(&spec.log_key))
            .prop("Tags", cx.tag_list())
            .removal(RemovalPolicy::Delete),
    )?;
    monitoring(cx, &monitoring_role, name)?;
    cx.add(
        &parameter_group,
        // No name of its own: a new engine major replaces the group, which a
        // fixed name would make CloudFormation refuse.
        Resource::new("AWS::RDS::DBClusterParameterGroup")
            .prop(
                "Description",
                format!("TLS only, pgaudit of DDL and writes: {identifier}"),
            )
            .prop("Family", parameter_family(name, &spec.engine_version)?)
            .prop(
                "Parameters",
                Value::map(PARAMETERS.iter().map(|(k, v)| (*k, Value::str(*v)))),
            )
            .prop("Tags", cx.tag_list()),
    )?;

    let capacity = spec.capacity.get(cx.profile);
    let removal = if spec.snapshot_on_removal.get(cx.profile) {
        RemovalPolicy::Snapshot
    } else {
        RemovalPolicy::Delete
    };
    let mut cluster = Resource::new("AWS::RDS::DBCluster")
        .prop("DBClusterIdentifier", identifier.as_str())
        .prop("Engine", "aurora-postgresql")
        .prop("EngineVersion", spec.engine_version.as_str())
        .prop(
            "DBClusterParameterGroupName",
            Value::Ref(parameter_group.clone()),
        )
        .prop("DatabaseName", spec.database.as_str())
        .prop("Port", PORT)
        .prop("MasterUsername", "postgres")
        .prop("ManageMasterUserPassword", true)
        .prop(
            "MasterUserSecret",
            Value::map([("KmsKeyId", cx.key_arn(&spec.key))]),
        )
        .prop(
            "ServerlessV2ScalingConfiguration",
            Value::map([
                ("MinCapacity", Value::Float(capacity.min)),
                ("MaxCapacity", Value::Float(capacity.max)),
            ]),
        )
        .prop("BackupRetentionPeriod", spec.backup_days.get(cx.profile))
        .prop("PreferredBackupWindow", "03:00-04:00")
        .prop("PreferredMaintenanceWindow", "sun:05:00-sun:06:00")
        .prop("StorageEncrypted", true)
        .prop("KmsKeyId", cx.key_arn(&spec.key))
        .prop("EnableIAMDatabaseAuthentication", true)
        .prop(
            "EnableCloudwatchLogsExports",
            Value::list([Value::str("postgresql")]),
        )
        .prop("DeletionProtection", false)
        .prop("CopyTagsToSnapshot", true)
        .prop("DBSubnetGroupName", Value::Ref(subnet_group))
        .prop("VpcSecurityGroupIds", Value::list([Value::Ref(sg)]))
        .prop("Tags", cx.tag_list())
        .depends_on(&log_group)
        .removal(removal);
    let mut ids = super::compliance_rule("RDSInstanceDeletionProtectionEnabled", super::HIPAA_NIST);
    ids.push("AwsSolutions-RDS10".into());
    super::nag_suppress(
        &mut cluster,
        ids,
        "Deletion protection stays off so that every environment can be destroyed (the platform's rule); tp deploy refuses a replacement or removal of the cluster unless it is named with --allow-replace, and production keeps a final snapshot (DeletionPolicy: Snapshot)",
    );
    cx.add(&id, cluster)?;

    let backed_up = cx
        .platform
        .backups
        .iter()
        .any(|b| b.resources.iter().any(|r| r == name));
    for (index, role) in instance_roles(spec.readers).into_iter().enumerate() {
        let instance_id = format!("{id}{}", crate::naming::pascal_case(&role));
        let az = (index as u32) % network.azs;
        let mut instance = Resource::new("AWS::RDS::DBInstance")
            .prop(
                "DBInstanceIdentifier",
                cx.physical_name("aurora", &format!("{name}_{role}")),
            )
            .prop("DBClusterIdentifier", Value::Ref(id.clone()))
            .prop("DBInstanceClass", "db.serverless")
            .prop("Engine", "aurora-postgresql")
            .prop(
                "AvailabilityZone",
                Value::Select(az, Box::new(Value::GetAzs(Box::new(Value::str(""))))),
            )
            .prop("PromotionTier", index as u32)
            .prop("PubliclyAccessible", false)
            .prop("AutoMinorVersionUpgrade", true)
            .prop("EnablePerformanceInsights", true)
            .prop("PerformanceInsightsKMSKeyId", cx.key_arn(&spec.key))
            .prop("PerformanceInsightsRetentionPeriod", 7u32)
            .prop("MonitoringInterval", 60u32)
            .prop("MonitoringRoleArn", Value::get_att(&monitoring_role, "Arn"))
            .prop("Tags", cx.tag_list())
            .removal(RemovalPolicy::Delete);
        if backed_up {
            super::nag_suppress(
                &mut instance,
                super::compliance_rule("RDSInBackupPlan", super::HIPAA_NIST),
                AURORA_INSTANCE_BACKED_UP_AS_CLUSTER,
            );
        }
        cx.add(&instance_id, instance)?;
    }
    Ok(())
}

/// Why an Aurora instance is not in a backup selection of its own.
const AURORA_INSTANCE_BACKED_UP_AS_CLUSTER: &str = "AWS Backup backs Aurora up as the cluster, never by instance: the environment's backup plan selects this instance's cluster (its storage is the cluster's), and the rule's check looks for the instance itself in the selection";

/// The cluster parameters, the same in every profile.
///
/// - `rds.force_ssl`: a connection without TLS is refused, so credentials
///   and trades never cross the VPC in clear.
/// - `shared_preload_libraries`: pgaudit, and pg_stat_statements (query
///   statistics for Performance Insights).
/// - `pgaudit.log = ddl,write`: a ledger's audit trail, every schema change
///   and every `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE` and `COPY` into a
///   table, with the role that ran it, to CloudWatch Logs through the
///   `postgresql` export. Reads are not logged (their volume would bury the
///   writes). The `role` class is left out on purpose: the migration sets
///   each role's password with `CREATE/ALTER ROLE .. PASSWORD '..'`, and
///   pgaudit would log those statements' text, the password with it. The
///   grants themselves are the definition's (`privileges:`), applied by the
///   migration on every deploy, so they are reviewed in the repository.
/// - `pgaudit.log_parameter = 0`: bind parameters are not logged; the
///   statement says what was done, the rows stay in the database, and no
///   value a caller binds (an account, an amount, a token) is copied into
///   the logs.
/// - `pgaudit.log_catalog = 0`: statements only on the system catalogs
///   (drivers' and tools' introspection) are not logged.
/// - `pgaudit.log_relation = 1`: a statement touching several tables logs
///   each one, so a search by table finds it.
///
/// `shared_preload_libraries` takes effect on the instances' next reboot
/// when the group changes on a running cluster; a new cluster starts with it.
pub const PARAMETERS: &[(&str, &str)] = &[
    ("rds.force_ssl", "1"),
    ("shared_preload_libraries", "pg_stat_statements,pgaudit"),
    ("pgaudit.log", "ddl,write"),
    ("pgaudit.log_parameter", "0"),
    ("pgaudit.log_catalog", "0"),
    ("pgaudit.log_relation", "1"),
];

/// The parameter group family of Aurora PostgreSQL `version`
/// (`16.10` -> `aurora-postgresql16`).
fn parameter_family(name: &str, version: &str) -> Result<String, SynthError> {
    let major = version.split('.').next().unwrap_or_default();
    if major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SynthError::Invalid(format!(
            "aurora `{name}`: engine version `{version}` has no major version; write it as `16.10`"
        )));
    }
    Ok(format!("aurora-postgresql{major}"))
}

/// Length of a database user's generated password.
pub(crate) const DB_USER_PASSWORD_LENGTH: u32 = 32;

/// A database user's secret: Secrets Manager generates the password when
/// the stack creates the secret (`{"username": .., "password": ..}`), so no
/// password appears in any template. Letters and digits only
/// (`ExcludePunctuation`): safe unquoted in a PostgreSQL password literal
/// and in a connection URL; 32 of them carry about 190 bits. Encrypted with
/// the declared key. Its rotation schedule, when it declares one, is built
/// with the function that rotates it (`constructs::rotation_schedules`).
pub(crate) fn db_user(
    cx: &mut Context<'_>,
    name: &str,
    spec: &DbUserSpec,
) -> Result<(), SynthError> {
    if !matches!(
        cx.resource(&spec.cluster).map(|r| &r.spec),
        Some(Spec::Aurora(_))
    ) {
        return Err(SynthError::Invalid(format!(
            "db_user `{name}`: `cluster:` must name an aurora"
        )));
    }
    let id = cx.logical_id(name);
    let template = serde_json::json!({ "username": name }).to_string();
    let secret = Resource::new(Kind::DbUser.info().cfn_type)
        .prop(
            "Name",
            cx.physical_name(Kind::DbUser.info().short_type, name),
        )
        .prop(
            "Description",
            format!(
                "PostgreSQL user {name} of aurora {} ({})",
                spec.cluster,
                spec.privileges.as_str()
            ),
        )
        .prop("KmsKeyId", cx.key_arn(&spec.key))
        .prop(
            "GenerateSecretString",
            Value::map([
                ("SecretStringTemplate", Value::str(template)),
                ("GenerateStringKey", Value::str("password")),
                ("PasswordLength", Value::from(DB_USER_PASSWORD_LENGTH)),
                ("ExcludePunctuation", Value::Bool(true)),
                ("IncludeSpace", Value::Bool(false)),
                ("RequireEachIncludedType", Value::Bool(true)),
            ]),
        )
        .prop("Tags", cx.tag_list())
        .removal(RemovalPolicy::Delete);
    cx.add(&id, secret)
}

/// `writer`, `reader_1`, `reader_2`, ...
fn instance_roles(readers: u32) -> Vec<String> {
    std::iter::once("writer".to_owned())
        .chain((1..=readers).map(|i| format!("reader_{i}")))
        .collect()
}

/// The cluster's group admits 5432 from the functions' group only; the
/// functions' group gets the matching egress rule.
fn security_groups(
    cx: &mut Context<'_>,
    net: &NetworkIds,
    sg: &str,
    identifier: &str,
) -> Result<(), SynthError> {
    cx.add(
        sg,
        Resource::new("AWS::EC2::SecurityGroup")
            .prop("GroupDescription", format!("Aurora cluster {identifier}"))
            .prop("VpcId", Value::Ref(net.vpc.clone()))
            .prop(
                "SecurityGroupIngress",
                Value::list([Value::map([
                    ("IpProtocol", Value::str("tcp")),
                    ("FromPort", Value::from(PORT)),
                    ("ToPort", Value::from(PORT)),
                    ("SourceSecurityGroupId", Value::Ref(net.function_sg())),
                    (
                        "Description",
                        Value::str("PostgreSQL from the platform's functions"),
                    ),
                ])]),
            )
            .prop(
                "SecurityGroupEgress",
                Value::list([super::network::no_egress()]),
            )
            .prop("Tags", cx.tag_list()),
    )?;
    cx.add(
        &format!("{sg}FunctionEgress"),
        Resource::new("AWS::EC2::SecurityGroupEgress")
            .prop("GroupId", Value::Ref(net.function_sg()))
            .prop("IpProtocol", "tcp")
            .prop("FromPort", PORT)
            .prop("ToPort", PORT)
            .prop("DestinationSecurityGroupId", Value::Ref(sg.to_owned()))
            .prop("Description", format!("PostgreSQL to {identifier}")),
    )
}

/// Enhanced monitoring's role, limited to the `RDSOSMetrics` log group.
fn monitoring(cx: &mut Context<'_>, role: &str, name: &str) -> Result<(), SynthError> {
    let group =
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:RDSOSMetrics";
    let statements = [
        Statement::allow(
            "EnhancedMonitoringGroup",
            &["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
            vec![Value::sub(group)],
        ),
        Statement::allow(
            "EnhancedMonitoringStreams",
            &[
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:GetLogEvents",
                "logs:PutLogEvents",
            ],
            vec![Value::sub(format!("{group}:log-stream:*"))],
        ),
    ];
    cx.add(
        role,
        iam::bounded(Resource::new("AWS::IAM::Role"), cx.region)
            .prop("RoleName", cx.derived_name(Kind::Aurora, name))
            .prop(
                "AssumeRolePolicyDocument",
                iam::document(&[iam::service_trust(
                    "MonitoringAssumeRole",
                    "monitoring.rds.amazonaws.com",
                )]),
            )
            .prop(
                "Policies",
                Value::list([Value::map([
                    ("PolicyName", Value::str("enhanced-monitoring")),
                    ("PolicyDocument", iam::document(&statements)),
                ])]),
            )
            .prop("Tags", cx.tag_list()),
    )
}
