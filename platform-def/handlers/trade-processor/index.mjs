// trade-processor: consumes batches from the trade-orders queue (SQS event
// source with ReportBatchItemFailures). Each trade is booked once and its
// effects happen once, whatever the number of deliveries of its message and
// wherever a process dies:
//
//   1. One transaction: INSERT the trade ... ON CONFLICT DO NOTHING (the
//      unique keys: trade_id, and (caller_id, client_order_id), which the
//      trade id derives from), and, when inserted, its outbox row (the
//      TradeProcessed event to publish). A second delivery finds the row; if
//      its order differs (the same caller's client order id reused for
//      another order, which trade-api refuses with 409 but a race could let
//      through) the message fails, with an error log line that is also an
//      EMF metric (OrderConflicts), until it reaches the dead-letter queue.
//   2. The session's tradesProcessed counter: one DynamoDB transaction that
//      adds 1 and creates a per-trade marker item (`#trade#<trade id>`, a key
//      no session id can have) only if absent, so it counts once.
//   3. The outbox row: claimed atomically for a lease (UPDATE ... WHERE
//      published_at IS NULL AND the claim is free or expired RETURNING),
//      published with PutEvents, marked published. A delivery that finds it
//      claimed by another waits for that one, or for its lease to run out.
//      The event carries the trade id and the audit record is keyed on it,
//      so an event published twice (a crash after PutEvents) is audited once.
//   After the batch, outbox rows left unpublished past their lease (their
//   message is gone) are published too.
//
// A message that fails is reported in `batchItemFailures`, alone: the others
// of the batch succeed. Transient database errors and throttled or failed
// event entries are retried with exponential backoff and full jitter (AWS
// calls also by the SDK's own retry strategy); when the database stays
// unreachable the remaining messages are failed at once and stay on the
// queue for redelivery. Logs are JSON lines.
//
// The schema is the deploy's (the `migrate` after-deploy function): this
// function connects as a role that reads and writes rows and creates
// nothing (DB_SECRET_ARN is that role's secret). Without the tables it
// fails the batch, saying to run the migration.
//
// Environment: SESSIONS_TABLE, DB_SECRET_ARN, DB_ENDPOINT, DB_PORT, DB_NAME,
// EVENT_BUS_NAME (required); DB_SSL=disable (local tests only), DB_CA_FILE,
// DB_CONNECT_TIMEOUT_MS, DB_QUERY_TIMEOUT_MS, RETRY_MAX_ATTEMPTS,
// RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS, SESSION_TTL_SECONDS,
// OUTBOX_LEASE_SECONDS (default 60, below the queue's visibility timeout),
// METRIC_NAMESPACE (default TradingPlatform), LOG_LEVEL (optional).
// TRADE_PROCESSOR_CRASH_AT is for the tests only (see crashPoint).

