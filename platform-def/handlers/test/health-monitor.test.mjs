// health-monitor against the real PostgreSQL, moto (SQS depths, CloudWatch
// metrics, SNS alerts observed through an SQS subscription), and, for the
// api check, Lambda's Invoke API served here on loopback: moto cannot run
// functions, so this endpoint runs the real api-probe handler against a
// /health endpoint also served here, or answers as Lambda does when the
// probe crashes or does not exist. The monitor's own LambdaClient calls it
// (AWS_ENDPOINT_URL_LAMBDA), exactly as it calls Lambda in AWS.
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import {
  aws,
  captureLogs,
  coldStart,
  createMigratedDatabase,
  createKeyTable,
  createObservedTopic,
  createQueue,
  drainJson,
  lambdaContext,
  sendRaw,
  uid,
} from "./support/harness.mjs";

let apiServer;
let apiStatus = 200;
let apiRequests = [];
let closedPort;
let secretArn;
let database;
let topic;

const PROBE = "fn-api-probe-test";
let lambdaServer;
let probe;
// How the Invoke endpoint answers: run the probe, or fail as Lambda does.
let lambdaMode = "probe";
let invocations = [];

/** Lambda's Invoke (RequestResponse) for the function PROBE, as the REST API answers it. */
function lambdaInvoke(req, res) {
  const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url.split("?")[0]);
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    const name = match && decodeURIComponent(match[1]);
    invocations.push({ method: req.method, name, type: req.headers["x-amz-invocation-type"], payload: Buffer.concat(chunks).toString() });
    const json = (status, body, headers = {}) => {
      res.writeHead(status, { "Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST", ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "POST" || name !== PROBE || lambdaMode === "missing") {
      json(404, { Type: "User", message: `Function not found: arn:aws:lambda:us-east-1:123456789012:function:${name}` }, {
        "X-Amzn-ErrorType": "ResourceNotFoundException",
      });
    } else if (lambdaMode === "crash") {
      json(200, { errorType: "Error", errorMessage: "probe crashed", trace: [] }, { "X-Amz-Function-Error": "Unhandled" });
    } else {
      json(200, await probe.handler(JSON.parse(Buffer.concat(chunks).toString() || "{}"), lambdaContext(10000)));
    }
  });
}

before(async () => {
  apiServer = http.createServer((req, res) => {
    apiRequests.push(req.url);
    const healthy = apiStatus === 200;
    res.writeHead(req.url === "/dev/health" ? apiStatus : 404, { "Content-Type": "application/json" });
    res.end(
      JSON.stringify(
        healthy ? { status: "ok" } : { status: "unavailable", failed: ["sessionsTable"], checks: { sessionsTable: "failed" } },
      ),
    );
  });
  await new Promise((resolve) => apiServer.listen(0, "127.0.0.1", resolve));
  probe = await coldStart("api-probe", { API_URL: `http://127.0.0.1:${apiServer.address().port}/dev`, PROBE_TIMEOUT_MS: "2000" });
  lambdaServer = http.createServer(lambdaInvoke);
  await new Promise((resolve) => lambdaServer.listen(0, "127.0.0.1", resolve));
  // Read by the SDK when the monitor's LambdaClient is built; this test
  // file runs in its own process.
  process.env.AWS_ENDPOINT_URL_LAMBDA = `http://127.0.0.1:${lambdaServer.address().port}`;
  // A port nothing listens on: a database that is down.
  const closed = net.createServer();
  await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
  closedPort = closed.address().port;
  await new Promise((resolve) => closed.close(resolve));
  // As deployed: the monitor connects as the read_only user of a migrated database.
  database = await createMigratedDatabase();
  secretArn = database.users.monitor.secretArn;
  topic = await createObservedTopic();
});

after(async () => {
  await database?.drop();
  apiServer.close();
  lambdaServer.close();
  lambdaServer.closeAllConnections();
});

