// A scheduled function's dead-man alarm watches twice the schedule's rate,
// which a cron expression does not state and CloudWatch evaluates over 7 days at most.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    topic alerts { key: data, subscribe: email "oncall@example.com" }
    queue events_dlq { retention: 14d, key: data }
    function report { code: "handlers/trade-api", key: data }
    function sweep { code: "handlers/trade-api", key: data }
    alarm report_errors { metric: report.errors, above: 0, notify: alerts }
    rule nightly { schedule: "cron(0 3 * * ? *)", targets: [report], dead_letter: events_dlq }
    rule weekly { schedule: "rate(7 days)", targets: [sweep], dead_letter: events_dlq }
}

fn main() {}
