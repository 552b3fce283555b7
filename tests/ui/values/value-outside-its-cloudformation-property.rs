platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    // No rule is written for it: the registry schema of the property it
    // lands in (`AWS::Lambda::Function` `Handler`) rejects it.
    function trade_api {
        code: "handlers/trade-api",
        handler: "index. handler",
        key: data,
    }
}

fn main() {}
