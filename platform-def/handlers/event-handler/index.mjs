// event-handler: the EventBridge target that keeps an audit trail. Each trade
// becomes one JSON object in the audit-log bucket under a date-partitioned key:
//
//   audit/year=YYYY/month=MM/day=DD/<trade id>.json
//
// keyed on the TradeProcessed event's trade id, not on the EventBridge event
// id: a trade whose event was published twice (trade-processor died between
// PutEvents and recording it) is audited once. Another kind of event is keyed
// on its event id. The date is the event's own `time` (UTC; trade-processor
// sets it to the trade's processing time), so a repeated event lands on the
// same key. The write is conditional (If-None-Match: *): a repeat neither
// fails, nor writes anything new, nor adds a version to the versioned
// bucket: the first record stands. Any other error
// is thrown, so EventBridge's asynchronous invocation retries it and, in the
// end, sends the event to the function's dead-letter queue.
//
// Environment: AUDIT_BUCKET (required); AUDIT_PREFIX (default "audit"),
// LOG_LEVEL (optional).

import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { requireEnv, s3ClientConfig } from "./lib/aws.mjs";
import { createLogger } from "./lib/logger.mjs";

const env = requireEnv(["AUDIT_BUCKET"]);
const PREFIX = (process.env.AUDIT_PREFIX || "audit").replace(/^\/+|\/+$/g, "");

const s3 = new S3Client(s3ClientConfig());
const baseLog = createLogger();

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const TRADE_PROCESSED = "TradeProcessed";

/** What an event is audited under: a TradeProcessed event's trade id, another event's id. */
function auditId(event) {
  if (event?.["detail-type"] === TRADE_PROCESSED) {
    const tradeId = event?.detail?.tradeId;
    if (typeof tradeId !== "string" || !UUID.test(tradeId)) {
      throw new Error("the TradeProcessed event has no trade id (detail.tradeId, a lowercase UUID)");
    }
    return tradeId;
  }
  const id = event?.id;
  if (typeof id !== "string" || !SAFE_ID.test(id)) {
    throw new Error("the event has no usable id (letters, digits, '.', '_', '-')");
  }
  return id;
}

/** The object key of an EventBridge event; throws on an event without a usable id or time. */
export function auditKey(event) {
  const id = auditId(event);
  const time = new Date(event.time ?? NaN);
  if (Number.isNaN(time.getTime())) throw new Error("the event has no valid time");
  const yyyy = String(time.getUTCFullYear()).padStart(4, "0");
  const mm = String(time.getUTCMonth() + 1).padStart(2, "0");
  const dd = String(time.getUTCDate()).padStart(2, "0");
  return `${PREFIX}/year=${yyyy}/month=${mm}/day=${dd}/${id}.json`;
}

export const handler = async (event, context = {}) => {
  const log = baseLog.child({
    requestId: context.awsRequestId,
    eventId: event?.id,
    source: event?.source,
    detailType: event?.["detail-type"],
  });
  let key;
  try {
    key = auditKey(event);
  } catch (err) {
    log.error("event cannot be audited", { error: err });
    throw err;
  }
  const record = { auditedAt: new Date().toISOString(), event };
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: env.AUDIT_BUCKET,
        Key: key,
        Body: JSON.stringify(record),
        ContentType: "application/json",
        IfNoneMatch: "*",
      }),
    );
    log.info("audit record written", { bucket: env.AUDIT_BUCKET, key });
    return { key, written: true };
  } catch (err) {
    const status = err?.$metadata?.httpStatusCode;
    if (status === 412 || err?.name === "PreconditionFailed") {
      log.info("audit record already present: repeated event", { key });
      return { key, written: false };
    }
    log.error("audit record not written", { error: err, key });
    throw err;
  }
};
