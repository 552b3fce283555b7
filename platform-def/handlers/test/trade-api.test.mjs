// trade-api against moto: POST /trades (400 with field errors, 202 with the
// order on the queue and the session recorded), GET /health (200 / 503).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  apiEvent,
  captureLogs,
  coldStart,
  createQueue,
  createSessionsTable,
  getSession,
  queueDepth,
  receiveAll,
  uid,
} from "./support/harness.mjs";
import { tradeIdFor } from "../shared/orders.mjs";

let queue;
let table;
let api;

before(async () => {
  queue = await createQueue(`sqs-trade-orders-${uid()}`);
  table = await createSessionsTable();
  api = await coldStart("trade-api", { SESSIONS_TABLE: table, TRADE_ORDERS_QUEUE_URL: queue.url });
});

const parse = (res) => ({ ...res, json: JSON.parse(res.body) });

describe("POST /trades with bad input", () => {
  it("answers 400 with every field error and queues nothing", async () => {
    const res = parse(
      await api.handler(
        apiEvent("POST", "/trades", { symbol: "", side: "hold", quantity: -5, orderType: "limit", clientOrderId: "ok-1" }),
      ),
    );
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers["Content-Type"], "application/json");
    assert.deepEqual(res.json.errors, [
      { field: "symbol", message: "must be 1-15 characters: letters, digits, '.' or '-', starting with a letter" },
      { field: "side", message: "must be one of: buy, sell" },
      { field: "quantity", message: "must be greater than 0" },
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
        apiEvent("POST", "/trades", { symbol: "AAPL", side: "buy", quantity: 1, orderType: "market", limitPrice: 3, price: 3 }),
      ),
    );
    assert.equal(res.statusCode, 400);
    assert.deepEqual(
      res.json.errors.map((e) => e.field),
      ["price", "clientOrderId", "limitPrice"],
    );
  });

  it("answers 400 for a malformed X-Session-Id header", async () => {
    const res = parse(
      await api.handler(
        apiEvent(
          "POST",
          "/trades",
          { clientOrderId: "c-h", symbol: "AAPL", side: "buy", quantity: 1, orderType: "market" },
          { "X-Session-Id": "bad session" },
        ),
      ),
    );
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json.errors.map((e) => e.field), ["X-Session-Id"]);
  });
});

describe("POST /trades with a valid order", () => {
  it("queues it with the client order id as idempotency key, records the session and answers 202", async () => {
    const clientOrderId = `ord-${uid()}`;
    const sessionId = `sess-${uid()}`;
    const res = parse(
      await api.handler(
        apiEvent("POST", "/trades", {
          clientOrderId,
          symbol: "msft",
          side: "sell",
          quantity: 12.5,
          orderType: "limit",
          limitPrice: 401.1,
          sessionId,
        }),
        { awsRequestId: "req-1" },
      ),
    );
    assert.equal(res.statusCode, 202);
    assert.deepEqual(res.json, { tradeId: tradeIdFor(clientOrderId), clientOrderId, status: "accepted" });

    const messages = await receiveAll(queue.url, { keep: false });
    assert.equal(messages.length, 1);
    const [m] = messages;
    assert.equal(m.MessageAttributes.idempotencyKey.StringValue, clientOrderId);
    assert.equal(m.MessageAttributes.tradeId.StringValue, res.json.tradeId);
    const body = JSON.parse(m.Body);
    assert.deepEqual(
      { ...body, submittedAt: undefined },
      {
        version: 1,
        tradeId: res.json.tradeId,
        clientOrderId,
        sessionId,
        symbol: "MSFT",
        side: "sell",
        quantity: 12.5,
        orderType: "limit",
        limitPrice: 401.1,
        submittedAt: undefined,
      },
    );

    const session = await getSession(table, sessionId);
    assert.equal(session.lastClientOrderId.S, clientOrderId);
    assert.equal(session.lastSubmittedTradeId.S, res.json.tradeId);
    assert.equal(session.ordersSubmitted.N, "1");
    assert.ok(Number(session.expires_at.N) > Date.now() / 1000, "the TTL attribute lies in the future");
  });

  it("takes the session from X-Session-Id, or derives one from the caller", async () => {
    const order = { symbol: "AAPL", side: "buy", quantity: 1, orderType: "market" };
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

  it("on a FIFO queue, lets SQS drop a resubmitted order by its client order id", async () => {
    const fifo = await createQueue(`sqs-trade-orders-${uid()}.fifo`, { FifoQueue: "true" });
    const fifoApi = await coldStart("trade-api", { SESSIONS_TABLE: table, TRADE_ORDERS_QUEUE_URL: fifo.url });
    const order = { clientOrderId: `f-${uid()}`, symbol: "AAPL", side: "buy", quantity: 1, orderType: "market", sessionId: "s-fifo" };
    const first = parse(await fifoApi.handler(apiEvent("POST", "/trades", order)));
    const again = parse(await fifoApi.handler(apiEvent("POST", "/trades", order)));
    assert.equal(first.statusCode, 202);
    assert.equal(again.statusCode, 202);
    assert.equal(again.json.tradeId, first.json.tradeId);
    const messages = await receiveAll(fifo.url, { keep: false });
    assert.equal(messages.length, 1);
    assert.equal(messages[0].Attributes.MessageGroupId, "s-fifo");
  });

  it("answers 503, with nothing recorded, when the queue is unreachable", async () => {
    const broken = await coldStart("trade-api", {
      SESSIONS_TABLE: table,
      TRADE_ORDERS_QUEUE_URL: `${queue.url}-missing`,
      AWS_MAX_ATTEMPTS: "1",
    });
    const logs = await captureLogs("trade-api");
    const sessionId = `s503-${uid()}`;
    try {
      const res = parse(
        await broken.handler(
          apiEvent("POST", "/trades", { clientOrderId: `c-${uid()}`, symbol: "AAPL", side: "buy", quantity: 1, orderType: "market", sessionId }),
        ),
      );
      assert.equal(res.statusCode, 503);
      assert.match(res.json.message, /retry with the same clientOrderId/);
    } finally {
      logs.restore();
    }
    assert.equal(logs.messages("order could not be queued").length, 1);
    assert.equal(await getSession(table, sessionId), undefined);
  });
});

describe("routing and GET /health", () => {
  it("answers 200 when the table and the queue answer", async () => {
    const res = parse(await api.handler(apiEvent("GET", "/health")));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json, { status: "ok", checks: { sessionsTable: "ok", tradeOrdersQueue: "ok" } });
  });

  it("answers 503 naming the dependency that failed", async () => {
    const broken = await coldStart("trade-api", {
      SESSIONS_TABLE: `missing-${uid()}`,
      TRADE_ORDERS_QUEUE_URL: queue.url,
    });
    const logs = await captureLogs("trade-api");
    let res;
    try {
      res = parse(await broken.handler(apiEvent("GET", "/health")));
    } finally {
      logs.restore();
    }
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json, {
      status: "unavailable",
      checks: { sessionsTable: "failed", tradeOrdersQueue: "ok" },
      failed: ["sessionsTable"],
    });
    const [line] = logs.messages("health check failed");
    assert.equal(line.check, "sessionsTable");
    assert.equal(line.error.name, "ResourceNotFoundException");
  });

  it("answers 404 and 405 for other routes and methods", async () => {
    assert.equal((await api.handler(apiEvent("GET", "/nope"))).statusCode, 404);
    const res = await api.handler(apiEvent("GET", "/trades"));
    assert.equal(res.statusCode, 405);
    assert.equal(res.headers.Allow, "POST");
  });
});
