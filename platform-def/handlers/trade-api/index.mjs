// trade-api: the API Gateway (REST, Lambda proxy) handler.
//
//   POST /trades  validates an order against schemas/trade-order.json (the
//                 API's request model); 400 with the list of field errors.
//                 The idempotency key is (caller, clientOrderId), the caller
//                 being the signed principal (requestContext.identity.userArn
//                 under AWS_IAM auth). A new key is recorded in the order-keys
//                 table with the order's canonical hash, together with the
//                 session's activity, in one conditional DynamoDB transaction;
//                 then the order is queued and the answer is 202 with the
//                 trade id. The same caller resubmitting the same order gets
//                 the same answer (and the order is queued again, harmlessly:
//                 trade-processor books it once); the same key with a
//                 different order is 409 Conflict naming the fields that
//                 differ, and nothing is queued.
//
//                 Settings (SSM parameters, lib/settings.mjs, cached 60 s):
//                 an order whose quantity is above the maximum order
//                 quantity is 400 with a `quantity` field error; one
//                 outside the trading hours (a UTC window) is 422 with
//                 `code: "outside_trading_hours"` and when the window next
//                 opens; neither records nor queues anything. Settings that
//                 cannot be read on a cold start refuse every order (503).
//
// GET /health is health-api's, a function of its own.
//
// Environment: SESSIONS_TABLE, ORDER_KEYS_TABLE, TRADE_ORDERS_QUEUE_URL,
// MAX_ORDER_QUANTITY_PARAMETER, TRADING_HOURS_PARAMETER (required);
// SETTINGS_TTL_SECONDS (default 60), SESSION_TTL_SECONDS (default 86400), ORDER_KEY_TTL_SECONDS
// (default 7776000, 90 days), LOG_LEVEL (optional).

