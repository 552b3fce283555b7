//! The bootstrap stack `tp bootstrap` deploys in each account and region:
//! what every deploy there relies on and that no environment's stack may
//! own, because it is one per account and region.
//!
//! - the asset bucket deploys upload code and large templates to (encrypted,
//!   versioned, public access blocked, TLS-only, old versions and stale
//!   assets expired) and the SSM parameter naming it;
//! - the deploy role ([`accounts::deploy_role_name`]) the tooling accounts
//!   and operators assume: exactly what `tp deploy`, `diff`, `verify`,
//!   `destroy`, `status`, `drift` and `promote` call, on the platform's own
//!   stacks and names for the suffixes deployed here;
//! - the execution role ([`accounts::execution_role_name`]) CloudFormation
//!   changes those stacks with, and the permissions boundary
//!   ([`accounts::boundary_policy_name`]) of the roles they create, both
//!   generated from the synthesized templates ([`super::execution`]);
//! - API Gateway's CloudWatch role and the account's
//!   `AWS::ApiGateway::Account` setting naming it, which every stage's
//!   execution logging needs: a setting per account and region, so no
//!   environment's stack can own it without the last one deployed taking it
//!   from the others. Environments are therefore deployed into a
//!   bootstrapped region;
//! - what outlives every environment, retained on purpose (see
//!   `retained`): the backup vault the environments' backup plans back up
//!   and copy into, its key, its compliance-mode lock where production
//!   deploys, and the data key that encrypts what is backed up, whose ARN
//!   an SSM parameter records for the platform templates.

use crate::accounts;
use crate::naming::Suffix;
use crate::spec::Platform;
use crate::template::{Output, RemovalPolicy, Resource, Template, Value};

use super::execution::{self, ExecutionPolicy, Scope};
use super::iam::{self, Statement};
use super::{ASSET_BUCKET_SSM_NAME, Deployment, SynthError, pipeline};

/// The bootstrap stack's name, the same in every account and region.
pub const BOOTSTRAP_STACK: &str = "tp-bootstrap";
/// The bootstrap stack's output naming the asset bucket.
pub const BOOTSTRAP_OUTPUT: &str = "AssetBucketName";
/// The asset bucket of the account and region the stack is in.
pub const ASSET_BUCKET_NAME: &str = "tp-assets-${AWS::AccountId}-${AWS::Region}";

/// What one bootstrap stack is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapOptions {
    /// The region code (`us-east-1`).
    pub region: String,
    /// The account bootstrapped (12 digits).
    pub account: String,
    /// Tooling accounts whose principals may assume the deploy role (as
    /// far as their own policies let them), as `cdk bootstrap --trust`.
    pub trust: Vec<String>,
    /// Principal ARNs (a role or user) that may assume the deploy role.
    pub operators: Vec<String>,
    /// `(suffix, profile)` of each environment deployed into this account
    /// and region: the deploy and execution roles reach exactly their stacks.
    pub suffixes: Vec<(String, String)>,
    /// The pipeline stack's suffix (`cicd`): its stack is covered too when
    /// the pipeline runs in this account and region.
    pub pipeline_suffix: Option<String>,
}

/// The bootstrap stack's template for `opts`. Errors name a bad account id,
/// principal, region, suffix or profile.
pub fn bootstrap_template(
    platform: &Platform,
    opts: &BootstrapOptions,
) -> Result<Template, SynthError> {
    let stacks = covered_stacks(platform, opts)?;
    let templates: Vec<&Template> = stacks.iter().flat_map(|s| s.templates()).collect();
    let suffixes: Vec<String> = opts.suffixes.iter().map(|(s, _)| s.clone()).collect();
    let scope = Scope {
        platform,
        region: &opts.region,
        suffixes: &suffixes,
    };
    let policy = execution::execution_policy(&templates, &scope);
    let boundary = execution::boundary_policy(&templates, &scope);
    let mut t = assemble(platform, opts, &stacks, &policy, &boundary)?;
    if let Some(days) = archive_days(platform, opts) {
        for (id, resource) in archive(platform, opts, days) {
            t.add(&id, resource)
                .map_err(|e| SynthError::DuplicateId(e.0.clone()))?;
        }
    }
    Ok(t)
}

/// The archive's default retention: the longest `archive:` the definition
/// gives a profile deployed into this account and region (every profile
/// when none is named yet); `None` when nothing is archived.
pub fn archive_days(platform: &Platform, opts: &BootstrapOptions) -> Option<u32> {
    let profiles: Vec<&str> = if opts.suffixes.is_empty() {
        platform.profiles.iter().map(String::as_str).collect()
    } else {
        opts.suffixes.iter().map(|(_, p)| p.as_str()).collect()
    };
    let pipeline = pipeline_here(platform, opts).then_some(pipeline::PIPELINE_ARCHIVE_DAYS);
    archived_buckets(platform)
        .flat_map(|(_, spec)| profiles.iter().filter_map(|p| spec.archive_days.get(p)))
        .chain(pipeline)
        .max()
}

/// Whether the pipeline's stack is deployed into this account and region.
fn pipeline_here(platform: &Platform, opts: &BootstrapOptions) -> bool {
    match (&platform.pipeline, &opts.pipeline_suffix) {
        (Some(p), Some(_)) => {
            let account = match &p.account {
                Some(account) => *account == opts.account,
                None => platform.accounts.is_none(),
            };
            account && p.region == opts.region
        }
        _ => false,
    }
}

fn archived_buckets(platform: &Platform) -> impl Iterator<Item = (&str, &crate::spec::BucketSpec)> {
    platform.resources.iter().filter_map(|r| match &r.spec {
        crate::spec::Spec::Bucket(b) => Some((r.name.as_str(), b)),
        _ => None,
    })
}

const ARCHIVE_BUCKET: &str = "ArchiveBucket";
const ARCHIVE_KEY: &str = "ArchiveKey";

/// Why the archive keeps no server access logs of its own.
const ARCHIVE_UNLOGGED: &str = "The archive is written only by S3 replication with the platform's replication roles: its policy denies every other write, every delete of an object or version and every retention or legal-hold change to every principal, and Object Lock in COMPLIANCE mode keeps each version until its retention ends whatever anyone does; the records it holds are the audit bucket's objects and that bucket's server access logs, replicated";

