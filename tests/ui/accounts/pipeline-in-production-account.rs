platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, staging, prod],
        accounts: profile(dev: "111111111111", staging: "222222222222", prod: "333333333333"),
    }

    pipeline release {
        region: us_east_1,
        source: bucket,
        stages: [dev, staging, approve, prod],
        account: "333333333333",
    }
}

fn main() {}
