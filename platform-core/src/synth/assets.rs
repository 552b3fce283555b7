//! Code assets: a function's directory packaged as a deterministic zip.
//!
//! Files are added in sorted path order with a fixed timestamp and fixed
//! permissions, so the same files always give the same bytes and the same
//! content hash, which names the asset in S3 and in the template.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::spec::Include;

/// A packaged code directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// SHA-256 of the zip bytes, hex.
    pub id: String,
    /// The directory's last path component, for messages and the manifest.
    pub source_name: String,
    pub source: PathBuf,
    /// The directories packaged beside `source`'s files, each under its prefix.
    pub include: Vec<Include>,
    pub bytes: Vec<u8>,
}

impl Asset {
    /// The file name in the output directory.
    pub fn file_name(&self) -> String {
        format!("asset.{}.zip", self.id)
    }

    /// The key in the asset bucket.
    pub fn s3_key(&self) -> String {
        format!("assets/{}.zip", self.id)
    }
}

/// SHA-256 of `bytes`, lowercase hex: how assets and nested templates are named.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Packages every regular file under `dir` into a zip.
pub fn package_directory(dir: &Path) -> std::io::Result<Asset> {
    package_function(dir, &[])
}

/// Packages every regular file under `dir` and, for each of `include`, every
/// regular file under its directory at `prefix/` in the zip: the function
/// ships code kept once in the source tree (`handlers/shared`) as if it were
/// its own (`lib/`).
///
/// A prefix must be a relative path of plain components, and must name
/// nothing in `dir` or under another prefix: one zip entry per name, each
/// from one place.
pub fn package_function(dir: &Path, include: &[Include]) -> std::io::Result<Asset> {
    if !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "not a directory; `code:` must name the function's handler directory",
        ));
    }
    // (name in the zip, file on disk), the name as a path so that sorting
    // is by component.
    let mut files: Vec<(PathBuf, PathBuf)> = Vec::new();
    collect_files(dir, dir, &mut files)?;
    if files.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the directory holds no files",
        ));
    }
    for (i, extra) in include.iter().enumerate() {
        let prefix = prefix_path(&extra.prefix)?;
        if let Some((taken, _)) = files.iter().find(|(name, _)| name.starts_with(&prefix)) {
            let whose = match include[..i].iter().find(|other| {
                let other = Path::new(&other.prefix);
                taken.starts_with(other)
            }) {
                Some(other) => format!("the files included at {:?}", other.prefix),
                None => "the function's own directory".to_owned(),
            };
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "the `include:` prefix {:?} is taken: {} holds {}; choose another prefix or move the file",
                    extra.prefix,
                    whose,
                    zip_name(taken)
                ),
            ));
        }
        let source = Path::new(&extra.dir);
        if !source.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "the `include:` directory {} (at {:?}) is not a directory",
                    source.display(),
                    extra.prefix
                ),
            ));
        }
        let mut included = Vec::new();
        collect_files(source, source, &mut included)?;
        files.extend(
            included
                .into_iter()
                .map(|(name, path)| (prefix.join(name), path)),
        );
    }
    files.sort();
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    for (name, path) in &files {
        zip.start_file(zip_name(name), options)
            .map_err(std::io::Error::other)?;
        zip.write_all(&std::fs::read(path)?)?;
    }
    let bytes = zip.finish().map_err(std::io::Error::other)?.into_inner();
    Ok(Asset {
        id: sha256_hex(&bytes),
        source_name: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        source: dir.to_path_buf(),
        include: include.to_vec(),
        bytes,
    })
}

/// `prefix` as a relative path of plain components, or why it is not one.
fn prefix_path(prefix: &str) -> std::io::Result<PathBuf> {
    let path = Path::new(prefix);
    let plain = !prefix.is_empty()
        && !prefix.contains('\\')
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !plain {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "the `include:` prefix {prefix:?} is not a relative path of plain names, like \"lib\""
            ),
        ));
    }
    Ok(path.to_path_buf())
}

