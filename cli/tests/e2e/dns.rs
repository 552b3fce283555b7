//! The trading API's domain, deployed into the environment's global region
//! (us-east-1): the zone with the region's records and every region's
//! health check, the certificate, the domain names mapped to the stage,
//! the health checks' alarms; and all of it gone with the environment.

use serde_json::Value;

use super::proxy::{Fault, Proxy};
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
    proxy.answer_network_guard(REGION, SUFFIX);
    proxy.add(
        &format!("Lambda:Invoke:lambda-migrate-{REGION}-{SUFFIX}"),
        Fault::RespondJson {
            body: r#"{"applied":[],"schemaVersion":2}"#.into(),
            headers: Vec::new(),
        },
        usize::MAX,
    );
    let endpoint = proxy.endpoint();
    let dir = scratch("dns");
    let run = tp_run(&endpoint, &dir, &["bootstrap", "--region", REGION]);
    assert_eq!(run.code, 0, "{run}");
    let deploy = [
        "deploy",
        "--suffix",
        SUFFIX,
        "--region",
        REGION,
        "--require-approval",
        "never",
    ];
    let run = tp_run(&endpoint, &dir, &deploy);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("PublicZoneNameServers"), "{run}");

    let dns = moto.dns();
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

    // The created zone holds the region's latency record, with its health
    // check, and its own name's alias.
    let records = dns["zones"]["dev.trading.example.com"]
        .as_array()
        .unwrap_or_else(|| panic!("no zone dev.trading.example.com: {dns}"));
    let latency = record(records, DOMAIN, Some(REGION));
    assert_eq!(latency["Region"], REGION);
    assert_eq!(latency["HealthCheckId"], check_of(REGION).as_str());
    let regional = record(records, &format!("{REGION}.{DOMAIN}"), None);
    assert!(
        regional["Alias"]
            .as_str()
            .unwrap()
            .contains(".execute-api.us-east-1."),
        "{regional}"
    );

    // The certificate covers both names; both domain names map to the stage.
    let certificate = dns["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["DomainName"] == DOMAIN)
        .unwrap_or_else(|| panic!("no certificate of {DOMAIN}: {dns}"));
    assert!(
        certificate["SubjectAlternativeNames"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| *n == format!("{REGION}.{DOMAIN}")),
        "{certificate}"
    );
    for name in [DOMAIN.to_owned(), format!("{REGION}.{DOMAIN}")] {
        let domain = &dns["domain_names"][&name];
        assert_eq!(domain["securityPolicy"], "TLS_1_2", "{name}: {dns}");
        assert_eq!(domain["stages"], serde_json::json!(["v1"]), "{name}");
    }

    // Every region's health check has its alarm in us-east-1.
    for region in REGIONS {
        let alarm = &dns["alarms"][format!("alarm-api-down-{region}-{SUFFIX}")];
        assert_eq!(alarm, &serde_json::json!([check_of(region)]), "{dns}");
    }

    // Destroyed with the environment: no zone, record or check is left.
    let run = tp_run(
        &endpoint,
        &dir,
        &["destroy", "--suffix", SUFFIX, "--region", REGION, "--yes"],
    );
    assert_eq!(run.code, 0, "{run}");
    let dns = moto.dns();
    assert_eq!(dns["zones"], serde_json::json!({}), "{dns}");
    assert_eq!(dns["health_checks"], serde_json::json!({}), "{dns}");
}
