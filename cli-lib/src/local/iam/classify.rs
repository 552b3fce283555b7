//! Which IAM actions on which resources an AWS request needs, read from the
//! request as the AWS SDKs send it, for the services the platform's
//! functions call. What is not known here is refused by the proxy (fail
//! closed), naming the service and operation.

use std::collections::BTreeMap;

use serde_json::Value;

/// How a service speaks, which decides how its errors are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `application/x-amz-json-1.0`/`1.1` with `X-Amz-Target`.
    Json,
    /// SQS's JSON protocol (`x-amzn-query-mode`), whose error codes are the
    /// query protocol's.
    SqsJson,
    /// Form-encoded `Action=...` with XML answers (SNS, CloudWatch, STS, SQS of old).
    Query,
    /// S3's REST-XML.
    S3,
    /// REST-JSON (Lambda).
    RestJson,
}

/// One request, verified, in the terms classification needs.
#[derive(Clone, Copy, Debug)]
pub struct AwsRequest<'a> {
    /// The signing name from the credential scope (`sqs`, `monitoring`, ...).
    pub service: &'a str,
    pub method: &'a http::Method,
    /// As sent (percent-encoded).
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a http::HeaderMap,
    pub body: &'a [u8],
    pub region: &'a str,
    pub account: &'a str,
}

/// One permission the request needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    /// `sqs:SendMessage`.
    pub action: String,
    /// The resource's ARN, or `*`.
    pub resource: String,
    pub context: BTreeMap<String, Vec<String>>,
}

/// What a request is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classified {
    pub protocol: Protocol,
    /// The operation's name (`SendMessage`, `PutObject`).
    pub operation: String,
    /// Empty for operations AWS allows every signed caller (`sts:GetCallerIdentity`).
    pub needs: Vec<Need>,
}

/// Why a request could not be classified; the proxy refuses it with this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unclassified {
    pub protocol: Protocol,
    pub message: String,
}

fn need(action: impl Into<String>, resource: impl Into<String>) -> Need {
    Need {
        action: action.into(),
        resource: resource.into(),
        context: BTreeMap::new(),
    }
}

/// The protocol a request to `service` speaks, from its headers.
pub fn protocol_of(service: &str, headers: &http::HeaderMap) -> Protocol {
    let content_type = header(headers, "content-type").unwrap_or_default();
    let json_target =
        content_type.starts_with("application/x-amz-json") || headers.contains_key("x-amz-target");
    match service {
        "s3" => Protocol::S3,
        "lambda" => Protocol::RestJson,
        "sqs" if json_target => Protocol::SqsJson,
        "sqs" | "sns" | "sts" | "iam" => Protocol::Query,
        "monitoring" if !json_target => Protocol::Query,
        _ if json_target => Protocol::Json,
        _ => Protocol::Query,
    }
}

/// The actions and resources `request` needs.
pub fn classify(request: &AwsRequest<'_>) -> Result<Classified, Unclassified> {
    let protocol = protocol_of(request.service, request.headers);
    let refuse = |message: String| Unclassified { protocol, message };
    let (operation, needs) = match (request.service, protocol) {
        ("s3", _) => s3(request).map_err(refuse)?,
        ("lambda", _) => lambda(request).map_err(refuse)?,
        (_, Protocol::Json | Protocol::SqsJson) => {
            let target = header(request.headers, "x-amz-target").unwrap_or_default();
            let operation = target.rsplit('.').next().unwrap_or_default().to_owned();
            let body: Value = if request.body.is_empty() {
                Value::Object(Default::default())
            } else {
                serde_json::from_slice(request.body).map_err(|e| {
                    refuse(format!(
                        "the {} {operation} request body is not JSON: {e}",
                        request.service
                    ))
                })?
            };
            let params = Params::Json(&body);
            let needs = by_operation(request, &operation, &params).map_err(refuse)?;
            (operation, needs)
        }
        (_, _) => {
            let mut form = parse_form(request.query.unwrap_or_default());
            form.extend(parse_form(&String::from_utf8_lossy(request.body)));
            let operation = form
                .iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v.clone())
                .ok_or_else(|| {
                    refuse(format!(
                        "the {} request names no Action; tp local knows only the query and JSON protocols for it",
                        request.service
                    ))
                })?;
            let params = Params::Form(&form, request.path);
            let needs = by_operation(request, &operation, &params).map_err(refuse)?;
            (operation, needs)
        }
    };
    Ok(Classified {
        protocol,
        operation,
        needs,
    })
}

/// An operation's input, in either encoding.
enum Params<'a> {
    Json(&'a Value),
    /// Form pairs, and the path (old SQS clients put the queue URL's path there).
    Form(&'a [(String, String)], &'a str),
}

impl Params<'_> {
    fn str(&self, name: &str) -> Option<String> {
        match self {
            Params::Json(v) => v.get(name).and_then(Value::as_str).map(str::to_owned),
            Params::Form(form, _) => form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
        }
    }

    /// Every value of a form member list (`Names.member.N`) or JSON array of
    /// strings.
    fn values(&self, name: &str) -> Vec<String> {
        match self {
            Params::Json(v) => v
                .get(name)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            Params::Form(form, _) => form
                .iter()
                .filter(|(k, _)| k.starts_with(&format!("{name}.")))
                .map(|(_, v)| v.clone())
                .collect(),
        }
    }
}

