platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    bucket access_logs { key: data }
    bucket audit_log { key: data, access_logs: access_logs }
}

fn main() {}
