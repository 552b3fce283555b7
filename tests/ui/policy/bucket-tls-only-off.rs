// Every bucket refuses requests without TLS.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    bucket config { key: data, tls_only: off }
}

fn main() {}
