// health-monitor: runs hourly (scheduled EventBridge rule). Checks, at once:
//
//   api        api-probe (API_PROBE_FUNCTION, invoked synchronously) found
//              that GET {API_URL}/health answers 200
//   database   a connection to Aurora PostgreSQL answers SELECT 1 (as the
//              read_only database user whose secret DB_SECRET_ARN is)
//   queue      the trade-orders queue holds fewer than QUEUE_DEPTH_THRESHOLD
//   dlq        the trade-orders dead-letter queue holds no more than
//              DLQ_DEPTH_THRESHOLD messages
//   eventsDlq  (when EVENTS_DLQ_URL is set) the same for that dead-letter queue
//
// The API is probed by another function, outside the VPC: this one runs in a
// network without a NAT gateway, which cannot reach the API's public
// endpoint, but reaches Lambda through the network's interface endpoint. A
// probe that cannot be invoked, or that fails, fails the api check.
//
// Publishes custom metrics in the `TradingPlatform` namespace:
// HealthCheckFailed (0/1, overall without dimensions and per check with the
// dimension Check), TradeOrdersQueueDepth and TradeOrdersDlqDepth. On any
// failure it alerts the SNS topic. An error while publishing the metrics or
// the alert is thrown (after trying both), so the invocation fails visibly.
//
// One alert per problem per run: Lambda retries a failed asynchronous
// invocation with the same event, so the run is the scheduled event's id
// (else the invocation's request id, which retries keep too). Before
// publishing, each failed check of the run is claimed in the alert-keys
// table (`<run>#<check>`, a conditional put: absent, or a claim that
// expired without being sent); only the claimed ones are alerted, and they
// are marked sent after the publish (or released if it fails, for the retry
// to alert them). A retry of a run that alerted alerts nothing again.
//
// Environment: DB_SECRET_ARN, DB_ENDPOINT, DB_PORT, DB_NAME,
// TRADE_ORDERS_QUEUE_URL, TRADE_ORDERS_DLQ_URL, ALERTS_TOPIC_ARN,
// ALERT_KEYS_TABLE, API_PROBE_FUNCTION (the probe's name or ARN) (required);
// ALERT_CLAIM_SECONDS (default 30), EVENTS_DLQ_URL,
// QUEUE_DEPTH_THRESHOLD (default 1000), DLQ_DEPTH_THRESHOLD (default 0),
// CHECK_TIMEOUT_MS (default 10000), METRIC_NAMESPACE (default
// TradingPlatform), DB_SSL=disable (local tests only), DB_CA_FILE, LOG_LEVEL.

import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { clientConfig, requireEnv } from "./lib/aws.mjs";
import { createPool, dbSettings, readCredentials } from "./lib/db.mjs";
import { createLogger } from "./lib/logger.mjs";

const env = requireEnv([
  "DB_SECRET_ARN",
  "DB_ENDPOINT",
  "DB_PORT",
  "DB_NAME",
  "TRADE_ORDERS_QUEUE_URL",
  "TRADE_ORDERS_DLQ_URL",
  "ALERTS_TOPIC_ARN",
  "ALERT_KEYS_TABLE",
  "API_PROBE_FUNCTION",
]);
const intEnv = (name, fallback) => {
  const n = Number.parseInt(process.env[name] ?? "", 10);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
};
const QUEUE_DEPTH_THRESHOLD = intEnv("QUEUE_DEPTH_THRESHOLD", 1000);
const DLQ_DEPTH_THRESHOLD = intEnv("DLQ_DEPTH_THRESHOLD", 0);
const CHECK_TIMEOUT_MS = intEnv("CHECK_TIMEOUT_MS", 10000);
const ALERT_CLAIM_SECONDS = intEnv("ALERT_CLAIM_SECONDS", 30);
// Longer than Lambda keeps retrying an asynchronous invocation (6 hours).
const ALERT_KEY_TTL_SECONDS = 7 * 86400;
const EVENTS_DLQ_URL = (process.env.EVENTS_DLQ_URL || "").trim();
export const METRIC_NAMESPACE = process.env.METRIC_NAMESPACE || "TradingPlatform";

