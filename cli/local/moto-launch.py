"""Starts moto_server with fixes for moto bugs that real CloudFormation does not have.

The templates are written for real CloudFormation and are never bent to the
emulator; where moto misreads a valid template, it is patched here, before
its server starts. Usage is moto_server's own:

    .venv/bin/python cli/local/moto-launch.py -H 127.0.0.1 -p PORT

Patches (moto 5.2.5):

- AWS::KMS::Key: CloudFormation takes Tags as [{"Key", "Value"}], as every
  other resource does; moto passes them straight to its KMS API model, which
  expects the KMS API's [{"TagKey", "TagValue"}], and fails creating the key.
  It also keeps KeyPolicy as the parsed object where its API model keeps
  the policy's JSON text, so DescribeKey and GetKeyPolicy of such a key
  fail with a server error; the policy is stored as JSON text.
- AWS::SSM::Parameter: CloudFormation takes Tags as a map of key to value;
  moto iterates it as the SSM API's [{"Key", "Value"}] list, and fails.
- AWS::DynamoDB::Table: CloudFormation's SSESpecification says
  `SSEEnabled` where the DynamoDB API says `Enabled`; moto reads only the
  API's, so a table encrypted with a customer key reports no encryption
  (DescribeTable has no SSEDescription). `SSEEnabled` is read as `Enabled`.
- AWS::RDS::DBCluster: moto's RDS API has clusters but its CloudFormation
  does not know the type; it skips the resource and then fails every
  Fn::GetAtt on it. A small CloudFormation model over moto's own RDS backend
  is registered here.
- AWS::Events::EventBus: moto gives the bus no physical id, so a Ref to it
  yields moto's object instead of the bus name, and a rule on that bus fails.
- AWS::RDS::DBInstance: moto's CloudFormation drops DBClusterIdentifier and
  DBInstanceIdentifier, so an Aurora instance becomes a standalone one that
  moto cannot create (no engine version). It is created in its cluster here.
- Change sets: executing one (the only way `tp` creates or updates a stack)
  adds new resources in template order, ignoring DependsOn (moto honours it
  only in CreateStack), so an API deployment is created before its methods
  (also when a base-path mapping's Ref to the stage creates the stage, and
  so its deployment, first). The resources to add are put in dependency
  order here (DependsOn, Ref, Fn::GetAtt, Fn::Sub); and the stack's
  outputs, which moto computes only in CreateStack and UpdateStack, are
  computed after the change set is applied.
- AWS::S3::Bucket: moto ignores VersioningConfiguration, so every bucket
  would be unversioned. It is applied after the bucket is created. So are
  ObjectLockEnabled/ObjectLockConfiguration (the default retention) and
  ReplicationConfiguration, which moto also ignores, through the same calls
  S3's API answers (PutObjectLockConfiguration, PutBucketReplication).
- Stack updates: for a type whose update moto does not model, moto drops
  the resource from the stack, and every later Fn::GetAtt on it fails. Such
  a resource is kept as it was (its properties are not updated). And
  moto updates a resource whose Condition is false as if it existed (its
  create honours the condition, its update does not), failing on the
  resource it never made; CloudFormation leaves such a resource absent,
  deletes it when its condition turns false and creates it when it turns
  true. So does this patch.
- AWS::CloudFormation::Stack: a nested stack has no Fn::GetAtt in moto
  (its model lacks get_cfn_attribute), so `Fn::GetAtt [Nested, Outputs.X]`,
  how a parent passes one nested stack's output to another's parameter,
  fails the parent. It is answered here from the nested stack's outputs.
  (moto reads the nested TemplateURL the templates build,
  `https://<bucket>.s3.<region>.amazonaws.com/<key>`, as it is.)
- Parameters of type AWS::SSM::Parameter::Value<...>: moto keeps only
  their resolved values, so an update passing UsePreviousValue (as
  `aws cloudformation deploy` does) hands the resolved value back as if it
  were the SSM parameter's name, and the update fails. CloudFormation keeps
  the name (DescribeStacks shows it as ParameterValue); so does this patch.
- AWS::SNS::Subscription: moto's SNS has subscriptions but its
  CloudFormation does not know the type and skips it, so no subscriber a
  template declares exists. A CloudFormation model over moto's own SNS
  backend is registered here (Subscribe, then RawMessageDelivery).
- AWS::CloudWatch::Alarm: moto's CloudWatch has alarms but its
  CloudFormation does not know the type and skips it, so no alarm a
  template declares exists. A CloudFormation model over moto's own
  CloudWatch backend is registered here.
- AWS::Lambda::EventInvokeConfig: moto's Lambda API has event invoke
  configs but its CloudFormation does not know the type and skips it, so a
  function's asynchronous retries and event age are never set. A
  CloudFormation model over moto's own Lambda backend is registered here.
- AWS::SecretsManager::Secret: moto's Secrets Manager API has secrets but
  its CloudFormation does not know the type and skips it, so a database
  user's secret does not exist. A CloudFormation model over moto's own
  Secrets Manager backend is registered here, generating the password from
  `GenerateSecretString` as Secrets Manager does.
- AWS::SecretsManager::RotationSchedule: moto's CloudFormation does not
  know the type and skips it, so no secret rotates. A CloudFormation model
  over moto's Secrets Manager backend is registered here: it records the
  rotation function and the schedule on the secret (RotationEnabled,
  RotationLambdaARN, RotationRules), and rotates nothing on create, as
  `RotateImmediatelyOnUpdate: false` asks.
- RotateSecret: moto runs the rotation function in Docker, and then makes
  the new version AWSCURRENT whatever the function did. Here, for a secret
  with a rotation function, RotateSecret does what Secrets Manager does
  before it invokes the function: it refuses while a rotation is
  unfinished (an AWSPENDING version that is not AWSCURRENT), records the
  rules, and creates the version of the request's token, staged
  AWSPENDING and without a value. Then, with TP_LOCAL_ROTATION_URL set
  (as `tp local` sets it), it asks `tp local` to invoke the function's four
  steps (cli-lib/src/local/rotation.rs), which create the value and move the
  stages, and answers once they ran, with an error naming the step that
  failed; without it nothing is invoked. Without a rotation function moto
  behaves as it does.
- UpdateSecretVersionStage: moving AWSCURRENT moves the labels but not
  the version moto answers a GetSecretValue without a stage or version
  with, which stays the old one; in AWS that call answers AWSCURRENT. It
  follows AWSCURRENT here.
- AWS::ApiGateway::Stage: moto's API Gateway API has stages but its
  CloudFormation does not know the type and skips it, so a stage's Ref (its
  name, in a web ACL association's stage ARN) resolves to nothing and
  GetStage finds no stage. A CloudFormation model over moto's own API
  Gateway backend is registered here (name, deployment, variables,
  tracing; method settings are not modelled).
- AWS::WAFv2::WebACL, AWS::WAFv2::WebACLAssociation,
  AWS::WAFv2::LoggingConfiguration: moto's WAFv2 API has web ACLs, their
  associations (with API Gateway stages) and logging configurations, but
  its CloudFormation does not know the types and skips them, so no web ACL
  a template declares exists. CloudFormation models over moto's own WAFv2
  backend are registered here (a web ACL's Ref is `name|id|scope`, its
  `Arn`, `Id` attributes as CloudFormation's).
- AWS::CertificateManager::Certificate, AWS::ApiGateway::DomainName,
  AWS::ApiGateway::BasePathMapping: moto's ACM and API Gateway APIs have
  certificates, custom domain names and base-path mappings, but its
  CloudFormation does not know the types and skips them, so an api's custom
  domain does not exist and every alias record's Fn::GetAtt on its domain
  name fails. CloudFormation models over moto's own backends are
  registered here (a certificate's Ref is its ARN; a domain name's Ref its
  name, with `RegionalDomainName` and `RegionalHostedZoneId`). moto issues
  no certificate (it stays PENDING_VALIDATION) and writes no validation
  record; CloudFormation waits for both.
- AWS::Route53::HostedZone: moto's CloudFormation names the zone after
  its logical id instead of its `Name`, answers no `NameServers`
  attribute, and leaves the zone behind when the stack is deleted. The
  zone is created with its `Name` (and comment) here, `NameServers` is its
  delegation set's, and deleting the stack deletes the zone once its
  records are gone, as CloudFormation does. AWS::Route53::HealthCheck:
  moto leaves health checks behind when their stack is deleted; they are
  deleted with it here. AWS::Route53::RecordSet: deleting one deletes
  every record set of its name and type, so one region's stack took the
  other regions' latency records with it (and its zone could then go
  before the stack's own record resources); only the record set of its
  name, type and set identifier is deleted here.
- AWS::IAM::Role: moto stores each inline policy of `Policies` as the
  Python text of the parsed template (`{'Statement': ...}`), so GetRolePolicy
  answers a document that is not JSON. The documents are stored as JSON.
- AWS::SQS::Queue: a queue's Ref (its URL) is always
  `https://sqs.<region>.amazonaws.com/...`, which only AWS serves. With
  TP_LOCAL_SQS_ENDPOINT set (tp local sets the endpoint its functions call
  AWS through), queue URLs name that endpoint instead, as the API's own
  answers name the host they were asked on.
- Stack deletion: moto's CloudFormation cannot delete route tables, VPC
  endpoints, internet gateways or their attachments, so deleting the VPC
  that holds them fails. Each gets the delete CloudFormation would do.
- Event delivery (only when TP_LOCAL_EVENTS=external, as `tp local` sets
  it): `tp local` matches EventBridge rules and runs event source mappings
  itself (cli-lib/src/local/events/). moto would deliver to log-group and SQS
  targets too on PutEvents (Rule.send_to_targets; and fail on a Lambda
  target), doubling every delivery, and would try to run a queue's event
  source mapping on SendMessage (receiving the messages, which counts
  against the redrive policy's maxReceiveCount). Both are turned off: moto
  keeps the rules, targets and mappings but delivers nothing itself.
  Without the variable moto behaves as it does.
- Accounts: MOTO_ACCOUNT_ID, as moto reads it, puts every request into
  that account, also one signed with credentials AssumeRole issued for a
  role of another account, so no request could reach a second account.
  Here MOTO_ACCOUNT_ID names the default account instead: the account of
  credentials that no AssumeRole issued (the emulator's management
  account); credentials from AssumeRole act in the role's account, as in
  AWS. Without the variable the default account is moto's 123456789012.
- AssumeRole: moto lets any caller assume any role ARN, existing or not,
  so a deploy into an account that never trusted the caller would pass.
  Here, as in AWS, the role must exist in its account and its trust policy
  must allow the caller: an `Allow` statement for `sts:AssumeRole` whose
  `Principal.AWS` is `*`, the caller's account (`arn:aws:iam::ACCT:root` or
  `ACCT`) or the caller's own role or user ARN (conditions are not
  evaluated); otherwise STS answers AccessDenied (HTTP 403, STS's error
  format). AWS Organizations' `OrganizationAccountAccessRole` is emulated:
  in every account it can be assumed from the default (management)
  account without existing, so a test can act as an operator of any
  account. The default account's own credentials (not issued by STS) also
  stand for the AWS services the emulator's users play (`tp local` runs
  functions as Lambda does): they may assume a role of their account whose
  trust policy allows a `Service` principal.
- Default security groups: EC2 gives a VPC's default security group an
  inbound rule from the group itself and an outbound rule to 0.0.0.0/0;
  moto creates only the outbound one, so a test could not tell a closed
  group from moto's. The inbound rule is added as EC2 adds it.
- AWS::Backup::BackupVault, AWS::Backup::BackupPlan,
  AWS::Backup::BackupSelection: moto's Backup API has vaults (with their
  lock) and plans but its CloudFormation does not know the types and skips
  them, and it has no backup selections at all. CloudFormation models over
  moto's own Backup backend are registered here (a plan's CloudFormation
  `BackupPlanRule`/`TargetBackupVault` become the API's `Rules`/
  `TargetBackupVaultName`); selections are kept beside the backend's plans
  and answered by GetBackupSelection and ListBackupSelections; as in AWS, a
  plan with selections cannot be deleted.
- /moto-api/data.json (the models' dump, where `tp local` finds the secret
  of an access key made through moto's IAM API, which the API never
  answers again): reading a Lambda function's attributes asks Docker for
  its client, and without Docker that raises, failing the whole dump with
  a 500. An attribute that raises is left out, as one that is not JSON is.
- DynamoDB transactions: moto's TransactWriteItems backs up the tables it
  writes and, when the transaction is cancelled, puts the backup back. Its
  server answers requests on threads, so a cancelled transaction erases
  what another request wrote meanwhile (two submissions of one order: the
  loser's rollback removes the winner's session count). DynamoDB applies a
  transaction atomically; here every write to a table takes one lock, so a
  transaction and its rollback are not interleaved with other writes.
- TemplateURL of moto's own endpoint: moto reads a path-style URL
  (`http://HOST:PORT/<bucket>/<key>`) only when HOST is spelled
  `localhost`; with any other it takes the host's first label for the
  bucket. awscli against AWS_ENDPOINT_URL=http://127.0.0.1:PORT uploads
  the template and passes such a URL, which moto answered NoSuchBucket
  (bucket "127"). A loopback address is read as `localhost` is.
"""

