// Several mistakes at once: each is reported on its own token, once, and the
// placeholder `platform()` keeps the code that uses it compiling.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    table sessions { partition: session_id: string, key: data }
    queue trade_orders { dead_letter: trade_orders_dql after 3, key: data }
    queue trade_orders_dlq { retention: 14d, key: data }

    function trade_api {
        code: "handlers/trade-api",
        key: dta,
        env: { SESSIONS_TABLE: sessions.url, QUEUE_URL: trade_orders.url },
        grants: { sessions: read_write, trade_orders: read_write },
    }
}

fn regions() -> Vec<String> {
    platform().regions
}

fn main() {
    let _ = regions;
}
