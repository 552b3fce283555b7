platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    function trade_api { code: "handlers/trade-api", key: data }

    api trading {
        waf: {},
        key: data,
        routes: {
            POST "/trades" => trade_api { auth: iam, body: "schemas/no-such-schema.json" },
        },
    }
}

fn main() {}
