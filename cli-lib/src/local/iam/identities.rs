//! The principals `tp local` creates in moto (IAM users, assumed-role
//! sessions) and the keys it accepts from them.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use anyhow::Context;

use super::policy::sdk_config;
use crate::local::types::{Credentials, KeyStore, Principal};

/// The keys `tp local` issued, in memory.
#[derive(Default)]
pub struct MemoryKeyStore {
    keys: RwLock<HashMap<String, (Principal, Credentials)>>,
}

impl MemoryKeyStore {
    /// Accepts `credentials` as `principal` from now on.
    pub fn insert(&self, principal: Principal, credentials: Credentials) {
        self.keys
            .write()
            .expect("key store")
            .insert(credentials.access_key_id.clone(), (principal, credentials));
    }

    /// Stops accepting `access_key_id`.
    pub fn remove(&self, access_key_id: &str) {
        self.keys.write().expect("key store").remove(access_key_id);
    }
}

impl KeyStore for MemoryKeyStore {
    fn lookup(&self, access_key_id: &str) -> Option<(Principal, Credentials)> {
        self.keys
            .read()
            .expect("key store")
            .get(access_key_id)
            .cloned()
    }
}

/// The keys `tp local` issued and, for any other, the emulator's own: an
/// access key made through moto's IAM API (`CreateAccessKey`, as a user of
/// the environment makes one for another caller) is accepted as its user,
/// as AWS accepts any active key of an IAM user. moto's IAM API never
/// answers a secret again, so it is read from moto's model dump
/// (`/moto-api/data.json`), once per key: found keys are remembered.
pub struct EmulatorKeyStore {
    issued: Arc<MemoryKeyStore>,
    endpoint: String,
}

impl EmulatorKeyStore {
    /// `issued` first, then moto at `endpoint` (`http://host:port`).
    pub fn new(issued: Arc<MemoryKeyStore>, endpoint: &str) -> EmulatorKeyStore {
        EmulatorKeyStore {
            issued,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
        }
    }
}

impl KeyStore for EmulatorKeyStore {
    fn lookup(&self, access_key_id: &str) -> Option<(Principal, Credentials)> {
        if let Some(found) = self.issued.lookup(access_key_id) {
            return Some(found);
        }
        let url = format!("{}/moto-api/data.json", self.endpoint);
        // `lookup` is synchronous and may be called on the async runtime's
        // threads, where a blocking client cannot run: a thread of its own.
        let dump = std::thread::spawn(move || {
            crate::local::commands::request("GET", &url, &[], Vec::new())
                .ok()
                .filter(|(status, _)| *status == 200)
                .and_then(|(_, body)| serde_json::from_slice::<serde_json::Value>(&body).ok())
        })
        .join()
        .ok()
        .flatten()?;
        let found = user_key(&dump, access_key_id)?;
        self.issued.insert(found.0.clone(), found.1.clone());
        Some(found)
    }
}

/// The active access key `access_key_id` of an IAM user in moto's model
/// dump, with its user as the principal.
fn user_key(dump: &serde_json::Value, access_key_id: &str) -> Option<(Principal, Credentials)> {
    let iam = &dump["iam"];
    let key = iam["AccessKey"].as_array()?.iter().find(|k| {
        k["access_key_id"].as_str() == Some(access_key_id) && k["status"].as_str() == Some("Active")
    })?;
    let user_name = key["user_name"].as_str()?;
    let user = iam["User"]
        .as_array()?
        .iter()
        .find(|u| u["name"].as_str() == Some(user_name))?;
    let arn = user["arn"].as_str()?.to_owned();
    let principal = Principal {
        identity_arn: arn.clone(),
        account: account_of(&arn),
        user_id: user["id"].as_str().unwrap_or_default().to_owned(),
        arn,
    };
    let credentials = Credentials {
        access_key_id: access_key_id.to_owned(),
        secret_access_key: key["secret_access_key"].as_str()?.to_owned(),
        session_token: None,
    };
    Some((principal, credentials))
}

/// Creates principals in moto and registers their keys in a
/// [`MemoryKeyStore`].
pub struct Identities {
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    keys: Arc<MemoryKeyStore>,
}

impl Identities {
    /// Talks to moto at `endpoint` in `region` with `admin` credentials
    /// (moto accepts any, e.g. `testing`/`testing`).
    pub async fn new(endpoint: &str, region: &str, admin: &Credentials) -> Identities {
        let config = sdk_config(endpoint, region, admin).await;
        Identities {
            iam: aws_sdk_iam::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            keys: Arc::default(),
        }
    }

