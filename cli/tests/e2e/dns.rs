//! The trading API's domain, deployed into every region: the zone, created
//! once by the global stack (us-east-1), with each region's latency record
//! carrying that region's health check; each region's certificate and
//! domain names mapped to the stage; the health checks' alarms in
//! us-east-1; and all of it gone with the environment.

use serde_json::Value;

use super::proxy::Proxy;
use super::*;

const SUFFIX: &str = "dns";
const DOMAIN: &str = "api.dev.trading.example.com";
const REGIONS: [&str; 3] = ["us-east-1", "us-east-2", "us-west-2"];

/// The record `name` of type A with set identifier `set` (null: none).
fn record<'a>(records: &'a [Value], name: &str, set: Option<&str>) -> &'a Value {
    records
        .iter()
        .find(|r| r["Name"] == name && r["Type"] == "A" && r["SetIdentifier"].as_str() == set)
        .unwrap_or_else(|| panic!("no A record {name} ({set:?}) in {records:?}"))
}

#[test]
fn the_apis_domain_is_served_latency_routed_with_every_regions_health_check() {
    let moto = Moto::start("dns");
    // moto runs no function: the proxy answers the after-deploy steps.
    let proxy = Proxy::start(moto.port);
    for region in REGIONS {
        proxy.answer_after_deploy(region, SUFFIX);
    }
    let endpoint = proxy.endpoint();
    let dir = scratch("dns");
    for region in REGIONS {
        let run = tp_run(&endpoint, &dir, &["bootstrap", "--region", region]);
        assert_eq!(run.code, 0, "{run}");
    }
    // Every region at once: the regional stacks read the zone's and the
    // health checks' ids from the global stack, which deploys first.
    let deploy = ["deploy", "--suffix", SUFFIX, "--require-approval", "never"];
    let run = tp_run(&endpoint, &dir, &deploy);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("PublicZoneNameServers"), "{run}");

    let dns = moto.dns(&REGIONS);
    // One health check per platform region, each probing its own name.
    let checks = dns["health_checks"].as_object().unwrap();
    let check_of = |region: &str| {
        checks
            .iter()
            .find(|(_, fqdn)| **fqdn == format!("{region}.{DOMAIN}"))
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("no health check of {region}: {checks:?}"))
    };
    assert_eq!(checks.len(), REGIONS.len(), "{checks:?}");

    // One zone, created once, holding every region's records.
    let zones = dns["zones"].as_object().unwrap();
    assert_eq!(zones.len(), 1, "{dns}");
    let records = dns["zones"]["dev.trading.example.com"]
        .as_array()
        .unwrap_or_else(|| panic!("no zone dev.trading.example.com: {dns}"));
    for region in REGIONS {
        // The domain's latency record of the region, with the region's
        // health check: Route 53 drops the region when it fails.
        let latency = record(records, DOMAIN, Some(region));
        assert_eq!(latency["Region"], region, "{latency}");
        assert_eq!(latency["HealthCheckId"], check_of(region).as_str());
        assert!(
            latency["Alias"]
                .as_str()
                .unwrap()
                .contains(&format!(".execute-api.{region}.")),
            "{latency}"
        );
        // The region's own name, which its health check probes.
        let regional = record(records, &format!("{region}.{DOMAIN}"), None);
        assert!(
            regional["Alias"]
                .as_str()
                .unwrap()
                .contains(&format!(".execute-api.{region}.")),
            "{regional}"
        );

        // The region's certificate covers both names; both domain names
        // map to the stage.
        let certificate = dns["certificates"][region]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["DomainName"] == DOMAIN)
            .unwrap_or_else(|| panic!("no certificate of {DOMAIN} in {region}: {dns}"));
        assert!(
            certificate["SubjectAlternativeNames"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| *n == format!("{region}.{DOMAIN}")),
            "{certificate}"
        );
        for name in [DOMAIN.to_owned(), format!("{region}.{DOMAIN}")] {
            let domain = &dns["domain_names"][region][&name];
            assert_eq!(domain["securityPolicy"], "TLS_1_2", "{name}: {dns}");
            assert_eq!(domain["stages"], serde_json::json!(["v1"]), "{name}");
        }

        // Every region's health check has its alarm in us-east-1.
        let alarm = &dns["alarms"][format!("alarm-api-down-{region}-{SUFFIX}")];
        assert_eq!(alarm, &serde_json::json!([check_of(region)]), "{dns}");
    }

    // One region destroyed: its latency record goes, the other regions'
    // (same name and type, another set identifier) stay.
    let run = tp_run(
        &endpoint,
        &dir,
        &[
            "destroy",
            "--suffix",
            SUFFIX,
            "--region",
            "us-east-2",
            "--yes",
        ],
    );
    assert_eq!(run.code, 0, "{run}");
    let dns = moto.dns(&[]);
    let records = dns["zones"]["dev.trading.example.com"].as_array().unwrap();
    let latency: Vec<&str> = records
        .iter()
        .filter(|r| r["Name"] == DOMAIN && r["Type"] == "A")
        .filter_map(|r| r["SetIdentifier"].as_str())
        .collect();
    assert_eq!(latency, ["us-east-1", "us-west-2"], "{records:?}");

    // Destroyed with the environment: no zone, record or check is left.
    let run = tp_run(&endpoint, &dir, &["destroy", "--suffix", SUFFIX, "--yes"]);
    assert_eq!(run.code, 0, "{run}");
    let dns = moto.dns(&REGIONS);
    assert_eq!(dns["zones"], serde_json::json!({}), "{dns}");
    assert_eq!(dns["health_checks"], serde_json::json!({}), "{dns}");
}