fn by_operation(
    request: &AwsRequest<'_>,
    operation: &str,
    params: &Params<'_>,
) -> Result<Vec<Need>, String> {
    let unknown = || {
        format!(
            "tp local does not know which IAM action and resource the {} operation {operation:?} needs, so it refuses it",
            request.service
        )
    };
    let (region, account) = (request.region, request.account);
    let missing = |what: &str| format!("the {} {operation} request has no {what}", request.service);
    let needs = match request.service {
        "dynamodb" => dynamodb(request, operation, params, &missing).ok_or_else(unknown)??,
        "sqs" => {
            let action = match operation {
                "SendMessageBatch" => "SendMessage",
                "DeleteMessageBatch" => "DeleteMessage",
                "ChangeMessageVisibilityBatch" => "ChangeMessageVisibility",
                "ListQueues" => return Ok(vec![need("sqs:ListQueues", "*")]),
                op if SQS_OPERATIONS.contains(&op) => op,
                _ => return Err(unknown()),
            };
            let queue_arn = match operation {
                "CreateQueue" | "GetQueueUrl" => {
                    let name = params
                        .str("QueueName")
                        .ok_or_else(|| missing("QueueName"))?;
                    let owner = params
                        .str("QueueOwnerAWSAccountId")
                        .unwrap_or_else(|| account.to_owned());
                    format!("arn:aws:sqs:{region}:{owner}:{name}")
                }
                _ => {
                    let url = match params {
                        Params::Form(_, path) if params.str("QueueUrl").is_none() => {
                            path.to_string()
                        }
                        _ => params.str("QueueUrl").ok_or_else(|| missing("QueueUrl"))?,
                    };
                    queue_arn(&url, region).ok_or_else(|| {
                        format!("{url:?} is not an SQS queue URL (http://host/ACCOUNT/NAME)")
                    })?
                }
            };
            vec![need(format!("sqs:{action}"), queue_arn)]
        }
        // What the platform's functions call: network_guard closes a
        // default security group.
        "ec2" => match operation {
            "RevokeSecurityGroupIngress" | "RevokeSecurityGroupEgress" => {
                let group = params.str("GroupId").ok_or_else(|| missing("GroupId"))?;
                vec![need(
                    format!("ec2:{operation}"),
                    format!("arn:aws:ec2:{region}:{account}:security-group/{group}"),
                )]
            }
            _ => return Err(unknown()),
        },
        "sns" => match operation {
            "ListTopics" | "ListSubscriptions" => vec![need(format!("sns:{operation}"), "*")],
            "CreateTopic" => {
                let name = params.str("Name").ok_or_else(|| missing("Name"))?;
                vec![need(
                    "sns:CreateTopic",
                    format!("arn:aws:sns:{region}:{account}:{name}"),
                )]
            }
            "Publish"
            | "PublishBatch"
            | "Subscribe"
            | "GetTopicAttributes"
            | "SetTopicAttributes"
            | "ListSubscriptionsByTopic"
            | "DeleteTopic" => {
                let topic = params
                    .str("TopicArn")
                    .or_else(|| params.str("TargetArn"))
                    .ok_or_else(|| missing("TopicArn"))?;
                vec![need(format!("sns:{operation}"), topic)]
            }
            _ => return Err(unknown()),
        },
        "events" => match operation {
            "PutEvents" => {
                let entries = match params {
                    Params::Json(v) => v
                        .get("Entries")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                    Params::Form(..) => return Err(unknown()),
                };
                let mut buses: Vec<String> = entries
                    .iter()
                    .map(|e| {
                        bus_arn(
                            e.get("EventBusName").and_then(Value::as_str),
                            region,
                            account,
                        )
                    })
                    .collect();
                buses.sort();
                buses.dedup();
                buses
                    .into_iter()
                    .map(|bus| need("events:PutEvents", bus))
                    .collect()
            }
            "DescribeEventBus" => vec![need(
                "events:DescribeEventBus",
                bus_arn(params.str("Name").as_deref(), region, account),
            )],
            "ListRules" | "ListEventBuses" => vec![need(format!("events:{operation}"), "*")],
            _ => return Err(unknown()),
        },
        "secretsmanager" => match operation {
            "ListSecrets" | "GetRandomPassword" => {
                vec![need(format!("secretsmanager:{operation}"), "*")]
            }
            "CreateSecret" => {
                let name = params.str("Name").ok_or_else(|| missing("Name"))?;
                vec![need(
                    "secretsmanager:CreateSecret",
                    secret_arn(&name, region, account),
                )]
            }
            "GetSecretValue"
            | "DescribeSecret"
            | "PutSecretValue"
            | "UpdateSecret"
            | "DeleteSecret"
            | "RotateSecret"
            | "TagResource"
            | "UntagResource"
            | "ListSecretVersionIds"
            | "GetResourcePolicy"
            | "UpdateSecretVersionStage" => {
                let id = params.str("SecretId").ok_or_else(|| missing("SecretId"))?;
                vec![need(
                    format!("secretsmanager:{operation}"),
                    secret_arn(&id, region, account),
                )]
            }
            "BatchGetSecretValue" => params
                .values("SecretIdList")
                .iter()
                .map(|id| {
                    need(
                        "secretsmanager:GetSecretValue",
                        secret_arn(id, region, account),
                    )
                })
                .chain([need("secretsmanager:BatchGetSecretValue", "*")])
                .collect(),
            _ => return Err(unknown()),
        },
        "monitoring" => match operation {
            "PutMetricData" => {
                let mut n = need("cloudwatch:PutMetricData", "*");
                if let Some(namespace) = params.str("Namespace") {
                    n.context
                        .insert("cloudwatch:namespace".to_owned(), vec![namespace]);
                }
                vec![n]
            }
            "GetMetricData"
            | "GetMetricStatistics"
            | "ListMetrics"
            | "DescribeAlarms"
            | "GetMetricWidgetImage" => vec![need(format!("cloudwatch:{operation}"), "*")],
            "PutMetricAlarm" | "DeleteAlarms" | "SetAlarmState" | "DescribeAlarmHistory" => {
                let mut names = params.values("AlarmNames");
                names.extend(params.str("AlarmName"));
                if names.is_empty() {
                    return Err(missing("AlarmName"));
                }
                names
                    .iter()
                    .map(|name| {
                        need(
                            format!("cloudwatch:{operation}"),
                            format!("arn:aws:cloudwatch:{region}:{account}:alarm:{name}"),
                        )
                    })
                    .collect()
            }
            _ => return Err(unknown()),
        },
        // Settings the functions read (`parameter` with a `read` grant).
        "ssm" => match operation {
            "DescribeParameters" => vec![need("ssm:DescribeParameters", "*")],
            "GetParameter"
            | "GetParameterHistory"
            | "PutParameter"
            | "DeleteParameter"
            | "LabelParameterVersion" => {
                let name = params.str("Name").ok_or_else(|| missing("Name"))?;
                vec![need(
                    format!("ssm:{operation}"),
                    parameter_arn(&name, region, account),
                )]
            }
            "GetParameters" | "DeleteParameters" => {
                let names = params.values("Names");
                if names.is_empty() {
                    return Err(missing("Names"));
                }
                names
                    .iter()
                    .map(|name| {
                        need(
                            format!("ssm:{operation}"),
                            parameter_arn(name, region, account),
                        )
                    })
                    .collect()
            }
            _ => return Err(unknown()),
        },
        "logs" => {
            let group = params.str("logGroupName");
            let stream = params.str("logStreamName");
            let group_arn = |g: &str| format!("arn:aws:logs:{region}:{account}:log-group:{g}");
            match operation {
                "DescribeLogGroups" => vec![need("logs:DescribeLogGroups", "*")],
                "PutLogEvents" | "GetLogEvents" => {
                    let group = group.ok_or_else(|| missing("logGroupName"))?;
                    let stream = stream.ok_or_else(|| missing("logStreamName"))?;
                    vec![need(
                        format!("logs:{operation}"),
                        format!("{}:log-stream:{stream}", group_arn(&group)),
                    )]
                }
                "CreateLogGroup" | "CreateLogStream" | "DescribeLogStreams" | "FilterLogEvents"
                | "DeleteLogGroup" | "PutRetentionPolicy" | "DeleteLogStream" => {
                    let group = group.ok_or_else(|| missing("logGroupName"))?;
                    vec![need(format!("logs:{operation}"), group_arn(&group))]
                }
                _ => return Err(unknown()),
            }
        }
        "kms" => match operation {
            "ListKeys" | "ListAliases" | "CreateKey" | "GenerateRandom" => {
                vec![need(format!("kms:{operation}"), "*")]
            }
            "Encrypt"
            | "Decrypt"
            | "GenerateDataKey"
            | "GenerateDataKeyWithoutPlaintext"
            | "DescribeKey"
            | "Sign"
            | "Verify"
            | "GetPublicKey"
            | "ReEncrypt"
            | "GenerateMac"
            | "VerifyMac" => {
                let resource = match params.str("KeyId") {
                    Some(id) => kms_arn(&id, region, account),
                    // Symmetric Decrypt finds the key in the ciphertext,
                    // which is opaque here.
                    None if operation == "Decrypt" => "*".to_owned(),
                    None => return Err(missing("KeyId")),
                };
                vec![need(format!("kms:{operation}"), resource)]
            }
            _ => return Err(unknown()),
        },
        "sts" => match operation {
            // AWS answers GetCallerIdentity for every valid signature.
            "GetCallerIdentity" => vec![],
            _ => return Err(unknown()),
        },
        _ => return Err(unknown()),
    };
    Ok(needs)
}