const settings = dbSettings(process.env);
const secrets = new SecretsManagerClient(clientConfig());
const sqs = new SQSClient(clientConfig());
const cloudwatch = new CloudWatchClient(clientConfig());
const sns = new SNSClient(clientConfig());
const dynamodb = new DynamoDBClient(clientConfig());
// One attempt: a retried invoke would probe again, and the check has its deadline.
const lambda = new LambdaClient(clientConfig({ maxAttempts: 1 }));
const baseLog = createLogger();

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function checkApi() {
  let out;
  try {
    out = await lambda.send(
      new InvokeCommand({
        FunctionName: env.API_PROBE_FUNCTION,
        InvocationType: "RequestResponse",
        Payload: Buffer.from(JSON.stringify({ source: "health-monitor" })),
      }),
      { abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS) },
    );
  } catch (err) {
    throw new Error(`the API probe ${env.API_PROBE_FUNCTION} could not be invoked: ${err?.name ?? "Error"}: ${err?.message ?? err}`);
  }
  const text = out.Payload ? Buffer.from(out.Payload).toString("utf8") : "";
  let result;
  try {
    result = JSON.parse(text);
  } catch {
    result = undefined;
  }
  if (out.FunctionError) {
    const reason = result?.errorMessage ?? (text.slice(0, 200) || out.FunctionError);
    throw new Error(`the API probe failed (${out.FunctionError}): ${reason}`);
  }
  if (result === null || typeof result !== "object" || typeof result.ok !== "boolean") {
    throw new Error(`the API probe answered ${JSON.stringify(text.slice(0, 200))}, not { ok, status, latencyMs, body }`);
  }
  const details = { status: result.status, latencyMs: result.latencyMs };
  if (typeof result.body?.status === "string") details.apiStatus = result.body.status;
  if (!result.ok) {
    const failed = Array.isArray(result.body?.failed) ? ` (failed: ${result.body.failed.join(", ")})` : "";
    const why =
      result.status === null || result.status === undefined
        ? `got no answer: ${result.error ?? "the probe gave no reason"}`
        : `answered ${result.status}${failed}`;
    throw Object.assign(new Error(`GET /health ${why}`), { details });
  }
  return details;
}

async function checkDatabase() {
  const credentials = await readCredentials(secrets, env.DB_SECRET_ARN);
  const pool = createPool({ ...settings, connectTimeoutMs: Math.min(settings.connectTimeoutMs, CHECK_TIMEOUT_MS) }, credentials, {
    max: 1,
  });
  try {
    const started = Date.now();
    const { rows } = await pool.query("SELECT 1 AS ok");
    if (rows[0]?.ok !== 1) throw new Error("SELECT 1 returned an unexpected result");
    return { latencyMs: Date.now() - started };
  } finally {
    await pool.end().catch(() => {});
  }
}

async function queueDepth(queueUrl) {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
    { abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS) },
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

async function checkQueue() {
  const depth = await queueDepth(env.TRADE_ORDERS_QUEUE_URL);
  if (depth.visible >= QUEUE_DEPTH_THRESHOLD) {
    throw Object.assign(new Error(`${depth.visible} messages waiting (threshold ${QUEUE_DEPTH_THRESHOLD})`), { depth });
  }
  return depth;
}

async function checkDlq(queueUrl = env.TRADE_ORDERS_DLQ_URL) {
  const depth = await queueDepth(queueUrl);
  const total = depth.visible + depth.inFlight;
  if (total > DLQ_DEPTH_THRESHOLD) {
    throw Object.assign(new Error(`${total} messages in the dead-letter queue (threshold ${DLQ_DEPTH_THRESHOLD})`), {
      depth,
    });
  }
  return depth;
}

const CHECKS = {
  api: checkApi,
  database: checkDatabase,
  queue: checkQueue,
  dlq: () => checkDlq(env.TRADE_ORDERS_DLQ_URL),
  ...(EVENTS_DLQ_URL ? { eventsDlq: () => checkDlq(EVENTS_DLQ_URL) } : {}),
};

export const handler = async (event, context = {}) => {
  const log = baseLog.child({ requestId: context.awsRequestId, scheduledEventId: event?.id });
  const runId = String(event?.id || context.awsRequestId || checkedAtFallback());
  const checkedAt = new Date();

  const results = Object.fromEntries(
    await Promise.all(
      Object.entries(CHECKS).map(async ([name, check]) => {
        try {
          const details = await withTimeout(check(), CHECK_TIMEOUT_MS + 1000, `${name} check`);
          return [name, { ok: true, ...details }];
        } catch (err) {
          log.warn("health check failed", { check: name, error: err });
          return [name, { ok: false, error: err?.message ?? String(err), ...(err?.depth ?? {}), ...(err?.details ?? {}) }];
        }
      }),
    ),
  );
  const failed = Object.keys(CHECKS).filter((name) => !results[name].ok);
  const healthy = failed.length === 0;
  const summary = { status: healthy ? "healthy" : "unhealthy", checkedAt: checkedAt.toISOString(), failed, checks: results };
  log[healthy ? "info" : "error"]("health check complete", summary);

  const errors = [];
  try {
    await publishMetrics(results, failed, checkedAt);
  } catch (err) {
    errors.push(err);
    log.error("health metrics not published", { error: err });
  }
  if (!healthy) {
    try {
      await alert(summary, runId, log);
    } catch (err) {
      errors.push(err);
      log.error("health alert not published", { error: err });
    }
  }
  if (errors.length) throw new AggregateError(errors, "health monitor could not report its results");
  return summary;
};

