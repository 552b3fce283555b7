// Every bucket is versioned.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    bucket config { key: data, versioning: off }
}

fn main() {}
