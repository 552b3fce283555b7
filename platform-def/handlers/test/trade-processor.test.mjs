// trade-processor against a real PostgreSQL and moto: the whole path from the
// API to the database, exactly-once effects under concurrent deliveries and
// crashes at every step, idempotency per caller, conflicts to the
// dead-letter queue, malformed messages, the database down (for good, and
// for a moment), a database the deploy's migration has not run on, and TLS.
// The database is migrated by the migrate function, as a deploy leaves it,
// and the processor connects as the dml user, as deployed.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { DeleteMessageCommand } from "@aws-sdk/client-sqs";
import {
  apiEvent,
  aws,
  captureLogs,
  coldStart,
  createBucket,
  createDatabase,
  createMigratedDatabase,
  createKeyTable,
  createObservedBus,
  createQueue,
  createSessionsTable,
  drainJson,
  getSession,
  lambdaContext,
  pollOnce,
  processorEnv,
  queueDepth,
  receiveAll,
  sendRaw,
  sqsRecord,
  TRADER,
  tradeApiEnv,
  uid,
} from "./support/harness.mjs";
import { canonicalOrder, tradeIdFor, tradeMessage } from "../shared/orders.mjs";

let db;
let table;
let orderKeysTable;
let secretArn;
let bus;
let processor;
const servers = [];

before(async () => {
  db = await createMigratedDatabase();
  table = await createSessionsTable();
  orderKeysTable = await createKeyTable("order_key");
  secretArn = db.users.app.secretArn;
  bus = await createObservedBus({ source: ["trading.processor"], "detail-type": ["TradeProcessed"] });
  processor = await coldStart("trade-processor", processorEnv({ table, secretArn, database: db.name, busName: bus.name }));
});

after(async () => {
  for (const server of servers) server.close();
  await db?.drop();
});

/** A fresh trade-orders queue and a trade-api instance that sends to it. */
async function orderFlow(queueAttributes = {}) {
  const queue = await createQueue(`sqs-trade-orders-${uid()}`, queueAttributes);
  const api = await coldStart("trade-api", tradeApiEnv({ table, orderKeysTable, queueUrl: queue.url }));
  const submit = async (fields = {}, caller = TRADER) => {
    const order = {
      clientOrderId: `ord-${uid()}`,
      symbol: "AAPL",
      side: "buy",
      quantity: "100",
      orderType: "market",
      sessionId: `sess-${uid()}`,
      ...fields,
    };
    const res = await api.handler(apiEvent("POST", "/trades", order, {}, caller));
    assert.equal(res.statusCode, 202, res.body);
    return { ...order, caller, tradeId: JSON.parse(res.body).tradeId };
  };
  return { queue, api, submit };
}

/** A queue message for an order, as trade-api queues it (or a racing one would). */
function messageFor(order, caller = TRADER, sessionId = order.sessionId ?? `s-${uid()}`) {
  return tradeMessage(caller, canonicalOrder(order, sessionId), { submittedAt: new Date().toISOString() });
}

/** The outbox row of a trade. */
async function outboxOf(tradeId) {
  const { rows } = await db.query("SELECT * FROM trade_outbox WHERE trade_id = $1", [tradeId]);
  return rows;
}

/** Every TradeProcessed event the bus delivered, for the trade (drains the observer). */
async function eventsFor(tradeId) {
  return (await drainJson(bus.observer.url)).filter((e) => e.detail.tradeId === tradeId);
}

/** Runs the audit function on each event, as the rule does; the audit objects of the trade. */
async function audit(events, tradeId) {
  const bucket = await createBucket();
  const auditor = await coldStart("event-handler", { AUDIT_BUCKET: bucket });
  for (const event of events) await auditor.handler(event, lambdaContext());
  const { Contents = [] } = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "audit/" }));
  return Contents.map((c) => c.Key).filter((k) => k.includes(tradeId));
}

/** Receives the queue's messages (hidden for a while); with `remove`, deletes them too. */
async function drainRaw(queue, { remove = false } = {}) {
  const messages = await receiveAll(queue.url, { keep: false });
  if (remove) {
    for (const m of messages) await aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle }));
  }
  return messages;
}

async function rowsFor(clientOrderIds) {
  const { rows } = await db.query(
    "SELECT * FROM trades WHERE client_order_id = ANY($1::text[]) ORDER BY client_order_id",
    [clientOrderIds],
  );
  return rows;
}

