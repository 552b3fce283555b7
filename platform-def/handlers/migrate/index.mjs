// migrate: the deploy's last step (`run: after_deploy`). `tp deploy`, `tp
// promote` and `tp local up` invoke it synchronously once every stack is
// complete, with {"phase": "after_deploy", "stack", "region"}; it throws to
// fail the deploy.
//
// Connected as the cluster's master user (its managed secret), in one
// transaction holding an advisory lock (a concurrent run waits, then finds
// nothing left to do), it:
//
//   1. creates each declared database user's role, or updates it, with the
//      password of the user's own secret (LOGIN, nothing else);
//   2. lets the master user act as the owner role, gives the owner USAGE
//      and CREATE on schema public, takes CREATE from PUBLIC, and hands the
//      schema's tables, views and sequences to the owner (a database
//      migrated before there was an owner has them owned by the master);
//   3. as the owner (SET LOCAL ROLE), applies each migration of
//      migrations.mjs not yet recorded in schema_migrations, so everything
//      the migrations create belongs to the owner;
//   4. grants each other user exactly its privileges, revoking whatever
//      else it held (a user changed from dml to read_only loses its
//      writes): `dml` SELECT, INSERT, UPDATE, DELETE on the tables and
//      USAGE, SELECT on the sequences, `read_only` SELECT; both CONNECT and
//      USAGE on the schema, never CREATE, only SELECT on schema_migrations,
//      and the same as the owner's default privileges for what later
//      migrations create.
//
// A role whose secret is being rotated (a version AWSPENDING, not yet
// AWSCURRENT) keeps its password: the rotation function owns it until
// finishSecret, and setting AWSCURRENT's back would undo the rotation.
//
// Running it again changes nothing but the roles' password hashes (from the
// same passwords). Roles no longer declared are left alone: dropping one
// would fail while it owns or holds anything.
//
// Environment: MASTER_SECRET_ARN, DB_ENDPOINT, DB_PORT, DB_NAME (required);
// per user, DB_USER_<ID>_SECRET_ARN, DB_USER_<ID>_NAME and
// DB_USER_<ID>_PRIVILEGES (`owner`, `dml` or `read_only`; exactly one
// owner); DB_SSL=disable (local tests only), DB_CA_FILE,
// DB_CONNECT_TIMEOUT_MS, DB_QUERY_TIMEOUT_MS (default: the invocation's
// remaining time), RETRY_MAX_ATTEMPTS, RETRY_BASE_DELAY_MS,
// RETRY_MAX_DELAY_MS, LOG_LEVEL (optional).

import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { clientConfig, requireEnv } from "./lib/aws.mjs";
import { createPool, dbSettings, isAuthError, readCredentials } from "./lib/db.mjs";
import { createLogger } from "./lib/logger.mjs";
import { isTransientDbError, retryOptionsFromEnv, withRetry } from "./lib/retry.mjs";
import { MIGRATIONS } from "./migrations.mjs";

// The key trade-processor's cold-start migration took before this function
// existed: any run of either waits for the other.
const MIGRATION_LOCK_KEY = 7243901;
const PRIVILEGES = ["owner", "dml", "read_only"];
const TABLE_PRIVILEGES = { dml: "SELECT, INSERT, UPDATE, DELETE", read_only: "SELECT" };
const SEQUENCE_PRIVILEGES = { dml: "USAGE, SELECT", read_only: "" };
// Time kept in reserve to answer before the function's timeout.
const TIME_RESERVE_MS = 10000;

const env = requireEnv(["MASTER_SECRET_ARN", "DB_ENDPOINT", "DB_PORT", "DB_NAME"]);
const users = declaredUsers(process.env);
const retryOptions = retryOptionsFromEnv(process.env);
// Read at load, as every handler reads its configuration.
const settings = dbSettings(process.env);
const QUERY_TIMEOUT_SET = Boolean(process.env.DB_QUERY_TIMEOUT_MS);
const secrets = new SecretsManagerClient(clientConfig());
const baseLog = createLogger();

/**
 * The database users the environment declares (DB_USER_<ID>_SECRET_ARN,
 * _NAME, _PRIVILEGES), the owner first; throws naming what is wrong.
 */
