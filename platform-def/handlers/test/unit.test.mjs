// Pure functions of the shared modules: trade ids, queue messages, backoff
// and retry, error classification (order validation: orders.test.mjs). The copies the
// functions carry are identical to these (layout.test.mjs).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  canonicalAmount,
  canonicalOrder,
  differingFields,
  isAmount,
  orderHash,
  orderKeyFor,
  parseTradeMessage,
  tradeIdFor,
  tradeMessage,
} from "../shared/orders.mjs";
import {
  backoffDelay,
  isTransientAwsError,
  isTransientDbError,
  RetriesExhaustedError,
  retryOptionsFromEnv,
  withRetry,
} from "../shared/retry.mjs";

const CALLER = "arn:aws:iam::123456789012:user/trader";
const good = { clientOrderId: "c-1", symbol: "AAPL", side: "buy", quantity: "10", orderType: "market" };
const fields = (errors) => errors.map((e) => e.field);

describe("trade ids and queue messages", () => {
  it("derives the same version-5 UUID from the same caller and client order id, and different ones otherwise", () => {
    const a = tradeIdFor(CALLER, "order-1");
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(tradeIdFor(CALLER, "order-1"), a);
    assert.notEqual(tradeIdFor(CALLER, "order-2"), a);
    assert.notEqual(tradeIdFor("arn:aws:iam::123456789012:user/other", "order-1"), a, "another caller, another trade");
    // The two parts cannot run into each other.
    assert.notEqual(tradeIdFor("a", "bc"), tradeIdFor("ab", "c"));
    assert.equal(orderKeyFor(CALLER, "order-1"), orderKeyFor(CALLER, "order-1"));
    assert.notEqual(orderKeyFor(CALLER, "order-1"), orderKeyFor("arn:aws:iam::123456789012:user/other", "order-1"));
  });

  it("normalises decimal strings without floating point, and compares orders by their canonical form", () => {
    assert.deepEqual(
      ["12.50000000", "10.0", "10", "0.00000001", "100.00000000", "0.10"].map(canonicalAmount),
      ["12.5", "10", "10", "0.00000001", "100", "0.1"],
    );
    // Beyond what a double holds exactly: kept digit for digit.
    assert.equal(canonicalAmount("999999999999.99999999"), "999999999999.99999999");
    assert.equal(canonicalAmount("0.30000000"), "0.3");
    for (const ok of ["1", "0.5", "999999999999.99999999", "0.00000001", "12.50000000"]) assert.ok(isAmount(ok), ok);
    for (const bad of ["0", "0.0", "0.000000001", "1000000000000", "01", ".5", "1.", "1e3", "-1", " 1", 1, "1.123456789"]) {
      assert.ok(!isAmount(bad), JSON.stringify(bad));
    }
    const a = canonicalOrder({ ...good, orderType: "limit", limitPrice: "187.250" }, "s-1");
    const b = canonicalOrder({ ...good, quantity: "10.00", orderType: "limit", limitPrice: "187.25" }, "s-1");
    assert.deepEqual(a, b);
    assert.equal(orderHash(CALLER, a), orderHash(CALLER, b));
    assert.notEqual(orderHash("arn:aws:iam::123456789012:user/other", a), orderHash(CALLER, a));
    const c = canonicalOrder({ ...good, quantity: "11", side: "sell" }, "s-2");
    assert.deepEqual(differingFields(a, c), ["sessionId", "side", "orderType", "quantity", "limitPrice"]);
    assert.notEqual(orderHash(CALLER, a), orderHash(CALLER, c));
  });

  it("round-trips an order through the queue message, amounts as canonical strings", () => {
    const order = canonicalOrder({ ...good, quantity: "10.50", orderType: "limit", limitPrice: "12.5" }, "s-1");
    const message = tradeMessage(CALLER, order, { submittedAt: "2025-01-02T03:04:05.000Z" });
    assert.equal(message.quantity, "10.5");
    const { trade, errors } = parseTradeMessage(JSON.stringify(message));
    assert.deepEqual(errors, []);
    assert.deepEqual(trade, {
      ...order,
      callerId: CALLER,
      tradeId: tradeIdFor(CALLER, "c-1"),
      submittedAt: "2025-01-02T03:04:05.000Z",
    });
  });

  it("reports malformed messages", () => {
    assert.deepEqual(fields(parseTradeMessage("{not json").errors), ["body"]);
    assert.deepEqual(fields(parseTradeMessage("[1]").errors), ["body"]);
    const message = tradeMessage(CALLER, canonicalOrder(good, "s-1"), { submittedAt: new Date().toISOString() });
    assert.deepEqual(fields(parseTradeMessage(JSON.stringify({ ...message, tradeId: tradeIdFor(CALLER, "other") })).errors), [
      "tradeId",
    ]);
    assert.deepEqual(
      fields(parseTradeMessage(JSON.stringify({ ...message, callerId: "arn:aws:iam::123456789012:user/other" })).errors),
      ["tradeId"],
      "the trade id belongs to its caller",
    );
    const { sessionId, callerId, ...noSession } = message;
    assert.equal(sessionId, "s-1");
    assert.equal(callerId, CALLER);
    assert.deepEqual(fields(parseTradeMessage(JSON.stringify({ ...noSession, callerId })).errors), ["sessionId"]);
    assert.deepEqual(fields(parseTradeMessage(JSON.stringify({ ...noSession, sessionId })).errors), ["callerId"]);
    assert.deepEqual(fields(parseTradeMessage(JSON.stringify({ ...message, version: 1, submittedAt: "soon" })).errors), [
      "version",
      "submittedAt",
    ]);
    // Internal, so never normalised but for amounts: what trade-api queues is already canonical.
    assert.deepEqual(
      fields(parseTradeMessage(JSON.stringify({ ...message, symbol: "aapl", side: "BUY", quantity: 10, extra: 1 })).errors),
      ["extra", "symbol", "side", "quantity"],
    );
    assert.deepEqual(fields(parseTradeMessage(JSON.stringify({ ...message, quantity: "0.123456789" })).errors), ["quantity"]);
  });
});

