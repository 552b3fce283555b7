// The migrate function (the deploy's after-deploy step) against a real
// PostgreSQL and moto's Secrets Manager: the roles from their secrets, the
// schema owned by the owner role, each version once, the privileges of each
// role (what they can do and, above all, what they cannot), idempotence,
// concurrent runs, a database migrated before there were roles, a changed
// privilege and a rotated password, and the mistakes it refuses.
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import {
  afterDeployEvent,
  aws,
  coldStart,
  connectAs,
  createDatabase,
  createDbSecret,
  createDbUsers,
  createMigratedDatabase,
  lambdaContext,
  migrateEnv,
  uid,
} from "./support/harness.mjs";
import { SHIPPED_DIR } from "./support/shipped.mjs";

const { MIGRATIONS } = await import(pathToFileURL(join(SHIPPED_DIR, "migrate", "migrations.mjs")).href);
const VERSIONS = MIGRATIONS.map((m) => m.version);
const TRADE = `INSERT INTO trades (trade_id, caller_id, client_order_id, session_id, symbol, side, order_type, quantity, submitted_at)
               VALUES (gen_random_uuid(), 'caller', $1, 's', 'IBM', 'buy', 'market', '1', now())`;

let db;
const dropped = [];

before(async () => {
  db = await createMigratedDatabase();
  dropped.push(db);
});

after(async () => {
  for (const d of dropped) await d.drop();
});

/** Runs `fn(client)` connected to `database` as `user`, then disconnects. */
async function as(database, user, fn) {
  const client = await connectAs(database, user);
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Rejects with PostgreSQL's insufficient_privilege (42501). */
async function refused(promise, what) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, "42501", `${what}: ${err.message}`);
    return true;
  });
}

/** Everything the migration decides, in a comparable form. */
async function snapshot(d) {
  const names = Object.values(d.users).map((u) => u.name);
  const q = async (sql, params = []) => (await d.query(sql, params)).rows;
  return {
    roles: await q(
      `SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolbypassrls
         FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`,
      [names],
    ),
    owners: await q(
      `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' ORDER BY c.relname`,
    ),
    tableGrants: await q(
      `SELECT grantee, table_name, privilege_type FROM information_schema.role_table_grants
        WHERE grantee = ANY($1) ORDER BY 1, 2, 3`,
      [names],
    ),
    defaults: await q(
      `SELECT pg_get_userbyid(d.defaclrole) AS owner, d.defaclobjtype AS kind, pg_get_userbyid(a.grantee) AS grantee, a.privilege_type
         FROM pg_default_acl d, aclexplode(d.defaclacl) a ORDER BY 1, 2, 3, 4`,
    ),
    schema: await q(
      `SELECT r AS role, has_schema_privilege(r, 'public', 'USAGE') AS usage, has_schema_privilege(r, 'public', 'CREATE') AS create,
              has_database_privilege(r, current_database(), 'CONNECT') AS connect
         FROM unnest($1::text[]) AS r ORDER BY r`,
      [names],
    ),
    publicCreate: (await q("SELECT has_schema_privilege('public', 'public', 'CREATE') AS c"))[0].c,
    migrations: await q("SELECT version, name, applied_at FROM schema_migrations ORDER BY version"),
  };
}

async function migrateAgain(env) {
  const fn = await coldStart("migrate", env);
  return fn.handler(afterDeployEvent(), lambdaContext(60000));
}

