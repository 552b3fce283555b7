// Lambda gives a function 128 to 10240 MB.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    function trade_processor {
        code: "handlers/trade-processor",
        key: data,
        memory: profile(dev: 512, prod: 16384),
    }
}

fn main() {}
