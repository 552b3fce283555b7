#!/usr/bin/env python3
"""Generates platform-core/src/cfn_facts.rs from two sources.

For every CloudFormation type the platform synthesizes: the top-level
properties whose change replaces the resource, and whether it takes tags.
`tp diff` and the deploy guards use the first to predict replacements from a
template comparison alone.

A property replaces its resource when either source says so:
- the registry schemas bundled with PyPI `cfn-lint` (the version pinned in
  tests/requirements.txt, installed in .venv): `createOnlyProperties`;
- npm `@aws-cdk/aws-service-spec` (pinned in scripts/cfn-facts/package-lock.json;
  `npm ci` there), the specification `cdk diff` predicts replacements with:
  each property's `causesReplacement: "yes"`. The registry schemas miss some
  (`AWS::DynamoDB::Table`'s `KeySchema`); CDK's specification carries them.
  `"maybe"` (a replacement only for some values) is not counted.

Usage: scripts/gen-cfn-facts.py [SCHEMAS_DIR]
Without SCHEMAS_DIR, the schemas of the cfn-lint installed in .venv are read.
"""
import glob
import gzip
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
    "AWS::ApiGateway::BasePathMapping", "AWS::ApiGateway::DomainName",
    "AWS::CertificateManager::Certificate", "AWS::Route53::HostedZone", "AWS::Route53::RecordSet",
]
OUT = os.path.join(os.path.dirname(__file__), "..", "platform-core", "src", "cfn_facts.rs")
SERVICE_SPEC = os.path.join(os.path.dirname(__file__), "cfn-facts", "node_modules", "@aws-cdk",
                            "aws-service-spec")


def service_spec():
    """`(version, {type: properties with causesReplacement "yes"})` from CDK's specification."""
    if not os.path.isdir(SERVICE_SPEC):
        sys.exit("@aws-cdk/aws-service-spec is not installed; run `npm ci` in scripts/cfn-facts")
    version = json.load(open(os.path.join(SERVICE_SPEC, "package.json")))["version"]
    db = json.load(gzip.open(os.path.join(SERVICE_SPEC, "db.json.gz")))
    replacing = {}
    for resource in db["schema"]["resource"]["entities"]:
        replacing[resource["cloudFormationType"]] = {
            name for name, prop in resource.get("properties", {}).items()
            if prop.get("causesReplacement") == "yes"
        }
    return version, replacing


def schemas_dir():
    """The registry schemas: SCHEMAS_DIR, else those of the cfn-lint in .venv.
    The other cfn generators (permissions, schemas) read them through here."""
    if len(sys.argv) > 1:
        return sys.argv[1]
    found = glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".venv", "lib", "python*",
                                   "site-packages", "cfnlint", "data", "schemas"))
    if not found:
        sys.exit("cfn-lint is not installed in .venv; run scripts/test first")
    return found[0]


def cfn_lint_version(schemas):
    """The version of the cfn-lint whose schemas `schemas` are."""
    version_dir = os.path.dirname(os.path.dirname(schemas))
    for meta in glob.glob(os.path.join(version_dir, "..", "cfn_lint-*.dist-info", "METADATA")):
        for line in open(meta):
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def main():
    schemas = schemas_dir()
    version = cfn_lint_version(schemas)
    schema_date = json.load(open(os.path.join(schemas, "version.json"))).get("schema_date", "unknown")
    providers = json.load(open(os.path.join(schemas, "providers", "us-east-1.json")))
    spec_version, spec_replacing = service_spec()
    rows = []
    for t in sorted(TYPES):
        schema = json.load(open(os.path.join(schemas, "resources", providers[t] + ".json")))
        if t not in spec_replacing:
            sys.exit(f"{t} is not in @aws-cdk/aws-service-spec {spec_version}")
        create_only = sorted({p.split("/")[2] for p in schema.get("createOnlyProperties", [])}
                             | spec_replacing[t])
        tags = next((p for p in ("Tags", "HealthCheckTags") if p in schema.get("properties", {})), None)
        rows.append((t, create_only, tags))
    lines = [
        "//! CloudFormation facts per resource type. GENERATED: do not edit.",
        "//!",
        "//! Sources: the resource schemas bundled with PyPI `cfn-lint` "
        f"{version} (schema date {schema_date}),",
        "//! their `createOnlyProperties`; npm `@aws-cdk/aws-service-spec` "
        f"{spec_version}, each property's",
        "//! `causesReplacement: \"yes\"` (what `cdk diff` predicts replacements with).",
        "//! Generator: `scripts/gen-cfn-facts.py` (run it after changing either pin:",
        "//! tests/requirements.txt, scripts/cfn-facts/package-lock.json).",
        "",
        "/// `(type, top-level properties whose change replaces the resource, tag",
        "/// property)`, sorted by type: the registry schema's create-only",
        "/// properties and those AWS CDK's specification marks as replacing.",
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