import { DynamoDBClient, TransactionCanceledException, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { clientConfig, requireEnv } from "./lib/aws.mjs";
import { createPool, dbSettings, isAuthError, readCredentials } from "./lib/db.mjs";
import { createLogger } from "./lib/logger.mjs";
import { canonicalAmount, canonicalOrder, differingFields, parseTradeMessage } from "./lib/orders.mjs";
import {
  isTransientAwsError,
  isTransientDbError,
  RetriesExhaustedError,
  retryOptionsFromEnv,
  withRetry,
} from "./lib/retry.mjs";

export const EVENT_SOURCE = "trading.processor";
export const EVENT_DETAIL_TYPE = "TradeProcessed";

const env = requireEnv(["SESSIONS_TABLE", "DB_SECRET_ARN", "DB_ENDPOINT", "DB_PORT", "DB_NAME", "EVENT_BUS_NAME"]);
const settings = dbSettings(process.env);
const retryOptions = retryOptionsFromEnv(process.env);
const SESSION_TTL_SECONDS = Number.parseInt(process.env.SESSION_TTL_SECONDS ?? "", 10) || 86400;
// A trade's session marker outlives every redelivery of its message (SQS
// keeps one 14 days at most).
const MARKER_TTL_SECONDS = Math.max(SESSION_TTL_SECONDS, 15 * 86400);
const OUTBOX_LEASE_SECONDS = Number.parseFloat(process.env.OUTBOX_LEASE_SECONDS ?? "") || 60;
const METRIC_NAMESPACE = process.env.METRIC_NAMESPACE || "TradingPlatform";
// Time kept in reserve to answer before the function's timeout.
const TIME_RESERVE_MS = 3000;

/**
 * Test hook: TRADE_PROCESSOR_CRASH_AT names a step (`after-commit`,
 * `after-put-events`, `before-ack`) at which the invocation dies, as a
 * process killed there would: the error escapes the handler, so nothing of
 * the batch is acknowledged and nothing after the step runs. Never set in
 * a deployment (the definition does not know it).
 */
const CRASH_AT = process.env.TRADE_PROCESSOR_CRASH_AT || "";
export class InjectedCrash extends Error {
  constructor(point) {
    super(`injected crash at ${point}`);
    this.name = "InjectedCrash";
  }
}
function crashPoint(point) {
  if (CRASH_AT === point) throw new InjectedCrash(point);
}

const secrets = new SecretsManagerClient(clientConfig());
const dynamodb = new DynamoDBClient(clientConfig());
const eventbridge = new EventBridgeClient(clientConfig());
const baseLog = createLogger();

// Per execution environment: credentials, pool, and whether the schema is
// known to be there. Records are processed one at a time, so no locking.
let credentials;
let pool;
let schemaChecked = false;

/** The tables this code writes; the deploy's `migrate` step creates them. */
const REQUIRED_TABLES = ["trades", "trade_outbox"];

/**
 * The schema is missing or older than this code: the deploy's migration has
 * not run against this database. Not retried: no delivery can cure it.
 */
export class SchemaMissingError extends Error {
  constructor(database, missing) {
    super(
      `the database ${database} lacks the table(s) ${missing.join(", ")}: run the deploy's migration (the after-deploy function migrate, which tp deploy and tp local up invoke) before processing trades`,
    );
    this.name = "SchemaMissingError";
  }
}

async function database(log) {
  if (!credentials) credentials = await readCredentials(secrets, env.DB_SECRET_ARN);
  if (!pool) {
    pool = createPool(settings, credentials, {
      onError: (err) => baseLog.warn("idle database connection lost", { error: err }),
    });
  }
  if (!schemaChecked) {
    // This function connects as a role that can create nothing: the schema
    // is the migration's, run once per deploy.
    const { rows } = await pool.query("SELECT t AS name FROM unnest($1::text[]) AS t WHERE to_regclass('public.' || t) IS NULL", [
      REQUIRED_TABLES,
    ]);
    if (rows.length) {
      const missing = new SchemaMissingError(env.DB_NAME, rows.map((r) => r.name));
      log.error("database schema missing", { error: missing });
      throw missing;
    }
    schemaChecked = true;
  }
  return pool;
}

async function forgetConnection() {
  const old = pool;
  pool = undefined;
  credentials = undefined;
  if (old) await old.end().catch(() => {});
}

/** Runs `fn(pool)`, connecting (and checking the schema) first, retrying transient failures. */
function withDatabase(operation, fn, log, deadline) {
  return withRetry(
    async () => {
      const db = await database(log);
      return fn(db);
    },
    {
      ...retryOptions,
      operation,
      deadline,
      isRetryable: (err) => {
        if (err instanceof InjectedCrash) return false;
        if (isAuthError(err)) {
          // The secret may have been rotated: read it again on the next attempt.
          forgetConnection();
          return true;
        }
        return isTransientDbError(err);
      },
      onRetry: ({ attempt, delayMs, error }) => log.warn("retrying database operation", { operation, attempt, delayMs, error }),
    },
  );
}

/** The stored trade and the delivered one name different orders. */
export class OrderConflictError extends Error {
  constructor(fields, storedTradeId) {
    super(`the caller's client order id is already booked for a different order (${fields.join(", ")} differ)`);
    this.name = "OrderConflict";
    this.fields = fields;
    this.storedTradeId = storedTradeId;
  }
}

const TRADE_COLUMNS =
  "trade_id, caller_id, client_order_id, session_id, symbol, side, order_type, quantity::text AS quantity, " +
  "limit_price::text AS limit_price, submitted_at, processed_at, session_recorded_at, event_published_at";

/** The TradeProcessed event's detail: amounts as decimal strings, the trade id its key. */
function eventDetail(trade, processedAt) {
  return {
    tradeId: trade.tradeId,
    callerId: trade.callerId,
    clientOrderId: trade.clientOrderId,
    sessionId: trade.sessionId,
    symbol: trade.symbol,
    side: trade.side,
    orderType: trade.orderType,
    quantity: trade.quantity,
    ...(trade.limitPrice === undefined ? {} : { limitPrice: trade.limitPrice }),
    status: "processed",
    submittedAt: trade.submittedAt,
    processedAt,
  };
}

/** The canonical order of a stored row (numeric(20, 8) text made canonical). */
function orderOfRow(row) {
  return canonicalOrder({
    clientOrderId: row.client_order_id,
    sessionId: row.session_id,
    symbol: row.symbol,
    side: row.side,
    orderType: row.order_type,
    quantity: canonicalAmount(row.quantity),
    limitPrice: row.limit_price === null ? undefined : canonicalAmount(row.limit_price),
  });
}

/**
 * Books the trade and its outbox row in one transaction; or finds it booked.
 * Returns `{ row, created }`; throws OrderConflictError when the booked
 * trade is another order.
 */
async function storeTrade(trade, messageId, log, deadline) {
  const stored = await withDatabase(
    "store trade",
    async (db) => {
      const client = await db.connect();
      let broken = false;
      try {
        await client.query("BEGIN");
        const inserted = await client.query(
          `INSERT INTO trades (trade_id, caller_id, client_order_id, session_id, symbol, side, order_type, quantity, limit_price, submitted_at, source_message_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric, $9::numeric, $10, $11)
           ON CONFLICT DO NOTHING
           RETURNING ${TRADE_COLUMNS}`,
          [
            trade.tradeId,
            trade.callerId,
            trade.clientOrderId,
            trade.sessionId,
            trade.symbol,
            trade.side,
            trade.orderType,
            trade.quantity,
            trade.limitPrice ?? null,
            trade.submittedAt,
            messageId,
          ],
        );
        if (inserted.rowCount === 1) {
          const row = inserted.rows[0];
          const detail = eventDetail(trade, new Date(row.processed_at).toISOString());
          await client.query("INSERT INTO trade_outbox (trade_id, detail) VALUES ($1, $2)", [
            row.trade_id,
            JSON.stringify(detail),
          ]);
          await client.query("COMMIT");
          return { row, created: true };
        }
        await client.query("ROLLBACK");
        const existing = await client.query(
          `SELECT ${TRADE_COLUMNS} FROM trades WHERE caller_id = $1 AND client_order_id = $2`,
          [trade.callerId, trade.clientOrderId],
        );
        if (existing.rowCount !== 1) throw new Error("trade neither inserted nor found");
        return { row: existing.rows[0], created: false };
      } catch (err) {
        broken = true;
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        client.release(broken);
      }
    },
    log,
    deadline,
  );
  const { row } = stored;
  const fields = row.trade_id === trade.tradeId ? differingFields(canonicalOrder(trade), orderOfRow(row)) : ["tradeId"];
  if (fields.length) throw new OrderConflictError(fields, row.trade_id);
  return stored;
}

function markSessionRecorded(tradeId, log, deadline) {
  return withDatabase(
    "mark session recorded",
    (db) => db.query("UPDATE trades SET session_recorded_at = now() WHERE trade_id = $1 AND session_recorded_at IS NULL", [tradeId]),
    log,
    deadline,
  );
}

/** Adds the trade to its session's counter, once: the marker item exists only after the first time. */
async function recordInSession(trade, processedAt) {
  const nowSeconds = Math.floor(Date.now() / 1000);
  try {
    await dynamodb.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: env.SESSIONS_TABLE,
              // '#' is in no session id (PATTERNS.sessionId), so no session collides.
              Item: {
                session_id: { S: `#trade#${trade.tradeId}` },
                kind: { S: "processed-trade" },
                sessionId: { S: trade.sessionId },
                expires_at: { N: String(nowSeconds + MARKER_TTL_SECONDS) },
              },
              ConditionExpression: "attribute_not_exists(session_id)",
            },
          },
          {
            Update: {
              TableName: env.SESSIONS_TABLE,
              Key: { session_id: { S: trade.sessionId } },
              UpdateExpression:
                "SET createdAt = if_not_exists(createdAt, :now), lastActivityAt = :now, lastProcessedTradeId = :tid, " +
                "lastProcessedAt = :processed, expires_at = :ttl ADD tradesProcessed :one",
              ExpressionAttributeValues: {
                ":now": { S: new Date().toISOString() },
                ":tid": { S: trade.tradeId },
                ":processed": { S: processedAt },
                ":ttl": { N: String(nowSeconds + SESSION_TTL_SECONDS) },
                ":one": { N: "1" },
              },
            },
          },
        ],
      }),
    );
    return true;
  } catch (err) {
    const canceled = err instanceof TransactionCanceledException || err?.name === "TransactionCanceledException";
    if (canceled && err.CancellationReasons?.[0]?.Code === "ConditionalCheckFailed") return false;
    throw err;
  }
}

