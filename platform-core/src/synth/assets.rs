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

/// A packaged code directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// SHA-256 of the zip bytes, hex.
    pub id: String,
    /// The directory's last path component, for messages and the manifest.
    pub source_name: String,
    pub source: PathBuf,
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
    if !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "not a directory; `code:` must name the function's handler directory",
        ));
    }
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    if files.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the directory holds no files",
        ));
    }
    files.sort();
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    for relative in &files {
        let name = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        zip.start_file(name, options)
            .map_err(std::io::Error::other)?;
        zip.write_all(&std::fs::read(dir.join(relative))?)?;
    }
    let bytes = zip.finish().map_err(std::io::Error::other)?.into_inner();
    Ok(Asset {
        id: sha256_hex(&bytes),
        source_name: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        source: dir.to_path_buf(),
        bytes,
    })
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let file_type = std::fs::metadata(&path)?.file_type();
        if file_type.is_dir() {
            collect_files(root, &path, out)?;
        } else if file_type.is_file() {
            out.push(path.strip_prefix(root).expect("under root").to_path_buf());
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

    #[test]
    fn a_missing_directory_is_an_error() {
        let err = package_directory(Path::new("/nonexistent/handler")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}
