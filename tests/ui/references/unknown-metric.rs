platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    topic alerts { key: data, subscribe: email "oncall@example.com" }
    function trade_api { code: "handlers/trade-api", key: data }

    alarm trade_api_errors { metric: trade_api.eror_count, above: 0, notify: alerts }
    dashboard operations { metrics: [trade_api.invocations, trade_api.latency] }
}

fn main() {}