async function monitorEnv(overrides = {}) {
  const queue = await createQueue(`sqs-trade-orders-${uid()}`);
  const dlq = await createQueue(`sqs-trade-orders-dlq-${uid()}`);
  const env = {
    API_PROBE_FUNCTION: PROBE,
    DB_SECRET_ARN: secretArn,
    DB_ENDPOINT: process.env.PGHOST,
    DB_PORT: process.env.PGPORT,
    DB_NAME: database.name,
    DB_SSL: "disable",
    TRADE_ORDERS_QUEUE_URL: queue.url,
    TRADE_ORDERS_DLQ_URL: dlq.url,
    ALERTS_TOPIC_ARN: topic.arn,
    ALERT_KEYS_TABLE: await createKeyTable("alert_key"),
    CHECK_TIMEOUT_MS: "3000",
    ...overrides,
  };
  return { env, queue, dlq };
}

async function metric(namespace, name, dimensions = []) {
  const now = Date.now();
  const { Datapoints = [] } = await aws.cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: namespace,
      MetricName: name,
      Dimensions: dimensions,
      StartTime: new Date(now - 3600_000),
      EndTime: new Date(now + 60_000),
      Period: 3600,
      Statistics: ["Maximum", "SampleCount"],
    }),
  );
  return Datapoints;
}

/** One scheduled run (`id`: the Scheduled Event's id, which Lambda's retries of the run keep). */
async function run(monitor, id = `scheduled-${uid()}`) {
  const logs = await captureLogs("health-monitor");
  try {
    return { summary: await monitor.handler({ id, "detail-type": "Scheduled Event" }, lambdaContext(60000)), logs };
  } finally {
    logs.restore();
  }
}