export function declaredUsers(vars) {
  const ids = Object.keys(vars)
    .map((name) => /^DB_USER_([A-Z0-9_]+)_SECRET_ARN$/.exec(name)?.[1])
    .filter(Boolean)
    .sort();
  const found = ids.map((id) => {
    const prefix = `DB_USER_${id}_`;
    const [secretArn, name, privileges] = ["SECRET_ARN", "NAME", "PRIVILEGES"].map((k) => String(vars[prefix + k] ?? "").trim());
    if (!name || !privileges) throw new Error(`${prefix}SECRET_ARN is set without ${prefix}NAME and ${prefix}PRIVILEGES: set all three`);
    if (!PRIVILEGES.includes(privileges)) {
      throw new Error(`${prefix}PRIVILEGES is ${JSON.stringify(privileges)}: one of ${PRIVILEGES.join(", ")}`);
    }
    return { id, secretArn, name, privileges };
  });
  const owners = found.filter((u) => u.privileges === "owner");
  if (owners.length !== 1) {
    throw new Error(
      `exactly one database user with privileges owner is needed (the schema's owner), found ${owners.length}: declare it with DB_USER_<ID>_*`,
    );
  }
  const names = found.map((u) => u.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`the database user ${twice} is declared twice`);
  return [...owners, ...found.filter((u) => u.privileges !== "owner")];
}

/**
 * Each user with the password of its secret (AWSCURRENT), which must name
 * it, and whether the secret is being rotated (a version AWSPENDING that is
 * not AWSCURRENT): the rotation function has set, or is about to set, the
 * pending password, which setting AWSCURRENT's back would undo.
 */
async function withPasswords() {
  return Promise.all(
    users.map(async (user) => {
      const [{ username, password }, metadata] = await Promise.all([
        readCredentials(secrets, user.secretArn),
        secrets.send(new DescribeSecretCommand({ SecretId: user.secretArn })),
      ]);
      if (username !== user.name) {
        throw new Error(`the secret of database user ${user.name} (${user.secretArn}) names ${JSON.stringify(username)}: it must name ${user.name}`);
      }
      const rotating = Object.values(metadata.VersionIdsToStages ?? {}).some((s) => s.includes("AWSPENDING") && !s.includes("AWSCURRENT"));
      return { ...user, password, rotating };
    }),
  );
}

