"""What exists in one region of moto_server, read through each service's own
API (moto's CloudFormation reports success even for types it ignores).

    .venv/bin/python tests/moto/inventory.py ENDPOINT REGION inventory
        (with TP_ACCOUNT set, every command acts in that account, through its
        OrganizationAccountAccessRole, as an operator of the account would)
    .venv/bin/python tests/moto/inventory.py ENDPOINT REGION credentials ACCOUNT
        prints the OrganizationAccountAccessRole credentials of ACCOUNT as
        {"AccessKeyId", "SecretAccessKey", "SessionToken"}
        prints a JSON object: service -> names of what exists
    .venv/bin/python tests/moto/inventory.py ENDPOINT REGION put-versions BUCKET KEY
        writes two versions of KEY into BUCKET
    .venv/bin/python tests/moto/inventory.py ENDPOINT REGION alarm-state NAME STATE
        sets alarm NAME to STATE (OK, ALARM), as CloudWatch would (an alarm
        that does not exist is put first)
    .venv/bin/python tests/moto/inventory.py ENDPOINT REGION send QUEUE_NAME
        sends one message to queue QUEUE_NAME
    .venv/bin/python tests/moto/inventory.py ENDPOINT REGION get BUCKET KEY
        prints the object KEY of BUCKET
    .venv/bin/python tests/moto/inventory.py ENDPOINT REGION put BUCKET KEY TEXT
        writes TEXT to KEY of BUCKET
    .venv/bin/python tests/moto/inventory.py ENDPOINT REGION item TABLE KEY VALUE
        prints the item of TABLE whose string key KEY is VALUE as plain JSON
        (null when there is none)
    .venv/bin/python tests/moto/inventory.py ENDPOINT REGION deploy STACK FILE BUCKET [KEY=VALUE...]
        uploads the template FILE into BUCKET (made if missing) and creates
        or updates STACK from it with those parameters through a change
        set, as `aws cloudformation deploy --s3-bucket` does (TemplateURL:
        the object's path-style URL at ENDPOINT); prints
        {"status", "resources": {logical id: type}}
    .venv/bin/python tests/moto/inventory.py ENDPOINT REGION parameter NAME
        prints the value of SSM parameter NAME
    .venv/bin/python tests/moto/inventory.py ENDPOINT REGION backup
        prints the Backup vaults, plans (rules, selections), the customer keys
        by alias (ARN, state, deletion date) and by ARN (state), the
        clusters' and tables' keys
    .venv/bin/python tests/moto/inventory.py ENDPOINT REGION create-zone DOMAIN
        creates the public hosted zone DOMAIN and prints its id
    .venv/bin/python tests/moto/inventory.py ENDPOINT REGION dns [REGION...]
        prints the hosted zones with their record sets, the health checks,
        the ACM certificates, the API Gateway domain names with their
        base-path mappings and the metric alarms on Route 53's metrics
"""

import json
import os
import sys
import uuid

import boto3


