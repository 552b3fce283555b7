//! The `tp local` commands: `up` starts the daemon ([`super::serve`]) in
//! the background and waits until it is ready; the others read the
//! environment's `state.json` and talk to the daemon's control endpoint.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;

use super::state::{self, Paths, State};
use crate::exit::{self, Exit};

/// What `tp local up` starts.
pub struct UpOptions {
    pub suffix: String,
    pub profile: Option<String>,
    pub region: String,
    pub out: PathBuf,
    /// Passed to the daemon: how soon a failed SQS message is retried.
    pub retry_delay: Option<String>,
}

fn invalid(message: String) -> anyhow::Error {
    Exit::new(exit::INVALID_INPUT, message).into()
}

/// The environment a command is about: `--suffix`, or the only one running.
pub fn resolve_suffix(out: &Path, suffix: Option<&str>) -> anyhow::Result<Paths> {
    if let Some(s) = suffix {
        return Ok(Paths::new(out, s));
    }
    let all = Paths::all(out);
    match all.as_slice() {
        [one] => Ok(Paths::new(out, one)),
        [] => Err(invalid(format!(
            "no local environment runs under {}; start one with `tp local up --suffix <name>`",
            out.display()
        ))),
        many => Err(invalid(format!(
            "several local environments run ({}); name one with --suffix",
            many.join(", ")
        ))),
    }
}

