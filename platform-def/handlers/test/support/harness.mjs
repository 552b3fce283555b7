// Test harness: AWS clients pointed at moto_server (through AWS_ENDPOINT_URL,
// as the handlers are), resource factories with unique names, a throwaway
// PostgreSQL database per test file, fresh handler instances ("cold starts"),
// and an emulation of Lambda's SQS event source mapping.
//
// scripts/handler-tests sets: AWS_ENDPOINT_URL, AWS_REGION, dummy
// credentials, PGHOST, PGPORT, PGUSER, PGPASSWORD (and PG_TEST_CA_FILE, the
// CA of the server's TLS certificate), and HANDLER_FUNCTIONS_DIR: the
// functions are loaded from their unpacked assets, as they ship
// (support/shipped.mjs).

import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import pg from "pg";
import { FUNCTIONS, SHIPPED_DIR } from "./shipped.mjs";

for (const name of ["AWS_ENDPOINT_URL", "AWS_REGION", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD"]) {
  if (!process.env[name]) {
    throw new Error(`${name} is not set: run the tests with scripts/handler-tests, which starts PostgreSQL and moto`);
  }
}

export const aws = {
  sqs: new SQSClient({}),
  dynamodb: new DynamoDBClient({}),
  eventbridge: new EventBridgeClient({}),
  s3: new S3Client({ forcePathStyle: true }),
  sns: new SNSClient({}),
  secrets: new SecretsManagerClient({}),
  cloudwatch: new CloudWatchClient({}),
  ssm: new SSMClient({}),
};

/** A short unique suffix for resource names. */
export function uid() {
  return randomUUID().replaceAll("-", "").slice(0, 12);
}

export async function createQueue(name = `q-${uid()}`, attributes = {}) {
  const { QueueUrl } = await aws.sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "180", ...attributes } }),
  );
  const { Attributes } = await aws.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  return { url: QueueUrl, arn: Attributes.QueueArn, name };
}

export async function createSessionsTable(name = `ddb-sessions-${uid()}`) {
  await aws.dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: "session_id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "session_id", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  return name;
}

/** A table keyed by one string attribute, as the definition declares order_keys and alert_keys. */
export async function createKeyTable(attribute, name = `ddb-${attribute.replaceAll("_", "-")}-${uid()}`) {
  await aws.dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: attribute, AttributeType: "S" }],
      KeySchema: [{ AttributeName: attribute, KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  return name;
}

export async function getSession(table, sessionId) {
  const { Item } = await aws.dynamodb.send(
    new GetItemCommand({ TableName: table, Key: { session_id: { S: sessionId } }, ConsistentRead: true }),
  );
  return Item;
}

/** A bus whose events matching `pattern` go to a new SQS queue, to observe them. */
export async function createObservedBus(pattern) {
  const name = `bus-${uid()}`;
  await aws.eventbridge.send(new CreateEventBusCommand({ Name: name }));
  const observer = await createQueue(`events-${uid()}`);
  const rule = `rule-${uid()}`;
  await aws.eventbridge.send(
    new PutRuleCommand({ Name: rule, EventBusName: name, EventPattern: JSON.stringify(pattern), State: "ENABLED" }),
  );
  await aws.eventbridge.send(
    new PutTargetsCommand({ Rule: rule, EventBusName: name, Targets: [{ Id: "observer", Arn: observer.arn }] }),
  );
  return { name, observer };
}

/** A topic with an SQS subscription, to observe what is published. */
export async function createObservedTopic() {
  const { TopicArn } = await aws.sns.send(new CreateTopicCommand({ Name: `sns-alerts-${uid()}` }));
  const observer = await createQueue(`alerts-${uid()}`);
  await aws.sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: observer.arn }));
  return { arn: TopicArn, observer };
}

export async function createBucket(name = `s3-audit-${uid()}`) {
  await aws.s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

/** A Secrets Manager secret shaped like an RDS-managed master user secret. */
export async function createDbSecret(username = process.env.PGUSER, password = process.env.PGPASSWORD) {
  const { ARN } = await aws.secrets.send(
    new CreateSecretCommand({ Name: `rds-master-${uid()}`, SecretString: JSON.stringify({ username, password }) }),
  );
  return ARN;
}

/** Receives everything visible on a queue (bounded); with `keep`, makes it visible again. */
export async function receiveAll(queueUrl, { max = 100, keep = true } = {}) {
  const seen = new Map();
  for (let i = 0; i < 20 && seen.size < max; i += 1) {
    const { Messages = [] } = await aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    if (!Messages.length) break;
    for (const m of Messages) seen.set(m.MessageId, m);
  }
  const messages = [...seen.values()];
  if (keep) {
    // Leave them on the queue, visible again.
    for (const m of messages) {
      await aws.sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }),
      );
    }
  }
  return messages;
}

/** Receives and deletes everything visible on a queue; returns the bodies parsed as JSON. */
export async function drainJson(queueUrl) {
  const messages = await receiveAll(queueUrl, { keep: false });
  for (const m of messages) {
    await aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
  }
  return messages.map((m) => JSON.parse(m.Body));
}

