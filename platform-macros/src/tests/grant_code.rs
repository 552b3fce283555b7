//! Grants against the handler's code (`grant-code`, `grant-unused`): the
//! SDK commands found in JavaScript, and the verdicts on a scratch crate.

use std::path::{Path, PathBuf};

use quote::quote;

use super::{error_in, platform, platform_def};
use crate::expand;
use crate::handler_code;

/// A crate directory with `handlers/<name>/index.mjs` holding `index`, and
/// `handlers/shared/` holding `shared` as `db.mjs`.
fn crate_dir(name: &str, index: &str, shared: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "platform-macros-grant-code-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("handlers/orders")).unwrap();
    std::fs::create_dir_all(dir.join("handlers/shared")).unwrap();
    std::fs::write(dir.join("handlers/orders/index.mjs"), index).unwrap();
    std::fs::write(dir.join("handlers/shared/db.mjs"), shared).unwrap();
    dir
}

fn read(dir: &Path) -> handler_code::Code {
    let include = [("lib".to_owned(), "handlers/shared".to_owned())];
    let mut cache = handler_code::Cache::new();
    handler_code::read(dir, "handlers/orders", &include, "index.mjs", &mut cache)
}

const INDEX: &str = r#"import { DynamoDBClient, UpdateItemCommand, TransactWriteItemsCommand as Tx } from "@aws-sdk/client-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { readSecret } from "./lib/db.mjs";
const env = process.env;
const ddb = new DynamoDBClient({});
export async function handler() {
  await ddb.send(new UpdateItemCommand({ TableName: env.SESSIONS_TABLE }));
  const transaction = { TransactItems: [{ Put: { TableName: process.env["ORDERS_TABLE"] } }, { ConditionCheck: { TableName: env.SESSIONS_TABLE } }] };
  await ddb.send(new Tx(transaction));
  await ddb.send(new GetCommand({ TableName: env.ORDERS_TABLE }));
  send(InvokeCommand);
  return readSecret();
}
"#;

const SHARED: &str = r#"import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
export async function readSecret(client, arn) {
  return client.send(new GetSecretValueCommand({ SecretId: arn }));
}
"#;

#[test]
fn commands_are_found_with_their_actions_resources_and_call_sites() {
    let dir = crate_dir("read", INDEX, SHARED);
    let code = read(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(code.errors.is_empty(), "{:?}", code.errors);
    assert!(code.uses_sdk);
    assert_eq!(
        code.files,
        ["handlers/orders/index.mjs", "handlers/shared/db.mjs"]
    );
    let found: Vec<(String, Vec<String>, String)> = code
        .uses
        .iter()
        .map(|u| {
            (
                u.action.clone(),
                u.env.iter().cloned().collect(),
                format!("{}:{}", u.file, u.line),
            )
        })
        .collect();
    let expect = |action: &str, env: &[&str], site: &str| {
        (
            action.to_owned(),
            env.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
            site.to_owned(),
        )
    };
    assert_eq!(
        found,
        [
            expect(
                "dynamodb:UpdateItem",
                &["SESSIONS_TABLE"],
                "handlers/orders/index.mjs:8"
            ),
            // A transaction: each item's action, on its own table; the
            // request is a variable declared above.
            expect(
                "dynamodb:PutItem",
                &["ORDERS_TABLE"],
                "handlers/orders/index.mjs:10"
            ),
            expect(
                "dynamodb:ConditionCheckItem",
                &["SESSIONS_TABLE"],
                "handlers/orders/index.mjs:10"
            ),
            // lib-dynamodb's document command.
            expect(
                "dynamodb:GetItem",
                &["ORDERS_TABLE"],
                "handlers/orders/index.mjs:11"
            ),
            // A class passed on: its request is not in this file.
            expect("lambda:InvokeFunction", &[], "handlers/orders/index.mjs:12"),
            // Shared code, through the include prefix.
            expect(
                "secretsmanager:GetSecretValue",
                &[],
                "handlers/shared/db.mjs:3"
            ),
        ]
    );
}

#[test]
fn a_file_that_does_not_parse_is_reported() {
    let dir = crate_dir("broken", "export const = ;", "");
    let code = read(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code.errors.len(), 1);
    assert_eq!(code.errors[0].0, "handlers/orders/index.mjs");
}

const UPDATE: &str = r#"import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
export const handler = (c) =>
  c.send(new UpdateItemCommand({ TableName: process.env.SESSIONS_TABLE }));
"#;

fn orders(grants: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    platform(quote! {
        table sessions { partition: id: string, key: data }
        bucket audit_log { key: data }
        function orders {
            code: "handlers/orders",
            key: data,
            env: { SESSIONS_TABLE: sessions.name },
            grants: #grants,
        }
    })
}

#[test]
fn a_grant_narrower_than_the_code_fails_on_the_grant_with_the_call_site() {
    let dir = crate_dir("narrow", UPDATE, "");
    let message = error_in(orders(quote!({ sessions: read })), &dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(message.ends_with("[grant-code]"), "{message}");
    assert!(
        message.contains("`UpdateItemCommand` at handlers/orders/index.mjs:3 on `sessions`"),
        "{message}"
    );
    assert!(message.contains("`dynamodb:UpdateItem`"), "{message}");
    assert!(
        message.contains("grant `sessions` `write` or `read_write`"),
        "{message}"
    );
}

#[test]
fn a_grant_the_code_never_uses_fails_and_an_exact_one_expands() {
    let dir = crate_dir("unused", UPDATE, "");
    let message = error_in(orders(quote!({ sessions: write, audit_log: append })), &dir);
    assert!(message.ends_with("[grant-unused]"), "{message}");
    assert!(message.contains("`audit_log: append`"), "{message}");
    let exact = expand::expand_in(orders(quote!({ sessions: write })), dir.clone());
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(exact.is_ok());
}

#[test]
fn a_placeholder_handler_without_the_sdk_is_not_checked_for_unused_grants() {
    let dir = crate_dir("stub", "export const handler = async () => ({});", "");
    let out = expand::expand_in(orders(quote!({ sessions: read_write })), dir.clone());
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(out.is_ok());
}

#[test]
fn every_handler_file_read_is_included_so_cargo_rebuilds_on_an_edit() {
    let dir = crate_dir("tracked", UPDATE, "");
    let (expanded, tracked) =
        expand::expand_tracked(orders(quote!({ sessions: read })), dir.clone());
    std::fs::remove_dir_all(&dir).unwrap();
    // Also when the definition has errors: fixing the handler must rebuild.
    assert!(expanded.is_err());
    let file = dir.join("handlers/orders/index.mjs");
    let expected = format!(":: core :: include_bytes ! ({:?})", file.to_str().unwrap());
    assert!(tracked.to_string().contains(&expected), "{tracked}");
}

#[test]
fn the_trading_platforms_grants_match_its_handlers_exactly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../platform-def");
    let (expanded, tracked) = expand::expand_tracked(platform_def(), dir);
    if let Err(errors) = expanded {
        let errors: Vec<String> = errors.into_iter().map(|e| e.to_string()).collect();
        panic!("{errors:#?}");
    }
    // Every function's handler was read.
    for handler in [
        "trade-api",
        "trade-processor",
        "health-monitor",
        "db-rotation",
    ] {
        assert!(
            tracked
                .to_string()
                .contains(&format!("handlers/{handler}/index.mjs")),
            "{handler}"
        );
    }
}