import json
import os
import re
import sys
import threading
import urllib.parse

# The default account, before any module binds moto's (see the docstring).
from moto.core import models as core_models

DEFAULT_ACCOUNT = os.environ.pop("MOTO_ACCOUNT_ID", None) or core_models.DEFAULT_ACCOUNT_ID
core_models.DEFAULT_ACCOUNT_ID = DEFAULT_ACCOUNT
import moto.core  # noqa: E402

moto.core.DEFAULT_ACCOUNT_ID = DEFAULT_ACCOUNT

from moto.ec2.models import ec2_backends
from moto.ec2.models import internet_gateways as ec2_igw
from moto.ec2.models import route_tables as ec2_route_tables
from moto.ec2.models import vpcs as ec2_vpcs
from moto.ec2.models import vpn_gateway as ec2_vpn
from moto.awslambda import models as lambda_models
from moto.awslambda import utils as lambda_utils
from moto.events import models as events_models
from moto.cloudwatch import models as cloudwatch_models
from moto.iam import models as iam_models
from moto.dynamodb.models import table as dynamodb_models
from moto.kms import models as kms_models
from moto.sqs import models as sqs_models
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation import utils as cfn_utils
from moto.core.common_models import CloudFormationModel
from moto.utilities.utils import get_partition
from moto.rds import models as rds_models
from moto.acm import models as acm_models
from moto.route53 import models as route53_models
from moto.s3 import models as s3_models
from moto.secretsmanager import models as secretsmanager_models
from moto.ssm import models as ssm_models
from moto.wafv2 import models as wafv2_models
from moto.apigateway import models as apigateway_models
from moto.sns import models as sns_models


def _kms_tags_as_api(cloudformation_json):
    properties = dict(cloudformation_json.get("Properties") or {})
    tags = properties.get("Tags")
    if tags:
        properties["Tags"] = [
            {"TagKey": t["Key"], "TagValue": t["Value"]} if "Key" in t else t for t in tags
        ]
    if isinstance(properties.get("KeyPolicy"), dict):
        properties["KeyPolicy"] = json.dumps(properties["KeyPolicy"])
    return dict(cloudformation_json, Properties=properties)


def _patch_create(model, fix_template):
    """Rewrites the resource's template fragment before moto creates it."""
    create = model.create_from_cloudformation_json.__func__

    def patched(cls, resource_name, cloudformation_json, *args, **kwargs):
        return create(cls, resource_name, fix_template(cloudformation_json), *args, **kwargs)

    model.create_from_cloudformation_json = classmethod(patched)