const SQS_OPERATIONS: &[&str] = &[
    "SendMessage",
    "ReceiveMessage",
    "DeleteMessage",
    "ChangeMessageVisibility",
    "GetQueueAttributes",
    "SetQueueAttributes",
    "GetQueueUrl",
    "CreateQueue",
    "DeleteQueue",
    "PurgeQueue",
    "ListQueueTags",
    "TagQueue",
    "UntagQueue",
    "ListDeadLetterSourceQueues",
];

const DYNAMODB_TABLE_OPERATIONS: &[&str] = &[
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "DescribeTable",
    "CreateTable",
    "DeleteTable",
    "UpdateTable",
    "DescribeTimeToLive",
    "UpdateTimeToLive",
    "DescribeContinuousBackups",
    "ListTagsOfResource",
];

fn dynamodb(
    request: &AwsRequest<'_>,
    operation: &str,
    params: &Params<'_>,
    missing: &dyn Fn(&str) -> String,
) -> Option<Result<Vec<Need>, String>> {
    let (region, account) = (request.region, request.account);
    let table_arn = |t: &str| {
        if t.starts_with("arn:") {
            t.to_owned()
        } else {
            format!("arn:aws:dynamodb:{region}:{account}:table/{t}")
        }
    };
    let Params::Json(body) = params else {
        return None;
    };
    let result = match operation {
        "ListTables" => Ok(vec![need("dynamodb:ListTables", "*")]),
        "BatchGetItem" | "BatchWriteItem" => {
            let tables = body
                .get("RequestItems")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            if tables.is_empty() {
                Err(missing("RequestItems"))
            } else {
                Ok(tables
                    .iter()
                    .map(|t| need(format!("dynamodb:{operation}"), table_arn(t)))
                    .collect())
            }
        }
        "TransactWriteItems" | "TransactGetItems" => {
            let mut needs = Vec::new();
            for item in body
                .get("TransactItems")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some((kind, inner)) = item.as_object().and_then(|m| m.iter().next()) else {
                    continue;
                };
                let action = match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    "Get" => "GetItem",
                    _ => continue,
                };
                let Some(table) = inner.get("TableName").and_then(Value::as_str) else {
                    return Some(Err(missing("TableName in TransactItems")));
                };
                let n = need(format!("dynamodb:{action}"), table_arn(table));
                if !needs.contains(&n) {
                    needs.push(n);
                }
            }
            if needs.is_empty() {
                Err(missing("TransactItems"))
            } else {
                Ok(needs)
            }
        }
        op if DYNAMODB_TABLE_OPERATIONS.contains(&op) => {
            let table = if op == "ListTagsOfResource" {
                params.str("ResourceArn")
            } else {
                params.str("TableName")
            };
            match table {
                None => Err(missing("TableName")),
                Some(table) => {
                    let mut arn = table_arn(&table);
                    // Querying an index is authorized on the index's ARN.
                    if let (Some(index), "Query" | "Scan") = (params.str("IndexName"), op) {
                        arn = format!("{arn}/index/{index}");
                    }
                    Ok(vec![need(format!("dynamodb:{op}"), arn)])
                }
            }
        }
        _ => return None,
    };
    Some(result)
}

