//! The KMS permissions AWS checks implicitly when a request touches a
//! resource encrypted with a customer managed key: which resources are
//! encrypted with which key ([`KeyMap`], read from the deployed template by
//! [`key_map_from_template`]), and which `kms:` actions on that key a
//! classified request needs of its caller ([`key_needs`]). moto never calls
//! KMS, so without these a function missing its key grant would succeed
//! locally and fail in AWS.
//!
//! What each service requires of the caller, from AWS's documentation:
//!
//! - SQS (SQS Developer Guide, "Amazon SQS key management", *Configure KMS
//!   permissions for producers/consumers*): producers (`SendMessage`,
//!   `SendMessageBatch`) need `kms:GenerateDataKey` and `kms:Decrypt`,
//!   consumers (`ReceiveMessage`) `kms:Decrypt`. Encryption context
//!   `aws:sqs:arn` = the queue's ARN.
//! - SNS (SNS Developer Guide, "Managing Amazon SNS encryption keys"):
//!   publishers need `kms:GenerateDataKey*` and `kms:Decrypt`.
//! - S3 (S3 User Guide, "Using server-side encryption with AWS KMS keys",
//!   *Permissions*, and the `CreateMultipartUpload` API reference):
//!   uploading needs `kms:GenerateDataKey`, downloading `kms:Decrypt`;
//!   a multipart upload needs `kms:GenerateDataKey` to start and
//!   `kms:Decrypt` for its parts and completion. With an S3 Bucket Key the
//!   caller still needs them; the encryption context `aws:s3:arn` is then
//!   the bucket's ARN, otherwise the object's.
//! - Secrets Manager (Secrets Manager User Guide, "Secret encryption and
//!   decryption", *Permissions for the KMS key*): `GetSecretValue` needs
//!   `kms:Decrypt`, writing a value (`PutSecretValue`, `UpdateSecret` with a
//!   value) `kms:GenerateDataKey`. Encryption context `SecretARN`.
//! - DynamoDB (KMS Developer Guide, "How Amazon DynamoDB uses AWS KMS"):
//!   DynamoDB decrypts the table key with the caller's authority (cached
//!   per caller for five minutes), so every item read and write needs
//!   `kms:Decrypt` on a customer managed key; AWS answers
//!   `AccessDeniedException: KMS key access denied error` without it.
//!   Encryption context `aws:dynamodb:tableName`, `aws:dynamodb:subscriberId`.
//! - CloudWatch Logs (CloudWatch Logs User Guide, "Encrypt log data in
//!   CloudWatch Logs using AWS KMS"): the key policy grants the
//!   `logs.<region>.amazonaws.com` service principal; callers of
//!   `PutLogEvents` need no KMS permission, so none is asked here.
//!
//! AWS managed keys (`alias/aws/sqs`, SSE-SQS, SSE-S3, `aws/secretsmanager`,
//! `aws/dynamodb`) are usable by every principal of the account that may
//! use the service, so only customer managed keys are recorded. Every
//! check carries `kms:ViaService` (`<service>.<region>.amazonaws.com`) and
//! `kms:CallerAccount`, as AWS sets them when a service calls KMS for its
//! caller.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::classify::{AwsRequest, Classified, Need};

/// Which customer managed key encrypts which resource, by the resource's
/// ARN (`arn:aws:s3:::bucket` for buckets, `...:table/NAME` for tables).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyMap {
    keys: BTreeMap<String, String>,
    /// Buckets whose default encryption uses an S3 Bucket Key, whose
    /// encryption context is the bucket's ARN rather than the object's.
    bucket_keys: BTreeSet<String>,
    /// `alias/name` to the key's ARN.
    aliases: BTreeMap<String, String>,
}

impl KeyMap {
    /// An empty map: nothing is encrypted with a customer managed key.
    pub fn new() -> KeyMap {
        KeyMap::default()
    }

    /// Records that `resource_arn` is encrypted with `key_arn`.
    pub fn insert(&mut self, resource_arn: impl Into<String>, key_arn: impl Into<String>) {
        self.keys.insert(resource_arn.into(), key_arn.into());
    }

    /// Every (resource ARN, key ARN).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.keys.iter().map(|(r, k)| (r.as_str(), k.as_str()))
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key of the resource with exactly this ARN.
    pub fn get(&self, resource_arn: &str) -> Option<&str> {
        self.keys.get(resource_arn).map(String::as_str)
    }

    /// The key of a bucket's default encryption, by the bucket's name.
    pub fn bucket(&self, name: &str) -> Option<&str> {
        self.get(&format!("arn:aws:s3:::{name}"))
    }

