platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, staging, prod],
    }

    pipeline release {
        region: us_east_1,
        source: bucket,
        stages: [dev, approve, staging, prod],
    }
}

fn main() {}