/// Starts the daemon and waits until it is ready (or says why not).
pub fn up(opts: &UpOptions) -> anyhow::Result<u8> {
    let started = Instant::now();
    let paths = Paths::new(&opts.out, &opts.suffix);
    if let Ok(existing) = paths.read_state()
        && existing
            .pids()
            .iter()
            .any(|(name, pid)| name == "daemon" && state::alive(*pid))
    {
        return Err(invalid(format!(
            "local environment `{}` already runs; `tp local down --suffix {}` stops it",
            opts.suffix, opts.suffix
        )));
    }
    let _ = std::fs::remove_dir_all(&paths.dir);
    std::fs::create_dir_all(&paths.dir)
        .with_context(|| format!("cannot create {}", paths.dir.display()))?;
    let log = std::fs::File::create(paths.daemon_log())?;
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args([
            "local",
            "serve",
            "--suffix",
            &opts.suffix,
            "--region",
            &opts.region,
        ])
        .arg("--out")
        .arg(&opts.out);
    if let Some(p) = &opts.profile {
        command.args(["--profile", p]);
    }
    if let Some(d) = &opts.retry_delay {
        command.args(["--retry-delay", d]);
    }
    command
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // Its own session: the daemon outlives this command and a Ctrl-C here.
    // SAFETY: setsid is async-signal-safe and touches no memory.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .context("cannot start the tp local daemon")?;
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut delay = Duration::from_millis(20);
    loop {
        if let Ok(s) = paths.read_state()
            && s.ready()
        {
            print_up(&paths, &s, started.elapsed());
            return Ok(exit::OK);
        }
        if let Some(status) = child.try_wait()? {
            let log = std::fs::read_to_string(paths.daemon_log()).unwrap_or_default();
            cleanup(&paths);
            anyhow::bail!("tp local did not come up ({status}):\n{}", tail(&log, 40));
        }
        if Instant::now() > deadline {
            let _ = stop(&paths);
            anyhow::bail!(
                "tp local was not ready within 180 s; see {}",
                paths.daemon_log().display()
            );
        }
        std::thread::sleep(delay);
        delay = (delay * 2).min(Duration::from_millis(100));
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn print_up(paths: &Paths, state: &State, took: Duration) {
    println!(
        "local environment `{}` is up in {:.1} s ({} {}, profile {})",
        paths.suffix,
        took.as_secs_f64(),
        state.str("region").unwrap_or_default(),
        state.str("moto").unwrap_or_default(),
        state.str("profile").unwrap_or_default(),
    );
    for (name, value) in state.env() {
        println!("{name}={}", state::shell_quote(&value));
    }
    println!(
        "written to {}: `set -a; . {}; set +a`",
        paths.env_file.display(),
        paths.env_file.display()
    );
}

/// Removes what the environment left on disk.
fn cleanup(paths: &Paths) {
    let _ = std::fs::remove_file(&paths.env_file);
    let _ = std::fs::remove_dir_all(&paths.dir);
}

/// Stops every process the environment started.
fn stop(paths: &Paths) -> anyhow::Result<()> {
    let state = paths.read_state()?;
    if let Some(control) = state.str("control") {
        let _ = request("POST", &format!("{control}/shutdown"), &[], Vec::new());
    }
    let pids = state.pids();
    let daemon = pids.iter().find(|(n, _)| n == "daemon").map(|(_, p)| *p);
    let deadline = Instant::now() + Duration::from_secs(20);
    while daemon.is_some_and(state::alive) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // Whatever is left (the daemon died, or did not stop in time).
    for (_, pid) in &pids {
        state::signal(*pid, libc::SIGTERM);
    }
    for pg in state.0["postgres"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, v)| v)
    {
        if let (Some(bin), Some(dir)) = (pg["bin"].as_str(), pg["dir"].as_str()) {
            let pg_ctl = Path::new(bin).join("pg_ctl");
            let data = Path::new(dir).join("data");
            let running = Command::new(&pg_ctl)
                .arg("-D")
                .arg(&data)
                .arg("status")
                .output();
            if running.map(|o| o.status.success()).unwrap_or(false) {
                let _ = if super::postgres::is_root() {
                    Command::new("runuser")
                        .args(["-u", "postgres", "--"])
                        .arg(&pg_ctl)
                        .arg("-D")
                        .arg(&data)
                        .args(["-m", "immediate", "stop"])
                        .output()
                } else {
                    Command::new(&pg_ctl)
                        .arg("-D")
                        .arg(&data)
                        .args(["-m", "immediate", "stop"])
                        .output()
                };
            }
        }
    }
    Ok(())
}

pub fn down(paths: &Paths) -> anyhow::Result<u8> {
    if !paths.state_file().is_file() && !paths.env_file.is_file() {
        return Err(invalid(format!(
            "no local environment `{}` runs here",
            paths.suffix
        )));
    }
    if paths.state_file().is_file() {
        stop(paths)?;
    }
    cleanup(paths);
    println!("local environment `{}` stopped and removed", paths.suffix);
    Ok(exit::OK)
}

pub fn status(paths: &Paths) -> anyhow::Result<u8> {
    let state = paths.read_state()?;
    let mut healthy = state.ready();
    println!(
        "local environment `{}`: {}",
        paths.suffix,
        if state.ready() { "ready" } else { "starting" }
    );
    for (name, pid) in state.pids() {
        let alive = state::alive(pid);
        healthy &= alive;
        println!(
            "  {name:<10} pid {pid:<8} {}",
            if alive { "running" } else { "not running" }
        );
    }
    if let Some(control) = state.str("control") {
        match request("GET", &format!("{control}/status"), &[], Vec::new()) {
            Ok((200, body)) => {
                let status: Value = serde_json::from_slice(&body).unwrap_or_default();
                for pg in status["aurora"].as_array().into_iter().flatten() {
                    let running = pg["running"].as_bool().unwrap_or(false);
                    healthy &= running;
                    println!(
                        "  aurora     {}:{} {}",
                        pg["address"].as_str().unwrap_or_default(),
                        pg["port"],
                        if running { "running" } else { "stopped" }
                    );
                }
            }
            _ => {
                healthy = false;
                println!("  control    {control} not answering");
            }
        }
    }
    for (name, value) in state.env() {
        if name.ends_with("_URL") {
            println!("  {name}={value}");
        }
    }
    Ok(if healthy { exit::OK } else { exit::CHANGES })
}

/// Sends a control request to the environment's daemon.
fn control(paths: &Paths, method: &str, path: &str, body: Vec<u8>) -> anyhow::Result<(u16, Value)> {
    let state = paths.read_state()?;
    let url = state
        .str("control")
        .with_context(|| format!("local environment `{}` is not ready yet", paths.suffix))?;
    let (status, body) =
        request(method, &format!("{url}{path}"), &[], body).with_context(|| {
            format!(
                "the daemon of `{}` does not answer; `tp local status`",
                paths.suffix
            )
        })?;
    Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

pub fn invoke(paths: &Paths, function: &str, event: Option<&Path>) -> anyhow::Result<u8> {
    let body = match event {
        Some(file) => {
            let bytes = std::fs::read(file)
                .map_err(|e| invalid(format!("cannot read --event {}: {e}", file.display())))?;
            serde_json::from_slice::<Value>(&bytes)
                .map_err(|e| invalid(format!("--event {} is not JSON: {e}", file.display())))?;
            bytes
        }
        None => b"{}".to_vec(),
    };
    let (status, answer) = control(paths, "POST", &format!("/invoke/{function}"), body)?;
    if status == 404 {
        return Err(invalid(
            answer["error"]
                .as_str()
                .unwrap_or("unknown function")
                .to_owned(),
        ));
    }
    anyhow::ensure!(status == 200, "invoke failed: {}", answer["error"]);
    println!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(if answer["outcome"]["status"] == "returned" {
        exit::OK
    } else {
        exit::CHANGES
    })
}

/// Stops or starts the environment's PostgreSQL (an outage on purpose).
pub fn aurora(paths: &Paths, start: bool) -> anyhow::Result<u8> {
    let path = if start {
        "/aurora/start"
    } else {
        "/aurora/stop"
    };
    let (status, answer) = control(paths, "POST", path, Vec::new())?;
    anyhow::ensure!(status == 200, "{}", answer["error"]);
    println!("aurora {}", if start { "started" } else { "stopped" });
    Ok(exit::OK)
}

/// Prints a function's log group, oldest first.
pub async fn logs(paths: &Paths, function: &str) -> anyhow::Result<u8> {
    let state = paths.read_state()?;
    let functions = state.0["functions"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let found = functions.iter().find(|(declared, f)| {
        *declared == function
            || platform_core::naming::purpose(declared) == function
            || f["name"] == function
    });
    let Some((_, f)) = found else {
        let known: Vec<&String> = functions.keys().collect();
        return Err(invalid(format!(
            "no function `{function}`; the platform's functions: {}",
            known
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let group = f["logGroup"].as_str().unwrap_or_default().to_owned();
    let endpoint = state
        .str("moto")
        .context("the emulator's endpoint is not recorded")?;
    let region = state.str("region").unwrap_or("us-east-1");
    let config = super::serve::sdk_config(endpoint, region).await;
    let client = aws_sdk_cloudwatchlogs::Client::new(&config);
    let mut token = None;
    loop {
        let out = client
            .filter_log_events()
            .log_group_name(&group)
            .set_next_token(token.take())
            .send()
            .await
            .with_context(|| format!("read log group {group}"))?;
        for e in out.events() {
            println!("{}", e.message().unwrap_or_default().trim_end());
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => break,
        }
    }
    Ok(exit::OK)
}

/// A plain HTTP/1.1 request on loopback: (status, body).
pub fn request(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> anyhow::Result<(u16, Vec<u8>)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (status, _, body) = runtime.block_on(request_async(method, url, headers, body))?;
    Ok((status, body))
}

pub async fn request_async(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> anyhow::Result<(u16, BTreeMap<String, String>, Vec<u8>)> {
    use http_body_util::{BodyExt, Full};
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<hyper::body::Bytes>>();
    let mut req = http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let req = req.body(Full::new(hyper::body::Bytes::from(body)))?;
    let res = client
        .request(req)
        .await
        .with_context(|| format!("{method} {url}"))?;
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let bytes = res.into_body().collect().await?.to_bytes().to_vec();
    Ok((status, headers, bytes))
}

/// `tp local call METHOD PATH [--data @FILE|TEXT]`: a SigV4-signed request
/// to the API, as the environment's caller.
pub async fn call(
    paths: &Paths,
    method: &str,
    path: &str,
    data: Option<&str>,
) -> anyhow::Result<u8> {
    let state = paths.read_state()?;
    let env = state.env();
    let base = env
        .get("TP_API_URL")
        .context("the environment has no API")?;
    let body = match data {
        Some(d) if d.starts_with('@') => {
            std::fs::read(&d[1..]).map_err(|e| invalid(format!("cannot read --data {d}: {e}")))?
        }
        Some(d) => d.as_bytes().to_vec(),
        None => Vec::new(),
    };
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let credentials = super::types::Credentials {
        access_key_id: env.get("AWS_ACCESS_KEY_ID").cloned().unwrap_or_default(),
        secret_access_key: env
            .get("AWS_SECRET_ACCESS_KEY")
            .cloned()
            .unwrap_or_default(),
        session_token: env.get("AWS_SESSION_TOKEN").cloned(),
    };
    let region = state.str("region").unwrap_or("us-east-1");
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    let unsigned: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let signed = super::sigv4::sign(
        method,
        &url,
        &unsigned,
        &body,
        &credentials,
        "execute-api",
        region,
        std::time::SystemTime::now(),
    )?;
    headers.extend(signed);
    let (status, answer_headers, answer) = request_async(method, &url, &headers, body).await?;
    println!("HTTP {status}");
    if let Some(id) = answer_headers.get("x-amzn-requestid") {
        println!("x-amzn-RequestId: {id}");
    }
    let text = String::from_utf8_lossy(&answer);
    match serde_json::from_str::<Value>(&text) {
        Ok(v) => println!("{}", serde_json::to_string_pretty(&v)?),
        Err(_) => println!("{text}"),
    }
    Ok(if (200..300).contains(&status) {
        exit::OK
    } else {
        exit::CHANGES
    })
}

/// A local environment that runs, as `tp verify` needs it.
pub struct RunningLocal {
    pub endpoint: String,
    pub region: String,
    pub profile: String,
    pub api_url: Option<String>,
}

/// The local environment `suffix` under `out`, if it is ready and its
/// emulator is `endpoint` (the one the caller's AWS calls go to).
pub fn running_local(out: &Path, suffix: &str, endpoint: Option<&str>) -> Option<RunningLocal> {
    let state = Paths::new(out, suffix).read_state().ok()?;
    let moto = state.str("moto")?;
    if !state.ready() || endpoint.map(|e| e.trim_end_matches('/')) != Some(moto) {
        return None;
    }
    Some(RunningLocal {
        endpoint: moto.to_owned(),
        region: state.str("region")?.to_owned(),
        profile: state.str("profile")?.to_owned(),
        api_url: state.env().get("TP_API_URL").cloned(),
    })
}
