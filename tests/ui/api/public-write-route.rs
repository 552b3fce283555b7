platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    function trade_api { code: "handlers/trade-api", key: data }

    api trading {
        key: data,
        waf: {},
        routes: {
            GET "/health" => trade_api,
            POST "/trades" => trade_api,
            DELETE "/trades/{id}" => trade_api { auth: none },
            PUT "/webhooks/{id}" => trade_api { auth: none "the payment provider's callbacks are unsigned; the handler verifies their HMAC" },
        },
    }
}

fn main() {}
