// The Lambda runtime client `tp local` runs each execution environment
// with, behaving as the AWS Lambda Node.js runtime does: it loads the
// handler named by `_HANDLER` from `LAMBDA_TASK_ROOT`, then loops on the
// Runtime API (`AWS_LAMBDA_RUNTIME_API`) fetching the next event and posting
// the handler's answer or error.
//
// Started as `node --import ./sdk-register.mjs bootstrap.mjs <settings>`,
// where <settings> is JSON the Runtime API server hands over outside the
// process environment (which is the function's, as in Lambda):
//   { "mark": "<per-process nonce>",
//     "hosts": { "<hostname>": "<ip>" },
//     "url_rewrites": { "<origin>": "<local base URL>" } }
// After an answer's output, the client writes `<mark>:<request id>` as a
// line of its own to stdout and stderr, so the server knows every line the
// invocation wrote has been read before it closes the invocation's log.

import dns from "node:dns";
import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import Module from "node:module";
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import util from "node:util";

const settings = JSON.parse(process.argv[2] ?? "{}");
// The handler sees the argv of Lambda's runtime: node and the runtime's entry.
process.argv.splice(2);

const RUNTIME_PACKAGE = new URL("./package.json", import.meta.url).pathname;
const TASK_ROOT = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
const API = process.env.AWS_LAMBDA_RUNTIME_API;
const MARK = settings.mark ?? "";

let currentRequestId;

// ---- console, as the Node.js runtime formats it -------------------------
// AWS_LAMBDA_LOG_FORMAT=JSON (Lambda's advanced logging controls) makes each
// call one JSON object; AWS_LAMBDA_LOG_LEVEL drops the calls below it.

const JSON_FORMAT = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === "JSON";
const PRIORITY = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };

/** An Error as the JSON format shows it: type, message, stack lines, and its own fields. */
function errorFields(error) {
  return {
    errorType: error?.constructor?.name ?? "UnknownError",
    errorMessage: error.message,
    stackTrace: typeof error.stack === "string" ? error.stack.split("\n") : error.stack,
  };
}

function errorReplacer(_key, value) {
  return value instanceof Error ? Object.assign(errorFields(value), value) : value;
}

/**
 * One JSON log record. A single argument is the message as it is (an
 * object stays an object, an Error becomes its fields); several are
 * formatted as text, the first Error among them described alongside.
 */
function jsonRecord(level, args) {
  const record = { timestamp: new Date().toISOString(), level, requestId: currentRequestId };
  if (args.length <= 1) {
    record.message = args[0];
    try {
      return JSON.stringify(record, errorReplacer);
    } catch {
      // Circular, BigInt, a throwing toJSON: the text form instead.
      record.message = util.format(args[0]);
      return JSON.stringify(record);
    }
  }
  record.message = util.format(...args);
  const error = args.find((a) => a instanceof Error);
  if (error) {
    const fields = errorFields(error);
    if (!Array.isArray(fields.stackTrace)) fields.stackTrace = [];
    Object.assign(record, fields);
  }
  return JSON.stringify(record);
}

function textRecord(level, args) {
  return `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${util.format(...args)}`;
}

