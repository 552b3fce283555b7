platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    table sessions { partition: session_id: string, key: data }

    function trade_processor {
        code: "handlers/trade-processor",
        key: data,
        statements: [allow ["dynamodb:DescribeTable", "dynamodb:Get*"] on sessions],
    }
}

fn main() {}