/// `http(s)://any-host/ACCOUNT/NAME` (or just `/ACCOUNT/NAME`) as a queue ARN.
pub fn queue_arn(url: &str, region: &str) -> Option<String> {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|i| &rest[i..])?,
        None => url,
    };
    let mut parts = path.trim_matches('/').split('/');
    let (account, name) = (parts.next()?, parts.next()?);
    if parts.next().is_some()
        || account.is_empty()
        || name.is_empty()
        || !account.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some(format!("arn:aws:sqs:{region}:{account}:{name}"))
}

/// An `EventBusName` (a name, an ARN, or none for the default bus) as a bus ARN.
pub fn bus_arn(name: Option<&str>, region: &str, account: &str) -> String {
    match name {
        Some(arn) if arn.starts_with("arn:") => arn.to_owned(),
        Some(name) if !name.is_empty() => {
            format!("arn:aws:events:{region}:{account}:event-bus/{name}")
        }
        _ => format!("arn:aws:events:{region}:{account}:event-bus/default"),
    }
}

/// A bus ARN or name as the bus's name.
pub fn bus_name(name: Option<&str>) -> String {
    match name {
        Some(n) if !n.is_empty() => n.rsplit('/').next().unwrap_or(n).to_owned(),
        _ => "default".to_owned(),
    }
}

/// A `SecretId` (ARN or name) as an ARN. A name gives the ARN without
/// Secrets Manager's random suffix; the proxy resolves names to full
/// ARNs before asking.
pub fn secret_arn(id: &str, region: &str, account: &str) -> String {
    if id.starts_with("arn:") {
        id.to_owned()
    } else {
        format!("arn:aws:secretsmanager:{region}:{account}:secret:{id}")
    }
}

/// A parameter's `Name` (a path like `/trading/dev/us-east-1/limit`, a bare
/// name, or an ARN) as the ARN IAM matches: `...:parameter/trading/...`, the
/// path's leading slash being the one after `parameter`.
pub fn parameter_arn(name: &str, region: &str, account: &str) -> String {
    if name.starts_with("arn:") {
        return name.to_owned();
    }
    let path = name.strip_prefix('/').unwrap_or(name);
    format!("arn:aws:ssm:{region}:{account}:parameter/{path}")
}

fn kms_arn(id: &str, region: &str, account: &str) -> String {
    if id.starts_with("arn:") {
        id.to_owned()
    } else if id.starts_with("alias/") {
        format!("arn:aws:kms:{region}:{account}:{id}")
    } else {
        format!("arn:aws:kms:{region}:{account}:key/{id}")
    }
}

fn lambda(request: &AwsRequest<'_>) -> Result<(String, Vec<Need>), String> {
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", [_version, "functions", name, "invocations"]) => {
            let name = percent_decode(name);
            let qualifier = parse_form(request.query.unwrap_or_default())
                .into_iter()
                .find(|(k, _)| k == "Qualifier")
                .map(|(_, v)| v);
            let arn = function_arn(&name, qualifier.as_deref(), request.region, request.account);
            Ok((
                "Invoke".to_owned(),
                vec![need("lambda:InvokeFunction", arn)],
            ))
        }
        _ => Err(format!(
            "tp local does not know which IAM action and resource the lambda request {} {} needs, so it refuses it (only Invoke is served)",
            request.method, request.path
        )),
    }
}

/// A function name as Invoke takes it (name, partial or full ARN, optional
/// `:qualifier`) as the function's ARN.
pub fn function_arn(name: &str, qualifier: Option<&str>, region: &str, account: &str) -> String {
    let mut arn = if name.starts_with("arn:") {
        name.to_owned()
    } else if let Some((acct, rest)) = name.split_once(":function:") {
        format!("arn:aws:lambda:{region}:{acct}:function:{rest}")
    } else {
        format!("arn:aws:lambda:{region}:{account}:function:{name}")
    };
    if let Some(q) = qualifier.filter(|q| !q.is_empty()) {
        // Only append when the name did not already carry a qualifier.
        if arn.split(':').count() == 7 {
            arn = format!("{arn}:{q}");
        }
    }
    arn
}