describe("migrate", () => {
  it("creates the roles from their secrets, the schema as the owner's, each version recorded", async () => {
    const { migration, users } = db;
    assert.deepEqual(migration.applied, VERSIONS);
    assert.equal(migration.schemaVersion, Math.max(...VERSIONS));
    assert.equal(migration.owner, users.owner.name);
    assert.deepEqual(
      migration.roles.map((r) => [r.name, r.privileges, r.created]),
      [users.owner, users.app, users.monitor].map((u) => [u.name, u.privileges, true]),
    );
    const state = await snapshot(db);
    assert.equal(state.roles.length, 3);
    for (const role of state.roles) {
      assert.deepEqual(
        { login: role.rolcanlogin, superuser: role.rolsuper, createrole: role.rolcreaterole, createdb: role.rolcreatedb },
        { login: true, superuser: false, createrole: false, createdb: false },
        role.rolname,
      );
    }
    const tables = state.owners.filter((o) => ["trades", "trade_outbox", "schema_migrations"].includes(o.relname));
    assert.equal(tables.length, 3);
    assert.ok(state.owners.every((o) => o.owner === users.owner.name), JSON.stringify(state.owners));
    assert.deepEqual(state.migrations.map((m) => m.version), VERSIONS);
    assert.equal(state.publicCreate, false, "PUBLIC cannot create in schema public");
    // Each user logs in with the password of its secret (quote and backslash included).
    for (const user of Object.values(users)) {
      assert.equal(await as(db.name, user, async (c) => (await c.query("SELECT current_user AS u")).rows[0].u), user.name);
    }
  });

  it("is idempotent: run again, it applies nothing and leaves the same state", async () => {
    const before = await snapshot(db);
    const again = await migrateAgain(db.migrateEnv);
    assert.deepEqual(again.applied, []);
    assert.deepEqual(again.handedOver, []);
    assert.ok(again.roles.every((r) => r.created === false));
    assert.deepEqual(await snapshot(db), before);
    await as(db.name, db.users.app, (c) => c.query("SELECT 1"));
  });

  it("lets the dml role read and write the trades, and create, alter or drop nothing", async () => {
    const coid = `dml-${uid()}`;
    await as(db.name, db.users.app, async (c) => {
      await c.query(TRADE, [coid]);
      const { rows } = await c.query("SELECT trade_id FROM trades WHERE client_order_id = $1", [coid]);
      assert.equal(rows.length, 1);
      await c.query("INSERT INTO trade_outbox (trade_id, detail) VALUES ($1, '{}')", [rows[0].trade_id]);
      assert.equal((await c.query("UPDATE trades SET status = 'settled' WHERE client_order_id = $1", [coid])).rowCount, 1);
      assert.equal((await c.query("UPDATE trade_outbox SET attempts = attempts + 1 WHERE trade_id = $1", [rows[0].trade_id])).rowCount, 1);
      assert.equal((await c.query("DELETE FROM trade_outbox WHERE trade_id = $1", [rows[0].trade_id])).rowCount, 1);
      await refused(c.query("CREATE TABLE intruder (id int)"), "CREATE TABLE");
      await refused(c.query("ALTER TABLE trades ADD COLUMN extra text"), "ALTER TABLE");
      await refused(c.query("DROP TABLE trade_outbox"), "DROP TABLE");
      await refused(c.query("TRUNCATE trades CASCADE"), "TRUNCATE");
      await refused(c.query("INSERT INTO schema_migrations (version, name) VALUES (999, 'x')"), "writing schema_migrations");
      assert.deepEqual((await c.query("SELECT version FROM schema_migrations ORDER BY version")).rows.map((r) => r.version), VERSIONS);
    });
  });

  it("lets the read_only role read, and write nothing", async () => {
    await as(db.name, db.users.monitor, async (c) => {
      assert.equal((await c.query("SELECT 1 AS ok")).rows[0].ok, 1);
      await c.query("SELECT count(*) FROM trades");
      await refused(c.query(TRADE, [`ro-${uid()}`]), "INSERT");
      await refused(c.query("UPDATE trades SET status = 'x'"), "UPDATE");
      await refused(c.query("DELETE FROM trades"), "DELETE");
      await refused(c.query("CREATE TABLE intruder (id int)"), "CREATE TABLE");
    });
  });

  it("grants on what later migrations create, through the owner's default privileges", async () => {
    const admin = await db.pool.connect();
    try {
      await admin.query(`SET ROLE ${admin.escapeIdentifier(db.users.owner.name)}`);
      await admin.query("CREATE TABLE later (id serial PRIMARY KEY, note text)");
    } finally {
      await admin.query("RESET ROLE");
      admin.release();
    }
    try {
      await as(db.name, db.users.app, async (c) => {
        await c.query("INSERT INTO later (note) VALUES ('x')"); // the sequence too
        assert.equal((await c.query("SELECT count(*)::int AS n FROM later")).rows[0].n, 1);
      });
      await as(db.name, db.users.monitor, async (c) => {
        assert.equal((await c.query("SELECT count(*)::int AS n FROM later")).rows[0].n, 1);
        await refused(c.query("INSERT INTO later (note) VALUES ('y')"), "read_only INSERT");
      });
    } finally {
      await db.query("DROP TABLE later");
    }
  });

  it("applies each version once when runs overlap: the second waits, then finds nothing to do", async () => {
    const fresh = await createDatabase();
    dropped.push(fresh);
    const env = migrateEnv({ database: fresh.name, users: await createDbUsers(), masterSecretArn: await createDbSecret() });
    const [one, two] = [await coldStart("migrate", env), await coldStart("migrate", env)];
    const results = await Promise.all([one, two].map((fn) => fn.handler(afterDeployEvent(), lambdaContext(60000))));
    assert.deepEqual(results.map((r) => r.applied).sort((a, b) => b.length - a.length), [VERSIONS, []]);
    const { rows } = await fresh.query("SELECT version FROM schema_migrations ORDER BY version");
    assert.deepEqual(rows.map((r) => r.version), VERSIONS);
  });

  it("takes over a database the processor migrated as the master user, keeping its rows", async () => {
    const old = await createDatabase();
    dropped.push(old);
    // As trade-processor did at cold start: the tables owned by the master.
    await old.query("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    for (const m of MIGRATIONS) {
      await old.query(m.sql);
      await old.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
    }
    const coid = `old-${uid()}`;
    await old.query(TRADE, [coid]);
    const users = await createDbUsers();
    const env = migrateEnv({ database: old.name, users, masterSecretArn: await createDbSecret() });
    const result = await migrateAgain(env);
    assert.deepEqual(result.applied, []);
    assert.deepEqual([...result.handedOver].sort(), ["schema_migrations", "trade_outbox", "trades"]);
    const { rows } = await old.query(
      "SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
    );
    assert.deepEqual(rows, [{ owner: users.owner.name }]);
    await as(old.name, users.app, async (c) => {
      assert.equal((await c.query("UPDATE trades SET status = 'settled' WHERE client_order_id = $1", [coid])).rowCount, 1);
      await refused(c.query("CREATE TABLE intruder (id int)"), "CREATE TABLE");
    });
  });

  it("converges when a user's privileges change and picks up a changed password", async () => {
    const d = await createMigratedDatabase();
    dropped.push(d);
    const app = d.users.app;
    // The dml user declared read_only from now on, with a new password.
    const password = `${uid()}${uid()}`;
    await aws.secrets.send(new PutSecretValueCommand({ SecretId: app.secretArn, SecretString: JSON.stringify({ username: app.name, password }) }));
    const result = await migrateAgain({ ...d.migrateEnv, DB_USER_APP_PRIVILEGES: "read_only" });
    assert.deepEqual(result.applied, []);
    await assert.rejects(connectAs(d.name, app), (err) => err.code === "28P01");
    await as(d.name, { ...app, password }, async (c) => {
      await c.query("SELECT count(*) FROM trades");
      await refused(c.query(TRADE, [`rw-${uid()}`]), "INSERT after the change to read_only");
    });
  });

  it("refuses a secret that names another user, and changes nothing", async () => {
    const fresh = await createDatabase();
    dropped.push(fresh);
    const users = await createDbUsers();
    const wrong = { ...users.app, secretArn: await createDbSecret(`not_${users.app.name}`, "pw") };
    const fn = await coldStart("migrate", migrateEnv({ database: fresh.name, users: { ...users, app: wrong }, masterSecretArn: await createDbSecret() }));
    await assert.rejects(fn.handler(afterDeployEvent(), lambdaContext(60000)), new RegExp(`names "not_${users.app.name}": it must name ${users.app.name}`));
    assert.equal((await fresh.query("SELECT to_regclass('schema_migrations') AS t")).rows[0].t, null);
    const { rows } = await fresh.query("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", [Object.values(users).map((u) => u.name)]);
    assert.deepEqual(rows, []);
  });

  it("refuses an environment without exactly one owner, or with an unknown privilege", async () => {
    const users = await createDbUsers();
    const base = { database: "unused", masterSecretArn: "arn:unused" };
    const { owner, ...noOwner } = users;
    await assert.rejects(coldStart("migrate", migrateEnv({ ...base, users: noOwner })), /exactly one database user with privileges owner is needed .* found 0/);
    await assert.rejects(
      coldStart("migrate", migrateEnv({ ...base, users: { ...users, second: { ...owner, name: `x_${owner.name}` } } })),
      /found 2/,
    );
    await assert.rejects(
      coldStart("migrate", migrateEnv({ ...base, users: { ...users, app: { ...users.app, privileges: "admin" } } })),
      /DB_USER_APP_PRIVILEGES is "admin": one of owner, dml, read_only/,
    );
  });

  it("fails with the database's error when it cannot connect as the master user", async () => {
    const env = { ...db.migrateEnv, MASTER_SECRET_ARN: await createDbSecret(process.env.PGUSER, "wrong"), RETRY_MAX_ATTEMPTS: "2" };
    await assert.rejects(migrateAgain(env), /database migration failed after 2 attempt\(s\): password authentication failed/);
  });
});
