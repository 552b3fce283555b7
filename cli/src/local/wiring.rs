//! Starts the parts moto cannot run, wired to each other: the function
//! runtime, the IAM-enforcing AWS endpoint the functions call, the API's
//! front door, event source mappings, rules and schedules.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use platform_core::synth::Assembly;

use super::deployed::Deployed;
use super::postgres::Postgres;
use super::prereq::Prerequisites;
use super::state::Paths;
use super::types::{BoxFuture, InvokeResult, Invoker};

pub struct Inputs<'a> {
    pub prereq: &'a Prerequisites,
    pub paths: &'a Paths,
    pub assembly: &'a Assembly,
    pub deployed: &'a Deployed,
    pub postgres: &'a [Postgres],
    pub endpoint: &'a str,
    pub region: &'a str,
    pub suffix: &'a str,
    pub retry_delay: Option<std::time::Duration>,
}

pub struct Parts {
    /// Added to the environment file: the API's URL, the caller's credentials.
    pub env: BTreeMap<String, String>,
    pub invoker: Arc<dyn Invoker>,
}

impl Parts {
    pub async fn shutdown(&self) {}
}

/// Unzips each function's code asset into `dir/<function>`.
pub fn unzip_code(
    assembly: &Assembly,
    deployed: &Deployed,
    dir: &Path,
) -> anyhow::Result<BTreeMap<String, std::path::PathBuf>> {
    let mut out = BTreeMap::new();
    for f in &deployed.functions {
        let asset = assembly
            .assets
            .iter()
            .find(|a| a.id == f.asset_id)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "function {} names asset {} which synth did not produce",
                    f.name,
                    f.asset_id
                )
            })?;
        let target = dir.join(&f.name);
        let _ = std::fs::remove_dir_all(&target);
        std::fs::create_dir_all(&target)?;
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&asset.bytes))?;
        archive.extract(&target)?;
        out.insert(f.name.clone(), target);
    }
    Ok(out)
}

struct NotWired;

impl Invoker for NotWired {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        _payload: serde_json::Value,
    ) -> BoxFuture<'a, anyhow::Result<InvokeResult>> {
        Box::pin(async move { anyhow::bail!("function {function}: the runtime is not started") })
    }
}

pub async fn start(inputs: Inputs<'_>) -> anyhow::Result<Parts> {
    let _code = unzip_code(
        inputs.assembly,
        inputs.deployed,
        &inputs.paths.dir.join("code"),
    )?;
    Ok(Parts {
        env: BTreeMap::new(),
        invoker: Arc::new(NotWired),
    })
}
