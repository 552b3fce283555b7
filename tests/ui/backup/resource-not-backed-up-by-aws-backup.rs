// A backup selects tables and aurora clusters, by their declared names.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1, us_west_2],
        suffix: max 12,
        profiles: [dev, prod],
        accounts: profile(dev: "111111111111", prod: "333333333333"),
    }

    key data {}
    table sessions { partition: session_id: string, key: bootstrap }
    queue jobs { dead_letter: jobs_dlq after 5, key: data }
    queue jobs_dlq { retention: 14d, key: data }
    backup nightly {
        resources: [jobs, sesions],
        schedule: "cron(0 3 * * ? *)",
        retention: 35d,
        copy_to: region(us_east_1: us_west_2, us_west_2: us_east_1),
    }
}

fn main() {}
