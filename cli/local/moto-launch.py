"""Starts moto_server with fixes for moto bugs that real CloudFormation does not have.

The templates are written for real CloudFormation and are never bent to the
emulator; where moto misreads a valid template, it is patched here, before
its server starts. Usage is moto_server's own:

    .venv/bin/python cli/local/moto-launch.py -H 127.0.0.1 -p PORT

Patches (moto 5.2.5):

- AWS::KMS::Key: CloudFormation takes Tags as [{"Key", "Value"}], as every
  other resource does; moto passes them straight to its KMS API model, which
  expects the KMS API's [{"TagKey", "TagValue"}], and fails creating the key.
- AWS::SSM::Parameter: CloudFormation takes Tags as a map of key to value;
  moto iterates it as the SSM API's [{"Key", "Value"}] list, and fails.
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
  only in CreateStack), so an API deployment is created before its methods.
  The resources to add are put in DependsOn order here; and the stack's
  outputs, which moto computes only in CreateStack and UpdateStack, are
  computed after the change set is applied.
- AWS::S3::Bucket: moto ignores VersioningConfiguration, so every bucket
  would be unversioned. It is applied after the bucket is created. So are
  ObjectLockEnabled/ObjectLockConfiguration (the default retention) and
  ReplicationConfiguration, which moto also ignores, through the same calls
  S3's API answers (PutObjectLockConfiguration, PutBucketReplication).
- Stack updates: for a type whose update moto does not model, moto drops
  the resource from the stack, and every later Fn::GetAtt on it fails. Such
  a resource is kept as it was (its properties are not updated).
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
  itself (cli/src/local/events/). moto would deliver to log-group and SQS
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
- /moto-api/data.json (the models' dump, where `tp local` finds the secret
  of an access key made through moto's IAM API, which the API never
  answers again): reading a Lambda function's attributes asks Docker for
  its client, and without Docker that raises, failing the whole dump with
  a 500. An attribute that raises is left out, as one that is not JSON is.
"""

import json
import os
import sys

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
from moto.events import models as events_models
from moto.cloudwatch import models as cloudwatch_models
from moto.iam import models as iam_models
from moto.kms import models as kms_models
from moto.sqs import models as sqs_models
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.core.common_models import CloudFormationModel
from moto.utilities.utils import get_partition
from moto.rds import models as rds_models
from moto.s3 import models as s3_models
from moto.secretsmanager import models as secretsmanager_models
from moto.ssm import models as ssm_models


def _kms_tags_as_api(cloudformation_json):
    properties = dict(cloudformation_json.get("Properties") or {})
    tags = properties.get("Tags")
    if tags:
        properties["Tags"] = [
            {"TagKey": t["Key"], "TagValue": t["Value"]} if "Key" in t else t for t in tags
        ]
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
        backend = lambda_models.lambda_backends[account_id][region_name]
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
        backend = lambda_models.lambda_backends[account_id][region_name]
        try:
            backend.get_function(self.function_name).event_invoke_config = []
        except lambda_models.UnknownFunctionException:
            pass


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


def _depends_on_first(names, resources):
    ordered, seen = [], set()

    def visit(name):
        if name in seen or name not in names:
            return
        seen.add(name)
        depends = resources[name].get("DependsOn", [])
        for dependency in [depends] if isinstance(depends, str) else depends:
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


if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
