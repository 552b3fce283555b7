platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    queue trade_orders { dead_letter: trade_orders_dlq after 3, key: data }
    queue trade_orders_dlq { retention: 14d, key: data }
    function trade_api { code: "handlers/trade-api", key: data }

    api trading {
        waf: {},
        key: data,
        routes: {
            GET "/health" => trade_api,
            POST "/trades" => trade_orders { auth: iam },
        },
    }
}

fn main() {}
