// One schema for an order: the file the API's `body:` names in
// platform-def/src/lib.rs (API Gateway's request model) is the one trade-api
// validates with. Checked here with an ajv of the tests' own against
// generated bodies: whatever the schema refuses, the handler refuses; what
// the schema accepts, the handler refuses only for a documented business
// rule; what the handler accepts, trade-processor's queue message takes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import AjvDraft04 from "ajv-draft-04";
import {
  BUSINESS_RULES,
  MAX_AMOUNT,
  ORDER_TYPES,
  PATTERNS,
  parseTradeMessage,
  SIDES,
  tradeIdFor,
  tradeMessage,
} from "../shared/orders.mjs";
import { ORDER_SCHEMA, validateOrder } from "../trade-api/order.mjs";

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
      assert.deepEqual(
        [p[field].type, p[field].minimum, p[field].exclusiveMinimum, p[field].maximum, p[field].exclusiveMaximum],
        ["number", 0, true, MAX_AMOUNT, true],
        field,
      );
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
  const good = { clientOrderId: "c-1", symbol: "AAPL", side: "buy", quantity: 10, orderType: "market" };
  const fields = (errors) => errors.map((e) => e.field);

  it("accepts a market order and a limit order as they are", () => {
    assert.deepEqual(validateOrder(good), { order: good, errors: [] });
    const limit = { ...good, symbol: "BRK.B", side: "sell", quantity: 0.5, orderType: "limit", limitPrice: 410.25, sessionId: "s-1" };
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

  it("refuses amounts that are not positive numbers below 10^12, then those with more than 8 decimals", () => {
    for (const quantity of [0, -1, "10", 1e12, true]) {
      const { errors, rejectedBy } = validateOrder({ ...good, quantity });
      assert.deepEqual(fields(errors), ["quantity"], `quantity ${quantity}`);
      assert.equal(rejectedBy, "schema");
    }
    assert.deepEqual(validateOrder({ ...good, quantity: 0.123456789 }), {
      order: undefined,
      errors: [{ field: "quantity", message: "must have at most 8 decimal places" }],
      rejectedBy: "businessRules",
    });
    assert.deepEqual(validateOrder({ ...good, quantity: 0.00000001 }).errors, []);
    assert.deepEqual(validateOrder({ ...good, quantity: 0.3 }).errors, [], "0.3 is not refused by a binary multipleOf");
  });

  it("requires a limit price for a limit order and refuses one for a market order", () => {
    assert.deepEqual(validateOrder({ ...good, orderType: "limit" }).errors, [
      { field: "limitPrice", message: "is required for a limit order" },
    ]);
    assert.deepEqual(validateOrder({ ...good, orderType: "limit", limitPrice: -3 }).errors, [
      { field: "limitPrice", message: "must be greater than 0" },
    ]);
    assert.deepEqual(validateOrder({ ...good, limitPrice: 10 }).errors, [
      { field: "limitPrice", message: "must not be set for a market order" },
    ]);
  });

  it("refuses bad sides, order types, symbols, client order ids, session ids and unknown fields, without normalising", () => {
    const { errors } = validateOrder({
      clientOrderId: "has space",
      symbol: "1ABC",
      side: "hold",
      quantity: 1,
      orderType: "stop",
      limit_price: 3,
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
  quantity: [1, 10, 0.5, 1e-8, 999999999999.5, 0.3, 0.1 + 0.2, 0.123456789, 1e-9, 123.456789012, 0, -1, 1e12, "10", true],
  orderType: ["market", "limit", "Limit", "stop", null],
  limitPrice: [ABSENT, 187.25, 0.3, 1.000000001, 2.5e-9, 0, -3, 1e12, "5"],
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
  it("refuse the same bodies, except for documented business rules; accepted orders make valid queue messages", () => {
    const validate = schemaValidatorFor(readJson(routeSchemaPath()));
    const seen = { accepted: 0, refusedBySchema: 0, refusedByBusinessRule: 0 };
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
      if (errors.length) {
        seen.refusedByBusinessRule += 1;
        assert.equal(rejectedBy, "businessRules", shown);
        for (const error of errors) {
          assert.ok(
            BUSINESS_RULES.some((rule) => rule.fields.includes(error.field) && rule.message === error.message),
            `${shown}: refused for ${JSON.stringify(error)}, which is no documented business rule`,
          );
        }
        continue;
      }
      seen.accepted += 1;
      assert.deepEqual(order, body, shown);
      const message = tradeMessage(order, { sessionId: order.sessionId ?? "caller-x", submittedAt: "2025-01-02T03:04:05.000Z" });
      const { trade, errors: messageErrors } = parseTradeMessage(JSON.stringify(message));
      assert.deepEqual(messageErrors, [], `${shown}: trade-processor refuses the message trade-api queues`);
      assert.deepEqual(trade, {
        ...order,
        sessionId: order.sessionId ?? "caller-x",
        tradeId: tradeIdFor(order.clientOrderId),
        submittedAt: "2025-01-02T03:04:05.000Z",
      });
    }
    // Each outcome happened often enough for the test to mean something.
    assert.ok(seen.accepted >= 200, JSON.stringify(seen));
    assert.ok(seen.refusedBySchema >= 200, JSON.stringify(seen));
    assert.ok(seen.refusedByBusinessRule >= 50, JSON.stringify(seen));
  });

  it("document every business rule in the handlers' README", () => {
    const readme = readFileSync(join(HANDLERS, "README.md"), "utf8");
    for (const rule of BUSINESS_RULES) assert.ok(readme.includes(rule.message), `README.md does not mention "${rule.message}"`);
  });
});
