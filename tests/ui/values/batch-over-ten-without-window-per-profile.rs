// A batch above 10 needs a batching window in each profile that takes one.
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
        trigger: trade_orders { batch: profile(dev: 10, prod: 100), window: profile(dev: 0s, prod: 0s) },
    }
}

fn main() {}
