platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
        accounts: profile(dev: "11111111111", prod: "333333333333"),
    }

    pipeline release {
        region: us_east_1,
        source: bucket,
        stages: [dev, approve, prod],
        account: "4444-4444-4444",
    }
}

fn main() {}