/// The function's name out of whatever Invoke was given.
pub fn function_name(name: &str) -> String {
    let decoded = percent_decode(name);
    match decoded.split_once("function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest).to_owned(),
        None => decoded.split(':').next().unwrap_or(&decoded).to_owned(),
    }
}

fn s3(request: &AwsRequest<'_>) -> Result<(String, Vec<Need>), String> {
    let path = request.path.trim_start_matches('/');
    let (bucket, key) = match path.split_once('/') {
        Some((b, k)) => (percent_decode(b), percent_decode(k)),
        None => (percent_decode(path), String::new()),
    };
    let query = parse_form(request.query.unwrap_or_default());
    let has = |name: &str| query.iter().any(|(k, _)| k == name);
    let method = request.method.as_str();
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let object_arn = format!("arn:aws:s3:::{bucket}/{key}");
    let one = |op: &str, action: &str, arn: &str| Ok((op.to_owned(), vec![need(action, arn)]));
    if bucket.is_empty() {
        return match method {
            "GET" => one("ListBuckets", "s3:ListAllMyBuckets", "*"),
            _ => Err(format!(
                "tp local does not know which IAM action the S3 request {method} / needs, so it refuses it"
            )),
        };
    }
    if key.is_empty() {
        return match method {
            "GET" if has("versions") => {
                one("ListObjectVersions", "s3:ListBucketVersions", &bucket_arn)
            }
            "GET" if has("location") => {
                one("GetBucketLocation", "s3:GetBucketLocation", &bucket_arn)
            }
            "GET" if has("uploads") => one(
                "ListMultipartUploads",
                "s3:ListBucketMultipartUploads",
                &bucket_arn,
            ),
            "GET" if has("tagging") => one("GetBucketTagging", "s3:GetBucketTagging", &bucket_arn),
            "GET" if has("policy") => one("GetBucketPolicy", "s3:GetBucketPolicy", &bucket_arn),
            "GET" if has("versioning") => {
                one("GetBucketVersioning", "s3:GetBucketVersioning", &bucket_arn)
            }
            "GET"
                if query
                    .iter()
                    .all(|(k, _)| S3_LIST_PARAMS.contains(&k.as_str())) =>
            {
                one("ListObjects", "s3:ListBucket", &bucket_arn)
            }
            "HEAD" => one("HeadBucket", "s3:ListBucket", &bucket_arn),
            "PUT" if query.is_empty() => one("CreateBucket", "s3:CreateBucket", &bucket_arn),
            "DELETE" if query.is_empty() => one("DeleteBucket", "s3:DeleteBucket", &bucket_arn),
            "POST" if has("delete") => {
                let keys = xml_values(&String::from_utf8_lossy(request.body), "Key");
                if keys.is_empty() {
                    return Err("the S3 DeleteObjects request names no Key".to_owned());
                }
                Ok((
                    "DeleteObjects".to_owned(),
                    keys.iter()
                        .map(|k| need("s3:DeleteObject", format!("arn:aws:s3:::{bucket}/{k}")))
                        .collect(),
                ))
            }
            _ => Err(format!(
                "tp local does not know which IAM action the S3 bucket request {method} /{bucket}?{} needs, so it refuses it",
                request.query.unwrap_or_default()
            )),
        };
    }
    match method {
        "GET" | "HEAD" if has("tagging") => {
            one("GetObjectTagging", "s3:GetObjectTagging", &object_arn)
        }
        "GET" if has("acl") => one("GetObjectAcl", "s3:GetObjectAcl", &object_arn),
        "GET" if has("uploadId") => one("ListParts", "s3:ListMultipartUploadParts", &object_arn),
        "GET" | "HEAD" if has("versionId") => {
            let op = if method == "GET" {
                "GetObject"
            } else {
                "HeadObject"
            };
            one(op, "s3:GetObjectVersion", &object_arn)
        }
        "GET" => one("GetObject", "s3:GetObject", &object_arn),
        "HEAD" => one("HeadObject", "s3:GetObject", &object_arn),
        "PUT" if has("tagging") => one("PutObjectTagging", "s3:PutObjectTagging", &object_arn),
        "PUT" if has("acl") => one("PutObjectAcl", "s3:PutObjectAcl", &object_arn),
        "PUT" => {
            let mut put = need("s3:PutObject", object_arn.as_str());
            // A conditional write (`If-None-Match: *`): what a bucket's
            // `append` grant requires (`s3:if-none-match` present).
            if let Some(value) = header(request.headers, "if-none-match") {
                put.context
                    .insert("s3:if-none-match".to_owned(), vec![value.to_owned()]);
            }
            let mut needs = vec![put];
            let mut op = if has("uploadId") {
                "UploadPart"
            } else {
                "PutObject"
            };
            if let Some(source) = header(request.headers, "x-amz-copy-source") {
                let source = percent_decode(source.trim_start_matches('/'));
                let (source, version) = match source.split_once("?versionId=") {
                    Some((s, _)) => (s.to_owned(), true),
                    None => (source, false),
                };
                let action = if version {
                    "s3:GetObjectVersion"
                } else {
                    "s3:GetObject"
                };
                needs.push(need(action, format!("arn:aws:s3:::{source}")));
                op = if has("uploadId") {
                    "UploadPartCopy"
                } else {
                    "CopyObject"
                };
            }
            Ok((op.to_owned(), needs))
        }
        "POST" if has("uploads") => one("CreateMultipartUpload", "s3:PutObject", &object_arn),
        "POST" if has("uploadId") => one("CompleteMultipartUpload", "s3:PutObject", &object_arn),
        "DELETE" if has("uploadId") => one(
            "AbortMultipartUpload",
            "s3:AbortMultipartUpload",
            &object_arn,
        ),
        "DELETE" if has("tagging") => {
            one("DeleteObjectTagging", "s3:DeleteObjectTagging", &object_arn)
        }
        "DELETE" if has("versionId") => one("DeleteObject", "s3:DeleteObjectVersion", &object_arn),
        "DELETE" => one("DeleteObject", "s3:DeleteObject", &object_arn),
        _ => Err(format!(
            "tp local does not know which IAM action the S3 object request {method} {} needs, so it refuses it",
            request.path
        )),
    }
}

