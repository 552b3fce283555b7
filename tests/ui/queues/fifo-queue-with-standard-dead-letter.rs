// SQS takes a FIFO dead-letter queue only for a FIFO queue, and a standard one for a standard queue.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, staging, prod],
    }

    key data {}
    queue trade_orders { fifo: true, dead_letter: trade_orders_dlq after 3, key: data }
    queue trade_orders_dlq { retention: 14d, key: data }
}

fn main() {}