async function publishMetrics(results, failed, timestamp) {
  const datum = (MetricName, Value, Unit, Dimensions) => ({
    MetricName,
    Value,
    Unit,
    Timestamp: timestamp,
    ...(Dimensions ? { Dimensions } : {}),
  });
  const data = [datum("HealthCheckFailed", failed.length ? 1 : 0, "Count")];
  for (const [name, result] of Object.entries(results)) {
    data.push(datum("HealthCheckFailed", result.ok ? 0 : 1, "Count", [{ Name: "Check", Value: name }]));
  }
  if (Number.isFinite(results.queue?.visible)) data.push(datum("TradeOrdersQueueDepth", results.queue.visible, "Count"));
  if (Number.isFinite(results.dlq?.visible)) {
    data.push(datum("TradeOrdersDlqDepth", results.dlq.visible + (results.dlq.inFlight || 0), "Count"));
  }
  await cloudwatch.send(new PutMetricDataCommand({ Namespace: METRIC_NAMESPACE, MetricData: data }));
}

// A run without an event id or request id (never in Lambda) is its own run.
function checkedAtFallback() {
  return `run-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

const isConditionFailed = (err) =>
  err instanceof ConditionalCheckFailedException || err?.name === "ConditionalCheckFailedException";

/** Claims the run's alert for `check`: true unless it was sent, or is being sent, already. */
async function claimAlert(runId, check) {
  const now = Math.floor(Date.now() / 1000);
  try {
    await dynamodb.send(
      new PutItemCommand({
        TableName: env.ALERT_KEYS_TABLE,
        Item: {
          alert_key: { S: `${runId}#${check}` },
          run_id: { S: runId },
          check: { S: check },
          state: { S: "sending" },
          claimed_until: { N: String(now + ALERT_CLAIM_SECONDS) },
          expires_at: { N: String(now + ALERT_KEY_TTL_SECONDS) },
        },
        ConditionExpression: "attribute_not_exists(alert_key) OR (#state = :sending AND claimed_until < :now)",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: { ":sending": { S: "sending" }, ":now": { N: String(now) } },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

function markAlert(runId, check, messageId) {
  return dynamodb.send(
    new UpdateItemCommand({
      TableName: env.ALERT_KEYS_TABLE,
      Key: { alert_key: { S: `${runId}#${check}` } },
      UpdateExpression: "SET #state = :sent, sent_at = :at, message_id = :mid REMOVE claimed_until",
      ExpressionAttributeNames: { "#state": "state" },
      ExpressionAttributeValues: { ":sent": { S: "sent" }, ":at": { S: new Date().toISOString() }, ":mid": { S: messageId ?? "" } },
    }),
  );
}

function releaseAlert(runId, check) {
  return dynamodb
    .send(
      new DeleteItemCommand({
        TableName: env.ALERT_KEYS_TABLE,
        Key: { alert_key: { S: `${runId}#${check}` } },
        ConditionExpression: "#state = :sending",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: { ":sending": { S: "sending" } },
      }),
    )
    .catch(() => {});
}

async function alert(summary, runId, log) {
  const claims = await Promise.all(summary.failed.map(async (check) => [check, await claimAlert(runId, check)]));
  const problems = claims.filter(([, claimed]) => claimed).map(([check]) => check);
  const alreadyAlerted = claims.filter(([, claimed]) => !claimed).map(([check]) => check);
  if (!problems.length) {
    log.info("health alert already sent for this run", { runId, checks: alreadyAlerted });
    return;
  }
  let messageId;
  try {
    messageId = await publishAlert(summary, problems, alreadyAlerted);
  } catch (err) {
    // Not sent: the retry of this run may claim these again.
    await Promise.all(problems.map((check) => releaseAlert(runId, check)));
    throw err;
  }
  await Promise.all(problems.map((check) => markAlert(runId, check, messageId)));
  log.info("health alert sent", { runId, checks: problems, messageId, alreadyAlerted });
}

async function publishAlert(summary, problems, alreadyAlerted) {
  const subject = `Trading platform unhealthy: ${problems.join(", ")}`.slice(0, 100);
  const lines = [
    `Health check at ${summary.checkedAt} failed: ${problems.join(", ")}.`,
    ...(alreadyAlerted.length ? [`Already alerted in this run: ${alreadyAlerted.join(", ")}.`] : []),
    "",
    ...Object.entries(summary.checks).map(([name, r]) => `${name}: ${r.ok ? "ok" : `FAILED - ${r.error}`}`),
    "",
    JSON.stringify(summary),
  ];
  const out = await sns.send(
    new PublishCommand({
      TopicArn: env.ALERTS_TOPIC_ARN,
      Subject: subject,
      Message: lines.join("\n"),
      MessageAttributes: {
        failedChecks: { DataType: "String", StringValue: problems.join(",") },
      },
    }),
  );
  return out.MessageId;
}
