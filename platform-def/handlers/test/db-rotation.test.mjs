// db-rotation against the real PostgreSQL and moto's Secrets Manager (the
// one started through cli/local/moto-launch.py, which patches it:
// RotateSecret starts a rotation as Secrets Manager does, with an
// AWSPENDING version of the request's token and no value, and invokes
// nothing): the four steps rotate a user's
// password, each step run twice changes nothing more, a deploy's migration
// keeps a rotation, the token is checked, and a step that fails leaves
// AWSCURRENT as it was.
import "./support/launched-moto.mjs";
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { aws, coldStart, connectAs, createDbSecret, createMigratedDatabase, lambdaContext } from "./support/harness.mjs";

const ROTATION_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:lambda-db-rotation-test";
const STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"];

let db;
let closedPort;

before(async () => {
  db = await createMigratedDatabase();
  closedPort = await new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
});

after(async () => {
  await db.drop();
});

function rotationEnv(rest = {}) {
  return { DB_ENDPOINT: process.env.PGHOST, DB_PORT: process.env.PGPORT, DB_NAME: db.name, DB_SSL: "disable", ...rest };
}

/** Starts a rotation of the secret as Secrets Manager does; the new version's token. */
async function startRotation(secretId) {
  const out = await aws.secrets.send(
    new RotateSecretCommand({ SecretId: secretId, RotationLambdaARN: ROTATION_FUNCTION, RotationRules: { AutomaticallyAfterDays: 30 } }),
  );
  return out.VersionId;
}

async function stages(secretId) {
  return (await aws.secrets.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages;
}

async function value(secretId, stage) {
  const out = await aws.secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
  return { versionId: out.VersionId, ...JSON.parse(out.SecretString) };
}

async function step(fn, name, secretId, token) {
  return fn.handler({ Step: name, SecretId: secretId, ClientRequestToken: token }, lambdaContext(30000));
}

/** Rejects with PostgreSQL's invalid_password (28P01). */
async function refused(promise) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, "28P01", err.message);
    return true;
  });
}

