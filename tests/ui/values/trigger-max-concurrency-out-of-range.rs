// An SQS event source mapping runs 2 to 1000 invocations at once.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    queue trade_orders { visibility: 180s, dead_letter: trade_orders_dlq after 5, key: data }
    queue trade_orders_dlq { retention: 14d, key: data }
    function trade_processor {
        code: "handlers/trade-processor",
        key: data,
        timeout: 30s,
        trigger: trade_orders { max_concurrency: profile(dev: 1, prod: 2000) },
    }
}

fn main() {}