export async function queueDepth(queueUrl) {
  const { Attributes } = await aws.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
}

export async function sendRaw(queueUrl, body) {
  const { MessageId } = await aws.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  return MessageId;
}

/** A Lambda SQS event record for a received message, as the event source mapping builds it. */
export function sqsRecord(message, queueArn) {
  const messageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes || {})) {
    messageAttributes[name] = {
      stringValue: value.StringValue,
      binaryValue: value.BinaryValue,
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType,
    };
  }
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body,
    attributes: message.Attributes || {},
    messageAttributes,
    md5OfBody: message.MD5OfBody,
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: process.env.AWS_REGION,
  };
}

export function lambdaContext(remainingMs = 30000) {
  const end = Date.now() + remainingMs;
  return {
    awsRequestId: randomUUID(),
    functionName: "test",
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()),
  };
}

/**
 * One poll of Lambda's SQS event source mapping with ReportBatchItemFailures:
 * receive up to `batchSize` messages, invoke the handler with them, delete the
 * ones that succeeded and leave the failed ones on the queue. Lambda lets a
 * failed message's visibility timeout run out; here it is reset to 0 at once
 * so the test can look at the queue without waiting. With `deleteSucceeded:
 * false` nothing is deleted (a crash after processing, before the delete).
 */
export async function pollOnce(queue, handler, { batchSize = 10, deleteSucceeded = true, context } = {}) {
  // An invocation that dies (throws) acknowledges nothing: Lambda lets every
  // message of the batch become visible again (here at once).
  const { Messages = [] } = await aws.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MaxNumberOfMessages: batchSize,
      WaitTimeSeconds: 0,
      VisibilityTimeout: 180,
      MessageAttributeNames: ["All"],
      MessageSystemAttributeNames: ["All"],
    }),
  );
  const event = { Records: Messages.map((m) => sqsRecord(m, queue.arn)) };
  let response;
  try {
    response = await handler(event, context ?? lambdaContext());
  } catch (crash) {
    for (const m of Messages) {
      await aws.sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }),
      );
    }
    return { messages: Messages, event, response: undefined, failedIds: Messages.map((m) => m.MessageId), crash };
  }
  const ids = new Set(Messages.map((m) => m.MessageId));
  const failedIds = (response?.batchItemFailures || []).map((f) => f.itemIdentifier);
  for (const id of failedIds) {
    if (!ids.has(id)) throw new Error(`batchItemFailures names ${id}, which is not in the batch`);
  }
  const failed = new Set(failedIds);
  for (const m of Messages) {
    if (failed.has(m.MessageId) || !deleteSucceeded) {
      await aws.sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }),
      );
    } else {
      await aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return { messages: Messages, event, response, failedIds };
}

let instance = 0;

/**
 * A fresh instance of a function's module, as in a new execution environment
 * (cold start): `vars` are in process.env while it loads (each handler reads
 * its configuration then), and process.env is restored afterwards.
 */