/// The write-once archive, per account and region: an Object Lock bucket in
/// COMPLIANCE mode with a default retention of `days`, versioned, encrypted
/// with a key of its own, TLS-only, public access blocked, and the SSM
/// parameter naming that key for the platform's templates. It outlives
/// every environment and this stack too (`DeletionPolicy: Retain`): in
/// COMPLIANCE mode not even the account's root can delete a locked version,
/// so the bucket could not be deleted anyway, and its key must stay to
/// read what it holds.
fn archive(platform: &Platform, opts: &BootstrapOptions, days: u32) -> Vec<(String, Resource)> {
    let statements =
        super::constructs::key_policy(vec![Value::sub("s3.${AWS::Region}.amazonaws.com")]);
    let key = super::constructs::kms_key(
        "tp audit archive: the write-once copies of the platform's records",
        true,
        30,
        &statements,
    )
    .outlives_the_stack();
    let alias = Resource::new("AWS::KMS::Alias")
        .prop("AliasName", "alias/tp-audit-archive")
        .prop("TargetKeyId", Value::reference(ARCHIVE_KEY));
    let mut bucket = super::constructs::private_bucket(
        Value::sub(super::ARCHIVE_BUCKET_NAME),
        Value::map([
            ("SSEAlgorithm", Value::str("aws:kms")),
            ("KMSMasterKeyID", Value::get_att(ARCHIVE_KEY, "Arn")),
        ]),
        true,
        vec![Value::map([
            ("Id", Value::str("ExpireAfterRetention")),
            ("Status", Value::str("Enabled")),
            // A record's version becomes noncurrent when it expires, and is
            // removed a day later, once its retention has ended: S3 never
            // removes a version that is still locked.
            ("ExpirationInDays", Value::from(days)),
            (
                "NoncurrentVersionExpiration",
                Value::map([("NoncurrentDays", Value::Int(1))]),
            ),
            (
                "AbortIncompleteMultipartUpload",
                Value::map([("DaysAfterInitiation", Value::Int(1))]),
            ),
        ])],
    )
    .prop("ObjectLockEnabled", true)
    .prop(
        "ObjectLockConfiguration",
        Value::map([
            ("ObjectLockEnabled", Value::str("Enabled")),
            (
                "Rule",
                Value::map([(
                    "DefaultRetention",
                    Value::map([
                        ("Mode", Value::str("COMPLIANCE")),
                        ("Days", Value::from(days)),
                    ]),
                )]),
            ),
        ]),
    )
    .outlives_the_stack();
    super::checkov_skip(&mut bucket, &[("CKV_AWS_18", ARCHIVE_UNLOGGED)]);
    let mut ids = super::compliance_rule("S3BucketLoggingEnabled", super::HIPAA_NIST_PCI);
    ids.push("AwsSolutions-S1".into());
    super::nag_suppress(&mut bucket, ids, ARCHIVE_UNLOGGED);
    super::nag_suppress(
        &mut bucket,
        super::compliance_rule("S3BucketReplicationEnabled", super::HIPAA_NIST_PCI),
        "This bucket is the replication destination: the write-once copy of the archived buckets, kept under Object Lock in COMPLIANCE mode in the account and region the records are made in",
    );
    let archive_arn = Value::get_att(ARCHIVE_BUCKET, "Arn");
    let objects = Value::sub(format!("${{{ARCHIVE_BUCKET}.Arn}}/*"));
    let writers = replication_roles(platform, opts);
    let mut only_replication = Statement {
        sid: "DenyWritesButReplication".into(),
        effect: "Deny",
        actions: ["s3:PutObject", "s3:ReplicateObject", "s3:ReplicateTags"]
            .map(String::from)
            .to_vec(),
        resources: vec![objects.clone()],
        principal: Some(Value::str("*")),
        condition: None,
    };
    if !writers.is_empty() {
        only_replication.condition = Some(Value::map([(
            "ArnNotEquals",
            Value::map([("aws:PrincipalArn", Value::List(writers))]),
        )]));
    }
    let policy = Resource::new("AWS::S3::BucketPolicy")
        .prop("Bucket", Value::reference(ARCHIVE_BUCKET))
        .prop(
            "PolicyDocument",
            iam::document(&[
                iam::deny_insecure_transport("s3:*", vec![archive_arn, objects.clone()]),
                only_replication,
                Statement {
                    sid: "DenyDeletesAndLockChanges".into(),
                    effect: "Deny",
                    actions: [
                        "s3:BypassGovernanceRetention",
                        "s3:DeleteObject",
                        "s3:DeleteObjectVersion",
                        "s3:PutObjectLegalHold",
                        "s3:PutObjectRetention",
                        "s3:ReplicateDelete",
                    ]
                    .map(String::from)
                    .to_vec(),
                    resources: vec![objects],
                    principal: Some(Value::str("*")),
                    condition: None,
                },
            ]),
        )
        .outlives_the_stack();
    let parameter = Resource::new("AWS::SSM::Parameter")
        .prop("Name", super::ARCHIVE_KEY_SSM_NAME)
        .prop("Type", "String")
        .prop("Value", Value::get_att(ARCHIVE_KEY, "Arn"))
        .prop(
            "Description",
            "The key of the tp audit archive of this region, for replicas",
        );
    vec![
        (ARCHIVE_KEY.into(), key),
        ("ArchiveKeyAlias".into(), alias),
        (ARCHIVE_BUCKET.into(), bucket),
        ("ArchiveBucketPolicy".into(), policy),
        ("ArchiveKeyParameter".into(), parameter),
    ]
}

/// What outlives every environment and the bootstrap stack itself.
trait OutlivesTheStack {
    fn outlives_the_stack(self) -> Self;
}

impl OutlivesTheStack for Resource {
    /// Retained when the stack is deleted or the resource replaced, but
    /// deleted when the stack's creation rolls back: what a failed first
    /// bootstrap created is empty, and leaving it would block the next
    /// attempt with a name already taken (`RetainExceptOnCreate`).
    fn outlives_the_stack(self) -> Self {
        let mut r = self.removal(crate::template::RemovalPolicy::Retain);
        r.deletion_policy = Some(crate::template::RemovalPolicy::RetainExceptOnCreate);
        r
    }
}

/// The ARNs of the replication roles of the archived buckets of every
/// environment deployed into this account and region: the only principals
/// that may write to the archive.
fn replication_roles(platform: &Platform, opts: &BootstrapOptions) -> Vec<Value> {
    let derived = crate::catalog::derived_names(crate::catalog::Kind::Bucket)
        .next()
        .expect("a bucket's replication role");
    let role = |name: &str, suffix: &str| {
        crate::naming::physical_name(
            derived.short_type,
            &format!("{name}{}", derived.purpose_suffix),
            &opts.region,
            suffix,
        )
    };
    let mut roles: Vec<String> = opts
        .suffixes
        .iter()
        .flat_map(|(suffix, profile)| {
            archived_buckets(platform)
                .filter(|(_, spec)| spec.archive_days.get(profile).is_some())
                .map(|(name, _)| role(name, suffix))
                .collect::<Vec<_>>()
        })
        .collect();
    if let (true, Some(p), Some(suffix)) = (
        pipeline_here(platform, opts),
        &platform.pipeline,
        &opts.pipeline_suffix,
    ) {
        roles.push(role(&pipeline::logs_bucket(p), suffix));
    }
    roles.sort_unstable();
    roles.dedup();
    roles
        .iter()
        .map(|r| {
            Value::sub(format!(
                "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{r}"
            ))
        })
        .collect()
}

/// The execution role's actions that can only be granted on `"*"` in
/// `opts`' bootstrap, each with why, sorted by action.
pub fn unscoped_actions(
    platform: &Platform,
    opts: &BootstrapOptions,
) -> Result<Vec<(String, String)>, SynthError> {
    let stacks = covered_stacks(platform, opts)?;
    let templates: Vec<&Template> = stacks.iter().flat_map(|s| s.templates()).collect();
    let suffixes: Vec<String> = opts.suffixes.iter().map(|(s, _)| s.clone()).collect();
    let scope = Scope {
        platform,
        region: &opts.region,
        suffixes: &suffixes,
    };
    Ok(execution::execution_policy(&templates, &scope).unscoped)
}

/// The stack holding the bootstrap's IAM: the deploy role, the execution
/// role and its policies, the permissions boundary.
pub const ACCESS_STACK: &str = "tp-bootstrap-access";

