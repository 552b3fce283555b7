// Trade orders: validation of what a client submits, the trade id derived
// from the client order id, and the queue message that carries an order from
// trade-api to trade-processor.
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

const CLIENT_ORDER_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const SYMBOL = /^[A-Z][A-Z0-9.-]{0,14}$/;
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const ORDER_FIELDS = ["clientOrderId", "symbol", "side", "quantity", "orderType", "limitPrice", "sessionId"];

function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function checkAmount(value, field, errors) {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    errors.push({ field, message: "must be a number" });
    return undefined;
  }
  if (value <= 0) {
    errors.push({ field, message: "must be greater than 0" });
    return undefined;
  }
  if (value >= MAX_AMOUNT) {
    errors.push({ field, message: `must be less than ${MAX_AMOUNT}` });
    return undefined;
  }
  if (Number(value.toFixed(MAX_DECIMALS)) !== value) {
    errors.push({ field, message: `must have at most ${MAX_DECIMALS} decimal places` });
    return undefined;
  }
  return value;
}

/**
 * Validates an order as a client submits it (the JSON body of POST /trades).
 * Returns `{ order, errors }`: `errors` lists every problem as
 * `{ field, message }`; `order` is the normalized order when there is none.
 * Unknown fields are refused, so a misspelt field is never silently ignored.
 */
export function validateOrder(input, { allowedExtraFields = [] } = {}) {
  const errors = [];
  if (!isPlainObject(input)) {
    return { order: undefined, errors: [{ field: "body", message: "must be a JSON object" }] };
  }
  const known = new Set([...ORDER_FIELDS, ...allowedExtraFields]);
  for (const key of Object.keys(input).sort()) {
    if (!known.has(key)) errors.push({ field: key, message: "is not a recognized field" });
  }

  const order = {};

  if (input.clientOrderId === undefined || input.clientOrderId === null) {
    errors.push({ field: "clientOrderId", message: "is required" });
  } else if (typeof input.clientOrderId !== "string" || !CLIENT_ORDER_ID.test(input.clientOrderId)) {
    errors.push({
      field: "clientOrderId",
      message: "must be 1-64 characters: letters, digits and . _ : - (starting with a letter or digit)",
    });
  } else {
    order.clientOrderId = input.clientOrderId;
  }

  if (input.symbol === undefined || input.symbol === null) {
    errors.push({ field: "symbol", message: "is required" });
  } else if (typeof input.symbol !== "string" || !SYMBOL.test(input.symbol.trim().toUpperCase())) {
    errors.push({ field: "symbol", message: "must be 1-15 characters: letters, digits, '.' or '-', starting with a letter" });
  } else {
    order.symbol = input.symbol.trim().toUpperCase();
  }

  if (input.side === undefined || input.side === null) {
    errors.push({ field: "side", message: "is required" });
  } else if (typeof input.side !== "string" || !SIDES.includes(input.side.toLowerCase())) {
    errors.push({ field: "side", message: `must be one of: ${SIDES.join(", ")}` });
  } else {
    order.side = input.side.toLowerCase();
  }

  if (input.quantity === undefined || input.quantity === null) {
    errors.push({ field: "quantity", message: "is required" });
  } else {
    const q = checkAmount(input.quantity, "quantity", errors);
    if (q !== undefined) order.quantity = q;
  }

  let orderType;
  if (input.orderType === undefined || input.orderType === null) {
    errors.push({ field: "orderType", message: "is required" });
  } else if (typeof input.orderType !== "string" || !ORDER_TYPES.includes(input.orderType.toLowerCase())) {
    errors.push({ field: "orderType", message: `must be one of: ${ORDER_TYPES.join(", ")}` });
  } else {
    orderType = input.orderType.toLowerCase();
    order.orderType = orderType;
  }

  const hasPrice = input.limitPrice !== undefined && input.limitPrice !== null;
  if (orderType === "limit") {
    if (!hasPrice) {
      errors.push({ field: "limitPrice", message: "is required for a limit order" });
    } else {
      const p = checkAmount(input.limitPrice, "limitPrice", errors);
      if (p !== undefined) order.limitPrice = p;
    }
  } else if (orderType === "market" && hasPrice) {
    errors.push({ field: "limitPrice", message: "must not be set for a market order" });
  } else if (orderType === undefined && hasPrice) {
    checkAmount(input.limitPrice, "limitPrice", errors);
  }

  if (input.sessionId !== undefined && input.sessionId !== null) {
    if (typeof input.sessionId !== "string" || !SESSION_ID.test(input.sessionId)) {
      errors.push({ field: "sessionId", message: "must be 1-128 characters: letters, digits and . _ : @ -" });
    } else {
      order.sessionId = input.sessionId;
    }
  }

  return errors.length ? { order: undefined, errors } : { order, errors };
}

/** Whether `value` is an acceptable session id (header or derived). */
export function isValidSessionId(value) {
  return typeof value === "string" && SESSION_ID.test(value);
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

/**
 * Parses and validates a queue message body. Returns `{ trade, errors }`;
 * a malformed body (not JSON, a field missing or wrong, a trade id that does
 * not match its client order id) yields errors and no trade.
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
  const { version, tradeId, submittedAt, ...rest } = data;
  const errors = [];
  if (version !== MESSAGE_VERSION) errors.push({ field: "version", message: `must be ${MESSAGE_VERSION}` });
  const { order, errors: orderErrors } = validateOrder(rest);
  errors.push(...orderErrors);
  if (order && !order.sessionId) errors.push({ field: "sessionId", message: "is required" });
  if (typeof tradeId !== "string" || !UUID.test(tradeId)) {
    errors.push({ field: "tradeId", message: "must be a lowercase UUID" });
  } else if (order && tradeId !== tradeIdFor(order.clientOrderId)) {
    errors.push({ field: "tradeId", message: "does not match the client order id" });
  }
  if (typeof submittedAt !== "string" || Number.isNaN(Date.parse(submittedAt))) {
    errors.push({ field: "submittedAt", message: "must be an ISO 8601 timestamp" });
  }
  if (errors.length) return { trade: undefined, errors };
  return { trade: { ...order, tradeId, submittedAt: new Date(submittedAt).toISOString() }, errors };
}
