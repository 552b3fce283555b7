// Every block of the grammar, with defaults filled in where fields are left
// out. (Route bodies are read relative to the crate, so they are covered by
// the unit tests and platform-def instead.)
platform_macros::platform! {
    platform trading {
        regions: [us_east_1, us_west_2],
        suffix: max 12,
        profiles: [dev, prod],
        accounts: profile(dev: "111111111111", prod: "333333333333"),
    }

    pipeline release {
        region: us_east_1,
        source: bucket,
        stages: [dev, approve, prod],
        account: "444444444444",
        notify: alerts,
    }

    key data {}
    network core {
        cidr: profile(
            dev: region(us_east_1: "10.0.0.0/16", us_west_2: "10.2.0.0/16"),
            prod: region(us_east_1: "10.20.0.0/16", us_west_2: "10.22.0.0/16"),
        ),
        endpoints: [sqs, kms, secretsmanager, execute_api],
        key: data,
    }
    aurora trades {
        engine: postgres "16.10",
        capacity: profile(dev: 0.5..=2, prod: 2..=16),
        network: core,
        removal: profile(dev: delete, prod: snapshot),
        key: data,
    }
    queue events_dlq { retention: 14d, key: data }
    topic alerts {
        key: data,
        subscribe: profile(
            dev: [email "dev-oncall@example.com", sqs events_dlq raw],
            prod: https "https://pager.example.com/hook",
        ),
    }
    bucket access_logs { encryption: s3_managed }
    bucket audit_log { key: data, access_logs: access_logs }
    function trade_api {
        code: "handlers/trade-api",
        key: data,
        network: core,
        concurrency: profile(dev: 5, prod: 50),
        dead_letter: events_dlq,
        async: { retries: 1 },
        grants: { trades: connect, trading_app: connect },
        statements: [allow "rds:DescribeDBClusters" on trades],
    }
    db_user trading_app { cluster: trades, privileges: dml, key: data }
    db_user trading_reports { cluster: trades, privileges: read_only, key: data }
    db_user trading_owner { cluster: trades, privileges: owner, key: data }
    // The migration: runs once per deploy as the master user and the owner.
    function migrate {
        code: "handlers/migrate",
        key: data,
        network: core,
        timeout: 300s,
        run: after_deploy,
        env: {
            APP_USER: trading_app.name,
            APP_PRIVILEGES: trading_app.privileges,
            APP_SECRET_ARN: trading_app.secret_arn,
            OWNER_SECRET_ARN: trading_owner.secret_arn,
            MASTER_SECRET_ARN: trades.secret_arn,
        },
        grants: {
            trades: read_secret,
            trading_app: connect,
            trading_reports: connect,
            trading_owner: connect,
        },
    }
    queue trade_orders { visibility: 180s, dead_letter: events_dlq after 5, key: data }
    function trade_processor {
        code: "handlers/trade-processor",
        key: data,
        timeout: 30s,
        concurrency: 10,
        trigger: trade_orders { max_concurrency: profile(dev: 2, prod: 9) },
    }
    api trading {
        throttle: profile(dev: 100 burst 200, prod: 2000 burst 4000),
        key: data,
        waf: { rate: profile(dev: 2000, prod: 1000) },
        routes: {
            GET "/health" => trade_api { throttle: 10 burst 20 },
            POST "/trades" => trade_api { auth: iam },
        },
    }
    bus trading_events { key: data }
    log_group audit_events { retention: profile(dev: 90d, prod: 365d), key: data }
    rule trade_events {
        bus: trading_events,
        pattern: { source: ["trading.processor"], "detail-type": ["TradeProcessed"] },
        targets: [trade_api, audit_events],
        dead_letter: events_dlq,
    }
    health_check api_health { api: trading, path: "/health" }
    alarm api_latency { metric: trading.latency_p99, above: 1000, notify: alerts, guard }
    // No `notify:`: the dead-man alarm of `trade_api` tells `alerts`, the
    // topic every alarm notifies.
    rule hourly { schedule: "rate(1 hour)", targets: [trade_api], dead_letter: events_dlq }
    dashboard operations {
        metrics: [trading.latency_p99, trades.cpu],
        sections: { "Is trading up?": [trading.errors_5xx], "Database": [trades.connections] },
    }
}

