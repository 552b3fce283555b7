// trade-api: the API Gateway (REST, Lambda proxy) handler.
//
//   POST /trades  validates an order against schemas/trade-order.json (the
//                 API's request model) and the business rules; 400 with the
//                 list of field errors, or queues it on the trade-orders queue
//                 (the client order id is the idempotency key), records the
//                 session's activity in DynamoDB and answers 202 with the
//                 trade id.
//   GET /health   checks the sessions table, the trade-orders queue and that
//                 the database accepts TCP connections. 200 when all answer;
//                 200 "degraded" when only the database does not (orders are
//                 still accepted: they wait on the queue); 503 naming the
//                 table or queue when one of them fails (and nothing more).
//
// Environment: SESSIONS_TABLE, TRADE_ORDERS_QUEUE_URL, DB_ENDPOINT, DB_PORT
// (required); SESSION_TTL_SECONDS (default 86400), HEALTH_CHECK_TIMEOUT_MS
// (default 2000), LOG_LEVEL (optional).

import { createHash } from "node:crypto";
import { connect } from "node:net";
import { DescribeTableCommand, DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { clientConfig, requireEnv } from "./lib/aws.mjs";
import { createLogger } from "./lib/logger.mjs";
import { isValidSessionId, tradeMessage } from "./lib/orders.mjs";
import { validateOrder } from "./order.mjs";

const env = requireEnv(["SESSIONS_TABLE", "TRADE_ORDERS_QUEUE_URL", "DB_ENDPOINT", "DB_PORT"]);
const DB_PORT = Number.parseInt(env.DB_PORT, 10);
if (!Number.isInteger(DB_PORT) || DB_PORT < 1 || DB_PORT > 65535) {
  throw new Error(`DB_PORT must be a TCP port (1-65535), not ${JSON.stringify(env.DB_PORT)}`);
}
const SESSION_TTL_SECONDS = Number.parseInt(process.env.SESSION_TTL_SECONDS ?? "", 10) || 86400;
const HEALTH_CHECK_TIMEOUT_MS = Number.parseInt(process.env.HEALTH_CHECK_TIMEOUT_MS ?? "", 10) || 2000;
const FIFO = env.TRADE_ORDERS_QUEUE_URL.endsWith(".fifo");

const dynamodb = new DynamoDBClient(clientConfig());
const sqs = new SQSClient(clientConfig());
const baseLog = createLogger();

const JSON_HEADERS = { "Content-Type": "application/json", "Cache-Control": "no-store" };

function respond(statusCode, body, headers = {}) {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

function header(event, name) {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers || {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

export const handler = async (event, context = {}) => {
  const log = baseLog.child({
    requestId: context.awsRequestId,
    apiRequestId: event?.requestContext?.requestId,
  });
  const method = String(event?.httpMethod || "").toUpperCase();
  const route = event?.resource || event?.path || "";
  try {
    if (route === "/trades") {
      if (method === "POST") return await submitTrade(event, log);
      return respond(405, { message: "Method not allowed" }, { Allow: "POST" });
    }
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

function parseBody(event) {
  if (event.body === undefined || event.body === null || event.body === "") {
    return { errors: [{ field: "body", message: "is required" }] };
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : String(event.body);
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { errors: [{ field: "body", message: "is not valid JSON" }] };
  }
}

/**
 * The session an order belongs to: the body's `sessionId`, else the
 * X-Session-Id header, else one derived from the signed caller's identity.
 */
function sessionIdFor(event, order, errors) {
  if (order?.sessionId) return order.sessionId;
  const fromHeader = header(event, "x-session-id");
  if (fromHeader !== undefined) {
    if (isValidSessionId(fromHeader)) return fromHeader;
    errors.push({ field: "X-Session-Id", message: "must be 1-128 characters: letters, digits and . _ : @ -" });
    return undefined;
  }
  const identity = event.requestContext?.identity || {};
  const caller = identity.userArn || identity.caller || identity.cognitoIdentityId || identity.accountId;
  if (caller) return `caller-${createHash("sha256").update(String(caller)).digest("hex").slice(0, 32)}`;
  return "anonymous";
}

async function submitTrade(event, log) {
  const parsed = parseBody(event);
  const { order, errors, rejectedBy } = parsed.errors
    ? { order: undefined, errors: parsed.errors, rejectedBy: "body" }
    : validateOrder(parsed.value);
  const sessionId = sessionIdFor(event, order, errors);
  if (errors.length) {
    log.info("order rejected", { errors, rejectedBy: rejectedBy ?? "header" });
    return respond(400, { message: "Invalid trade order", errors });
  }

  const submittedAt = new Date().toISOString();
  const message = tradeMessage(order, { sessionId, submittedAt });
  const orderLog = log.child({ tradeId: message.tradeId, clientOrderId: order.clientOrderId, sessionId });

  const send = {
    QueueUrl: env.TRADE_ORDERS_QUEUE_URL,
    MessageBody: JSON.stringify(message),
    MessageAttributes: {
      idempotencyKey: { DataType: "String", StringValue: order.clientOrderId },
      tradeId: { DataType: "String", StringValue: message.tradeId },
    },
  };
  if (FIFO) {
    // A FIFO queue drops a duplicate within its 5-minute window; a standard
    // queue cannot, and trade-processor's unique client order id covers both.
    send.MessageGroupId = sessionId;
    send.MessageDeduplicationId = createHash("sha256").update(order.clientOrderId).digest("hex");
  }
  try {
    const out = await sqs.send(new SendMessageCommand(send));
    orderLog.info("order queued", { messageId: out.MessageId, symbol: order.symbol, side: order.side });
  } catch (err) {
    orderLog.error("order could not be queued", { error: err });
    return respond(503, {
      message: "The order could not be queued; retry with the same clientOrderId",
      clientOrderId: order.clientOrderId,
    });
  }

  // The order is queued: a failure to record the activity is logged and does
  // not fail the request (a retry by the client would only queue a duplicate).
  try {
    await recordSessionActivity(sessionId, message);
  } catch (err) {
    orderLog.error("session activity not recorded", { error: err });
  }

  return respond(202, { tradeId: message.tradeId, clientOrderId: order.clientOrderId, status: "accepted" });
}

async function recordSessionActivity(sessionId, message) {
  const nowIso = new Date().toISOString();
  await dynamodb.send(
    new UpdateItemCommand({
      TableName: env.SESSIONS_TABLE,
      Key: { session_id: { S: sessionId } },
      UpdateExpression:
        "SET createdAt = if_not_exists(createdAt, :now), lastActivityAt = :now, lastClientOrderId = :coid, " +
        "lastSubmittedTradeId = :tid, expires_at = :ttl ADD ordersSubmitted :one",
      ExpressionAttributeValues: {
        ":now": { S: nowIso },
        ":coid": { S: message.clientOrderId },
        ":tid": { S: message.tradeId },
        ":ttl": { N: String(Math.floor(Date.now() / 1000) + SESSION_TTL_SECONDS) },
        ":one": { N: "1" },
      },
    }),
  );
}

/**
 * Whether the database accepts a TCP connection within the timeout: no
 * credentials (trade-api has none), only the path from the function to the
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

// Without these, no order can be accepted: /health answers 503.
const REQUIRED_CHECKS = {
  sessionsTable: async (abortSignal) => {
    const out = await dynamodb.send(new DescribeTableCommand({ TableName: env.SESSIONS_TABLE }), { abortSignal });
    const status = out.Table?.TableStatus;
    if (status !== "ACTIVE" && status !== "UPDATING") throw new Error(`table status ${status}`);
  },
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
const FAILURE = { sessionsTable: "failed", tradeOrdersQueue: "failed", database: "unreachable" };

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
