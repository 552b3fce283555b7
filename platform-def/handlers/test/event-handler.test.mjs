// event-handler against moto's S3: the audit record under its date-partitioned
// key (the trade id), one record for a repeated or republished event, and
// errors surfaced for EventBridge to retry.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
} from "@aws-sdk/client-s3";
import { aws, captureLogs, coldStart, createBucket, lambdaContext, uid } from "./support/harness.mjs";

let bucket;
let auditor;

before(async () => {
  bucket = await createBucket();
  await aws.s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }),
  );
  auditor = await coldStart("event-handler", { AUDIT_BUCKET: bucket });
});

function tradeEvent(time) {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "TradeProcessed",
    source: "trading.processor",
    account: "123456789012",
    time,
    region: "us-east-1",
    resources: [],
    detail: { tradeId: randomUUID(), symbol: "AAPL", side: "buy", quantity: "3" },
  };
}

describe("event-handler", () => {
  it("writes the audit record under audit/year=YYYY/month=MM/day=DD/<trade id>.json, by the event's UTC time", async () => {
    const event = tradeEvent("2024-02-29T23:59:59Z");
    const result = await auditor.handler(event, lambdaContext());
    const key = `audit/year=2024/month=02/day=29/${event.detail.tradeId}.json`;
    assert.deepEqual(result, { key, written: true });

    const object = await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(object.ContentType, "application/json");
    const record = JSON.parse(await object.Body.transformToString());
    assert.deepEqual(record.event, event);
    assert.ok(!Number.isNaN(Date.parse(record.auditedAt)));
  });

  it("keeps one record, one version, when the same event is delivered again or the trade's event is published twice", async () => {
    const event = tradeEvent("2025-01-05T00:00:00.000Z");
    // The same trade published again: another EventBridge event id.
    const republished = { ...event, id: randomUUID() };
    const logs = await captureLogs("event-handler");
    let second;
    let third;
    try {
      assert.equal((await auditor.handler(event, lambdaContext())).written, true);
      second = await auditor.handler(event, lambdaContext());
      third = await auditor.handler(republished, lambdaContext());
    } finally {
      logs.restore();
    }
    const key = `audit/year=2025/month=01/day=05/${event.detail.tradeId}.json`;
    assert.deepEqual(second, { key, written: false });
    assert.deepEqual(third, { key, written: false });
    const { Versions = [] } = await aws.s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `audit/year=2025/month=01/day=05/` }),
    );
    assert.deepEqual(Versions.map((v) => v.Key), [key]);
    const record = JSON.parse(await (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body.transformToString());
    assert.equal(record.event.id, event.id, "the first record stands");
    assert.equal(logs.messages("audit record already present: repeated event").length, 2);
  });

  it("keys another kind of event on its event id", async () => {
    const event = { ...tradeEvent("2025-02-01T00:00:00Z"), "detail-type": "SomethingElse", detail: {} };
    assert.deepEqual(await auditor.handler(event, lambdaContext()), {
      key: `audit/year=2025/month=02/day=01/${event.id}.json`,
      written: true,
    });
  });

  it("throws, writing nothing, for an event without a usable trade id, id or time", async () => {
    const logs = await captureLogs("event-handler");
    try {
      await assert.rejects(
        auditor.handler({ ...tradeEvent("2025-03-01T00:00:00Z"), detail: { tradeId: "../../etc" } }),
        /no trade id/,
      );
      await assert.rejects(
        auditor.handler({ ...tradeEvent("2025-03-01T00:00:00Z"), "detail-type": "Other", id: "../../etc" }),
        /usable id/,
      );
      await assert.rejects(auditor.handler({ ...tradeEvent("yesterday") }), /valid time/);
    } finally {
      logs.restore();
    }
    const { KeyCount } = await aws.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: "audit/year=2025/month=03/" }),
    );
    assert.equal(KeyCount, 0);
    assert.equal(logs.messages("event cannot be audited").length, 3);
  });

  it("throws when the bucket cannot be written, so EventBridge retries", async () => {
    const broken = await coldStart("event-handler", { AUDIT_BUCKET: `missing-${uid()}`, AWS_MAX_ATTEMPTS: "1" });
    const logs = await captureLogs("event-handler");
    try {
      await assert.rejects(broken.handler(tradeEvent(new Date().toISOString()), lambdaContext()), (err) => err.name === "NoSuchBucket");
    } finally {
      logs.restore();
    }
    assert.equal(logs.messages("audit record not written").length, 1);
  });
});
