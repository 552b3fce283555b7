// health-api: the API Gateway (REST, Lambda proxy) handler of GET /health,
// a function of its own: its reserved concurrency is its own, so health
// checks (Route 53's, the health monitor's, anyone's: the route needs no
// credentials) never take what trade-api needs to accept orders.
//
//   GET /health   checks the sessions and order-keys tables, the trade-orders
//                 queue and that the database accepts TCP connections. 200
//                 when all answer; 200 "degraded" when only the database does
//                 not (orders are still accepted: they wait on the queue); 503
//                 naming the table or queue when one of them fails.
//
// It reads no item and holds no credentials: it describes the tables, reads
// the queue's attributes and opens (and closes) a TCP connection.
//
// Environment: SESSIONS_TABLE, ORDER_KEYS_TABLE, TRADE_ORDERS_QUEUE_URL,
// DB_ENDPOINT, DB_PORT (required); HEALTH_CHECK_TIMEOUT_MS (default 2000),
// LOG_LEVEL (optional).

import { connect } from "node:net";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { clientConfig, requireEnv } from "./lib/aws.mjs";
import { createLogger } from "./lib/logger.mjs";

const env = requireEnv(["SESSIONS_TABLE", "ORDER_KEYS_TABLE", "TRADE_ORDERS_QUEUE_URL", "DB_ENDPOINT", "DB_PORT"]);
const DB_PORT = Number.parseInt(env.DB_PORT, 10);
if (!Number.isInteger(DB_PORT) || DB_PORT < 1 || DB_PORT > 65535) {
  throw new Error(`DB_PORT must be a TCP port (1-65535), not ${JSON.stringify(env.DB_PORT)}`);
}
const HEALTH_CHECK_TIMEOUT_MS = Number.parseInt(process.env.HEALTH_CHECK_TIMEOUT_MS ?? "", 10) || 2000;

const dynamodb = new DynamoDBClient(clientConfig());
const sqs = new SQSClient(clientConfig());
const baseLog = createLogger();

const JSON_HEADERS = { "Content-Type": "application/json", "Cache-Control": "no-store" };

function respond(statusCode, body, headers = {}) {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export const handler = async (event, context = {}) => {
  const log = baseLog.child({
    requestId: context.awsRequestId,
    apiRequestId: event?.requestContext?.requestId,
  });
  const method = String(event?.httpMethod || "").toUpperCase();
  const route = event?.resource || event?.path || "";
  try {
    if (route === "/health") {
      if (method === "GET") return await health(log);
      return respond(405, { message: "Method not allowed" }, { Allow: "GET" });
    }
    return respond(404, { message: "Not found" });
  } catch (err) {
    log.error("unhandled error", { error: err, method, route });
    return respond(500, { message: "Internal error" });
  }
};

/**
 * Whether the database accepts a TCP connection within the timeout: no
 * credentials (health-api has none), only the path from the function to the
 * cluster (security group, subnets, the cluster being up).
 */
function checkDatabaseReachable(abortSignal) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: env.DB_ENDPOINT, port: DB_PORT });
    const done = (err) => {
      abortSignal.removeEventListener("abort", onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => done(new Error(`no TCP connection to ${env.DB_ENDPOINT}:${DB_PORT} within the timeout`));
    abortSignal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => done());
    socket.once("error", done);
  });
}

async function checkTable(name, abortSignal) {
  const out = await dynamodb.send(new DescribeTableCommand({ TableName: name }), { abortSignal });
  const status = out.Table?.TableStatus;
  if (status !== "ACTIVE" && status !== "UPDATING") throw new Error(`table status ${status}`);
}

// Without these, no order can be accepted: /health answers 503.
const REQUIRED_CHECKS = {
  sessionsTable: (abortSignal) => checkTable(env.SESSIONS_TABLE, abortSignal),
  orderKeysTable: (abortSignal) => checkTable(env.ORDER_KEYS_TABLE, abortSignal),
  tradeOrdersQueue: async (abortSignal) => {
    await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: env.TRADE_ORDERS_QUEUE_URL, AttributeNames: ["QueueArn"] }),
      { abortSignal },
    );
  },
};
// Without these, orders are still accepted (they wait on the queue until
// trade-processor can write them): /health answers 200 "degraded".
const DEGRADING_CHECKS = { database: checkDatabaseReachable };
const FAILURE = { sessionsTable: "failed", orderKeysTable: "failed", tradeOrdersQueue: "failed", database: "unreachable" };

async function health(log) {
  const checks = { ...REQUIRED_CHECKS, ...DEGRADING_CHECKS };
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await check(AbortSignal.timeout(HEALTH_CHECK_TIMEOUT_MS));
        return [name, "ok"];
      } catch (err) {
        log.warn("health check failed", { check: name, error: err });
        return [name, FAILURE[name]];
      }
    }),
  );
  const notOk = results.filter(([, status]) => status !== "ok").map(([name]) => name);
  const failed = notOk.filter((name) => name in REQUIRED_CHECKS);
  const degraded = notOk.filter((name) => name in DEGRADING_CHECKS);
  const status = failed.length ? "unavailable" : degraded.length ? "degraded" : "ok";
  const body = { status, checks: Object.fromEntries(results) };
  if (failed.length) body.failed = failed;
  if (degraded.length) body.degraded = degraded;
  return respond(failed.length ? 503 : 200, body);
}