/// Query parameters of ListObjects(V2) (and the SDK's `x-id`).
const S3_LIST_PARAMS: &[&str] = &[
    "list-type",
    "prefix",
    "delimiter",
    "max-keys",
    "marker",
    "continuation-token",
    "start-after",
    "encoding-type",
    "fetch-owner",
    "x-id",
];

/// The text of every `<tag>...</tag>` in `xml`, entities decoded. Enough
/// for S3's DeleteObjects body, which is flat.
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(
            after[..end]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        );
        rest = &after[end + close.len()..];
    }
    out
}

fn header<'h>(headers: &'h http::HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub use crate::local::encoding::{parse_form, percent_decode};

#[cfg(test)]
mod tests {
    use super::*;

    const REGION: &str = "us-east-1";
    const ACCOUNT: &str = "123456789012";

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn run(
        service: &str,
        method: &str,
        path_and_query: &str,
        hdrs: &[(&str, &str)],
        body: &str,
    ) -> Result<Classified, Unclassified> {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let method: http::Method = method.parse().unwrap();
        let headers = headers(hdrs);
        classify(&AwsRequest {
            service,
            method: &method,
            path,
            query,
            headers: &headers,
            body: body.as_bytes(),
            region: REGION,
            account: ACCOUNT,
        })
    }

    fn pairs(c: &Classified) -> Vec<(&str, &str)> {
        c.needs
            .iter()
            .map(|n| (n.action.as_str(), n.resource.as_str()))
            .collect()
    }

    fn json(target: &str, version: &str) -> Vec<(&'static str, String)> {
        vec![
            ("content-type", format!("application/x-amz-json-{version}")),
            ("x-amz-target", target.to_owned()),
        ]
    }

    fn json_run(service: &str, target: &str, version: &str, body: &str) -> Classified {
        let h = json(target, version);
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run(service, "POST", "/", &h, body).unwrap()
    }

    #[test]
    fn dynamodb_json_requests_name_their_tables() {
        let c = json_run(
            "dynamodb",
            "DynamoDB_20120810.GetItem",
            "1.0",
            r#"{"TableName":"T","Key":{"pk":{"S":"1"}}}"#,
        );
        assert_eq!(c.protocol, Protocol::Json);
        assert_eq!(c.operation, "GetItem");
        assert_eq!(
            pairs(&c),
            [(
                "dynamodb:GetItem",
                "arn:aws:dynamodb:us-east-1:123456789012:table/T"
            )]
        );
        let c = json_run(
            "dynamodb",
            "DynamoDB_20120810.Query",
            "1.0",
            r#"{"TableName":"T","IndexName":"byDate"}"#,
        );
        assert_eq!(
            pairs(&c),
            [(
                "dynamodb:Query",
                "arn:aws:dynamodb:us-east-1:123456789012:table/T/index/byDate"
            )]
        );
        let c = json_run(
            "dynamodb",
            "DynamoDB_20120810.BatchWriteItem",
            "1.0",
            r#"{"RequestItems":{"A":[],"B":[]}}"#,
        );
        assert_eq!(
            pairs(&c),
            [
                (
                    "dynamodb:BatchWriteItem",
                    "arn:aws:dynamodb:us-east-1:123456789012:table/A"
                ),
                (
                    "dynamodb:BatchWriteItem",
                    "arn:aws:dynamodb:us-east-1:123456789012:table/B"
                ),
            ]
        );
        let c = json_run(
            "dynamodb",
            "DynamoDB_20120810.TransactWriteItems",
            "1.0",
            r#"{"TransactItems":[{"Put":{"TableName":"A"}},{"ConditionCheck":{"TableName":"B"}}]}"#,
        );
        assert_eq!(
            pairs(&c),
            [
                (
                    "dynamodb:PutItem",
                    "arn:aws:dynamodb:us-east-1:123456789012:table/A"
                ),
                (
                    "dynamodb:ConditionCheckItem",
                    "arn:aws:dynamodb:us-east-1:123456789012:table/B"
                ),
            ]
        );
    }

    #[test]
    fn sqs_json_and_query_protocols_name_the_queue_from_any_host() {
        let h = [
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "AmazonSQS.SendMessage"),
            ("x-amzn-query-mode", "true"),
        ];
        let c = run(
            "sqs",
            "POST",
            "/",
            &h,
            r#"{"QueueUrl":"http://localhost:4566/123456789012/A","MessageBody":"x"}"#,
        )
        .unwrap();
        assert_eq!(c.protocol, Protocol::SqsJson);
        assert_eq!(
            pairs(&c),
            [("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:A")]
        );
        let c = run(
            "sqs",
            "POST",
            "/",
            &[("content-type", "application/x-www-form-urlencoded")],
            "Action=SendMessageBatch&QueueUrl=https%3A%2F%2Fsqs.us-east-1.amazonaws.com%2F123456789012%2FB&Version=2012-11-05",
        )
        .unwrap();
        assert_eq!(c.protocol, Protocol::Query);
        assert_eq!(
            pairs(&c),
            [("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:B")]
        );
        // Old clients post to the queue's own path.
        let c = run(
            "sqs",
            "POST",
            "/123456789012/C",
            &[("content-type", "application/x-www-form-urlencoded")],
            "Action=ReceiveMessage",
        )
        .unwrap();
        assert_eq!(
            pairs(&c),
            [("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:C")]
        );
        let err = run("sqs", "POST", "/", &h[..2], r#"{"QueueUrl":"nonsense"}"#).unwrap_err();
        assert!(err.message.contains("nonsense"), "{}", err.message);
    }

