#!/usr/bin/env python3
"""Generates platform-core/src/cfn_facts.rs from cfn-lint's bundled resource schemas.

For every CloudFormation type the platform synthesizes: its create-only
properties (a change to any of them replaces the resource) and whether it
takes tags. `tp diff` and the deploy guards use the first to predict
replacements from a template comparison alone.

Usage: scripts/gen-cfn-facts.py [SCHEMAS_DIR]
Without SCHEMAS_DIR, the schemas of the cfn-lint installed in .venv are read
(the version pinned in tests/requirements.txt).
"""
import glob
import json
import os
import sys

TYPES = [
    "AWS::ApiGateway::Account", "AWS::ApiGateway::Deployment", "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Model", "AWS::ApiGateway::RequestValidator", "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Stage", "AWS::Backup::BackupPlan",
    "AWS::Backup::BackupSelection", "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard", "AWS::DynamoDB::Table", "AWS::EC2::FlowLog",
    "AWS::EC2::InternetGateway", "AWS::EC2::Route", "AWS::EC2::RouteTable",
    "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupEgress", "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::Subnet", "AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::VPC",
    "AWS::EC2::VPCEndpoint", "AWS::EC2::VPCGatewayAttachment", "AWS::Events::Archive", "AWS::Events::EventBus",
    "AWS::Events::Rule", "AWS::IAM::Role", "AWS::KMS::Alias", "AWS::KMS::Key",
    "AWS::Lambda::EventInvokeConfig", "AWS::Lambda::EventSourceMapping", "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::Logs::LogGroup", "AWS::Logs::ResourcePolicy", "AWS::RDS::DBCluster",
    "AWS::RDS::DBClusterParameterGroup", "AWS::RDS::DBInstance", "AWS::RDS::DBSubnetGroup", "AWS::Route53::HealthCheck",
    "AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::SNS::Subscription", "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy", "AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::SSM::Parameter",
    "AWS::SecretsManager::Secret", "AWS::SecretsManager::RotationSchedule", "AWS::CloudFormation::Stack", "AWS::Config::ConfigRule",
    "AWS::CodeBuild::Project", "AWS::CodePipeline::Pipeline",
    "AWS::WAFv2::LoggingConfiguration", "AWS::WAFv2::WebACL", "AWS::WAFv2::WebACLAssociation",
]
OUT = os.path.join(os.path.dirname(__file__), "..", "platform-core", "src", "cfn_facts.rs")


def main():
    if len(sys.argv) > 1:
        schemas = sys.argv[1]
    else:
        found = glob.glob(os.path.join(os.path.dirname(__file__), "..", ".venv", "lib", "python*",
                                       "site-packages", "cfnlint", "data", "schemas"))
        if not found:
            sys.exit("cfn-lint is not installed in .venv; run scripts/test first")
        schemas = found[0]
    version_dir = os.path.dirname(os.path.dirname(schemas))
    version = "unknown"
    for meta in glob.glob(os.path.join(version_dir, "..", "cfn_lint-*.dist-info", "METADATA")):
        for line in open(meta):
            if line.startswith("Version:"):
                version = line.split(":", 1)[1].strip()
    schema_date = json.load(open(os.path.join(schemas, "version.json"))).get("schema_date", "unknown")
    providers = json.load(open(os.path.join(schemas, "providers", "us-east-1.json")))
    rows = []
    for t in sorted(TYPES):
        schema = json.load(open(os.path.join(schemas, "resources", providers[t] + ".json")))
        create_only = sorted({p.split("/")[2] for p in schema.get("createOnlyProperties", [])})
        tags = next((p for p in ("Tags", "HealthCheckTags") if p in schema.get("properties", {})), None)
        rows.append((t, create_only, tags))
    lines = [
        "//! CloudFormation facts per resource type. GENERATED: do not edit.",
        "//!",
        f"//! Source: the resource schemas bundled with PyPI `cfn-lint` {version} (schema date {schema_date}).",
        "//! Generator: `scripts/gen-cfn-facts.py` (run it after changing the pinned cfn-lint).",
        "",
        "/// `(type, create-only top-level properties, tag property)`, sorted by type.",
        "/// Changing a create-only property replaces the resource.",
        "pub static RESOURCE_TYPES: &[(&str, &[&str], Option<&str>)] = &[",
    ]
    for t, create_only, tags in rows:
        props = ", ".join(json.dumps(p) for p in create_only)
        tag = f"Some({json.dumps(tags)})" if tags else "None"
        lines.append(f"    ({json.dumps(t)}, &[{props}], {tag}),")
    lines += ["];", ""]
    open(OUT, "w").write("\n".join(lines))
    print(f"wrote {len(rows)} resource types to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
