// CloudWatch Logs takes only its own list of retentions (30 and 60 days, not 45).
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    log_group audit_events { retention: profile(dev: 45d, prod: 365d), key: data }
}

fn main() {}
