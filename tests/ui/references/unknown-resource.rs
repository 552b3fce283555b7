platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    table sessions { partition: session_id: string, key: data }

    function trade_api {
        code: "handlers/trade-api",
        key: data,
        env: { SESSIONS_TABLE: sesions.name },
        grants: { sessions: read_write },
    }
}

fn main() {}
