// Each region's recovery points are copied to another of the platform's
// regions, and every region says where.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1, us_west_2],
        suffix: max 12,
        profiles: [dev, prod],
        accounts: profile(dev: "111111111111", prod: "333333333333"),
    }

    key data {}
    table sessions { partition: session_id: string, key: bootstrap }
    backup nightly {
        resources: [sessions],
        schedule: "cron(0 3 * * ? *)",
        retention: 35d,
        copy_to: region(us_east_1: us_east_1),
    }
}

fn main() {}