    #[test]
    fn sns_cloudwatch_and_sts_query_requests() {
        let form = [("content-type", "application/x-www-form-urlencoded")];
        let c = run(
            "sns",
            "POST",
            "/",
            &form,
            "Action=Publish&Version=2010-03-31&Message=m&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3At",
        )
        .unwrap();
        assert_eq!(
            pairs(&c),
            [("sns:Publish", "arn:aws:sns:us-east-1:123456789012:t")]
        );
        let c = run(
            "monitoring",
            "POST",
            "/",
            &form,
            "Action=PutMetricData&Version=2010-08-01&Namespace=Trading%2FOrders&MetricData.member.1.MetricName=m&MetricData.member.1.Value=1",
        )
        .unwrap();
        assert_eq!(c.protocol, Protocol::Query);
        assert_eq!(pairs(&c), [("cloudwatch:PutMetricData", "*")]);
        assert_eq!(
            c.needs[0].context.get("cloudwatch:namespace"),
            Some(&vec!["Trading/Orders".to_owned()])
        );
        let c = run(
            "sts",
            "POST",
            "/",
            &form,
            "Action=GetCallerIdentity&Version=2011-06-15",
        )
        .unwrap();
        assert!(c.needs.is_empty());
        let err = run("sts", "POST", "/", &form, "Action=AssumeRole&RoleArn=x").unwrap_err();
        assert!(err.message.contains("AssumeRole"), "{}", err.message);
    }

    #[test]
    fn eventbridge_entries_name_their_buses() {
        let c = json_run(
            "events",
            "AWSEvents.PutEvents",
            "1.1",
            r#"{"Entries":[{"Source":"a","DetailType":"d","Detail":"{}"},{"Source":"b","EventBusName":"orders","DetailType":"d","Detail":"{}"},{"Source":"c","EventBusName":"arn:aws:events:us-east-1:123456789012:event-bus/orders"}]}"#,
        );
        assert_eq!(
            pairs(&c),
            [
                (
                    "events:PutEvents",
                    "arn:aws:events:us-east-1:123456789012:event-bus/default"
                ),
                (
                    "events:PutEvents",
                    "arn:aws:events:us-east-1:123456789012:event-bus/orders"
                ),
            ]
        );
        assert_eq!(
            bus_name(Some("arn:aws:events:us-east-1:1:event-bus/orders")),
            "orders"
        );
        assert_eq!(bus_name(None), "default");
    }

    #[test]
    fn s3_rest_paths_become_bucket_and_object_arns() {
        let h = [("host", "127.0.0.1:1")];
        let cases = [
            (
                "PUT",
                "/b/a%20b/c.txt?x-id=PutObject",
                "PutObject",
                "s3:PutObject",
                "arn:aws:s3:::b/a b/c.txt",
            ),
            (
                "GET",
                "/b/k?x-id=GetObject",
                "GetObject",
                "s3:GetObject",
                "arn:aws:s3:::b/k",
            ),
            (
                "HEAD",
                "/b/k",
                "HeadObject",
                "s3:GetObject",
                "arn:aws:s3:::b/k",
            ),
            (
                "DELETE",
                "/b/k?x-id=DeleteObject",
                "DeleteObject",
                "s3:DeleteObject",
                "arn:aws:s3:::b/k",
            ),
            (
                "GET",
                "/b/?list-type=2&prefix=p%2F",
                "ListObjects",
                "s3:ListBucket",
                "arn:aws:s3:::b",
            ),
            (
                "GET",
                "/b",
                "ListObjects",
                "s3:ListBucket",
                "arn:aws:s3:::b",
            ),
            (
                "HEAD",
                "/b",
                "HeadBucket",
                "s3:ListBucket",
                "arn:aws:s3:::b",
            ),
            ("GET", "/", "ListBuckets", "s3:ListAllMyBuckets", "*"),
            (
                "POST",
                "/b/k?uploads",
                "CreateMultipartUpload",
                "s3:PutObject",
                "arn:aws:s3:::b/k",
            ),
        ];
        for (method, path, op, action, arn) in cases {
            let c = run("s3", method, path, &h, "").unwrap();
            assert_eq!(c.protocol, Protocol::S3);
            assert_eq!(
                (c.operation.as_str(), pairs(&c)),
                (op, vec![(action, arn)]),
                "{method} {path}"
            );
        }
        let copy = run(
            "s3",
            "PUT",
            "/dst/k2",
            &[("x-amz-copy-source", "/src/k%201")],
            "",
        )
        .unwrap();
        assert_eq!(
            pairs(&copy),
            [
                ("s3:PutObject", "arn:aws:s3:::dst/k2"),
                ("s3:GetObject", "arn:aws:s3:::src/k 1")
            ]
        );
        // A conditional write carries `s3:if-none-match`, which a bucket's
        // `append` grant requires; a plain write does not.
        let conditional = run("s3", "PUT", "/b/k", &[("if-none-match", "*")], "x").unwrap();
        assert_eq!(conditional.needs[0].context["s3:if-none-match"], ["*"]);
        let plain = run("s3", "PUT", "/b/k", &[], "x").unwrap();
        assert!(plain.needs[0].context.is_empty());
        let delete = run(
            "s3",
            "POST",
            "/b?delete",
            &h,
            "<Delete><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key></Object></Delete>",
        )
        .unwrap();
        assert_eq!(
            pairs(&delete),
            [
                ("s3:DeleteObject", "arn:aws:s3:::b/a&b"),
                ("s3:DeleteObject", "arn:aws:s3:::b/c")
            ]
        );
    }

