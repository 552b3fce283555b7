platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    topic alerts { key: data, subscribe: https "https://pager.example.com/hook" }
    function trade_api { code: "handlers/trade-api", key: data }
    alarm trade_api_errors { metric: trade_api.errors, above: 0, period: 30s, notify: alerts }
}

fn main() {}