def _ssm_tags_as_api(cloudformation_json):
    properties = dict(cloudformation_json.get("Properties") or {})
    tags = properties.get("Tags")
    if isinstance(tags, dict):
        properties["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return dict(cloudformation_json, Properties=properties)


_patch_create(kms_models.Key, _kms_tags_as_api)
_patch_create(ssm_models.Parameter, _ssm_tags_as_api)


def _role_policies_as_json(cloudformation_json):
    properties = dict(cloudformation_json.get("Properties") or {})
    properties["Policies"] = [
        dict(p, PolicyDocument=p["PolicyDocument"] if isinstance(p["PolicyDocument"], str) else json.dumps(p["PolicyDocument"]))
        for p in properties.get("Policies", [])
    ]
    return dict(cloudformation_json, Properties=properties)


_patch_create(iam_models.Role, _role_policies_as_json)


def _table_sse_as_api(cloudformation_json):
    properties = dict(cloudformation_json.get("Properties") or {})
    sse = properties.get("SSESpecification")
    if isinstance(sse, dict) and "SSEEnabled" in sse:
        sse = dict(sse)
        sse["Enabled"] = sse.pop("SSEEnabled")
        properties["SSESpecification"] = sse
    return dict(cloudformation_json, Properties=properties)


_patch_create(dynamodb_models.Table, _table_sse_as_api)

_sqs_endpoint = os.environ.get("TP_LOCAL_SQS_ENDPOINT")
if _sqs_endpoint:
    sqs_models.Queue.physical_resource_id = property(
        lambda queue: f"{_sqs_endpoint.rstrip('/')}/{queue.account_id}/{queue.name}"
    )


# CloudFormation's Ref to an event bus is its name.
events_models.EventBus.physical_resource_id = property(lambda bus: bus.name)


def _name(value):
    """A Ref to a moto model resolves to the model itself in some types."""
    return getattr(value, "physical_resource_id", value)


class _CfnDBCluster(rds_models.DBCluster, CloudFormationModel):
    """AWS::RDS::DBCluster, created through moto's RDS backend."""

    # moto's model metaclass derives the service from the module path.
    __module__ = "moto.rds.models"

    @staticmethod
    def cloudformation_name_type():
        return "DBClusterIdentifier"

    @staticmethod
    def cloudformation_type():
        return "AWS::RDS::DBCluster"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        secret = p.get("MasterUserSecret") or {}
        scaling = p.get("ServerlessV2ScalingConfiguration")
        backend = rds_models.rds_backends[account_id][region_name]
        cluster = backend.create_db_cluster(
            {
                "db_cluster_identifier": p.get("DBClusterIdentifier", resource_name).lower(),
                "engine": p["Engine"],
                "engine_version": p.get("EngineVersion"),
                "master_username": p.get("MasterUsername"),
                "manage_master_user_password": p.get("ManageMasterUserPassword", False),
                "master_user_secret_kms_key_id": secret.get("KmsKeyId"),
                "backup_retention_period": p.get("BackupRetentionPeriod", 1),
                "copy_tags_to_snapshot": p.get("CopyTagsToSnapshot", False),
                "database_name": p.get("DatabaseName"),
                "db_subnet_group_name": _name(p.get("DBSubnetGroupName")),
                "port": p.get("Port"),
                "preferred_backup_window": p.get("PreferredBackupWindow", "01:37-02:07"),
                "preferred_maintenance_window": p.get(
                    "PreferredMaintenanceWindow", "wed:02:40-wed:03:10"
                ),
                "storage_encrypted": p.get("StorageEncrypted", False),
                "kms_key_id": p.get("KmsKeyId"),
                "deletion_protection": p.get("DeletionProtection", False),
                "enable_iam_database_authentication": p.get("EnableIAMDatabaseAuthentication"),
                "enable_cloudwatch_logs_exports": p.get("EnableCloudwatchLogsExports"),
                "serverless_v2_scaling_configuration": scaling,
                "tags": p.get("Tags", []),
                "vpc_security_group_ids": [_name(g) for g in p.get("VpcSecurityGroupIds", [])],
            }
        )
        cluster.__class__ = cls
        return cluster

    @property
    def physical_resource_id(self):
        return self.db_cluster_identifier

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in (
            "Arn",
            "DBClusterArn",
            "Endpoint.Address",
            "Endpoint.Port",
            "ReadEndpoint.Address",
            "MasterUserSecret.SecretArn",
        )

    def get_cfn_attribute(self, attribute_name):
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name in ("Arn", "DBClusterArn"):
            return self.db_cluster_arn
        if attribute_name == "Endpoint.Address":
            return self.endpoint
        if attribute_name == "Endpoint.Port":
            return str(self.port)
        if attribute_name == "ReadEndpoint.Address":
            return self.reader_endpoint
        if attribute_name == "MasterUserSecret.SecretArn":
            return self.master_user_secret.secret_arn
        raise UnformattedGetAttTemplateException()

    def delete(self, account_id, region_name):
        rds_models.rds_backends[account_id][region_name].delete_db_cluster(
            self.db_cluster_identifier
        )


class _CfnAlarm(cloudwatch_models.Alarm, CloudFormationModel):
    """AWS::CloudWatch::Alarm (a single metric), created through moto's CloudWatch backend."""

    __module__ = "moto.cloudwatch.models"

    @staticmethod
    def cloudformation_name_type():
        return "AlarmName"

    @staticmethod
    def cloudformation_type():
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        backend = cloudwatch_models.cloudwatch_backends[account_id][region_name]
        alarm = backend.put_metric_alarm(
            name=p.get("AlarmName", resource_name),
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            comparison_operator=p.get("ComparisonOperator"),
            evaluation_periods=int(p.get("EvaluationPeriods", 1)),
            period=int(p.get("Period", 60)),
            threshold=float(p.get("Threshold", 0)),
            statistic=p.get("Statistic"),
            extended_statistic=p.get("ExtendedStatistic"),
            description=p.get("AlarmDescription", ""),
            dimensions=[{"Name": d["Name"], "Value": _name(d["Value"])} for d in p.get("Dimensions", [])],
            alarm_actions=[_name(a) for a in p.get("AlarmActions", [])],
            ok_actions=[_name(a) for a in p.get("OKActions", [])],
            insufficient_data_actions=[_name(a) for a in p.get("InsufficientDataActions", [])],
            datapoints_to_alarm=p.get("DatapointsToAlarm"),
            treat_missing_data=p.get("TreatMissingData"),
            unit=p.get("Unit"),
            tags=p.get("Tags", []),
        )
        alarm.__class__ = cls
        return alarm

    @property
    def physical_resource_id(self):
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name):
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name == "Arn":
            return self.alarm_arn
        raise UnformattedGetAttTemplateException()

    def delete(self, account_id, region_name):
        cloudwatch_models.cloudwatch_backends[account_id][region_name].delete_alarms([self.name])


# moto's serializer finds AlarmName as `name` by stripping the class's name.
_CfnAlarm.__name__ = _CfnAlarm.__qualname__ = "Alarm"