    /// The key an `alias/name` (or alias ARN) of the template names.
    pub fn alias(&self, name: &str) -> Option<&str> {
        let name = match name.split_once(":alias/") {
            Some((_, n)) => format!("alias/{n}"),
            None => name.to_owned(),
        };
        self.aliases.get(&name).map(String::as_str)
    }

    /// Whether the bucket's default encryption uses an S3 Bucket Key.
    pub fn bucket_key_enabled(&self, name: &str) -> bool {
        self.bucket_keys.contains(&format!("arn:aws:s3:::{name}"))
    }

    pub fn queue(&self, queue_arn: &str) -> Option<&str> {
        self.get(queue_arn)
    }

    pub fn topic(&self, topic_arn: &str) -> Option<&str> {
        self.get(topic_arn)
    }

    /// By the full ARN, or by the ARN without Secrets Manager's random
    /// six-character suffix (what a request naming the secret by name gives).
    pub fn secret(&self, secret_arn: &str) -> Option<&str> {
        self.get(secret_arn).or_else(|| {
            self.keys
                .iter()
                .find(|(arn, _)| {
                    arn.starts_with("arn:aws:secretsmanager:")
                        && arn
                            .rsplit_once('-')
                            .is_some_and(|(base, suffix)| base == secret_arn && suffix.len() == 6)
                })
                .map(|(_, key)| key.as_str())
        })
    }

    /// By the table's ARN, or an index's (`.../table/T/index/I`).
    pub fn table(&self, table_arn: &str) -> Option<&str> {
        let table = match table_arn.find("/index/") {
            Some(i) => &table_arn[..i],
            None => table_arn,
        };
        self.get(table)
    }
}

/// The template's KMS keys and aliases, resolved to key ARNs.
struct Keys<'a> {
    resources: &'a serde_json::Map<String, Value>,
    physical: &'a BTreeMap<String, String>,
    region: &'a str,
    account: &'a str,
    /// `alias/name` to the key's ARN.
    aliases: BTreeMap<String, String>,
}

impl Keys<'_> {
    fn kind(&self, logical: &str) -> Option<&str> {
        self.resources.get(logical)?["Type"].as_str()
    }

    fn key_arn_of(&self, logical: &str) -> Option<String> {
        if self.kind(logical)? != "AWS::KMS::Key" {
            return None;
        }
        let id = self.physical.get(logical)?;
        Some(self.literal_key(id))
    }

    /// A key id or key ARN as the key's ARN.
    fn literal_key(&self, id: &str) -> String {
        if id.starts_with("arn:") {
            id.to_owned()
        } else {
            format!("arn:aws:kms:{}:{}:key/{id}", self.region, self.account)
        }
    }

    /// A `KmsKeyId`-like value as the customer managed key's ARN: `None`
    /// for AWS managed keys (`alias/aws/...`) and what cannot be resolved.
    fn resolve(&self, value: &Value) -> Option<String> {
        if let Some(target) = value.get("Fn::GetAtt") {
            let logical = match target {
                Value::Array(a) => a.first()?.as_str()?,
                Value::String(s) => s.split('.').next()?,
                _ => return None,
            };
            return self.key_arn_of(logical);
        }
        if let Some(logical) = value.get("Ref").and_then(Value::as_str) {
            // A template parameter (the bootstrap's key, an ARN from SSM):
            // its value as deployed, which `physical` holds beside the
            // resources' ids.
            if !self.resources.contains_key(logical) {
                return self.physical.get(logical).map(|v| self.literal_key(v));
            }
            return match self.kind(logical)? {
                "AWS::KMS::Key" => self.key_arn_of(logical),
                "AWS::KMS::Alias" => {
                    let name = self.resources[logical]["Properties"]["AliasName"].as_str()?;
                    self.alias(name)
                }
                _ => None,
            };
        }
        let text = value.as_str()?;
        if let Some((_, name)) = text.split_once(":alias/") {
            return self.alias(&format!("alias/{name}"));
        }
        if text.starts_with("alias/") {
            return self.alias(text);
        }
        if text.is_empty() {
            return None;
        }
        Some(self.literal_key(text))
    }

    fn alias(&self, name: &str) -> Option<String> {
        if name.starts_with("alias/aws/") {
            return None;
        }
        self.aliases.get(name).cloned()
    }
}