/// One region's bootstrap as it is deployed: two stacks. The execution
/// role's generated policies make the whole larger than CloudFormation
/// takes inline (51,200 bytes), and a larger template must come from a
/// bucket, so the bucket's stack ([`BOOTSTRAP_STACK`]) is deployed first
/// and the IAM's ([`ACCESS_STACK`]) is uploaded to that bucket.
#[derive(Debug, Clone)]
pub struct BootstrapStacks {
    /// The asset bucket, its policy and SSM parameter, API Gateway's
    /// logging role and account setting.
    pub storage: Template,
    /// The deploy role, the execution role and its managed policies, the
    /// permissions boundary.
    pub access: Template,
}

/// [`bootstrap_template`], split into the two stacks it is deployed as.
pub fn bootstrap_stacks(
    platform: &Platform,
    opts: &BootstrapOptions,
) -> Result<BootstrapStacks, SynthError> {
    let mut storage = bootstrap_template(platform, opts)?;
    let mut access = Template {
        description: format!(
            "tp bootstrap of {}: the deploy and execution roles and the permissions boundary",
            opts.region
        ),
        ..Template::default()
    };
    let ids: Vec<String> = storage
        .resources
        .keys()
        .filter(|id| {
            [DEPLOY_ROLE, EXECUTION_ROLE, BOUNDARY_POLICY].contains(&id.as_str())
                || id.starts_with("ExecutionPolicy")
        })
        .cloned()
        .collect();
    for id in ids {
        let resource = storage.resources.remove(&id).expect("listed");
        access.resources.insert(id, resource);
    }
    for t in [&storage, &access] {
        let dangling = t.dangling_references();
        if !dangling.is_empty() {
            return Err(SynthError::Dangling(dangling));
        }
    }
    Ok(BootstrapStacks { storage, access })
}

/// The stacks the roles manage, synthesized.
struct Covered {
    name: String,
    templates: Vec<Template>,
    after_deploy: Vec<String>,
    /// Whether `tp deploy` looks up hosted zones by domain for the stack
    /// ([`super::ZoneLookup`]).
    looks_up_zones: bool,
}

impl Covered {
    fn templates(&self) -> impl Iterator<Item = &Template> {
        self.templates.iter()
    }
}

fn covered_stacks(
    platform: &Platform,
    opts: &BootstrapOptions,
) -> Result<Vec<Covered>, SynthError> {
    if !platform.regions.contains(&opts.region) {
        return Err(SynthError::Invalid(format!(
            "region `{}` is not one of the platform's regions ({})",
            opts.region,
            platform.regions.join(", ")
        )));
    }
    if !accounts::is_account_id(&opts.account) {
        return Err(SynthError::Invalid(format!(
            "account `{}` is not an AWS account id (12 digits)",
            opts.account
        )));
    }
    for t in &opts.trust {
        if !accounts::is_account_id(t) {
            return Err(SynthError::Invalid(format!(
                "trusted account `{t}` is not an AWS account id (12 digits); name the tooling account, e.g. 444444444444"
            )));
        }
    }
    for o in &opts.operators {
        if !(o.starts_with("arn:") && o.contains(":iam::")) {
            return Err(SynthError::Invalid(format!(
                "operator `{o}` is not an IAM principal ARN (arn:aws:iam::ACCOUNT:role/NAME or :user/NAME)"
            )));
        }
    }
    let mut covered = Vec::new();
    for (suffix, profile) in &opts.suffixes {
        let deployment = Deployment::new(
            platform,
            suffix,
            Some(profile),
            std::slice::from_ref(&opts.region),
        )
        .map_err(|e| SynthError::Invalid(e.to_string()))?;
        for stack in super::synth(platform, &deployment)?.stacks {
            covered.push(Covered {
                name: stack.name.clone(),
                after_deploy: stack
                    .after_deploy
                    .iter()
                    .map(|a| a.function_name.clone())
                    .collect(),
                looks_up_zones: !stack.zone_lookups.is_empty(),
                templates: std::iter::once(stack.template)
                    .chain(stack.nested.into_iter().map(|n| n.template))
                    .collect(),
            });
        }
    }
    if let (Some(p), Some(suffix)) = (&platform.pipeline, &opts.pipeline_suffix) {
        let here = match &p.account {
            Some(account) => *account == opts.account,
            None => platform.accounts.is_none(),
        };
        if here && p.region == opts.region {
            let suffix = Suffix::new(suffix, platform.suffix_max)
                .map_err(|e| SynthError::Invalid(format!("pipeline suffix: {e}")))?;
            for stack in pipeline::synth_pipeline(platform, &suffix)?.stacks {
                covered.push(Covered {
                    name: stack.name,
                    after_deploy: Vec::new(),
                    looks_up_zones: !stack.zone_lookups.is_empty(),
                    templates: vec![stack.template],
                });
            }
        }
    }
    Ok(covered)
}

const ASSET_BUCKET: &str = "AssetBucket";
const DEPLOY_ROLE: &str = "DeployRole";
const EXECUTION_ROLE: &str = "ExecutionRole";
const BOUNDARY_POLICY: &str = "PermissionsBoundary";
const API_GATEWAY_ROLE: &str = "ApiGatewayCloudWatchRole";

fn assemble(
    platform: &Platform,
    opts: &BootstrapOptions,
    stacks: &[Covered],
    policy: &ExecutionPolicy,
    boundary: &[Value],
) -> Result<Template, SynthError> {
    let mut t = Template {
        description: format!(
            "tp bootstrap of {}: the asset bucket, the deploy and execution roles, the permissions boundary and API Gateway's logging role",
            opts.region
        ),
        ..Template::default()
    };
    let mut add = |id: &str, r: Resource| {
        t.add(id, r)
            .map_err(|e| SynthError::DuplicateId(e.0.clone()))
    };
    add(ASSET_BUCKET, asset_bucket())?;
    add("AssetBucketPolicy", asset_bucket_policy())?;
    add(
        "AssetBucketParameter",
        Resource::new("AWS::SSM::Parameter")
            .prop("Name", ASSET_BUCKET_SSM_NAME)
            .prop("Type", "String")
            .prop("Value", Value::reference(ASSET_BUCKET))
            .prop("Description", "The tp asset bucket of this region"),
    )?;
    if let Some(role) = deploy_role(opts, stacks) {
        add(DEPLOY_ROLE, role)?;
    }
    add(EXECUTION_ROLE, execution_role(&opts.region))?;
    for (id, resource) in execution_policies(&opts.region, policy)? {
        add(&id, resource)?;
    }
    if !boundary.is_empty() {
        add(
            BOUNDARY_POLICY,
            Resource::new("AWS::IAM::ManagedPolicy")
                .prop(
                    "ManagedPolicyName",
                    accounts::boundary_policy_name(&opts.region),
                )
                .prop(
                    "Description",
                    "The permissions boundary of every role the platform creates",
                )
                .prop("PolicyDocument", policy_document(boundary.to_vec())),
        )?;
    }
    for (id, resource) in retained(platform, opts) {
        add(&id, resource)?;
    }
    add(API_GATEWAY_ROLE, api_gateway_role(&opts.region))?;
    add(
        "ApiGatewayAccount",
        Resource::new("AWS::ApiGateway::Account")
            .prop("CloudWatchRoleArn", Value::get_att(API_GATEWAY_ROLE, "Arn")),
    )?;
    super::suppress_inline_policy_findings(&mut t);
    let suffixes: Vec<String> = opts
        .suffixes
        .iter()
        .map(|(s, _)| s.clone())
        .chain(opts.pipeline_suffix.clone())
        .collect();
    super::nag::suppress_wildcard_findings(
        &mut t,
        &super::nag::NagScope {
            region: &opts.region,
            suffixes: &suffixes,
        },
    );
    if let Some(boundary) = t.resources.get_mut(BOUNDARY_POLICY) {
        super::nag::suppress_boundary_wildcards(boundary);
    }
    t.outputs.insert(
        BOOTSTRAP_OUTPUT.into(),
        Output {
            value: Value::reference(ASSET_BUCKET),
            description: "The bucket tp deploys upload to".into(),
            export: None,
        },
    );
    Ok(t)
}

