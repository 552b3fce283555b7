platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    table sessions {
        partition: session_id: string,
        key: data,
        point_in_time_recovery: on,
    }
}

fn main() {}
