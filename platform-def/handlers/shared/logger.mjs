// Structured JSON logging: one JSON object per line on stdout.
//
// Shared: the only copy in the tree. Each function declares
// `include: { "lib": "handlers/shared" }` (platform-def/src/lib.rs), so
// synthesis zips this directory into every function's asset under lib/, and
// the handler imports ./lib/logger.mjs.
//
// Lines go to process.stdout directly rather than through console.log, which
// the Lambda runtime prefixes with a timestamp and request id in text log
// format; a bare JSON line is what CloudWatch Logs Insights parses as fields.

// LOG_LEVEL (or Lambda's AWS_LAMBDA_LOG_LEVEL): debug, info (default), warn,
// error, or silent.
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

function levelFromEnv() {
  const wanted = String(process.env.LOG_LEVEL || process.env.AWS_LAMBDA_LOG_LEVEL || "info").toLowerCase();
  return LEVELS[wanted] ?? LEVELS.info;
}

/** An Error (or anything thrown) as plain JSON-safe fields; never the stack of a non-error. */
export function describeError(err) {
  if (err === null || err === undefined) return { message: String(err) };
  if (typeof err !== "object") return { message: String(err) };
  const out = { name: err.name, message: err.message };
  if (err.code !== undefined) out.code = err.code;
  if (err.$metadata?.httpStatusCode !== undefined) out.httpStatusCode = err.$metadata.httpStatusCode;
  if (err.stack && levelFromEnv() <= LEVELS.debug) out.stack = err.stack;
  return out;
}

let sink = (line) => process.stdout.write(line + "\n");

/** Replaces where lines go (tests capture them); returns the previous sink. */
export function setLogSink(fn) {
  const previous = sink;
  sink = fn;
  return previous;
}

function emit(level, base, msg, fields) {
  if (LEVELS[level] < levelFromEnv()) return;
  const record = {
    timestamp: new Date().toISOString(),
    level,
    msg,
    ...base,
  };
  for (const [k, v] of Object.entries(fields || {})) {
    record[k] = v instanceof Error ? describeError(v) : v;
  }
  let line;
  try {
    line = JSON.stringify(record);
  } catch {
    line = JSON.stringify({ timestamp: record.timestamp, level, msg, note: "fields not serializable" });
  }
  sink(line);
}

/**
 * A logger whose every line carries `base` (function name, request id...).
 * `child(more)` adds fields for a narrower scope, such as one SQS message.
 */
export function createLogger(base = {}) {
  const fixed = { function: process.env.AWS_LAMBDA_FUNCTION_NAME, ...base };
  return {
    debug: (msg, fields) => emit("debug", fixed, msg, fields),
    info: (msg, fields) => emit("info", fixed, msg, fields),
    warn: (msg, fields) => emit("warn", fixed, msg, fields),
    error: (msg, fields) => emit("error", fixed, msg, fields),
    child: (more) => createLogger({ ...fixed, ...more }),
  };
}