class _CfnEventInvokeConfig(CloudFormationModel):
    """AWS::Lambda::EventInvokeConfig, created through moto's Lambda backend."""

    __module__ = "moto.awslambda.models"

    def __init__(self, function_name, qualifier, account_id, region_name):
        self.function_name = function_name
        self.qualifier = qualifier
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::Lambda::EventInvokeConfig"

    @staticmethod
    def _config(properties):
        return {
            key: properties[key]
            for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
            if key in properties
        }

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        function_name = _name(p["FunctionName"])
        backend = lambda_utils.get_backend(account_id, region_name)
        backend.put_function_event_invoke_config(function_name, cls._config(p))
        return cls(function_name, p.get("Qualifier", "$LATEST"), account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        # moto's own update appends a second config and keeps answering the
        # first; CloudFormation replaces it.
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    @property
    def physical_resource_id(self):
        return f"{self.function_name}:{self.qualifier}"

    @classmethod
    def has_cfn_attr(cls, attr):
        return False

    def delete(self, account_id, region_name):
        backend = lambda_utils.get_backend(account_id, region_name)
        try:
            backend.get_function(self.function_name).event_invoke_config = []
        except lambda_models.UnknownFunctionException:
            pass


class _CfnSubscription(CloudFormationModel):
    """AWS::SNS::Subscription, created through moto's SNS backend."""

    __module__ = "moto.sns.models"

    def __init__(self, arn, account_id, region_name):
        self.arn = arn
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::SNS::Subscription"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        backend = sns_models.sns_backends[account_id][region_name]
        topic_arn = _name(p["TopicArn"])
        subscription = backend.subscribe(topic_arn, _name(p["Endpoint"]), p["Protocol"])
        if str(p.get("RawMessageDelivery", False)).lower() == "true":
            backend.set_subscription_attributes(subscription.arn, "RawMessageDelivery", "true")
        return cls(subscription.arn, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        # Endpoint, Protocol and TopicArn are create-only: CloudFormation
        # replaces the subscription.
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    @property
    def physical_resource_id(self):
        return self.arn

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name):
        return self.arn

    def delete(self, account_id, region_name):
        sns_models.sns_backends[account_id][region_name].unsubscribe(self.arn)


class _CfnSecret(CloudFormationModel):
    """AWS::SecretsManager::Secret, created through moto's Secrets Manager backend."""

    __module__ = "moto.secretsmanager.models"

    def __init__(self, arn, account_id, region_name):
        self.arn = arn
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type():
        return "Name"

    @staticmethod
    def cloudformation_type():
        return "AWS::SecretsManager::Secret"

    @staticmethod
    def _secret_string(properties, backend):
        if "SecretString" in properties:
            return properties["SecretString"]
        generate = properties.get("GenerateSecretString")
        if generate is None:
            return None
        password = json.loads(
            backend.get_random_password(
                password_length=int(generate.get("PasswordLength", 32)),
                exclude_characters=generate.get("ExcludeCharacters", ""),
                exclude_numbers=generate.get("ExcludeNumbers", False),
                exclude_punctuation=generate.get("ExcludePunctuation", False),
                exclude_uppercase=generate.get("ExcludeUppercase", False),
                exclude_lowercase=generate.get("ExcludeLowercase", False),
                include_space=generate.get("IncludeSpace", False),
                require_each_included_type=generate.get("RequireEachIncludedType", True),
            )
        )["RandomPassword"]
        template = generate.get("SecretStringTemplate")
        if template is None:
            return password
        secret = json.loads(template)
        secret[generate["GenerateStringKey"]] = password
        return json.dumps(secret)

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        backend = secretsmanager_models.secretsmanager_backends[account_id][region_name]
        created = json.loads(
            backend.create_secret(
                name=p.get("Name", resource_name),
                secret_string=cls._secret_string(p, backend),
                secret_binary=None,
                description=p.get("Description"),
                tags=p.get("Tags"),
                kms_key_id=p.get("KmsKeyId"),
                client_request_token=None,
                replica_regions=[],
                force_overwrite=False,
            )
        )
        return cls(created["ARN"], account_id, region_name)

    @property
    def physical_resource_id(self):
        return self.arn

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name):
        return self.arn

    def delete(self, account_id, region_name):
        backend = secretsmanager_models.secretsmanager_backends[account_id][region_name]
        try:
            backend.delete_secret(self.arn, None, True)
        except Exception:  # already gone
            pass