const BACKUP_VAULT: &str = "BackupVault";
const BACKUP_VAULT_KEY: &str = "BackupVaultKey";
const RETAINED_DATA_KEY: &str = "RetainedDataKey";

/// Days a compliance-mode vault lock can still be changed or removed after
/// it is set (AWS Backup's minimum grace time); after them it is immutable,
/// and nobody, the account's root included, can delete a recovery point
/// before its retention ends or delete the vault while it holds one.
pub const VAULT_LOCK_CHANGEABLE_DAYS: u32 = 3;

/// What outlives environments in an account and region, so what they back
/// up stays restorable after `tp destroy`: the backup vault and its key,
/// and the data key the backed-up tables and clusters are encrypted with
/// (with its SSM parameter, which platform templates read). Bootstrap
/// stacks are not platform stacks: these are retained on purpose
/// (`RetainExceptOnCreate`: kept when the stack is deleted, deleted only
/// when its creation rolls back), and a vault holding recovery points
/// cannot be deleted anyway.
///
/// When a production profile deploys here, the vault is locked in
/// compliance mode: no recovery point can be deleted, or its retention
/// shortened, below the shortest retention of the plans deployed into this
/// account (production's at least 35 days, `backup-retention-prod`).
fn retained(platform: &Platform, opts: &BootstrapOptions) -> Vec<(String, Resource)> {
    let region = &opts.region;
    // Retained when the stack is deleted or they are replaced; deleted when
    // the stack's first creation rolls back, so that a failed bootstrap
    // leaves no vault whose fixed name would refuse the next attempt.
    let keep = |r: Resource| {
        let mut r = r.removal(RemovalPolicy::Retain);
        r.deletion_policy = Some(RemovalPolicy::RetainExceptOnCreate);
        r
    };
    let vault_key = retained_key(
        "Encrypts the recovery points of the tp backup vault of this region",
        &["backup", "rds"],
        region,
    );
    let data_key = retained_key(
        "Encrypts what tp environments back up (tables, database storage and snapshots), outliving every environment",
        &["backup", "dynamodb", "rds", "secretsmanager"],
        region,
    );
    let mut vault = Resource::new("AWS::Backup::BackupVault")
        .prop("BackupVaultName", accounts::backup_vault_name(region))
        .prop("EncryptionKeyArn", Value::get_att(BACKUP_VAULT_KEY, "Arn"));
    if let Some(min_days) = lock_min_retention(platform, opts) {
        vault = vault.prop(
            "LockConfiguration",
            Value::map([
                ("MinRetentionDays", Value::Int(i64::from(min_days))),
                (
                    "ChangeableForDays",
                    Value::Int(i64::from(VAULT_LOCK_CHANGEABLE_DAYS)),
                ),
            ]),
        );
    }
    let alias = |name: &str, key: &str| {
        Resource::new("AWS::KMS::Alias")
            .prop("AliasName", name)
            .prop("TargetKeyId", Value::reference(key))
    };
    vec![
        (BACKUP_VAULT_KEY.into(), keep(vault_key)),
        (
            "BackupVaultKeyAlias".into(),
            alias(accounts::BACKUP_VAULT_KEY_ALIAS, BACKUP_VAULT_KEY),
        ),
        (BACKUP_VAULT.into(), keep(vault)),
        (RETAINED_DATA_KEY.into(), keep(data_key)),
        (
            "RetainedDataKeyAlias".into(),
            alias(accounts::RETAINED_DATA_KEY_ALIAS, RETAINED_DATA_KEY),
        ),
        (
            "RetainedDataKeyParameter".into(),
            Resource::new("AWS::SSM::Parameter")
                .prop("Name", accounts::RETAINED_DATA_KEY_SSM_NAME)
                .prop("Type", "String")
                .prop("Value", Value::get_att(RETAINED_DATA_KEY, "Arn"))
                .prop(
                    "Description",
                    "The tp data key that outlives environments, of this region",
                ),
        ),
    ]
}

/// The vault lock's minimum retention: when a production profile deploys
/// into this account and region, the shortest retention of any backup plan
/// of the profiles deployed here (a shorter one would be refused by the
/// lock); none otherwise.
pub fn lock_min_retention(platform: &Platform, opts: &BootstrapOptions) -> Option<u32> {
    let production = platform.production_profiles();
    if !opts
        .suffixes
        .iter()
        .any(|(_, profile)| production.contains(&profile.as_str()))
    {
        return None;
    }
    opts.suffixes
        .iter()
        .flat_map(|(_, profile)| {
            platform
                .backups
                .iter()
                .map(move |b| b.retention_days.get(profile))
        })
        .min()
}

/// A key of the bootstrap: the account administers it but uses it only
/// through `services` (as the platform's own keys), rotated yearly, with
/// 30 days to cancel a scheduled deletion.
fn retained_key(description: &str, services: &[&str], region: &str) -> Resource {
    let via = services
        .iter()
        .map(|s| Value::str(format!("{s}.{region}.amazonaws.com")))
        .collect();
    super::constructs::kms_key(description, true, 30, &super::constructs::key_policy(via))
}

/// Why the asset bucket keeps no server access logs.
const ASSET_BUCKET_UNLOGGED: &str = "Holds only content-addressed deploy artifacts (code zips, templates, release records) that tp writes and CloudFormation reads; who deployed what is in CloudFormation's stack events and CloudTrail, and an access-log bucket would itself need one";

fn asset_bucket() -> Resource {
    let mut bucket = super::constructs::private_bucket(
        Value::sub(ASSET_BUCKET_NAME),
        Value::map([("SSEAlgorithm", Value::str("AES256"))]),
        false,
        vec![Value::map([
            ("Id", Value::str("ExpireOldAssets")),
            ("Status", Value::str("Enabled")),
            // `tp deploy` uploads again whatever has expired.
            ("ExpirationInDays", Value::Int(365)),
            (
                "NoncurrentVersionExpiration",
                Value::map([("NoncurrentDays", Value::Int(30))]),
            ),
            (
                "AbortIncompleteMultipartUpload",
                Value::map([("DaysAfterInitiation", Value::Int(1))]),
            ),
        ])],
    );
    super::checkov_skip(&mut bucket, &[("CKV_AWS_18", ASSET_BUCKET_UNLOGGED)]);
    let mut ids = super::compliance_rule("S3BucketLoggingEnabled", super::HIPAA_NIST_PCI);
    ids.push("AwsSolutions-S1".into());
    super::nag_suppress(&mut bucket, ids, ASSET_BUCKET_UNLOGGED);
    super::nag_suppress(
        &mut bucket,
        super::compliance_rule("S3BucketReplicationEnabled", super::HIPAA_NIST_PCI),
        "Holds only content-addressed deploy artifacts that tp deploy builds from the repository and uploads again whenever one is missing; no record lives only here",
    );
    super::nag_suppress(
        &mut bucket,
        super::compliance_rule("S3DefaultEncryptionKMS", super::HIPAA_NIST_PCI),
        "Holds only deploy artifacts built from the repository (function code, templates), no data and no secrets (those are in Secrets Manager and encrypted with the platform's keys); SSE-S3 lets CloudFormation and Lambda read them without a key grant to every service and role that deploys",
    );
    bucket
}

