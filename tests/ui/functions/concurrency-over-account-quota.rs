platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, staging, prod],
        accounts: profile(dev: "111111111111", staging: "111111111111", prod: "222222222222"),
        lambda_concurrency_quota: profile(dev: 1000, staging: 1000, prod: 2000),
    }

    key data {}

    function trade_api { code: "handlers/trade-api", key: data, concurrency: profile(dev: 300, staging: 500, prod: 1500) }
    function trade_processor { code: "handlers/trade-processor", key: data, concurrency: profile(dev: 50, staging: 100, prod: 300) }
}

fn main() {}