class _CfnRotationSchedule(CloudFormationModel):
    """AWS::SecretsManager::RotationSchedule over moto's Secrets Manager backend (see the docstring)."""

    __module__ = "moto.secretsmanager.models"

    def __init__(self, secret_arn, account_id, region_name):
        self.secret_arn = secret_arn
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::SecretsManager::RotationSchedule"

    @staticmethod
    def _apply(properties, account_id, region_name):
        backend = secretsmanager_models.secretsmanager_backends[account_id][region_name]
        secret = backend.describe_secret(properties["SecretId"])
        rules = properties.get("RotationRules") or {}
        days = int(rules.get("AutomaticallyAfterDays", 0))
        secret.rotation_lambda_arn = properties.get("RotationLambdaARN", "")
        secret.auto_rotate_after_days = days
        secret.rotation_enabled = bool(secret.rotation_lambda_arn)
        if days:
            import time

            secret.next_rotation_date = int(time.time()) + days * 86400
        return secret.arn

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        arn = cls._apply(cloudformation_json["Properties"], account_id, region_name)
        return cls(arn, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        arn = cls._apply(cloudformation_json["Properties"], account_id, region_name)
        return cls(arn, account_id, region_name)

    @property
    def physical_resource_id(self):
        # CloudFormation's Ref of a rotation schedule is the secret's ARN.
        return self.secret_arn

    def delete(self, account_id, region_name):
        backend = secretsmanager_models.secretsmanager_backends[account_id][region_name]
        try:
            secret = backend.describe_secret(self.secret_arn)
        except Exception:  # the secret is gone already
            return
        secret.rotation_enabled = False
        secret.rotation_lambda_arn = ""


_original_rotate_secret = secretsmanager_models.SecretsManagerBackend.rotate_secret


def _rotate_secret_started(
    self,
    secret_id,
    client_request_token=None,
    rotation_lambda_arn=None,
    rotation_rules=None,
    rotate_immediately=True,
):
    """RotateSecret up to the rotation function's first step (see the docstring)."""
    import time
    import uuid

    secret = self.describe_secret(secret_id) if self._is_valid_identifier(secret_id) else None
    lambda_arn = rotation_lambda_arn or (secret.rotation_lambda_arn if secret else "")
    if secret is None or not lambda_arn or secret.is_deleted():
        return _original_rotate_secret(
            self, secret_id, client_request_token, rotation_lambda_arn, rotation_rules, rotate_immediately
        )
    days = (rotation_rules or {}).get("AutomaticallyAfterDays")
    if days is not None and not 1 <= int(days) <= 1000:
        raise secretsmanager_models.InvalidParameterException(
            "RotationRules.AutomaticallyAfterDays must be within 1-1000."
        )
    for version_id, version in secret.versions.items():
        stages = version["version_stages"]
        if "AWSPENDING" in stages and "AWSCURRENT" not in stages:
            if version_id == client_request_token:
                break  # the same rotation, requested again
            raise secretsmanager_models.InvalidRequestException(
                f"A previous rotation isn't complete (version {version_id} is AWSPENDING). "
                "That rotation will be reattempted."
            )
    token = client_request_token or str(uuid.uuid4())
    secret.rotation_lambda_arn = lambda_arn
    if days is not None:
        secret.auto_rotate_after_days = int(days)
        secret.next_rotation_date = int(time.time()) + int(days) * 86400
    secret.rotation_enabled = True
    secret.rotation_requested = True
    if rotate_immediately and token not in secret.versions:
        secret.remove_version_stages_from_old_versions(["AWSPENDING"])
        secret.versions[token] = {
            "createdate": int(time.time()),
            "version_id": token,
            "version_stages": ["AWSPENDING"],
        }
    secret.last_rotation_date = int(time.time())
    if rotate_immediately:
        _drive_rotation(lambda_arn, secret.arn, token)
    return secret.to_short_dict(version_id=token if rotate_immediately else None)


def _drive_rotation(lambda_arn, secret_arn, token):
    """Asks `tp local` to run the rotation function's steps (see the docstring); raises on a failed step."""
    import urllib.request

    url = os.environ.get("TP_LOCAL_ROTATION_URL")
    if not url:
        return  # no tp local: the version stays AWSPENDING, as when a rotation has not run yet
    request = urllib.request.Request(
        url,
        data=json.dumps(
            {"RotationLambdaARN": lambda_arn, "SecretId": secret_arn, "ClientRequestToken": token}
        ).encode(),
        headers={
            "content-type": "application/json",
            "x-tp-rotation-key": os.environ.get("TP_LOCAL_ROTATION_KEY", ""),
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=900) as response:
        answer = json.loads(response.read() or b"{}")
    if not answer.get("ok"):
        raise secretsmanager_models.InvalidRequestException(
            f"the rotation function's {answer.get('step', 'step')} failed: {answer.get('error')}. "
            f"AWSCURRENT is unchanged and version {token} stays AWSPENDING; "
            "RotateSecret with the same ClientRequestToken runs the rotation again"
        )


secretsmanager_models.SecretsManagerBackend.rotate_secret = _rotate_secret_started

_original_update_secret_version_stage = secretsmanager_models.SecretsManagerBackend.update_secret_version_stage


def _update_secret_version_stage_current(self, secret_id, version_stage, remove_from_version_id, move_to_version_id):
    """UpdateSecretVersionStage whose AWSCURRENT is what GetSecretValue answers (see the docstring)."""
    answer = _original_update_secret_version_stage(
        self, secret_id, version_stage, remove_from_version_id, move_to_version_id
    )
    if version_stage == "AWSCURRENT" and move_to_version_id:
        secret = self.secrets[secret_id]
        secret.default_version_id = move_to_version_id
        version = secret.versions[move_to_version_id]
        if "secret_string" in version:
            secret.secret_string = version["secret_string"]
    return answer


secretsmanager_models.SecretsManagerBackend.update_secret_version_stage = _update_secret_version_stage_current


# --- AWS Backup ------------------------------------------------------------
# See the docstring: CloudFormation models over moto's own Backup backend,
# and the backup selections it lacks (kept on the backend, answered by
# GetBackupSelection and ListBackupSelections).
from moto.backup import models as backup_models  # noqa: E402
from moto.backup import responses as backup_responses  # noqa: E402


def _backup_backend(account_id, region_name):
    return backup_models.backup_backends[account_id][region_name]


class _CfnBackupVault(CloudFormationModel):
    """AWS::Backup::BackupVault, created through moto's Backup backend."""

    __module__ = "moto.backup.models"

    def __init__(self, name, arn):
        self.name = name
        self.arn = arn

    @staticmethod
    def cloudformation_name_type():
        return "BackupVaultName"

    @staticmethod
    def cloudformation_type():
        return "AWS::Backup::BackupVault"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        backend = _backup_backend(account_id, region_name)
        name = p.get("BackupVaultName", resource_name)
        vault = backend.create_backup_vault(
            backup_vault_name=name,
            backup_vault_tags=p.get("BackupVaultTags"),
            encryption_key_arn=p.get("EncryptionKeyArn"),
            creator_request_id=None,
        )
        lock = p.get("LockConfiguration")
        if lock:
            backend.put_backup_vault_lock_configuration(
                backup_vault_name=name,
                min_retention_days=int(lock["MinRetentionDays"]),
                max_retention_days=int(lock["MaxRetentionDays"]) if "MaxRetentionDays" in lock else None,
                changeable_for_days=int(lock["ChangeableForDays"]) if "ChangeableForDays" in lock else None,
            )
        return cls(name, vault.backup_vault_arn)

    @property
    def physical_resource_id(self):
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("BackupVaultName", "BackupVaultArn")

    def get_cfn_attribute(self, attribute_name):
        return self.arn if attribute_name == "BackupVaultArn" else self.name

    def delete(self, account_id, region_name):
        _backup_backend(account_id, region_name).delete_backup_vault(self.name)


def _plan_as_api(plan):
    """CloudFormation's BackupPlan (BackupPlanRule, TargetBackupVault) as the API's."""
    rules = []
    for rule in plan.get("BackupPlanRule", []):
        rule = dict(rule)
        rule["TargetBackupVaultName"] = rule.pop("TargetBackupVault")
        rules.append(rule)
    api = {"BackupPlanName": plan["BackupPlanName"], "Rules": rules}
    if "AdvancedBackupSettings" in plan:
        api["AdvancedBackupSettings"] = plan["AdvancedBackupSettings"]
    return api


class _CfnBackupPlan(CloudFormationModel):
    """AWS::Backup::BackupPlan, created through moto's Backup backend."""

    __module__ = "moto.backup.models"

    def __init__(self, plan):
        self.plan = plan

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::Backup::BackupPlan"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        plan = _backup_backend(account_id, region_name).create_backup_plan(
            backup_plan=_plan_as_api(p["BackupPlan"]),
            backup_plan_tags=p.get("BackupPlanTags"),
            creator_request_id=None,
        )
        return cls(plan)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        # UpdateBackupPlan keeps the plan's id, and so its selections.
        updated = backup_models.Plan(
            backup_plan=_plan_as_api(cloudformation_json["Properties"]["BackupPlan"]),
            creator_request_id=None,
            backend=_backup_backend(account_id, region_name),
        )
        original_resource.plan.backup_plan = updated.backup_plan
        original_resource.plan.version_id = updated.version_id
        return original_resource

    @property
    def physical_resource_id(self):
        return self.plan.backup_plan_id

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("BackupPlanId", "BackupPlanArn", "VersionId")

    def get_cfn_attribute(self, attribute_name):
        return {
            "BackupPlanId": self.plan.backup_plan_id,
            "BackupPlanArn": self.plan.backup_plan_arn,
            "VersionId": self.plan.version_id,
        }[attribute_name]

    def delete(self, account_id, region_name):
        backend = _backup_backend(account_id, region_name)
        if backend.__dict__.get("tp_selections", {}).get(self.plan.backup_plan_id):
            raise backup_models.InvalidRequestException(
                msg="Related backup plan selections must be deleted prior to backup plan deletion"
            )
        backend.delete_backup_plan(self.plan.backup_plan_id)


def _selections(backend):
    return backend.__dict__.setdefault("tp_selections", {})


class _CfnBackupSelection(CloudFormationModel):
    """AWS::Backup::BackupSelection, kept on moto's Backup backend."""

    __module__ = "moto.backup.models"

    def __init__(self, plan_id, selection_id):
        self.plan_id = plan_id
        self.selection_id = selection_id

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::Backup::BackupSelection"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        from moto.moto_api._internal import mock_random

        p = cloudformation_json["Properties"]
        backend = _backup_backend(account_id, region_name)
        plan_id = p["BackupPlanId"]
        backend.get_backup_plan(plan_id, None)
        selection_id = str(mock_random.uuid4())
        _selections(backend).setdefault(plan_id, {})[selection_id] = {
            "SelectionId": selection_id,
            "BackupPlanId": plan_id,
            "BackupSelection": p["BackupSelection"],
        }
        return cls(plan_id, selection_id)

    @property
    def physical_resource_id(self):
        return self.selection_id

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("SelectionId", "BackupPlanId", "Id")

    def get_cfn_attribute(self, attribute_name):
        return self.plan_id if attribute_name == "BackupPlanId" else self.selection_id

    def delete(self, account_id, region_name):
        plan = _selections(_backup_backend(account_id, region_name)).get(self.plan_id, {})
        plan.pop(self.selection_id, None)


def _plan_id_from_path(response):
    return response.path.split("/plans/")[1].split("/")[0]


def _list_backup_selections(self):
    plan_id = _plan_id_from_path(self)
    selections = _selections(self.backup_backend).get(plan_id, {})
    return json.dumps(
        {
            "BackupSelectionsList": [
                {
                    "SelectionId": s["SelectionId"],
                    "SelectionName": s["BackupSelection"]["SelectionName"],
                    "BackupPlanId": plan_id,
                    "IamRoleArn": s["BackupSelection"]["IamRoleArn"],
                }
                for s in selections.values()
            ]
        }
    )


def _get_backup_selection(self):
    plan_id = _plan_id_from_path(self)
    selection_id = self.path.rstrip("/").rsplit("/", 1)[-1]
    selection = _selections(self.backup_backend).get(plan_id, {}).get(selection_id)
    if selection is None:
        raise backup_models.ResourceNotFoundException(msg=f"Selection {selection_id} not found")
    return json.dumps(selection)


backup_responses.BackupResponse.list_backup_selections = _list_backup_selections
backup_responses.BackupResponse.get_backup_selection = _get_backup_selection


def _deployment_id(value):
    # moto's Deployment has no physical id: a Ref to one yields the model.
    return getattr(value, "id", value)


class _CfnStage(CloudFormationModel):
    """AWS::ApiGateway::Stage, created through moto's API Gateway backend."""

    __module__ = "moto.apigateway.models"

    def __init__(self, rest_api_id, stage_name):
        self.rest_api_id = rest_api_id
        self.stage_name = stage_name

    @staticmethod
    def cloudformation_name_type():
        return "StageName"

    @staticmethod
    def cloudformation_type():
        return "AWS::ApiGateway::Stage"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        backend = apigateway_models.apigateway_backends[account_id][region_name]
        stage = backend.create_stage(
            p["RestApiId"],
            p["StageName"],
            _deployment_id(p["DeploymentId"]),
            variables=p.get("Variables"),
            description=p.get("Description", ""),
            tracing_enabled=p.get("TracingEnabled"),
        )
        return cls(p["RestApiId"], stage.name)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        # StageName and RestApiId are create-only; a new deployment is the
        # update that matters (the stage keeps its web ACL, as in AWS).
        p = cloudformation_json["Properties"]
        backend = apigateway_models.apigateway_backends[account_id][region_name]
        stage = backend.get_stage(original_resource.rest_api_id, original_resource.stage_name)
        stage.deployment_id = _deployment_id(p["DeploymentId"])
        stage.variables = p.get("Variables") or {}
        return original_resource

    @property
    def physical_resource_id(self):
        return self.stage_name

    @classmethod
    def has_cfn_attr(cls, attr):
        return False

    def delete(self, account_id, region_name):
        backend = apigateway_models.apigateway_backends[account_id][region_name]
        try:
            backend.delete_stage(self.rest_api_id, self.stage_name)
        except Exception:  # already gone, with its API
            pass


class _CfnCertificate(CloudFormationModel):
    """AWS::CertificateManager::Certificate, requested through moto's ACM backend."""

    __module__ = "moto.acm.models"

    def __init__(self, arn):
        self.arn = arn

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::CertificateManager::Certificate"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        backend = acm_models.acm_backends[account_id][region_name]
        arn = backend.request_certificate(
            p["DomainName"],
            resource_name,
            p.get("SubjectAlternativeNames") or [],
            tags=p.get("Tags") or [],
        )
        return cls(arn)

    @property
    def physical_resource_id(self):
        return self.arn

    @classmethod
    def has_cfn_attr(cls, attr):
        return False

    def delete(self, account_id, region_name):
        try:
            acm_models.acm_backends[account_id][region_name].delete_certificate(self.arn)
        except Exception:  # already gone
            pass


class _CfnDomainName(CloudFormationModel):
    """AWS::ApiGateway::DomainName, created through moto's API Gateway backend."""

    __module__ = "moto.apigateway.models"

    def __init__(self, domain):
        self.domain = domain

    @staticmethod
    def cloudformation_name_type():
        return "DomainName"

    @staticmethod
    def cloudformation_type():
        return "AWS::ApiGateway::DomainName"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        backend = apigateway_models.apigateway_backends[account_id][region_name]
        domain = backend.create_domain_name(
            domain_name=p["DomainName"],
            certificate_name=None,
            tags={t["Key"]: t["Value"] for t in p.get("Tags") or []},
            certificate_arn=p.get("CertificateArn"),
            certificate_body=None,
            certificate_private_key=None,
            certificate_chain=None,
            regional_certificate_name=None,
            regional_certificate_arn=p.get("RegionalCertificateArn"),
            endpoint_configuration=p.get("EndpointConfiguration"),
            security_policy=p.get("SecurityPolicy"),
        )
        return cls(domain)

    @property
    def physical_resource_id(self):
        return self.domain.domain_name

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("RegionalDomainName", "RegionalHostedZoneId", "DistributionDomainName")

    def get_cfn_attribute(self, attribute_name):
        return {
            "RegionalDomainName": self.domain.regional_domain_name,
            "RegionalHostedZoneId": self.domain.regional_hosted_zone_id,
            "DistributionDomainName": self.domain.distribution_domain_name,
        }[attribute_name]

    def delete(self, account_id, region_name):
        backend = apigateway_models.apigateway_backends[account_id][region_name]
        try:
            backend.delete_domain_name(self.domain.domain_name)
        except Exception:  # already gone
            pass


class _CfnBasePathMapping(CloudFormationModel):
    """AWS::ApiGateway::BasePathMapping, created through moto's API Gateway backend."""

    __module__ = "moto.apigateway.models"

    def __init__(self, domain_name, base_path):
        self.domain_name = domain_name
        self.base_path = base_path

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::ApiGateway::BasePathMapping"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        backend = apigateway_models.apigateway_backends[account_id][region_name]
        mapping = backend.create_base_path_mapping(
            p["DomainName"], p["RestApiId"], p.get("BasePath") or "", p.get("Stage")
        )
        return cls(p["DomainName"], mapping.base_path)

    @property
    def physical_resource_id(self):
        return f"{self.domain_name}/{self.base_path}"

    @classmethod
    def has_cfn_attr(cls, attr):
        return False

    def delete(self, account_id, region_name):
        backend = apigateway_models.apigateway_backends[account_id][region_name]
        try:
            backend.delete_base_path_mapping(self.domain_name, self.base_path)
        except Exception:  # already gone, with its domain name
            pass


def _create_hosted_zone(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    p = cloudformation_json["Properties"]
    backend = route53_models.route53_backends[account_id][get_partition(region_name)]
    return backend.create_hosted_zone(
        p["Name"], private_zone=False, comment=(p.get("HostedZoneConfig") or {}).get("Comment")
    )


def _delete_hosted_zone(self, account_id, region_name):
    backend = route53_models.route53_backends[account_id][get_partition(region_name)]
    if self.resource_id in backend.zones:
        # A zone that still has records raises HostedZoneNotEmpty: moto
        # deletes its records and tries again, as CloudFormation waits.
        backend.delete_hosted_zone(self.resource_id)


def _delete_health_check(self, account_id, region_name):
    backend = route53_models.route53_backends[account_id][get_partition(region_name)]
    if self.id in backend.health_checks:
        backend.delete_health_check(self.id)


route53_models.FakeZone.create_from_cloudformation_json = classmethod(_create_hosted_zone)
route53_models.FakeZone.has_cfn_attr = classmethod(lambda cls, attr: attr in ("Id", "NameServers"))
route53_models.FakeZone.get_cfn_attribute = lambda self, attr: (
    list(self.delegation_set.name_servers) if attr == "NameServers" else self.resource_id
)
route53_models.FakeZone.delete = _delete_hosted_zone
route53_models.HealthCheck.delete = _delete_health_check


def _delete_record_set(self, account_id, region_name):
    backend = route53_models.route53_backends[account_id][get_partition(region_name)]
    zone = backend.get_hosted_zone_by_name(self.hosted_zone_name) if self.hosted_zone_name else None
    zone = zone or backend.zones.get((self.hosted_zone_id or "").replace("/hostedzone/", ""))
    if zone is None:
        return
    # One record set: its name, type and set identifier, as CloudFormation
    # deletes it; the other regions' latency records of the name stay.
    zone.rrsets = [
        r for r in zone.rrsets
        if (r.name, r.type, r.set_identifier) != (self.name, self.type, self.set_identifier)
    ]


route53_models.RecordSet.delete = _delete_record_set


def _wafv2(account_id, region_name):
    return wafv2_models.wafv2_backends[account_id][region_name]


def _waf_rules(properties):
    return properties.get("Rules", [])


class _CfnWebACL(CloudFormationModel):
    """AWS::WAFv2::WebACL, created through moto's WAFv2 backend."""

    __module__ = "moto.wafv2.models"

    def __init__(self, acl):
        self.acl = acl

    @staticmethod
    def cloudformation_name_type():
        return "Name"

    @staticmethod
    def cloudformation_type():
        return "AWS::WAFv2::WebACL"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        acl = _wafv2(account_id, region_name).create_web_acl(
            name=p.get("Name", resource_name),
            visibility_config=p["VisibilityConfig"],
            default_action=p["DefaultAction"],
            scope=p["Scope"],
            description=p.get("Description"),
            tags=p.get("Tags", []),
            rules=_waf_rules(p),
            association_config=p.get("AssociationConfig"),
            captcha_config=p.get("CaptchaConfig"),
            challenge_config=p.get("ChallengeConfig"),
            custom_response_bodies=p.get("CustomResponseBodies"),
            token_domains=p.get("TokenDomains"),
        )
        return cls(acl)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        # Name and Scope are create-only: CloudFormation replaces the ACL
        # when they change, and updates the rules and actions in place.
        p = cloudformation_json["Properties"]
        acl = original_resource.acl
        _wafv2(account_id, region_name).update_web_acl(
            name=acl.name,
            _id=acl.id,
            default_action=p["DefaultAction"],
            rules=_waf_rules(p),
            description=p.get("Description"),
            visibility_config=p["VisibilityConfig"],
            lock_token=acl.lock_token,
            custom_response_bodies=p.get("CustomResponseBodies"),
            captcha_config=p.get("CaptchaConfig"),
            challenge_config=p.get("ChallengeConfig"),
            token_domains=p.get("TokenDomains"),
            association_config=p.get("AssociationConfig"),
        )
        return original_resource

    @property
    def physical_resource_id(self):
        scope = "CLOUDFRONT" if ":global/" in self.acl.arn else "REGIONAL"
        return f"{self.acl.name}|{self.acl.id}|{scope}"

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("Arn", "Id", "Capacity", "LabelNamespace")

    def get_cfn_attribute(self, attribute_name):
        return {
            "Arn": self.acl.arn,
            "Id": self.acl.id,
            "Capacity": self.acl.capacity,
            "LabelNamespace": self.acl.label_namespace,
        }[attribute_name]

    def delete(self, account_id, region_name):
        _wafv2(account_id, region_name).wacls.pop(self.acl.arn, None)


class _CfnWebACLAssociation(CloudFormationModel):
    """AWS::WAFv2::WebACLAssociation, made through moto's WAFv2 backend."""

    __module__ = "moto.wafv2.models"

    def __init__(self, web_acl_arn, resource_arn):
        self.web_acl_arn = web_acl_arn
        self.resource_arn = resource_arn

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::WAFv2::WebACLAssociation"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        _wafv2(account_id, region_name).associate_web_acl(p["WebACLArn"], p["ResourceArn"])
        return cls(p["WebACLArn"], p["ResourceArn"])

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    @property
    def physical_resource_id(self):
        return f"{self.web_acl_arn}|{self.resource_arn}"

    @classmethod
    def has_cfn_attr(cls, attr):
        return False

    def delete(self, account_id, region_name):
        _wafv2(account_id, region_name).disassociate_web_acl(self.resource_arn)


class _CfnLoggingConfiguration(CloudFormationModel):
    """AWS::WAFv2::LoggingConfiguration, put through moto's WAFv2 backend."""

    __module__ = "moto.wafv2.models"

    def __init__(self, resource_arn):
        self.resource_arn = resource_arn

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::WAFv2::LoggingConfiguration"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        _wafv2(account_id, region_name).put_logging_configuration(
            p["ResourceArn"],
            p["LogDestinationConfigs"],
            p.get("RedactedFields"),
            False,
            p.get("LoggingFilter"),
        )
        return cls(p["ResourceArn"])

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    @property
    def physical_resource_id(self):
        return self.resource_arn

    @classmethod
    def has_cfn_attr(cls, attr):
        return False

    def delete(self, account_id, region_name):
        _wafv2(account_id, region_name).logging_configurations.pop(self.resource_arn, None)


def _create_db_instance(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    p = cloudformation_json["Properties"]
    backend = rds_models.rds_backends[account_id][region_name]
    cluster_id = _name(p.get("DBClusterIdentifier"))
    cluster = backend.clusters.get(cluster_id) if cluster_id else None
    return backend.create_db_instance(
        {
            "db_instance_identifier": p.get("DBInstanceIdentifier", resource_name).lower(),
            "db_cluster_identifier": cluster_id,
            "db_instance_class": p.get("DBInstanceClass"),
            "engine": p.get("Engine"),
            "engine_version": p.get("EngineVersion") or (cluster and cluster.engine_version),
            "availability_zone": p.get("AvailabilityZone"),
            "auto_minor_version_upgrade": p.get("AutoMinorVersionUpgrade"),
            "publicly_accessible": p.get("PubliclyAccessible"),
            "port": cluster.port if cluster else p.get("Port"),
            "storage_encrypted": cluster.storage_encrypted if cluster else False,
            "tags": p.get("Tags", []),
        }
    )


rds_models.DBInstance.create_from_cloudformation_json = classmethod(_create_db_instance)


def _referenced(value, out):
    """The logical ids `value` refers to (Ref, Fn::GetAtt, Fn::Sub), into `out`."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                out.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                out.add(target)
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                if isinstance(text, str):
                    out.update(m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text))
                _referenced(inner, out)
            else:
                _referenced(inner, out)
    elif isinstance(value, list):
        for inner in value:
            _referenced(inner, out)


def _depends_on_first(names, resources):
    ordered, seen = [], set()

    def visit(name):
        if name in seen or name not in names:
            return
        seen.add(name)
        depends = resources[name].get("DependsOn", [])
        referenced = set()
        _referenced(resources[name].get("Properties", {}), referenced)
        for dependency in ([depends] if isinstance(depends, str) else depends) + sorted(referenced):
            visit(dependency)
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


_build_resource_diff = cfn_parsing.ResourceMap.build_resource_diff


def _build_resource_diff_in_dependency_order(self, other_template, parameters=None):
    diff = _build_resource_diff(self, other_template, parameters)
    diff["Add"] = _depends_on_first(diff["Add"], other_template["Resources"])
    return diff


cfn_parsing.ResourceMap.build_resource_diff = _build_resource_diff_in_dependency_order

_apply_change_set = cfn_models.ChangeSet.apply


def _apply_change_set_and_outputs(self):
    _apply_change_set(self)
    self.stack.output_map = cfn_parsing.OutputMap(
        self.stack.resource_map, self.template_dict, self.stack.stack_id
    )


cfn_models.ChangeSet.apply = _apply_change_set_and_outputs


def _nested_stack_attribute(self, attribute_name):
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    prefix = "Outputs."
    if attribute_name.startswith(prefix):
        key = attribute_name[len(prefix):]
        output = self.output_map[key] if key in (self.output_map._output_json_map or {}) else None
        if output is not None:
            return output.value
    raise UnformattedGetAttTemplateException()


cfn_models.Stack.get_cfn_attribute = _nested_stack_attribute


_stack_parameters = cfn_models.Stack.stack_parameters.fget


def _stack_parameters_with_ssm_names(self):
    parameters = dict(_stack_parameters(self))
    resource_map = self.resource_map
    for key, slot in (resource_map._template.get("Parameters") or {}).items():
        if str(slot.get("Type", "")).startswith("AWS::SSM::Parameter::") and key in parameters:
            parameters[key] = resource_map.input_parameters.get(key, slot.get("Default"))
    return parameters


cfn_models.Stack.stack_parameters = property(_stack_parameters_with_ssm_names)


def _delete_route_table(self, account_id, region_name):
    ec2 = ec2_backends[account_id][region_name]
    for association_id in list(self._associations):
        ec2.disassociate_route_table(association_id)
    ec2.delete_route_table(self.id)


def _delete_vpc_endpoint(self, account_id, region_name):
    ec2 = ec2_backends[account_id][region_name]
    # A gateway endpoint's routes go with route tables already deleted.
    self.route_table_ids = [r for r in self.route_table_ids or [] if r in ec2.route_tables]
    ec2.delete_vpc_endpoints([self.id])


def _delete_internet_gateway(self, account_id, region_name):
    ec2 = ec2_backends[account_id][region_name]
    if self.vpc is not None:
        ec2.detach_internet_gateway(self.id, self.vpc.id)
    ec2.delete_internet_gateway(self.id)


def _delete_gateway_attachment(self, account_id, region_name):
    ec2 = ec2_backends[account_id][region_name]
    gateway = ec2.internet_gateways.get(self.gateway_id)
    if gateway is not None and gateway.vpc is not None:
        ec2.detach_internet_gateway(self.gateway_id, self.vpc_id)


ec2_route_tables.RouteTable.delete = _delete_route_table
ec2_vpcs.VPCEndPoint.delete = _delete_vpc_endpoint
ec2_igw.InternetGateway.delete = _delete_internet_gateway
ec2_vpn.VPCGatewayAttachment.delete = _delete_gateway_attachment


_parse_and_update_resource = cfn_parsing.parse_and_update_resource


def _parse_and_update_or_keep(logical_id, resource_json, resources_map, *args, **kwargs):
    condition = resource_json.get("Condition")
    if condition:
        original = resources_map._parsed_resources.get(logical_id)
        if not resources_map.lazy_condition_map[condition]:
            if original is not None and hasattr(original, "delete"):
                original.delete(kwargs["account_id"], kwargs["region_name"])
            return None
        if original is None:
            # Its condition was false until now: it is made, not updated.
            return cfn_parsing.parse_and_create_resource(
                logical_id, resource_json, resources_map, *args, **kwargs
            )
    updated = _parse_and_update_resource(logical_id, resource_json, resources_map, *args, **kwargs)
    if updated is None and logical_id in resources_map._parsed_resources:
        return resources_map._parsed_resources[logical_id]
    return updated


cfn_parsing.parse_and_update_resource = _parse_and_update_or_keep


_create_bucket = s3_models.FakeBucket.create_from_cloudformation_json.__func__


def _create_bucket_with_versioning(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    bucket = _create_bucket(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    status = ((cloudformation_json.get("Properties") or {}).get("VersioningConfiguration") or {}).get("Status")
    if status:
        backend = s3_models.s3_backends[account_id][get_partition(region_name)]
        backend.put_bucket_versioning(bucket.name, status)
    properties = cloudformation_json.get("Properties") or {}
    backend = s3_models.s3_backends[account_id][get_partition(region_name)]
    lock = properties.get("ObjectLockConfiguration") or {}
    if properties.get("ObjectLockEnabled") in (True, "true") or lock.get("ObjectLockEnabled") == "Enabled":
        retention = (lock.get("Rule") or {}).get("DefaultRetention") or {}
        backend.put_object_lock_configuration(
            bucket.name, True, retention.get("Mode"), retention.get("Days"), retention.get("Years")
        )
    replication = properties.get("ReplicationConfiguration")
    if replication:
        rules = [
            {
                "ID": rule.get("Id") or f"rule{i}",
                "Priority": rule.get("Priority", 1),
                "Status": rule["Status"],
                "Destination": rule["Destination"],
            }
            for i, rule in enumerate(replication.get("Rules") or [])
        ]
        backend.put_bucket_replication(bucket.name, {"Role": replication["Role"], "Rule": rules})
    return bucket


s3_models.FakeBucket.create_from_cloudformation_json = classmethod(_create_bucket_with_versioning)


# --- /moto-api/data.json: attributes that raise are left out ----------------

from moto.moto_api._internal import responses as moto_api_responses


def _model_data(self, request, full_url, headers):
    from moto.core.model_instances import model_data

    results = {}
    for service in sorted(model_data):
        results[service] = {}
        for name in sorted(model_data[service]):
            instances = []
            for instance in model_data[service][name].instances_tracked:
                fields = {}
                for attr in dir(instance):
                    if attr.startswith("_"):
                        continue
                    try:
                        value = getattr(instance, attr)
                        json.dumps(value)
                    except Exception:  # noqa: BLE001 - moto's own dump skips what it cannot show
                        continue
                    fields[attr] = value
                instances.append(fields)
            results[service][name] = instances
    return 200, {"Content-Type": "application/javascript"}, json.dumps(results)


moto_api_responses.MotoAPIResponse.model_data = _model_data


# --- Event delivery by tp local (TP_LOCAL_EVENTS=external) ------------------
# See the docstring: moto keeps rules, targets and event source mappings, and
# `tp local` delivers.

if os.environ.get("TP_LOCAL_EVENTS") == "external":
    from moto.sqs import models as sqs_models

    def _no_delivery(self, original_event, transform_input=True):
        return None

    events_models.Rule.send_to_targets = _no_delivery

    # A queue's mappings are read only by its SendMessage dispatch; the
    # mapping itself stays in the Lambda backend (ListEventSourceMappings).
    sqs_models.Queue.lambda_event_source_mappings = property(
        lambda queue: {}, lambda queue, value: None
    )


# --- AssumeRole as AWS evaluates it ---------------------------------------
# See the docstring: the role must exist and trust the caller.

from moto.sts import responses as sts_responses  # noqa: E402
from moto.sts.models import sts_backends  # noqa: E402

ORGANIZATION_ROLE = "OrganizationAccountAccessRole"


def _caller(response):
    """The caller's account, the ARN a trust policy names it by (a role's
    ARN for an assumed-role session, else the user's), and its own ARN."""
    backend = sts_backends[response.current_account][get_partition(response.region)]
    _, arn, account = backend.get_caller_identity(response.get_access_key(), response.region)
    trusted_as = arn
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        role_name = parts[5].split("/")[1]
        trusted_as = f"arn:{parts[1]}:iam::{account}:role/{role_name}"
    return account, trusted_as, arn


def _statements(document):
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    statements = (document or {}).get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _trusts_a_service(role):
    for statement in _statements(role.assume_role_policy_document):
        principal = statement.get("Principal", {})
        if statement.get("Effect") == "Allow" and isinstance(principal, dict) and principal.get("Service"):
            return True
    return False


def _trusts(role, account, caller_arn):
    allowed = {"*", account, f"arn:aws:iam::{account}:root", caller_arn}
    caller_role = caller_arn.rsplit("/", 1)[-1]
    for statement in _statements(role.assume_role_policy_document):
        if statement.get("Effect") != "Allow":
            continue
        actions = _as_list(statement.get("Action", []))
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = statement.get("Principal", {})
        if principal == "*":
            return True
        for p in _as_list(principal.get("AWS", []) if isinstance(principal, dict) else []):
            if p in allowed:
                return True
            # A role ARN with a path names the same role.
            if ":role/" in p and ":role/" in caller_arn and p.split(":")[4] == account and p.rsplit("/", 1)[-1] == caller_role:
                return True
    return False


def _access_denied(response, caller_arn, role_arn):
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        "<Error><Type>Sender</Type><Code>AccessDenied</Code>"
        f"<Message>User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}</Message>"
        "</Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>"
    )
    return body, {"status": 403, "Content-Type": "text/xml"}


_assume_role = sts_responses.TokenResponse.assume_role


def _assume_role_checked(self):
    role_arn = self._get_param("RoleArn") or ""
    account, trusted_as, caller_arn = _caller(self)
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return _access_denied(self, caller_arn, role_arn)
    target, role_name = parts[4], parts[5].rsplit("/", 1)[-1]
    if role_name == ORGANIZATION_ROLE and account == DEFAULT_ACCOUNT:
        return _assume_role(self)
    try:
        role = iam_models.iam_backends[target][get_partition(self.region)].get_role_by_arn(role_arn)
    except Exception:
        return _access_denied(self, caller_arn, role_arn)
    plays_a_service = (
        account == DEFAULT_ACCOUNT
        and target == DEFAULT_ACCOUNT
        and ":assumed-role/" not in caller_arn
        and _trusts_a_service(role)
    )
    if not plays_a_service and not _trusts(role, account, trusted_as):
        return _access_denied(self, caller_arn, role_arn)
    return _assume_role(self)


sts_responses.TokenResponse.assume_role = _assume_role_checked


_create_vpc = ec2_vpcs.VPCBackend.create_vpc


def _create_vpc_with_default_ingress(self, *args, **kwargs):
    vpc = _create_vpc(self, *args, **kwargs)
    group = self.get_security_group_from_name("default", vpc_id=vpc.id)
    if group is not None and not group.ingress_rules:
        self.authorize_security_group_ingress(
            group.id, "-1", None, None, [], source_groups=[{"GroupId": group.id}], vpc_id=vpc.id
        )
    return vpc


ec2_vpcs.VPCBackend.create_vpc = _create_vpc_with_default_ingress


from moto.dynamodb import models as dynamodb_models  # noqa: E402

_dynamodb_writes = threading.RLock()


def _serialized(write):
    def locked(self, *args, **kwargs):
        with _dynamodb_writes:
            return write(self, *args, **kwargs)

    return locked


for _write in ("transact_write_items", "put_item", "update_item", "delete_item", "batch_write_item"):
    if hasattr(dynamodb_models.DynamoDBBackend, _write):
        setattr(
            dynamodb_models.DynamoDBBackend,
            _write,
            _serialized(getattr(dynamodb_models.DynamoDBBackend, _write)),
        )


_moto_stack_from_s3_url = cfn_utils.get_stack_from_s3_url


def _stack_from_s3_url(template_url, account_id, partition):
    parts = urllib.parse.urlparse(template_url)
    if parts.hostname in ("127.0.0.1", "::1"):
        netloc = "localhost" if parts.port is None else f"localhost:{parts.port}"
        template_url = parts._replace(netloc=netloc).geturl()
    return _moto_stack_from_s3_url(template_url, account_id=account_id, partition=partition)


cfn_utils.get_stack_from_s3_url = _stack_from_s3_url
cfn_responses.get_stack_from_s3_url = _stack_from_s3_url
cfn_models.get_stack_from_s3_url = _stack_from_s3_url


if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
