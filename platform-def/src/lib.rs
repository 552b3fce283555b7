//! The trading platform.
//!
//! Everything the platform is made of is declared here, with `platform!`.
//! `cargo build` checks the definition against every compile-time rule; the
//! `tp` CLI synthesizes and deploys it. See the `platform_macros` crate for
//! the grammar.
//!
//! Three regions (us-east-1 first), three sizing profiles. Per region: a VPC
//! with no route to the internet (no internet gateway, no NAT gateway)
//! whose private subnets reach AWS only through endpoints; an Aurora
//! PostgreSQL Serverless v2 cluster in its isolated subnets, with a PostgreSQL role each for the schema's owner, the
//! processor and the monitor (their passwords in secrets of their own), set
//! up with the schema by an after-deploy migration; a REST API behind a web
//! ACL whose `GET /health` has a function and a throttle of its own and
//! whose `POST /trades` validates orders against
//! `handlers/trade-api/schemas/trade-order.json` (the handler validates them
//! again with the same file, bundled in its code); SQS with dead-letter
//! queues; an EventBridge bus whose processed trades reach the event handler
//! and an audit log group; an hourly health monitor that checks the API
//! through a probe outside the VPC; the API's custom domain in a Route 53
//! zone, latency-routed across the regions, with a Route 53 health check
//! and an alarm per region;
//! alarms to one topic and one dashboard; a nightly AWS Backup plan of the
//! database and the tables into the bootstrap's vault, copied to another
//! region, their storage under the bootstrap's key that outlives every
//! environment. Five keys, one per purpose: data,
//! database credentials, logs, the audit trail, function environments;
//! every log kept a year in production. A promotion pipeline (its own
//! stack) takes the definition from dev through staging to production.