fn asset_bucket_policy() -> Resource {
    let deny = iam::deny_insecure_transport(
        "s3:*",
        vec![
            Value::get_att(ASSET_BUCKET, "Arn"),
            Value::sub(format!("${{{ASSET_BUCKET}.Arn}}/*")),
        ],
    );
    Resource::new("AWS::S3::BucketPolicy")
        .prop("Bucket", Value::reference(ASSET_BUCKET))
        .prop("PolicyDocument", iam::document(&[deny]))
}

fn arn(service: &str, region: &str, resource: &str) -> Value {
    Value::sub(format!(
        "arn:${{AWS::Partition}}:{service}:{region}:${{AWS::AccountId}}:{resource}"
    ))
}

/// The literal physical names of `cfn_type` resources (their `property`).
fn names<'a>(stacks: &'a [Covered], cfn_type: &'a str, property: &'a str) -> Vec<&'a str> {
    let mut out: Vec<&str> = stacks
        .iter()
        .flat_map(|s| s.templates())
        .flat_map(|t| t.resources.values())
        .filter(|r| r.cfn_type == cfn_type)
        .filter_map(|r| match r.properties.get(property) {
            Some(Value::Str(name)) => Some(name.as_str()),
            // A name with `${AWS::AccountId}` (a bucket's, when the
            // definition names no account): the bootstrap stack is in the
            // same account, so the same `Fn::Sub` text names the same thing.
            Some(Value::Sub(name, vars)) if vars.is_empty() => Some(name.as_str()),
            _ => None,
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The deploy role, or none when nobody outside the account is to assume
/// it (operators in the account deploy with their own credentials).
fn deploy_role(opts: &BootstrapOptions, stacks: &[Covered]) -> Option<Resource> {
    let mut principals: Vec<Value> = opts
        .trust
        .iter()
        .map(|a| Value::sub(format!("arn:${{AWS::Partition}}:iam::{a}:root")))
        .collect();
    principals.extend(opts.operators.iter().map(|o| Value::str(o.clone())));
    if principals.is_empty() {
        return None;
    }
    let trust = Statement {
        principal: Some(Value::map([("AWS", Value::List(principals))])),
        ..Statement::allow("AssumedByTrustedAccounts", &["sts:AssumeRole"], Vec::new())
    };
    let statements = deploy_statements(opts, stacks);
    let role = Resource::new("AWS::IAM::Role")
        .prop("RoleName", accounts::deploy_role_name(&opts.region))
        .prop(
            "Description",
            "tp deploy, diff, verify, destroy, status, drift and promote of the platform's stacks",
        )
        .prop("AssumeRolePolicyDocument", iam::document(&[trust]))
        .prop(
            "Policies",
            Value::list([Value::map([
                ("PolicyName", Value::str("tp-deploy")),
                ("PolicyDocument", iam::document(&statements)),
            ])]),
        );
    Some(role)
}

/// What the deploy role may do: the calls `tp` makes, on the covered
/// stacks' names.
fn deploy_statements(opts: &BootstrapOptions, stacks: &[Covered]) -> Vec<Statement> {
    let region = opts.region.as_str();
    let mut stack_arns = Vec::new();
    for s in stacks {
        stack_arns.push(arn(
            "cloudformation",
            region,
            &format!("stack/{}/*", s.name),
        ));
        // Nested stacks are named after their parent.
        stack_arns.push(arn(
            "cloudformation",
            region,
            &format!("stack/{}-*/*", s.name),
        ));
    }
    let bucket = format!("arn:${{AWS::Partition}}:s3:::{ASSET_BUCKET_NAME}");
    let mut statements = Vec::new();
    if !stack_arns.is_empty() {
        statements.push(Statement::allow(
            "ManageStacks",
            &[
                "cloudformation:CreateChangeSet",
                "cloudformation:DeleteChangeSet",
                "cloudformation:DeleteStack",
                "cloudformation:DescribeChangeSet",
                "cloudformation:DescribeStackEvents",
                "cloudformation:DescribeStackResourceDrifts",
                "cloudformation:DescribeStacks",
                "cloudformation:DetectStackDrift",
                "cloudformation:ExecuteChangeSet",
                "cloudformation:GetTemplate",
                "cloudformation:ListStackResources",
                "cloudformation:SetStackPolicy",
            ],
            stack_arns,
        ));
    }
    statements.extend([
        Statement::allow(
            "ReadBootstrapStack",
            &["cloudformation:DescribeStacks"],
            vec![arn(
                "cloudformation",
                region,
                &format!("stack/{BOOTSTRAP_STACK}/*"),
            )],
        ),
        Statement::allow(
            "DriftDetectionStatus",
            &["cloudformation:DescribeStackDriftDetectionStatus"],
            vec![Value::str("*")],
        ),
        Statement::allow(
            "ReadAssetBucketName",
            &["ssm:GetParameter", "ssm:GetParameters"],
            vec![arn(
                "ssm",
                region,
                &format!("parameter{ASSET_BUCKET_SSM_NAME}"),
            )],
        ),
        Statement::allow(
            "UploadAssets",
            &["s3:GetObject", "s3:ListBucket", "s3:PutObject"],
            vec![
                Value::sub(bucket.clone()),
                Value::sub(format!("{bucket}/*")),
            ],
        ),
        Statement {
            condition: Some(Value::map([(
                "StringEquals",
                Value::map([(
                    "iam:PassedToService",
                    Value::str("cloudformation.amazonaws.com"),
                )]),
            )])),
            ..Statement::allow(
                "PassExecutionRole",
                &["iam:PassRole"],
                vec![Value::get_att(EXECUTION_ROLE, "Arn")],
            )
        },
    ]);
    if stacks.iter().any(|s| s.looks_up_zones) {
        // The id of an existing zone named by its domain fills a stack's
        // parameter; Route 53 lists zones on no narrower resource.
        statements.push(Statement::allow(
            "LookUpHostedZones",
            &["route53:ListHostedZonesByName"],
            vec![Value::str("*")],
        ));
    }
    let buckets = names(stacks, "AWS::S3::Bucket", "BucketName");
    if !buckets.is_empty() {
        statements.push(Statement::allow(
            "EmptyBucketsOnDestroy",
            &[
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                "s3:ListBucket",
                "s3:ListBucketVersions",
            ],
            buckets
                .iter()
                .flat_map(|b| {
                    [
                        Value::sub(format!("arn:${{AWS::Partition}}:s3:::{b}")),
                        Value::sub(format!("arn:${{AWS::Partition}}:s3:::{b}/*")),
                    ]
                })
                .collect(),
        ));
    }
    let alarms = names(stacks, "AWS::CloudWatch::Alarm", "AlarmName");
    if !alarms.is_empty() {
        statements.push(Statement::allow(
            "ReadAlarms",
            &["cloudwatch:DescribeAlarms"],
            alarms
                .iter()
                .map(|a| arn("cloudwatch", region, &format!("alarm:{a}")))
                .collect(),
        ));
    }
    let queues = names(stacks, "AWS::SQS::Queue", "QueueName");
    if !queues.is_empty() {
        statements.push(Statement::allow(
            "ReadQueues",
            &["sqs:GetQueueAttributes"],
            queues.iter().map(|q| arn("sqs", region, q)).collect(),
        ));
    }
    let mut functions: Vec<&str> = stacks
        .iter()
        .flat_map(|s| s.after_deploy.iter().map(String::as_str))
        .collect();
    functions.sort_unstable();
    functions.dedup();
    if !functions.is_empty() {
        statements.push(Statement::allow(
            "RunAfterDeploy",
            &["lambda:InvokeFunction"],
            functions
                .iter()
                .map(|f| arn("lambda", region, &format!("function:{f}")))
                .collect(),
        ));
    }
    statements.push(Statement::allow(
        "WhoAmI",
        &["sts:GetCallerIdentity"],
        vec![Value::str("*")],
    ));
    statements
}

/// `{"Version": .., "Statement": statements}` for statements given as values.
fn policy_document(statements: Vec<Value>) -> Value {
    Value::map([
        ("Version", Value::str("2012-10-17")),
        ("Statement", Value::List(statements)),
    ])
}

/// The execution role. Its policy is the managed policies of
/// [`execution_policies`]; none leaves the role without permissions:
/// CloudFormation can then change nothing with it, which a deploy reports
/// resource by resource.
fn execution_role(region: &str) -> Resource {
    let trust = Statement {
        principal: Some(Value::map([(
            "Service",
            Value::str("cloudformation.amazonaws.com"),
        )])),
        ..Statement::allow("AssumedByCloudFormation", &["sts:AssumeRole"], Vec::new())
    };
    Resource::new("AWS::IAM::Role")
        .prop("RoleName", accounts::execution_role_name(region))
        .prop(
            "Description",
            "CloudFormation creates, updates and deletes the platform's resources with this role",
        )
        .prop("AssumeRolePolicyDocument", iam::document(&[trust]))
}

/// IAM's default quota of managed policies attached to one role.
const MANAGED_POLICIES_PER_ROLE: usize = 10;

/// The execution policy as managed policies attached to the execution
/// role, `ExecutionPolicy1..N` (`tp-cfn-exec-<region>-<n>`): it is several
/// times larger than a role's inline policies may be (10,240 characters),
/// so it is packed into policies of at most 6,144 characters each. A
/// policy holding an action that can only be granted on `"*"` names each
/// such action and why in its checkov skip.
fn execution_policies(
    region: &str,
    policy: &ExecutionPolicy,
) -> Result<Vec<(String, Resource)>, SynthError> {
    let packed = execution::pack(&policy.statements).map_err(SynthError::Invalid)?;
    if packed.len() > MANAGED_POLICIES_PER_ROLE {
        return Err(SynthError::Invalid(format!(
            "the execution policy of {region} needs {} managed policies, more than IAM's default quota of {MANAGED_POLICIES_PER_ROLE} per role; raise the quota or split the platform",
            packed.len()
        )));
    }
    let mut out = Vec::new();
    for (i, statements) in packed.into_iter().enumerate() {
        let unscoped: Vec<String> = policy
            .unscoped
            .iter()
            .filter(|(action, _)| {
                statements.iter().any(|s| {
                    let j = s.to_json();
                    j["Resource"] == "*"
                        && match &j["Action"] {
                            serde_json::Value::String(a) => a == action,
                            serde_json::Value::Array(a) => a.iter().any(|x| x == action.as_str()),
                            _ => false,
                        }
                })
            })
            .map(|(action, why)| format!("{action}: {why}"))
            .collect();
        let mut resource = Resource::new("AWS::IAM::ManagedPolicy")
            .prop(
                "ManagedPolicyName",
                format!("{}-{}", accounts::execution_role_name(region), i + 1),
            )
            .prop(
                "Description",
                format!(
                    "Part {} of what CloudFormation needs to create, update and delete the platform's resources",
                    i + 1
                ),
            )
            .prop("PolicyDocument", policy_document(statements))
            .prop("Roles", Value::list([Value::reference(EXECUTION_ROLE)]));
        if !unscoped.is_empty() {
            let why = unscoped.join("; ");
            super::checkov_skip(
                &mut resource,
                &[("CKV_AWS_109", why.as_str()), ("CKV_AWS_111", why.as_str())],
            );
        }
        out.push((format!("ExecutionPolicy{}", i + 1), resource));
    }
    Ok(out)
}

/// The role API Gateway writes every stage's execution and access logs in
/// this account and region with.
fn api_gateway_role(region: &str) -> Resource {
    let statements = [Statement::allow(
        "WriteApiGatewayLogs",
        &[
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:DescribeLogGroups",
            "logs:DescribeLogStreams",
            "logs:FilterLogEvents",
            "logs:GetLogEvents",
            "logs:PutLogEvents",
        ],
        vec![Value::sub(
            "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*",
        )],
    )];
    Resource::new("AWS::IAM::Role")
        .prop("RoleName", accounts::api_gateway_logs_role_name(region))
        .prop(
            "AssumeRolePolicyDocument",
            iam::document(&[iam::service_trust(
                "ApiGatewayAssumeRole",
                "apigateway.amazonaws.com",
            )]),
        )
        .prop(
            "Policies",
            Value::list([Value::map([
                ("PolicyName", Value::str("api-gateway-logs")),
                ("PolicyDocument", iam::document(&statements)),
            ])]),
        )
}

#[cfg(test)]
mod tests {
    use serde_json::{Value as Json, json};

    use super::*;
    use crate::spec::PerProfile;

    fn dev_account() -> BootstrapOptions {
        BootstrapOptions {
            region: "us-east-1".into(),
            account: "111111111111".into(),
            trust: vec!["444444444444".into()],
            operators: vec!["arn:aws:iam::111111111111:role/Admin".into()],
            suffixes: vec![("dev".into(), "dev".into())],
            pipeline_suffix: Some("cicd".into()),
        }
    }

    #[test]
    fn the_deploy_role_lists_hosted_zones_only_where_a_stack_looks_one_up() {
        let covered = |looks_up_zones| Covered {
            name: "trading-platform-us-east-2-dev".into(),
            templates: Vec::new(),
            after_deploy: Vec::new(),
            looks_up_zones,
        };
        let sids = |looks_up_zones| -> Vec<String> {
            deploy_statements(&dev_account(), &[covered(looks_up_zones)])
                .into_iter()
                .map(|s| s.sid)
                .collect()
        };
        assert!(sids(true).contains(&"LookUpHostedZones".to_owned()));
        assert!(!sids(false).contains(&"LookUpHostedZones".to_owned()));
    }

    fn json(platform: &Platform, opts: &BootstrapOptions) -> Json {
        bootstrap_template(platform, opts).unwrap().to_json()
    }

    fn statement<'a>(policy: &'a Json, sid: &str) -> &'a Json {
        policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no statement {sid} in {policy:#}"))
    }

    #[test]
    fn the_vault_and_the_keys_that_outlive_environments_are_retained() {
        let platform = super::super::tests::sample_with_backup();
        let t = json(&platform, &dev_account());
        let r = &t["Resources"];
        for id in [BACKUP_VAULT, BACKUP_VAULT_KEY, RETAINED_DATA_KEY] {
            assert_eq!(r[id]["DeletionPolicy"], "RetainExceptOnCreate", "{id}");
            assert_eq!(r[id]["UpdateReplacePolicy"], "Retain", "{id}");
        }
        let vault = &r[BACKUP_VAULT]["Properties"];
        assert_eq!(vault["BackupVaultName"], "tp-backup-us-east-1");
        assert_eq!(
            vault["EncryptionKeyArn"],
            json!({"Fn::GetAtt": [BACKUP_VAULT_KEY, "Arn"]})
        );
        for key in [BACKUP_VAULT_KEY, RETAINED_DATA_KEY] {
            let p = &r[key]["Properties"];
            assert_eq!(p["EnableKeyRotation"], true);
            assert_eq!(p["PendingWindowInDays"], 30);
            // Administration and use are separate: the account uses the
            // key only through the services.
            let policy = &p["KeyPolicy"];
            let admin = statement(policy, "KeyAdministration")["Action"].to_string();
            assert!(!admin.contains("kms:Decrypt"), "{admin}");
            assert!(statement(policy, "KeyUseThroughServices")["Condition"]["StringEquals"]["kms:ViaService"]
                .to_string()
                .contains("backup.us-east-1.amazonaws.com"));
        }
        assert_eq!(
            r["RetainedDataKeyParameter"]["Properties"]["Name"],
            accounts::RETAINED_DATA_KEY_SSM_NAME
        );
        // Dev alone deploys here: no lock.
        assert!(vault.get("LockConfiguration").is_none(), "{vault:#}");
    }

    #[test]
    fn the_vault_is_locked_where_production_deploys_with_the_shortest_retention_there() {
        let platform = super::super::tests::sample_with_backup();
        let mut opts = dev_account();
        opts.suffixes = vec![("prod".into(), "prod".into())];
        let t = json(&platform, &opts);
        assert_eq!(
            t["Resources"][BACKUP_VAULT]["Properties"]["LockConfiguration"],
            json!({"MinRetentionDays": 35, "ChangeableForDays": VAULT_LOCK_CHANGEABLE_DAYS})
        );
        // Dev beside production in one account: dev's shorter retention
        // is the lock's minimum, or the lock would refuse dev's backups.
        opts.suffixes.push(("dev".into(), "dev".into()));
        assert_eq!(lock_min_retention(&platform, &opts), Some(7));
        opts.suffixes.remove(0);
        assert_eq!(lock_min_retention(&platform, &opts), None);
    }

    #[test]
    fn the_asset_bucket_its_parameter_and_output_keep_their_names() {
        let t = json(&super::super::tests::sample(), &dev_account());
        let r = &t["Resources"];
        assert_eq!(
            r["AssetBucket"]["Properties"]["BucketName"],
            json!({"Fn::Sub": "tp-assets-${AWS::AccountId}-${AWS::Region}"})
        );
        assert_eq!(
            r["AssetBucketParameter"]["Properties"]["Name"],
            "/tp/bootstrap/asset-bucket"
        );
        assert_eq!(
            t["Outputs"][BOOTSTRAP_OUTPUT]["Value"],
            json!({"Ref": "AssetBucket"})
        );
        assert_eq!(
            r["AssetBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Condition"],
            json!({"Bool": {"aws:SecureTransport": "false"}})
        );
    }

    #[test]
    fn the_deploy_role_trusts_the_tooling_accounts_and_the_operators_only() {
        let t = json(&super::super::tests::sample(), &dev_account());
        let role = &t["Resources"]["DeployRole"]["Properties"];
        assert_eq!(role["RoleName"], "tp-deploy-us-east-1");
        assert_eq!(
            role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
            json!({"AWS": [
                {"Fn::Sub": "arn:${AWS::Partition}:iam::444444444444:root"},
                "arn:aws:iam::111111111111:role/Admin"
            ]})
        );
        let mut alone = dev_account();
        alone.trust.clear();
        alone.operators.clear();
        let t = json(&super::super::tests::sample(), &alone);
        assert!(t["Resources"].get("DeployRole").is_none());
    }

    #[test]
    fn the_deploy_role_reaches_exactly_the_stacks_and_names_of_the_suffixes_deployed_here() {
        let t = json(&super::super::tests::sample(), &dev_account());
        let policy = &t["Resources"]["DeployRole"]["Properties"]["Policies"][0]["PolicyDocument"];
        let text = policy.to_string();
        assert!(text.contains("stack/trading-us-east-1-dev/*"), "{text}");
        assert!(text.contains("stack/trading-us-east-1-dev-*/*"), "{text}");
        assert!(!text.contains("-prod"), "prod is not deployed here: {text}");
        assert!(!text.contains("us-west-2"), "{text}");
        assert_eq!(
            statement(policy, "PassExecutionRole")["Resource"],
            json!({"Fn::GetAtt": ["ExecutionRole", "Arn"]})
        );
        let alarms = statement(policy, "ReadAlarms")["Resource"].to_string();
        assert!(alarms.contains("alarm:alarm-"), "{alarms}");
        assert!(alarms.contains("-us-east-1-dev"), "{alarms}");
        for (sid, _) in [("ReadQueues", ()), ("WhoAmI", ()), ("UploadAssets", ())] {
            statement(policy, sid);
        }
        // Only what takes no resource is granted on "*".
        for s in policy["Statement"].as_array().unwrap() {
            if s["Resource"] == "*" {
                assert!(
                    [
                        "sts:GetCallerIdentity",
                        "cloudformation:DescribeStackDriftDetectionStatus"
                    ]
                    .contains(&s["Action"].as_str().unwrap()),
                    "{s}"
                );
            }
        }
    }

    #[test]
    fn the_pipeline_stack_is_covered_only_in_its_own_account_and_region() {
        let mut platform = super::super::tests::sample();
        let with = |platform: &Platform, opts: &BootstrapOptions| {
            json(platform, opts)["Resources"]["DeployRole"].to_string()
        };
        assert!(with(&platform, &dev_account()).contains("trading-pipeline-us-east-1-cicd"));
        platform.accounts = Some(PerProfile::Same("111111111111".into()));
        assert!(!with(&platform, &dev_account()).contains("pipeline"));
        platform.pipeline.as_mut().unwrap().account = Some("111111111111".into());
        assert!(with(&platform, &dev_account()).contains("trading-pipeline-us-east-1-cicd"));
        let mut west = dev_account();
        west.region = "us-west-2".into();
        assert!(!with(&platform, &west).contains("pipeline"));
    }

    #[test]
    fn the_archive_locks_records_in_compliance_mode_for_the_longest_retention_deployed_here() {
        let platform = super::super::tests::sample();
        // Without the pipeline, which archives its access logs seven years.
        let mut dev = dev_account();
        dev.pipeline_suffix = None;
        let t = json(&platform, &dev);
        let r = &t["Resources"];
        let bucket = &r["ArchiveBucket"];
        assert_eq!(bucket["DeletionPolicy"], "RetainExceptOnCreate");
        assert_eq!(bucket["UpdateReplacePolicy"], "Retain");
        assert_eq!(r["ArchiveKey"]["DeletionPolicy"], "RetainExceptOnCreate");
        let p = &bucket["Properties"];
        assert_eq!(
            p["BucketName"],
            json!({"Fn::Sub": "tp-audit-archive-${AWS::AccountId}-${AWS::Region}"})
        );
        assert_eq!(p["ObjectLockEnabled"], true);
        // Only dev is deployed here: its 30 days.
        assert_eq!(
            p["ObjectLockConfiguration"]["Rule"]["DefaultRetention"],
            json!({"Mode": "COMPLIANCE", "Days": 30})
        );
        assert_eq!(
            p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
                ["KMSMasterKeyID"],
            json!({"Fn::GetAtt": ["ArchiveKey", "Arn"]})
        );
        let key = &r["ArchiveKey"]["Properties"];
        assert_eq!(key["EnableKeyRotation"], true);
        assert_eq!(key["PendingWindowInDays"], 30);
        assert_eq!(
            r["ArchiveKeyParameter"]["Properties"]["Name"],
            "/tp/bootstrap/archive-key-arn"
        );
        let policy = &r["ArchiveBucketPolicy"]["Properties"]["PolicyDocument"];
        let writes = statement(policy, "DenyWritesButReplication");
        assert_eq!(
            writes["Condition"]["ArnNotEquals"]["aws:PrincipalArn"],
            json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/role-audit-replication-us-east-1-dev"}])
        );
        let deletes = statement(policy, "DenyDeletesAndLockChanges");
        assert_eq!(deletes["Principal"], "*");
        assert!(deletes["Condition"].is_null());
        for action in [
            "s3:DeleteObjectVersion",
            "s3:PutObjectRetention",
            "s3:BypassGovernanceRetention",
        ] {
            assert!(deletes["Action"].to_string().contains(action), "{deletes}");
        }
        // With the pipeline here, its logs' role may write too, for seven years.
        let t = json(&platform, &dev_account());
        let writers = statement(
            &t["Resources"]["ArchiveBucketPolicy"]["Properties"]["PolicyDocument"],
            "DenyWritesButReplication",
        )["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
            .to_string();
        assert!(
            writers.contains("role/role-release-logs-replication-us-east-1-cicd"),
            "{writers}"
        );
        assert_eq!(
            t["Resources"]["ArchiveBucket"]["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
                ["Days"],
            2557
        );
        // With prod deployed here too, the longest: seven years.
        let mut both = dev;
        both.suffixes.push(("live".into(), "prod".into()));
        let t = json(&platform, &both);
        assert_eq!(
            t["Resources"]["ArchiveBucket"]["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
                ["Days"],
            2557
        );
    }

    #[test]
    fn api_gateway_logging_is_set_once_per_account_and_region_here() {
        let t = json(&super::super::tests::sample(), &dev_account());
        let r = &t["Resources"];
        assert_eq!(r["ApiGatewayAccount"]["Type"], "AWS::ApiGateway::Account");
        assert_eq!(
            r["ApiGatewayAccount"]["Properties"]["CloudWatchRoleArn"],
            json!({"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]})
        );
        assert_eq!(
            r["ApiGatewayCloudWatchRole"]["Properties"]["RoleName"],
            "tp-apigateway-logs-us-east-1"
        );
    }

    #[test]
    fn the_execution_role_carries_the_generated_policy_and_the_boundary_is_a_managed_policy() {
        let platform = super::super::tests::sample();
        let opts = dev_account();
        let stacks = covered_stacks(&platform, &opts).unwrap();
        let templates: Vec<&Template> = stacks.iter().flat_map(|s| s.templates()).collect();
        let suffixes = vec!["dev".to_owned()];
        let scope = Scope {
            platform: &platform,
            region: &opts.region,
            suffixes: &suffixes,
        };
        let policy = execution::execution_policy(&templates, &scope);
        let boundary = execution::boundary_policy(&templates, &scope);
        let t = assemble(&platform, &opts, &stacks, &policy, &boundary)
            .unwrap()
            .to_json();
        let r = &t["Resources"];
        assert_eq!(
            r["ExecutionRole"]["Properties"]["RoleName"],
            "tp-cfn-exec-us-east-1"
        );
        assert_eq!(
            r["ExecutionRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
            json!({"Service": "cloudformation.amazonaws.com"})
        );
        // Every statement of the generated policy, in managed policies
        // attached to the role (too large for its inline policies).
        let mut attached = Vec::new();
        for n in 1.. {
            let Some(p) = r.get(format!("ExecutionPolicy{n}")) else {
                break;
            };
            assert_eq!(p["Type"], "AWS::IAM::ManagedPolicy");
            assert_eq!(
                p["Properties"]["ManagedPolicyName"],
                format!("tp-cfn-exec-us-east-1-{n}")
            );
            assert_eq!(p["Properties"]["Roles"], json!([{"Ref": "ExecutionRole"}]));
            attached.extend(
                p["Properties"]["PolicyDocument"]["Statement"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .cloned(),
            );
        }
        let mut expected: Vec<serde_json::Value> =
            policy.statements.iter().map(Value::to_json).collect();
        let key = |v: &serde_json::Value| v.to_string();
        attached.sort_by_key(key);
        expected.sort_by_key(key);
        assert!(attached.len() > 1);
        assert_eq!(attached, expected);
        assert!(r["ExecutionRole"]["Properties"].get("Policies").is_none());
        assert_eq!(r["PermissionsBoundary"]["Type"], "AWS::IAM::ManagedPolicy");
        assert_eq!(
            r["PermissionsBoundary"]["Properties"]["ManagedPolicyName"],
            "tp-boundary-us-east-1"
        );
        // Without statements neither gets an (invalid) empty policy.
        let t = assemble(&platform, &opts, &stacks, &ExecutionPolicy::default(), &[])
            .unwrap()
            .to_json();
        assert!(t["Resources"].get("ExecutionPolicy1").is_none());
        assert!(t["Resources"].get("PermissionsBoundary").is_none());
    }

    #[test]
    fn the_bucket_stack_fits_inline_and_the_iam_goes_to_a_stack_of_its_own() {
        let platform = super::super::tests::sample();
        let opts = dev_account();
        let whole = bootstrap_template(&platform, &opts).unwrap();
        let stacks = bootstrap_stacks(&platform, &opts).unwrap();
        let storage = stacks.storage.to_json();
        let access = stacks.access.to_json();
        for id in ["AssetBucket", "AssetBucketParameter", "ApiGatewayAccount"] {
            assert!(storage["Resources"].get(id).is_some(), "{id}");
        }
        for id in [
            "DeployRole",
            "ExecutionRole",
            "ExecutionPolicy1",
            "PermissionsBoundary",
        ] {
            assert!(access["Resources"].get(id).is_some(), "{id}");
            assert!(storage["Resources"].get(id).is_none(), "{id}");
        }
        assert_eq!(
            stacks.storage.resources.len() + stacks.access.resources.len(),
            whole.resources.len()
        );
        assert!(stacks.storage.to_string_pretty().len() <= super::super::limits::MAX_INLINE_BODY);
        assert!(stacks.storage.outputs.contains_key(BOOTSTRAP_OUTPUT));
    }

    #[test]
    fn bad_accounts_principals_regions_and_profiles_are_named() {
        let platform = super::super::tests::sample();
        let error = |change: fn(&mut BootstrapOptions)| {
            let mut opts = dev_account();
            change(&mut opts);
            bootstrap_template(&platform, &opts)
                .unwrap_err()
                .to_string()
        };
        assert!(
            error(|o| o.trust = vec!["4444".into()]).contains("`4444` is not an AWS account id")
        );
        assert!(error(|o| o.account = "dev".into()).contains("`dev` is not an AWS account id"));
        assert!(
            error(|o| o.operators = vec!["Admin".into()])
                .contains("`Admin` is not an IAM principal ARN")
        );
        assert!(error(|o| o.region = "eu-west-1".into()).contains("eu-west-1"));
        assert!(error(|o| o.suffixes = vec![("dev".into(), "qa".into())]).contains("qa"));
    }
}