def main():
    endpoint, region, command = sys.argv[1:4]

    def operator_of(account):
        sts = boto3.client("sts", endpoint_url=endpoint, region_name=region)
        role = f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
        return sts.assume_role(RoleArn=role, RoleSessionName="inventory")["Credentials"]

    if command == "credentials":
        c = operator_of(sys.argv[4])
        print(json.dumps({k: c[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}))
        return

    session = {}
    if os.environ.get("TP_ACCOUNT"):
        c = operator_of(os.environ["TP_ACCOUNT"])
        session = {
            "aws_access_key_id": c["AccessKeyId"],
            "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"],
        }

    def client(service):
        return boto3.client(service, endpoint_url=endpoint, region_name=region, **session)

    def every(service, operation, key, **kwargs):
        """Every item of a listing, through all its pages."""
        pages = client(service).get_paginator(operation).paginate(**kwargs)
        return [item for page in pages for item in page.get(key, [])]

    if command == "dns":
        r53 = client("route53")
        zones = {}
        for zone in r53.list_hosted_zones()["HostedZones"]:
            records = r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
            # Names without the root's dot, however the emulator keeps them.
            zones[zone["Name"].rstrip(".")] = [
                {k: r.get(k) for k in ("Type", "SetIdentifier", "Region", "HealthCheckId")}
                | {"Name": r["Name"].rstrip("."), "Alias": (r.get("AliasTarget") or {}).get("DNSName")}
                for r in records
            ]
        checks = {
            c["Id"]: c["HealthCheckConfig"].get("FullyQualifiedDomainName")
            for c in r53.list_health_checks()["HealthChecks"]
        }
        # The regional parts, per region (`dns REGION...`; default: this one).
        certificates = {}
        domains = {}
        for where in sys.argv[4:] or [region]:
            acm = boto3.client("acm", endpoint_url=endpoint, region_name=where, **session)
            certificates[where] = []
            for summary in acm.list_certificates()["CertificateSummaryList"]:
                cert = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
                certificates[where].append({"DomainName": cert["DomainName"],
                                            "SubjectAlternativeNames": cert.get("SubjectAlternativeNames", [])})
            apigw = boto3.client("apigateway", endpoint_url=endpoint, region_name=where, **session)
            domains[where] = {}
            for domain in apigw.get_domain_names()["items"]:
                mappings = apigw.get_base_path_mappings(domainName=domain["domainName"]).get("items", [])
                domains[where][domain["domainName"]] = {
                    "securityPolicy": domain.get("securityPolicy"),
                    "regionalCertificateArn": domain.get("regionalCertificateArn"),
                    "stages": [m.get("stage") for m in mappings],
                }
        alarms = {
            a["AlarmName"]: [d["Value"] for d in a["Dimensions"]]
            for a in client("cloudwatch").describe_alarms()["MetricAlarms"]
            if a.get("Namespace") == "AWS/Route53"
        }
        print(json.dumps({"zones": zones, "health_checks": checks, "certificates": certificates,
                          "domain_names": domains, "alarms": alarms}))
        return

    if command == "create-zone":
        # A public hosted zone that exists before the platform deploys
        # (the DNS team's); prints its id.
        zone = client("route53").create_hosted_zone(Name=sys.argv[4], CallerReference=sys.argv[4])
        print(zone["HostedZone"]["Id"].split("/")[-1])
        return

    if command == "alarm-state":
        name, state = sys.argv[4:6]
        cloudwatch = client("cloudwatch")
        if not cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]:
            cloudwatch.put_metric_alarm(
                AlarmName=name,
                Namespace="AWS/Lambda",
                MetricName="Errors",
                Statistic="Sum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=0,
                ComparisonOperator="GreaterThanThreshold",
            )
        cloudwatch.set_alarm_state(
            AlarmName=name, StateValue=state, StateReason="set by the test"
        )
        return

    if command == "item":
        table, key, value = sys.argv[4:7]
        from boto3.dynamodb.types import TypeDeserializer

        item = client("dynamodb").get_item(TableName=table, Key={key: {"S": value}}).get("Item")
        plain = None
        if item is not None:
            deserialize = TypeDeserializer().deserialize
            plain = {k: deserialize(v) for k, v in item.items()}
        print(json.dumps(plain, default=str))
        return

    if command == "parameter":
        sys.stdout.write(client("ssm").get_parameter(Name=sys.argv[4])["Parameter"]["Value"])
        return

    if command == "get":
        bucket, key = sys.argv[4:6]
        sys.stdout.write(client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode())
        return

    if command == "put":
        bucket, key, text = sys.argv[4:7]
        client("s3").put_object(Bucket=bucket, Key=key, Body=text.encode())
        return

    if command == "deploy":
        stack, template, bucket = sys.argv[4:7]
        parameters = [
            {"ParameterKey": k, "ParameterValue": v}
            for k, v in (arg.split("=", 1) for arg in sys.argv[7:])
        ]
        s3 = client("s3")
        if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
            s3.create_bucket(Bucket=bucket)
        key = f"{stack}/{uuid.uuid4().hex}.template"
        with open(template, "rb") as f:
            s3.put_object(Bucket=bucket, Key=key, Body=f.read())
        cfn = client("cloudformation")
        try:
            cfn.describe_stacks(StackName=stack)
            kind = "UPDATE"
        except cfn.exceptions.ClientError:
            kind = "CREATE"
        name = f"deploy-{uuid.uuid4().hex}"
        cfn.create_change_set(
            StackName=stack,
            ChangeSetName=name,
            ChangeSetType=kind,
            TemplateURL=f"{endpoint.rstrip('/')}/{bucket}/{key}",
            Parameters=parameters,
        )
        cfn.get_waiter("change_set_create_complete").wait(
            StackName=stack, ChangeSetName=name, WaiterConfig={"Delay": 1}
        )
        cfn.execute_change_set(StackName=stack, ChangeSetName=name)
        waiter = "stack_create_complete" if kind == "CREATE" else "stack_update_complete"
        cfn.get_waiter(waiter).wait(StackName=stack, WaiterConfig={"Delay": 1})
        status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        # moto lists a resource whose condition is false as one without an
        # id; CloudFormation does not list it.
        resources = {
            r["LogicalResourceId"]: r["ResourceType"]
            for r in every("cloudformation", "list_stack_resources", "StackResourceSummaries", StackName=stack)
            if r.get("LogicalResourceId")
        }
        print(json.dumps({"status": status, "resources": resources}))
        return

    if command == "send":
        sqs = client("sqs")
        url = sqs.get_queue_url(QueueName=sys.argv[4])["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody='{"failed": true}')
        return

    if command == "s3-protection":
        # A bucket's replication and Object Lock configurations, as S3's API
        # answers them (null where the bucket has none).
        s3 = client("s3")
        bucket = sys.argv[4]
        out = {}
        try:
            out["replication"] = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
        except s3.exceptions.ClientError:
            out["replication"] = None
        try:
            out["object_lock"] = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
        except s3.exceptions.ClientError:
            out["object_lock"] = None
        print(json.dumps(out, default=str))
        return

    if command == "put-versions":
        bucket, key = sys.argv[4:6]
        for body in (b"first", b"second"):
            client("s3").put_object(Bucket=bucket, Key=key, Body=body)
        return

    if command == "monitoring":
        # Every topic's subscriptions, every metric alarm's definition and
        # every dashboard's body, through the APIs.
        sns = client("sns")
        subscriptions = {}
        for topic in every("sns", "list_topics", "Topics"):
            arn = topic["TopicArn"]
            listed = every("sns", "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)
            out = []
            for sub in listed:
                attributes = {}
                if sub["SubscriptionArn"] not in ("PendingConfirmation", "Deleted"):
                    attributes = sns.get_subscription_attributes(
                        SubscriptionArn=sub["SubscriptionArn"]
                    )["Attributes"]
                out.append(
                    {
                        "protocol": sub["Protocol"],
                        "endpoint": sub["Endpoint"],
                        "raw": attributes.get("RawMessageDelivery") == "true",
                    }
                )
            subscriptions[arn.split(":")[-1]] = out
        alarms = {
            a["AlarmName"]: {
                "namespace": a.get("Namespace"),
                "metric": a.get("MetricName"),
                "dimensions": {d["Name"]: d["Value"] for d in a.get("Dimensions", [])},
                "statistic": a.get("Statistic"),
                "period": a.get("Period"),
                "evaluations": a.get("EvaluationPeriods"),
                "threshold": a.get("Threshold"),
                "comparison": a.get("ComparisonOperator"),
                "missing": a.get("TreatMissingData"),
                "actions": [arn.split(":")[-1] for arn in a.get("AlarmActions", [])],
            }
            for a in every("cloudwatch", "describe_alarms", "MetricAlarms")
        }
        cloudwatch = client("cloudwatch")
        dashboards = {
            d["DashboardName"]: json.loads(
                cloudwatch.get_dashboard(DashboardName=d["DashboardName"])["DashboardBody"]
            )
            for d in cloudwatch.list_dashboards().get("DashboardEntries", [])
        }
        json.dump(
            {"subscriptions": subscriptions, "alarms": alarms, "dashboards": dashboards},
            sys.stdout,
            indent=1,
            sort_keys=True,
            default=str,
        )
        return

    if command == "backup":
        # The Backup vaults, plans (with their rules and selections) and the
        # customer keys by alias with their state, through the APIs.
        backup = client("backup")
        vaults = {
            v["BackupVaultName"]: {
                "key": v.get("EncryptionKeyArn"),
                "locked": v.get("Locked", False),
                "min_retention_days": v.get("MinRetentionDays"),
            }
            for v in backup.list_backup_vaults()["BackupVaultList"]
        }
        plans = {}
        for listed in backup.list_backup_plans()["BackupPlansList"]:
            plan_id = listed["BackupPlanId"]
            plan = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]
            selections = [
                backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=s["SelectionId"])[
                    "BackupSelection"
                ]
                for s in backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
            ]
            plans[plan["BackupPlanName"]] = {"rules": plan["Rules"], "selections": selections}
        kms = client("kms")
        keys = {}
        for a in kms.list_aliases()["Aliases"]:
            if a["AliasName"].startswith("alias/aws/") or "TargetKeyId" not in a:
                continue
            key = kms.describe_key(KeyId=a["TargetKeyId"])["KeyMetadata"]
            keys[a["AliasName"]] = {
                "arn": key["Arn"],
                "state": key["KeyState"],
                "deletion_date": str(key["DeletionDate"]) if "DeletionDate" in key else None,
            }
        key_states = {}
        for k in kms.list_keys()["Keys"]:
            key = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
            if key.get("KeyManager") != "AWS":
                key_states[key["Arn"]] = key["KeyState"]
        rds = client("rds")
        clusters = {
            c["DBClusterIdentifier"]: c.get("KmsKeyId")
            for c in rds.describe_db_clusters()["DBClusters"]
        }
        tables = {}
        dynamodb = client("dynamodb")
        for name in every("dynamodb", "list_tables", "TableNames"):
            sse = dynamodb.describe_table(TableName=name)["Table"].get("SSEDescription", {})
            tables[name] = sse.get("KMSMasterKeyArn")
        json.dump(
            {
                "vaults": vaults,
                "plans": plans,
                "keys": keys,
                "key_states": key_states,
                "clusters": clusters,
                "tables": tables,
            },
            sys.stdout,
            indent=1,
            sort_keys=True,
            default=str,
        )
        return

    s3 = client("s3")
    buckets = {}
    for b in s3.list_buckets()["Buckets"]:
        name = b["Name"]
        versioning = s3.get_bucket_versioning(Bucket=name).get("Status", "")
        try:
            rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
            encryption = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        except Exception:
            encryption = ""
        objects = [o["Key"] for o in every("s3", "list_objects_v2", "Contents", Bucket=name)]
        buckets[name] = {"versioning": versioning, "encryption": encryption, "objects": objects}

    ssm = client("ssm")
    parameters = {}
    for page in ssm.get_paginator("describe_parameters").paginate():
        for p in page["Parameters"]:
            parameters[p["Name"]] = ssm.get_parameter(Name=p["Name"])["Parameter"]["Value"]

    kms = client("kms")
    aliases = [a["AliasName"] for a in kms.list_aliases()["Aliases"] if "TargetKeyId" in a]
    # Customer keys, by the alias naming them, when the key exists (moto
    # 5.2.5 answers DescribeKey with a server error for these keys).
    key_ids = {k["KeyId"] for k in kms.list_keys()["Keys"]}
    keys = [
        a["AliasName"]
        for a in kms.list_aliases()["Aliases"]
        if not a["AliasName"].startswith("alias/aws/") and a.get("TargetKeyId") in key_ids
    ]
    ec2 = client("ec2")
    rds = client("rds")
    cfn = client("cloudformation")
    stacks = {
        s["StackName"]: s["StackStatus"]
        for s in cfn.describe_stacks()["Stacks"]
        if s["StackStatus"] != "DELETE_COMPLETE"
    }
    policies = {name: cfn.get_stack_policy(StackName=name).get("StackPolicyBody", "") for name in stacks}
    apigateway = client("apigateway")
    wafv2 = client("wafv2")
    # Each stage's web ACL, asked of WAF by the stage's ARN, as AWS answers it.
    stage_web_acls = {}
    for api in apigateway.get_rest_apis()["items"]:
        for stage in apigateway.get_stages(restApiId=api["id"])["item"]:
            arn = f"arn:aws:apigateway:{region}::/restapis/{api['id']}/stages/{stage['stageName']}"
            acl = wafv2.get_web_acl_for_resource(ResourceArn=arn).get("WebACL")
            stage_web_acls[f"{api['name']}/{stage['stageName']}"] = acl["Name"] if acl else None
    web_acls = {}
    for summary in wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"]:
        acl = wafv2.get_web_acl(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"])["WebACL"]
        try:
            logging = wafv2.get_logging_configuration(ResourceArn=summary["ARN"])["LoggingConfiguration"]
        except wafv2.exceptions.WAFNonexistentItemException:
            logging = {}
        web_acls[acl["Name"]] = {
            "default_action": sorted(acl["DefaultAction"]),
            "rules": [
                {
                    "name": rule["Name"],
                    "priority": rule["Priority"],
                    "action": sorted(rule.get("Action") or rule.get("OverrideAction") or {}),
                    "statement": rule["Statement"],
                }
                for rule in sorted(acl["Rules"], key=lambda r: r["Priority"])
            ],
            "log_destinations": logging.get("LogDestinationConfigs", []),
            "redacted_headers": [f["SingleHeader"]["Name"] for f in logging.get("RedactedFields") or []],
        }
    out = {
        "buckets": buckets,
        "tables": every("dynamodb", "list_tables", "TableNames"),
        "queues": [u.rsplit("/", 1)[-1] for u in every("sqs", "list_queues", "QueueUrls")],
        "functions": [f["FunctionName"] for f in every("lambda", "list_functions", "Functions")],
        "topics": [t["TopicArn"].rsplit(":", 1)[-1] for t in every("sns", "list_topics", "Topics")],
        "keys": keys,
        "aliases": aliases,
        "parameters": parameters,
        "clusters": [c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]],
        "instances": [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]],
        "buses": [b["Name"] for b in client("events").list_event_buses()["EventBuses"] if b["Name"] != "default"],
        "rules": [
            r["Name"]
            for bus in client("events").list_event_buses()["EventBuses"]
            for r in every("events", "list_rules", "Rules", EventBusName=bus["Name"])
        ],
        # Event archives: name -> source bus ARN, retention days, state.
        "archives": {
            a["ArchiveName"]: {
                "source": a.get("EventSourceArn"),
                "retention": a.get("RetentionDays"),
                "state": a.get("State"),
            }
            for a in client("events").list_archives().get("Archives", [])
        },
        "apis": [a["name"] for a in client("apigateway").get_rest_apis()["items"]],
        "vpcs": [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")],
        # Each VPC's default security group: how many inbound and outbound
        # rules it has.
        "default_security_groups": {
            g["VpcId"]: {"ingress": len(g.get("IpPermissions", [])), "egress": len(g.get("IpPermissionsEgress", []))}
            for g in ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])[
                "SecurityGroups"
            ]
            if g.get("VpcId") in {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")}
        },
        "vpc_endpoints": [
            e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["State"] != "deleted"
        ],
        "log_groups": [g["logGroupName"] for g in every("logs", "describe_log_groups", "logGroups")],
        "roles": [r["RoleName"] for r in every("iam", "list_roles", "Roles")],
        "stacks": stacks,
        "stack_policies": policies,
        "stage_web_acls": stage_web_acls,
        "web_acls": web_acls,
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
