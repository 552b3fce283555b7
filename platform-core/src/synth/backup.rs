//! AWS Backup plans (`backup NAME { .. }`): per environment and region, a
//! plan with one rule into the bootstrap-owned vault of the account and
//! region ([`accounts::backup_vault_name`]), each recovery point copied
//! into the vault of the region `copy_to:` names with the same retention;
//! a selection of the declared tables and clusters; and the role AWS Backup
//! takes them with, allowed exactly the backup and copy calls on those
//! resources, their keys and the two vaults.
//!
//! The vaults and their keys live in the bootstrap stack, not here: a
//! destroyed environment's recovery points stay in a vault that outlives
//! it, under a key that does too.

use crate::accounts;
use crate::naming::pascal_case;
use crate::spec::{BackupSpec, Spec};
use crate::template::{Resource, Value};

use super::iam::{self, Statement};
use super::{Context, SynthError};

/// AWS Backup's limit on a plan's name.
pub(crate) const MAX_PLAN_NAME: usize = 50;

/// Minutes a scheduled backup may wait to start before it is cancelled, and
/// minutes it may take once started: a nightly backup neither piles up
/// behind the next nor runs into the business day.
const START_WINDOW_MINUTES: u32 = 60;
const COMPLETION_WINDOW_MINUTES: u32 = 480;

/// The plan, its selection and its role for `spec`.
pub(crate) fn build(cx: &mut Context<'_>, spec: &BackupSpec) -> Result<(), SynthError> {
    let base = pascal_case(&spec.name);
    let plan_id = format!("{base}BackupPlan");
    let role_id = format!("{base}BackupRole");
    let plan_name = cx.physical_name("backup", &spec.name);
    if plan_name.len() > MAX_PLAN_NAME {
        return Err(SynthError::Invalid(format!(
            "backup `{}`: plan name `{plan_name}` is {} characters, AWS Backup allows {MAX_PLAN_NAME}; shorten the backup's name or the suffix",
            spec.name,
            plan_name.len()
        )));
    }
    let Some(copy_region) = spec.copy_to.get(cx.region).cloned() else {
        return Err(SynthError::Invalid(format!(
            "backup `{}`: `copy_to:` names no region for {}; give every platform region another to copy to",
            spec.name, cx.region
        )));
    };
    let retention = spec.retention_days.get(cx.profile);
    let lifecycle = || Value::map([("DeleteAfterDays", Value::Int(i64::from(retention)))]);
    let rule = Value::map([
        ("RuleName", Value::str(spec.name.clone())),
        (
            "TargetBackupVault",
            Value::str(accounts::backup_vault_name(cx.region)),
        ),
        ("ScheduleExpression", Value::str(spec.schedule.clone())),
        (
            "StartWindowMinutes",
            Value::Int(i64::from(START_WINDOW_MINUTES)),
        ),
        (
            "CompletionWindowMinutes",
            Value::Int(i64::from(COMPLETION_WINDOW_MINUTES)),
        ),
        ("Lifecycle", lifecycle()),
        (
            "CopyActions",
            Value::list([Value::map([
                (
                    "DestinationBackupVaultArn",
                    Value::sub(accounts::backup_vault_arn_sub(&copy_region)),
                ),
                ("Lifecycle", lifecycle()),
            ])]),
        ),
        ("RecoveryPointTags", cx.tag_map()),
    ]);
    cx.add(
        &plan_id,
        Resource::new("AWS::Backup::BackupPlan")
            .prop(
                "BackupPlan",
                Value::map([
                    ("BackupPlanName", Value::str(plan_name)),
                    ("BackupPlanRule", Value::list([rule])),
                ]),
            )
            .prop("BackupPlanTags", cx.tag_map()),
    )?;

    let selected = selected(cx, spec)?;
    role(cx, spec, &role_id, &selected, &copy_region)?;
    cx.add(
        &format!("{base}BackupSelection"),
        Resource::new("AWS::Backup::BackupSelection")
            .prop("BackupPlanId", Value::Ref(plan_id))
            .prop(
                "BackupSelection",
                Value::map([
                    ("SelectionName", Value::str(spec.name.clone())),
                    ("IamRoleArn", Value::get_att(&role_id, "Arn")),
                    (
                        "Resources",
                        Value::list(selected.iter().map(|s| s.arn.clone())),
                    ),
                ]),
            ),
    )?;
    Ok(())
}

