//! Aurora as a real PostgreSQL: its own data directory, TLS on (a
//! certificate for the cluster's endpoint names, from a CA of its own), the
//! cluster's master user and database, password authentication over TLS
//! only, listening on a loopback address of its own at the cluster's port,
//! so the functions reach it at the endpoint the template gives them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

/// One cluster's server.
#[derive(Clone, Debug)]
pub struct Postgres {
    pub bin: PathBuf,
    pub dir: PathBuf,
    pub address: IpAddr,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub database: String,
    /// The CA that signed the server's certificate (PEM).
    pub ca_file: PathBuf,
}

/// Runs PostgreSQL's tools as `postgres` when `tp` runs as root, since
/// initdb and postgres refuse to run as root.
fn tool(bin: &Path, name: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(name));
        c
    } else {
        Command::new(bin.join(name))
    }
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn run(mut command: Command, what: &str) -> anyhow::Result<()> {
    let out = command
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        anyhow::bail!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Whether a failed start's error says another server took the address:
/// its `bind` failed, or (two sockets bound at once, the other listening
/// first) its `listen`.
fn address_taken(error: &str) -> bool {
    error.contains("could not bind") || error.contains("could not listen on")
}

/// A loopback address (127.0.0.2 to 127.0.0.254, after `after`) where
/// `port` is free, so the server can listen at the cluster's own port
/// (5432) whatever else runs on this machine.
pub fn free_loopback(port: u16, after: u8) -> anyhow::Result<IpAddr> {
    for last in after.max(1) + 1..=254u8 {
        let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, last));
        if TcpListener::bind(SocketAddr::new(ip, port)).is_ok() {
            return Ok(ip);
        }
    }
    anyhow::bail!("no loopback address 127.0.0.2-254 has port {port} free")
}

