// Every table keeps point-in-time recovery.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    table sessions { partition: session_id: string, key: data, pitr: off }
}

fn main() {}
