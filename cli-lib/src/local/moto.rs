//! The AWS emulator: the project's pinned `moto_server`, started through
//! `cli/local/moto-launch.py` (which patches where moto misreads valid
//! templates) on a free loopback port.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// A port no one listens on now, on 127.0.0.1.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub struct Moto {
    pub child: Child,
    pub port: u16,
}

impl Moto {
    /// Starts moto, logging to `log`, and waits until it answers. Queue
    /// URLs name `sqs_endpoint`, where the functions reach SQS; a secret's
    /// rotation asks the driver at `rotation` (its URL and key,
    /// [`super::rotation`]) to run the rotation function's steps.
    pub fn start(
        python: &Path,
        launcher: &Path,
        log: &Path,
        sqs_endpoint: &str,
        account: Option<&str>,
        rotation: (&str, &str),
    ) -> anyhow::Result<Moto> {
        let port = free_port()?;
        let log_file = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let mut command = Command::new(python);
        if let Some(account) = account {
            // The account credentials not issued by AssumeRole act in.
            command.env("MOTO_ACCOUNT_ID", account);
        }
        let child = command
            .arg(launcher)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // tp local routes events to rule targets itself.
            .env("TP_LOCAL_EVENTS", "external")
            .env("TP_LOCAL_SQS_ENDPOINT", sqs_endpoint)
            .env("TP_LOCAL_ROTATION_URL", rotation.0)
            .env("TP_LOCAL_ROTATION_KEY", rotation.1)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {}", launcher.display()))?;
        let mut moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut delay = Duration::from_millis(20);
        loop {
            if let Some(status) = moto.child.try_wait()? {
                let text = std::fs::read_to_string(log).unwrap_or_default();
                anyhow::bail!("moto_server exited ({status}):\n{text}");
            }
            if answers(port) {
                return Ok(moto);
            }
            if Instant::now() > deadline {
                let _ = moto.child.kill();
                anyhow::bail!(
                    "moto_server did not answer within 60 s; see {}",
                    log.display()
                );
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_millis(200));
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request =
        "GET /moto-api/data.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}
