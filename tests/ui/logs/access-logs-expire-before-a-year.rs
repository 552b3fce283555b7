// A bucket receiving server access logs keeps them a year in production
// (the last profile, without a pipeline).
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    bucket config { key: data, access_logs: access_logs }
    bucket access_logs { encryption: s3_managed, expire: profile(dev: 30d, prod: 90d) }
}

fn main() {}
