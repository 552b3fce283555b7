// trade-api against moto and the test PostgreSQL: POST /trades (400 with
// field errors, 202 with the order on the queue and the session recorded,
// idempotent per caller and client order id, 409 for a reused id); other
// routes 404 (GET /health is health-api's). The settings in SSM: above the
// maximum quantity 400, outside the trading hours 422, unreadable on a cold
// start 503, none of them recording or queuing anything; cached with a TTL.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { before, describe, it } from "node:test";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import {
  apiEvent,
  aws,
  captureLogs,
  coldStart,
  createKeyTable,
  createQueue,
  createSessionsTable,
  drainJson,
  getSession,
  putSetting,
  queueDepth,
  receiveAll,
  TRADER,
  tradeApiEnv,
  uid,
} from "./support/harness.mjs";
import { SHIPPED_DIR } from "./support/shipped.mjs";
import { orderKeyFor, tradeIdFor } from "../shared/orders.mjs";

// The settings module as trade-api ships it (lib/ of its asset).
const settingsLib = await import(pathToFileURL(join(SHIPPED_DIR, "trade-api", "lib", "settings.mjs")).href);

const AMOUNT = JSON.parse(readFileSync(new URL("../trade-api/schemas/trade-order.json", import.meta.url), "utf8")).properties
  .quantity.pattern;
const EXAMPLE_ORDER = JSON.parse(readFileSync(new URL("../../../examples/order.json", import.meta.url), "utf8"));

let queue;
let table;
let orderKeysTable;
let api;

/** trade-api's environment. */
function apiEnv(vars = {}) {
  return tradeApiEnv({ table, orderKeysTable, queueUrl: queue.url, ...vars });
}

before(async () => {
  queue = await createQueue(`sqs-trade-orders-${uid()}`);
  table = await createSessionsTable();
  orderKeysTable = await createKeyTable("order_key");
  api = await coldStart("trade-api", apiEnv());
});

const parse = (res) => ({ ...res, json: JSON.parse(res.body) });

describe("POST /trades with bad input", () => {
  it("answers 400 with every field error and queues nothing", async () => {
    const res = parse(
      await api.handler(
        apiEvent("POST", "/trades", { symbol: "", side: "hold", quantity: "-5", orderType: "limit", clientOrderId: "ok-1" }),
      ),
    );
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers["Content-Type"], "application/json");
    assert.deepEqual(res.json.errors, [
      { field: "symbol", message: "must match ^[A-Z][A-Z0-9.-]{0,14}$" },
      { field: "side", message: "must be one of: buy, sell" },
      { field: "quantity", message: `must match ${AMOUNT}` },
      { field: "limitPrice", message: "is required for a limit order" },
    ]);
    assert.deepEqual(await queueDepth(queue.url), { visible: 0, inFlight: 0 });
  });

  it("answers 400 for a missing or non-JSON body", async () => {
    const missing = parse(await api.handler(apiEvent("POST", "/trades")));
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(missing.json.errors, [{ field: "body", message: "is required" }]);
    const garbled = parse(await api.handler(apiEvent("POST", "/trades", "{oops")));
    assert.equal(garbled.statusCode, 400);
    assert.deepEqual(garbled.json.errors, [{ field: "body", message: "is not valid JSON" }]);
    const list = parse(await api.handler(apiEvent("POST", "/trades", "[]")));
    assert.deepEqual(list.json.errors, [{ field: "body", message: "must be a JSON object" }]);
  });

  it("answers 400 for a missing client order id, a limit price on a market order and an unknown field", async () => {
    const res = parse(
      await api.handler(
        apiEvent("POST", "/trades", { symbol: "AAPL", side: "buy", quantity: "1", orderType: "market", limitPrice: "3", price: 3 }),
      ),
    );
    assert.equal(res.statusCode, 400);
    assert.deepEqual(
      res.json.errors.map((e) => e.field),
      ["price", "clientOrderId", "limitPrice"],
    );
  });

  it("answers 400 for an amount that is a JSON number, has more than 8 decimals or 12 integer digits, or is zero", async () => {
    for (const quantity of [10, "0.123456789", "1000000000000", "0", "0.00000000", "01", "1e3", " 1"]) {
      const res = parse(
        await api.handler(apiEvent("POST", "/trades", { ...EXAMPLE_ORDER, clientOrderId: `d-${uid()}`, quantity })),
      );
      assert.equal(res.statusCode, 400, JSON.stringify(quantity));
      assert.deepEqual(res.json.errors.map((e) => e.field), ["quantity"], JSON.stringify(quantity));
    }
    assert.deepEqual(await queueDepth(queue.url), { visible: 0, inFlight: 0 });
  });

  it("answers 403 for an order without a signed caller (never under AWS_IAM auth)", async () => {
    const res = parse(await api.handler(apiEvent("POST", "/trades", EXAMPLE_ORDER, {}, null)));
    assert.equal(res.statusCode, 403);
    assert.deepEqual(await queueDepth(queue.url), { visible: 0, inFlight: 0 });
  });

  it("answers 400 for snake_case or lower-case fields the schema refuses, as API Gateway would", async () => {
    const res = parse(
      await api.handler(
        apiEvent("POST", "/trades", { client_order_id: "c-1", symbol: "aapl", side: "BUY", quantity: "1", order_type: "market" }),
      ),
    );
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json.errors, [
      { field: "client_order_id", message: "is not a recognized field" },
      { field: "order_type", message: "is not a recognized field" },
      { field: "clientOrderId", message: "is required" },
      { field: "symbol", message: "must match ^[A-Z][A-Z0-9.-]{0,14}$" },
      { field: "side", message: "must be one of: buy, sell" },
      { field: "orderType", message: "is required" },
    ]);
  });

  it("answers 400 for a malformed X-Session-Id header", async () => {
    const res = parse(
      await api.handler(
        apiEvent(
          "POST",
          "/trades",
          { clientOrderId: "c-h", symbol: "AAPL", side: "buy", quantity: "1", orderType: "market" },
          { "X-Session-Id": "bad session" },
        ),
      ),
    );
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json.errors.map((e) => e.field), ["X-Session-Id"]);
  });
});

