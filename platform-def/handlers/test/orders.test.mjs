// One schema for an order: the file the API's `body:` names in
// platform-def/src/lib.rs (API Gateway's request model) is the one trade-api
// validates with. Checked here with an ajv of the tests' own against
// generated bodies: the handler (its order.mjs as it ships, with the ajv of
// its asset's node_modules) refuses exactly what the schema refuses; what
// the handler accepts, trade-processor's queue message takes, with its
// amounts as decimal strings, canonical.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import AjvDraft04 from "ajv-draft-04";
import {
  canonicalAmount,
  canonicalOrder,
  ORDER_TYPES,
  PATTERNS,
  parseTradeMessage,
  SIDES,
  tradeIdFor,
  tradeMessage,
} from "../shared/orders.mjs";
import { SHIPPED_DIR } from "./support/shipped.mjs";

const { ORDER_SCHEMA, validateOrder } = await import(pathToFileURL(join(SHIPPED_DIR, "trade-api", "order.mjs")).href);

const HANDLERS = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PLATFORM_DEF = resolve(HANDLERS, "..");
const REPO = resolve(PLATFORM_DEF, "..");
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

const Ajv = AjvDraft04.default ?? AjvDraft04;
// An independent validator, as API Gateway is: lenient options, the schema
// file as lib.rs names it.
function schemaValidatorFor(schema) {
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

function routeSchemaPath() {
  const libRs = readFileSync(join(PLATFORM_DEF, "src", "lib.rs"), "utf8");
  const bodies = [...libRs.matchAll(/POST "\/trades" => trade_api \{[^}]*body: "([^"]+)"/g)].map((m) => m[1]);
  assert.equal(bodies.length, 1, "lib.rs routes POST /trades to trade_api with one body: schema");
  return join(PLATFORM_DEF, bodies[0]);
}

describe("the order schema", () => {
  it("is the file the API's route names, inside trade-api's own directory (its zip), and the one the handler loads", () => {
    const path = routeSchemaPath();
    assert.ok(path.startsWith(join(HANDLERS, "trade-api") + sep), `${path} is not bundled with trade-api`);
    assert.deepEqual(readJson(path), ORDER_SCHEMA);
    assert.equal(ORDER_SCHEMA.$schema, "http://json-schema.org/draft-04/schema#");
    assert.equal(ORDER_SCHEMA.additionalProperties, false);
  });

  it("has the constraints the queue message is checked with", () => {
    const p = ORDER_SCHEMA.properties;
    for (const field of Object.keys(PATTERNS)) assert.equal(p[field].pattern, PATTERNS[field].source, field);
    assert.deepEqual(p.side.enum, SIDES);
    assert.deepEqual(p.orderType.enum, ORDER_TYPES);
    for (const field of ["quantity", "limitPrice"]) {
      assert.equal(p[field].type, "string", `${field} is a decimal string, never a JSON number`);
    }
    assert.deepEqual(Object.keys(p).sort(), ["clientOrderId", "limitPrice", "orderType", "quantity", "sessionId", "side", "symbol"]);
  });

  it("accepts examples/order.json, and so does the handler", () => {
    const example = readJson(join(REPO, "examples", "order.json"));
    const validate = schemaValidatorFor(readJson(routeSchemaPath()));
    assert.ok(validate(example), JSON.stringify(validate.errors));
    assert.deepEqual(validateOrder(example), { order: example, errors: [] });
  });
});

describe("validateOrder (trade-api)", () => {
  const good = { clientOrderId: "c-1", symbol: "AAPL", side: "buy", quantity: "10", orderType: "market" };
  const fields = (errors) => errors.map((e) => e.field);

  it("accepts a market order and a limit order as they are", () => {
    assert.deepEqual(validateOrder(good), { order: good, errors: [] });
    const limit = { ...good, symbol: "BRK.B", side: "sell", quantity: "0.5", orderType: "limit", limitPrice: "410.25", sessionId: "s-1" };
    assert.deepEqual(validateOrder(limit), { order: limit, errors: [] });
  });

  it("lists every missing field, and refuses a body that is not an object", () => {
    const { order, errors } = validateOrder({});
    assert.equal(order, undefined);
    assert.deepEqual(fields(errors), ["clientOrderId", "symbol", "side", "quantity", "orderType"]);
    assert.ok(errors.every((e) => e.message === "is required"));
    for (const body of [null, [], "x", 3]) {
      assert.deepEqual(validateOrder(body).errors, [{ field: "body", message: "must be a JSON object" }]);
    }
  });

  it("refuses amounts that are not decimal strings above 0 with at most 12 integer digits and 8 decimals", () => {
    for (const quantity of ["0", "0.00000000", "-1", "1000000000000", "0.123456789", "01", ".5", "5.", "1e3", 10, 0.5, true]) {
      const { errors, rejectedBy } = validateOrder({ ...good, quantity });
      assert.deepEqual(fields(errors), ["quantity"], `quantity ${JSON.stringify(quantity)}`);
      assert.equal(rejectedBy, "schema");
    }
    for (const quantity of ["0.00000001", "0.3", "999999999999.99999999", "12.50000000", "1"]) {
      assert.deepEqual(validateOrder({ ...good, quantity }).errors, [], quantity);
    }
  });

  it("requires a limit price for a limit order and refuses one for a market order", () => {
    assert.deepEqual(validateOrder({ ...good, orderType: "limit" }).errors, [
      { field: "limitPrice", message: "is required for a limit order" },
    ]);
    assert.deepEqual(fields(validateOrder({ ...good, orderType: "limit", limitPrice: "-3" }).errors), ["limitPrice"]);
    assert.deepEqual(validateOrder({ ...good, limitPrice: "10" }).errors, [
      { field: "limitPrice", message: "must not be set for a market order" },
    ]);
  });

  it("refuses bad sides, order types, symbols, client order ids, session ids and unknown fields, without normalising", () => {
    const { errors } = validateOrder({
      clientOrderId: "has space",
      symbol: "1ABC",
      side: "hold",
      quantity: "1",
      orderType: "stop",
      limit_price: "3",
    });
    assert.deepEqual(fields(errors), ["limit_price", "clientOrderId", "symbol", "side", "orderType"]);
    assert.deepEqual(fields(validateOrder({ ...good, clientOrderId: "x".repeat(65) }).errors), ["clientOrderId"]);
    assert.deepEqual(fields(validateOrder({ ...good, sessionId: "a/b" }).errors), ["sessionId"]);
    assert.deepEqual(fields(validateOrder({ ...good, symbol: "msft", side: "SELL", orderType: "Market" }).errors), [
      "symbol",
      "side",
      "orderType",
    ]);
  });
});

// A small deterministic generator (mulberry32), so a failure reproduces.
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ABSENT = Symbol("absent");
const CANDIDATES = {
  clientOrderId: ["c-1", "A", "x".repeat(64), "a.b:c_d-e", "", "has space", "-lead", "x".repeat(65), 5, null],
  symbol: ["AAPL", "BRK.B", "BF-B", "A", "X".repeat(15), "aapl", " AAPL", "1ABC", "X".repeat(16), "", 3],
  side: ["buy", "sell", "BUY", "hold", 1],
  quantity: ["1", "10", "0.5", "0.00000001", "999999999999.99999999", "0.3", "12.50000000", "0.30000000000000004", "0.000000001", "1000000000000", "0", "0.0", "-1", "01", "1e3", 10, 0.5, true],
  orderType: ["market", "limit", "Limit", "stop", null],
  limitPrice: [ABSENT, "187.25", "0.3", "1.000000001", "0.0000000025", "0", "-3", "1000000000000", 5],
  sessionId: [ABSENT, "s-1", "user@example.com", "x".repeat(128), "a/b", "", "x".repeat(129)],
};
const EXTRA = [ABSENT, ABSENT, ABSENT, ["price", 3], ["client_order_id", "c-1"], ["order_type", "market"]];

function* generatedBodies(count, seed) {
  const next = random(seed);
  const pick = (list) => list[Math.floor(next() * list.length)];
  for (const notObject of [null, [], "order", 3, true]) yield notObject;
  for (let i = 0; i < count; i += 1) {
    const body = {};
    for (const [field, values] of Object.entries(CANDIDATES)) {
      // Mostly valid values, so that many bodies get past the schema.
      const value = next() < 0.6 ? values[0 + (field === "limitPrice" ? Math.floor(next() * 3) : 0)] : pick(values);
      if (value !== ABSENT && next() > 0.05) body[field] = value;
    }
    // Make orderType and limitPrice agree most of the time.
    if (next() < 0.7) {
      if (body.limitPrice === undefined) body.orderType = "market";
      else body.orderType = "limit";
    }
    const extra = pick(EXTRA);
    if (extra !== ABSENT) body[extra[0]] = extra[1];
    yield body;
  }
}

describe("the schema and the handler together", () => {
  it("refuse the same bodies; accepted orders make valid queue messages with canonical decimal strings", () => {
    const validate = schemaValidatorFor(readJson(routeSchemaPath()));
    const caller = "arn:aws:iam::123456789012:user/trader";
    const seen = { accepted: 0, refusedBySchema: 0 };
    for (const body of generatedBodies(5000, 20250101)) {
      const shown = JSON.stringify(body);
      const schemaAccepts = validate(body);
      const { order, errors, rejectedBy } = validateOrder(body);
      if (!schemaAccepts) {
        seen.refusedBySchema += 1;
        assert.equal(order, undefined, `${shown}: the schema refuses it, the handler accepts it`);
        assert.ok(errors.length > 0, shown);
        assert.equal(rejectedBy, "schema", shown);
        continue;
      }
      assert.deepEqual(errors, [], `${shown}: the schema accepts it, the handler refuses it`);
      seen.accepted += 1;
      assert.deepEqual(order, body, shown);
      const sessionId = order.sessionId ?? "caller-x";
      const message = tradeMessage(caller, canonicalOrder(order, sessionId), { submittedAt: "2025-01-02T03:04:05.000Z" });
      assert.equal(typeof message.quantity, "string", shown);
      const { trade, errors: messageErrors } = parseTradeMessage(JSON.stringify(message));
      assert.deepEqual(messageErrors, [], `${shown}: trade-processor refuses the message trade-api queues`);
      const expected = { ...order, sessionId, quantity: canonicalAmount(order.quantity) };
      if (order.limitPrice !== undefined) expected.limitPrice = canonicalAmount(order.limitPrice);
      assert.deepEqual(trade, {
        ...expected,
        callerId: caller,
        tradeId: tradeIdFor(caller, order.clientOrderId),
        submittedAt: "2025-01-02T03:04:05.000Z",
      });
    }
    // Each outcome happened often enough for the test to mean something.
    assert.ok(seen.accepted >= 200, JSON.stringify(seen));
    assert.ok(seen.refusedBySchema >= 200, JSON.stringify(seen));
  });
});
