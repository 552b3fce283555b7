// Every bucket blocks public access.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    bucket config { key: data, block_public_access: off }
}

fn main() {}
