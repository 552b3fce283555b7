// api-probe: GET {API_URL}/health from outside the VPC, for health-monitor,
// which runs in a network without a NAT gateway and so cannot reach the
// API's public endpoint itself. Invoked synchronously; whatever the API
// does, it answers (never throws for the API's sake):
//
//   { ok, status, latencyMs, body }
//
// `ok` is true when /health answered 200 (also when degraded: the API still
// accepts orders); `status` is the HTTP status, or null when no answer came
// (then `error` says why: a timeout, a refused connection, DNS); `body` is
// the answer's JSON, or its text (at most 2,000 characters) when not JSON.
//
// Environment: API_URL (required: the stage's invoke URL);
// PROBE_TIMEOUT_MS (default 5000), LOG_LEVEL (optional).

import { requireEnv } from "./lib/aws.mjs";
import { createLogger } from "./lib/logger.mjs";

const env = requireEnv(["API_URL"]);
const PROBE_TIMEOUT_MS = Number.parseInt(process.env.PROBE_TIMEOUT_MS ?? "", 10) || 5000;
const HEALTH_URL = `${env.API_URL.replace(/\/+$/, "")}/health`;
const MAX_TEXT = 2000;

const baseLog = createLogger();

export const handler = async (event, context = {}) => {
  const log = baseLog.child({ requestId: context.awsRequestId });
  const started = Date.now();
  try {
    const res = await fetch(HEALTH_URL, {
      headers: { Accept: "application/json" },
      redirect: "manual",
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    const text = await res.text();
    const latencyMs = Date.now() - started;
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = text.slice(0, MAX_TEXT);
    }
    const result = { ok: res.status === 200, status: res.status, latencyMs, body };
    log[result.ok ? "info" : "warn"]("api probed", { url: HEALTH_URL, status: res.status, latencyMs });
    return result;
  } catch (err) {
    const latencyMs = Date.now() - started;
    const timedOut = err?.name === "TimeoutError" || err?.name === "AbortError";
    const error = timedOut
      ? `no answer from ${HEALTH_URL} within ${PROBE_TIMEOUT_MS} ms`
      : `GET ${HEALTH_URL} failed: ${err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(err)}`;
    log.warn("api probe failed", { url: HEALTH_URL, latencyMs, error: err });
    return { ok: false, status: null, latencyMs, body: null, error };
  }
};
