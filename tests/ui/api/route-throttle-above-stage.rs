// A route's own throttle above its api's: the public route could use up
// what the stage allows the others.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    function health_api { code: "handlers/health-api", key: data }
    api trading {
        waf: {},
        throttle: profile(dev: 100 burst 200, prod: 2000 burst 4000),
        key: data,
        routes: { GET "/health" => health_api { throttle: profile(dev: 500 burst 20, prod: 10 burst 20) } },
    }
}

fn main() {}