describe("POST /trades with a valid order", () => {
  it("accepts examples/order.json", async () => {
    const res = parse(await api.handler(apiEvent("POST", "/trades", EXAMPLE_ORDER)));
    assert.equal(res.statusCode, 202);
    assert.deepEqual(res.json, {
      tradeId: tradeIdFor(TRADER, EXAMPLE_ORDER.clientOrderId),
      clientOrderId: EXAMPLE_ORDER.clientOrderId,
      status: "accepted",
    });
    const [m] = await receiveAll(queue.url, { keep: false });
    const { version, tradeId, sessionId, submittedAt, callerId, ...order } = JSON.parse(m.Body);
    assert.deepEqual(order, EXAMPLE_ORDER);
    assert.equal(version, 2);
    assert.equal(callerId, TRADER);
    assert.equal(tradeId, res.json.tradeId);
    assert.match(sessionId, /^caller-[0-9a-f]{32}$/);
    assert.ok(!Number.isNaN(Date.parse(submittedAt)));
  });

  it("queues it keyed on the caller and client order id, records the key and the session, and answers 202", async () => {
    const clientOrderId = `ord-${uid()}`;
    const sessionId = `sess-${uid()}`;
    const res = parse(
      await api.handler(
        apiEvent("POST", "/trades", {
          clientOrderId,
          symbol: "MSFT",
          side: "sell",
          quantity: "12.50",
          orderType: "limit",
          limitPrice: "401.10000000",
          sessionId,
        }),
        { awsRequestId: "req-1" },
      ),
    );
    assert.equal(res.statusCode, 202);
    assert.deepEqual(res.json, { tradeId: tradeIdFor(TRADER, clientOrderId), clientOrderId, status: "accepted" });

    const messages = await receiveAll(queue.url, { keep: false });
    assert.equal(messages.length, 1);
    const [m] = messages;
    assert.equal(m.MessageAttributes.idempotencyKey.StringValue, orderKeyFor(TRADER, clientOrderId));
    assert.equal(m.MessageAttributes.tradeId.StringValue, res.json.tradeId);
    const body = JSON.parse(m.Body);
    assert.deepEqual(
      { ...body, submittedAt: undefined },
      {
        version: 2,
        tradeId: res.json.tradeId,
        callerId: TRADER,
        clientOrderId,
        sessionId,
        symbol: "MSFT",
        side: "sell",
        quantity: "12.5",
        orderType: "limit",
        limitPrice: "401.1",
        submittedAt: undefined,
      },
    );
    const { Item: key } = await aws.dynamodb.send(
      new GetItemCommand({ TableName: orderKeysTable, Key: { order_key: { S: orderKeyFor(TRADER, clientOrderId) } } }),
    );
    assert.equal(key.trade_id.S, res.json.tradeId);
    assert.equal(key.caller_id.S, TRADER);
    assert.equal(key.quantity.S, "12.5");
    assert.equal(key.limit_price.S, "401.1");
    assert.match(key.order_hash.S, /^[0-9a-f]{64}$/);
    assert.equal(key.submitted_at.S, body.submittedAt);
    assert.ok(Number(key.expires_at.N) > Date.now() / 1000 + 14 * 86400, "kept longer than SQS keeps a message");

    const session = await getSession(table, sessionId);
    assert.equal(session.lastClientOrderId.S, clientOrderId);
    assert.equal(session.lastSubmittedTradeId.S, res.json.tradeId);
    assert.equal(session.ordersSubmitted.N, "1");
    assert.ok(Number(session.expires_at.N) > Date.now() / 1000, "the TTL attribute lies in the future");
  });

  it("takes the session from X-Session-Id, or derives one from the caller", async () => {
    const order = { symbol: "AAPL", side: "buy", quantity: "1", orderType: "market" };
    const sessionId = `hdr-${uid()}`;
    const a = await api.handler(apiEvent("POST", "/trades", { ...order, clientOrderId: `a-${uid()}` }, { "x-session-id": sessionId }));
    assert.equal(a.statusCode, 202);
    assert.equal((await getSession(table, sessionId)).ordersSubmitted.N, "1");

    const b = await api.handler(apiEvent("POST", "/trades", { ...order, clientOrderId: `b-${uid()}` }));
    assert.equal(b.statusCode, 202);
    const [m1, m2] = (await receiveAll(queue.url, { keep: false })).map((m) => JSON.parse(m.Body));
    const derived = [m1, m2].find((m) => m.sessionId !== sessionId).sessionId;
    assert.match(derived, /^caller-[0-9a-f]{32}$/);
  });

  it("on a FIFO queue, lets SQS drop a resubmitted order by its order key", async () => {
    const fifo = await createQueue(`sqs-trade-orders-${uid()}.fifo`, { FifoQueue: "true" });
    const fifoApi = await coldStart("trade-api", apiEnv({ TRADE_ORDERS_QUEUE_URL: fifo.url }));
    const order = { clientOrderId: `f-${uid()}`, symbol: "AAPL", side: "buy", quantity: "1", orderType: "market", sessionId: "s-fifo" };
    const first = parse(await fifoApi.handler(apiEvent("POST", "/trades", order)));
    const again = parse(await fifoApi.handler(apiEvent("POST", "/trades", order)));
    assert.equal(first.statusCode, 202);
    assert.equal(again.statusCode, 202);
    assert.equal(again.json.tradeId, first.json.tradeId);
    const messages = await receiveAll(fifo.url, { keep: false });
    assert.equal(messages.length, 1);
    assert.equal(messages[0].Attributes.MessageGroupId, "s-fifo");
  });

  it("answers 503 when the queue is unreachable; the retry queues it, counted once", async () => {
    const broken = await coldStart("trade-api", apiEnv({ TRADE_ORDERS_QUEUE_URL: `${queue.url}-missing`, AWS_MAX_ATTEMPTS: "1" }));
    const logs = await captureLogs("trade-api");
    const sessionId = `s503-${uid()}`;
    const order = { clientOrderId: `c-${uid()}`, symbol: "AAPL", side: "buy", quantity: "1", orderType: "market", sessionId };
    try {
      const res = parse(await broken.handler(apiEvent("POST", "/trades", order)));
      assert.equal(res.statusCode, 503);
      assert.match(res.json.message, /retry with the same clientOrderId/);
    } finally {
      logs.restore();
    }
    assert.equal(logs.messages("order could not be queued").length, 1);
    assert.equal((await queueDepth(queue.url)).visible, 0);

    const retry = parse(await api.handler(apiEvent("POST", "/trades", order)));
    assert.equal(retry.statusCode, 202);
    assert.equal(retry.json.tradeId, tradeIdFor(TRADER, order.clientOrderId));
    assert.equal((await drainJson(queue.url)).length, 1);
    assert.equal((await getSession(table, sessionId)).ordersSubmitted.N, "1");
  });
});

