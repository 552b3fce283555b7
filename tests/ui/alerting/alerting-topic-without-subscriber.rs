// An alarm's topic that no one subscribes to in some profile alerts no one there.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    topic alerts { key: data, subscribe: profile(dev: [], prod: https "https://pager.example.com/hook") }
    topic silent { key: data }
    function trade_api { code: "handlers/trade-api", key: data }
    alarm trade_api_errors { metric: trade_api.errors, above: 0, notify: alerts }
    alarm trade_api_throttles { metric: trade_api.throttles, above: 0, notify: silent }
}

fn main() {}
