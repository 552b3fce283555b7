// AWS Backup takes cron expressions only, at most hourly.
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
        schedule: "rate(1 day)",
        retention: 35d,
        copy_to: region(us_east_1: us_west_2, us_west_2: us_east_1),
    }
    backup often {
        resources: [sessions],
        schedule: "cron(*/15 * * * ? *)",
        retention: 35d,
        copy_to: region(us_east_1: us_west_2, us_west_2: us_east_1),
    }
}

fn main() {}
