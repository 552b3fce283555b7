// Trade orders: decimal amounts, the idempotency key of an order (its caller
// and client order id), the trade id derived from it, the canonical form and
// hash an order is compared with, and the queue message that carries an order
// from trade-api to trade-processor.
//
// What a client may submit is defined by one file, the API's request model
// trade-api/schemas/trade-order.json: API Gateway validates bodies against it
// and trade-api validates them again with the same file (trade-api/order.mjs).
// The queue message is internal; parseTradeMessage checks its order fields
// with the same constraints (test/orders.test.mjs compares them with the
// schema), so every order trade-api queues is one trade-processor takes.
//
// Amounts are decimal strings everywhere (API, queue, event, NUMERIC(20, 8) in
// PostgreSQL): never a JavaScript number, so no binary floating point touches
// them. They are compared and normalised as strings (canonicalAmount).
//
// Shared: every function's asset holds it as lib/orders.mjs (see
// logger.mjs); trade-api and trade-processor import it.

import { createHash } from "node:crypto";

export const SIDES = ["buy", "sell"];
export const ORDER_TYPES = ["market", "limit"];
/** Quantities and prices are NUMERIC(20, 8): at most 12 integer digits and 8 decimals. */
export const MAX_INTEGER_DIGITS = 12;
export const MAX_DECIMALS = 8;
export const MESSAGE_VERSION = 2;

/**
 * An amount: a decimal string greater than 0, 1-12 integer digits without
 * leading zeros, up to 8 decimals ("10", "0.5", "187.25", "0.00000001").
 * Draft 4 has no lookahead-free way to say "not zero" but to spell out where
 * the first non-zero decimal of a "0.x" amount may be, so it does.
 */
const AMOUNT =
  /^([1-9][0-9]{0,11}(\.[0-9]{1,8})?|0\.([1-9][0-9]{0,7}|0[1-9][0-9]{0,6}|00[1-9][0-9]{0,5}|000[1-9][0-9]{0,4}|0000[1-9][0-9]{0,3}|00000[1-9][0-9]{0,2}|000000[1-9][0-9]?|0000000[1-9]))$/;

/** The schema's patterns of the string fields (the tests check they are the schema's). */
export const PATTERNS = {
  clientOrderId: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/,
  symbol: /^[A-Z][A-Z0-9.-]{0,14}$/,
  quantity: AMOUNT,
  limitPrice: AMOUNT,
  sessionId: /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/,
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A caller: the signed principal's ARN (API Gateway's identity.userArn), at most 2048 printable characters. */
const CALLER = /^[\x21-\x7e]{1,2048}$/;

/** Whether `value` is an amount the schema accepts (a decimal string, > 0, within NUMERIC(20, 8)). */
export function isAmount(value) {
  return typeof value === "string" && AMOUNT.test(value);
}

/**
 * The canonical form of a decimal string: no trailing zeros after the
 * point, no point without decimals ("12.50000000" -> "12.5", "10.0" -> "10").
 * PostgreSQL's numeric(20, 8) text and the submitted text compare equal
 * through it. Leading zeros are left alone: amounts have none but "0.".
 */
export function canonicalAmount(value) {
  const text = String(value);
  if (!text.includes(".")) return text;
  return text.replace(/0+$/, "").replace(/\.$/, "");
}

function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function checkAmount(value, field, errors) {
  if (!isAmount(value)) errors.push({ field, message: `must match ${AMOUNT.source}` });
}

function checkString(value, field, errors) {
  if (typeof value !== "string" || !PATTERNS[field].test(value)) {
    errors.push({ field, message: `must match ${PATTERNS[field].source}` });
  }
}

function checkEnum(value, field, allowed, errors) {
  if (!allowed.includes(value)) errors.push({ field, message: `must be one of: ${allowed.join(", ")}` });
}

