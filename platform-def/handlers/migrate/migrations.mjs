// The trades schema, version by version. Applied by index.mjs, in order, as
// the schema's owner role, each version once (recorded in
// schema_migrations).
//
// Append-only: never edit a released version (databases that applied it
// would not apply it again), add the next one. Versions 1 and 2 were
// applied by trade-processor itself at cold start, as the master user,
// before the migration became a deploy step: the same SQL, so a database
// migrated then is recognised and handed over to the owner role.

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
