// Two routes with the same method and path: API Gateway would keep one.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    function trade_api { code: "handlers/trade-api", key: data }
    function trade_submit { code: "handlers/trade-submit", key: data }
    api trading {
        waf: {},
        key: data,
        routes: {
            GET "/health" => trade_api,
            POST "/trades" => trade_submit { auth: iam },
            POST "/trades" => trade_api { auth: iam },
        },
    }
}

fn main() {}