/// The zip entry name of `relative`: components joined with `/`.
fn zip_name(relative: &Path) -> String {
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn collect_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(PathBuf, PathBuf)>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let file_type = std::fs::metadata(&path)?.file_type();
        if file_type.is_dir() {
            collect_files(root, &path, out)?;
        } else if file_type.is_file() {
            let relative = path.strip_prefix(root).expect("under root").to_path_buf();
            out.push((relative, path));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tp-assets-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("lib")).unwrap();
        dir
    }

    #[test]
    fn same_files_give_the_same_bytes_and_hash() {
        let a = scratch("a");
        std::fs::write(a.join("index.mjs"), "export const handler = 1;\n").unwrap();
        std::fs::write(a.join("lib/util.mjs"), "export {};\n").unwrap();
        let first = package_directory(&a).unwrap();
        // Rewrite the files: new mtimes, same content.
        std::fs::write(a.join("lib/util.mjs"), "export {};\n").unwrap();
        std::fs::write(a.join("index.mjs"), "export const handler = 1;\n").unwrap();
        let second = package_directory(&a).unwrap();
        assert_eq!(first.bytes, second.bytes);
        assert_eq!(first.id, second.id);
        assert_eq!(first.id.len(), 64);

        std::fs::write(a.join("index.mjs"), "export const handler = 2;\n").unwrap();
        assert_ne!(package_directory(&a).unwrap().id, first.id);
        std::fs::remove_dir_all(&a).unwrap();
    }

    #[test]
    fn the_zip_lists_files_in_sorted_order_with_forward_slashes() {
        let a = scratch("order");
        std::fs::write(a.join("z.mjs"), "z").unwrap();
        std::fs::write(a.join("lib/a.mjs"), "a").unwrap();
        std::fs::write(a.join("index.mjs"), "i").unwrap();
        let asset = package_directory(&a).unwrap();
        let archive = zip::ZipArchive::new(Cursor::new(asset.bytes)).unwrap();
        let names: Vec<String> = (0..archive.len())
            .map(|i| archive.clone().by_index(i).unwrap().name().to_owned())
            .collect();
        assert_eq!(names, ["index.mjs", "lib/a.mjs", "z.mjs"]);
        std::fs::remove_dir_all(&a).unwrap();
    }

    fn names(asset: &Asset) -> Vec<String> {
        let archive = zip::ZipArchive::new(Cursor::new(asset.bytes.clone())).unwrap();
        (0..archive.len())
            .map(|i| archive.clone().by_index(i).unwrap().name().to_owned())
            .collect()
    }

    fn read(asset: &Asset, name: &str) -> String {
        let mut archive = zip::ZipArchive::new(Cursor::new(asset.bytes.clone())).unwrap();
        std::io::read_to_string(archive.by_name(name).unwrap()).unwrap()
    }

    /// A function directory and a shared directory beside it.
    fn function_and_shared(name: &str) -> (PathBuf, PathBuf, Vec<Include>) {
        let root = scratch(name);
        std::fs::remove_dir_all(root.join("lib")).unwrap();
        let function = root.join("orders");
        let shared = root.join("shared");
        std::fs::create_dir_all(function.join("schemas")).unwrap();
        std::fs::create_dir_all(shared.join("sub")).unwrap();
        std::fs::write(function.join("index.mjs"), "import './lib/log.mjs';\n").unwrap();
        std::fs::write(function.join("schemas/order.json"), "{}").unwrap();
        std::fs::write(shared.join("log.mjs"), "export const log = 1;\n").unwrap();
        std::fs::write(shared.join("sub/aws.mjs"), "export {};\n").unwrap();
        let include = vec![Include {
            prefix: "lib".into(),
            dir: shared.to_string_lossy().into_owned(),
        }];
        (function, shared, include)
    }

    #[test]
    fn included_files_are_zipped_under_their_prefix_beside_the_functions_own() {
        let (function, shared, include) = function_and_shared("include");
        let asset = package_function(&function, &include).unwrap();
        assert_eq!(
            names(&asset),
            [
                "index.mjs",
                "lib/log.mjs",
                "lib/sub/aws.mjs",
                "schemas/order.json"
            ]
        );
        assert_eq!(read(&asset, "lib/log.mjs"), "export const log = 1;\n");
        assert_eq!(asset.source, function);
        assert_eq!(asset.source_name, "orders");
        assert_eq!(asset.include, include);
        // Without the include, the same directory is another asset.
        assert_ne!(package_directory(&function).unwrap().id, asset.id);
        std::fs::remove_dir_all(shared.parent().unwrap()).unwrap();
    }

    #[test]
    fn included_files_give_the_same_bytes_every_time_and_a_new_hash_when_they_change() {
        let (function, shared, include) = function_and_shared("include-hash");
        let first = package_function(&function, &include).unwrap();
        // Rewritten with new mtimes, same content: the same zip.
        std::fs::write(shared.join("log.mjs"), "export const log = 1;\n").unwrap();
        std::fs::write(function.join("index.mjs"), "import './lib/log.mjs';\n").unwrap();
        let second = package_function(&function, &include).unwrap();
        assert_eq!(first.bytes, second.bytes);
        assert_eq!(first.id, second.id);

        std::fs::write(shared.join("log.mjs"), "export const log = 2;\n").unwrap();
        let changed = package_function(&function, &include).unwrap();
        assert_ne!(changed.id, first.id);
        assert_eq!(changed.id, sha256_hex(&changed.bytes));
        assert_eq!(read(&changed, "lib/log.mjs"), "export const log = 2;\n");
        std::fs::remove_dir_all(shared.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_prefix_the_function_already_uses_is_an_error_naming_the_file() {
        let (function, shared, include) = function_and_shared("include-taken");
        std::fs::create_dir_all(function.join("lib")).unwrap();
        std::fs::write(function.join("lib/own.mjs"), "").unwrap();
        let err = package_function(&function, &include).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        let message = err.to_string();
        assert!(message.contains("\"lib\" is taken"), "{message}");
        assert!(
            message.contains("function's own directory holds lib/own.mjs"),
            "{message}"
        );

        // A file named like the prefix collides too.
        std::fs::remove_dir_all(function.join("lib")).unwrap();
        std::fs::write(function.join("lib"), "").unwrap();
        assert!(package_function(&function, &include).is_err());

        // So does a second include at the same prefix.
        std::fs::remove_file(function.join("lib")).unwrap();
        let twice = [include.clone(), include].concat();
        let message = package_function(&function, &twice).unwrap_err().to_string();
        assert!(
            message.contains("the files included at \"lib\""),
            "{message}"
        );
        std::fs::remove_dir_all(shared.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_prefix_must_be_plain_relative_names_and_the_directory_must_exist() {
        let (function, shared, include) = function_and_shared("include-bad");
        for prefix in ["", "../lib", "/lib", "./lib", "lib\\x"] {
            let bad = [Include {
                prefix: prefix.into(),
                ..include[0].clone()
            }];
            let err = package_function(&function, &bad).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{prefix:?}");
            assert!(err.to_string().contains("plain names"), "{prefix:?}: {err}");
        }
        let missing = [Include {
            prefix: "lib".into(),
            dir: shared.join("nope").to_string_lossy().into_owned(),
        }];
        let err = package_function(&function, &missing).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert!(err.to_string().contains("nope"), "{err}");
        std::fs::remove_dir_all(shared.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let err = package_directory(Path::new("/nonexistent/handler")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}