/// Reads the encryption of the template's queues, topics, buckets,
/// secrets and tables: each resource encrypted with a customer managed key,
/// by its deployed ARN (from `physical`, logical id to physical id), with
/// the key's ARN (`arn:aws:kms:<region>:<account>:key/<physical id>`).
/// Keys named through `Fn::GetAtt [Key, Arn]`, `Ref` to a key or an alias,
/// an `alias/...` literal of the template's aliases, or a literal key ARN
/// are resolved; AWS managed keys are left out. The secret Aurora manages
/// (`MasterUserSecret`) has an ARN the template cannot know: add it with
/// [`KeyMap::insert`] and [`cluster_secret_key`].
pub fn key_map_from_template(
    template: &Value,
    physical: &BTreeMap<String, String>,
    region: &str,
    account: &str,
) -> KeyMap {
    let mut map = KeyMap::new();
    let Some(resources) = template["Resources"].as_object() else {
        return map;
    };
    let keys = keys(resources, physical, region, account);
    map.aliases = keys.aliases.clone();
    for (logical, resource) in resources {
        let Some(id) = physical.get(logical) else {
            continue;
        };
        let props = &resource["Properties"];
        let (arn, key) = match resource["Type"].as_str().unwrap_or_default() {
            "AWS::SQS::Queue" => (
                super::super::deployed::queue_arn(id, region, account),
                keys.resolve(&props["KmsMasterKeyId"]),
            ),
            "AWS::SNS::Topic" => (id.clone(), keys.resolve(&props["KmsMasterKeyId"])),
            "AWS::SecretsManager::Secret" => (id.clone(), keys.resolve(&props["KmsKeyId"])),
            "AWS::DynamoDB::Table" => {
                let sse = &props["SSESpecification"];
                let key = match sse["SSEEnabled"].as_bool() {
                    Some(false) => None,
                    _ => keys.resolve(&sse["KMSMasterKeyId"]),
                };
                let arn = if id.starts_with("arn:") {
                    id.clone()
                } else {
                    format!("arn:aws:dynamodb:{region}:{account}:table/{id}")
                };
                (arn, key)
            }
            "AWS::S3::Bucket" => {
                let arn = format!("arn:aws:s3:::{id}");
                let rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let mut key = None;
                for rule in &rules {
                    let default = &rule["ServerSideEncryptionByDefault"];
                    let algorithm = default["SSEAlgorithm"].as_str().unwrap_or_default();
                    if algorithm.starts_with("aws:kms") {
                        // Without KMSMasterKeyID S3 uses aws/s3, an AWS managed key.
                        key = keys.resolve(&default["KMSMasterKeyID"]);
                        if key.is_some() && rule["BucketKeyEnabled"].as_bool() == Some(true) {
                            map.bucket_keys.insert(arn.clone());
                        }
                    }
                }
                (arn, key)
            }
            _ => continue,
        };
        if let Some(key) = key {
            map.insert(arn, key);
        }
    }
    map
}

/// The customer managed key of the secret an `AWS::RDS::DBCluster` manages
/// (`MasterUserSecret.KmsKeyId`), by the cluster's logical id; `None` when
/// the cluster manages no secret or uses `aws/secretsmanager`.
pub fn cluster_secret_key(
    template: &Value,
    physical: &BTreeMap<String, String>,
    region: &str,
    account: &str,
    cluster: &str,
) -> Option<String> {
    let resources = template["Resources"].as_object()?;
    let keys = keys(resources, physical, region, account);
    let resource = resources.get(cluster)?;
    if resource["Type"].as_str()? != "AWS::RDS::DBCluster" {
        return None;
    }
    keys.resolve(&resource["Properties"]["MasterUserSecret"]["KmsKeyId"])
}

fn keys<'a>(
    resources: &'a serde_json::Map<String, Value>,
    physical: &'a BTreeMap<String, String>,
    region: &'a str,
    account: &'a str,
) -> Keys<'a> {
    let mut keys = Keys {
        resources,
        physical,
        region,
        account,
        aliases: BTreeMap::new(),
    };
    let mut aliases = BTreeMap::new();
    for resource in resources.values() {
        if resource["Type"] != "AWS::KMS::Alias" {
            continue;
        }
        let props = &resource["Properties"];
        let (Some(name), target) = (props["AliasName"].as_str(), &props["TargetKeyId"]) else {
            continue;
        };
        if let Some(key) = keys.resolve(target) {
            aliases.insert(name.to_owned(), key);
        }
    }
    keys.aliases = aliases;
    keys
}