class EntryFailedError extends Error {
  constructor(code, message) {
    super(`PutEvents entry failed: ${code}: ${message}`);
    this.name = "PutEventsEntryFailed";
    this.code = code;
  }
}

async function putEvent(detailText, log, deadline) {
  const detail = JSON.parse(detailText);
  return withRetry(
    async () => {
      const out = await eventbridge.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: env.EVENT_BUS_NAME,
              Source: EVENT_SOURCE,
              DetailType: EVENT_DETAIL_TYPE,
              Detail: detailText,
              // The trade's own time: a second publication lands on the same audit key.
              Time: new Date(detail.processedAt),
            },
          ],
        }),
      );
      const entry = out.Entries?.[0];
      if (out.FailedEntryCount || entry?.ErrorCode) {
        throw new EntryFailedError(entry?.ErrorCode ?? "Unknown", entry?.ErrorMessage ?? "");
      }
      return entry?.EventId;
    },
    {
      ...retryOptions,
      operation: "publish TradeProcessed",
      deadline,
      // The SDK already retried request-level failures; these are per-entry ones.
      isRetryable: (err) => err instanceof EntryFailedError && isTransientAwsError(err.code),
      onRetry: ({ attempt, delayMs, error }) => log.warn("retrying event publication", { attempt, delayMs, error }),
    },
  );
}

