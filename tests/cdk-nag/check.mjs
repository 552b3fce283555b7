// Runs cdk-nag's rule packs AwsSolutions, HIPAA.Security, NIST.800.53.R5
// and PCI.DSS.321 over synthesized CloudFormation templates.
//
// Usage: node check.mjs TEMPLATE...
//
// Prints one JSON object per line on stdout:
// - first for each template, what was checked: {template, resources}, the
//   number of its resources imported (all of them);
// - a finding: {template, pack, rule, id, resource, level, suppressed,
//   reason, message}; `rule` is the rule's id (`AwsSolutions-IAM5`), `id`
//   what a suppression names (`AwsSolutions-IAM5[Action::s3:*]` for rules
//   that report several findings per resource, else the rule), `resource`
//   the template's logical id, `level` "error" or "warning";
// - a suppression that is wrong: {template, resource, id, problem}: one
//   without a reason, or one that suppresses nothing (a typo, a rule id
//   without its `[finding]`, or a gap that was closed since).
// Exits 1 when a template cannot be read or imported (the message says which
// and why), 0 otherwise: whether findings are acceptable is the caller's
// decision.
//
// Every template is imported as it is, with CfnInclude, into a Stack of its
// own. Nested stacks are not loaded through their parent: `tp synth` writes
// each nested template beside its parent, and it is checked as a template of
// its own like any other file given here.
//
// Suppressions are read from each resource's
// `Metadata.cdk_nag.rules_to_suppress: [{id, reason}]` (the format cdk-nag
// itself writes with `writeSuppressionsToCloudFormation`). cdk-nag 3 is a
// policy-validation plugin and no longer reads that metadata; it reads CDK
// acknowledgments. So each pack validates the stack twice: without any
// acknowledgment (every finding), then with each suppression acknowledged on
// its resource (`Validations.of(resource).acknowledge`), so that cdk-nag's
// own matching decides what a suppression covers; the findings only the
// first pass reports are the suppressed ones.
//
// Nothing is written anywhere: the packs are run with `validateScope` on the
// construct tree, without synthesizing a cloud assembly.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import {
  AwsSolutionsChecks,
  HIPAASecurityChecks,
  NIST80053R5Checks,
  PCIDSS321Checks,
} from 'cdk-nag';

const PACKS = [
  AwsSolutionsChecks,
  HIPAASecurityChecks,
  NIST80053R5Checks,
  PCIDSS321Checks,
];

function fail(message) {
  process.stderr.write(`check.mjs: ${message}\n`);
  process.exit(1);
}

/** The suppressions of each resource: logical id -> [{id, reason}]. */
function suppressionsOf(template, file) {
  const byResource = new Map();
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const rules = resource?.Metadata?.cdk_nag?.rules_to_suppress;
    if (rules === undefined) continue;
    if (!Array.isArray(rules)) {
      fail(
        `${file}: ${logicalId}: Metadata.cdk_nag.rules_to_suppress must be a list of {id, reason}`,
      );
    }
    byResource.set(
      logicalId,
      rules.map((rule) => ({ id: String(rule?.id ?? ''), reason: String(rule?.reason ?? '').trim() })),
    );
  }
  return byResource;
}

/** Every finding of `pack` in `stack`: [{id, constructPath, level, message}]. */
function findings(pack, stack) {
  const report = pack.validateScope(stack);
  const out = [];
  for (const violation of report.violations) {
    for (const resource of violation.violatingResources) {
      out.push({
        id: violation.ruleName,
        constructPath: resource.constructPath,
        level: violation.severity,
        message: violation.description,
      });
    }
  }
  return out;
}

function check(file, index) {
  let template;
  try {
    template = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    fail(`${file}: not a JSON template: ${error.message}`);
  }
  const suppressions = suppressionsOf(template, file);
  const app = new App({ context: { 'aws:cdk:disable-version-reporting': true } });
  const stack = new Stack(app, `Template${index}`);
  let include;
  try {
    include = new CfnInclude(stack, 'Include', { templateFile: file });
  } catch (error) {
    fail(`${file}: CfnInclude cannot import it: ${error.message}`);
  }
  // Construct path -> logical id; every resource is a direct child.
  const logicalIds = new Map();
  for (const child of include.node.children) {
    if (CfnResource.isCfnResource(child)) logicalIds.set(child.node.path, child.node.id);
  }
  const name = basename(file);
  const lines = [{ template: name, resources: logicalIds.size }];
  const used = new Set();
  for (const Pack of PACKS) {
    const pack = new Pack(undefined, { verbose: true });
    const packName = pack.readPackName;
    const all = findings(pack, stack);
    let open = all;
    if (suppressions.size > 0) {
      for (const [logicalId, rules] of suppressions) {
        const resource = include.getResource(logicalId);
        for (const rule of rules) {
          // A suppression without a reason suppresses nothing.
          if (rule.reason && rule.id.startsWith(`${packName}-`)) {
            Validations.of(resource).acknowledge({ id: rule.id, reason: rule.reason });
          }
        }
      }
      open = findings(pack, stack);
    }
    const openKeys = new Set(open.map((f) => `${f.id}\u0000${f.constructPath}`));
    for (const finding of all) {
      const resource = logicalIds.get(finding.constructPath) ?? finding.constructPath;
      const suppressed = !openKeys.has(`${finding.id}\u0000${finding.constructPath}`);
      let reason = null;
      if (suppressed) {
        reason = (suppressions.get(resource) ?? []).find((r) => r.id === finding.id)?.reason ?? null;
        used.add(`${resource}\u0000${finding.id}`);
      }
      lines.push({
        template: name,
        pack: packName,
        rule: finding.id.replace(/\[.*\]$/s, ''),
        id: finding.id,
        resource,
        level: finding.level,
        suppressed,
        reason,
        message: finding.message,
      });
    }
  }
  for (const [resource, rules] of suppressions) {
    for (const rule of rules) {
      if (!rule.reason) {
        lines.push({ template: name, resource, id: rule.id, problem: 'the suppression gives no reason' });
      } else if (!used.has(`${resource}\u0000${rule.id}`)) {
        lines.push({
          template: name,
          resource,
          id: rule.id,
          problem:
            'the suppression matches no finding of AwsSolutions, HIPAA.Security, NIST.800.53.R5 or PCI.DSS.321 on this resource (rules that report several findings per resource need the finding, e.g. AwsSolutions-IAM5[Action::s3:*]); remove it, or correct its id',
        });
      }
    }
  }
  return lines;
}

const files = process.argv.slice(2);
if (files.length === 0) fail('usage: node check.mjs TEMPLATE...');
const out = [];
files.forEach((file, index) => {
  for (const line of check(file, index)) out.push(JSON.stringify(line));
});
process.stdout.write(out.length ? `${out.join('\n')}\n` : '');