import { createHash } from "node:crypto";
import {
  DynamoDBClient,
  GetItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { clientConfig, requireEnv } from "./lib/aws.mjs";
import { createLogger } from "./lib/logger.mjs";
import {
  canonicalOrder,
  differingFields,
  isValidCaller,
  isValidSessionId,
  orderHash,
  orderKeyFor,
  ORDER_FIELDS,
  tradeIdFor,
  tradeMessage,
} from "./lib/orders.mjs";
import {
  createSettings,
  decimalUnits,
  isOpen,
  nextOpening,
  parseLimit,
  parseWindow,
  SettingsUnavailable,
} from "./lib/settings.mjs";
import { validateOrder } from "./order.mjs";

const env = requireEnv([
  "SESSIONS_TABLE",
  "ORDER_KEYS_TABLE",
  "TRADE_ORDERS_QUEUE_URL",
  "MAX_ORDER_QUANTITY_PARAMETER",
  "TRADING_HOURS_PARAMETER",
]);
const SESSION_TTL_SECONDS = Number.parseInt(process.env.SESSION_TTL_SECONDS ?? "", 10) || 86400;
// An order key outlives any redelivery of its message (SQS keeps one 14 days
// at most); after it expires, a conflicting reuse is still refused by
// trade-processor (its dead-letter queue), and a same-order retry is still
// booked once.
const ORDER_KEY_TTL_SECONDS = Number.parseInt(process.env.ORDER_KEY_TTL_SECONDS ?? "", 10) || 90 * 86400;
const FIFO = env.TRADE_ORDERS_QUEUE_URL.endsWith(".fifo");

const dynamodb = new DynamoDBClient(clientConfig());
const sqs = new SQSClient(clientConfig());
const baseLog = createLogger();
const SETTINGS_TTL_SECONDS = Number.parseInt(process.env.SETTINGS_TTL_SECONDS ?? "", 10) || 60;
// Two attempts, not four (unless AWS_MAX_ATTEMPTS says): a cold start that
// cannot reach SSM answers 503 well within API Gateway's 29 s.
const ssmConfig = clientConfig();
if (!process.env.AWS_MAX_ATTEMPTS) ssmConfig.maxAttempts = 2;
const settings = createSettings({
  ssm: new SSMClient(ssmConfig),
  definitions: {
    maxOrderQuantity: { name: env.MAX_ORDER_QUANTITY_PARAMETER, parse: parseLimit },
    tradingHours: { name: env.TRADING_HOURS_PARAMETER, parse: parseWindow },
  },
  ttlMs: SETTINGS_TTL_SECONDS * 1000,
  log: baseLog,
});

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

/** The signed caller (AWS_IAM auth): the principal's ARN, else its id. */
function callerOf(event) {
  const identity = event.requestContext?.identity || {};
  const caller = identity.userArn || identity.caller;
  return isValidCaller(caller) ? caller : undefined;
}

/**
 * The session an order belongs to: the body's `sessionId`, else the
 * X-Session-Id header, else one derived from the signed caller's identity.
 */
function sessionIdFor(event, order, callerId, errors) {
  if (order?.sessionId) return order.sessionId;
  const fromHeader = header(event, "x-session-id");
  if (fromHeader !== undefined) {
    if (isValidSessionId(fromHeader)) return fromHeader;
    errors.push({ field: "X-Session-Id", message: "must be 1-128 characters: letters, digits and . _ : @ -" });
    return undefined;
  }
  return `caller-${createHash("sha256").update(String(callerId)).digest("hex").slice(0, 32)}`;
}

/** The attribute of an order field in the order-keys table. */
const ITEM_ATTRIBUTES = {
  sessionId: "session_id",
  symbol: "symbol",
  side: "side",
  orderType: "order_type",
  quantity: "quantity",
  limitPrice: "limit_price",
};

/** The canonical order an order-keys item records. */
function orderOfItem(item) {
  const order = { clientOrderId: item.client_order_id?.S };
  for (const field of ORDER_FIELDS) {
    const value = item[ITEM_ATTRIBUTES[field]]?.S;
    if (value !== undefined) order[field] = value;
  }
  return order;
}

class KeyRecordFailed extends Error {}

/**
 * Records a new order key and the session's activity at once; or finds the
 * key already recorded. Returns `{ recorded: true }` or `{ recorded: false,
 * item }` (the item first recorded). DynamoDB cancels a transaction that
 * races another on the same item (TransactionConflict): tried again then.
 */
async function recordOrderKey({ orderKey, callerId, canonical, hash, tradeId, submittedAt }) {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const item = {
    order_key: { S: orderKey },
    order_hash: { S: hash },
    trade_id: { S: tradeId },
    caller_id: { S: callerId },
    client_order_id: { S: canonical.clientOrderId },
    submitted_at: { S: submittedAt },
    expires_at: { N: String(nowSeconds + ORDER_KEY_TTL_SECONDS) },
  };
  for (const field of ORDER_FIELDS) {
    if (canonical[field] !== undefined) item[ITEM_ATTRIBUTES[field]] = { S: canonical[field] };
  }
  const transaction = {
    TransactItems: [
      {
        Put: {
          TableName: env.ORDER_KEYS_TABLE,
          Item: item,
          ConditionExpression: "attribute_not_exists(order_key)",
        },
      },
      {
        // Counted here, in the transaction that records the key: once per trade.
        Update: {
          TableName: env.SESSIONS_TABLE,
          Key: { session_id: { S: canonical.sessionId } },
          UpdateExpression:
            "SET createdAt = if_not_exists(createdAt, :now), lastActivityAt = :now, lastClientOrderId = :coid, " +
            "lastSubmittedTradeId = :tid, expires_at = :ttl ADD ordersSubmitted :one",
          ExpressionAttributeValues: {
            ":now": { S: submittedAt },
            ":coid": { S: canonical.clientOrderId },
            ":tid": { S: tradeId },
            ":ttl": { N: String(nowSeconds + SESSION_TTL_SECONDS) },
            ":one": { N: "1" },
          },
        },
      },
    ],
  };
  for (let attempt = 1; ; attempt += 1) {
    try {
      await dynamodb.send(new TransactWriteItemsCommand(transaction));
      return { recorded: true };
    } catch (err) {
      const reasons = (err instanceof TransactionCanceledException || err?.name === "TransactionCanceledException")
        ? (err.CancellationReasons ?? []).map((r) => r?.Code)
        : undefined;
      if (!reasons) throw err;
      if (reasons[0] === "ConditionalCheckFailed") {
        const { Item } = await dynamodb.send(
          new GetItemCommand({ TableName: env.ORDER_KEYS_TABLE, Key: { order_key: { S: orderKey } }, ConsistentRead: true }),
        );
        if (Item) return { recorded: false, item: Item };
      }
      if (attempt >= 3 || !reasons.some((r) => r === "TransactionConflict" || r === "ConditionalCheckFailed")) {
        throw new KeyRecordFailed(`the order key could not be recorded (${reasons.join(", ")})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt * Math.random()));
    }
  }
}

/**
 * The answer refusing `order` under the current settings, or undefined when
 * they allow it: 503 when they cannot be read, 400 above the maximum
 * quantity, 422 outside the trading hours.
 */
async function checkSettings(order, requestLog) {
  const log = requestLog.child({ clientOrderId: order.clientOrderId });
  let current;
  try {
    current = await settings.get();
  } catch (err) {
    if (!(err instanceof SettingsUnavailable)) throw err;
    log.error("settings unavailable; order refused", { error: err });
    return respond(503, { message: "Orders cannot be accepted right now (trading settings unavailable); retry later" });
  }
  const { maxOrderQuantity, tradingHours } = current;
  if (decimalUnits(order.quantity) > maxOrderQuantity.units) {
    log.info("order above the maximum quantity", { quantity: order.quantity, max: maxOrderQuantity.text });
    return respond(400, {
      message: "Invalid trade order",
      errors: [{ field: "quantity", message: `must be at most ${maxOrderQuantity.text}` }],
    });
  }
  const now = new Date();
  if (!isOpen(tradingHours, now)) {
    const opensAt = nextOpening(tradingHours, now).toISOString();
    log.info("order outside trading hours", { tradingHours: tradingHours.text, opensAt });
    return respond(422, {
      message: `Orders are accepted ${tradingHours.text} UTC; trading opens again at ${opensAt}`,
      code: "outside_trading_hours",
      tradingHours: tradingHours.text,
      opensAt,
    });
  }
  return undefined;
}

async function submitTrade(event, log) {
  const callerId = callerOf(event);
  if (!callerId) {
    // The route requires AWS_IAM auth: API Gateway always names the caller.
    log.error("order without a signed caller identity", { identity: event.requestContext?.identity });
    return respond(403, { message: "The request carries no signed caller identity (the route needs AWS_IAM auth)" });
  }
  const parsed = parseBody(event);
  const { order, errors, rejectedBy } = parsed.errors
    ? { order: undefined, errors: parsed.errors, rejectedBy: "body" }
    : validateOrder(parsed.value);
  const sessionId = sessionIdFor(event, order, callerId, errors);
  if (errors.length) {
    log.info("order rejected", { errors, rejectedBy: rejectedBy ?? "header" });
    return respond(400, { message: "Invalid trade order", errors });
  }

  const refused = await checkSettings(order, log);
  if (refused) return refused;

  const canonical = canonicalOrder(order, sessionId);
  const tradeId = tradeIdFor(callerId, order.clientOrderId);
  const hash = orderHash(callerId, canonical);
  const orderKey = orderKeyFor(callerId, order.clientOrderId);
  const orderLog = log.child({ tradeId, clientOrderId: order.clientOrderId, callerId, sessionId });

  let submittedAt = new Date().toISOString();
  let key;
  try {
    key = await recordOrderKey({ orderKey, callerId, canonical, hash, tradeId, submittedAt });
  } catch (err) {
    orderLog.error("order key not recorded", { error: err });
    return respond(503, {
      message: "The order could not be accepted; retry with the same clientOrderId",
      clientOrderId: order.clientOrderId,
    });
  }
  if (!key.recorded) {
    if (key.item.order_hash?.S !== hash) {
      const fields = differingFields(canonical, orderOfItem(key.item));
      orderLog.warn("client order id reused for a different order", { fields });
      return respond(409, {
        message: `clientOrderId ${order.clientOrderId} was already used for a different order; these fields differ: ${fields.join(", ")}`,
        clientOrderId: order.clientOrderId,
        tradeId,
        fields,
        errors: fields.map((field) => ({ field, message: "differs from the order first submitted with this clientOrderId" })),
      });
    }
    // The same order again: queued again as it was first (the earlier
    // attempt may have failed to queue it); trade-processor books it once.
    submittedAt = key.item.submitted_at?.S ?? submittedAt;
    orderLog.info("order resubmitted", { firstSubmittedAt: submittedAt });
  }

  const message = tradeMessage(callerId, canonical, { submittedAt });
  const send = {
    QueueUrl: env.TRADE_ORDERS_QUEUE_URL,
    MessageBody: JSON.stringify(message),
    MessageAttributes: {
      idempotencyKey: { DataType: "String", StringValue: orderKey },
      tradeId: { DataType: "String", StringValue: tradeId },
    },
  };
  if (FIFO) {
    // A FIFO queue drops a duplicate within its 5-minute window; a standard
    // queue cannot, and trade-processor's unique (caller, client order id)
    // covers both.
    send.MessageGroupId = sessionId;
    send.MessageDeduplicationId = orderKey;
  }
  try {
    const out = await sqs.send(new SendMessageCommand(send));
    orderLog.info("order queued", { messageId: out.MessageId, symbol: order.symbol, side: order.side, resubmitted: !key.recorded });
  } catch (err) {
    orderLog.error("order could not be queued", { error: err });
    return respond(503, {
      message: "The order could not be queued; retry with the same clientOrderId",
      clientOrderId: order.clientOrderId,
    });
  }

  return respond(202, { tradeId, clientOrderId: order.clientOrderId, status: "accepted" });
}
