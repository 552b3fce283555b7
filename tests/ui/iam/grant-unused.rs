platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    table sessions { partition: session_id: string, key: data }
    bucket audit_log { key: data }

    // The handler sends `UpdateItemCommand` on `SESSIONS_TABLE` and nothing
    // to the bucket.
    function trade_processor {
        code: "../../../../tests/ui/iam/handlers/sessions",
        key: data,
        env: { SESSIONS_TABLE: sessions.name },
        grants: { sessions: write, audit_log: append },
    }
}

fn main() {}
