platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    // "." is the crate's directory, which exists: only the prefixes are wrong.
    function trade_api {
        code: "handlers/trade-api",
        include: { "../lib": ".", "lib": ".", "lib/aws": "." },
        key: data,
    }

    // The function's directory holds index.mjs: the prefix would land on it.
    function probe {
        code: "handlers/health-api",
        include: { "index.mjs": "." },
        key: data,
    }
}

fn main() {}