describe("POST /trades idempotency per caller and client order id", () => {
  const ALICE = "arn:aws:iam::123456789012:user/alice";
  const BOB = "arn:aws:iam::123456789012:user/bob";
  const order = (fields = {}) => ({
    clientOrderId: `idem-${uid()}`,
    symbol: "AAPL",
    side: "buy",
    quantity: "10",
    orderType: "limit",
    limitPrice: "187.25",
    sessionId: `s-${uid()}`,
    ...fields,
  });
  const submit = async (body, caller = ALICE) => parse(await api.handler(apiEvent("POST", "/trades", body, {}, caller)));

  it("gives the same caller's resubmission the same trade id and answer, counted once; the same amounts written otherwise are the same order", async () => {
    const first = order();
    const a = await submit(first);
    const b = await submit(first);
    const c = await submit({ ...first, quantity: "10.000", limitPrice: "187.250" });
    for (const res of [a, b, c]) assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(b.json, a.json);
    assert.deepEqual(c.json, a.json);
    assert.equal(a.json.tradeId, tradeIdFor(ALICE, first.clientOrderId));
    const messages = await drainJson(queue.url);
    assert.equal(messages.length, 3, "each is queued (the processor books one)");
    assert.equal(new Set(messages.map((m) => JSON.stringify(m))).size, 1, "the same message each time");
    const session = await getSession(table, first.sessionId);
    assert.equal(session.ordersSubmitted.N, "1");
  });

  it("gives another caller using the same client order id its own trade", async () => {
    const shared = order();
    const a = await submit(shared, ALICE);
    const b = await submit({ ...shared, quantity: "3" }, BOB);
    assert.equal(a.statusCode, 202);
    assert.equal(b.statusCode, 202, b.body);
    assert.notEqual(a.json.tradeId, b.json.tradeId);
    assert.equal(b.json.tradeId, tradeIdFor(BOB, shared.clientOrderId));
    const messages = await drainJson(queue.url);
    assert.deepEqual(messages.map((m) => [m.callerId, m.quantity]).sort(), [[ALICE, "10"], [BOB, "3"]]);
  });

  it("answers 409 naming the fields that differ when the same caller reuses a client order id for another order, and queues nothing", async () => {
    const first = order();
    assert.equal((await submit(first)).statusCode, 202);
    await drainJson(queue.url);
    const logs = await captureLogs("trade-api");
    let quantity;
    let several;
    try {
      quantity = await submit({ ...first, quantity: "11" });
      several = await submit({ ...first, side: "sell", orderType: "market", limitPrice: undefined });
    } finally {
      logs.restore();
    }
    assert.equal(quantity.statusCode, 409);
    assert.deepEqual(quantity.json.fields, ["quantity"]);
    assert.deepEqual(quantity.json.errors, [
      { field: "quantity", message: "differs from the order first submitted with this clientOrderId" },
    ]);
    assert.equal(quantity.json.tradeId, tradeIdFor(ALICE, first.clientOrderId));
    assert.match(quantity.json.message, /quantity/);
    assert.equal(several.statusCode, 409);
    assert.deepEqual(several.json.fields, ["side", "orderType", "limitPrice"]);
    assert.equal(logs.messages("client order id reused for a different order").length, 2);
    assert.equal((await queueDepth(queue.url)).visible, 0);
    assert.equal((await getSession(table, first.sessionId)).ordersSubmitted.N, "1");
  });

  it("books concurrent submissions of one order once: one key, one count, the same trade id", async () => {
    const first = order();
    const answers = await Promise.all(Array.from({ length: 8 }, () => submit(first)));
    for (const res of answers) assert.equal(res.statusCode, 202, res.body);
    assert.equal(new Set(answers.map((r) => r.json.tradeId)).size, 1);
    assert.equal((await getSession(table, first.sessionId)).ordersSubmitted.N, "1");
    await drainJson(queue.url);
  });
});