    #[test]
    fn ssm_parameters_are_named_by_their_arn() {
        let c = json_run(
            "ssm",
            "AmazonSSM.GetParameter",
            "1.1",
            r#"{"Name":"/trading/dev/us-east-1/max_order_quantity"}"#,
        );
        assert_eq!(
            pairs(&c),
            [(
                "ssm:GetParameter",
                "arn:aws:ssm:us-east-1:123456789012:parameter/trading/dev/us-east-1/max_order_quantity"
            )]
        );
        let c = json_run(
            "ssm",
            "AmazonSSM.GetParameters",
            "1.1",
            r#"{"Names":["plain","arn:aws:ssm:us-east-1:123456789012:parameter/a/b"]}"#,
        );
        assert_eq!(
            pairs(&c),
            [
                (
                    "ssm:GetParameters",
                    "arn:aws:ssm:us-east-1:123456789012:parameter/plain"
                ),
                (
                    "ssm:GetParameters",
                    "arn:aws:ssm:us-east-1:123456789012:parameter/a/b"
                )
            ]
        );
        let c = json_run("ssm", "AmazonSSM.DescribeParameters", "1.1", "{}");
        assert_eq!(pairs(&c), [("ssm:DescribeParameters", "*")]);
    }

    #[test]
    fn secrets_logs_kms_and_lambda() {
        let c = json_run(
            "secretsmanager",
            "secretsmanager.GetSecretValue",
            "1.1",
            r#"{"SecretId":"db"}"#,
        );
        assert_eq!(
            pairs(&c),
            [(
                "secretsmanager:GetSecretValue",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"
            )]
        );
        let c = json_run(
            "logs",
            "Logs_20140328.PutLogEvents",
            "1.1",
            r#"{"logGroupName":"/aws/lambda/f","logStreamName":"s","logEvents":[]}"#,
        );
        assert_eq!(
            pairs(&c),
            [(
                "logs:PutLogEvents",
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:log-stream:s"
            )]
        );
        let c = json_run(
            "kms",
            "TrentService.Decrypt",
            "1.1",
            r#"{"CiphertextBlob":"x"}"#,
        );
        assert_eq!(pairs(&c), [("kms:Decrypt", "*")]);
        let c = json_run(
            "kms",
            "TrentService.Encrypt",
            "1.1",
            r#"{"KeyId":"alias/app"}"#,
        );
        assert_eq!(
            pairs(&c),
            [(
                "kms:Encrypt",
                "arn:aws:kms:us-east-1:123456789012:alias/app"
            )]
        );

        let c = run(
            "lambda",
            "POST",
            "/2015-03-31/functions/pricer/invocations",
            &[("x-amz-invocation-type", "RequestResponse")],
            "{}",
        )
        .unwrap();
        assert_eq!(c.protocol, Protocol::RestJson);
        assert_eq!(
            pairs(&c),
            [(
                "lambda:InvokeFunction",
                "arn:aws:lambda:us-east-1:123456789012:function:pricer"
            )]
        );
        let c = run(
            "lambda",
            "POST",
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Apricer/invocations?Qualifier=live",
            &[],
            "{}",
        )
        .unwrap();
        assert_eq!(
            pairs(&c),
            [(
                "lambda:InvokeFunction",
                "arn:aws:lambda:us-east-1:123456789012:function:pricer:live"
            )]
        );
        assert_eq!(
            function_name("arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Apricer"),
            "pricer"
        );
        assert!(run("lambda", "GET", "/2015-03-31/functions", &[], "").is_err());
    }

    #[test]
    fn unknown_services_and_operations_are_refused_by_name() {
        let c = run(
            "dynamodb",
            "POST",
            "/",
            &[("x-amz-target", "DynamoDB_20120810.RestoreTableFromBackup")],
            "{}",
        )
        .unwrap_err();
        assert!(
            c.message.contains("RestoreTableFromBackup"),
            "{}",
            c.message
        );
        assert_eq!(c.protocol, Protocol::Json);
        let revoke = run(
            "ec2",
            "POST",
            "/",
            &[],
            "Action=RevokeSecurityGroupIngress&GroupId=sg-0abc",
        )
        .expect("classified");
        assert_eq!(
            revoke.needs,
            [need(
                "ec2:RevokeSecurityGroupIngress",
                "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0abc"
            )]
        );
        let c = run("ec2", "POST", "/", &[], "Action=RunInstances").unwrap_err();
        assert!(
            c.message.contains("ec2") && c.message.contains("RunInstances"),
            "{}",
            c.message
        );
    }

    #[test]
    fn form_and_percent_decoding() {
        assert_eq!(
            parse_form("a=1+2&b=%2Fx%2F&c"),
            [
                ("a".into(), "1 2".into()),
                ("b".into(), "/x/".into()),
                ("c".into(), String::new())
            ]
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }
}
