// Connections to the Aurora PostgreSQL cluster with node-postgres.
//
// Shared: every function's asset holds it as lib/db.mjs (see logger.mjs);
// migrate, db-rotation, trade-processor and health-monitor import it, and each
// ships `pg` as node_modules/ from the one vendored set, handlers/vendor/pg/
// (its `include:` in platform-def/src/lib.rs).
//
// Credentials come from a Secrets Manager secret, a JSON object with
// `username` and `password`: the shape of RDS-managed master user secrets
// and of a `db_user`'s secret. trade-processor and health-monitor read
// their own database user's (DB_SECRET_ARN), migrate the master's and every
// user's. Host, port and database come from DB_ENDPOINT, DB_PORT, DB_NAME.
//
// TLS is on unless DB_SSL=disable (local tests only), and the server
// certificate is always verified. In Lambda the runtime ships the Amazon CA
// bundle, RDS authorities included, at /var/runtime/ca-cert.pem but (from
// Node.js 20 on) no longer trusts it by default; it is added here to Node's
// own list, as NODE_EXTRA_CA_CERTS would do, so no extra setting is needed.
// DB_CA_FILE names another PEM bundle to add instead.

import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import pg from "pg";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";

const LAMBDA_CA_BUNDLE = "/var/runtime/ca-cert.pem";

/** The database settings from the environment (validated by the caller's requireEnv). */
export function dbSettings(env = process.env) {
  const port = Number.parseInt(env.DB_PORT ?? "5432", 10);
  return {
    host: env.DB_ENDPOINT,
    port: Number.isFinite(port) ? port : 5432,
    database: env.DB_NAME,
    secretArn: env.DB_SECRET_ARN,
    ssl: sslOptions(env),
    connectTimeoutMs: Number.parseInt(env.DB_CONNECT_TIMEOUT_MS ?? "", 10) || 5000,
    queryTimeoutMs: Number.parseInt(env.DB_QUERY_TIMEOUT_MS ?? "", 10) || 10000,
  };
}

/** node-postgres `ssl` option: false only when DB_SSL=disable. */
export function sslOptions(env = process.env) {
  if (String(env.DB_SSL || "").toLowerCase() === "disable") return false;
  const file = env.DB_CA_FILE || LAMBDA_CA_BUNDLE;
  let extra;
  try {
    extra = readFileSync(file, "utf8");
  } catch (err) {
    if (env.DB_CA_FILE) throw new Error(`DB_CA_FILE ${env.DB_CA_FILE} cannot be read: ${err.message}`);
  }
  // Without a bundle Node's own trust store applies; verification stays on.
  return extra ? { rejectUnauthorized: true, ca: [...rootCertificates, extra] } : { rejectUnauthorized: true };
}

/** Reads `{ username, password }` from the secret. */
export async function readCredentials(secretsClient, secretArn) {
  const out = await secretsClient.send(new GetSecretValueCommand({ SecretId: secretArn }));
  let secret;
  try {
    secret = JSON.parse(out.SecretString ?? "");
  } catch {
    throw new Error("the database secret is not a JSON object");
  }
  if (!secret || typeof secret.username !== "string" || typeof secret.password !== "string") {
    throw new Error("the database secret lacks `username` or `password`");
  }
  return { username: secret.username, password: secret.password };
}

/** A small pool: a Lambda execution environment handles one invocation at a time. */
export function createPool(settings, credentials, { max = 2, onError = () => {} } = {}) {
  const pool = new pg.Pool({
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: credentials.username,
    password: credentials.password,
    ssl: settings.ssl,
    max,
    idleTimeoutMillis: 60000,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    query_timeout: settings.queryTimeoutMs,
    statement_timeout: settings.queryTimeoutMs,
    application_name: process.env.AWS_LAMBDA_FUNCTION_NAME || "trading-platform",
    // Idle connections do not keep a process alive (Lambda freezes it anyway).
    allowExitOnIdle: true,
  });
  // An idle client whose connection drops emits 'error' on the pool; without
  // a listener that would crash the process. The next query reconnects.
  pool.on("error", onError);
  return pool;
}

/** Whether the error says the credentials are wrong (the secret may have rotated). */
export function isAuthError(err) {
  return err?.code === "28P01" || err?.code === "28000";
}
