// api-probe against an API served here on loopback: what it answers for a
// healthy, degraded and failing /health, a body that is not JSON, an API that
// does not answer in time and one that refuses the connection.
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { coldStart, lambdaContext } from "./support/harness.mjs";

let server;
let answer; // (req, res) => void, set per test
let requests = [];
let base;

before(async () => {
  server = http.createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, accept: req.headers.accept });
    answer(req, res);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const json = (status, body) => (req, res) => {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
};

async function probeWith(answerWith, env = {}) {
  answer = answerWith;
  requests = [];
  const probe = await coldStart("api-probe", { API_URL: `${base}/v1/`, ...env });
  return probe.handler({ source: "health-monitor" }, lambdaContext(10000));
}

describe("api-probe", () => {
  it("answers ok with the status, latency and body of a 200, degraded or not", async () => {
    const result = await probeWith(json(200, { status: "ok", checks: { database: "ok" } }));
    assert.deepEqual(requests, [{ method: "GET", url: "/v1/health", accept: "application/json" }]);
    assert.deepEqual({ ...result, latencyMs: undefined }, {
      ok: true,
      status: 200,
      latencyMs: undefined,
      body: { status: "ok", checks: { database: "ok" } },
    });
    assert.ok(Number.isInteger(result.latencyMs) && result.latencyMs >= 0);

    const degraded = await probeWith(json(200, { status: "degraded", degraded: ["database"] }));
    assert.equal(degraded.ok, true);
    assert.deepEqual(degraded.body.degraded, ["database"]);
  });

  it("answers not ok with the status and body of a failing /health, and the text of a body that is not JSON", async () => {
    const failing = await probeWith(json(503, { status: "unavailable", failed: ["sessionsTable"] }));
    assert.equal(failing.ok, false);
    assert.equal(failing.status, 503);
    assert.deepEqual(failing.body, { status: "unavailable", failed: ["sessionsTable"] });

    const html = await probeWith((req, res) => {
      res.writeHead(502, { "Content-Type": "text/html" });
      res.end(`<html>${"x".repeat(5000)}</html>`);
    });
    assert.equal(html.ok, false);
    assert.equal(html.status, 502);
    assert.equal(html.body.length, 2000);
    assert.ok(html.body.startsWith("<html>"));
  });

  it("answers not ok, without a status, when the API does not answer within PROBE_TIMEOUT_MS", async () => {
    const result = await probeWith(() => {}, { PROBE_TIMEOUT_MS: "200" });
    assert.equal(requests.length, 1);
    assert.equal(result.ok, false);
    assert.equal(result.status, null);
    assert.equal(result.error, `no answer from ${base}/v1/health within 200 ms`);
    assert.ok(result.latencyMs >= 200 && result.latencyMs < 5000, `latency ${result.latencyMs}`);
    server.closeAllConnections();
  });

  it("answers not ok when the connection is refused", async () => {
    const closed = net.createServer();
    await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = closed.address().port;
    await new Promise((resolve) => closed.close(resolve));
    const probe = await coldStart("api-probe", { API_URL: `http://127.0.0.1:${port}` });
    const result = await probe.handler({}, lambdaContext(10000));
    assert.deepEqual(
      { ...result, latencyMs: undefined },
      { ok: false, status: null, latencyMs: undefined, body: null, error: `GET http://127.0.0.1:${port}/health failed: ECONNREFUSED` },
    );
  });

  it("refuses to start without API_URL", async () => {
    await assert.rejects(coldStart("api-probe", {}), /missing required environment variable\(s\): API_URL/);
  });
});