describe("routing", () => {
  it("answers 404 for other routes (GET /health is health-api's) and 405 for other methods", async () => {
    assert.equal((await api.handler(apiEvent("GET", "/nope"))).statusCode, 404);
    assert.equal((await api.handler(apiEvent("GET", "/health"))).statusCode, 404);
    const res = await api.handler(apiEvent("GET", "/trades"));
    assert.equal(res.statusCode, 405);
    assert.equal(res.headers.Allow, "POST");
  });
});

/** `HH:MM` of `date` shifted by `hours` (UTC). */
function clockIn(hours, date = new Date()) {
  const shifted = new Date(date.getTime() + hours * 3600_000);
  return `${String(shifted.getUTCHours()).padStart(2, "0")}:${String(shifted.getUTCMinutes()).padStart(2, "0")}`;
}

describe("POST /trades under the settings in SSM", () => {
  // A queue of its own: what the other tests leave in flight is not counted.
  let settingsQueue;
  before(async () => {
    settingsQueue = await createQueue(`sqs-trade-orders-${uid()}`);
  });
  const settingsEnv = (vars) => apiEnv({ TRADE_ORDERS_QUEUE_URL: settingsQueue.url, ...vars });
  const order = (fields = {}) => ({
    clientOrderId: `set-${uid()}`,
    symbol: "AAPL",
    side: "buy",
    quantity: "100",
    orderType: "market",
    sessionId: `s-set-${uid()}`,
    ...fields,
  });
  const orderKeyRecorded = async (o) =>
    (
      await aws.dynamodb.send(
        new GetItemCommand({ TableName: orderKeysTable, Key: { order_key: { S: orderKeyFor(TRADER, o.clientOrderId) } } }),
      )
    ).Item !== undefined;

  it("refuses a quantity above the maximum with a 400 field error, records and queues nothing, and accepts the maximum", async () => {
    const limited = await coldStart(
      "trade-api",
      settingsEnv({ MAX_ORDER_QUANTITY_PARAMETER: await putSetting(`/test/${uid()}/max_order_quantity`, "100") }),
    );
    const above = order({ quantity: "100.00000001" });
    const logs = await captureLogs("trade-api");
    let res;
    try {
      res = parse(await limited.handler(apiEvent("POST", "/trades", above)));
    } finally {
      logs.restore();
    }
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json, {
      message: "Invalid trade order",
      errors: [{ field: "quantity", message: "must be at most 100" }],
    });
    assert.deepEqual(await queueDepth(settingsQueue.url), { visible: 0, inFlight: 0 });
    assert.equal(logs.messages("order above the maximum quantity")[0]?.clientOrderId, above.clientOrderId);
    assert.equal(await orderKeyRecorded(above), false);
    assert.equal(await getSession(table, above.sessionId), undefined);

    const at = parse(await limited.handler(apiEvent("POST", "/trades", order({ quantity: "100.0" }))));
    assert.equal(at.statusCode, 202, at.body);
    assert.equal((await drainJson(settingsQueue.url)).length, 1);
  });

  it("refuses an order outside the trading hours with 422 and when they open, queuing nothing", async () => {
    const window = `${clockIn(2)}-${clockIn(3)}`;
    const closed = await coldStart(
      "trade-api",
      settingsEnv({ TRADING_HOURS_PARAMETER: await putSetting(`/test/${uid()}/trading_hours`, window) }),
    );
    const asked = Date.now();
    const o = order();
    const res = parse(await closed.handler(apiEvent("POST", "/trades", o)));
    assert.equal(res.statusCode, 422);
    assert.equal(res.json.code, "outside_trading_hours");
    assert.equal(res.json.tradingHours, window);
    const opensIn = Date.parse(res.json.opensAt) - asked;
    assert.ok(opensIn > 3600_000 && opensIn <= 2 * 3600_000, res.json.opensAt);
    assert.match(res.json.message, new RegExp(`accepted ${window} UTC`));
    assert.deepEqual(await queueDepth(settingsQueue.url), { visible: 0, inFlight: 0 });
    assert.equal(await orderKeyRecorded(o), false);
  });

  it("fails closed on a cold start: 503 when a parameter is missing or SSM is unreachable, nothing queued", async () => {
    const logs = await captureLogs("trade-api");
    try {
      const missing = await coldStart("trade-api", settingsEnv({ TRADING_HOURS_PARAMETER: `/test/${uid()}/absent` }));
      const unreachable = await coldStart("trade-api", settingsEnv({ AWS_MAX_ATTEMPTS: "1" }));
      const garbled = await coldStart(
        "trade-api",
        settingsEnv({ MAX_ORDER_QUANTITY_PARAMETER: await putSetting(`/test/${uid()}/max_order_quantity`, "lots") }),
      );
      const post = async (fn) => parse(await fn.handler(apiEvent("POST", "/trades", order())));
      // The SDK resolves the endpoint at the first call: nothing listens on port 9.
      process.env.AWS_ENDPOINT_URL_SSM = "http://127.0.0.1:9";
      let cut;
      try {
        cut = await post(unreachable);
      } finally {
        delete process.env.AWS_ENDPOINT_URL_SSM;
      }
      for (const [what, res] of [["missing", await post(missing)], ["unreachable", cut], ["garbled", await post(garbled)]]) {
        assert.equal(res.statusCode, 503, what);
        assert.match(res.json.message, /trading settings unavailable/, what);
      }
    } finally {
      logs.restore();
    }
    const refused = logs.messages("settings unavailable; order refused");
    assert.equal(refused.length, 3);
    assert.match(JSON.stringify(refused), /holds \\"lots\\"/);
    assert.deepEqual(await queueDepth(settingsQueue.url), { visible: 0, inFlight: 0 });
  });
});