describe("db-rotation", () => {
  it("rotates a user's password in four steps, each idempotent: AWSCURRENT the new one, AWSPREVIOUS the old", async () => {
    const user = db.users.app;
    const rotation = await coldStart("db-rotation", rotationEnv());
    const old = await value(user.secretArn, "AWSCURRENT");
    const token = await startRotation(user.secretArn);

    await step(rotation, "createSecret", user.secretArn, token);
    const pending = await value(user.secretArn, "AWSPENDING");
    assert.equal(pending.versionId, token);
    assert.equal(pending.username, user.name);
    assert.match(pending.password, /^[A-Za-z0-9]{32}$/, "the rules of the secret's GenerateSecretString");
    assert.notEqual(pending.password, old.password);
    await step(rotation, "createSecret", user.secretArn, token);
    assert.equal((await value(user.secretArn, "AWSPENDING")).password, pending.password, "a second createSecret keeps the pending password");

    for (const name of ["setSecret", "setSecret", "testSecret", "testSecret"]) await step(rotation, name, user.secretArn, token);
    // Not finished yet: AWSCURRENT still names the old password, which PostgreSQL no longer takes.
    assert.equal((await value(user.secretArn, "AWSCURRENT")).versionId, old.versionId);

    await step(rotation, "finishSecret", user.secretArn, token);
    await step(rotation, "finishSecret", user.secretArn, token);
    const current = await value(user.secretArn, "AWSCURRENT");
    assert.equal(current.versionId, token);
    assert.equal(current.password, pending.password);
    assert.equal((await value(user.secretArn, "AWSPREVIOUS")).versionId, old.versionId);
    const unstaged = await aws.secrets.send(new GetSecretValueCommand({ SecretId: user.secretArn }));
    assert.equal(unstaged.VersionId, token, "GetSecretValue without a stage answers AWSCURRENT");

    const client = await connectAs(db.name, { name: user.name, password: current.password });
    assert.equal((await client.query("SELECT current_user AS who")).rows[0].who, user.name);
    await client.end();
    await refused(connectAs(db.name, { name: user.name, password: old.password }));

    // Every step of a finished rotation, invoked again, does nothing.
    for (const name of STEPS) await step(rotation, name, user.secretArn, token);
    assert.equal((await value(user.secretArn, "AWSCURRENT")).versionId, token);
  });

  it("keeps the role's privileges and the migration keeps the rotated password", async () => {
    const user = db.users.monitor;
    const rotation = await coldStart("db-rotation", rotationEnv());
    const token = await startRotation(user.secretArn);
    for (const name of STEPS) await step(rotation, name, user.secretArn, token);
    const rotated = await value(user.secretArn, "AWSCURRENT");

    const migrate = await coldStart("migrate", db.migrateEnv);
    await migrate.handler({ phase: "after_deploy", stack: "s", region: process.env.AWS_REGION }, lambdaContext(60000));
    const client = await connectAs(db.name, { name: user.name, password: rotated.password });
    try {
      await client.query("SELECT count(*) FROM trades");
      await assert.rejects(client.query("DELETE FROM trades"), (err) => err.code === "42501");
    } finally {
      await client.end();
    }
  });

  it("is not undone by a deploy's migration between setSecret and finishSecret", async () => {
    const user = db.users.owner;
    const rotation = await coldStart("db-rotation", rotationEnv());
    const token = await startRotation(user.secretArn);
    await step(rotation, "createSecret", user.secretArn, token);
    await step(rotation, "setSecret", user.secretArn, token);
    const migrate = await coldStart("migrate", db.migrateEnv);
    const migration = await migrate.handler({ phase: "after_deploy", stack: "s", region: process.env.AWS_REGION }, lambdaContext(60000));
    assert.equal(migration.roles.length, 3);
    await step(rotation, "testSecret", user.secretArn, token);
    await step(rotation, "finishSecret", user.secretArn, token);
    const current = await value(user.secretArn, "AWSCURRENT");
    assert.equal(current.versionId, token);
    const client = await connectAs(db.name, { name: user.name, password: current.password });
    await client.end();
  });

  it("checks the token: a version that is not AWSPENDING, or a secret that does not rotate, is refused", async () => {
    const user = db.users.owner;
    const rotation = await coldStart("db-rotation", rotationEnv());
    const notRotating = await createDbSecret(user.name, user.password);
    await assert.rejects(step(rotation, "createSecret", notRotating, "00000000-0000-4000-8000-000000000000"), /does not rotate/);

    const token = await startRotation(user.secretArn);
    await assert.rejects(step(rotation, "createSecret", user.secretArn, "00000000-0000-4000-8000-000000000000"), /has no version/);
    await assert.rejects(step(rotation, "rotate", user.secretArn, token), /unknown step/);
    const current = (await value(user.secretArn, "AWSCURRENT")).versionId;
    // The current version's token: nothing left to do.
    await step(rotation, "setSecret", user.secretArn, current);
    for (const name of STEPS) await step(rotation, name, user.secretArn, token);
  });

  it("leaves AWSCURRENT unchanged when setSecret cannot reach the database, and finishes once it can", async () => {
    const user = db.users.app;
    const before = await value(user.secretArn, "AWSCURRENT");
    const unreachable = await coldStart("db-rotation", rotationEnv({ DB_ENDPOINT: "127.0.0.1", DB_PORT: String(closedPort), DB_CONNECT_TIMEOUT_MS: "500" }));
    const token = await startRotation(user.secretArn);
    await step(unreachable, "createSecret", user.secretArn, token);
    await assert.rejects(step(unreachable, "setSecret", user.secretArn, token), (err) => err.code === "ECONNREFUSED" || /connect/i.test(err.message));
    assert.equal((await value(user.secretArn, "AWSCURRENT")).versionId, before.versionId);
    assert.deepEqual((await stages(user.secretArn))[token], ["AWSPENDING"]);
    const client = await connectAs(db.name, { name: user.name, password: before.password });
    await client.end();

    // Secrets Manager retries the rotation with the same token.
    const rotation = await coldStart("db-rotation", rotationEnv());
    for (const name of STEPS) await step(rotation, name, user.secretArn, token);
    assert.equal((await value(user.secretArn, "AWSCURRENT")).versionId, token);
  });
});
