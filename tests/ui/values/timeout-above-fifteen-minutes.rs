// Lambda stops any function after 15 minutes.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    function nightly_report { code: "handlers/nightly-report", key: data, timeout: 20m }
}

fn main() {}