export async function coldStart(fn, vars) {
  const saved = { ...process.env };
  Object.assign(process.env, vars);
  try {
    instance += 1;
    const url = pathToFileURL(join(SHIPPED_DIR, fn, "index.mjs"));
    url.search = `?coldStart=${instance}`;
    return await import(url.href);
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

/**
 * Captures every JSON log line of a function (the lib/logger.mjs its asset holds),
 * whatever LOG_LEVEL the run uses, until `restore()`.
 */
export async function captureLogs(fn) {
  const loggerOf = (name) => import(pathToFileURL(join(SHIPPED_DIR, name, "lib", "logger.mjs")).href);
  const logger = await loggerOf(fn);
  const lines = [];
  const previous = logger.setLogSink((line) => lines.push(JSON.parse(line)));
  // LOG_LEVEL is global: keep the other functions quiet meanwhile.
  const others = await Promise.all(FUNCTIONS.filter((name) => name !== fn).map(loggerOf));
  const othersPrevious = others.map((other) => other.setLogSink(() => {}));
  const level = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = "debug";
  return {
    lines,
    restore: () => {
      logger.setLogSink(previous);
      others.forEach((other, i) => other.setLogSink(othersPrevious[i]));
      if (level === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = level;
    },
    messages: (msg) => lines.filter((l) => l.msg === msg),
  };
}

/** A throwaway database on the test PostgreSQL server, and a pool to inspect it. */
export async function createDatabase() {
  const name = `t_${uid()}`;
  const admin = new pg.Client({ database: "postgres" });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({ database: name, max: 2 });
  // An idle client whose connection the server ends (a database dropped
  // WITH (FORCE)) emits 'error' on the pool; unheard, that would fail
  // whichever test is running then.
  pool.on("error", () => {});
  return {
    name,
    pool,
    query: (text, params) => pool.query(text, params),
    async drop() {
      await pool.end();
      const c = new pg.Client({ database: "postgres" });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Secrets for a fresh set of database users, as the definition declares
 * them (an owner, a dml user, a read_only user). Their names are unique:
 * roles belong to the whole server, which every test database shares.
 * The passwords hold a quote and a backslash, so that quoting them is
 * tested too (Secrets Manager generates letters and digits).
 */
export async function createDbUsers() {
  const tag = uid();
  const users = {};
  for (const [key, privileges] of [["owner", "owner"], ["app", "dml"], ["monitor", "read_only"]]) {
    const name = `${key}_${tag}`;
    const password = `${randomBytes(18).toString("base64url")}'\\"`;
    users[key] = { name, privileges, password, secretArn: await createDbSecret(name, password) };
  }
  return users;
}

/** The environment the migrate function needs: the master's secret, the database, each user. */
export function migrateEnv({ database, users, masterSecretArn, ...rest }) {
  const env = {
    MASTER_SECRET_ARN: masterSecretArn,
    DB_ENDPOINT: process.env.PGHOST,
    DB_PORT: process.env.PGPORT,
    DB_NAME: database,
    DB_SSL: "disable",
    RETRY_BASE_DELAY_MS: "5",
    RETRY_MAX_DELAY_MS: "50",
  };
  for (const [key, user] of Object.entries(users)) {
    const id = key.toUpperCase();
    env[`DB_USER_${id}_SECRET_ARN`] = user.secretArn;
    env[`DB_USER_${id}_NAME`] = user.name;
    env[`DB_USER_${id}_PRIVILEGES`] = user.privileges;
  }
  return { ...env, ...rest };
}

/** The event tp deploy invokes an after-deploy function with. */
export function afterDeployEvent() {
  return { phase: "after_deploy", stack: "trading-platform-us-east-1-test", region: process.env.AWS_REGION };
}

/**
 * A throwaway database as a deploy leaves it: migrated by the migrate
 * function (as it ships), with its users (`users.app.secretArn` is what
 * trade-processor connects with). `migration` is what the function returned.
 */
export async function createMigratedDatabase() {
  const db = await createDatabase();
  const users = await createDbUsers();
  const masterSecretArn = await createDbSecret();
  const env = migrateEnv({ database: db.name, users, masterSecretArn });
  const migrate = await coldStart("migrate", env);
  const migration = await migrate.handler(afterDeployEvent(), lambdaContext(60000));
  return { ...db, users, masterSecretArn, migrateEnv: env, migration };
}

/** A client of `database` connected as a database user (close it with `end()`). */
export async function connectAs(database, user) {
  const client = new pg.Client({ database, user: user.name, password: user.password });
  // Errors reach the queries that are waiting; one the server sends between
  // queries (the connection terminated) is not a test's failure by itself.
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** The environment trade-processor needs, pointing at the test server. */
export function processorEnv({ table, secretArn, database, busName, ...rest }) {
  return {
    SESSIONS_TABLE: table,
    DB_SECRET_ARN: secretArn,
    DB_ENDPOINT: process.env.PGHOST,
    DB_PORT: process.env.PGPORT,
    DB_NAME: database,
    EVENT_BUS_NAME: busName,
    DB_SSL: "disable",
    RETRY_BASE_DELAY_MS: "5",
    RETRY_MAX_DELAY_MS: "50",
    ...rest,
  };
}

/** The environment trade-api needs. */
/** Writes the String parameter `name` (created or overwritten) and returns its name. */
export async function putSetting(name, value) {
  await aws.ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: "String", Overwrite: true }));
  return name;
}

/** Settings trade-api reads that allow every test order: large enough, always open. */
export const OPEN_SETTINGS = {
  MAX_ORDER_QUANTITY_PARAMETER: await putSetting(`/test/${uid()}/max_order_quantity`, "999999999999"),
  TRADING_HOURS_PARAMETER: await putSetting(`/test/${uid()}/trading_hours`, "00:00-24:00"),
};

export function tradeApiEnv({ table, orderKeysTable, queueUrl, ...rest }) {
  return {
    SESSIONS_TABLE: table,
    ORDER_KEYS_TABLE: orderKeysTable,
    TRADE_ORDERS_QUEUE_URL: queueUrl,
    ...OPEN_SETTINGS,
    ...rest,
  };
}

/** The caller apiEvent signs as, unless told otherwise. */
export const TRADER = "arn:aws:iam::123456789012:user/trader";

/** An API Gateway REST (Lambda proxy) event, as AWS_IAM auth passes it (signed by `caller`). */
export function apiEvent(method, path, body, headers = {}, caller = TRADER) {
  return {
    resource: path,
    path,
    httpMethod: method,
    headers: { "Content-Type": "application/json", ...headers },
    queryStringParameters: null,
    pathParameters: null,
    requestContext: {
      resourcePath: path,
      httpMethod: method,
      requestId: randomUUID(),
      stage: "dev",
      identity: { sourceIp: "127.0.0.1", userArn: caller, caller: caller && `AIDA${caller.length}:${caller.split("/").pop()}` },
    },
    body: body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body),
    isBase64Encoded: false,
  };
}
