// The policy evaluator of `tp local`'s AWS proxy: one request per line on
// stdin, one answer per line on stdout, matched by `id`, so a single
// long-running process serves every AWS call a function makes.
//
// Request:  {"id": 1, "principal": "arn:aws:iam::123456789012:role/r",
//            "account": "123456789012", "action": "sqs:SendMessage",
//            "resource": "arn:aws:sqs:...:q", "context": {"k": "v" | ["v"]},
//            "policies": [{"name": "p", "policy": {...}}],
//            "resourcePolicy": {...} (optional: the resource's own policy)}
// Answer:   {"id": 1, "result": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied"}
//        or {"id": 1, "error": "why the request could not be evaluated"}
import { createInterface } from 'node:readline'
import { runSimulation } from '@cloud-copilot/iam-simulate'

async function evaluate(request) {
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.account },
      contextVariables: request.context ?? {},
    },
    identityPolicies: request.policies ?? [],
    ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }
  const response = await runSimulation(simulation, {})
  if (response.resultType === 'error') {
    return { error: `${response.errors.message}: ${JSON.stringify(response.errors)}` }
  }
  return { result: response.overallResult }
}

// Answers still being computed when stdin closes are written before exiting.
let pending = 0
let closed = false
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
lines.on('line', (line) => {
  if (!line.trim()) return
  let request
  try {
    request = JSON.parse(line)
  } catch (e) {
    process.stdout.write(JSON.stringify({ id: null, error: `not JSON: ${e.message}` }) + '\n')
    return
  }
  pending += 1
  evaluate(request)
    .catch((e) => ({ error: String(e?.stack ?? e) }))
    .then((answer) => {
      process.stdout.write(JSON.stringify({ id: request.id, ...answer }) + '\n')
      pending -= 1
      if (closed && pending === 0) process.exit(0)
    })
})
lines.on('close', () => {
  closed = true
  if (pending === 0) process.exit(0)
})