/// Random hex, from the operating system's generator.
pub fn random_hex(bytes: usize) -> anyhow::Result<String> {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("cannot read /dev/urandom")?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// A CA and a server certificate for `names` and `address`.
fn certificates(dir: &Path, names: &[String], address: IpAddr) -> anyhow::Result<()> {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "tp local Aurora CA");
    let ca_cert = ca.self_signed(&ca_key)?;
    let server_key = KeyPair::generate()?;
    let mut server = CertificateParams::new(names.to_vec())?;
    server.subject_alt_names.push(SanType::IpAddress(address));
    server.distinguished_name.push(
        rcgen::DnType::CommonName,
        names.first().cloned().unwrap_or_default(),
    );
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let server_cert = server.signed_by(&server_key, &issuer)?;
    std::fs::write(dir.join("ca.pem"), ca_cert.pem())?;
    std::fs::write(dir.join("server.crt"), server_cert.pem())?;
    let key = dir.join("server.key");
    std::fs::write(&key, server_key.serialize_pem())?;
    set_mode(&key, 0o600)?;
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

impl Postgres {
    /// Creates and starts the cluster's server in `dir`: TLS with a
    /// certificate for `names` (the cluster's endpoints), `user` as the
    /// superuser with a new random password, `database` created.
    pub fn create(
        bin: &Path,
        dir: &Path,
        names: &[String],
        port: u16,
        user: &str,
        database: &str,
    ) -> anyhow::Result<Postgres> {
        std::fs::create_dir_all(dir)?;
        // The server runs as `postgres` under root: it must reach the directory.
        set_mode(dir, 0o755)?;
        let password = random_hex(18)?;
        let pwfile = dir.join("pwfile");
        std::fs::write(&pwfile, format!("{password}\n"))?;
        set_mode(&pwfile, 0o600)?;
        if is_root() {
            ensure_postgres_user()?;
            run(
                {
                    let mut c = Command::new("chown");
                    c.arg("-R").arg("postgres:").arg(dir);
                    c
                },
                "chown",
            )?;
        }
        let data = dir.join("data");
        let mut initdb = tool(bin, "initdb");
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", user, "-E", "UTF8", "--no-locale"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .args(["--auth-host=scram-sha-256", "--auth-local=scram-sha-256"]);
        run(initdb, "initdb").map_err(|e| {
            if is_root() {
                e.context(format!(
                    "PostgreSQL runs as `postgres` because tp runs as root: every directory above {} must be searchable by it (chmod o+x)",
                    dir.display()
                ))
            } else {
                e
            }
        })?;
        let conf = format!(
            "\n# tp local\ninclude = 'tp-local.conf'\nunix_socket_directories = '{dir}'\n\
             ssl = on\nssl_cert_file = '{dir}/server.crt'\nssl_key_file = '{dir}/server.key'\n\
             password_encryption = 'scram-sha-256'\nmax_connections = 50\nfsync = off\n\
             synchronous_commit = off\nfull_page_writes = off\n",
            dir = dir.display()
        );
        append(&data.join("postgresql.conf"), &conf)?;
        // As Aurora with rds.force_ssl: TLS or nothing, passwords only.
        let hba = "local all all scram-sha-256\nhostssl all all 127.0.0.0/8 scram-sha-256\n";
        write_as_server(&data.join("pg_hba.conf"), hba)?;
        let mut pg = Postgres {
            bin: bin.to_path_buf(),
            dir: dir.to_path_buf(),
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
            user: user.to_owned(),
            password,
            database: database.to_owned(),
            ca_file: dir.join("ca.pem"),
        };
        // Another server may take the address between the check and the
        // start (two environments starting at once): then the next one.
        let mut after = 1u8;
        loop {
            pg.address = free_loopback(port, after)?;
            certificates(dir, names, pg.address)?;
            if is_root() {
                for file in ["ca.pem", "server.crt", "server.key"] {
                    chown_to_server(&dir.join(file))?;
                }
            }
            write_as_server(
                &data.join("tp-local.conf"),
                &format!("listen_addresses = '{}'\nport = {port}\n", pg.address),
            )?;
            match pg.start() {
                Ok(()) => break,
                Err(e) if address_taken(&format!("{e:#}")) && after < 250 => {
                    let IpAddr::V4(v4) = pg.address else {
                        unreachable!("loopback is IPv4")
                    };
                    after = v4.octets()[3];
                }
                Err(e) => return Err(e),
            }
        }
        let mut createdb = tool(bin, "createdb");
        createdb
            .arg("-h")
            .arg(dir)
            .args(["-p", &port.to_string(), "-U", user, database])
            .env("PGPASSWORD", &pg.password);
        run(createdb, "createdb")?;
        Ok(pg)
    }

    pub fn start(&self) -> anyhow::Result<()> {
        // The log of this start only, so its errors are this start's.
        let _ = std::fs::remove_file(self.dir.join("server.log"));
        let mut c = tool(&self.bin, "pg_ctl");
        c.arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-w", "-t", "60", "start"]);
        run(c, "pg_ctl start").map_err(|e| {
            let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
            e.context(format!("PostgreSQL did not start; its log:\n{log}"))
        })
    }

    /// Stops the server (fast shutdown: open connections are closed).
    pub fn stop(&self) -> anyhow::Result<()> {
        let mut c = tool(&self.bin, "pg_ctl");
        c.arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "fast", "-w", "stop"]);
        run(c, "pg_ctl stop")
    }

    pub fn running(&self) -> bool {
        let mut c = tool(&self.bin, "pg_ctl");
        c.arg("-D").arg(self.dir.join("data")).arg("status");
        c.output().map(|o| o.status.success()).unwrap_or(false)
    }

    /// `postgres://user:password@address:port/database`, TLS verified
    /// against the local CA.
    pub fn url(&self) -> String {
        format!(
            "postgres://{}:{}@{}:{}/{}?sslmode=verify-full&sslrootcert={}",
            self.user,
            self.password,
            self.address,
            self.port,
            self.database,
            self.ca_file.display()
        )
    }
}

fn append(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut all =
        std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    all.push_str(text);
    write_as_server(path, &all)
}

/// Writes a file the server reads; under root the data directory belongs
/// to `postgres`, whose files root may still write.
fn write_as_server(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("write {}", path.display()))
}

/// Gives a file to `postgres`, which must own its key file.
fn chown_to_server(path: &Path) -> anyhow::Result<()> {
    let mut c = Command::new("chown");
    c.arg("postgres:").arg(path);
    run(c, "chown")
}

fn ensure_postgres_user() -> anyhow::Result<()> {
    let exists = Command::new("id")
        .args(["-u", "postgres"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !exists {
        run(
            {
                let mut c = Command::new("useradd");
                c.args([
                    "--system",
                    "--user-group",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    "postgres",
                ]);
                c
            },
            "useradd postgres",
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::address_taken;

    /// Both ways PostgreSQL reports that another server has its address
    /// send the start to the next address; anything else is an error.
    #[test]
    fn a_start_moves_on_when_another_server_has_the_address() {
        let bind = r#"LOG:  could not bind IPv4 address "127.0.0.2": Address already in use"#;
        // What a start beside a concurrent one logged.
        let listen = "LOG:  could not listen on IPv4 address \"127.0.0.2\": Address already in use\n\
                      WARNING:  could not create listen socket for \"127.0.0.2\"\n\
                      FATAL:  could not create any TCP/IP sockets";
        assert!(address_taken(bind));
        assert!(address_taken(listen));
        assert!(!address_taken(
            "FATAL:  data directory \"/tmp/x\" has invalid permissions"
        ));
    }
}
