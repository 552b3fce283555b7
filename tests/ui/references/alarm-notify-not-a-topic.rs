platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    queue trade_orders { dead_letter: trade_orders_dlq after 3, key: data }
    queue trade_orders_dlq { retention: 14d, key: data }
    topic alerts { key: data, subscribe: email "oncall@example.com" }

    alarm dlq_visible {
        metric: trade_orders_dlq.visible,
        above: 0,
        notify: trade_orders_dlq,
    }
}

fn main() {}