/// The `kms:` actions on customer managed keys that `classified` needs of
/// its caller besides the service's own, with the context AWS sets.
/// `needs` are the service's needs with resources resolved (secrets by
/// their full ARN); `caller_account` is the signer's account.
pub fn key_needs(
    request: &AwsRequest<'_>,
    classified: &Classified,
    needs: &[Need],
    keys: &KeyMap,
    caller_account: &str,
) -> Vec<Need> {
    if keys.is_empty() {
        return Vec::new();
    }
    let service = request.service;
    let operation = classified.operation.as_str();
    let mut out: Vec<Need> = Vec::new();
    let mut add = |actions: &[&str], key: &str, context: &[(&str, String)]| {
        for action in actions {
            let mut n = Need {
                action: format!("kms:{action}"),
                resource: key.to_owned(),
                context: BTreeMap::new(),
            };
            n.context.insert(
                "kms:ViaService".to_owned(),
                vec![format!("{service}.{}.amazonaws.com", request.region)],
            );
            n.context.insert(
                "kms:CallerAccount".to_owned(),
                vec![caller_account.to_owned()],
            );
            for (k, v) in context {
                n.context
                    .insert(format!("kms:EncryptionContext:{k}"), vec![v.clone()]);
            }
            if !out.contains(&n) {
                out.push(n);
            }
        }
    };
    const PRODUCE: &[&str] = &["GenerateDataKey", "Decrypt"];
    const DECRYPT: &[&str] = &["Decrypt"];
    const GENERATE: &[&str] = &["GenerateDataKey"];
    match service {
        "sqs" => {
            let actions = match operation {
                "SendMessage" | "SendMessageBatch" => PRODUCE,
                "ReceiveMessage" => DECRYPT,
                _ => return out,
            };
            for need in needs {
                if let Some(key) = keys.queue(&need.resource) {
                    add(actions, key, &[("aws:sqs:arn", need.resource.clone())]);
                }
            }
        }
        "sns" => {
            if !matches!(operation, "Publish" | "PublishBatch") {
                return out;
            }
            for need in needs {
                if let Some(key) = keys.topic(&need.resource) {
                    add(PRODUCE, key, &[]);
                }
            }
        }
        "s3" => {
            for need in needs {
                let Some(rest) = need.resource.strip_prefix("arn:aws:s3:::") else {
                    continue;
                };
                let Some((bucket, _)) = rest.split_once('/') else {
                    continue;
                };
                let reading =
                    matches!(need.action.as_str(), "s3:GetObject" | "s3:GetObjectVersion");
                let actions = match (need.action.as_str(), operation) {
                    (_, _) if reading => DECRYPT,
                    ("s3:PutObject", "PutObject" | "CopyObject" | "CreateMultipartUpload") => {
                        GENERATE
                    }
                    (
                        "s3:PutObject",
                        "UploadPart" | "UploadPartCopy" | "CompleteMultipartUpload",
                    ) => DECRYPT,
                    _ => continue,
                };
                // Reads use the key the object was written with, taken
                // here as the bucket's default; writes may name their own.
                let key = if reading {
                    keys.bucket(bucket).map(str::to_owned)
                } else {
                    match upload_key(request, keys, bucket) {
                        Some(k) => k,
                        None => continue,
                    }
                };
                let Some(key) = key else { continue };
                let context = if keys.bucket_key_enabled(bucket) {
                    format!("arn:aws:s3:::{bucket}")
                } else {
                    need.resource.clone()
                };
                add(actions, &key, &[("aws:s3:arn", context)]);
            }
        }
        "secretsmanager" => {
            let actions = match operation {
                "GetSecretValue" | "BatchGetSecretValue" => DECRYPT,
                "PutSecretValue" => GENERATE,
                "UpdateSecret" if writes_secret_value(request.body) => GENERATE,
                _ => return out,
            };
            for need in needs {
                if need.action == "secretsmanager:BatchGetSecretValue" {
                    continue;
                }
                if let Some(key) = keys.secret(&need.resource) {
                    add(actions, key, &[("SecretARN", need.resource.clone())]);
                }
            }
        }
        "dynamodb" => {
            for need in needs {
                let action = need.action.trim_start_matches("dynamodb:");
                if !DYNAMODB_ITEM_ACTIONS.contains(&action) {
                    continue;
                }
                let Some(key) = keys.table(&need.resource) else {
                    continue;
                };
                let table = need
                    .resource
                    .split("/index/")
                    .next()
                    .and_then(|t| t.rsplit_once(":table/"))
                    .map(|(_, name)| name.to_owned())
                    .unwrap_or_default();
                add(
                    DECRYPT,
                    key,
                    &[
                        ("aws:dynamodb:tableName", table),
                        ("aws:dynamodb:subscriberId", caller_account.to_owned()),
                    ],
                );
            }
        }
        _ => {}
    }
    out
}

/// The DynamoDB actions that read or write items, for which DynamoDB
/// decrypts the table key.
const DYNAMODB_ITEM_ACTIONS: &[&str] = &[
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "ConditionCheckItem",
];

