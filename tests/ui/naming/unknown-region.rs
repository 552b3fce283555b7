platform_macros::platform! {
    platform trading {
        regions: [us_east_1, us_west2],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
}

fn main() {}
