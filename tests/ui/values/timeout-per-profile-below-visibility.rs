// A per-profile timeout is checked against the queue's visibility in that profile.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    queue trade_orders { visibility: 180s, dead_letter: trade_orders_dlq after 5, key: data }
    queue trade_orders_dlq { retention: 14d, key: data }
    function trade_processor { code: "handlers/trade-processor", key: data, timeout: profile(dev: 30s, prod: 60s), trigger: trade_orders }
}

fn main() {}
