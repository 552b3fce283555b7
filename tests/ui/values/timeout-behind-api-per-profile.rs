// API Gateway gives up on an integration after 29 seconds, in every profile.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    function trade_api { code: "handlers/trade-api", key: data, timeout: profile(dev: 10s, prod: 45s) }
    api trading { waf: {}, key: data, routes: { POST "/trades" => trade_api { auth: iam } } }
}

fn main() {}
