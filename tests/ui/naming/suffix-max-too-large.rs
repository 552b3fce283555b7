platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 40,
        profiles: [dev, prod],
    }

    key data {}
}

fn main() {}
