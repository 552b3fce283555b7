// Domains DNS would not take: an uppercase letter, and, in one profile, a
// label with an underscore. The error names the profile.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    zone public { domain: "Trading.example.com" }
    function health_api { code: "handlers/health-api", key: data }
    api trading {
        key: data,
        routes: { GET "/health" => health_api },
        waf: { rate: 2000 },
        domain: profile(dev: "api_dev.trading.example.com", prod: "api.trading.example.com"),
        zone: public,
    }
}

fn main() {}
