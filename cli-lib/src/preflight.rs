//! Checks of the command line and the environment that `tp` makes before
//! its first AWS call, so that a deploy never creates a stack and then fails
//! on an argument it could have refused at once. Each returns the message
//! naming what is wrong and how to fix it; `tp` exits with 2 on it.

use std::path::Path;

/// The variables that override AWS endpoints: `AWS_ENDPOINT_URL`, and the
/// per-service `AWS_ENDPOINT_URL_<SERVICE>`.
pub fn endpoint_variables() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(name, _)| name == "AWS_ENDPOINT_URL" || name.starts_with("AWS_ENDPOINT_URL_"))
        .collect()
}

/// An endpoint override must be an `http` or `https` URL with a host; the
/// SDK would otherwise fail on each call with a message about a request.
pub fn endpoint_url(variable: &str, value: &str) -> Result<(), String> {
    let why = match value.parse::<http::Uri>() {
        Err(e) => format!("not a URL ({e})"),
        Ok(uri) => match (uri.scheme_str(), uri.host()) {
            (Some("http" | "https"), Some(host)) if !host.is_empty() => return Ok(()),
            (None, _) => "not a URL with a scheme".to_owned(),
            (Some(scheme), Some(_)) if scheme != "http" && scheme != "https" => {
                format!("not an http or https URL (scheme `{scheme}`)")
            }
            _ => "not a URL with a host".to_owned(),
        },
    };
    Err(format!(
        "{variable} `{value}` is {why}; set it to http://HOST:PORT or https://HOST (an emulator's or a private endpoint's address), or unset it to reach AWS"
    ))
}

/// Every endpoint override in the environment ([`endpoint_url`]).
pub fn endpoints() -> Result<(), String> {
    endpoint_variables()
        .iter()
        .try_for_each(|(name, value)| endpoint_url(name, value))
}

/// A file `tp` will write at the end of a command (`--outputs-file`) can be
/// written: not a directory, and in a directory that exists or can be
/// created. Creates nothing: the nearest existing ancestor is only checked
/// to be a directory that accepts a new file.
pub fn writable_file(flag: &str, path: &Path) -> Result<(), String> {
    let fail = |why: String| {
        Err(format!(
            "{flag} {}: {why}; name a file in a writable directory",
            path.display()
        ))
    };
    if path.is_dir() {
        return fail("is a directory".into());
    }
    if path.exists() {
        return match std::fs::OpenOptions::new().append(true).open(path) {
            Ok(_) => Ok(()),
            Err(e) => fail(format!("cannot be written ({e})")),
        };
    }
    let mut ancestor = path.parent();
    while let Some(dir) = ancestor {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if dir.exists() {
            if !dir.is_dir() {
                return fail(format!("{} is not a directory", dir.display()));
            }
            return probe(dir)
                .or_else(|e| fail(format!("{} does not accept new files ({e})", dir.display())));
        }
        ancestor = dir.parent();
    }
    Ok(())
}

/// A directory `tp` will write into (`--out`): a directory, or a path where
/// one can be created. Creates nothing.
pub fn output_dir(flag: &str, path: &Path) -> Result<(), String> {
    if path.is_dir() {
        return Ok(());
    }
    if path.exists() {
        return Err(format!(
            "{flag} {}: is not a directory; name a directory, or a path where one can be created",
            path.display()
        ));
    }
    writable_file(flag, path)
}

/// Creates and removes a file in `dir`, the one test of writability that
/// holds for every user (root included) and file system (read-only mounts).
fn probe(dir: &Path) -> std::io::Result<()> {
    let file = dir.join(format!(".tp-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)?;
    std::fs::remove_file(&file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_with_a_host_are_endpoints() {
        for ok in [
            "http://127.0.0.1:4566",
            "https://cloudformation.vpce.example.com",
            "http://localhost:5000/",
        ] {
            assert_eq!(endpoint_url("AWS_ENDPOINT_URL", ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn anything_else_is_refused_saying_what_it_lacks() {
        for (bad, why) in [
            ("not a url", "is not a URL ("),
            ("localhost:4566", "is not a URL with a scheme"),
            ("ftp://host", "is not an http or https URL (scheme `ftp`)"),
            ("", "is not a URL"),
        ] {
            let err = endpoint_url("AWS_ENDPOINT_URL_STS", bad).unwrap_err();
            assert!(
                err.starts_with(&format!("AWS_ENDPOINT_URL_STS `{bad}` {why}")),
                "{err}"
            );
        }
    }

    #[test]
    fn an_outputs_file_under_a_file_or_in_place_of_a_directory_is_refused() {
        let dir = std::env::temp_dir().join(format!("tp-preflight-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("file"), "").unwrap();
        let err = writable_file("--outputs-file", &dir.join("file/outputs.json")).unwrap_err();
        assert!(err.contains("file is not a directory"), "{err}");
        let err = writable_file("--outputs-file", &dir).unwrap_err();
        assert!(err.contains("is a directory"), "{err}");
        assert_eq!(
            writable_file("--outputs-file", &dir.join("new/deeper/outputs.json")),
            Ok(())
        );
        assert_eq!(writable_file("--outputs-file", &dir.join("file")), Ok(()));
        assert!(!dir.join("new").exists(), "nothing is created");
        let err = output_dir("--out", &dir.join("file")).unwrap_err();
        assert!(err.contains("is not a directory"), "{err}");
        let err = output_dir("--out", &dir.join("file/tp.out")).unwrap_err();
        assert!(err.contains("file is not a directory"), "{err}");
        assert_eq!(output_dir("--out", &dir.join("new/tp.out")), Ok(()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
