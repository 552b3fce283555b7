// Each profile's visibility timeout covers six times that profile's function timeout.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    queue trade_orders { visibility: profile(dev: 180s, prod: 120s), dead_letter: trade_orders_dlq after 5, key: data }
    queue trade_orders_dlq { retention: 14d, key: data }
    function trade_processor { code: "handlers/trade-processor", key: data, timeout: 30s, trigger: trade_orders }
}

fn main() {}
