// An api without a web ACL in production: a flood from one address, or a
// known exploit, reaches its functions unfiltered.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    function health_api { code: "handlers/health-api", key: data }
    api trading {
        key: data,
        routes: { GET "/health" => health_api },
    }
}

fn main() {}
