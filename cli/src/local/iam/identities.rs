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
