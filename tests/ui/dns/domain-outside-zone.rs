// An api's domain outside the zone it names, in one profile: ACM could not
// validate its certificate there, nor Route 53 serve its records.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    zone public { domain: profile(dev: "dev.trading.example.com", prod: "trading.example.com") }
    function health_api { code: "handlers/health-api", key: data }
    api trading {
        key: data,
        routes: { GET "/health" => health_api },
        waf: { rate: 2000 },
        domain: profile(dev: "api.trading.example.com", prod: "api.trading.example.com"),
        zone: public,
    }
}

fn main() {}
