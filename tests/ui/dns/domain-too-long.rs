// 245 characters fit DNS's 253, but not with the `us-east-1.` each
// region's own name adds.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev],
    }

    key data {}
    zone public { domain: "example.com" }
    function health_api { code: "handlers/health-api", key: data }
    api trading {
        key: data,
        routes: { GET "/health" => health_api },
        waf: { rate: 2000 },
        domain: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example.com",
        zone: public,
    }
}

fn main() {}