platform_macros::platform! {
    platform trading_platform {
        regions: [us_east_1, us_east_2, us_west_2],
        suffix: max 12,
        profiles: [dev, staging, prod],
        // Each profile deploys into its own account, bootstrapped to trust
        // the tooling account the pipeline runs in (`tp bootstrap`).
        accounts: profile(dev: "111111111111", staging: "222222222222", prod: "333333333333"),
        tags: { Project: "trading-platform", Owner: "platform-team", CostCenter: "trading" },
        // After a deploy, CloudFormation watches the `guard` alarms this long
        // and rolls the deploy back if one fires.
        rollback_window: profile(dev: 5m, staging: 10m, prod: 15m),
        // AWS Config checks each region's stack for drift daily and the
        // `alerts` topic hears about any.
        drift_check: { notify: alerts, every: 24h },
    }

    // Promotion: dev, then staging, then a manual approval before prod; each
    // stage runs `tp deploy` and `tp verify`, and a failed verify rolls that
    // stage back. Deployed on its own with `tp synth --pipeline`.
    pipeline release {
        region: us_east_1,
        source: repository "acme/trading-platform" branch "main",
        stages: [dev, staging, approve, prod],
        // The record of every change to production (`log-retention-prod`).
        logs: 365d,
        // The tooling account: the pipeline runs here and assumes each
        // stage account's deploy role.
        account: "444444444444",
        // The approval before prod notifies the on-call.
        notify: alerts,
    }

    // Keys by purpose: each encrypts one kind of data, and a function's role
    // may use a key only for the resources its grants name (each grant adds
    // the key actions of its level on the key of that resource alone). Every
    // key waits 30 days (the DSL's default `pending_window`) before a
    // scheduled deletion completes.
    //
    // Tables, queues, the alerts topic, the event bus, the configuration
    // bucket and the database (storage, master secret, Performance Insights).
    key data { description: "Trading platform data at rest", rotation: on }
    // The database users' secrets: only the functions that connect as one.
    key secrets { description: "Trading platform database credentials", rotation: on }
    // Every log group but the audit events: the functions', the API's
    // access and execution logs, flow logs, the database's exported logs.
    // Only CloudWatch Logs uses it; no role is granted it.
    key logs { description: "Trading platform logs", rotation: on }
    // The audit trail: the audit bucket and the audit event log group.
    key audit { description: "Trading platform audit trail", rotation: on }
    // The functions' environment variables (names, URLs, ARNs).
    key environment { description: "Trading platform function environments", rotation: on }

    network core {
        // A range of its own per environment and region: environments can
        // be connected (peering, a transit gateway, a shared VPN), and
        // overlapping ranges could never be routed to each other.
        cidr: profile(
            dev: region(us_east_1: "10.0.0.0/16", us_east_2: "10.1.0.0/16", us_west_2: "10.2.0.0/16"),
            staging: region(us_east_1: "10.10.0.0/16", us_east_2: "10.11.0.0/16", us_west_2: "10.12.0.0/16"),
            prod: region(us_east_1: "10.20.0.0/16", us_east_2: "10.21.0.0/16", us_west_2: "10.22.0.0/16"),
        ),
        azs: 3,
        // `lambda`: the health monitor invokes `api_probe`.
        endpoints: [s3, dynamodb, sqs, sns, events, ssm, secretsmanager, kms, logs, monitoring, lambda, xray],
        flow_logs: profile(dev: 30d, staging: 90d, prod: 365d),
        key: logs,
        // No `public: on`: no internet gateway and no route out; nothing in
        // `core` is reached from the internet or reaches it.
    }

    aurora trades {
        engine: postgres "16.10",
        database: "trading",
        capacity: profile(dev: 0.5..=2, staging: 0.5..=8, prod: 2..=16),
        // The writer and two readers, each in its own AZ of `core`'s three:
        // a zone's loss leaves a reader to promote and one to read from.
        readers: 2,
        network: core,
        backup: 7d,
        logs: profile(dev: 30d, staging: 90d, prod: 365d),
        // The bootstrap's key, which outlives the environment: the final
        // snapshot and every backup stay restorable after `tp destroy`.
        key: bootstrap,
        log_key: logs,
        removal: profile(dev: delete, staging: delete, prod: snapshot),
    }

    // The cluster's PostgreSQL roles, each with a generated password in a
    // secret of its own. `migrate` (below), connected as the master user,
    // creates them and grants them their privileges on every deploy; no
    // request handler holds the master secret or the owner's. Every
    // password rotates every 30 days (PCI DSS 8.3.9 asks for 90 at most),
    // by `db_rotation`; the functions that connect read the secret again
    // when PostgreSQL refuses the password they hold.
    //
    // Owns the schema's tables: only `migrate` connects as it, to run the DDL.
    db_user trading_owner { cluster: trades, privileges: owner, key: secrets, rotation: 30d }
    // trade_processor: reads and writes rows, creates nothing.
    db_user trading_app { cluster: trades, privileges: dml, key: secrets, rotation: 30d }
    // health_monitor: `SELECT 1`, and nothing it could write.
    db_user trading_monitor { cluster: trades, privileges: read_only, key: secrets, rotation: 30d }

    table sessions {
        partition: session_id: string,
        ttl: expires_at,
        stream: new_and_old,
        key: bootstrap,
    }
    // One item per accepted order: its idempotency key (the caller and its
    // client order id, hashed), the order's canonical hash and fields.
    // trade-api writes it conditionally before queueing, so a reused client
    // order id is recognised (the same order: the same answer; another: 409).
    // A table of its own: only trade-api may write it, and its items live
    // longer than a session's.
    table order_keys {
        partition: order_key: string,
        ttl: expires_at,
        key: bootstrap,
    }
    // One item per problem per health-monitor run: the monitor claims it
    // before alerting, so a retried run alerts nothing twice.
    table alert_keys {
        partition: alert_key: string,
        ttl: expires_at,
        key: bootstrap,
    }

    // Every night at 03:00 UTC, AWS Backup backs the database and the
    // tables up into the bootstrap's vault of the region (locked in
    // production's account) and copies each recovery point to another
    // region's; both copies are kept as long. Production keeps 35 days
    // (`backup-retention-prod`), on top of the tables' 35 days of
    // point-in-time recovery and the cluster's own 7 days of snapshots.
    backup nightly {
        resources: [trades, sessions, order_keys, alert_keys],
        schedule: "cron(0 3 * * ? *)",
        retention: profile(dev: 7d, staging: 35d, prod: 35d),
        copy_to: region(us_east_1: us_west_2, us_east_2: us_west_2, us_west_2: us_east_1),
    }

    queue trade_orders {
        // At least 6 times trade_processor's 30s timeout in every profile
        // (`value-range`); production waits longer before delivering again a
        // message whose batch a loaded database is still working through.
        visibility: profile(dev: 180s, staging: 180s, prod: 300s),
        retention: profile(dev: 4d, staging: 10d, prod: 14d),
        dead_letter: trade_orders_dlq after 5, // a trigger queue: at least 5 (`trigger-redrive`)
        key: data,
    }
    queue trade_orders_dlq { retention: 14d, key: data }
    // Events a rule target or an asynchronously invoked function could not take.
    queue events_dlq { retention: 14d, key: data }

    // What the platform ran with is a record too (change management):
    // every configuration version is archived write-once.
    bucket config {
        key: data,
        noncurrent: 30d,
        access_logs: access_logs,
        archive: profile(dev: 30d, staging: 365d, prod: 2557d),
    }
    // Trading records: every object is replicated to the account's
    // write-once archive (Object Lock, COMPLIANCE mode), seven years in
    // production (SEC 17a-4(f), FINRA 4511, PCI DSS 10.5), so the bucket
    // itself may expire them once the archive holds them.
    bucket audit_log {
        key: audit,
        expire: profile(dev: 30d, staging: 90d, prod: 365d),
        noncurrent: 90d,
        access_logs: access_logs,
        archive: profile(dev: 30d, staging: 365d, prod: 2557d),
    }
    // S3 delivers server access logs only to buckets with S3-managed keys.
    // A year in production (`log-retention-prod`); who read and wrote the
    // audit trail is audit evidence too, so they are archived with it.
    bucket access_logs {
        encryption: s3_managed,
        expire: profile(dev: 90d, staging: 90d, prod: 365d),
        noncurrent: 30d,
        archive: profile(dev: 30d, staging: 365d, prod: 2557d),
    }

    // Every alarm notifies `alerts`: someone hears it in every profile. A
    // deploy may subscribe one more address (`AlertsTopicEmail`).
    topic alerts {
        key: data,
        display_name: "Trading platform alerts",
        email_subscription,
        subscribe: profile(
            dev: email "dev-oncall@example.com",
            staging: email "staging-oncall@example.com",
            prod: [https "https://pager.example.com/hook", email "trading-oncall@example.com"],
        ),
    }

    // The platform's public names. A dev or staging environment creates
    // its own zone, which the parent delegates to (its name servers are
    // the global stack's `PublicZoneNameServers` output); production's
    // zone belongs to the DNS team and `tp deploy` looks it up by name.
    zone public {
        domain: profile(dev: "dev.trading.example.com", staging: "staging.trading.example.com", prod: "trading.example.com"),
        existing: profile(dev: false, staging: false, prod: true),
    }

    api trading {
        stage: v1,
        // Served by every region, latency-routed, a region whose health
        // check fails dropping out; each region also as
        // `<region>.<domain>`, which its health check probes.
        domain: profile(dev: "api.dev.trading.example.com", staging: "api.staging.trading.example.com", prod: "api.trading.example.com"),
        zone: public,
        throttle: profile(dev: 100 burst 200, staging: 500 burst 1000, prod: 2000 burst 4000),
        // The access logs, the execution logs and the web ACL's logs.
        logs: profile(dev: 30d, staging: 90d, prod: 365d),
        key: logs,
        // A web ACL on the stage: AWS's managed rules (common threats, known
        // bad inputs, IP addresses with a bad reputation) and at most this
        // many requests per IP address per 5 minutes; an order a second from
        // one caller is 300.
        waf: { rate: profile(dev: 2000, staging: 2000, prod: 1000) },
        routes: {
            // Anyone may call it (Route 53 sends unsigned requests): a
            // function of its own with a throttle of its own, so health
            // checks never take what `POST /trades` needs.
            GET "/health" => health_api { throttle: 10 burst 20 },
            // The schema is in trade-api's own directory, so the handler
            // validates with the very file API Gateway does.
            POST "/trades" => trade_api { auth: iam, body: "handlers/trade-api/schemas/trade-order.json" },
        },
    }

    bus trading_events { description: "Trading platform events", key: data }
    // Every event the bus carries, kept so that a consumer's outage or bug
    // can be repaired by replaying the events it missed (`StartReplay`);
    // the DSL has no kind for it, so it is written as its CloudFormation
    // type, checked against that type's schema at compile time.
    resource trade_replay: "AWS::Events::Archive" {
        SourceArn: trading_events.arn,
        Description: "Every trading event, for replays",
        RetentionDays: profile(dev: 7, staging: 30, prod: 365),
        KmsKeyIdentifier: data.arn,
    }
    // Seven years in production: trading records are kept six (SEC 17a-4,
    // FINRA 4511), and CloudWatch Logs' next retention is seven.
    log_group audit_events { retention: profile(dev: 30d, staging: 365d, prod: 2557d), key: audit }

    rule trade_events {
        bus: trading_events,
        pattern: { source: ["trading.processor"], "detail-type": ["TradeProcessed"] },
        targets: [event_handler, audit_events],
        dead_letter: events_dlq,
        retries: 3,
        max_age: 1h,
    }
    // `health_monitor` not invoked for two hours alarms on `alerts`.
    rule health_schedule {
        schedule: "rate(1 hour)",
        targets: [health_monitor],
        dead_letter: events_dlq,
        notify: alerts,
    }

    health_check api_health { api: trading, path: "/health", interval: 30s, threshold: 3 }

    // Resource references for configuration readers.
    parameter sessions_table { value: sessions.name, description: "Sessions table name" }
    parameter trade_orders_queue { value: trade_orders.url, description: "Trade orders queue URL" }
    parameter audit_bucket { value: audit_log.name, description: "Audit log bucket name" }
    parameter config_bucket { value: config.name, description: "Configuration bucket name" }
    parameter alerts_topic { value: alerts.arn, description: "Alerts topic ARN" }
    parameter api_id { value: trading.id, description: "Trading API id" }
    parameter api_url { value: trading.url, description: "Trading API invoke URL" }
    parameter db_endpoint { value: trades.endpoint, description: "Trades cluster writer endpoint" }
    parameter event_bus { value: trading_events.name, description: "Trading events bus name" }

    // Trading settings, one value per profile, that `trade_api` reads at
    // run time (cached for a minute per warm container): an order above
    // the maximum quantity is refused, and so is one outside the window
    // (`HH:MM-HH:MM`, UTC; `00:00-24:00` is always open). Changing one is a
    // deploy of the definition, reviewed like any other change.
    parameter max_order_quantity {
        value: profile(dev: "1000", staging: "10000", prod: "250000"),
        description: "Largest quantity one order may ask for",
    }
    parameter trading_hours {
        value: profile(dev: "00:00-24:00", staging: "00:00-24:00", prod: "13:30-20:00"),
        description: "Window (UTC, HH:MM-HH:MM) in which orders are accepted",
    }

    // Serves `POST /trades` synchronously, so it answers well within API
    // Gateway's 29 s.
    function trade_api {
        code: "handlers/trade-api",
        include: { "lib": "handlers/shared", "node_modules": "handlers/vendor/ajv/node_modules" },
        // Type declarations, source maps and TypeScript sources: nothing
        // Node.js loads, 362 of the set's 570 files (41 of pg's 139).
        exclude: ["node_modules/**/*.ts", "node_modules/**/*.map", "node_modules/ajv/lib"],
        memory: profile(dev: 512, staging: 1024, prod: 2048),
        timeout: 10s,
        logs: profile(dev: 30d, staging: 90d, prod: 365d),
        key: environment,
        log_key: logs,
        network: core,
        concurrency: profile(dev: 10, staging: 50, prod: 200),
        env: {
            SESSIONS_TABLE: sessions.name,
            ORDER_KEYS_TABLE: order_keys.name,
            TRADE_ORDERS_QUEUE_URL: trade_orders.url,
            MAX_ORDER_QUANTITY_PARAMETER: max_order_quantity.name,
            TRADING_HOURS_PARAMETER: trading_hours.name,
        },
        grants: {
            sessions: read_write,
            order_keys: read_write,
            trade_orders: send,
            max_order_quantity: read,
            trading_hours: read,
        },
    }

    // Serves `GET /health`: describes the tables, reads the queue's
    // attributes and opens a TCP connection to the database (no
    // credentials: every function in `core` shares the security group the
    // cluster admits on its port). Its reserved concurrency is its own and
    // small: health checks cannot starve `trade_api`, and a flood of them
    // is throttled here and at the route.
    function health_api {
        code: "handlers/health-api",
        include: { "lib": "handlers/shared" },
        memory: 256,
        timeout: 10s,
        logs: profile(dev: 30d, staging: 90d, prod: 365d),
        key: environment,
        log_key: logs,
        network: core,
        concurrency: profile(dev: 2, staging: 2, prod: 5),
        env: {
            SESSIONS_TABLE: sessions.name,
            ORDER_KEYS_TABLE: order_keys.name,
            TRADE_ORDERS_QUEUE_URL: trade_orders.url,
            DB_ENDPOINT: trades.endpoint,
            DB_PORT: trades.port,
        },
        grants: { sessions: monitor, order_keys: monitor, trade_orders: monitor },
    }

    // The deploy's first step after the stack changes (`tp deploy`,
    // `tp promote`, `tp local up`), before `migrate`: revokes the rules EC2
    // gives `core`'s default security group (all traffic between members,
    // all outbound), which nothing here uses and CloudFormation cannot
    // change. Outside the network: it calls only EC2's API, and `core` has
    // neither a NAT gateway nor an EC2 endpoint.
    function network_guard {
        code: "handlers/network-guard",
        include: { "lib": "handlers/shared" },
        memory: 128,
        timeout: 30s,
        logs: profile(dev: 30d, staging: 90d, prod: 365d),
        key: environment,
        log_key: logs,
        concurrency: 1,
        run: after_deploy,
        env: { SECURITY_GROUP_ID: core.default_security_group },
        grants: { core: close_default_security_group },
    }

    // The deploy's last step (`tp deploy`, `tp promote`, `tp local up`):
    // as the master user, under an advisory lock, in one transaction, it
    // creates or updates the roles above from their secrets, runs the
    // versioned schema migrations as `trading_owner` and grants each role
    // its privileges. Idempotent: it runs on every deploy.
    function migrate {
        code: "handlers/migrate",
        include: { "lib": "handlers/shared", "node_modules": "handlers/vendor/pg/node_modules" },
        exclude: ["node_modules/**/*.ts", "node_modules/**/*.map", "node_modules/pg-protocol/src"],
        memory: 256,
        timeout: 300s,
        logs: profile(dev: 30d, staging: 90d, prod: 365d),
        key: environment,
        log_key: logs,
        network: core,
        // One run at a time: a deploy invokes it once per region; a second
        // run would wait on the first's advisory lock anyway.
        concurrency: 1,
        run: after_deploy,
        env: {
            MASTER_SECRET_ARN: trades.secret_arn,
            DB_ENDPOINT: trades.endpoint,
            DB_PORT: trades.port,
            DB_NAME: "trading",
            DB_USER_OWNER_SECRET_ARN: trading_owner.secret_arn,
            DB_USER_OWNER_NAME: trading_owner.name,
            DB_USER_OWNER_PRIVILEGES: trading_owner.privileges,
            DB_USER_APP_SECRET_ARN: trading_app.secret_arn,
            DB_USER_APP_NAME: trading_app.name,
            DB_USER_APP_PRIVILEGES: trading_app.privileges,
            DB_USER_MONITOR_SECRET_ARN: trading_monitor.secret_arn,
            DB_USER_MONITOR_NAME: trading_monitor.name,
            DB_USER_MONITOR_PRIVILEGES: trading_monitor.privileges,
        },
        grants: {
            trades: read_secret,
            trading_owner: connect,
            trading_app: connect,
            trading_monitor: connect,
        },
    }

    // Secrets Manager's rotation function of the users above (`rotate`):
    // each user changes its own password (AWS's single-user strategy), so
    // it holds no master credentials. Invoked by Secrets Manager alone,
    // once per rotation step.
    function db_rotation {
        code: "handlers/db-rotation",
        include: { "lib": "handlers/shared", "node_modules": "handlers/vendor/pg/node_modules" },
        exclude: ["node_modules/**/*.ts", "node_modules/**/*.map", "node_modules/pg-protocol/src"],
        memory: 256,
        timeout: 60s,
        logs: profile(dev: 30d, staging: 90d, prod: 365d),
        key: environment,
        log_key: logs,
        network: core,
        // The three users' schedules start together: they may rotate at once.
        concurrency: 3,
        env: {
            DB_ENDPOINT: trades.endpoint,
            DB_PORT: trades.port,
            DB_NAME: "trading",
        },
        grants: {
            trading_owner: rotate,
            trading_app: rotate,
            trading_monitor: rotate,
        },
    }

    function trade_processor {
        code: "handlers/trade-processor",
        include: { "lib": "handlers/shared", "node_modules": "handlers/vendor/pg/node_modules" },
        exclude: ["node_modules/**/*.ts", "node_modules/**/*.map", "node_modules/pg-protocol/src"],
        memory: profile(dev: 512, staging: 1024, prod: 2048),
        timeout: 30s,
        logs: profile(dev: 30d, staging: 90d, prod: 365d),
        key: environment,
        log_key: logs,
        network: core,
        concurrency: profile(dev: 5, staging: 20, prod: 100),
        // Below `concurrency` (`trigger-concurrency`): no batch is received to be throttled.
        trigger: trade_orders { batch: 10, max_concurrency: profile(dev: 4, staging: 18, prod: 90) },
        env: {
            SESSIONS_TABLE: sessions.name,
            DB_SECRET_ARN: trading_app.secret_arn,
            DB_ENDPOINT: trades.endpoint,
            DB_PORT: trades.port,
            DB_NAME: "trading",
            EVENT_BUS_NAME: trading_events.name,
        },
        grants: {
            sessions: read_write,
            trading_app: connect,
            trading_events: put_events,
        },
    }
    // Debug logs where they help, and only the platform's warnings
    // everywhere: the DSL has no field for Lambda's log levels.
    override trade_processor {
        "Function.LoggingConfig.ApplicationLogLevel": profile(dev: "DEBUG", staging: "INFO", prod: "INFO"),
        "Function.LoggingConfig.SystemLogLevel": "WARN",
    }

    // Invoked asynchronously by `trade_events`.
    function event_handler {
        code: "handlers/event-handler",
        include: { "lib": "handlers/shared" },
        memory: 256,
        timeout: 60s,
        logs: profile(dev: 30d, staging: 90d, prod: 365d),
        key: environment,
        log_key: logs,
        network: core,
        concurrency: profile(dev: 2, staging: 5, prod: 20),
        dead_letter: events_dlq,
        env: { AUDIT_BUCKET: audit_log.name },
        grants: { audit_log: append },
    }

    // Invoked synchronously by `health_monitor`: `GET {API_URL}/health`.
    // Outside any network on purpose: `core` has no route to the internet, so a
    // function in it cannot reach the API's public endpoint
    // (`network-endpoint`); this one can, and the monitor reaches it through
    // `core`'s `lambda` endpoint.
    function api_probe {
        code: "handlers/api-probe",
        include: { "lib": "handlers/shared" },
        memory: 128,
        timeout: 10s,
        logs: profile(dev: 30d, staging: 90d, prod: 365d),
        key: environment,
        log_key: logs,
        concurrency: profile(dev: 1, staging: 1, prod: 2),
        // Takes the failures of asynchronous invocations, should any be made.
        dead_letter: events_dlq,
        env: { API_URL: trading.url, PROBE_TIMEOUT_MS: "5000" },
    }

    // Invoked asynchronously by `health_schedule`, every hour: checks the
    // API (through `api_probe`), the database and the queues. Route 53's
    // `api_health` also watches the API from outside, every 30 s.
    function health_monitor {
        code: "handlers/health-monitor",
        include: { "lib": "handlers/shared", "node_modules": "handlers/vendor/pg/node_modules" },
        exclude: ["node_modules/**/*.ts", "node_modules/**/*.map", "node_modules/pg-protocol/src"],
        memory: 256,
        timeout: 60s,
        logs: profile(dev: 30d, staging: 90d, prod: 365d),
        key: environment,
        log_key: logs,
        network: core,
        concurrency: profile(dev: 1, staging: 1, prod: 2),
        dead_letter: events_dlq,
        async: { retries: 0 }, // the next hourly run checks again; a retry would alert twice
        metrics: "TradingPlatform",
        env: {
            METRIC_NAMESPACE: "TradingPlatform",
            TRADE_ORDERS_QUEUE_URL: trade_orders.url,
            TRADE_ORDERS_DLQ_URL: trade_orders_dlq.url,
            EVENTS_DLQ_URL: events_dlq.url,
            ALERTS_TOPIC_ARN: alerts.arn,
            ALERT_KEYS_TABLE: alert_keys.name,
            DB_SECRET_ARN: trading_monitor.secret_arn,
            DB_ENDPOINT: trades.endpoint,
            DB_PORT: trades.port,
            DB_NAME: "trading",
            API_PROBE_FUNCTION: api_probe.name,
        },
        grants: {
            api_probe: invoke,
            trade_orders: monitor,
            trade_orders_dlq: monitor,
            events_dlq: monitor,
            alerts: publish,
            alert_keys: write,
            trading_monitor: connect,
        },
    }

    // Alarms, all to `alerts`. `guard` ones roll a deploy back when they fire.
    alarm trades_cpu { metric: trades.cpu, above: 80, period: 300s, evaluations: 3, notify: alerts }
    alarm trades_acu { metric: trades.acu_utilization, above: 90, period: 300s, evaluations: 3, notify: alerts }
    alarm trade_api_errors { metric: trade_api.errors, above: 0, period: 60s, evaluations: 5, datapoints: 3, notify: alerts, guard }
    alarm trade_api_throttles { metric: trade_api.throttles, above: 0, period: 60s, evaluations: 5, datapoints: 3, notify: alerts }
    alarm health_api_errors { metric: health_api.errors, above: 0, period: 60s, evaluations: 5, datapoints: 3, notify: alerts }
    alarm trade_processor_errors { metric: trade_processor.errors, above: 0, period: 60s, evaluations: 5, datapoints: 3, notify: alerts, guard }
    alarm trade_processor_throttles { metric: trade_processor.throttles, above: 0, period: 60s, evaluations: 5, datapoints: 3, notify: alerts }
    alarm event_handler_errors { metric: event_handler.errors, above: 0, period: 60s, evaluations: 5, datapoints: 3, notify: alerts }
    alarm event_handler_throttles { metric: event_handler.throttles, above: 0, period: 60s, evaluations: 5, datapoints: 3, notify: alerts }
    alarm health_monitor_errors { metric: health_monitor.errors, above: 0, period: 300s, notify: alerts }
    alarm health_monitor_throttles { metric: health_monitor.throttles, above: 0, period: 300s, notify: alerts }
    alarm api_probe_errors { metric: api_probe.errors, above: 0, period: 300s, notify: alerts }
    alarm api_latency {
        metric: trading.latency_p99,
        above: 1000,
        period: 60s,
        evaluations: 5,
        datapoints: 3,
        notify: alerts,
        guard,
        description: "API p99 latency above 1 s",
    }
    alarm api_errors { metric: trading.errors_5xx, above: 0, period: 60s, evaluations: 5, datapoints: 3, notify: alerts, guard }
    alarm trade_orders_dlq_visible { metric: trade_orders_dlq.visible, above: 0, period: 300s, notify: alerts }
    alarm events_dlq_visible { metric: events_dlq.visible, above: 0, period: 300s, notify: alerts }
    alarm api_down {
        metric: api_health.status,
        below: 1,
        period: 60s,
        evaluations: 2,
        notify: alerts,
        description: "Route 53 health check of GET /health failing",
    }

    // What an operator asks first, in that order; the status of every
    // alarm of the stack follows.
    dashboard operations {
        sections: {
            "Is trading up?": [
                trading.requests, trading.errors_5xx, trading.latency_p99, api_health.status,
                trading.errors_4xx, trade_api.errors, trade_api.duration_p99, health_api.errors,
            ],
            "Are orders flowing?": [
                trade_orders.visible, trade_orders.oldest_age,
                trade_processor.invocations, trade_processor.errors,
                trade_orders_dlq.visible, events_dlq.visible,
            ],
            "Lambda functions": [
                trade_api.invocations, trade_api.throttles,
                health_api.invocations, health_api.throttles,
                trade_processor.throttles,
                event_handler.errors, event_handler.throttles,
                health_monitor.invocations, health_monitor.errors, health_monitor.throttles,
                api_probe.errors,
            ],
            "Database": [trades.cpu, trades.capacity, trades.acu_utilization, trades.connections],
        },
    }
}