/// A selected table or cluster.
struct Selected {
    /// Its ARN, as the selection names it.
    arn: Value,
    /// The ARNs of what backing it up creates (table backups, cluster
    /// snapshots), here and in the copy region.
    backups: Vec<Value>,
    kind: Selectable,
    /// The key that encrypts it.
    key: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Selectable {
    Table,
    Cluster,
}

fn selected(cx: &Context<'_>, spec: &BackupSpec) -> Result<Vec<Selected>, SynthError> {
    spec.resources
        .iter()
        .map(|name| {
            let id = cx.logical_id(name);
            match cx.resource(name).map(|r| &r.spec) {
                Some(Spec::Table(table)) => Ok(Selected {
                    arn: Value::get_att(&id, "Arn"),
                    backups: vec![Value::sub(format!("${{{id}.Arn}}/backup/*"))],
                    kind: Selectable::Table,
                    key: table.key.clone(),
                }),
                // A cluster's Ref is its identifier. Aurora is backed up as
                // the cluster: AWS Backup takes no backups of its instances.
                Some(Spec::Aurora(aurora)) => Ok(Selected {
                    arn: Value::sub(format!(
                        "arn:${{AWS::Partition}}:rds:${{AWS::Region}}:${{AWS::AccountId}}:cluster:${{{id}}}"
                    )),
                    backups: vec![Value::sub(
                        "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster-snapshot:awsbackup:*",
                    )],
                    kind: Selectable::Cluster,
                    key: aurora.key.clone(),
                }),
                _ => Err(SynthError::Invalid(format!(
                    "backup `{}`: `{name}` is not a table or an aurora cluster; AWS Backup plans here select only those",
                    spec.name
                ))),
            }
        })
        .collect()
}

/// Why the backup role's resources end in `*`.
const BACKUP_ROLE_WILDCARDS: &str = "AWS Backup names the recovery points it creates (table backups, cluster snapshots `awsbackup:job-...`) and the vault keys are found by alias in each region; every other resource is named exactly";

/// cdk-nag's `AwsSolutions-IAM5` finding of each resource ending in `*`
/// (`<Id.Attr>` and `<AWS::Partition>` for the `Fn::Sub` variables).
fn wildcard_findings(statements: &[Statement]) -> Vec<String> {
    let mut ids: Vec<String> = statements
        .iter()
        .flat_map(|s| &s.resources)
        .filter_map(|r| match r {
            Value::Sub(text, vars) if vars.is_empty() && text.contains('*') => Some(format!(
                "AwsSolutions-IAM5[Resource::{}]",
                text.replace("${", "<").replace('}', ">")
            )),
            _ => None,
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The role AWS Backup assumes to back up `selected` and copy the recovery
/// points to `copy_region`'s vault.
fn role(
    cx: &mut Context<'_>,
    spec: &BackupSpec,
    role_id: &str,
    selected: &[Selected],
    copy_region: &str,
) -> Result<(), SynthError> {
    let of = |kind: Selectable| selected.iter().filter(move |s| s.kind == kind);
    let mut statements = Vec::new();
    let tables: Vec<&Selected> = of(Selectable::Table).collect();
    if !tables.is_empty() {
        statements.push(Statement::allow(
            "BackUpTables",
            &[
                "dynamodb:CreateBackup",
                "dynamodb:DescribeTable",
                "dynamodb:ListTagsOfResource",
                "dynamodb:StartAwsBackupJob",
            ],
            tables.iter().map(|s| s.arn.clone()).collect(),
        ));
        statements.push(Statement::allow(
            "ManageTableBackups",
            &["dynamodb:DeleteBackup", "dynamodb:DescribeBackup"],
            tables.iter().flat_map(|s| s.backups.clone()).collect(),
        ));
    }
    let clusters: Vec<&Selected> = of(Selectable::Cluster).collect();
    if !clusters.is_empty() {
        let snapshots_here: Vec<Value> = clusters.iter().flat_map(|s| s.backups.clone()).collect();
        let snapshots_there = Value::sub(format!(
            "arn:${{AWS::Partition}}:rds:{copy_region}:${{AWS::AccountId}}:cluster-snapshot:awsbackup:*"
        ));
        statements.push(Statement::allow(
            "SnapshotClusters",
            &[
                "rds:AddTagsToResource",
                "rds:CreateDBClusterSnapshot",
                "rds:DescribeDBClusters",
                "rds:ListTagsForResource",
            ],
            clusters
                .iter()
                .map(|s| s.arn.clone())
                .chain(snapshots_here.iter().cloned())
                .collect(),
        ));
        statements.push(Statement::allow(
            "ManageClusterSnapshots",
            &[
                "rds:AddTagsToResource",
                "rds:CopyDBClusterSnapshot",
                "rds:DeleteDBClusterSnapshot",
                "rds:DescribeDBClusterSnapshots",
                "rds:ListTagsForResource",
            ],
            snapshots_here
                .into_iter()
                .chain(std::iter::once(snapshots_there))
                .collect(),
        ));
    }
    let vault_here = Value::sub(accounts::backup_vault_arn_sub(cx.region));
    let vault_there = Value::sub(accounts::backup_vault_arn_sub(copy_region));
    statements.push(Statement::allow(
        "CopyIntoVaults",
        &["backup:CopyIntoBackupVault", "backup:DescribeBackupVault"],
        vec![vault_here, vault_there],
    ));
    let mut keys: Vec<&str> = selected.iter().map(|s| s.key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    let key_actions = [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
    ];
    statements.push(Statement::allow(
        "UseResourceKeys",
        &key_actions,
        keys.iter().map(|k| cx.key_arn(k)).collect(),
    ));
    // The services create grants on the keys for the backup and copy jobs
    // they run; a grant for anything else is refused.
    let mut grants = Statement::allow(
        "GrantResourceKeysToServices",
        &["kms:CreateGrant"],
        keys.iter().map(|k| cx.key_arn(k)).collect(),
    );
    grants.condition = Some(Value::map([(
        "Bool",
        Value::map([("kms:GrantIsForAWSResource", Value::str("true"))]),
    )]));
    statements.push(grants);
    // The vault keys are the bootstrap's, one per region, known by alias.
    let mut vault_keys = Statement::allow(
        "UseVaultKeys",
        &key_actions,
        [cx.region, copy_region]
            .iter()
            .map(|r| {
                Value::sub(format!(
                    "arn:${{AWS::Partition}}:kms:{r}:${{AWS::AccountId}}:key/*"
                ))
            })
            .collect(),
    );
    vault_keys.condition = Some(Value::map([(
        "ForAnyValue:StringEquals",
        Value::map([(
            "kms:ResourceAliases",
            Value::str(accounts::BACKUP_VAULT_KEY_ALIAS),
        )]),
    )]));
    statements.push(vault_keys);

    let mut role = iam::bounded(Resource::new("AWS::IAM::Role"), cx.region)
        .prop(
            "RoleName",
            cx.physical_name("role", &format!("{}_backup", spec.name)),
        )
        .prop(
            "Description",
            format!("AWS Backup of the `{}` plan's resources", spec.name),
        )
        .prop(
            "AssumeRolePolicyDocument",
            iam::document(&[iam::service_trust(
                "BackupAssumeRole",
                "backup.amazonaws.com",
            )]),
        )
        .prop(
            "Policies",
            Value::list([Value::map([
                ("PolicyName", Value::str("backup")),
                ("PolicyDocument", iam::document(&statements)),
            ])]),
        )
        .prop("Tags", cx.tag_list());
    super::nag_suppress(
        &mut role,
        wildcard_findings(&statements),
        BACKUP_ROLE_WILDCARDS,
    );
    cx.add(role_id, role)
}
