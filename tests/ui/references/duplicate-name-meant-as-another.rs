platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    // Copied from `trade_orders` and not renamed: its uses are not
    // reported one by one.
    queue trade_orders { dead_letter: trade_orders_dlq after 5, key: data }
    queue trade_orders { retention: 14d, key: data }

    function trade_processor {
        code: "handlers/trade-processor",
        key: data,
        env: { DLQ_URL: trade_orders_dlq.url },
        grants: { trade_orders_dlq: read_write },
        trigger: trade_orders { batch: 5 },
    }
}

fn main() {}
