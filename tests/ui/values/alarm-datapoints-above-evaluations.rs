// An alarm cannot need more breaching datapoints than the periods it evaluates.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    topic alerts { key: data, subscribe: email "oncall@example.com" }
    function trade_api { code: "handlers/trade-api", key: data }
    alarm trade_api_errors { metric: trade_api.errors, above: 0, evaluations: 3, datapoints: 5, notify: alerts }
}

fn main() {}
