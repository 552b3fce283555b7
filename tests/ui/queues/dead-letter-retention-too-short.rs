// A message keeps its first enqueue time in the dead-letter queue, so that queue must keep it longer.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, staging, prod],
    }

    key data {}
    queue trade_orders {
        retention: profile(dev: 4d, staging: 10d, prod: 14d),
        dead_letter: trade_orders_dlq after 3,
        key: data,
    }
    queue trade_orders_dlq { retention: profile(dev: 7d, staging: 7d, prod: 14d), key: data }
}

fn main() {}
