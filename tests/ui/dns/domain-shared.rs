// Two apis on one domain: each one's records and certificate would take
// the other's place.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    zone public { domain: "trading.example.com" }
    function health_api { code: "handlers/health-api", key: data }
    api trading {
        key: data,
        routes: { GET "/health" => health_api },
        waf: { rate: 2000 },
        domain: "api.trading.example.com",
        zone: public,
    }
    api backoffice {
        key: data,
        routes: { GET "/health" => health_api },
        waf: { rate: 2000 },
        domain: profile(dev: "dev.trading.example.com", prod: "api.trading.example.com"),
        zone: public,
    }
}

fn main() {}
