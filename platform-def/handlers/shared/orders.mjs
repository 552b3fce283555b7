// Trade orders: the business rules an order must meet beyond its JSON schema,
// the trade id derived from the client order id, and the queue message that
// carries an order from trade-api to trade-processor.
//
// What a client may submit is defined by one file, the API's request model
// trade-api/schemas/trade-order.json: API Gateway validates bodies against it
// and trade-api validates them again with the same file (trade-api/order.mjs).
// The queue message is internal; parseTradeMessage checks its order fields
// with the same constraints (test/orders.test.mjs compares them with the
// schema), so every order trade-api queues is one trade-processor takes.
//
// SHARED FILE: the canonical copy is platform-def/handlers/shared/orders.mjs;
// trade-api and trade-processor hold identical copies in lib/ (see logger.mjs).

import { createHash } from "node:crypto";

export const SIDES = ["buy", "sell"];
export const ORDER_TYPES = ["market", "limit"];
/** Quantities and prices are stored as NUMERIC(20, 8): below 10^12, at most 8 decimals. */
export const MAX_AMOUNT = 1e12;
export const MAX_DECIMALS = 8;
export const MESSAGE_VERSION = 1;

/** The schema's patterns of the string fields (the tests check they are the schema's). */
export const PATTERNS = {
  clientOrderId: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/,
  symbol: /^[A-Z][A-Z0-9.-]{0,14}$/,
  sessionId: /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/,
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The rules an order the schema accepts must still meet: what JSON Schema
 * (draft 4, API Gateway's) cannot express exactly. `multipleOf: 1e-8` would
 * be judged in binary floating point, refusing amounts like 0.3. A body the
 * schema accepts is refused by trade-api only for one of these.
 */
export const BUSINESS_RULES = [
  {
    id: "decimals",
    fields: ["quantity", "limitPrice"],
    message: `must have at most ${MAX_DECIMALS} decimal places`,
  },
];
const DECIMALS_RULE = BUSINESS_RULES[0];

function hasAtMostMaxDecimals(value) {
  return Number(value.toFixed(MAX_DECIMALS)) === value;
}

/**
 * The business-rule errors of an order the schema accepts, as
 * `{ field, message }`; empty when it meets every rule.
 */
export function businessRuleErrors(order) {
  const errors = [];
  for (const field of DECIMALS_RULE.fields) {
    const value = order[field];
    if (typeof value === "number" && !hasAtMostMaxDecimals(value)) {
      errors.push({ field, message: DECIMALS_RULE.message });
    }
  }
  return errors;
}

function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function checkAmount(value, field, errors) {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    errors.push({ field, message: "must be a number" });
  } else if (value <= 0) {
    errors.push({ field, message: "must be greater than 0" });
  } else if (value >= MAX_AMOUNT) {
    errors.push({ field, message: `must be less than ${MAX_AMOUNT}` });
  } else if (!hasAtMostMaxDecimals(value)) {
    errors.push({ field, message: DECIMALS_RULE.message });
  }
}

function checkString(value, field, errors) {
  if (typeof value !== "string" || !PATTERNS[field].test(value)) {
    errors.push({ field, message: `must match ${PATTERNS[field].source}` });
  }
}

function checkEnum(value, field, allowed, errors) {
  if (!allowed.includes(value)) errors.push({ field, message: `must be one of: ${allowed.join(", ")}` });
}

/** The order fields of a queue message: the schema's constraints and the business rules, no normalisation. */
function orderFieldErrors(fields) {
  const errors = [];
  for (const field of ["clientOrderId", "symbol", "side", "quantity", "orderType", "sessionId"]) {
    if (fields[field] === undefined) errors.push({ field, message: "is required" });
  }
  if (fields.clientOrderId !== undefined) checkString(fields.clientOrderId, "clientOrderId", errors);
  if (fields.symbol !== undefined) checkString(fields.symbol, "symbol", errors);
  if (fields.side !== undefined) checkEnum(fields.side, "side", SIDES, errors);
  if (fields.quantity !== undefined) checkAmount(fields.quantity, "quantity", errors);
  if (fields.orderType !== undefined) checkEnum(fields.orderType, "orderType", ORDER_TYPES, errors);
  if (fields.sessionId !== undefined) checkString(fields.sessionId, "sessionId", errors);
  if (fields.orderType === "limit" && fields.limitPrice === undefined) {
    errors.push({ field: "limitPrice", message: "is required for a limit order" });
  } else if (fields.orderType === "market" && fields.limitPrice !== undefined) {
    errors.push({ field: "limitPrice", message: "must not be set for a market order" });
  } else if (fields.limitPrice !== undefined) {
    checkAmount(fields.limitPrice, "limitPrice", errors);
  }
  return errors;
}

/** Whether `value` is an acceptable session id (header or derived). */
export function isValidSessionId(value) {
  return typeof value === "string" && PATTERNS.sessionId.test(value);
}

// A fixed namespace for the trade ids (UUID version 5 of the client order id).
const TRADE_ID_NAMESPACE = Buffer.from("6f1d9c3e8a2b4c7d9e0f1a2b3c4d5e6f", "hex");

/**
 * The trade id of a client order id: a name-based UUID (version 5), so the
 * same client order id always gives the same trade id, on every retry.
 */
export function tradeIdFor(clientOrderId) {
  const hash = createHash("sha1").update(TRADE_ID_NAMESPACE).update(String(clientOrderId), "utf8").digest();
  const b = Buffer.from(hash.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = b.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The queue message body for a validated order. */
export function tradeMessage(order, { sessionId, submittedAt }) {
  const message = {
    version: MESSAGE_VERSION,
    tradeId: tradeIdFor(order.clientOrderId),
    clientOrderId: order.clientOrderId,
    sessionId,
    symbol: order.symbol,
    side: order.side,
    quantity: order.quantity,
    orderType: order.orderType,
    submittedAt,
  };
  if (order.limitPrice !== undefined) message.limitPrice = order.limitPrice;
  return message;
}

const MESSAGE_ORDER_FIELDS = ["clientOrderId", "sessionId", "symbol", "side", "quantity", "orderType", "limitPrice"];

/**
 * Parses and validates a queue message body. Returns `{ trade, errors }`;
 * a malformed body (not JSON, a field missing, wrong or unknown, a trade id
 * that does not match its client order id) yields errors and no trade.
 */
export function parseTradeMessage(body) {
  let data;
  try {
    data = JSON.parse(body);
  } catch {
    return { trade: undefined, errors: [{ field: "body", message: "is not valid JSON" }] };
  }
  if (!isPlainObject(data)) {
    return { trade: undefined, errors: [{ field: "body", message: "must be a JSON object" }] };
  }
  const { version, tradeId, submittedAt, ...fields } = data;
  const errors = [];
  if (version !== MESSAGE_VERSION) errors.push({ field: "version", message: `must be ${MESSAGE_VERSION}` });
  for (const key of Object.keys(fields).sort()) {
    if (!MESSAGE_ORDER_FIELDS.includes(key)) errors.push({ field: key, message: "is not a recognized field" });
  }
  const orderErrors = orderFieldErrors(fields);
  errors.push(...orderErrors);
  if (typeof tradeId !== "string" || !UUID.test(tradeId)) {
    errors.push({ field: "tradeId", message: "must be a lowercase UUID" });
  } else if (!orderErrors.length && tradeId !== tradeIdFor(fields.clientOrderId)) {
    errors.push({ field: "tradeId", message: "does not match the client order id" });
  }
  if (typeof submittedAt !== "string" || Number.isNaN(Date.parse(submittedAt))) {
    errors.push({ field: "submittedAt", message: "must be an ISO 8601 timestamp" });
  }
  if (errors.length) return { trade: undefined, errors };
  const trade = {};
  for (const key of MESSAGE_ORDER_FIELDS) if (fields[key] !== undefined) trade[key] = fields[key];
  return { trade: { ...trade, tradeId, submittedAt: new Date(submittedAt).toISOString() }, errors };
}
