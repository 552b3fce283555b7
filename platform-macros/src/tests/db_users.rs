//! Database users (`db-user-name`, `db-user-role`, `db-user-network`,
//! `db-user-rotation`) and deploy steps (`run-after-deploy`), without rustc.

use quote::quote;

use super::{error, errors, platform};
use crate::ast::{Body, Definition};

/// A platform with a network and a cluster in it, then `rest`.
fn with_cluster(rest: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    platform(quote! {
        network core { cidr: region(us_east_1: "10.0.0.0/16"), endpoints: [secretsmanager, kms], key: data }
        aurora trades { engine: postgres "16.10", capacity: 0.5..=2, network: core, key: data }
        #rest
    })
}

#[test]
fn a_db_user_parses_its_cluster_privileges_and_key_and_a_function_its_run() {
    let input = with_cluster(quote! {
        db_user trading_app { cluster: trades, privileges: read_only, key: data }
        function migrate { code: "m", key: data, network: core, run: after_deploy,
            grants: { trades: read_secret, trading_app: connect } }
        function api { code: "a", key: data, network: core, grants: { trading_app: connect },
            env: { DB_USER: trading_app.name } }
    });
    assert_eq!(errors(input.clone()), Vec::<String>::new());
    let definition: Definition = syn::parse2(input).unwrap();
    let mut users = 0;
    let mut runs = Vec::new();
    for block in &definition.blocks {
        if let crate::ast::Block::Resource(r) = block {
            match &r.body {
                Body::DbUser(u) => {
                    users += 1;
                    assert_eq!(u.cluster.as_ref().unwrap(), "trades");
                    assert_eq!(u.privileges.as_ref().unwrap(), "read_only");
                }
                Body::Function(f) => runs.push(f.run.as_ref().map(|r| r.to_string())),
                _ => {}
            }
        }
    }
    assert_eq!(users, 1);
    assert_eq!(runs, [Some("after_deploy".to_owned()), None]);
}

#[test]
fn db_user_name_refuses_reserved_and_overlong_role_names() {
    let errors = errors(with_cluster(quote! {
        db_user rdsadmin { cluster: trades, privileges: dml, key: data }
        db_user pg_monitor_app { cluster: trades, privileges: dml, key: data }
        db_user trading_app { cluster: trades, privileges: dml, key: data }
    }));
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].starts_with(
            "db_user `rdsadmin` cannot be a PostgreSQL role name: `rdsadmin` is reserved"
        ),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].ends_with("like `app_rdsadmin` [db-user-name]"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains("names starting with `pg_` are reserved"),
        "{}",
        errors[1]
    );
}

#[test]
fn db_user_requires_its_cluster_privileges_and_key() {
    let errors = errors(with_cluster(quote! { db_user trading_app {} }));
    assert_eq!(
        errors,
        [
            "db_user `trading_app` is missing `cluster:`; add it, like `cluster: trades` [grammar-required]",
            "db_user `trading_app` is missing `privileges:`; add it, like `privileges: dml` [grammar-required]",
            "db_user `trading_app` is missing `key:`; add it, like `key: data` [grammar-required]",
        ]
    );
}

#[test]
fn db_user_role_keeps_ddl_and_the_master_user_to_the_deploy_step() {
    let errors = errors(with_cluster(quote! {
        db_user trading_app { cluster: trades, privileges: dml, key: data }
        db_user trading_owner { cluster: trades, privileges: owner, key: data }
        db_user second_owner { cluster: trades, privileges: owner, key: data }
        function api { code: "a", key: data, network: core,
            grants: { trading_app: connect, trading_owner: connect, trades: [connect, read_secret] } }
        function migrate { code: "m", key: data, network: core, run: after_deploy,
            grants: { trades: read_secret, trading_owner: connect } }
    }));
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(
        errors[0].starts_with(
            "db_user `second_owner` is a second `owner` of aurora `trades`, after `trading_owner`"
        ),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].starts_with(
            "function `api` connects as `trading_owner`, the owner of aurora `trades`'s schema"
        ),
        "{}",
        errors[1]
    );
    assert!(errors[2].starts_with("function `api` reads the master user's secret of aurora `trades`, which declares database users"), "{}", errors[2]);
    assert!(
        errors[2].contains("grant `trading_app: connect` instead [db-user-role]"),
        "{}",
        errors[2]
    );
}

#[test]
fn the_master_secret_stays_readable_while_a_cluster_declares_no_users() {
    assert_eq!(
        errors(with_cluster(quote! {
            function api { code: "a", key: data, network: core, grants: { trades: read_secret } }
        })),
        Vec::<String>::new()
    );
}

