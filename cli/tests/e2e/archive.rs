//! The write-once audit archive: `tp bootstrap` creates it with Object Lock
//! in COMPLIANCE mode, a deploy points the archived buckets' replication at
//! it, and it outlives `tp destroy`.

use super::proxy::Proxy;
use super::*;

#[test]
fn the_audit_bucket_replicates_to_a_compliance_locked_archive_that_outlives_destroy() {
    let moto = Moto::start("archive");
    // moto cannot run functions: the proxy answers the deploy's
    // after-deploy functions.
    let proxy = Proxy::start(moto.port);
    proxy.answer_after_deploy(REGION, "e2e");
    let endpoint = proxy.endpoint();
    let dir = scratch("archive");

    let run = tp_run(&endpoint, &dir, &["bootstrap", "--region", REGION]);
    assert_eq!(run.code, 0, "{run}");
    let archive = platform_core::accounts::archive_bucket_name(DEV_ACCOUNT, REGION);
    let protection = moto.s3_protection(&archive);
    let lock = &protection["object_lock"];
    assert_eq!(lock["ObjectLockEnabled"], "Enabled", "{protection:#}");
    // Only dev is deployed into the account: dev's `archive: 30d`.
    assert_eq!(
        lock["Rule"]["DefaultRetention"]["Mode"], "COMPLIANCE",
        "{protection:#}"
    );
    assert_eq!(
        lock["Rule"]["DefaultRetention"]["Days"], 30,
        "{protection:#}"
    );
    let inventory = moto.inventory();
    assert_eq!(inventory["buckets"][&archive]["versioning"], "Enabled");
    assert_eq!(inventory["buckets"][&archive]["encryption"], "aws:kms");
    let key_arn = inventory["parameters"]["/tp/bootstrap/archive-key-arn"]
        .as_str()
        .unwrap_or_else(|| panic!("the archive key's ARN in SSM: {inventory:#}"))
        .to_owned();
    assert!(key_arn.starts_with("arn:aws:kms:us-east-1:"), "{key_arn}");

    let deploy = [
        "deploy",
        "--suffix",
        "e2e",
        "--region",
        REGION,
        "--require-approval",
        "never",
    ];
    let run = tp_run(&endpoint, &dir, &deploy);
    assert_eq!(run.code, 0, "{run}");
    let audit = platform_core::naming::bucket_name("audit_log", REGION, "e2e", DEV_ACCOUNT);
    let protection = moto.s3_protection(&audit);
    let replication = &protection["replication"];
    assert!(
        replication["Role"]
            .as_str()
            .is_some_and(|r| r.ends_with(":role/role-audit-log-replication-us-east-1-e2e")),
        "{protection:#}"
    );
    let rule = &replication["Rules"][0];
    assert_eq!(rule["Status"], "Enabled", "{protection:#}");
    assert_eq!(
        rule["Destination"]["Bucket"],
        format!("arn:aws:s3:::{archive}"),
        "{protection:#}"
    );
    assert_eq!(
        rule["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"], key_arn,
        "{protection:#}"
    );
    assert_eq!(
        rule["DeleteMarkerReplication"]["Status"], "Disabled",
        "{protection:#}"
    );

    let run = tp_run(
        &endpoint,
        &dir,
        &["destroy", "--suffix", "e2e", "--region", REGION, "--yes"],
    );
    assert_eq!(run.code, 0, "{run}");
    let inventory = moto.inventory();
    assert!(
        inventory["buckets"].get(&audit).is_none(),
        "the environment's buckets are gone: {inventory:#}"
    );
    assert!(
        inventory["buckets"].get(&archive).is_some(),
        "the archive outlives the environment: {inventory:#}"
    );
    assert!(
        names(&inventory, "aliases").contains(&"alias/tp-audit-archive".to_owned()),
        "the archive's key outlives the environment: {inventory:#}"
    );
}
