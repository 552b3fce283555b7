// Trading records are kept six years (SEC 17a-4(f), FINRA 4511): a
// production archive of five is refused, the shorter dev one is not.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    bucket audit_log { key: data, archive: profile(dev: 30d, prod: 1826d) }
}

fn main() {}
