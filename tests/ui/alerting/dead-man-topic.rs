// Alarms notify two topics and none watches the scheduled function: which one
// hears that it stopped running is the definition's choice.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    topic alerts { key: data, subscribe: email "oncall@example.com" }
    topic pages { key: data, subscribe: https "https://pager.example.com/hook" }
    queue events_dlq { retention: 14d, key: data }
    bus trading_events { key: data }
    function trade_api { code: "handlers/trade-api", key: data }
    function report { code: "handlers/trade-api", key: data }
    alarm trade_api_errors { metric: trade_api.errors, above: 0, notify: alerts }
    alarm trade_api_throttles { metric: trade_api.throttles, above: 0, notify: pages }
    rule hourly { schedule: "rate(1 hour)", targets: [report], dead_letter: events_dlq }
    rule events { bus: trading_events, pattern: { source: ["x"] }, targets: [trade_api], dead_letter: events_dlq, notify: alerts }
}

fn main() {}
