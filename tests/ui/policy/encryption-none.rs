// Data at rest is always encrypted with one of the platform's keys.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    table sessions { partition: session_id: string, key: data, encryption: none }
}

fn main() {}
