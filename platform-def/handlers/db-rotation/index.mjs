// db-rotation: Secrets Manager's rotation function for the database users'
// secrets (`grants: { <user>: rotate }` in platform-def/src/lib.rs; each
// user's `rotation:` schedule names it). Secrets Manager invokes it once per
// step with {Step, SecretId, ClientRequestToken}:
//
//   createSecret  a new password (GetRandomPassword, the rules of the
//                 secret's GenerateSecretString) in a version with the
//                 request's token, staged AWSPENDING;
//   setSecret     connected as the user (AWSCURRENT's password, else
//                 AWSPREVIOUS's, else already AWSPENDING's), ALTER ROLE
//                 CURRENT_USER to the pending password;
//   testSecret    connects as the user with the pending password;
//   finishSecret  moves AWSCURRENT to the pending version (Secrets Manager
//                 moves AWSPREVIOUS to the one it leaves).
//
// The single-user strategy of AWS's rotation templates: each user changes
// its own password, so this function holds no other credentials (not the
// master user's, whom only the after-deploy migration may act as). A
// PostgreSQL role may always change its own password. The migration sets
// each role's password from its secret's AWSCURRENT on every deploy, which
// is the rotated one once finishSecret ran: a deploy keeps the rotation, and
// heals a role a failed rotation left out of step with its secret.
//
// Each step is idempotent (a retried step finds its work done), and every
// step first checks the token: the secret rotates, the token names one of
// its versions, and that version is AWSPENDING (or already AWSCURRENT:
// nothing left to do).
//
// Environment: DB_ENDPOINT, DB_PORT, DB_NAME (required); DB_SSL=disable
// (local tests only), DB_CA_FILE, DB_CONNECT_TIMEOUT_MS,
// DB_QUERY_TIMEOUT_MS, LOG_LEVEL (optional).

import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { clientConfig, requireEnv } from "./lib/aws.mjs";
import { createPool, dbSettings, isAuthError } from "./lib/db.mjs";
import { createLogger } from "./lib/logger.mjs";

/** The rules a db_user's secret generates its password with (synth::aurora). */
export const PASSWORD_RULES = {
  PasswordLength: 32,
  ExcludePunctuation: true,
  IncludeSpace: false,
  RequireEachIncludedType: true,
};
const STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"];

requireEnv(["DB_ENDPOINT", "DB_PORT", "DB_NAME"]);
const settings = dbSettings(process.env);
const secrets = new SecretsManagerClient(clientConfig());
const baseLog = createLogger();

/** A step that cannot proceed, with what is wrong. */
export class RotationError extends Error {
  constructor(message) {
    super(message);
    this.name = "RotationError";
  }
}

/** `{ username, password, ... }` of one version of the secret, or undefined when it has none with that stage. */
async function version(secretId, stage, versionId) {
  try {
    const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage, VersionId: versionId }));
    const value = JSON.parse(out.SecretString ?? "");
    if (!value || typeof value.username !== "string" || typeof value.password !== "string") {
      throw new RotationError(`version ${out.VersionId} (${stage}) of ${secretId} lacks \`username\` or \`password\``);
    }
    return value;
  } catch (err) {
    if (err?.name === "ResourceNotFoundException") return undefined;
    if (err instanceof SyntaxError) throw new RotationError(`the ${stage} version of ${secretId} is not a JSON object`);
    throw err;
  }
}

async function required(secretId, stage, versionId) {
  const value = await version(secretId, stage, versionId);
  if (!value) throw new RotationError(`${secretId} has no ${stage} version${versionId ? ` ${versionId}` : ""}`);
  return value;
}

/** Runs `fn(client)` connected as `credentials`' user; `undefined` when the password is refused. */
async function connectedAs(credentials, fn) {
  const pool = createPool(settings, credentials, { max: 1 });
  try {
    const client = await pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  } catch (err) {
    if (isAuthError(err)) return undefined;
    throw err;
  } finally {
    await pool.end().catch(() => {});
  }
}

