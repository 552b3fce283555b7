// Lambda retries an asynchronous invocation at most twice, for at most 6 hours.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    queue events_dlq { retention: 14d, key: data }
    function event_handler {
        code: "handlers/event-handler",
        key: data,
        dead_letter: events_dlq,
        async: { retries: 3, max_age: 12h },
    }
}

fn main() {}
