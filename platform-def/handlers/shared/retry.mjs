// Retries with capped exponential backoff and full jitter.
//
// Shared: every function's asset holds it as lib/retry.mjs (see logger.mjs).
//
// AWS SDK calls already retry throttling and transient errors with the SDK's
// standard strategy (exponential backoff, full jitter, retry quota). This
// module covers what the SDK does not: database operations, and results that
// succeed at the HTTP level but report per-entry failures (EventBridge
// PutEvents).

/** Settings from the environment; every one optional. */
export function retryOptionsFromEnv(env = process.env) {
  const int = (name, fallback) => {
    const n = Number.parseInt(env[name] ?? "", 10);
    return Number.isFinite(n) && n >= 0 ? n : fallback;
  };
  return {
    maxAttempts: Math.max(1, int("RETRY_MAX_ATTEMPTS", 4)),
    baseDelayMs: int("RETRY_BASE_DELAY_MS", 200),
    maxDelayMs: int("RETRY_MAX_DELAY_MS", 3000),
  };
}

/**
 * The delay before retry number `retry` (0 for the first retry): a uniformly
 * random value in [0, min(maxDelayMs, baseDelayMs * 2^retry)] ("full jitter").
 */
export function backoffDelay(retry, { baseDelayMs, maxDelayMs, random = Math.random }) {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** retry);
  return Math.floor(random() * (ceiling + 1));
}

const defaultSleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Raised when retrying stopped; `cause` is the last error, `attempts` how many were made. */
export class RetriesExhaustedError extends Error {
  constructor(operation, attempts, cause) {
    super(`${operation} failed after ${attempts} attempt(s): ${cause?.message ?? cause}`);
    this.name = "RetriesExhaustedError";
    this.operation = operation;
    this.attempts = attempts;
    this.cause = cause;
    this.retryable = true;
  }
}

/**
 * Runs `fn(attempt)` until it succeeds, throws an error `isRetryable` rejects,
 * or `maxAttempts` are spent. A non-retryable error is rethrown as is; running
 * out of attempts throws RetriesExhaustedError.
 *
 * `deadline` (epoch ms): no retry is started whose backoff would end past it,
 * so a Lambda invocation can still report its results before its timeout.
 */
export async function withRetry(fn, options = {}) {
  const {
    operation = "operation",
    maxAttempts = 4,
    baseDelayMs = 200,
    maxDelayMs = 3000,
    isRetryable = () => true,
    onRetry = () => {},
    deadline = Infinity,
    sleep = defaultSleep,
    random = Math.random,
    now = Date.now,
  } = options;
  let attempt = 0;
  for (;;) {
    attempt += 1;
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isRetryable(err)) throw err;
      if (attempt >= maxAttempts) throw new RetriesExhaustedError(operation, attempt, err);
      const delayMs = backoffDelay(attempt - 1, { baseDelayMs, maxDelayMs, random });
      if (now() + delayMs >= deadline) throw new RetriesExhaustedError(operation, attempt, err);
      onRetry({ operation, attempt, delayMs, error: err });
      await sleep(delayMs);
    }
  }
}

const TRANSIENT_NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

/** Whether a node-postgres (or socket) error is worth retrying. */
export function isTransientDbError(err) {
  if (!err) return false;
  const code = typeof err.code === "string" ? err.code : "";
  if (TRANSIENT_NETWORK_CODES.has(code)) return true;
  // SQLSTATE classes and codes that a retry can cure:
  // 08 connection exception, 53 insufficient resources, 57P01-57P03 admin
  // shutdown / crash shutdown / cannot connect now, 40001 serialization
  // failure, 40P01 deadlock, 55P03 lock not available, 57014 statement timeout.
  if (/^(08|53)/.test(code)) return true;
  if (["57P01", "57P02", "57P03", "40001", "40P01", "55P03", "57014"].includes(code)) return true;
  const message = String(err.message || "");
  return /Connection terminated|timeout exceeded when trying to connect|Connection ended unexpectedly|connect ETIMEDOUT|Query read timeout/i.test(
    message,
  );
}

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestThrottledException",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "SlowDown",
  "RequestThrottled",
  "LimitExceededException",
]);
const TRANSIENT_AWS = new Set([
  "InternalFailure",
  "InternalError",
  "InternalServerError",
  "InternalException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
]);

/** Whether an AWS error code (from an exception or a per-entry result) is throttling or transient. */
export function isTransientAwsError(errOrCode) {
  if (!errOrCode) return false;
  if (typeof errOrCode === "string") return THROTTLING.has(errOrCode) || TRANSIENT_AWS.has(errOrCode);
  const err = errOrCode;
  if (err.$retryable) return true;
  if (THROTTLING.has(err.name) || TRANSIENT_AWS.has(err.name)) return true;
  if (THROTTLING.has(err.code) || TRANSIENT_AWS.has(err.code)) return true;
  const status = err.$metadata?.httpStatusCode;
  if (status === 429 || (status >= 500 && status <= 599)) return true;
  return TRANSIENT_NETWORK_CODES.has(err.code);
}