describe("health-monitor", () => {
  it("reports healthy, publishes HealthCheckFailed=0 in TradingPlatform, and alerts no one", async () => {
    apiStatus = 200;
    apiRequests = [];
    lambdaMode = "probe";
    invocations = [];
    const { env } = await monitorEnv();
    const monitor = await coldStart("health-monitor", env);
    const { summary } = await run(monitor);
    assert.equal(summary.status, "healthy");
    assert.deepEqual(summary.failed, []);
    assert.deepEqual(Object.keys(summary.checks), ["api", "database", "queue", "dlq"]);
    assert.ok(Object.values(summary.checks).every((c) => c.ok));
    assert.deepEqual(apiRequests, ["/dev/health"]);
    assert.deepEqual(
      invocations.map(({ method, name, type }) => ({ method, name, type })),
      [{ method: "POST", name: PROBE, type: "RequestResponse" }],
    );
    assert.equal(summary.checks.api.status, 200);
    assert.equal(summary.checks.api.apiStatus, "ok");
    assert.ok(Number.isFinite(summary.checks.api.latencyMs));

    assert.deepEqual(await drainJson(topic.observer.url), []);
    const overall = await metric("TradingPlatform", "HealthCheckFailed");
    assert.equal(overall.length, 1);
    assert.equal(overall[0].Maximum, 0);
    const perCheck = await metric("TradingPlatform", "HealthCheckFailed", [{ Name: "Check", Value: "database" }]);
    assert.equal(perCheck[0].Maximum, 0);
  });

  it("alerts the topic and publishes HealthCheckFailed=1 when the probe finds the API's /health failing", async () => {
    apiStatus = 503;
    lambdaMode = "probe";
    const namespace = `Test${uid()}`;
    const { env } = await monitorEnv({ METRIC_NAMESPACE: namespace });
    const monitor = await coldStart("health-monitor", env);
    const { summary, logs } = await run(monitor);
    assert.equal(summary.status, "unhealthy");
    assert.deepEqual(summary.failed, ["api"]);
    assert.match(summary.checks.api.error, /GET \/health answered 503 \(failed: sessionsTable\)/);
    assert.equal(summary.checks.api.status, 503);

    const alerts = await drainJson(topic.observer.url);
    assert.equal(alerts.length, 1);
    const [notification] = alerts;
    assert.equal(notification.Type, "Notification");
    assert.equal(notification.TopicArn, topic.arn);
    assert.equal(notification.Subject, "Trading platform unhealthy: api");
    assert.match(notification.Message, /api: FAILED - GET \/health answered 503/);
    assert.match(notification.Message, /database: ok/);

    assert.equal((await metric(namespace, "HealthCheckFailed"))[0].Maximum, 1);
    assert.equal((await metric(namespace, "HealthCheckFailed", [{ Name: "Check", Value: "api" }]))[0].Maximum, 1);
    assert.equal((await metric(namespace, "HealthCheckFailed", [{ Name: "Check", Value: "queue" }]))[0].Maximum, 0);
    assert.equal(logs.messages("health check failed")[0].check, "api");
  });

  for (const [mode, error] of [
    ["crash", /^the API probe failed \(Unhandled\): probe crashed$/],
    ["missing", /^the API probe fn-api-probe-test could not be invoked: ResourceNotFoundException: Function not found/],
  ]) {
    it(`alerts when the probe cannot answer (${mode})`, async () => {
      apiStatus = 200; // healthy, but not seen
      lambdaMode = mode;
      const namespace = `Test${uid()}`;
      const { env } = await monitorEnv({ METRIC_NAMESPACE: namespace });
      const monitor = await coldStart("health-monitor", env);
      const { summary } = await run(monitor);
      lambdaMode = "probe";
      assert.equal(summary.status, "unhealthy");
      assert.deepEqual(summary.failed, ["api"]);
      assert.match(summary.checks.api.error, error);
      assert.equal(summary.notChecked, undefined);
      const [notification, ...more] = await drainJson(topic.observer.url);
      assert.equal(more.length, 0);
      assert.equal(notification.Subject, "Trading platform unhealthy: api");
      assert.equal((await metric(namespace, "HealthCheckFailed", [{ Name: "Check", Value: "api" }]))[0].Maximum, 1);
    });
  }

  it("reports the API as failing when the probe gets no answer from it", async () => {
    const down = await coldStart("api-probe", { API_URL: `http://127.0.0.1:${closedPort}/dev` });
    const healthy = probe;
    probe = down;
    lambdaMode = "probe";
    try {
      const { env } = await monitorEnv({ METRIC_NAMESPACE: `Test${uid()}` });
      const monitor = await coldStart("health-monitor", env);
      const { summary } = await run(monitor);
      assert.deepEqual(summary.failed, ["api"]);
      assert.match(summary.checks.api.error, /^GET \/health got no answer: GET http:\/\/127\.0\.0\.1:\d+\/dev\/health failed: ECONNREFUSED$/);
      assert.equal(summary.checks.api.status, null);
      assert.equal((await drainJson(topic.observer.url)).length, 1);
    } finally {
      probe = healthy;
    }
  });

  it("alerts on the database down, a deep queue and messages in the DLQ", async () => {
    apiStatus = 200;
    const namespace = `Test${uid()}`;
    const { env, queue, dlq } = await monitorEnv({
      METRIC_NAMESPACE: namespace,
      DB_PORT: String(closedPort),
      QUEUE_DEPTH_THRESHOLD: "2",
    });
    await sendRaw(queue.url, "a");
    await sendRaw(queue.url, "b");
    await sendRaw(dlq.url, "poison");
    const monitor = await coldStart("health-monitor", env);
    const { summary } = await run(monitor);
    assert.deepEqual(summary.failed, ["database", "queue", "dlq"]);
    assert.equal(summary.checks.queue.visible, 2);
    assert.equal(summary.checks.dlq.visible, 1);

    const [notification, ...more] = await drainJson(topic.observer.url);
    assert.equal(more.length, 0);
    assert.equal(notification.Subject, "Trading platform unhealthy: database, queue, dlq");
    assert.match(notification.Message, /dlq: FAILED - 1 messages in the dead-letter queue/);
    assert.equal((await metric(namespace, "TradeOrdersDlqDepth"))[0].Maximum, 1);
    assert.equal((await metric(namespace, "TradeOrdersQueueDepth"))[0].Maximum, 2);
    assert.equal((await metric(namespace, "HealthCheckFailed", [{ Name: "Check", Value: "database" }]))[0].Maximum, 1);
  });

  it("checks the events DLQ when EVENTS_DLQ_URL is set", async () => {
    apiStatus = 200;
    const eventsDlq = await createQueue(`sqs-events-dlq-${uid()}`);
    await sendRaw(eventsDlq.url, "undeliverable event");
    const { env } = await monitorEnv({ METRIC_NAMESPACE: `Test${uid()}`, EVENTS_DLQ_URL: eventsDlq.url });
    const monitor = await coldStart("health-monitor", env);
    const { summary } = await run(monitor);
    assert.deepEqual(Object.keys(summary.checks), ["api", "database", "queue", "dlq", "eventsDlq"]);
    assert.deepEqual(summary.failed, ["eventsDlq"]);
    const [notification] = await drainJson(topic.observer.url);
    assert.equal(notification.Subject, "Trading platform unhealthy: eventsDlq");
  });

  it("alerts once per problem per run: a retry of the run alerts nothing again, or only what it newly finds", async () => {
    apiStatus = 503;
    lambdaMode = "probe";
    const { env, queue } = await monitorEnv({ METRIC_NAMESPACE: `Test${uid()}`, QUEUE_DEPTH_THRESHOLD: "1" });
    const monitor = await coldStart("health-monitor", env);
    await drainJson(topic.observer.url);

    const first = await run(monitor, "scheduled-run-a");
    assert.deepEqual(first.summary.failed, ["api"]);
    // Lambda retries the same event (the invocation failed after alerting, say).
    const retry = await run(monitor, "scheduled-run-a");
    assert.deepEqual(retry.summary.failed, ["api"]);
    assert.equal(retry.logs.messages("health alert already sent for this run").length, 1);
    let alerts = await drainJson(topic.observer.url);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].Subject, "Trading platform unhealthy: api");

    // A retry that finds a new problem alerts that one only.
    await sendRaw(queue.url, "waiting");
    const later = await run(monitor, "scheduled-run-a");
    assert.deepEqual(later.summary.failed, ["api", "queue"]);
    alerts = await drainJson(topic.observer.url);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].Subject, "Trading platform unhealthy: queue");
    assert.match(alerts[0].Message, /Already alerted in this run: api\./);

    // The next hour's run is another run: it alerts again.
    await run(monitor, "scheduled-run-b");
    alerts = await drainJson(topic.observer.url);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].Subject, "Trading platform unhealthy: api, queue");
  });

  it("leaves an alert that could not be sent to the run's retry", async () => {
    apiStatus = 503;
    lambdaMode = "probe";
    const { env } = await monitorEnv({ METRIC_NAMESPACE: `Test${uid()}` });
    const failing = await coldStart("health-monitor", {
      ...env,
      ALERTS_TOPIC_ARN: `arn:aws:sns:us-east-1:123456789012:missing-${uid()}`,
      AWS_MAX_ATTEMPTS: "1",
    });
    await drainJson(topic.observer.url);
    await assert.rejects(run(failing, "scheduled-run-c"), AggregateError);
    const working = await coldStart("health-monitor", env);
    await run(working, "scheduled-run-c");
    const alerts = await drainJson(topic.observer.url);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].Subject, "Trading platform unhealthy: api");
  });

  it("refuses to start without API_PROBE_FUNCTION: the api check is not optional", async () => {
    const { env } = await monitorEnv();
    delete env.API_PROBE_FUNCTION;
    await assert.rejects(coldStart("health-monitor", env), /missing required environment variable\(s\): API_PROBE_FUNCTION/);
  });

  it("fails the invocation when the alert cannot be sent, after publishing the metrics", async () => {
    apiStatus = 503;
    const namespace = `Test${uid()}`;
    const { env } = await monitorEnv({
      METRIC_NAMESPACE: namespace,
      ALERTS_TOPIC_ARN: `arn:aws:sns:us-east-1:123456789012:missing-${uid()}`,
      AWS_MAX_ATTEMPTS: "1",
    });
    const monitor = await coldStart("health-monitor", env);
    const logs = await captureLogs("health-monitor");
    try {
      await assert.rejects(monitor.handler({}, lambdaContext()), AggregateError);
    } finally {
      logs.restore();
    }
    assert.equal(logs.messages("health alert not published").length, 1);
    assert.equal((await metric(namespace, "HealthCheckFailed"))[0].Maximum, 1);
  });
});
