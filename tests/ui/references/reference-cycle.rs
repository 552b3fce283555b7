platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    function trade_api {
        code: "handlers/trade-api",
        key: data,
        env: { API_URL: trading.url },
        grants: { trading: invoke },
    }

    api trading {
        waf: {},
        routes: { POST "/trades" => trade_api { auth: iam } },
        key: data,
    }
}

fn main() {}
