platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    table sessions { partition: session_id: string, key: data }
    bucket audit_log { key: data }

    function trade_processor {
        code: "handlers/trade-processor",
        key: data,
        env: { SESSIONS_TABLE: sessions.name, AUDIT_BUCKET: audit_log.name },
        grants: { audit_log: write },
    }
}

fn main() {}
