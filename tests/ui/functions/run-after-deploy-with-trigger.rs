// A deploy step runs once per deploy, invoked by tp deploy alone: not from
// a queue, a rule or a route.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    network core { cidr: region(us_east_1: "10.0.0.0/16"), endpoints: [secretsmanager, kms], key: data }
    aurora trades { engine: postgres "16.10", capacity: 0.5..=2, network: core, key: data }
    queue dlq { retention: 14d, key: data }
    queue jobs { dead_letter: dlq after 5, key: data }
    bus trading_events { key: data }
    function migrate {
        code: "handlers/migrate",
        key: data,
        run: after_deploy,
        trigger: jobs,
    }
    rule trade_events {
        bus: trading_events,
        pattern: { source: ["trading.processor"] },
        targets: [migrate],
        dead_letter: dlq,
    }
}

fn main() {}
