platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    platform trading_eu {
        regions: [eu_west_1],
        suffix: max 12,
        profiles: [dev, prod],
    }
}

fn main() {}
