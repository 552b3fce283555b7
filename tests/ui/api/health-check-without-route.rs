// Route 53 sends unsigned GET requests: a health check needs a GET route
// without auth.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    function trade_api { code: "handlers/trade-api", key: data }

    api trading {
        waf: {},
        key: data,
        routes: { GET "/status" => trade_api, POST "/trades" => trade_api { auth: iam } },
    }

    health_check api_health { api: trading, path: "/health" }
}

fn main() {}
