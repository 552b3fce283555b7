// A rate-based rule's limit below WAF's least, 10 requests per 5 minutes.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    function health_api { code: "handlers/health-api", key: data }
    api trading {
        waf: { rate: profile(dev: 5, prod: 1000) },
        key: data,
        routes: { GET "/health" => health_api },
    }
}

fn main() {}