const CLAIM_FREE = "published_at IS NULL AND (claimed_until IS NULL OR claimed_until < clock_timestamp())";

/** Publishes a claimed outbox row and marks it (and its trade) published. */
async function publishClaimed(tradeId, detailText, log, deadline) {
  const eventId = await putEvent(detailText, log, deadline);
  crashPoint("after-put-events");
  await withDatabase(
    "mark event published",
    async (db) => {
      const client = await db.connect();
      let broken = false;
      try {
        await client.query("BEGIN");
        await client.query(
          "UPDATE trade_outbox SET published_at = now(), event_id = $2, claimed_until = NULL WHERE trade_id = $1 AND published_at IS NULL",
          [tradeId, eventId ?? null],
        );
        await client.query("UPDATE trades SET event_published_at = now() WHERE trade_id = $1 AND event_published_at IS NULL", [tradeId]);
        await client.query("COMMIT");
      } catch (err) {
        broken = true;
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        client.release(broken);
      }
    },
    log,
    deadline,
  );
  return eventId;
}

/**
 * Sees the trade's outbox row published: claims it (atomically, for a
 * lease) and publishes it, or waits while another delivery holds the claim,
 * until it is published or the claim expires (then claims it). Returns
 * whether this call published it; throws when out of time.
 */
async function publishOutbox(tradeId, log, deadline) {
  for (let wait = 25; ; wait = Math.min(wait * 2, 500)) {
    const claimed = await withDatabase(
      "claim outbox row",
      (db) =>
        db.query(
          `UPDATE trade_outbox SET claimed_until = clock_timestamp() + make_interval(secs => $2), attempts = attempts + 1
           WHERE trade_id = $1 AND ${CLAIM_FREE}
           RETURNING detail`,
          [tradeId, OUTBOX_LEASE_SECONDS],
        ),
      log,
      deadline,
    );
    if (claimed.rowCount === 1) {
      const eventId = await publishClaimed(tradeId, claimed.rows[0].detail, log, deadline);
      log.info("TradeProcessed published", { eventId });
      return true;
    }
    const { rows } = await withDatabase(
      "read outbox row",
      (db) =>
        db.query(
          "SELECT published_at, GREATEST(0, EXTRACT(EPOCH FROM claimed_until - clock_timestamp()) * 1000)::float8 AS claim_left_ms FROM trade_outbox WHERE trade_id = $1",
          [tradeId],
        ),
      log,
      deadline,
    );
    if (!rows.length) throw new Error("the trade has no outbox row");
    if (rows[0].published_at) return false;
    const pause = Math.min(wait, Math.max(5, rows[0].claim_left_ms));
    if (Date.now() + pause >= deadline) {
      throw new Error("the TradeProcessed event is being published by another delivery; left for redelivery");
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/**
 * Publishes outbox rows left unpublished past their lease by a delivery
 * that will not come back (its message acknowledged or dead-lettered).
 */
async function publishStranded(log, deadline, limit = 10) {
  const { rows } = await withDatabase(
    "claim stranded outbox rows",
    (db) =>
      db.query(
        `UPDATE trade_outbox SET claimed_until = clock_timestamp() + make_interval(secs => $1), attempts = attempts + 1
         WHERE trade_id IN (
           SELECT trade_id FROM trade_outbox
           WHERE ${CLAIM_FREE} AND created_at < clock_timestamp() - make_interval(secs => $1)
           ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         AND ${CLAIM_FREE}
         RETURNING trade_id, detail`,
        [OUTBOX_LEASE_SECONDS, limit],
      ),
    log,
    deadline,
  );
  for (const row of rows) {
    const eventId = await publishClaimed(row.trade_id, row.detail, log, deadline);
    log.warn("stranded TradeProcessed published", { tradeId: row.trade_id, eventId });
  }
  return rows.length;
}

async function processTrade(trade, messageId, log, deadline) {
  const { row, created } = await storeTrade(trade, messageId, log, deadline);
  crashPoint("after-commit");
  const processedAt = new Date(row.processed_at).toISOString();
  if (!created) {
    log.info("trade already stored: duplicate delivery", {
      sessionRecorded: Boolean(row.session_recorded_at),
      eventPublished: Boolean(row.event_published_at),
    });
  }
  if (!row.session_recorded_at) {
    const counted = await recordInSession(trade, processedAt);
    if (!counted) log.info("trade already counted in its session");
    await markSessionRecorded(row.trade_id, log, deadline);
  }
  if (!row.event_published_at) await publishOutbox(row.trade_id, log, deadline);
  return { created };
}

/** An error log line that is also a CloudWatch metric (embedded metric format). */
function conflictMetric(log, err) {
  log.error("client order id reused for a different order", {
    error: err,
    fields: err.fields,
    storedTradeId: err.storedTradeId,
    OrderConflicts: 1,
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: "OrderConflicts", Unit: "Count" }] }],
    },
  });
}

