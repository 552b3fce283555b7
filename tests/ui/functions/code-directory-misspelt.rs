platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    function trade_api { code: "handlers/trade-apu", key: data }
    function trade_processor { code: "handlers/trade-processor", handler: "main.handler", key: data }
}

fn main() {}