/** The order fields of a queue message: the schema's constraints. */
function orderFieldErrors(fields) {
  const errors = [];
  for (const field of ["callerId", "clientOrderId", "symbol", "side", "quantity", "orderType", "sessionId"]) {
    if (fields[field] === undefined) errors.push({ field, message: "is required" });
  }
  if (fields.callerId !== undefined && !isValidCaller(fields.callerId)) {
    errors.push({ field: "callerId", message: "must be 1-2048 printable characters" });
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

/** Whether `value` is an acceptable caller identity. */
export function isValidCaller(value) {
  return typeof value === "string" && CALLER.test(value);
}

// A fixed namespace for the trade ids (UUID version 5 of the order key).
const TRADE_ID_NAMESPACE = Buffer.from("6f1d9c3e8a2b4c7d9e0f1a2b3c4d5e6f", "hex");

/** The idempotency key's name: the caller and its client order id, unambiguously joined. */
function keyName(callerId, clientOrderId) {
  return JSON.stringify([String(callerId), String(clientOrderId)]);
}

/**
 * The trade id of a caller's client order id: a name-based UUID (version 5)
 * of both, so the same caller's same client order id always gives the same
 * trade id, on every retry, and another caller's the same id another one.
 */
export function tradeIdFor(callerId, clientOrderId) {
  const hash = createHash("sha1").update(TRADE_ID_NAMESPACE).update(keyName(callerId, clientOrderId), "utf8").digest();
  const b = Buffer.from(hash.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = b.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The order-keys table's key of a caller's client order id (bounded, whatever the ARN's length). */
export function orderKeyFor(callerId, clientOrderId) {
  return createHash("sha256").update(keyName(callerId, clientOrderId), "utf8").digest("hex");
}

/** What makes two submissions of one client order id the same order, in the order they are reported. */
export const ORDER_FIELDS = ["sessionId", "symbol", "side", "orderType", "quantity", "limitPrice"];

/**
 * The canonical form of an order: its identity fields, amounts canonical
 * (`limitPrice` absent for a market order). Two submissions are the same
 * order exactly when their canonical forms are equal.
 */
export function canonicalOrder(order, sessionId = order.sessionId) {
  const canonical = {
    clientOrderId: order.clientOrderId,
    sessionId,
    symbol: order.symbol,
    side: order.side,
    orderType: order.orderType,
    quantity: canonicalAmount(order.quantity),
  };
  if (order.limitPrice !== undefined && order.limitPrice !== null) canonical.limitPrice = canonicalAmount(order.limitPrice);
  return canonical;
}

/** A SHA-256 of the caller and the canonical order: equal for the same order, different otherwise. */
export function orderHash(callerId, canonical) {
  const values = [callerId, canonical.clientOrderId, ...ORDER_FIELDS.map((f) => canonical[f] ?? null)];
  return createHash("sha256").update(JSON.stringify(values), "utf8").digest("hex");
}

/** The fields in which two canonical orders differ (ORDER_FIELDS' order). */
export function differingFields(a, b) {
  return ORDER_FIELDS.filter((f) => (a[f] ?? null) !== (b[f] ?? null));
}

/** The queue message body for a caller's validated, canonical order. */
export function tradeMessage(callerId, canonical, { submittedAt }) {
  const message = {
    version: MESSAGE_VERSION,
    tradeId: tradeIdFor(callerId, canonical.clientOrderId),
    callerId,
    clientOrderId: canonical.clientOrderId,
    sessionId: canonical.sessionId,
    symbol: canonical.symbol,
    side: canonical.side,
    quantity: canonical.quantity,
    orderType: canonical.orderType,
    submittedAt,
  };
  if (canonical.limitPrice !== undefined) message.limitPrice = canonical.limitPrice;
  return message;
}

const MESSAGE_ORDER_FIELDS = ["callerId", "clientOrderId", "sessionId", "symbol", "side", "quantity", "orderType", "limitPrice"];

/**
 * Parses and validates a queue message body. Returns `{ trade, errors }`;
 * a malformed body (not JSON, a field missing, wrong or unknown, an amount
 * that is not a decimal string, a trade id that does not match its caller
 * and client order id) yields errors and no trade. Amounts come out canonical.
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
  } else if (!orderErrors.length && tradeId !== tradeIdFor(fields.callerId, fields.clientOrderId)) {
    errors.push({ field: "tradeId", message: "does not match the caller and client order id" });
  }
  if (typeof submittedAt !== "string" || Number.isNaN(Date.parse(submittedAt))) {
    errors.push({ field: "submittedAt", message: "must be an ISO 8601 timestamp" });
  }
  if (errors.length) return { trade: undefined, errors };
  const trade = { callerId: fields.callerId, ...canonicalOrder(fields) };
  return { trade: { ...trade, tradeId, submittedAt: new Date(submittedAt).toISOString() }, errors };
}
