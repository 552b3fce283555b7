platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    queue events_dlq { key: data }
    function health_monitor { code: "handlers/health-monitor", key: data, dead_letter: events_dlq }

    rule health_schedule {
        schedule: "rate(1 hours)",
        targets: [health_monitor],
        dead_letter: events_dlq,
    }
}

fn main() {}