/// The key an upload to `bucket` is encrypted with: the request's own
/// `x-amz-server-side-encryption` headers, else the bucket's default.
/// `Some(None)` when the upload uses no customer managed key (SSE-S3 or
/// `aws/s3`); `None` to skip.
fn upload_key(request: &AwsRequest<'_>, keys: &KeyMap, bucket: &str) -> Option<Option<String>> {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let default = || keys.bucket(bucket).map(str::to_owned);
    match header("x-amz-server-side-encryption").as_deref() {
        None => Some(default()),
        Some(algorithm) if algorithm.starts_with("aws:kms") => {
            match header("x-amz-server-side-encryption-aws-kms-key-id") {
                Some(id) if id.contains("alias/aws/") => Some(None),
                Some(id) if id.contains("alias/") => Some(Some(match keys.alias(&id) {
                    Some(key) => key.to_owned(),
                    None if id.starts_with("arn:") => id,
                    None => format!("arn:aws:kms:{}:{}:{id}", request.region, request.account),
                })),
                Some(id) if id.starts_with("arn:") => Some(Some(id)),
                Some(id) => Some(Some(format!(
                    "arn:aws:kms:{}:{}:key/{id}",
                    request.region, request.account
                ))),
                // aws:kms without a key id is the bucket's key if it has
                // one, else aws/s3.
                None => Some(default()),
            }
        }
        Some(_) => Some(None),
    }
}

