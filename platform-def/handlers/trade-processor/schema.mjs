// The trades schema, created and upgraded by trade-processor itself: once per
// execution environment (cold start), before the first trade is written.
//
// Idempotent and safe under concurrency: every migration runs in one
// transaction holding a PostgreSQL advisory lock, and is recorded in
// schema_migrations, so concurrent cold starts apply each version once.
// Migrations are append-only: never edit a released one, add the next version.

const MIGRATION_LOCK_KEY = 7243901; // any constant shared by every instance

export const MIGRATIONS = [
  {
    version: 1,
    name: "create trades",
    sql: `
      CREATE TABLE IF NOT EXISTS trades (
        trade_id            uuid PRIMARY KEY,
        client_order_id     text NOT NULL,
        session_id          text NOT NULL,
        symbol              text NOT NULL,
        side                text NOT NULL CHECK (side IN ('buy', 'sell')),
        order_type          text NOT NULL CHECK (order_type IN ('market', 'limit')),
        quantity            numeric(20, 8) NOT NULL CHECK (quantity > 0),
        limit_price         numeric(20, 8) CHECK (limit_price > 0),
        status              text NOT NULL DEFAULT 'processed',
        submitted_at        timestamptz NOT NULL,
        processed_at        timestamptz NOT NULL DEFAULT now(),
        source_message_id   text,
        session_recorded_at timestamptz,
        event_published_at  timestamptz,
        CONSTRAINT trades_client_order_id_key UNIQUE (client_order_id),
        CONSTRAINT trades_limit_price_iff_limit CHECK ((order_type = 'limit') = (limit_price IS NOT NULL))
      );
      CREATE INDEX IF NOT EXISTS trades_session_submitted_idx ON trades (session_id, submitted_at);
    `,
  },
  {
    version: 2,
    name: "idempotency per caller; transactional outbox",
    // Rows from before callers were recorded keep caller_id '' (no caller
    // the API accepts is empty), so their client order ids stay theirs.
    sql: `
      ALTER TABLE trades ADD COLUMN caller_id text NOT NULL DEFAULT '';
      ALTER TABLE trades ALTER COLUMN caller_id DROP DEFAULT;
      ALTER TABLE trades DROP CONSTRAINT trades_client_order_id_key;
      ALTER TABLE trades ADD CONSTRAINT trades_caller_client_order_id_key UNIQUE (caller_id, client_order_id);
      -- One row per trade, written in the transaction that writes the trade:
      -- the TradeProcessed event to publish. A publisher claims a row for a
      -- lease (claimed_until), publishes, then sets published_at.
      CREATE TABLE trade_outbox (
        trade_id      uuid PRIMARY KEY REFERENCES trades (trade_id),
        detail        text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        claimed_until timestamptz,
        attempts      integer NOT NULL DEFAULT 0,
        published_at  timestamptz,
        event_id      text
      );
      CREATE INDEX trade_outbox_unpublished_idx ON trade_outbox (created_at) WHERE published_at IS NULL;
    `,
  },
];

/** Applies every migration not yet recorded; returns the versions applied now. */
export async function migrate(pool, log) {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query("SELECT version FROM schema_migrations");
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    await client.query("COMMIT");
    if (applied.length) log.info("database migrations applied", { versions: applied });
    return applied;
  } catch (err) {
    broken = true;
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    // A client whose transaction failed may hold a dead connection: drop it.
    client.release(broken);
  }
}
