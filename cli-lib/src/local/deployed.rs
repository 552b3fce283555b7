//! What one region's stack is once deployed into the emulator: its
//! template, each logical id's physical id, and per function and cluster
//! what running them needs. Values CloudFormation resolves (environment
//! variables, endpoints) are read back from the emulator's own APIs, so a
//! function sees exactly what the deployed stack gives it.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use platform_core::naming;
use platform_core::spec::{Platform, Spec};
use serde_json::Value;

use crate::aws::Session;
use crate::stacks;

/// A function as deployed.
#[derive(Clone, Debug)]
pub struct DeployedFunction {
    /// The declared name (`trade_processor`).
    pub declared: String,
    pub logical_id: String,
    /// Physical name (`lambda-trade-processor-us-east-1-dev`).
    pub name: String,
    pub arn: String,
    pub role_arn: String,
    pub handler: String,
    pub runtime: String,
    pub timeout: Duration,
    pub memory_mb: u32,
    /// The environment as deployed: every reference resolved.
    pub environment: BTreeMap<String, String>,
    pub log_group: String,
    /// `Text` or `JSON` (`LoggingConfig.LogFormat`).
    pub log_format: String,
    /// `LoggingConfig.ApplicationLogLevel`, when set.
    pub application_log_level: Option<String>,
    /// `LoggingConfig.SystemLogLevel`, when set.
    pub system_log_level: Option<String>,
    pub dead_letter_arn: Option<String>,
    pub reserved_concurrency: Option<u32>,
    /// Its `AWS::Lambda::EventInvokeConfig`: retries after a failed
    /// asynchronous invocation, and how old an event may get.
    pub async_retries: Option<u32>,
    pub async_max_age: Option<Duration>,
    /// The code asset's content hash (`assets/<id>.zip`).
    pub asset_id: String,
}

/// An Aurora cluster as deployed.
#[derive(Clone, Debug)]
pub struct DeployedCluster {
    pub logical_id: String,
    pub identifier: String,
    /// Writer and reader endpoint names.
    pub endpoints: Vec<String>,
    pub port: u16,
    pub master_username: String,
    pub database: String,
    /// The managed master user secret.
    pub secret_arn: String,
}

#[derive(Clone, Debug)]
pub struct Deployed {
    pub stack: String,
    pub account: String,
    pub template: Value,
    /// Logical id to physical id, and each stack parameter to its resolved value.
    pub physical: BTreeMap<String, String>,
    pub functions: Vec<DeployedFunction>,
    pub clusters: Vec<DeployedCluster>,
}

fn prop<'a>(resource: &'a Value, name: &str) -> &'a Value {
    &resource["Properties"][name]
}

/// The logical id a `Ref` or `Fn::GetAtt` names.
fn referenced(value: &Value) -> Option<&str> {
    value["Ref"]
        .as_str()
        .or_else(|| value["Fn::GetAtt"][0].as_str())
}

/// An SQS queue's ARN from its URL (its physical id).
pub fn queue_arn(url: &str, region: &str, account: &str) -> String {
    let name = url.rsplit('/').next().unwrap_or(url);
    format!("arn:aws:sqs:{region}:{account}:{name}")
}