function patchConsole() {
  const threshold = PRIORITY[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? PRIORITY.TRACE;
  const format = JSON_FORMAT ? jsonRecord : textRecord;
  const writer = (level) => (...args) => {
    // One log event per call: newlines inside it become \r, as the
    // runtime writes them to stdout.
    process.stdout.write(`${format(level, args).replace(/\n/g, "\r")}\n`);
  };
  const nothing = () => {};
  for (const [name, level] of Object.entries({
    trace: "TRACE",
    debug: "DEBUG",
    info: "INFO",
    warn: "WARN",
    error: "ERROR",
  })) {
    console[name] = PRIORITY[level] >= threshold ? writer(level) : nothing;
  }
  console.log = console.info;
  // The runtime never filters console.fatal.
  console.fatal = writer("FATAL");
}

/**
 * Logs an error the runtime reports (`Invoke Error`, `Uncaught Exception`,
 * ...): in Text, the label and the error document; in JSON, the error
 * itself (the label is not kept, as in the runtime).
 */
function logError(what, error) {
  if (!JSON_FORMAT) console.error(what, logged(errorDocument(error)));
  else if (what === "Unhandled Promise Rejection") console.error(new UnhandledPromiseRejection(error));
  else console.error(error instanceof Error ? error : new Error(error));
}

/** What the runtime makes of a rejection nobody handled. */
class UnhandledPromiseRejection extends Error {
  constructor(reason) {
    super(reason);
    this.reason = reason;
  }
}
UnhandledPromiseRejection.prototype.name = "Runtime.UnhandledPromiseRejection";

function writeMark(id) {
  const line = `${MARK}:${id}\n`;
  process.stdout.write(line);
  process.stderr.write(line);
}

// ---- network emulation -------------------------------------------------

function patchLookup(hosts) {
  const table = new Map(Object.entries(hosts ?? {}).map(([name, ip]) => [name.toLowerCase(), ip]));
  if (table.size === 0) return;
  const mapped = (hostname) => (typeof hostname === "string" ? table.get(hostname.toLowerCase()) : undefined);
  const answer = (ip, options) => {
    const family = net.isIPv6(ip) ? 6 : 4;
    return options?.all ? [[{ address: ip, family }]] : [ip, family];
  };
  const lookup = dns.lookup;
  dns.lookup = function (hostname, options, callback) {
    const ip = mapped(hostname);
    if (ip === undefined) return lookup.apply(this, arguments);
    if (typeof options === "function") {
      callback = options;
      options = {};
    } else if (typeof options === "number") {
      options = { family: options };
    }
    const args = answer(ip, options);
    process.nextTick(() => callback(null, ...args));
    return {};
  };
  const promised = dns.promises.lookup;
  dns.promises.lookup = async function (hostname, options) {
    const ip = mapped(hostname);
    if (ip === undefined) return promised.apply(this, arguments);
    const family = net.isIPv6(ip) ? 6 : 4;
    return typeof options === "object" && options?.all ? [{ address: ip, family }] : { address: ip, family };
  };
}

function patchFetch(rewrites) {
  const table = Object.entries(rewrites ?? {}).map(([from, to]) => [new URL(from).origin, new URL(to)]);
  if (table.length === 0 || typeof globalThis.fetch !== "function") return;
  const original = globalThis.fetch;
  globalThis.fetch = async function fetch(input, init) {
    const isRequest = typeof Request !== "undefined" && input instanceof Request;
    let url;
    try {
      url = new URL(isRequest ? input.url : String(input));
    } catch {
      return original(input, init);
    }
    const hit = table.find(([origin]) => origin === url.origin);
    if (!hit) return original(input, init);
    const base = hit[1];
    const target = new URL(`${base.pathname.replace(/\/$/, "")}${url.pathname}${url.search}`, base.origin);
    if (!isRequest) return original(target, init);
    const body = input.method === "GET" || input.method === "HEAD" ? undefined : await input.arrayBuffer();
    return original(target, {
      method: input.method,
      headers: input.headers,
      body,
      redirect: input.redirect,
      signal: input.signal,
      ...init,
    });
  };
}

// ---- module resolution for require() -----------------------------------
// The ES module hooks (sdk-hooks.mjs) do not see require(); the same rules
// apply to CommonJS handlers here.

function patchRequire() {
  const original = Module._resolveFilename;
  const taskRoot = `${TASK_ROOT.replace(/\/$/, "")}/`;
  const runtimeRequire = createRequire(RUNTIME_PACKAGE);
  Module._resolveFilename = function (request, parent, ...rest) {
    const fromTask = parent?.filename?.startsWith(taskRoot);
    const bare = !(
      request.startsWith(".") ||
      request.startsWith("/") ||
      request.startsWith("node:") ||
      Module.isBuiltin(request)
    );
    if (!fromTask || !bare) return original.call(this, request, parent, ...rest);
    const sdk = request.startsWith("@aws-sdk/");
    let resolved;
    try {
      resolved = original.call(this, request, parent, ...rest);
    } catch (err) {
      if (sdk && err?.code === "MODULE_NOT_FOUND") return runtimeRequire.resolve(request);
      throw err;
    }
    if (resolved.startsWith(taskRoot)) return resolved;
    if (sdk) return runtimeRequire.resolve(request);
    const err = new Error(`Cannot find module '${request}'\nRequire stack:\n- ${parent.filename}`);
    err.code = "MODULE_NOT_FOUND";
    throw err;
  };
}

// ---- Runtime API client --------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, pathname, body, headers = {}) {
  const [host, port] = API.split(":");
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host, port, method, path: pathname, agent, headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) } },
      (response) => {
        const chunks = [];
        response.on("data", (chunk) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

function isError(value) {
  return util.types.isNativeError(value) || (value !== null && typeof value === "object" && typeof value.name === "string" && typeof value.message === "string" && typeof value.stack === "string");
}

/** The Runtime API's error document for a thrown value, as the runtime builds it. */
function errorDocument(error) {
  try {
    if (isError(error)) {
      return { errorType: error.name, errorMessage: error.message, trace: error.stack.split("\n") };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return {
      errorType: "handled",
      errorMessage: "callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack",
      trace: [],
    };
  }
}

function logged(document) {
  return `\t${JSON.stringify({ errorType: document.errorType, errorMessage: document.errorMessage, stack: document.trace })}`;
}

async function postError(pathname, error) {
  const document = errorDocument(error);
  await call("POST", pathname, JSON.stringify(document), { "lambda-runtime-function-error-type": document.errorType });
}

// ---- loading the handler, as the runtime resolves `_HANDLER` -----------

function runtimeError(name, message, cause) {
  const err = new Error(message, cause ? { cause } : undefined);
  err.name = name;
  return err;
}

const require = createRequire(path.join(TASK_ROOT, "__tp_local_runtime__.js"));

function tryRequire(file) {
  return fs.existsSync(file) ? require(file) : undefined;
}

async function tryImport(file) {
  return fs.existsSync(file) ? import(pathToFileURL(file).href) : undefined;
}

function typeModule(file) {
  // The nearest package.json decides whether .js is an ES module.
  let dir = path.dirname(file);
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest)) {
      try {
        return JSON.parse(fs.readFileSync(manifest, "utf8")).type === "module";
      } catch {
        return false;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

async function loadModule(moduleRoot, module) {
  const file = path.resolve(TASK_ROOT, moduleRoot, module);
  const extensionless = tryRequire(file);
  if (extensionless) return extensionless;
  const esm = typeModule(file);
  if (!esm) {
    const loaded = tryRequire(`${file}.js`);
    if (loaded) return loaded;
  }
  const loaded =
    (esm && (await tryImport(`${file}.js`))) || (await tryImport(`${file}.mjs`)) || tryRequire(`${file}.cjs`);
  if (loaded) return loaded;
  return require(require.resolve(module, { paths: [TASK_ROOT, path.join(TASK_ROOT, moduleRoot)] }));
}

async function loadHandler(fullHandler) {
  const slash = fullHandler.lastIndexOf("/");
  const moduleRoot = fullHandler.substring(0, slash + 1);
  const moduleAndHandler = fullHandler.substring(slash + 1);
  const match = /^([^.]*)\.(.*)$/.exec(moduleAndHandler);
  if (!match) throw runtimeError("Runtime.MalformedHandlerName", "Bad handler");
  const [, module, handlerPath] = match;
  let app;
  try {
    app = await loadModule(moduleRoot, module);
  } catch (err) {
    if (err instanceof SyntaxError) throw runtimeError("Runtime.UserCodeSyntaxError", `${err.name}: ${err.message}`, err);
    if (err?.code === "MODULE_NOT_FOUND" || err?.code === "ERR_MODULE_NOT_FOUND") {
      throw runtimeError("Runtime.ImportModuleError", `${err.name}: ${err.message}`, err);
    }
    throw err;
  }
  let handler = app;
  for (const part of handlerPath.split(".")) {
    handler = handler?.[part];
  }
  if (handler === undefined || handler === null) {
    throw runtimeError("Runtime.HandlerNotFound", `${fullHandler} is undefined or not exported`);
  }
  if (typeof handler !== "function") {
    throw runtimeError("Runtime.HandlerNotFound", `${fullHandler} is not a function`);
  }
  return handler;
}

// ---- one invocation ------------------------------------------------------

// What to do when the event loop empties during an invocation: answer with
// the callback's value (callbackWaitsForEmptyEventLoop), or null when the
// handler neither returned a promise nor called back.
let onEmptyLoop = null;
process.on("beforeExit", () => {
  const action = onEmptyLoop;
  onEmptyLoop = null;
  action?.();
});

let onUncaught = null;
process.on("uncaughtException", (err) => {
  if (onUncaught) onUncaught(err, "Uncaught Exception", 129);
  else {
    logError("Uncaught Exception", err);
    process.exit(129);
  }
});
process.on("unhandledRejection", (reason) => {
  if (onUncaught) onUncaught(reason, "Unhandled Promise Rejection", 128);
  else {
    logError("Unhandled Promise Rejection", reason);
    process.exit(128);
  }
});

function invoke(handler, headers, body) {
  const id = headers["lambda-runtime-aws-request-id"];
  const deadline = Number(headers["lambda-runtime-deadline-ms"]);
  const trace = headers["lambda-runtime-trace-id"];
  if (trace) process.env._X_AMZN_TRACE_ID = trace;
  else delete process.env._X_AMZN_TRACE_ID;
  currentRequestId = id;

  return new Promise((done) => {
    let finished = false;
    const answer = async (error, result) => {
      let document;
      if (error === undefined || error === null) {
        try {
          document = JSON.stringify(result === undefined ? null : result);
        } catch (err) {
          error = err;
        }
      }
      if (document === undefined) logError("Invoke Error", error);
      writeMark(id);
      if (document === undefined) await postError(`/2018-06-01/runtime/invocation/${id}/error`, error);
      else await call("POST", `/2018-06-01/runtime/invocation/${id}/response`, document);
    };
    const finish = (error, result) => {
      if (finished) return;
      finished = true;
      onEmptyLoop = null;
      onUncaught = null;
      answer(error, result).then(done, (err) => {
        process.stderr.write(`tp local runtime: cannot post the answer of ${id}: ${err}\n`);
        process.exit(1);
      });
    };
    onUncaught = (err, what, code) => {
      if (finished) {
        logError(what, err);
        process.exit(code);
      }
      finished = true;
      onEmptyLoop = null;
      onUncaught = null;
      logError(what, err);
      answer(err).finally(() => process.exit(code));
    };
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      awsRequestId: id,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      identity: undefined,
      clientContext: undefined,
      getRemainingTimeInMillis: () => deadline - Date.now(),
      done: (error, result) => finish(error, result),
      succeed: (result) => finish(null, result),
      fail: (error) => finish(error ?? "handled"),
    };
    const callback = (error, result) => {
      if (finished) return;
      if (context.callbackWaitsForEmptyEventLoop) onEmptyLoop = () => finish(error, result);
      else finish(error, result);
    };
    onEmptyLoop = () => finish(null, null);
    let event;
    try {
      event = JSON.parse(body);
    } catch (err) {
      finish(err);
      return;
    }
    try {
      const result = handler(event, context, callback);
      if (result !== null && typeof result === "object" && typeof result.then === "function") {
        result.then(
          (value) => finish(null, value),
          (err) => finish(err ?? "handled"),
        );
      }
    } catch (err) {
      finish(err);
    }
  });
}

// ---- main ----------------------------------------------------------------

patchConsole();
patchLookup(settings.hosts);
patchFetch(settings.url_rewrites);
patchRequire();

let handler;
try {
  handler = await loadHandler(process.env._HANDLER ?? "");
} catch (err) {
  logError("Uncaught Exception", err);
  await postError("/2018-06-01/runtime/init/error", err);
  process.exit(129);
}

for (;;) {
  const next = await call("GET", "/2018-06-01/runtime/invocation/next");
  if (next.status !== 200) {
    process.stderr.write(`tp local runtime: next invocation answered HTTP ${next.status}: ${next.body}\n`);
    process.exit(1);
  }
  await invoke(handler, next.headers, next.body);
}
