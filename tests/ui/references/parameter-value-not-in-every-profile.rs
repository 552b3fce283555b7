platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, staging, prod],
    }

    parameter max_order_quantity {
        value: profile(dev: "1000", prod: "250000"),
        description: "Largest quantity one order may ask for",
    }
}

fn main() {}