fn main() {
    use platform_core::spec::{
        AsyncInvoke, Auth, Capacity, Comparison, DbPrivileges, PerProfile, Run, Spec, StatementResource,
        Subscriber, TargetRef,
    };

    let platform = platform();
    assert_eq!(platform.validate_references(), Ok(()));
    let spec = |name: &str| &platform.resource(name).expect(name).spec;
    let Spec::Network(network) = spec("core") else { panic!("a network") };
    assert_eq!(network.cidr.get("dev").get("us-west-2").map(String::as_str), Some("10.2.0.0/16"));
    assert_eq!(network.cidr.get("prod").get("us-east-1").map(String::as_str), Some("10.20.0.0/16"));
    assert_eq!(platform.account("prod").as_deref(), Some("333333333333"));
    let pipeline = platform.pipeline.as_ref().expect("a pipeline");
    assert_eq!(pipeline.account.as_deref(), Some("444444444444"));
    assert_eq!(pipeline.notify.as_deref(), Some("alerts"));
    assert_eq!(network.azs, 3);
    assert_eq!(network.endpoints, ["sqs", "kms", "secretsmanager", "execute-api"]);
    let Spec::Aurora(aurora) = spec("trades") else { panic!("an aurora cluster") };
    assert_eq!(aurora.capacity.get("prod"), Capacity { min: 2.0, max: 16.0 });
    assert_eq!(aurora.database, "trades");
    assert!(!aurora.snapshot_on_removal.get("dev"));
    assert!(aurora.snapshot_on_removal.get("prod"));
    let Spec::Bucket(access_logs) = spec("access_logs") else { panic!("a bucket") };
    assert_eq!(access_logs.key, None);
    let Spec::Function(function) = spec("trade_api") else { panic!("a function") };
    assert_eq!(function.network.as_deref(), Some("core"));
    assert_eq!(function.reserved_concurrency.get("prod"), Some(50));
    assert_eq!(function.grants.len(), 2);
    assert_eq!(
        function.async_invoke,
        Some(AsyncInvoke { max_retries: 1, max_event_age_secs: 3600 })
    );
    let Spec::Function(processor) = spec("trade_processor") else { panic!("a function") };
    let trigger = processor.trigger.as_ref().expect("a trigger");
    assert_eq!(
        (&trigger.batch_size, &trigger.max_batching_window_secs),
        (&PerProfile::Same(10), &PerProfile::Same(0))
    );
    assert_eq!(trigger.max_concurrency.get("dev"), Some(2));
    assert_eq!(trigger.max_concurrency.get("prod"), Some(9));
    assert_eq!(processor.async_invoke, None);
    assert_eq!(
        function.statements[0].resource,
        StatementResource::Declared("trades".into())
    );
    let Spec::Api(api) = spec("trading") else { panic!("an api") };
    assert_eq!(api.stage, "v1");
    assert_eq!(api.routes[1].auth, Auth::Iam);
    assert_eq!(api.throttle.get("dev").burst, 200);
    let Spec::Rule(rule) = spec("trade_events") else { panic!("a rule") };
    assert_eq!(
        rule.pattern.as_deref(),
        Some(r#"{"source":["trading.processor"],"detail-type":["TradeProcessed"]}"#)
    );
    assert_eq!(rule.targets[1], TargetRef::LogGroup("audit_events".into()));
    assert_eq!((rule.max_retries, rule.max_event_age_secs), (3, 3600));
    let Spec::Alarm(alarm) = spec("api_latency") else { panic!("an alarm") };
    assert_eq!(alarm.comparison, Comparison::Above);
    assert!(alarm.guard);
    assert_eq!(alarm.datapoints_to_alarm, alarm.evaluation_periods);
    let Spec::LogGroup(log_group) = spec("audit_events") else { panic!("a log group") };
    assert_eq!(log_group.retention_days.get("dev"), 90);
    assert_eq!(log_group.retention_days.get("prod"), 365);
    assert!(matches!(spec("operations"), Spec::Dashboard(d) if d.metrics.len() == 2));
    let Spec::Dashboard(dashboard) = spec("operations") else { panic!("a dashboard") };
    assert_eq!(dashboard.sections[0].title, "Is trading up?");
    assert_eq!(dashboard.sections[1].metrics[0].metric, "connections");
    let Spec::Topic(alerts) = spec("alerts") else { panic!("a topic") };
    assert_eq!(
        alerts.subscribers.get("dev"),
        [
            Subscriber::Email("dev-oncall@example.com".into()),
            Subscriber::Sqs { queue: "events_dlq".into(), raw: true },
        ]
    );
    assert_eq!(alerts.subscribers.get("prod"), [Subscriber::Https("https://pager.example.com/hook".into())]);
    let Spec::Rule(hourly) = spec("hourly") else { panic!("a rule") };
    assert_eq!(hourly.notify.as_deref(), Some("alerts"));
    assert!(matches!(spec("trade_events"), Spec::Rule(r) if r.notify.is_none()));
    assert!(matches!(spec("api_health"), Spec::HealthCheck(h) if h.interval_secs == 30));
    let Spec::DbUser(user) = spec("trading_app") else { panic!("a db_user") };
    assert_eq!((user.cluster.as_str(), user.privileges), ("trades", DbPrivileges::Dml));
    assert_eq!(user.key, "data");
    assert!(matches!(spec("trading_reports"), Spec::DbUser(u) if u.privileges == DbPrivileges::ReadOnly));
    assert!(matches!(spec("trading_owner"), Spec::DbUser(u) if u.privileges == DbPrivileges::Owner));
    let Spec::Function(migrate) = spec("migrate") else { panic!("a function") };
    assert_eq!(migrate.run, Some(Run::AfterDeploy));
    assert_eq!(function.run, None);
    assert_eq!(migrate.grants.len(), 4);
}
