platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, staging, prod],
    }

    pipeline release {
        region: us_east_1,
        source: repository "acme/trading-platform" branch "main",
        stages: [dev, stagin, approve, prod],
    }
}

fn main() {}
