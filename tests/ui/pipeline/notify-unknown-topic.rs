platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    topic approvals { key: data }

    pipeline release {
        region: us_east_1,
        source: bucket,
        stages: [dev, approve, prod],
        notify: aprovals,
    }
}

fn main() {}
