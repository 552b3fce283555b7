platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    queue trade_orders {
        fifo: profile(dev: true, prod: false),
        dead_letter: trade_orders_dlq after 5,
        key: data,
    }
    queue trade_orders_dlq { retention: 14d, key: data }
}

fn main() {}
