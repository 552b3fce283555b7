//! The trading platform.
//!
//! Everything the platform is made of is declared here, with `platform!`.
//! `cargo build` checks the definition against every compile-time rule; the
//! `tp` CLI synthesizes and deploys it. See the `platform_macros` crate for
//! the grammar.

platform_macros::platform! {
    platform trading_platform {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, staging, prod],
        tags: { Project: "trading-platform", Owner: "platform-team", CostCenter: "trading" },
    }

    // Encrypts every table, queue, bucket, topic and log group of the platform.
    key data { description: "Trading platform data at rest", rotation: on }

    table sessions {
        partition: session_id: string,
        ttl: expires_at,
        stream: new_and_old,
        key: data,
    }

    queue trade_orders {
        visibility: 180s,
        retention: profile(dev: 4d, staging: 10d, prod: 14d),
        dead_letter: trade_orders_dlq after 3,
        key: data,
    }
    queue trade_orders_dlq { retention: 14d, key: data }

    bucket config { key: data, noncurrent: 30d }
    bucket audit_log {
        key: data,
        expire: profile(dev: 30d, staging: 90d, prod: never),
        noncurrent: 90d,
    }

    topic alerts { key: data, display_name: "Trading platform alerts" }

    parameter sessions_table { value: sessions.name, description: "Sessions table name" }
    parameter trade_orders_queue { value: trade_orders.url, description: "Trade orders queue URL" }
    parameter audit_bucket { value: audit_log.name, description: "Audit log bucket name" }
    parameter config_bucket { value: config.name, description: "Configuration bucket name" }
    parameter alerts_topic { value: alerts.arn, description: "Alerts topic ARN" }

    function trade_api {
        code: "handlers/trade-api",
        memory: profile(dev: 512, staging: 1024, prod: 2048),
        timeout: 10s,
        logs: 30d,
        key: data,
        env: {
            SESSIONS_TABLE: sessions.name,
            TRADE_ORDERS_QUEUE_URL: trade_orders.url,
        },
        grants: { sessions: read_write, trade_orders: send },
    }

    function trade_processor {
        code: "handlers/trade-processor",
        memory: profile(dev: 512, staging: 1024, prod: 2048),
        timeout: 30s,
        logs: 30d,
        key: data,
        trigger: trade_orders { batch: 10 },
        env: {
            SESSIONS_TABLE: sessions.name,
            AUDIT_BUCKET: audit_log.name,
        },
        grants: { sessions: read_write, audit_log: write },
    }

    function event_handler {
        code: "handlers/event-handler",
        memory: 256,
        timeout: 30s,
        logs: 30d,
        key: data,
        env: { AUDIT_BUCKET: audit_log.name },
        grants: { audit_log: write },
    }

    function health_monitor {
        code: "handlers/health-monitor",
        memory: 256,
        timeout: 60s,
        logs: 30d,
        key: data,
        env: {
            TRADE_ORDERS_QUEUE_URL: trade_orders.url,
            TRADE_ORDERS_DLQ_URL: trade_orders_dlq.url,
            ALERTS_TOPIC_ARN: alerts.arn,
            CONFIG_PARAMETER: sessions_table.name,
        },
        grants: {
            trade_orders: monitor,
            trade_orders_dlq: monitor,
            alerts: publish,
            sessions_table: read,
        },
    }
}
