// What a backup selects is encrypted with the bootstrap's key, which
// outlives the environment; `key: bootstrap` is only for tables and
// aurora clusters.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1, us_west_2],
        suffix: max 12,
        profiles: [dev, prod],
        accounts: profile(dev: "111111111111", prod: "333333333333"),
    }

    key data {}
    table sessions { partition: session_id: string, key: bootstrap }
    table orders { partition: order_id: string, key: data }
    queue jobs { dead_letter: jobs_dlq after 5, key: bootstrap }
    queue jobs_dlq { retention: 14d, key: data }
    backup nightly {
        resources: [sessions, orders],
        schedule: "cron(0 3 * * ? *)",
        retention: 35d,
        copy_to: region(us_east_1: us_west_2, us_west_2: us_east_1),
    }
}

fn main() {}