async function createSecret(secretId, token, log) {
  const current = await required(secretId, "AWSCURRENT");
  if (await version(secretId, "AWSPENDING", token)) {
    log.info("pending version exists");
    return;
  }
  const { RandomPassword } = await secrets.send(new GetRandomPasswordCommand(PASSWORD_RULES));
  await secrets.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      SecretString: JSON.stringify({ ...current, password: RandomPassword }),
      VersionStages: ["AWSPENDING"],
    }),
  );
  log.info("pending version created");
}

async function setSecret(secretId, token, log) {
  const pending = await required(secretId, "AWSPENDING", token);
  const current = await required(secretId, "AWSCURRENT");
  if (pending.username !== current.username) {
    throw new RotationError(
      `the pending version of ${secretId} names ${JSON.stringify(pending.username)}, the current one ${JSON.stringify(current.username)}: a rotation changes the password only`,
    );
  }
  if (await connectedAs(pending, () => true)) {
    log.info("password already set");
    return;
  }
  const previous = await version(secretId, "AWSPREVIOUS");
  for (const [stage, credentials] of [["AWSCURRENT", current], ["AWSPREVIOUS", previous]]) {
    if (!credentials || credentials.username !== current.username) continue;
    const done = await connectedAs(credentials, async (client) => {
      await client.query(`ALTER ROLE CURRENT_USER WITH PASSWORD ${client.escapeLiteral(pending.password)}`);
      return true;
    });
    if (done) {
      log.info("password set", { connectedWith: stage });
      return;
    }
  }
  throw new RotationError(
    `PostgreSQL refuses ${current.username}'s AWSCURRENT and AWSPREVIOUS passwords of ${secretId}: the role is out of step with its secret; the next deploy's migration sets it from AWSCURRENT`,
  );
}

async function testSecret(secretId, token, log) {
  const pending = await required(secretId, "AWSPENDING", token);
  const ok = await connectedAs(pending, async (client) => (await client.query("SELECT 1 AS ok")).rows[0]?.ok === 1);
  if (!ok) throw new RotationError(`PostgreSQL refuses the pending password of ${secretId} (${pending.username})`);
  log.info("pending password works");
}

async function finishSecret(secretId, token, stages, log) {
  const current = Object.entries(stages).find(([, s]) => s.includes("AWSCURRENT"))?.[0];
  if (current === token) {
    log.info("already current");
    return;
  }
  await secrets.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: "AWSCURRENT",
      MoveToVersionId: token,
      RemoveFromVersionId: current,
    }),
  );
  log.info("rotation finished", { previous: current });
}

export const handler = async (event = {}, context = {}) => {
  const { Step: step, SecretId: secretId, ClientRequestToken: token } = event;
  const log = baseLog.child({ requestId: context.awsRequestId, step, secretId, token });
  if (!STEPS.includes(step)) throw new RotationError(`unknown step ${JSON.stringify(step)}: one of ${STEPS.join(", ")}`);
  if (!secretId || !token) throw new RotationError("the event lacks SecretId or ClientRequestToken");

  const metadata = await secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
  if (!metadata.RotationEnabled) throw new RotationError(`${secretId} does not rotate: its rotation is not enabled`);
  const stages = metadata.VersionIdsToStages ?? {};
  if (!stages[token]) throw new RotationError(`${secretId} has no version ${token} to rotate to`);
  if (stages[token].includes("AWSCURRENT")) {
    log.info("version already current");
    return;
  }
  if (!stages[token].includes("AWSPENDING")) throw new RotationError(`version ${token} of ${secretId} is not AWSPENDING`);

  switch (step) {
    case "createSecret":
      return createSecret(secretId, token, log);
    case "setSecret":
      return setSecret(secretId, token, log);
    case "testSecret":
      return testSecret(secretId, token, log);
    default:
      return finishSecret(secretId, token, stages, log);
  }
};