    /// The keys of every principal created here.
    pub fn keys(&self) -> Arc<MemoryKeyStore> {
        self.keys.clone()
    }

    /// The IAM client (admin credentials), e.g. for a [`super::PolicyAuthorizer`].
    pub fn iam(&self) -> aws_sdk_iam::Client {
        self.iam.clone()
    }

    /// Creates user `name` with `policy_document` as its inline policy and
    /// an access key for it.
    pub async fn create_user(
        &self,
        name: &str,
        policy_document: serde_json::Value,
    ) -> anyhow::Result<(Principal, Credentials)> {
        let created = self
            .iam
            .create_user()
            .user_name(name)
            .send()
            .await
            .with_context(|| format!("creating IAM user {name} in the emulator"))?;
        let user = created
            .user()
            .with_context(|| format!("CreateUser {name} returned no user"))?;
        self.iam
            .put_user_policy()
            .user_name(name)
            .policy_name(format!("{name}-policy"))
            .policy_document(policy_document.to_string())
            .send()
            .await
            .with_context(|| format!("putting the inline policy of IAM user {name}"))?;
        let key = self
            .iam
            .create_access_key()
            .user_name(name)
            .send()
            .await
            .with_context(|| format!("creating an access key for IAM user {name}"))?;
        let key = key
            .access_key()
            .with_context(|| format!("CreateAccessKey for {name} returned no key"))?;
        let principal = Principal {
            arn: user.arn().to_owned(),
            identity_arn: user.arn().to_owned(),
            account: account_of(user.arn()),
            user_id: user.user_id().to_owned(),
        };
        let credentials = Credentials {
            access_key_id: key.access_key_id().to_owned(),
            secret_access_key: key.secret_access_key().to_owned(),
            session_token: None,
        };
        self.keys.insert(principal.clone(), credentials.clone());
        Ok((principal, credentials))
    }

    /// Assumes `role_arn` as `session_name` (temporary `ASIA...` keys and a
    /// session token); the principal's policies are the role's.
    pub async fn assume_role(
        &self,
        role_arn: &str,
        session_name: &str,
    ) -> anyhow::Result<(Principal, Credentials)> {
        let assumed = self
            .sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session_name)
            .duration_seconds(43_200)
            .send()
            .await
            .with_context(|| format!("assuming {role_arn} in the emulator"))?;
        let user = assumed
            .assumed_role_user()
            .with_context(|| format!("AssumeRole {role_arn} returned no assumed-role user"))?;
        let creds = assumed
            .credentials()
            .with_context(|| format!("AssumeRole {role_arn} returned no credentials"))?;
        let principal = Principal {
            arn: user.arn().to_owned(),
            identity_arn: role_arn.to_owned(),
            account: account_of(role_arn),
            user_id: user.assumed_role_id().to_owned(),
        };
        let credentials = Credentials {
            access_key_id: creds.access_key_id().to_owned(),
            secret_access_key: creds.secret_access_key().to_owned(),
            session_token: Some(creds.session_token().to_owned()),
        };
        self.keys.insert(principal.clone(), credentials.clone());
        Ok((principal, credentials))
    }
}

fn account_of(arn: &str) -> String {
    arn.split(':').nth(4).unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump(status: &str) -> serde_json::Value {
        serde_json::json!({"iam": {
            "AccessKey": [{"access_key_id": "AKIAOTHER", "secret_access_key": "s3cret",
                           "status": status, "user_name": "second"}],
            "User": [{"name": "second", "arn": "arn:aws:iam::123456789012:user/second", "id": "AIDA2"}],
        }})
    }

    #[test]
    fn an_active_key_of_an_emulator_user_is_that_user() {
        let (principal, credentials) = user_key(&dump("Active"), "AKIAOTHER").expect("found");
        assert_eq!(principal.arn, "arn:aws:iam::123456789012:user/second");
        assert_eq!(principal.identity_arn, principal.arn);
        assert_eq!(principal.account, "123456789012");
        assert_eq!(principal.user_id, "AIDA2");
        assert_eq!(credentials.secret_access_key, "s3cret");
        assert_eq!(credentials.session_token, None);
    }

    #[test]
    fn unknown_and_inactive_keys_are_not_accepted() {
        assert!(user_key(&dump("Active"), "AKIAUNKNOWN").is_none());
        assert!(user_key(&dump("Inactive"), "AKIAOTHER").is_none());
        assert!(user_key(&serde_json::json!({}), "AKIAOTHER").is_none());
    }
}