/// Whether an `UpdateSecret` body carries a new value (which Secrets
/// Manager encrypts with a new data key).
fn writes_secret_value(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .map(|v| v.get("SecretString").is_some() || v.get("SecretBinary").is_some())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {

    use http::{HeaderMap, HeaderValue, Method};
    use serde_json::json;

    use super::*;
    use crate::local::iam::classify::classify;

    const REGION: &str = "us-east-1";
    const ACCOUNT: &str = "123456789012";
    const KEY_ID: &str = "5e1f0c4a-9b2d-4e8f-a7c6-3d2b1a0f9e8d";

    use crate::local::test_support::real_template;

    /// Physical ids as CloudFormation reports them: queue URLs, topic and
    /// secret ARNs, bucket and table names, key ids.
    fn real_physical() -> BTreeMap<String, String> {
        let mut physical = BTreeMap::new();
        for (id, resource) in real_template()["Resources"].as_object().unwrap() {
            let props = &resource["Properties"];
            let name = |k: &str| props[k].as_str().unwrap_or(id).to_owned();
            let value = match resource["Type"].as_str().unwrap() {
                "AWS::KMS::Key" => KEY_ID.to_owned(),
                "AWS::SQS::Queue" => format!(
                    "https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{}",
                    name("QueueName")
                ),
                "AWS::SNS::Topic" => {
                    format!("arn:aws:sns:{REGION}:{ACCOUNT}:{}", name("TopicName"))
                }
                "AWS::S3::Bucket" => name("BucketName"),
                "AWS::DynamoDB::Table" => name("TableName"),
                "AWS::SecretsManager::Secret" => {
                    format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{id}-AbCdEf")
                }
                _ => format!("{id}-physical"),
            };
            physical.insert(id.clone(), value);
        }
        // The bootstrap's key, as the stack's parameter resolved it.
        physical.insert(
            platform_core::synth::RETAINED_DATA_KEY_PARAMETER.to_owned(),
            key_arn(),
        );
        physical
    }

    fn key_arn() -> String {
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}")
    }

    #[test]
    fn the_real_templates_encrypted_resources_have_their_key() {
        let template = real_template();
        let physical = real_physical();
        let map = key_map_from_template(template, &physical, REGION, ACCOUNT);
        let key = key_arn();
        let arn = |kind: &str, name: &str| format!("arn:aws:{kind}:{REGION}:{ACCOUNT}:{name}");
        let expected = [
            arn("sqs", "sqs-trade-orders-us-east-1-dev"),
            arn("sqs", "sqs-trade-orders-dlq-us-east-1-dev"),
            arn("sqs", "sqs-events-dlq-us-east-1-dev"),
            arn("sns", "sns-alerts-us-east-1-dev"),
            "arn:aws:s3:::s3-audit-log-us-east-1-dev-111111111111".to_owned(),
            "arn:aws:s3:::s3-config-us-east-1-dev-111111111111".to_owned(),
            arn("dynamodb", "table/ddb-sessions-us-east-1-dev"),
            arn("dynamodb", "table/ddb-order-keys-us-east-1-dev"),
            arn("dynamodb", "table/ddb-alert-keys-us-east-1-dev"),
        ];
        for resource in &expected {
            assert_eq!(map.get(resource), Some(key.as_str()), "{resource}: {map:?}");
        }
        // Every queue, topic, bucket, secret and table the template
        // encrypts with a key of its own is in the map, and nothing else:
        // the access-log bucket is SSE-S3.
        let encrypted = template["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| {
                let p = &r["Properties"];
                !p["KmsMasterKeyId"].is_null()
                    || !p["KmsKeyId"].is_null() && r["Type"] == "AWS::SecretsManager::Secret"
                    || !p["SSESpecification"]["KMSMasterKeyId"].is_null()
                    || p["BucketEncryption"].to_string().contains("KMSMasterKeyID")
            })
            .count();
        assert_eq!(map.len(), encrypted, "{map:?}");
        assert_eq!(
            map.bucket("s3-access-logs-us-east-1-dev-111111111111"),
            None
        );
        assert!(map.bucket_key_enabled("s3-audit-log-us-east-1-dev-111111111111"));
        assert_eq!(
            map.alias("alias/kms-data-us-east-1-dev"),
            Some(key.as_str())
        );
        assert_eq!(
            map.table(&arn(
                "dynamodb",
                "table/ddb-sessions-us-east-1-dev/index/byUser"
            )),
            Some(key.as_str())
        );
        // Aurora's managed secret: its ARN comes from the deployed stack.
        assert_eq!(
            cluster_secret_key(template, &physical, REGION, ACCOUNT, "TradesCluster"),
            Some(key.clone())
        );
        assert_eq!(
            cluster_secret_key(template, &physical, REGION, ACCOUNT, "SessionsTable"),
            None
        );
    }

    #[test]
    fn keys_resolve_through_refs_aliases_and_literals_but_not_aws_managed_ones() {
        let template = json!({"Resources": {
            "K": {"Type": "AWS::KMS::Key"},
            "A": {"Type": "AWS::KMS::Alias",
                  "Properties": {"AliasName": "alias/mine", "TargetKeyId": {"Ref": "K"}}},
            "ByRef": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": {"Ref": "K"}}},
            "ByAliasRef": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": {"Ref": "A"}}},
            "ByAlias": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/mine"}},
            "ByArn": {"Type": "AWS::SNS::Topic",
                      "Properties": {"KmsMasterKeyId": "arn:aws:kms:us-east-1:123456789012:key/other"}},
            "Managed": {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": "alias/aws/sqs"}},
            "SseSqs": {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": true}},
            "Secret": {"Type": "AWS::SecretsManager::Secret",
                       "Properties": {"KmsKeyId": {"Fn::GetAtt": ["K", "Arn"]}}},
            "Off": {"Type": "AWS::DynamoDB::Table",
                    "Properties": {"SSESpecification": {"SSEEnabled": false, "KMSMasterKeyId": {"Ref": "K"}}}},
            "AwsDdb": {"Type": "AWS::DynamoDB::Table",
                       "Properties": {"SSESpecification": {"SSEEnabled": true, "SSEType": "KMS"}}},
            "S3Managed": {"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}}},
        }});
        let physical: BTreeMap<String, String> = [
            ("K", "kid"),
            ("A", "alias/mine"),
            ("ByRef", "arn:aws:sns:us-east-1:123456789012:by-ref"),
            (
                "ByAliasRef",
                "arn:aws:sns:us-east-1:123456789012:by-alias-ref",
            ),
            ("ByAlias", "arn:aws:sns:us-east-1:123456789012:by-alias"),
            ("ByArn", "arn:aws:sns:us-east-1:123456789012:by-arn"),
            ("Managed", "http://localhost/123456789012/managed"),
            ("SseSqs", "http://localhost/123456789012/sse-sqs"),
            (
                "Secret",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-XyZ123",
            ),
            ("Off", "off"),
            ("AwsDdb", "aws-ddb"),
            ("S3Managed", "s3-managed"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        let map = key_map_from_template(&template, &physical, REGION, ACCOUNT);
        let k = "arn:aws:kms:us-east-1:123456789012:key/kid";
        let topic = |n: &str| format!("arn:aws:sns:us-east-1:123456789012:{n}");
        assert_eq!(map.topic(&topic("by-ref")), Some(k));
        assert_eq!(map.topic(&topic("by-alias-ref")), Some(k));
        assert_eq!(map.topic(&topic("by-alias")), Some(k));
        assert_eq!(
            map.topic(&topic("by-arn")),
            Some("arn:aws:kms:us-east-1:123456789012:key/other")
        );
        // By full ARN and by the name-based ARN a request gives.
        assert_eq!(
            map.secret("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-XyZ123"),
            Some(k)
        );
        assert_eq!(
            map.secret("arn:aws:secretsmanager:us-east-1:123456789012:secret:db"),
            Some(k)
        );
        assert_eq!(
            map.secret("arn:aws:secretsmanager:us-east-1:123456789012:secret:d"),
            None
        );
        assert_eq!(
            map.len(),
            5,
            "AWS managed keys and disabled SSE are left out: {map:?}"
        );
    }

    fn request_needs(
        map: &KeyMap,
        service: &str,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (Vec<String>, Vec<Need>) {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        let request = AwsRequest {
            service,
            method: &method,
            path,
            query,
            headers: &h,
            body: body.as_bytes(),
            region: REGION,
            account: ACCOUNT,
        };
        let classified = classify(&request).expect("classified");
        let own: Vec<String> = classified.needs.iter().map(|n| n.action.clone()).collect();
        let keys = key_needs(&request, &classified, &classified.needs, map, ACCOUNT);
        (own, keys)
    }

    fn actions(needs: &[Need]) -> Vec<(&str, &str)> {
        needs
            .iter()
            .map(|n| (n.action.as_str(), n.resource.as_str()))
            .collect()
    }

    fn real_map() -> KeyMap {
        key_map_from_template(real_template(), &real_physical(), REGION, ACCOUNT)
    }

    const SQS_JSON: &[(&str, &str)] = &[
        ("content-type", "application/x-amz-json-1.0"),
        ("x-amz-target", "AmazonSQS.SendMessage"),
    ];

    #[test]
    fn sending_to_an_encrypted_queue_needs_generate_data_key_and_decrypt() {
        let map = real_map();
        let key = key_arn();
        let url =
            format!("https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/sqs-trade-orders-us-east-1-dev");
        let body = json!({"QueueUrl": url, "MessageBody": "x"}).to_string();
        let (own, keys) = request_needs(&map, "sqs", Method::POST, "/", SQS_JSON, &body);
        assert_eq!(own, ["sqs:SendMessage"]);
        assert_eq!(
            actions(&keys),
            [
                ("kms:GenerateDataKey", key.as_str()),
                ("kms:Decrypt", key.as_str())
            ]
        );
        let context = &keys[0].context;
        assert_eq!(context["kms:ViaService"], ["sqs.us-east-1.amazonaws.com"]);
        assert_eq!(context["kms:CallerAccount"], [ACCOUNT]);
        assert_eq!(
            context["kms:EncryptionContext:aws:sqs:arn"],
            [format!(
                "arn:aws:sqs:{REGION}:{ACCOUNT}:sqs-trade-orders-us-east-1-dev"
            )]
        );

        let receive = [
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "AmazonSQS.ReceiveMessage"),
        ];
        let body = json!({"QueueUrl": url}).to_string();
        let (_, keys) = request_needs(&map, "sqs", Method::POST, "/", &receive, &body);
        assert_eq!(actions(&keys), [("kms:Decrypt", key.as_str())]);

        // Attributes and unencrypted queues need nothing of the key.
        let attrs = [
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "AmazonSQS.GetQueueAttributes"),
        ];
        let (_, keys) = request_needs(&map, "sqs", Method::POST, "/", &attrs, &body);
        assert!(keys.is_empty(), "{keys:?}");
        let body =
            json!({"QueueUrl": format!("http://localhost/{ACCOUNT}/plain"), "MessageBody": "x"});
        let (_, keys) = request_needs(&map, "sqs", Method::POST, "/", SQS_JSON, &body.to_string());
        assert!(keys.is_empty(), "{keys:?}");
    }

    #[test]
    fn topics_buckets_secrets_and_tables_need_their_key() {
        let mut map = real_map();
        let key = key_arn();
        let k = key.as_str();
        let form = [("content-type", "application/x-www-form-urlencoded")];
        let topic = format!("arn:aws:sns:{REGION}:{ACCOUNT}:sns-alerts-us-east-1-dev");
        let body = format!(
            "Action=Publish&TopicArn={}&Message=m",
            topic.replace(':', "%3A")
        );
        let (own, keys) = request_needs(&map, "sns", Method::POST, "/", &form, &body);
        assert_eq!(own, ["sns:Publish"]);
        assert_eq!(
            actions(&keys),
            [("kms:GenerateDataKey", k), ("kms:Decrypt", k)]
        );
        assert_eq!(
            keys[0].context["kms:ViaService"],
            ["sns.us-east-1.amazonaws.com"]
        );

        // S3: upload generates a data key, download decrypts; the bucket
        // key makes the bucket's ARN the encryption context.
        let object = "/s3-audit-log-us-east-1-dev-111111111111/2024/01/a.json";
        let (_, keys) = request_needs(&map, "s3", Method::PUT, object, &[], "x");
        assert_eq!(actions(&keys), [("kms:GenerateDataKey", k)]);
        assert_eq!(
            keys[0].context["kms:EncryptionContext:aws:s3:arn"],
            ["arn:aws:s3:::s3-audit-log-us-east-1-dev-111111111111"]
        );
        let (_, keys) = request_needs(&map, "s3", Method::GET, object, &[], "");
        assert_eq!(actions(&keys), [("kms:Decrypt", k)]);
        let (_, keys) = request_needs(&map, "s3", Method::HEAD, object, &[], "");
        assert_eq!(actions(&keys), [("kms:Decrypt", k)]);
        let (_, keys) = request_needs(
            &map,
            "s3",
            Method::PUT,
            &format!("{object}?partNumber=1&uploadId=u"),
            &[],
            "x",
        );
        assert_eq!(
            actions(&keys),
            [("kms:Decrypt", k)],
            "parts of a multipart upload"
        );
        let (_, keys) = request_needs(
            &map,
            "s3",
            Method::POST,
            &format!("{object}?uploads"),
            &[],
            "",
        );
        assert_eq!(actions(&keys), [("kms:GenerateDataKey", k)]);
        // A request asking for SSE-S3 uses no key; tagging none either.
        let sse_s3 = [("x-amz-server-side-encryption", "AES256")];
        let (_, keys) = request_needs(&map, "s3", Method::PUT, object, &sse_s3, "x");
        assert!(keys.is_empty(), "{keys:?}");
        let (_, keys) = request_needs(
            &map,
            "s3",
            Method::GET,
            &format!("{object}?tagging"),
            &[],
            "",
        );
        assert!(keys.is_empty(), "{keys:?}");
        let (_, keys) = request_needs(
            &map,
            "s3",
            Method::PUT,
            "/s3-access-logs-us-east-1-dev-111111111111/a",
            &[],
            "x",
        );
        assert!(keys.is_empty(), "an SSE-S3 bucket: {keys:?}");

        // Secrets Manager, with the managed secret the caller added.
        let secret =
            format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!cluster-1-QwErTy");
        map.insert(secret.clone(), key.clone());
        let json = |target: &'static str| {
            [
                ("content-type", "application/x-amz-json-1.1"),
                ("x-amz-target", target),
            ]
        };
        let body = json!({"SecretId": secret}).to_string();
        let (_, keys) = request_needs(
            &map,
            "secretsmanager",
            Method::POST,
            "/",
            &json("secretsmanager.GetSecretValue"),
            &body,
        );
        assert_eq!(actions(&keys), [("kms:Decrypt", k)]);
        assert_eq!(
            keys[0].context["kms:EncryptionContext:SecretARN"],
            std::slice::from_ref(&secret)
        );
        let body = json!({"SecretId": secret, "SecretString": "v"}).to_string();
        let (_, keys) = request_needs(
            &map,
            "secretsmanager",
            Method::POST,
            "/",
            &json("secretsmanager.PutSecretValue"),
            &body,
        );
        assert_eq!(actions(&keys), [("kms:GenerateDataKey", k)]);
        let body = json!({"SecretId": secret}).to_string();
        let (_, keys) = request_needs(
            &map,
            "secretsmanager",
            Method::POST,
            "/",
            &json("secretsmanager.DescribeSecret"),
            &body,
        );
        assert!(keys.is_empty(), "{keys:?}");

        // DynamoDB decrypts the table key for item reads and writes.
        let table = "ddb-sessions-us-east-1-dev";
        for (target, body) in [
            (
                "DynamoDB_20120810.PutItem",
                json!({"TableName": table, "Item": {}}),
            ),
            (
                "DynamoDB_20120810.Query",
                json!({"TableName": table, "IndexName": "byUser"}),
            ),
            (
                "DynamoDB_20120810.BatchWriteItem",
                json!({"RequestItems": {table: []}}),
            ),
        ] {
            let h = [
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amz-target", target),
            ];
            let (_, keys) =
                request_needs(&map, "dynamodb", Method::POST, "/", &h, &body.to_string());
            assert_eq!(actions(&keys), [("kms:Decrypt", k)], "{target}");
            assert_eq!(
                keys[0].context["kms:EncryptionContext:aws:dynamodb:tableName"],
                [table]
            );
        }
        let h = [
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "DynamoDB_20120810.DescribeTable"),
        ];
        let (_, keys) = request_needs(
            &map,
            "dynamodb",
            Method::POST,
            "/",
            &h,
            &json!({"TableName": table}).to_string(),
        );
        assert!(keys.is_empty(), "{keys:?}");

        // CloudWatch Logs uses its own grant on the key.
        let h = [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "Logs_20140328.PutLogEvents"),
        ];
        let body = json!({"logGroupName": "/aws/lambda/f", "logStreamName": "s", "logEvents": []});
        let (own, keys) = request_needs(&map, "logs", Method::POST, "/", &h, &body.to_string());
        assert_eq!(own, ["logs:PutLogEvents"]);
        assert!(keys.is_empty(), "{keys:?}");
    }
}