/** The whole migration, in one transaction on `client`; what it did. */
async function migrateOnce(client, withSecrets, log) {
  const id = (name) => client.escapeIdentifier(name);
  const [owner, ...others] = withSecrets;
  const roles = [];
  await client.query("BEGIN");
  await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
  const { rows: [{ database, master, version }] } = await client.query(
    "SELECT current_database() AS database, current_user AS master, current_setting('server_version_num')::int AS version",
  );

  // 1. The roles, with their secrets' passwords.
  for (const user of withSecrets) {
    const { rowCount } = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [user.name]);
    const verb = rowCount ? "ALTER" : "CREATE";
    // A rotation in progress owns the password until it finishes (or is retried).
    const password = rowCount && user.rotating ? "" : ` PASSWORD ${client.escapeLiteral(user.password)}`;
    if (!password) log.info("password left to the rotation in progress", { role: user.name });
    await client.query(`${verb} ROLE ${id(user.name)} WITH LOGIN NOCREATEDB NOCREATEROLE${password}`);
    await client.query(`GRANT CONNECT ON DATABASE ${id(database)} TO ${id(user.name)}`);
    roles.push({ name: user.name, privileges: user.privileges, created: !rowCount });
  }

  // 2. The master acts as the owner (SET ROLE; on PostgreSQL 16 a role's
  // creator holds it without SET unless granted), which owns the schema's
  // objects and alone creates in it.
  const canSet = version >= 160000 ? "SET" : "MEMBER";
  const { rows: [{ member }] } = await client.query("SELECT pg_has_role(current_user, $1, $2) AS member", [owner.name, canSet]);
  if (!member) await client.query(`GRANT ${id(owner.name)} TO ${id(master)}`);
  await client.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${id(owner.name)}`);
  await client.query("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
  const { rows: foreign } = await client.query(
    `SELECT c.relname, c.relkind FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        AND pg_get_userbyid(c.relowner) <> $1
        -- a column's sequence follows its table; an extension's objects stay its own
        AND NOT EXISTS (SELECT 1 FROM pg_depend d
                         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
      ORDER BY c.relname`,
    [owner.name],
  );
  const KIND = { r: "TABLE", p: "TABLE", v: "VIEW", m: "MATERIALIZED VIEW", S: "SEQUENCE", f: "FOREIGN TABLE" };
  for (const { relname, relkind } of foreign) {
    await client.query(`ALTER ${KIND[relkind]} public.${id(relname)} OWNER TO ${id(owner.name)}`);
  }

  // 3. The migrations, as the owner.
  await client.query(`SET LOCAL ROLE ${id(owner.name)}`);
  await client.query(`
    CREATE TABLE IF NOT EXISTS public.schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  const { rows } = await client.query("SELECT version FROM public.schema_migrations");
  const done = new Set(rows.map((r) => Number(r.version)));
  const applied = [];
  for (const migration of MIGRATIONS) {
    if (done.has(migration.version)) continue;
    await client.query(migration.sql);
    await client.query("INSERT INTO public.schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
    applied.push(migration.version);
  }

  // 4. Each other user's privileges, exactly: what it held is revoked
  // first (the owner owns every object, so it grants and revokes).
  const ownedBy = `FOR ROLE ${id(owner.name)} IN SCHEMA public`;
  for (const user of others) {
    const u = id(user.name);
    await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${u}`);
    await client.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${u}`);
    await client.query(`ALTER DEFAULT PRIVILEGES ${ownedBy} REVOKE ALL ON TABLES FROM ${u}`);
    await client.query(`ALTER DEFAULT PRIVILEGES ${ownedBy} REVOKE ALL ON SEQUENCES FROM ${u}`);
    const tables = TABLE_PRIVILEGES[user.privileges];
    const sequences = SEQUENCE_PRIVILEGES[user.privileges];
    await client.query(`GRANT ${tables} ON ALL TABLES IN SCHEMA public TO ${u}`);
    await client.query(`ALTER DEFAULT PRIVILEGES ${ownedBy} GRANT ${tables} ON TABLES TO ${u}`);
    if (sequences) {
      await client.query(`GRANT ${sequences} ON ALL SEQUENCES IN SCHEMA public TO ${u}`);
      await client.query(`ALTER DEFAULT PRIVILEGES ${ownedBy} GRANT ${sequences} ON SEQUENCES TO ${u}`);
    }
    // The record of migrations is the owner's to write.
    await client.query(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.schema_migrations FROM ${u}`);
  }
  await client.query("RESET ROLE");
  for (const user of others) {
    await client.query(`GRANT USAGE ON SCHEMA public TO ${id(user.name)}`);
    await client.query(`REVOKE CREATE ON SCHEMA public FROM ${id(user.name)}`);
  }
  await client.query("COMMIT");

  const schemaVersion = Math.max(0, ...done, ...applied);
  log.info("database migrated", { database, owner: owner.name, applied, schemaVersion, handedOver: foreign.map((r) => r.relname), roles });
  return { database, owner: owner.name, roles, applied, schemaVersion, handedOver: foreign.map((r) => r.relname) };
}

export const handler = async (event = {}, context = {}) => {
  const log = baseLog.child({ requestId: context.awsRequestId, phase: event?.phase, stack: event?.stack });
  const remaining = typeof context.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : 300000;
  const deadline = Date.now() + remaining - TIME_RESERVE_MS;
  // A migration may take long (DDL on a large table); by default its
  // statements may take what the invocation has left.
  const invocationSettings = QUERY_TIMEOUT_SET ? settings : { ...settings, queryTimeoutMs: Math.max(5000, deadline - Date.now()) };

  return withRetry(
    async () => {
      // Read on every attempt: a rotated master password is picked up.
      const [master, withSecrets] = await Promise.all([readCredentials(secrets, env.MASTER_SECRET_ARN), withPasswords()]);
      const pool = createPool(invocationSettings, master, { max: 1, onError: (err) => log.warn("database connection lost", { error: err }) });
      try {
        const client = await pool.connect();
        let broken = false;
        try {
          return await migrateOnce(client, withSecrets, log);
        } catch (err) {
          broken = true;
          await client.query("ROLLBACK").catch(() => {});
          throw err;
        } finally {
          client.release(broken);
        }
      } finally {
        await pool.end().catch(() => {});
      }
    },
    {
      ...retryOptions,
      operation: "database migration",
      deadline,
      isRetryable: (err) => isAuthError(err) || isTransientDbError(err),
      onRetry: ({ attempt, delayMs, error }) => log.warn("retrying the migration", { attempt, delayMs, error }),
    },
  );
};
