platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    function trade_processor {
        code: "handlers/trade-processor",
        key: data,
        env: { STAGE: "live", DB_PASSWORD: "hunter2-secret" },
    }
}

fn main() {}
