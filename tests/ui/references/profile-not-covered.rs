platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, staging, prod],
    }

    key data {}

    function trade_api {
        code: "handlers/trade-api",
        memory: profile(dev: 512, stagin: 1024),
        key: data,
    }
}

fn main() {}
