platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    function trade_api {
        code: "handlers/trade-api",
        include: { "lib": "handlers/no-such-shared" },
        key: data,
    }
}

fn main() {}
