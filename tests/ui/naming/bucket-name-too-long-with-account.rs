// Fits in 63 characters as `s3-{purpose}-{region}-{suffix}`, but bucket
// names end with the account id too, which makes it 65.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    bucket trade_confirmation_archive { key: data }
}

fn main() {}
