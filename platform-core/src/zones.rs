//! How many availability zones each region the platform knows offers an
//! account, for the compile-time check of a network's `azs:`.
//!
//! Source: AWS, "AWS Global Infrastructure: Regions and Availability Zones"
//! (<https://aws.amazon.com/about-aws/global-infrastructure/regions_az/>) and
//! the EC2 User Guide's "Regions and Zones", transcribed in 2025 (the page
//! carries no date of its own; compare it again before changing a row).
//! Where an account does not get every zone the page lists, the table holds
//! what a new account gets, since that is where an environment is deployed:
//! us-west-1 lists 3 zones, but accounts created since 2013 see 2;
//! ap-northeast-1 lists 4, but new accounts see 3 (ap-northeast-1b is closed
//! to them). A network placed on `Fn::GetAZs` indexes beyond the zones an
//! account sees would fail its subnets' creation at deploy time.
//!
//! Update the table (and the date above) when AWS opens a zone; the test
//! below keeps it aligned with [`crate::naming::REGIONS`].

/// Region code and the availability zones a new account can use there, in
/// the order of [`crate::naming::REGIONS`].
pub static ZONES: &[(&str, u32)] = &[
    ("us-east-1", 6),
    ("us-east-2", 3),
    ("us-west-1", 2),
    ("us-west-2", 4),
    ("ca-central-1", 3),
    ("eu-west-1", 3),
    ("eu-west-2", 3),
    ("eu-west-3", 3),
    ("eu-central-1", 3),
    ("eu-central-2", 3),
    ("eu-north-1", 3),
    ("eu-south-1", 3),
    ("eu-south-2", 3),
    ("ap-south-1", 3),
    ("ap-south-2", 3),
    ("ap-northeast-1", 3),
    ("ap-northeast-2", 4),
    ("ap-northeast-3", 3),
    ("ap-southeast-1", 3),
    ("ap-southeast-2", 3),
    ("ap-southeast-3", 3),
    ("ap-southeast-4", 3),
    ("sa-east-1", 3),
    ("me-south-1", 3),
    ("me-central-1", 3),
    ("af-south-1", 3),
    ("il-central-1", 3),
];

/// The availability zones a new account can use in the region `code`
/// (`us-east-1`); `None` for a region the platform does not know.
pub fn zones(code: &str) -> Option<u32> {
    ZONES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naming::REGIONS;

    #[test]
    fn every_known_region_has_a_zone_count_and_no_other() {
        let known: Vec<&str> = REGIONS.iter().map(|(_, code)| *code).collect();
        let listed: Vec<&str> = ZONES.iter().map(|(code, _)| *code).collect();
        assert_eq!(
            known, listed,
            "ZONES lists exactly naming::REGIONS, in order"
        );
    }

    #[test]
    fn every_region_offers_at_least_the_two_zones_a_network_needs() {
        for (code, n) in ZONES {
            assert!(*n >= 2, "{code} offers {n} zones");
        }
    }

    #[test]
    fn the_constrained_regions_hold_what_a_new_account_sees() {
        assert_eq!(zones("us-west-1"), Some(2));
        assert_eq!(zones("us-east-1"), Some(6));
        assert_eq!(zones("xx-nowhere-1"), None);
    }
}
