//! The emulator itself: where `cli/local/moto-launch.py` patches moto so
//! that a valid deploy is not refused.

use super::*;

/// A topic, and an email subscription to it only when an address is given.
const CONDITIONAL: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Parameters": {
    "Email": {"Type": "String", "Default": ""},
    "Label": {"Type": "String"}
  },
  "Conditions": {"EmailGiven": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Email"}, ""]}]}},
  "Resources": {
    "Alerts": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "emulator-alerts", "DisplayName": {"Ref": "Label"}}},
    "AlertsEmail": {
      "Type": "AWS::SNS::Subscription",
      "Condition": "EmailGiven",
      "Properties": {"TopicArn": {"Ref": "Alerts"}, "Protocol": "email", "Endpoint": {"Ref": "Email"}}
    }
  }
}"#;

fn subscriptions(moto: &Moto) -> Vec<Value> {
    moto.monitoring()["subscriptions"]["emulator-alerts"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_template_from_the_emulators_own_url_deploys_and_a_false_condition_stays_absent_on_update() {
    let moto = Moto::start("emulator");
    let dir = scratch("emulator");
    let template = dir.join("conditional.json");
    std::fs::write(&template, CONDITIONAL).unwrap();

    let deploy = |parameters: &[&str]| {
        moto.deploy_as_awscli("emulator", &template, "emulator-templates", parameters)
    };

    // Created from http://127.0.0.1:PORT/<bucket>/<key>, as awscli passes it.
    let created = deploy(&["Label=one"]);
    assert_eq!(created["status"], "CREATE_COMPLETE", "{created}");
    assert!(
        created["resources"].get("AlertsEmail").is_none(),
        "{created}"
    );

    // The subscription's own definition changes while its condition stays
    // false: moto's change set lists it as modified.
    let changed = CONDITIONAL.replace(
        r#""Protocol": "email""#,
        r#""Protocol": "email", "RawMessageDelivery": "false""#,
    );
    assert_ne!(changed, CONDITIONAL);
    std::fs::write(&template, changed).unwrap();
    let relabelled = deploy(&["Label=two"]);
    assert_eq!(relabelled["status"], "UPDATE_COMPLETE", "{relabelled}");
    assert!(
        relabelled["resources"].get("AlertsEmail").is_none(),
        "{relabelled}"
    );
    assert!(subscriptions(&moto).is_empty());

    // The condition turns true: the subscription is made.
    let given = deploy(&["Label=two", "Email=ops@example.com"]);
    assert_eq!(given["status"], "UPDATE_COMPLETE", "{given}");
    assert_eq!(given["resources"]["AlertsEmail"], "AWS::SNS::Subscription");
    let subs = subscriptions(&moto);
    assert_eq!(subs.len(), 1, "{subs:?}");
    assert_eq!(subs[0]["endpoint"], "ops@example.com");

    // And false again: it goes.
    let removed = deploy(&["Label=two", "Email="]);
    assert_eq!(removed["status"], "UPDATE_COMPLETE", "{removed}");
    assert!(
        removed["resources"].get("AlertsEmail").is_none(),
        "{removed}"
    );
    assert!(
        subscriptions(&moto).is_empty(),
        "{:?}",
        subscriptions(&moto)
    );
}
