// A queue without a dead-letter queue hides messages that keep failing.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, staging, prod],
    }

    key data {}
    queue trade_orders { visibility: 180s, key: data }
}

fn main() {}