describe("the settings cache", () => {
  /** An SSM client answering from `values`, counting calls, failing while `down`. */
  function fakeSsm(values) {
    const ssm = {
      calls: 0,
      down: false,
      async send(command) {
        ssm.calls += 1;
        if (ssm.down) throw Object.assign(new Error("connect ECONNREFUSED"), { name: "Error" });
        const value = values[command.input.Name];
        if (value === undefined) throw Object.assign(new Error("not found"), { name: "ParameterNotFound" });
        return { Parameter: { Value: value } };
      },
    };
    return ssm;
  }
  const definitions = { limit: { name: "/limit", parse: settingsLib.parseLimit } };

  it("reads once per TTL, refreshes after it, and shares one read between concurrent requests", async () => {
    const values = { "/limit": "10" };
    const ssm = fakeSsm(values);
    let clock = 0;
    const settings = settingsLib.createSettings({ ssm, definitions, ttlMs: 60_000, now: () => clock });
    const [a, b] = await Promise.all([settings.get(), settings.get()]);
    assert.equal(ssm.calls, 1);
    assert.equal(a.limit.text, "10");
    assert.equal(b, a);
    values["/limit"] = "20";
    clock = 59_999;
    assert.equal((await settings.get()).limit.text, "10");
    assert.equal(ssm.calls, 1);
    clock = 60_000;
    assert.equal((await settings.get()).limit.text, "20");
    assert.equal(ssm.calls, 2);
  });

  it("keeps the last values through a short outage, and fails closed after the longest staleness or with none read", async () => {
    const ssm = fakeSsm({ "/limit": "10" });
    let clock = 0;
    const settings = settingsLib.createSettings({ ssm, definitions, ttlMs: 60_000, maxStaleMs: 900_000, now: () => clock });
    ssm.down = true;
    await assert.rejects(settings.get(), settingsLib.SettingsUnavailable);
    ssm.down = false;
    await settings.get();
    ssm.down = true;
    clock = 900_000;
    assert.equal((await settings.get()).limit.text, "10");
    clock = 900_001;
    await assert.rejects(settings.get(), /parameter \/limit could not be read/);
  });

  it("parses limits and UTC windows, refusing what would be ambiguous", () => {
    assert.equal(settingsLib.parseLimit("250000").units, 25_000_000_000_000n);
    assert.equal(settingsLib.decimalUnits("0.00000001"), 1n);
    for (const bad of ["", "0", "-1", "1e3", "1.123456789", "ten"]) assert.throws(() => settingsLib.parseLimit(bad), bad);
    const day = settingsLib.parseWindow("13:30-20:00");
    const at = (clock) => new Date(`2026-03-02T${clock}:00Z`);
    assert.equal(settingsLib.isOpen(day, at("13:29")), false);
    assert.equal(settingsLib.isOpen(day, at("13:30")), true);
    assert.equal(settingsLib.isOpen(day, at("19:59")), true);
    assert.equal(settingsLib.isOpen(day, at("20:00")), false);
    assert.equal(settingsLib.nextOpening(day, at("20:00")).toISOString(), "2026-03-03T13:30:00.000Z");
    assert.equal(settingsLib.nextOpening(day, at("08:00")).toISOString(), "2026-03-02T13:30:00.000Z");
    const always = settingsLib.parseWindow("00:00-24:00");
    assert.equal(settingsLib.isOpen(always, at("00:00")), true);
    assert.equal(settingsLib.isOpen(always, at("23:59")), true);
    const night = settingsLib.parseWindow("22:00-06:00");
    assert.equal(settingsLib.isOpen(night, at("23:00")), true);
    assert.equal(settingsLib.isOpen(night, at("05:59")), true);
    assert.equal(settingsLib.isOpen(night, at("12:00")), false);
    for (const bad of ["09:00", "9:00-17:00", "09:00-17:60", "24:00-06:00", "09:00-09:00", "09:00-17:00-18:00"]) {
      assert.throws(() => settingsLib.parseWindow(bad), bad);
    }
  });
});
