platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    table sessions { partition: session_id: string, stream: new_and_old, key: data }

    function session_events {
        code: "handlers/session-events",
        key: data,
        trigger: sessions { batch: 10 },
    }
}

fn main() {}
