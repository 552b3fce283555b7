// The trigger's cap must stay below the reservation in every profile.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, staging, prod],
    }

    key data {}
    queue trade_orders { visibility: 180s, dead_letter: trade_orders_dlq after 5, key: data }
    queue trade_orders_dlq { retention: 14d, key: data }

    function trade_processor {
        code: "handlers/trade-processor",
        key: data,
        timeout: 30s,
        concurrency: profile(dev: 5, staging: 20, prod: 100),
        trigger: trade_orders { batch: 10, max_concurrency: profile(dev: 4, staging: 20, prod: 90) },
    }
}

fn main() {}
