//! `policy-env-secret`: credentials are kept in Secrets Manager, never
//! written into a function's environment, where they would sit in the
//! template, the release and every `GetFunctionConfiguration` response.

use crate::ast::{Body, Value};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

/// Words of an environment name (split at `_`) that say its value is a
/// credential. Two-word entries match adjacent words (`API_KEY`).
const CREDENTIAL_WORDS: &[&[&str]] = &[
    &["PASSWORD"],
    &["PASSWD"],
    &["PASS"],
    &["PWD"],
    &["SECRET"],
    &["TOKEN"],
    &["APIKEY"],
    &["API", "KEY"],
    &["PRIVATE", "KEY"],
    &["ACCESS", "KEY"],
    &["SIGNING", "KEY"],
    &["CREDENTIAL"],
    &["CREDENTIALS"],
];

/// Last words after which the name holds where a credential is, or
/// something about it, not the credential itself (`DB_SECRET_ARN`,
/// `TOKEN_TTL`).
const POINTER_WORDS: &[&str] = &["ARN", "NAME", "ID", "PATH", "URL", "TTL", "HEADER"];

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Function(function) = &resource.body else {
            continue;
        };
        for (var, value) in &function.env {
            let Value::Literal(lit) = value else {
                continue;
            };
            if let Some(word) = credential_word(&var.to_string()) {
                cx.error(
                    Rule::PolicyEnvSecret,
                    lit,
                    format!(
                        "`{var}` names a credential ({word}), and its value is written here: it would be stored in the template, the release and the function's configuration in plain text; keep it in Secrets Manager and pass a reference instead (`{var}: <aurora or db_user>.secret_arn`, read with GetSecretValue at run time), or rename the variable if it holds no credential"
                    ),
                );
            }
        }
    }
}

/// The credential word(s) in `name`, when it names a credential: they are
/// whole words of it and it does not end with a word naming a pointer.
pub(crate) fn credential_word(name: &str) -> Option<String> {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper.split('_').filter(|w| !w.is_empty()).collect();
    if words
        .last()
        .is_some_and(|last| POINTER_WORDS.contains(last))
    {
        return None;
    }
    CREDENTIAL_WORDS.iter().find_map(|credential| {
        words
            .windows(credential.len())
            .any(|window| window == *credential)
            .then(|| credential.join("_"))
    })
}