/** A TCP server on loopback that counts connections; `onConnection` decides what to do with each. */
async function tcpServer(onConnection) {
  const server = net.createServer((socket) => {
    server.connections += 1;
    onConnection(socket, server.connections);
  });
  server.connections = 0;
  servers.push(server);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

describe("trade-processor", () => {
  it("takes a valid trade end to end: API -> queue -> processor -> one row, the session, the event, the audit record", async () => {
    const { queue, submit } = await orderFlow();
    const order = await submit({ symbol: "MSFT", side: "sell", quantity: "12.50", orderType: "limit", limitPrice: "401.1" });

    const { messages, failedIds } = await pollOnce(queue, processor.handler);
    assert.equal(messages.length, 1);
    assert.deepEqual(failedIds, []);
    assert.deepEqual(await queueDepth(queue.url), { visible: 0, inFlight: 0 });

    const [row, ...others] = await rowsFor([order.clientOrderId]);
    assert.equal(others.length, 0);
    assert.equal(row.trade_id, tradeIdFor(TRADER, order.clientOrderId));
    assert.equal(row.caller_id, TRADER);
    assert.equal(row.trade_id, order.tradeId);
    assert.equal(row.session_id, order.sessionId);
    assert.equal(row.symbol, "MSFT");
    assert.equal(row.side, "sell");
    assert.equal(row.order_type, "limit");
    assert.equal(row.quantity, "12.50000000");
    assert.equal(row.limit_price, "401.10000000");
    assert.equal(row.source_message_id, messages[0].MessageId);
    assert.ok(row.session_recorded_at && row.event_published_at);
    // Written by the dml user, which is all the processor's connections are.
    const { rows: users } = await db.query("SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = $1 AND usename <> current_user", [db.name]);
    assert.deepEqual(users, [{ usename: db.users.app.name }]);

    const session = await getSession(table, order.sessionId);
    assert.equal(session.ordersSubmitted.N, "1");
    assert.equal(session.tradesProcessed.N, "1");
    assert.equal(session.lastProcessedTradeId.S, order.tradeId);

    const events = await drainJson(bus.observer.url);
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event.source, "trading.processor");
    assert.equal(event["detail-type"], "TradeProcessed");
    assert.deepEqual(
      { ...event.detail, submittedAt: undefined, processedAt: undefined },
      {
        tradeId: order.tradeId,
        callerId: TRADER,
        clientOrderId: order.clientOrderId,
        sessionId: order.sessionId,
        symbol: "MSFT",
        side: "sell",
        orderType: "limit",
        quantity: "12.5",
        limitPrice: "401.1",
        status: "processed",
        submittedAt: undefined,
        processedAt: undefined,
      },
    );

    // The event, as EventBridge delivers it, to the audit function.
    const bucket = await createBucket();
    const auditor = await coldStart("event-handler", { AUDIT_BUCKET: bucket });
    const { key } = await auditor.handler(event, lambdaContext());
    const t = new Date(event.time);
    const pad = (n) => String(n).padStart(2, "0");
    assert.equal(
      key,
      `audit/year=${t.getUTCFullYear()}/month=${pad(t.getUTCMonth() + 1)}/day=${pad(t.getUTCDate())}/${order.tradeId}.json`,
    );
    const object = await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const record = JSON.parse(await object.Body.transformToString());
    assert.deepEqual(record.event, event);
    const [outbox] = await outboxOf(order.tradeId);
    assert.ok(outbox.published_at);
    assert.equal(outbox.event_id, event.id);
    assert.equal(outbox.attempts, 1);
  });

  it("stores a message delivered twice exactly once, and counts and announces it once", async () => {
    const { queue, submit } = await orderFlow();
    const order = await submit();
    const logs = await captureLogs("trade-processor");
    try {
      // First delivery processed, but the delete never happened (a crash): SQS redelivers.
      const first = await pollOnce(queue, processor.handler, { deleteSucceeded: false });
      assert.deepEqual(first.failedIds, []);
      const second = await pollOnce(queue, processor.handler);
      assert.equal(second.messages.length, 1);
      assert.equal(second.messages[0].MessageId, first.messages[0].MessageId);
      assert.equal(second.messages[0].Attributes.ApproximateReceiveCount, "2");
      assert.deepEqual(second.failedIds, []);

      // The client retries the same order: a second message with the same idempotency key.
      const res = await orderFlowRetry(queue, order);
      assert.equal(res.statusCode, 202);
      const third = await pollOnce(queue, processor.handler);
      assert.equal(third.messages.length, 1);
      assert.deepEqual(third.failedIds, []);
    } finally {
      logs.restore();
    }

    assert.equal((await rowsFor([order.clientOrderId])).length, 1);
    assert.equal((await getSession(table, order.sessionId)).tradesProcessed.N, "1");
    const events = (await drainJson(bus.observer.url)).filter((e) => e.detail.clientOrderId === order.clientOrderId);
    assert.equal(events.length, 1);
    assert.equal(logs.messages("trade already stored: duplicate delivery").length, 2);
    assert.deepEqual(await queueDepth(queue.url), { visible: 0, inFlight: 0 });
  });

  it("books a message delivered to 8 concurrent invocations once: one row, one outbox publication, one event, one audit object, counted once", async () => {
    const { queue, submit } = await orderFlow();
    const order = await submit({ quantity: "0.00000001" });
    const [message] = await drainRaw(queue);
    const record = sqsRecord(message, queue.arn);
    // Eight execution environments (cold starts load one at a time: each reads process.env).
    const instances = [];
    for (let i = 0; i < 8; i += 1) {
      instances.push(await coldStart("trade-processor", processorEnv({ table, secretArn, database: db.name, busName: bus.name })));
    }
    const results = await Promise.all(instances.map((i) => i.handler({ Records: [record] }, lambdaContext())));
    assert.deepEqual(results, Array.from({ length: 8 }, () => ({ batchItemFailures: [] })));

    const rows = await rowsFor([order.clientOrderId]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].quantity, "0.00000001");
    const [outbox, ...more] = await outboxOf(order.tradeId);
    assert.equal(more.length, 0);
    assert.ok(outbox.published_at);
    assert.equal(outbox.attempts, 1, "claimed once");
    const events = await eventsFor(order.tradeId);
    assert.equal(events.length, 1);
    assert.equal(events[0].detail.quantity, "0.00000001");
    assert.equal((await audit(events, order.tradeId)).length, 1);
    const session = await getSession(table, order.sessionId);
    assert.equal(session.ordersSubmitted.N, "1");
    assert.equal(session.tradesProcessed.N, "1");
  });

  for (const point of ["after-commit", "after-put-events", "before-ack"]) {
    it(`books a trade once when the invocation dies ${point}, and redelivery finishes what is missing`, async () => {
      const { queue, submit } = await orderFlow();
      const order = await submit({ orderType: "limit", limitPrice: "3.5" });
      // The dying instance claims the outbox row for 1 s only: its lease
      // runs out and the redelivery publishes in its place.
      const dying = await coldStart(
        "trade-processor",
        processorEnv({ table, secretArn, database: db.name, busName: bus.name, TRADE_PROCESSOR_CRASH_AT: point, OUTBOX_LEASE_SECONDS: "1" }),
      );
      const crashed = await pollOnce(queue, dying.handler);
      assert.equal(crashed.crash?.name, "InjectedCrash", `the invocation died ${point}`);
      assert.deepEqual(await queueDepth(queue.url), { visible: 1, inFlight: 0 }, "nothing acknowledged");

      const redelivered = await pollOnce(queue, processor.handler);
      assert.equal(redelivered.messages[0]?.Attributes.ApproximateReceiveCount, "2");
      assert.deepEqual(redelivered.failedIds, []);
      assert.deepEqual(await queueDepth(queue.url), { visible: 0, inFlight: 0 });

      assert.equal((await rowsFor([order.clientOrderId])).length, 1);
      const [outbox, ...more] = await outboxOf(order.tradeId);
      assert.equal(more.length, 0);
      assert.ok(outbox.published_at, "published");
      const events = await eventsFor(order.tradeId);
      // Dying between PutEvents and recording it publishes twice (EventBridge
      // cannot deduplicate); both carry the trade id and are audited once.
      assert.equal(events.length, point === "after-put-events" ? 2 : 1);
      assert.equal(new Set(events.map((e) => e.time)).size, 1, "both at the trade's time: the same audit key");
      assert.equal((await audit(events, order.tradeId)).length, 1);
      const session = await getSession(table, order.sessionId);
      assert.equal(session.ordersSubmitted.N, "1");
      assert.equal(session.tradesProcessed.N, "1");
    });
  }

  it("publishes an outbox row whose message is gone (dead-lettered after a crash) with the next batch", async () => {
    const { queue, submit } = await orderFlow();
    const stranded = await submit();
    const dying = await coldStart(
      "trade-processor",
      processorEnv({ table, secretArn, database: db.name, busName: bus.name, TRADE_PROCESSOR_CRASH_AT: "after-commit" }),
    );
    assert.ok((await pollOnce(queue, dying.handler)).crash);
    await drainRaw(queue, { remove: true });
    // Older than a lease, as it is when its message has run out of receives.
    await db.query("UPDATE trade_outbox SET created_at = now() - interval '10 minutes' WHERE trade_id = $1", [stranded.tradeId]);
    assert.equal((await outboxOf(stranded.tradeId))[0].published_at, null);

    const next = await submit();
    assert.deepEqual((await pollOnce(queue, processor.handler)).failedIds, []);
    assert.ok((await outboxOf(stranded.tradeId))[0].published_at);
    assert.ok((await outboxOf(next.tradeId))[0].published_at);
    assert.equal((await eventsFor(stranded.tradeId)).length, 1);
  });

  it("gives two callers with the same client order id two trades", async () => {
    const { queue, submit } = await orderFlow();
    const a = await submit({ clientOrderId: `shared-${uid()}` }, "arn:aws:iam::123456789012:user/alice");
    const b = await submit({ clientOrderId: a.clientOrderId, quantity: "7" }, "arn:aws:iam::123456789012:user/bob");
    assert.notEqual(a.tradeId, b.tradeId);
    assert.deepEqual((await pollOnce(queue, processor.handler)).failedIds, []);
    const rows = await rowsFor([a.clientOrderId]);
    assert.deepEqual(
      rows.map((r) => [r.caller_id, r.trade_id, r.quantity]).sort(),
      [
        ["arn:aws:iam::123456789012:user/alice", a.tradeId, "100.00000000"],
        ["arn:aws:iam::123456789012:user/bob", b.tradeId, "7.00000000"],
      ],
    );
    await drainJson(bus.observer.url);
  });

  it("sends a racing conflicting order to the dead-letter queue with an error log line and a metric, keeping the first", async () => {
    const dlq = await createQueue(`sqs-trade-orders-dlq-${uid()}`);
    const { queue, submit } = await orderFlow({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: "2" }) });
    const first = await submit();
    assert.deepEqual((await pollOnce(queue, processor.handler)).failedIds, []);
    // Another order under the same key, as if it had raced past trade-api's check.
    const { tradeId, caller, ...fields } = first;
    await sendRaw(queue.url, JSON.stringify(messageFor({ ...fields, quantity: "101", side: "sell" }, caller)));

    const logs = await captureLogs("trade-processor");
    try {
      for (let receive = 1; receive <= 2; receive += 1) {
        const { messages, failedIds } = await pollOnce(queue, processor.handler);
        assert.equal(messages.length, 1);
        assert.deepEqual(failedIds, [messages[0].MessageId], "reported as the item's failure");
      }
    } finally {
      logs.restore();
    }
    const conflicts = logs.messages("client order id reused for a different order");
    assert.equal(conflicts.length, 2);
    assert.equal(conflicts[0].level, "error");
    assert.deepEqual(conflicts[0].fields, ["side", "quantity"]);
    assert.equal(conflicts[0].storedTradeId, tradeId);
    // Embedded metric format: CloudWatch Logs turns the line into the metric.
    assert.equal(conflicts[0].OrderConflicts, 1);
    assert.deepEqual(conflicts[0]._aws.CloudWatchMetrics[0].Metrics, [{ Name: "OrderConflicts", Unit: "Count" }]);
    // After maxReceiveCount receives, SQS moves it to the dead-letter queue.
    assert.equal((await pollOnce(queue, processor.handler)).messages.length, 0);
    assert.equal((await queueDepth(dlq.url)).visible, 1);
    const [row, ...others] = await rowsFor([first.clientOrderId]);
    assert.equal(others.length, 0);
    assert.deepEqual([row.side, row.quantity], ["buy", "100.00000000"]);
    await drainJson(bus.observer.url);
  });

  it("reports a malformed message as that item's failure while the others succeed", async () => {
    const { queue, submit } = await orderFlow();
    const a = await submit();
    const notJson = await sendRaw(queue.url, "{this is not json");
    const bad = messageFor({ clientOrderId: `bad-${uid()}`, symbol: "AAPL", side: "buy", quantity: "1", orderType: "market" });
    const invalid = await sendRaw(queue.url, JSON.stringify({ ...bad, quantity: 1 }));
    const b = await submit({ side: "sell", orderType: "limit", limitPrice: "10" });

    const logs = await captureLogs("trade-processor");
    let result;
    try {
      result = await pollOnce(queue, processor.handler);
    } finally {
      logs.restore();
    }
    assert.equal(result.messages.length, 4);
    assert.deepEqual(new Set(result.failedIds), new Set([notJson, invalid]));
    assert.deepEqual(
      (await rowsFor([a.clientOrderId, b.clientOrderId, bad.clientOrderId])).map((r) => r.client_order_id).sort(),
      [a.clientOrderId, b.clientOrderId].sort(),
    );
    // The two bad ones stay on the queue (to reach the DLQ after maxReceiveCount).
    assert.deepEqual(await queueDepth(queue.url), { visible: 2, inFlight: 0 });
    const malformed = logs.messages("malformed message");
    assert.deepEqual(new Set(malformed.map((l) => l.messageId)), new Set([notJson, invalid]));
    assert.deepEqual(
      malformed.find((l) => l.messageId === invalid).errors.map((e) => e.field),
      ["quantity"],
      "a JSON number is no amount",
    );
    await drainJson(bus.observer.url);
  });

  it("retries when the database is unavailable, then reports every message as failed and loses none", async () => {
    const { queue, submit } = await orderFlow();
    const orders = [await submit(), await submit(), await submit()];
    // Accepts each connection and drops it at once, as a database going down does.
    const dead = await tcpServer((socket) => socket.destroy());
    const down = await coldStart(
      "trade-processor",
      processorEnv({ table, secretArn, database: db.name, busName: bus.name, DB_PORT: String(dead.address().port), RETRY_MAX_ATTEMPTS: "3" }),
    );

    const logs = await captureLogs("trade-processor");
    let result;
    try {
      result = await pollOnce(queue, down.handler);
    } finally {
      logs.restore();
    }
    assert.equal(result.messages.length, 3);
    assert.deepEqual(new Set(result.failedIds), new Set(result.messages.map((m) => m.MessageId)));
    assert.equal(dead.connections, 3, "three attempts, then the rest of the batch fails without trying");
    assert.equal(logs.messages("retrying database operation").length, 2);
    assert.equal(logs.messages("trade not processed").length, 1);
    assert.equal(logs.messages("rest of the batch left for redelivery")[0].reason, "database unavailable");
    assert.equal((await rowsFor(orders.map((o) => o.clientOrderId))).length, 0);

    // Nothing lost: all three are still on the queue, and go through once the database is back.
    assert.deepEqual(await queueDepth(queue.url), { visible: 3, inFlight: 0 });
    const retry = await pollOnce(queue, processor.handler);
    assert.deepEqual(retry.failedIds, []);
    assert.equal((await rowsFor(orders.map((o) => o.clientOrderId))).length, 3);
    assert.deepEqual(await queueDepth(queue.url), { visible: 0, inFlight: 0 });
    await drainJson(bus.observer.url);
  });

  it("rides out a database that refuses its first connections, within one invocation", async () => {
    const { queue, submit } = await orderFlow();
    const order = await submit();
    // Drops the first two connections, then relays to the real server.
    const flaky = await tcpServer((socket, n) => {
      if (n <= 2) return socket.destroy();
      const upstream = net.connect(Number(process.env.PGPORT), process.env.PGHOST);
      socket.pipe(upstream).pipe(socket);
      const close = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on("error", close);
      upstream.on("error", close);
      socket.on("close", close);
      upstream.on("close", close);
    });
    const fresh = await coldStart(
      "trade-processor",
      processorEnv({ table, secretArn, database: db.name, busName: bus.name, DB_PORT: String(flaky.address().port) }),
    );
    const logs = await captureLogs("trade-processor");
    let result;
    try {
      result = await pollOnce(queue, fresh.handler);
    } finally {
      logs.restore();
    }
    assert.deepEqual(result.failedIds, []);
    assert.equal(logs.messages("retrying database operation").length, 2);
    assert.equal((await rowsFor([order.clientOrderId])).length, 1);
    await drainJson(bus.observer.url);
  });

  it("fails every message of the batch, saying to run the migration, when the schema is missing", async () => {
    const fresh = await createDatabase();
    try {
      const unmigrated = await coldStart("trade-processor", processorEnv({ table, secretArn, database: fresh.name, busName: bus.name }));
      const record = (id) => {
        const body = messageFor({ clientOrderId: id, symbol: "IBM", side: "buy", quantity: "1", orderType: "market" });
        return sqsRecord({ MessageId: id, ReceiptHandle: "r", Body: JSON.stringify(body), Attributes: {} }, "arn:aws:sqs:us-east-1:123456789012:q");
      };
      const logs = await captureLogs("trade-processor");
      let result;
      try {
        result = await unmigrated.handler({ Records: [record(`a-${uid()}`), record(`b-${uid()}`)] }, lambdaContext());
      } finally {
        logs.restore();
      }
      assert.equal(result.batchItemFailures.length, 2);
      const [missing] = logs.messages("database schema missing");
      assert.match(missing.error.message, new RegExp(`database ${fresh.name} lacks the table\\(s\\) trades, trade_outbox: run the deploy's migration`));
      assert.equal(logs.messages("retrying database operation").length, 0, "no retry cures a missing schema");
      assert.equal(logs.messages("rest of the batch left for redelivery")[0].reason, "database schema missing");
      // And the processor created nothing: its role cannot.
      assert.equal((await fresh.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0].n, 0);
    } finally {
      await fresh.drop();
    }
  });

  it("connects over TLS and verifies the server certificate", async () => {
    const fresh = await createMigratedDatabase();
    const admin = new pg.Client({ database: "postgres" });
    await admin.connect();
    try {
      const tlsEnv = processorEnv({ table, secretArn: fresh.users.app.secretArn, database: fresh.name, busName: bus.name });
      delete tlsEnv.DB_SSL;
      const record = () => {
        const body = messageFor({ clientOrderId: `tls-${uid()}`, symbol: "IBM", side: "buy", quantity: "1", orderType: "market" }, TRADER, "s-tls");
        return sqsRecord({ MessageId: `m-${uid()}`, ReceiptHandle: "r", Body: JSON.stringify(body), Attributes: {} }, "arn:aws:sqs:us-east-1:123456789012:q");
      };

      // Without the CA that signed the server's certificate: refused, and not retried.
      const untrusting = await coldStart("trade-processor", tlsEnv);
      const logs = await captureLogs("trade-processor");
      let refused;
      try {
        refused = await untrusting.handler({ Records: [record()] }, lambdaContext());
      } finally {
        logs.restore();
      }
      assert.equal(refused.batchItemFailures.length, 1);
      assert.equal(logs.messages("retrying database operation").length, 0);
      assert.match(logs.messages("trade not processed")[0].error.code, /CERT|SIGNATURE|VERIFY/);

      // With it (DB_CA_FILE): accepted, and the connection is encrypted.
      const trusting = await coldStart("trade-processor", { ...tlsEnv, DB_CA_FILE: process.env.PG_TEST_CA_FILE });
      assert.deepEqual((await trusting.handler({ Records: [record()] }, lambdaContext())).batchItemFailures, []);
      const { rows } = await admin.query(
        "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = $1",
        [fresh.name],
      );
      assert.ok(rows.length >= 1, "the processor keeps its connection open");
      assert.ok(rows.every((r) => r.ssl === true));
      await drainJson(bus.observer.url);
    } finally {
      await admin.end();
      await fresh.drop();
    }
  });
});

/** The client submits the same order again (same client order id). */
async function orderFlowRetry(queue, order) {
  const api = await coldStart("trade-api", tradeApiEnv({ table, orderKeysTable, queueUrl: queue.url }));
  const { tradeId, caller, ...fields } = order;
  const res = await api.handler(apiEvent("POST", "/trades", fields, {}, caller));
  assert.equal(JSON.parse(res.body).tradeId, tradeId);
  return res;
}
