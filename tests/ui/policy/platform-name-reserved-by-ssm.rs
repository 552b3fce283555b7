platform_macros::platform! {
    platform aws {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    parameter max_order_quantity { value: "1000" }
}

fn main() {}
