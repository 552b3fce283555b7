// Summarizes check.mjs's JSON lines (read from stdin).
//
// Usage: node check.mjs TEMPLATE... | node report.mjs
//
// Prints per pack the unsuppressed findings, in all and by rule (most
// first), the suppressed ones, and any wrong suppression.

import { readFileSync } from 'node:fs';

const PACKS = ['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'];

const lines = readFileSync(0, 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line));

const open = Object.fromEntries(PACKS.map((pack) => [pack, new Map()]));
const suppressed = Object.fromEntries(PACKS.map((pack) => [pack, 0]));
const problems = [];
for (const line of lines) {
  if (line.resources !== undefined) {
    continue;
  } else if (line.problem) {
    problems.push(line);
  } else if (line.suppressed) {
    suppressed[line.pack] += 1;
  } else {
    const rules = open[line.pack];
    rules.set(line.rule, (rules.get(line.rule) ?? 0) + 1);
  }
}
const sorted = (rules) =>
  [...rules.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));

const out = [];
out.push('| pack | unsuppressed | suppressed |', '|---|---:|---:|');
for (const pack of PACKS) {
  const total = [...open[pack].values()].reduce((a, b) => a + b, 0);
  out.push(`| ${pack} | ${total} | ${suppressed[pack]} |`);
}
for (const pack of PACKS) {
  out.push('', `${pack}:`);
  for (const [rule, count] of sorted(open[pack])) out.push(`  ${String(count).padStart(4)}  ${rule}`);
}
if (problems.length) {
  out.push('', 'wrong suppressions:');
  for (const p of problems) out.push(`  ${p.template} ${p.resource} ${p.id}: ${p.problem}`);
}
process.stdout.write(`${out.join('\n')}\n`);
