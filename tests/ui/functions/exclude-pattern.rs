platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    // `**` must be a whole path component.
    function trade_api {
        code: "handlers/trade-api",
        exclude: ["**/*.map", "lib/**.map"],
        key: data,
    }

    // The handler file is index.mjs: the function could not start.
    function probe {
        code: "handlers/health-api",
        exclude: ["*.mjs"],
        key: data,
    }
}

fn main() {}
