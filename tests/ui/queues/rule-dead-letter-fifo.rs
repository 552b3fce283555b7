// EventBridge sends undeliverable events only to standard queues.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, staging, prod],
    }

    key data {}
    queue trade_orders { fifo: true, dead_letter: trade_orders_dlq after 3, key: data }
    queue trade_orders_dlq { fifo: true, retention: 14d, key: data }
    queue events_dlq { retention: 14d, key: data }
    function health_monitor { code: "handlers/health-monitor", key: data, dead_letter: events_dlq }
    rule health_schedule { schedule: "rate(1 hour)", targets: [health_monitor], dead_letter: trade_orders_dlq }
}

fn main() {}
