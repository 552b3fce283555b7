// trade-processor: consumes batches from the trade-orders queue (SQS event
// source with ReportBatchItemFailures).
//
// For each message: validate it; write the trade to PostgreSQL with
// INSERT ... ON CONFLICT (client_order_id) DO NOTHING, so a redelivered
// message never creates a second trade; record it in the session (DynamoDB);
// publish a TradeProcessed event (source `trading.processor`) to the bus.
// The row remembers which of the two side effects are done, so a redelivery
// after a crash completes the missing ones and never repeats a finished one.
//
// A message that fails is reported in `batchItemFailures`, alone: the others
// of the batch succeed. Transient database errors and throttled or failed
// event entries are retried with exponential backoff and full jitter (AWS
// calls also by the SDK's own retry strategy); when the database stays
// unreachable the remaining messages are failed at once and stay on the
// queue for redelivery. Logs are JSON lines.
//
// Environment: SESSIONS_TABLE, DB_SECRET_ARN, DB_ENDPOINT, DB_PORT, DB_NAME,
// EVENT_BUS_NAME (required); DB_SSL=disable (local tests only), DB_CA_FILE,
// DB_CONNECT_TIMEOUT_MS, DB_QUERY_TIMEOUT_MS, RETRY_MAX_ATTEMPTS,
// RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS, SESSION_TTL_SECONDS, LOG_LEVEL
// (optional).

import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { clientConfig, requireEnv } from "./lib/aws.mjs";
import { createPool, dbSettings, isAuthError, readCredentials } from "./lib/db.mjs";
import { createLogger } from "./lib/logger.mjs";
import { parseTradeMessage } from "./lib/orders.mjs";
import {
  isTransientAwsError,
  isTransientDbError,
  RetriesExhaustedError,
  retryOptionsFromEnv,
  withRetry,
} from "./lib/retry.mjs";
import { migrate } from "./lib/schema.mjs";

export const EVENT_SOURCE = "trading.processor";
export const EVENT_DETAIL_TYPE = "TradeProcessed";

const env = requireEnv(["SESSIONS_TABLE", "DB_SECRET_ARN", "DB_ENDPOINT", "DB_PORT", "DB_NAME", "EVENT_BUS_NAME"]);
const settings = dbSettings(process.env);
const retryOptions = retryOptionsFromEnv(process.env);
const SESSION_TTL_SECONDS = Number.parseInt(process.env.SESSION_TTL_SECONDS ?? "", 10) || 86400;
// Time kept in reserve to answer before the function's timeout.
const TIME_RESERVE_MS = 3000;

const secrets = new SecretsManagerClient(clientConfig());
const dynamodb = new DynamoDBClient(clientConfig());
const eventbridge = new EventBridgeClient(clientConfig());
const baseLog = createLogger();

// Per execution environment: credentials, pool, and whether the schema is
// known to be current. Records are processed one at a time, so no locking.
let credentials;
let pool;
let migrated = false;

async function database(log) {
  if (!credentials) credentials = await readCredentials(secrets, env.DB_SECRET_ARN);
  if (!pool) {
    pool = createPool(settings, credentials, {
      onError: (err) => baseLog.warn("idle database connection lost", { error: err }),
    });
  }
  if (!migrated) {
    await migrate(pool, log);
    migrated = true;
  }
  return pool;
}

async function forgetConnection() {
  const old = pool;
  pool = undefined;
  credentials = undefined;
  if (old) await old.end().catch(() => {});
}

/** Runs `fn(pool)`, connecting (and migrating) first, retrying transient failures. */
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

const TRADE_COLUMNS =
  "trade_id, client_order_id, session_id, symbol, side, order_type, quantity, limit_price, submitted_at, processed_at, session_recorded_at, event_published_at";

