// Production keeps every recovery point at least 35 days; production is
// the last profile when there is no pipeline. Dev may keep less.
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
        retention: profile(dev: 7d, prod: 14d),
        copy_to: region(us_east_1: us_west_2, us_west_2: us_east_1),
    }
}

fn main() {}
