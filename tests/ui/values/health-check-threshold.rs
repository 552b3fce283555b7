// Route 53 takes 1 to 10 failures before a check is unhealthy.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    function trade_api { code: "handlers/trade-api", key: data }
    api trading { waf: {}, key: data, routes: { GET "/health" => trade_api } }
    health_check api_health { api: trading, path: "/health", threshold: 11 }
}

fn main() {}