/// The retries and maximum event age of the `AWS::Lambda::EventInvokeConfig`
/// of the function `logical_id`, if the template declares one.
pub fn invoke_config(template: &Value, logical_id: &str) -> (Option<u32>, Option<Duration>) {
    let config = template["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, r)| r)
        .find(|r| {
            r["Type"] == "AWS::Lambda::EventInvokeConfig"
                && referenced(prop(r, "FunctionName")) == Some(logical_id)
        });
    (
        config
            .and_then(|r| prop(r, "MaximumRetryAttempts").as_u64())
            .map(|n| n as u32),
        config
            .and_then(|r| prop(r, "MaximumEventAgeInSeconds").as_u64())
            .map(Duration::from_secs),
    )
}

impl Deployed {
    pub async fn read(
        platform: &Platform,
        session: &Session,
        stack: &str,
        template: Value,
        lambda: &aws_sdk_lambda::Client,
        rds: &aws_sdk_rds::Client,
    ) -> anyhow::Result<Deployed> {
        let region = session.region.clone();
        let mut physical: BTreeMap<String, String> = stacks::resources(session, stack)
            .await?
            .into_iter()
            .filter_map(|(_, logical, physical)| Some((logical, physical?)))
            .collect();
        // The stack's parameters as resolved (an SSM-typed one's value, such
        // as the bootstrap's key ARN): templates `Ref` them like resources.
        if let Some(found) = stacks::find(session, stack).await? {
            for p in found.parameters() {
                let value = p.resolved_value().or(p.parameter_value());
                if let (Some(key), Some(value)) = (p.parameter_key(), value) {
                    physical
                        .entry(key.to_owned())
                        .or_insert_with(|| value.to_owned());
                }
            }
        }
        let resources = &template["Resources"];
        let mut functions = Vec::new();
        let mut account = String::new();
        for declared in &platform.resources {
            if !matches!(declared.spec, Spec::Function(_)) {
                continue;
            }
            let logical_id = naming::logical_id(declared.spec.kind().info(), &declared.name);
            let resource = &resources[&logical_id];
            let Some(name) = physical.get(&logical_id) else {
                anyhow::bail!("function {logical_id} is not in stack {stack}");
            };
            let config = lambda
                .get_function_configuration()
                .function_name(name)
                .send()
                .await
                .with_context(|| format!("read function {name} from the emulator"))?;
            let arn = config.function_arn().unwrap_or_default().to_owned();
            account = arn.split(':').nth(4).unwrap_or_default().to_owned();
            let environment = config
                .environment()
                .and_then(|e| e.variables())
                .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            let log_group = referenced(&prop(resource, "LoggingConfig")["LogGroup"])
                .and_then(|id| physical.get(id).cloned())
                .unwrap_or_else(|| format!("/aws/lambda/{name}"));
            let dead_letter_arn = referenced(&prop(resource, "DeadLetterConfig")["TargetArn"])
                .and_then(|id| physical.get(id))
                .map(|url| queue_arn(url, &region, &account));
            let key = prop(resource, "Code")["S3Key"].as_str().unwrap_or_default();
            let asset_id = key
                .trim_start_matches("assets/")
                .trim_end_matches(".zip")
                .to_owned();
            let (async_retries, async_max_age) = invoke_config(&template, &logical_id);
            functions.push(DeployedFunction {
                declared: declared.name.clone(),
                logical_id,
                name: name.clone(),
                arn,
                role_arn: config.role().unwrap_or_default().to_owned(),
                handler: config.handler().unwrap_or("index.handler").to_owned(),
                runtime: config
                    .runtime()
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default(),
                timeout: Duration::from_secs(config.timeout().unwrap_or(3).max(1) as u64),
                memory_mb: config.memory_size().unwrap_or(128).max(128) as u32,
                environment,
                log_group,
                log_format: prop(resource, "LoggingConfig")["LogFormat"]
                    .as_str()
                    .unwrap_or("Text")
                    .to_owned(),
                application_log_level: prop(resource, "LoggingConfig")["ApplicationLogLevel"]
                    .as_str()
                    .map(str::to_owned),
                system_log_level: prop(resource, "LoggingConfig")["SystemLogLevel"]
                    .as_str()
                    .map(str::to_owned),
                dead_letter_arn,
                reserved_concurrency: prop(resource, "ReservedConcurrentExecutions")
                    .as_u64()
                    .map(|n| n as u32),
                async_retries,
                async_max_age,
                asset_id,
            });
        }
        let mut clusters = Vec::new();
        for (logical_id, resource) in resources.as_object().into_iter().flatten() {
            if resource["Type"] != "AWS::RDS::DBCluster" {
                continue;
            }
            let Some(identifier) = physical.get(logical_id) else {
                continue;
            };
            let out = rds
                .describe_db_clusters()
                .db_cluster_identifier(identifier)
                .send()
                .await
                .with_context(|| format!("read cluster {identifier} from the emulator"))?;
            let Some(cluster) = out.db_clusters().first() else {
                anyhow::bail!("cluster {identifier} is not in the emulator");
            };
            let endpoints = [cluster.endpoint(), cluster.reader_endpoint()]
                .into_iter()
                .flatten()
                .map(str::to_owned)
                .collect();
            clusters.push(DeployedCluster {
                logical_id: logical_id.clone(),
                identifier: identifier.clone(),
                endpoints,
                port: cluster.port().unwrap_or(5432) as u16,
                master_username: cluster.master_username().unwrap_or("postgres").to_owned(),
                database: cluster
                    .database_name()
                    .or(prop(resource, "DatabaseName").as_str())
                    .unwrap_or("postgres")
                    .to_owned(),
                secret_arn: cluster
                    .master_user_secret()
                    .and_then(|s| s.secret_arn())
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        Ok(Deployed {
            stack: stack.to_owned(),
            account,
            template,
            physical,
            functions,
            clusters,
        })
    }

    /// The function by declared name, kebab-case name or physical name.
    pub fn function(&self, wanted: &str) -> Option<&DeployedFunction> {
        self.functions.iter().find(|f| {
            f.declared == wanted || naming::purpose(&f.declared) == wanted || f.name == wanted
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::test_support::real_template;

    #[test]
    fn asynchronous_invocation_settings_come_from_the_template() {
        let template = real_template();
        // The health monitor is not retried: the next hourly run checks again.
        assert_eq!(invoke_config(template, "HealthMonitorFunction").0, Some(0));
        let (retries, age) = invoke_config(template, "EventHandlerFunction");
        assert!(retries.is_some() && age.is_some());
        // Invoked only synchronously: no configuration.
        assert_eq!(invoke_config(template, "TradeApiFunction"), (None, None));
    }
}