#[test]
fn db_user_network_puts_connecting_functions_in_the_clusters_network() {
    let errors = errors(with_cluster(quote! {
        network other { cidr: region(us_east_1: "10.1.0.0/16"), endpoints: [secretsmanager, kms], key: data }
        db_user trading_app { cluster: trades, privileges: dml, key: data }
        function outside { code: "a", key: data, grants: { trading_app: connect } }
        function elsewhere { code: "b", key: data, network: other, grants: { trading_app: connect } }
        function inside { code: "c", key: data, network: core, grants: { trading_app: connect } }
    }));
    assert_eq!(
        errors,
        [
            "function `outside` connects as `trading_app` to aurora `trades`, but runs outside any network; the cluster admits PostgreSQL only from network `core`: add `network: core` to the function [db-user-network]",
            "function `elsewhere` connects as `trading_app` to aurora `trades`, but runs in network `other`; the cluster admits PostgreSQL only from network `core`: add `network: core` to the function [db-user-network]",
        ]
    );
}

#[test]
fn db_user_rotation_takes_days_per_profile_and_one_rotating_function_in_the_network() {
    let valid = with_cluster(quote! {
        db_user trading_app { cluster: trades, privileges: dml, key: data,
            rotation: profile(dev: 7d, prod: 90d) }
        db_user trading_monitor { cluster: trades, privileges: read_only, key: data, rotation: 1d }
        function db_rotation { code: "r", key: data, network: core,
            grants: { trading_app: rotate, trading_monitor: rotate } }
    });
    assert_eq!(errors(valid.clone()), Vec::<String>::new());
    let definition: Definition = syn::parse2(valid).unwrap();
    let days: Vec<Vec<u32>> = definition
        .blocks
        .iter()
        .filter_map(|block| match block {
            crate::ast::Block::Resource(r) => match &r.body {
                Body::DbUser(u) => Some(
                    u.rotation
                        .as_ref()
                        .unwrap()
                        .values()
                        .iter()
                        .map(|d| d.value)
                        .collect(),
                ),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(days, [vec![7, 90], vec![1]]);

    let errors = errors(with_cluster(quote! {
        db_user trading_app { cluster: trades, privileges: dml, key: data, rotation: 91d }
        db_user trading_owner { cluster: trades, privileges: owner, key: data }
        function outside { code: "r", key: data, grants: { trading_app: rotate, trading_owner: rotate } }
    }));
    assert_eq!(
        errors,
        [
            "function `outside` connects as `trading_app` to aurora `trades`, but runs outside any network; the cluster admits PostgreSQL only from network `core`: add `network: core` to the function [db-user-network]",
            "function `outside` connects as `trading_owner` to aurora `trades`, but runs outside any network; the cluster admits PostgreSQL only from network `core`: add `network: core` to the function [db-user-network]",
            "function `outside` is granted `rotate` on db_user `trading_owner`, which declares no `rotation:`; nothing would invoke it: add `rotation: 30d` to the db_user, or remove the grant [db-user-rotation]",
            "db_user `trading_app` rotates every `91d`, out of range: a database password changes at least every 90d (PCI DSS 8.3.9); rotate at most every `90d`, like `rotation: 30d` [db-user-rotation]",
        ]
    );
}

#[test]
fn db_user_rotation_functions_are_invoked_by_secrets_manager_alone() {
    let errors = errors(with_cluster(quote! {
        queue dlq { retention: 14d, key: data }
        queue jobs { dead_letter: dlq after 5, key: data }
        db_user trading_app { cluster: trades, privileges: dml, key: data, rotation: 30d }
        function db_rotation { code: "r", key: data, network: core, trigger: jobs,
            grants: { trading_app: rotate } }
        rule nightly { schedule: "rate(1 day)", targets: [db_rotation], dead_letter: dlq }
    }));
    let rotation: Vec<&String> = errors
        .iter()
        .filter(|e| e.ends_with("[db-user-rotation]"))
        .collect();
    assert_eq!(rotation.len(), 2, "{errors:#?}");
    assert!(
        rotation[0].starts_with("function `db_rotation` rotates db_user `trading_app`'s password, so only Secrets Manager invokes it; it cannot also be rule `nightly`'s target"),
        "{}",
        rotation[0]
    );
    assert!(
        rotation[1].contains("it cannot also be triggered by queue `jobs`"),
        "{}",
        rotation[1]
    );
}

#[test]
fn run_after_deploy_functions_are_not_on_the_request_path() {
    let errors = errors(platform(quote! {
        queue dlq { retention: 14d, key: data }
        queue jobs { dead_letter: dlq after 5, key: data }
        function migrate { code: "m", key: data, run: after_deploy, trigger: jobs }
        rule nightly { schedule: "rate(1 day)", targets: [migrate], dead_letter: dlq }
        api trading { waf: {}, key: data, routes: { POST "/migrate" => migrate { auth: iam } } }
    }));
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(
        errors[0].contains("cannot also be triggered by queue `jobs`"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains("cannot also be rule `nightly`'s target"),
        "{}",
        errors[1]
    );
    assert!(
        errors[2].contains("cannot also be behind a route of api `trading`"),
        "{}",
        errors[2]
    );
    assert!(errors.iter().all(|e| e.ends_with("[run-after-deploy]")));
}

#[test]
fn run_takes_only_after_deploy() {
    assert_eq!(
        error(platform(
            quote! { function f { code: "f", key: data, run: at_noon } }
        )),
        "unknown `run:` value `at_noon`; `run:` takes `after_deploy` [grammar-syntax]"
    );
}
