// A domain needs the zone its records go in.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev],
    }

    key data {}
    function health_api { code: "handlers/health-api", key: data }
    api trading {
        key: data,
        routes: { GET "/health" => health_api },
        waf: { rate: 2000 },
        domain: "api.trading.example.com",
    }
}

fn main() {}
