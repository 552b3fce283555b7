platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    bus orders { key: data }

    // `orders_bus` would be `OrdersBus`, the id bus `orders` generates.
    resource orders_bus: "AWS::Events::Archive" { SourceArn: orders.arn }
}

fn main() {}
