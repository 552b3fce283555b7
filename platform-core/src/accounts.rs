//! What `tp bootstrap` creates in each account and region, by name: the
//! roles and the permissions boundary that the platform's stacks, the
//! pipeline and `tp deploy` refer to. One source for each name, so the
//! bootstrap template, the platform's roles and the deploy's role
//! assumption agree.
//!
//! IAM names are global to an account, and bootstrap runs per region, so
//! every name carries the region.

/// The role `tp deploy` (an operator or the pipeline of a trusted tooling
/// account) assumes in an environment's account: it manages the platform's
/// stacks, uploads assets and passes [`execution_role_name`] to
/// CloudFormation.
pub fn deploy_role_name(region: &str) -> String {
    format!("tp-deploy-{region}")
}

/// The role CloudFormation creates, updates and deletes the platform's
/// resources with: exactly the permissions their resource handlers need.
pub fn execution_role_name(region: &str) -> String {
    format!("tp-cfn-exec-{region}")
}

/// The managed policy every IAM role the platform creates carries as its
/// permissions boundary; the execution role may only create or change roles
/// that carry it.
pub fn boundary_policy_name(region: &str) -> String {
    format!("tp-boundary-{region}")
}

/// The role API Gateway writes the account's execution and access logs
/// with (the account's `AWS::ApiGateway::Account` setting, one per region).
pub fn api_gateway_logs_role_name(region: &str) -> String {
    format!("tp-apigateway-logs-{region}")
}

/// The bucket `tp deploy` uploads assets (function code, nested templates)
/// to: `tp-assets-{account}-{region}` (bucket names are global).
pub fn asset_bucket_name(account: &str, region: &str) -> String {
    format!("tp-assets-{account}-{region}")
}

/// The backup vault of an account and region: every environment's backup
/// plan there backs up into it, and the plans of the platform's other
/// regions copy into it. Bootstrap-owned, so recovery points outlive the
/// environment that made them.
pub fn backup_vault_name(region: &str) -> String {
    format!("tp-backup-{region}")
}

/// `arn:aws:backup:{region}:{account}:backup-vault:{name}` of
/// [`backup_vault_name`], in CloudFormation's `Fn::Sub` syntax (the account
/// and partition are the stack's own).
pub fn backup_vault_arn_sub(region: &str) -> String {
    format!(
        "arn:${{AWS::Partition}}:backup:{region}:${{AWS::AccountId}}:backup-vault:{}",
        backup_vault_name(region)
    )
}

/// The alias of the key that encrypts [`backup_vault_name`]'s recovery
/// points (one per account and region; aliases are regional).
pub const BACKUP_VAULT_KEY_ALIAS: &str = "alias/tp-backup-vault";

/// The alias of the bootstrap-owned data key: what must stay restorable
/// after `tp destroy` (the database's storage, so its final snapshot and
/// backups; the backed-up tables) is encrypted with it, so deleting an
/// environment never deletes the key its snapshots need.
pub const RETAINED_DATA_KEY_ALIAS: &str = "alias/tp-retained-data";

/// The SSM parameter holding the ARN of [`RETAINED_DATA_KEY_ALIAS`]'s key,
/// which platform templates read as an SSM-typed template parameter.
pub const RETAINED_DATA_KEY_SSM_NAME: &str = "/tp/bootstrap/retained-data-key-arn";

/// The write-once archive `tp bootstrap` creates in each account and
/// region: `tp-audit-archive-{account}-{region}`, an Object Lock bucket in
/// COMPLIANCE mode that the archived buckets (`archive:`) replicate to.
pub fn archive_bucket_name(account: &str, region: &str) -> String {
    format!("tp-audit-archive-{account}-{region}")
}

/// `arn:aws:iam::{account}:role/{name}`.
pub fn role_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role/{name}")
}

/// Whether `account` is an AWS account id: exactly 12 ASCII digits.
pub fn is_account_id(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_region_because_iam_names_are_global_to_the_account() {
        assert_eq!(deploy_role_name("us-east-1"), "tp-deploy-us-east-1");
        assert_ne!(
            execution_role_name("us-east-1"),
            execution_role_name("us-west-2")
        );
        assert_eq!(
            role_arn("111111111111", &deploy_role_name("us-east-2")),
            "arn:aws:iam::111111111111:role/tp-deploy-us-east-2"
        );
    }

    #[test]
    fn an_account_id_is_twelve_digits() {
        assert!(is_account_id("111111111111"));
        assert!(!is_account_id("11111111111"));
        assert!(!is_account_id("11111111111a"));
        assert!(!is_account_id("1111111111111"));
    }
}
