// trade-api: the API Gateway (REST, Lambda proxy) handler.
//
//   POST /trades  validates an order; 400 with the list of field errors, or
//                 queues it on the trade-orders queue (the client order id is
//                 the idempotency key), records the session's activity in
//                 DynamoDB and answers 202 with the trade id.
//   GET /health   checks the sessions table and the trade-orders queue; 200,
//                 or 503 naming the dependency that failed (and nothing more).
//
// Environment: SESSIONS_TABLE, TRADE_ORDERS_QUEUE_URL (required);
// SESSION_TTL_SECONDS (default 86400), HEALTH_CHECK_TIMEOUT_MS (default 2000),
// LOG_LEVEL (optional).

import { createHash } from "node:crypto";
import { DescribeTableCommand, DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { clientConfig, requireEnv } from "./lib/aws.mjs";
import { createLogger } from "./lib/logger.mjs";
import { isValidSessionId, tradeMessage, validateOrder } from "./lib/orders.mjs";

const env = requireEnv(["SESSIONS_TABLE", "TRADE_ORDERS_QUEUE_URL"]);
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
  const { order, errors } = parsed.errors ? { order: undefined, errors: parsed.errors } : validateOrder(parsed.value);
  const sessionId = sessionIdFor(event, order, errors);
  if (errors.length) {
    log.info("order rejected", { errors });
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

async function health(log) {
  const checks = {
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
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await check(AbortSignal.timeout(HEALTH_CHECK_TIMEOUT_MS));
        return [name, "ok"];
      } catch (err) {
        log.warn("health check failed", { check: name, error: err });
        return [name, "failed"];
      }
    }),
  );
  const failed = results.filter(([, status]) => status !== "ok").map(([name]) => name);
  const body = { status: failed.length ? "unavailable" : "ok", checks: Object.fromEntries(results) };
  if (failed.length) body.failed = failed;
  return respond(failed.length ? 503 : 200, body);
}