describe("backoff and retry", () => {
  it("grows the delay ceiling exponentially up to the cap, with full jitter", () => {
    const opts = { baseDelayMs: 100, maxDelayMs: 1000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 10].map((r) => backoffDelay(r, { ...opts, random: () => 0.999999 })),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(backoffDelay(3, { ...opts, random: () => 0 }), 0);
    assert.equal(backoffDelay(3, { ...opts, random: () => 0.5 }), 400);
  });

  it("retries retryable errors with growing sleeps until it succeeds", async () => {
    const sleeps = [];
    let calls = 0;
    const result = await withRetry(
      async (attempt) => {
        calls += 1;
        if (attempt < 3) throw Object.assign(new Error("reset"), { code: "ECONNRESET" });
        return "done";
      },
      { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 10000, random: () => 0.999999, sleep: async (ms) => sleeps.push(ms) },
    );
    assert.equal(result, "done");
    assert.equal(calls, 3);
    assert.deepEqual(sleeps, [100, 200]);
  });

  it("gives up after maxAttempts with RetriesExhaustedError carrying the last error", async () => {
    const cause = new Error("down");
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls += 1;
          throw cause;
        },
        { operation: "op", maxAttempts: 3, sleep: async () => {} },
      ),
      (err) => err instanceof RetriesExhaustedError && err.attempts === 3 && err.cause === cause,
    );
    assert.equal(calls, 3);
  });

  it("rethrows a non-retryable error at once", async () => {
    let calls = 0;
    const boom = new Error("constraint");
    await assert.rejects(
      withRetry(
        async () => {
          calls += 1;
          throw boom;
        },
        { isRetryable: () => false, sleep: async () => {} },
      ),
      (err) => err === boom,
    );
    assert.equal(calls, 1);
  });

  it("does not start a backoff that would end past the deadline", async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls += 1;
          throw new Error("x");
        },
        { maxAttempts: 10, baseDelayMs: 1000, random: () => 0.999, now: () => 0, deadline: 500, sleep: async () => {} },
      ),
      RetriesExhaustedError,
    );
    assert.equal(calls, 1);
  });

  it("reads its settings from the environment", () => {
    assert.deepEqual(retryOptionsFromEnv({}), { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 3000 });
    assert.deepEqual(
      retryOptionsFromEnv({ RETRY_MAX_ATTEMPTS: "2", RETRY_BASE_DELAY_MS: "5", RETRY_MAX_DELAY_MS: "50" }),
      { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 50 },
    );
  });

  it("classifies database and AWS errors", () => {
    assert.ok(isTransientDbError({ code: "ECONNREFUSED" }));
    assert.ok(isTransientDbError({ code: "08006" }));
    assert.ok(isTransientDbError({ code: "40001" }));
    assert.ok(isTransientDbError(new Error("Connection terminated unexpectedly")));
    assert.ok(!isTransientDbError({ code: "23505" }));
    assert.ok(!isTransientDbError({ code: "42P01" }));
    assert.ok(isTransientAwsError("ThrottlingException"));
    assert.ok(isTransientAwsError({ name: "ProvisionedThroughputExceededException" }));
    assert.ok(isTransientAwsError({ name: "X", $metadata: { httpStatusCode: 503 } }));
    assert.ok(!isTransientAwsError({ name: "ValidationException", $metadata: { httpStatusCode: 400 } }));
    assert.ok(!isTransientAwsError("AccessDeniedException"));
  });
});
