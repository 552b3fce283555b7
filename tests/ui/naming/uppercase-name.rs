platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    queue TradeOrders { dead_letter: trade_orders_dlq after 3, key: data }
    queue trade_orders_dlq { retention: 14d, key: data }
}

fn main() {}
