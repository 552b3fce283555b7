platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    parameter max_order_quantity { value: profile(dev: "1000", prod: "250000") }

    function trade_api {
        code: "handlers/trade-api",
        key: data,
        env: { MAX_ORDER_QUANTITY_PARAMETER: max_order_quantity.name },
    }
}

fn main() {}
