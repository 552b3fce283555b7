platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    network core { cidr: region(us_east_1: "10.0.0.0/16"), key: data }

    function core_flow_logs {
        code: "handlers/trade-processor",
        key: data,
    }
}

fn main() {}
