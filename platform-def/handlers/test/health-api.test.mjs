// health-api against moto and the test PostgreSQL: GET /health (200; 200
// degraded without the database; 503 naming the table or queue that
// failed), other routes and methods, and its environment.
import assert from "node:assert/strict";
import net from "node:net";
import { before, describe, it } from "node:test";
import { apiEvent, captureLogs, coldStart, createKeyTable, createQueue, createSessionsTable, uid } from "./support/harness.mjs";

let queue;
let table;
let orderKeysTable;
let api;
let closedPort;

/** health-api's environment: the database is the test PostgreSQL unless `dbPort` says otherwise. */
function healthEnv({ dbPort = process.env.PGPORT, ...vars } = {}) {
  return {
    SESSIONS_TABLE: table,
    ORDER_KEYS_TABLE: orderKeysTable,
    TRADE_ORDERS_QUEUE_URL: queue.url,
    DB_ENDPOINT: process.env.PGHOST,
    DB_PORT: String(dbPort),
    HEALTH_CHECK_TIMEOUT_MS: "2000",
    ...vars,
  };
}

before(async () => {
  queue = await createQueue(`sqs-trade-orders-${uid()}`);
  table = await createSessionsTable();
  orderKeysTable = await createKeyTable("order_key");
  api = await coldStart("health-api", healthEnv());
  // A port nothing listens on: a database that is down.
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
  closedPort = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
});

const parse = (res) => ({ ...res, json: JSON.parse(res.body) });

describe("GET /health", () => {
  async function healthOf(instance) {
    const logs = await captureLogs("health-api");
    try {
      return { res: parse(await instance.handler(apiEvent("GET", "/health"))), logs };
    } finally {
      logs.restore();
    }
  }

  it("answers 200 when the table and the queue answer and the database accepts connections", async () => {
    const res = parse(await api.handler(apiEvent("GET", "/health")));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json, { status: "ok", checks: { sessionsTable: "ok", orderKeysTable: "ok", tradeOrdersQueue: "ok", database: "ok" } });
  });

  it("answers 200 degraded when only the database is unreachable", async () => {
    const degraded = await coldStart("health-api", healthEnv({ dbPort: closedPort }));
    const { res, logs } = await healthOf(degraded);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json, {
      status: "degraded",
      checks: { sessionsTable: "ok", orderKeysTable: "ok", tradeOrdersQueue: "ok", database: "unreachable" },
      degraded: ["database"],
    });
    const [line] = logs.messages("health check failed");
    assert.equal(line.check, "database");
    assert.equal(line.error.code, "ECONNREFUSED");
  });

  it("answers 503 naming the dependency that failed, and the database as degraded when it is down too", async () => {
    const broken = await coldStart("health-api", healthEnv({ SESSIONS_TABLE: `missing-${uid()}` }));
    const { res, logs } = await healthOf(broken);
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json, {
      status: "unavailable",
      checks: { sessionsTable: "failed", orderKeysTable: "ok", tradeOrdersQueue: "ok", database: "ok" },
      failed: ["sessionsTable"],
    });
    const [line] = logs.messages("health check failed");
    assert.equal(line.check, "sessionsTable");
    assert.equal(line.error.name, "ResourceNotFoundException");

    const worse = await coldStart(
      "health-api",
      healthEnv({ TRADE_ORDERS_QUEUE_URL: `${queue.url}-missing`, dbPort: closedPort, AWS_MAX_ATTEMPTS: "1" }),
    );
    const both = (await healthOf(worse)).res;
    assert.equal(both.statusCode, 503);
    assert.deepEqual(both.json, {
      status: "unavailable",
      checks: { sessionsTable: "ok", orderKeysTable: "ok", tradeOrdersQueue: "failed", database: "unreachable" },
      failed: ["tradeOrdersQueue"],
      degraded: ["database"],
    });
  });

  it("refuses to start without the database's address or with a port that is not one", async () => {
    const { DB_ENDPOINT, ...noEndpoint } = healthEnv();
    assert.ok(DB_ENDPOINT);
    await assert.rejects(coldStart("health-api", noEndpoint), /missing required environment variable\(s\): DB_ENDPOINT/);
    await assert.rejects(coldStart("health-api", healthEnv({ dbPort: "postgres" })), /DB_PORT must be a TCP port/);
  });

  it("answers 404 for other routes (POST /trades is trade-api's) and 405 for other methods", async () => {
    assert.equal((await api.handler(apiEvent("POST", "/trades", {}))).statusCode, 404);
    const res = await api.handler(apiEvent("POST", "/health"));
    assert.equal(res.statusCode, 405);
    assert.equal(res.headers.Allow, "GET");
  });
});
