// health-monitor against a /health endpoint served here on loopback, the real
// PostgreSQL, and moto (SQS depths, CloudWatch metrics, SNS alerts observed
// through an SQS subscription).
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import {
  aws,
  captureLogs,
  coldStart,
  createDbSecret,
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
let topic;

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
  // A port nothing listens on: a database that is down.
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
  closedPort = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
  secretArn = await createDbSecret();
  topic = await createObservedTopic();
});

after(() => apiServer.close());

async function monitorEnv(overrides = {}) {
  const queue = await createQueue(`sqs-trade-orders-${uid()}`);
  const dlq = await createQueue(`sqs-trade-orders-dlq-${uid()}`);
  const env = {
    API_URL: `http://127.0.0.1:${apiServer.address().port}/dev`,
    DB_SECRET_ARN: secretArn,
    DB_ENDPOINT: process.env.PGHOST,
    DB_PORT: process.env.PGPORT,
    DB_NAME: "postgres",
    DB_SSL: "disable",
    TRADE_ORDERS_QUEUE_URL: queue.url,
    TRADE_ORDERS_DLQ_URL: dlq.url,
    ALERTS_TOPIC_ARN: topic.arn,
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

async function run(monitor) {
  const logs = await captureLogs("health-monitor");
  try {
    return { summary: await monitor.handler({ id: "scheduled-1", "detail-type": "Scheduled Event" }, lambdaContext(60000)), logs };
  } finally {
    logs.restore();
  }
}

describe("health-monitor", () => {
  it("reports healthy, publishes HealthCheckFailed=0 in TradingPlatform, and alerts no one", async () => {
    apiStatus = 200;
    apiRequests = [];
    const { env } = await monitorEnv();
    const monitor = await coldStart("health-monitor", env);
    const { summary } = await run(monitor);
    assert.equal(summary.status, "healthy");
    assert.deepEqual(summary.failed, []);
    assert.deepEqual(Object.keys(summary.checks), ["api", "database", "queue", "dlq"]);
    assert.ok(Object.values(summary.checks).every((c) => c.ok));
    assert.deepEqual(apiRequests, ["/dev/health"]);

    assert.deepEqual(await drainJson(topic.observer.url), []);
    const overall = await metric("TradingPlatform", "HealthCheckFailed");
    assert.equal(overall.length, 1);
    assert.equal(overall[0].Maximum, 0);
    const perCheck = await metric("TradingPlatform", "HealthCheckFailed", [{ Name: "Check", Value: "database" }]);
    assert.equal(perCheck[0].Maximum, 0);
  });

  it("alerts the topic and publishes HealthCheckFailed=1 when the API's /health fails", async () => {
    apiStatus = 503;
    const namespace = `Test${uid()}`;
    const { env } = await monitorEnv({ METRIC_NAMESPACE: namespace });
    const monitor = await coldStart("health-monitor", env);
    const { summary, logs } = await run(monitor);
    assert.equal(summary.status, "unhealthy");
    assert.deepEqual(summary.failed, ["api"]);
    assert.match(summary.checks.api.error, /503 \(failed: sessionsTable\)/);

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

  it("checks the events DLQ when EVENTS_DLQ_URL is set, and says the API was not checked without API_URL", async () => {
    apiStatus = 503; // would fail, but is not asked
    apiRequests = [];
    const eventsDlq = await createQueue(`sqs-events-dlq-${uid()}`);
    await sendRaw(eventsDlq.url, "undeliverable event");
    const { env } = await monitorEnv({ METRIC_NAMESPACE: `Test${uid()}`, EVENTS_DLQ_URL: eventsDlq.url });
    delete env.API_URL;
    const monitor = await coldStart("health-monitor", env);
    const { summary } = await run(monitor);
    assert.deepEqual(apiRequests, []);
    assert.deepEqual(summary.notChecked, ["api"]);
    assert.deepEqual(Object.keys(summary.checks), ["database", "queue", "dlq", "eventsDlq"]);
    assert.deepEqual(summary.failed, ["eventsDlq"]);
    const [notification] = await drainJson(topic.observer.url);
    assert.equal(notification.Subject, "Trading platform unhealthy: eventsDlq");
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