export const handler = async (event, context = {}) => {
  const log = baseLog.child({ requestId: context.awsRequestId });
  const records = Array.isArray(event?.Records) ? event.Records : [];
  const remaining = typeof context.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : Infinity;
  const deadline = Date.now() + remaining - TIME_RESERVE_MS;

  const failures = [];
  let stopReason; // once set, the rest of the batch is failed without trying
  let processed = 0;
  let duplicates = 0;

  for (const record of records) {
    const messageId = record.messageId;
    const rlog = log.child({
      messageId,
      receiveCount: record.attributes?.ApproximateReceiveCount,
    });
    if (!stopReason && Date.now() >= deadline) stopReason = "out of time";
    if (stopReason) {
      failures.push(messageId);
      continue;
    }
    const { trade, errors } = parseTradeMessage(record.body ?? "");
    if (!trade) {
      rlog.error("malformed message", { errors });
      failures.push(messageId);
      if (isFifo(record)) stopReason = "an earlier message of this FIFO batch failed";
      continue;
    }
    const tlog = rlog.child({ tradeId: trade.tradeId, clientOrderId: trade.clientOrderId, callerId: trade.callerId });
    try {
      const { created } = await processTrade(trade, messageId, tlog, deadline);
      processed += 1;
      if (!created) duplicates += 1;
      tlog.info("trade processed", { created });
    } catch (err) {
      if (err instanceof InjectedCrash) throw err;
      failures.push(messageId);
      if (err instanceof OrderConflictError) {
        conflictMetric(tlog, err);
      } else {
        tlog.error("trade not processed", { error: err, retryable: Boolean(err?.retryable) });
      }
      if (err instanceof RetriesExhaustedError && isTransientDbError(err.cause)) {
        stopReason = "database unavailable";
      } else if (err instanceof SchemaMissingError) {
        stopReason = "database schema missing";
      } else if (isFifo(record)) {
        stopReason = "an earlier message of this FIFO batch failed";
      }
    }
  }

  // Only after a trade went through: the database is known to answer.
  if (processed > 0 && Date.now() < deadline) {
    try {
      await publishStranded(log, deadline);
    } catch (err) {
      if (err instanceof InjectedCrash) throw err;
      log.warn("stranded outbox rows not published", { error: err });
    }
  }
  crashPoint("before-ack");
  if (stopReason) log.warn("rest of the batch left for redelivery", { reason: stopReason });
  log.info("batch done", { records: records.length, processed, duplicates, failed: failures.length });
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
};

function isFifo(record) {
  return typeof record.eventSourceARN === "string" && record.eventSourceARN.endsWith(".fifo");
}