async function storeTrade(trade, messageId, log, deadline) {
  return withDatabase(
    "store trade",
    async (db) => {
      const inserted = await db.query(
        `INSERT INTO trades (trade_id, client_order_id, session_id, symbol, side, order_type, quantity, limit_price, submitted_at, source_message_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (client_order_id) DO NOTHING
         RETURNING ${TRADE_COLUMNS}`,
        [
          trade.tradeId,
          trade.clientOrderId,
          trade.sessionId,
          trade.symbol,
          trade.side,
          trade.orderType,
          String(trade.quantity),
          trade.limitPrice === undefined ? null : String(trade.limitPrice),
          trade.submittedAt,
          messageId,
        ],
      );
      if (inserted.rowCount === 1) return { row: inserted.rows[0], created: true };
      const existing = await db.query(`SELECT ${TRADE_COLUMNS} FROM trades WHERE client_order_id = $1`, [
        trade.clientOrderId,
      ]);
      if (existing.rowCount !== 1) throw new Error("trade neither inserted nor found");
      return { row: existing.rows[0], created: false };
    },
    log,
    deadline,
  );
}

function markDone(column, tradeId, log, deadline) {
  return withDatabase(
    `mark ${column}`,
    (db) => db.query(`UPDATE trades SET ${column} = now() WHERE trade_id = $1 AND ${column} IS NULL`, [tradeId]),
    log,
    deadline,
  );
}

async function recordInSession(trade, processedAt) {
  try {
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: env.SESSIONS_TABLE,
        Key: { session_id: { S: trade.sessionId } },
        UpdateExpression:
          "SET createdAt = if_not_exists(createdAt, :now), lastActivityAt = :now, lastProcessedTradeId = :tid, " +
          "lastProcessedAt = :processed, expires_at = :ttl ADD tradesProcessed :one",
        // Guards the window between this update and marking the row.
        ConditionExpression: "attribute_not_exists(lastProcessedTradeId) OR lastProcessedTradeId <> :tid",
        ExpressionAttributeValues: {
          ":now": { S: new Date().toISOString() },
          ":tid": { S: trade.tradeId },
          ":processed": { S: processedAt },
          ":ttl": { N: String(Math.floor(Date.now() / 1000) + SESSION_TTL_SECONDS) },
          ":one": { N: "1" },
        },
      }),
    );
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException || err?.name === "ConditionalCheckFailedException") return;
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

async function publishProcessed(trade, processedAt, log, deadline) {
  const detail = {
    tradeId: trade.tradeId,
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
  await withRetry(
    async () => {
      const out = await eventbridge.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: env.EVENT_BUS_NAME,
              Source: EVENT_SOURCE,
              DetailType: EVENT_DETAIL_TYPE,
              Detail: JSON.stringify(detail),
              Time: new Date(processedAt),
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

async function processTrade(trade, messageId, log, deadline) {
  const { row, created } = await storeTrade(trade, messageId, log, deadline);
  const processedAt = new Date(row.processed_at).toISOString();
  if (!created) {
    log.info("trade already stored: duplicate delivery", {
      sessionRecorded: Boolean(row.session_recorded_at),
      eventPublished: Boolean(row.event_published_at),
    });
    if (row.trade_id !== trade.tradeId || row.symbol !== trade.symbol || row.side !== trade.side) {
      log.warn("client order id reused for a different order; the first one stands", { storedTradeId: row.trade_id });
    }
  }
  if (!row.session_recorded_at) {
    await recordInSession(trade, processedAt);
    await markDone("session_recorded_at", row.trade_id, log, deadline);
  }
  if (!row.event_published_at) {
    await publishProcessed(trade, processedAt, log, deadline);
    await markDone("event_published_at", row.trade_id, log, deadline);
  }
  return { created };
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
    const tlog = rlog.child({ tradeId: trade.tradeId, clientOrderId: trade.clientOrderId });
    try {
      const { created } = await processTrade(trade, messageId, tlog, deadline);
      processed += 1;
      if (!created) duplicates += 1;
      tlog.info("trade processed", { created });
    } catch (err) {
      tlog.error("trade not processed", { error: err, retryable: Boolean(err?.retryable) });
      failures.push(messageId);
      if (err instanceof RetriesExhaustedError && isTransientDbError(err.cause)) {
        stopReason = "database unavailable";
      } else if (isFifo(record)) {
        stopReason = "an earlier message of this FIFO batch failed";
      }
    }
  }

  if (stopReason) log.warn("rest of the batch left for redelivery", { reason: stopReason });
  log.info("batch done", { records: records.length, processed, duplicates, failed: failures.length });
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
};

function isFifo(record) {
  return typeof record.eventSourceARN === "string" && record.eventSourceARN.endsWith(".fifo");
}
