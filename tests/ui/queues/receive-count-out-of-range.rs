// SQS moves a message after 1 to 1000 receives.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, staging, prod],
    }

    key data {}
    queue trade_orders { dead_letter: trade_orders_dlq after 0, key: data }
    queue trade_orders_dlq { retention: 14d, key: data }
}

fn main() {}
