platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    table sessions { partition: session_id: string, key: data }
    queue trade_orders { visibility: 180s, dead_letter: trade_orders_dlq after 3 }
    queue trade_orders_dlq { retention: 14d, key: data }
}

fn main() {}
