platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    aurora 1trades {
        engine: postgres "16.4",
        capacity: 0.5..4,
        key: data,
    }
}

fn main() {}
