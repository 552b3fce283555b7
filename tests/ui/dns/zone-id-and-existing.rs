// An existing zone is named by its id or looked up, not both; and the id
// is Route 53's, without `/hostedzone/`.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev],
    }

    zone public { domain: "trading.example.com", id: "/hostedzone/Z0123", existing: true }
}

fn main() {}
