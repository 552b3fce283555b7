platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    queue trade_orders {
        visiblity: 180s,
        key: data,
    }
}

fn main() {}
