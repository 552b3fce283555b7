//! Code assets: a function's directory packaged as a deterministic zip.
//!
//! Files are added in sorted path order with a fixed timestamp and fixed
//! permissions, so the same files always give the same bytes and the same
//! content hash, which names the asset in S3 and in the template.
//!
//! Packaging is the costly part of a synth (deflating every file, the
//! vendored modules included), so an output directory keeps an asset cache
//! ([`AssetCache`], `asset-cache.json`): each zip it holds, under the
//! fingerprint of the files it was made from. The fingerprint is what
//! `stat` says of every file (name, size, modification and change times,
//! inode, mode), not their contents, as make, cargo and git decide what
//! changed: an unchanged directory is neither read, nor zipped, nor hashed
//! again, and its zip is the one already written. As git does for its
//! index, a file changed within [`RACY_WINDOW`] of the synth is not trusted
//! to show its change in its times, so its directory is not cached.

use std::collections::HashMap;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::exclude::Excludes;
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
    /// The patterns of zip paths left out (`exclude:`).
    pub exclude: Vec<String>,
    /// The zip, or `None` when it is the file `cached` names, which the
    /// cache found unchanged: a synth into the same directory keeps that
    /// file and never reads it ([`Asset::zip`] does, when asked).
    pub(crate) bytes: Option<Vec<u8>>,
    /// The zip's size in bytes.
    pub(crate) size: u64,
    /// The fingerprint of the files the zip was made from, when it may be
    /// cached (see [`AssetCache`]).
    pub fingerprint: Option<String>,
    /// The zip file this asset was taken from, when it came from a cache.
    pub cached: Option<PathBuf>,
}

impl Asset {
    /// An asset of the zip `bytes`, named by their SHA-256 `id`, as read
    /// back from a synthesized directory (`source` is its file there).
    pub fn from_zip(id: String, source_name: String, source: PathBuf, bytes: Vec<u8>) -> Asset {
        Asset {
            id,
            source_name,
            source,
            include: Vec::new(),
            exclude: Vec::new(),
            size: bytes.len() as u64,
            bytes: Some(bytes),
            fingerprint: None,
            cached: None,
        }
    }

    /// The zip's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The zip's bytes. A zip the cache kept is read from its file, and
    /// refused if it no longer is what the id names.
    pub fn zip(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        if let Some(bytes) = &self.bytes {
            return Ok(std::borrow::Cow::Borrowed(bytes));
        }
        let file = self
            .cached
            .as_deref()
            .ok_or_else(|| std::io::Error::other(format!("asset {} holds no zip", self.id)))?;
        let bytes = std::fs::read(file)?;
        if sha256_hex(&bytes) != self.id {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{} changed after it was packaged (its sha256 is no longer {}); synthesize again",
                    file.display(),
                    self.id
                ),
            ));
        }
        Ok(std::borrow::Cow::Owned(bytes))
    }

    /// The file name in the output directory.
    pub fn file_name(&self) -> String {
        file_name(&self.id)
    }

    /// The key in the asset bucket.
    pub fn s3_key(&self) -> String {
        format!("assets/{}.zip", self.id)
    }
}

/// The file in an output directory holding the zip `id` names.
fn file_name(id: &str) -> String {
    format!("asset.{id}.zip")
}

/// SHA-256 of `bytes`, lowercase hex: how assets and nested templates are named.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The file in an output directory that holds its asset cache.
pub const ASSET_CACHE_FILE: &str = "asset-cache.json";

/// How recently a file may have changed for its directory's zip to be
/// cached: a change within the same tick of a coarse clock (FAT counts in
/// 2 s steps) could leave its times as they were.
pub const RACY_WINDOW: Duration = Duration::from_secs(2);

/// What packaging is: a change to how zips are made (entry order, options,
/// the zip crate's output) must change it, so that no zip made the old way
/// is taken from a cache.
const PACKAGING: &str = concat!(
    "zip-deflate-sorted-v2 platform-core ",
    env!("CARGO_PKG_VERSION")
);

/// Zips an output directory holds, by the fingerprint of their sources.
#[derive(Debug, Clone, Default)]
pub struct AssetCache {
    dir: PathBuf,
    /// fingerprint -> (asset id, zip size)
    entries: HashMap<String, (String, u64)>,
    /// The id each code directory (with its `include:` and `exclude:`) had
    /// last time.
    last: Vec<(PathBuf, Vec<Include>, Vec<String>, String)>,
}

impl AssetCache {
    /// No cache: every directory is packaged.
    pub fn none() -> AssetCache {
        AssetCache::default()
    }

    /// The cache of the output directory `dir`: empty when `dir` holds
    /// none, or one this version cannot read.
    pub fn of_dir(dir: &Path) -> AssetCache {
        let mut cache = AssetCache {
            dir: dir.to_path_buf(),
            entries: HashMap::new(),
            last: Vec::new(),
        };
        let Some(recorded) = std::fs::read(dir.join(ASSET_CACHE_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Json>(&bytes).ok())
        else {
            return cache;
        };
        if recorded["packaging"].as_str() != Some(PACKAGING) {
            return cache;
        }
        for entry in recorded["assets"].as_array().into_iter().flatten() {
            if let (Some(fingerprint), Some(id), Some(bytes)) = (
                entry["fingerprint"].as_str(),
                entry["id"].as_str(),
                entry["bytes"].as_u64(),
            ) && is_hex_digest(id)
            {
                cache
                    .entries
                    .insert(fingerprint.to_owned(), (id.to_owned(), bytes));
                if let (Some(source), Some(include), Some(exclude)) = (
                    entry["source"].as_str(),
                    entry["include"].as_array(),
                    entry["exclude"].as_array(),
                ) {
                    let include = include
                        .iter()
                        .map(|i| {
                            Some(Include {
                                prefix: i["prefix"].as_str()?.to_owned(),
                                dir: i["dir"].as_str()?.to_owned(),
                            })
                        })
                        .collect::<Option<Vec<_>>>();
                    let exclude = exclude
                        .iter()
                        .map(|p| p.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>();
                    if let (Some(include), Some(exclude)) = (include, exclude) {
                        cache
                            .last
                            .push((PathBuf::from(source), include, exclude, id.to_owned()));
                    }
                }
            }
        }
        cache
    }

    /// The id the zip of `source` with `include` and `exclude` had when the
    /// cache was written: what it most likely is now. Only a guess, to
    /// synthesize with while the directory is checked; the check decides.
    pub(crate) fn last_id(
        &self,
        source: &Path,
        include: &[Include],
        exclude: &[String],
    ) -> Option<&str> {
        self.last
            .iter()
            .find(|(s, i, e, _)| s == source && i == include && e == exclude)
            .map(|(.., id)| id.as_str())
    }

    /// The zip made from the files `fingerprint` describes: its id, size
    /// and file, if the directory still holds it at its recorded size. It
    /// is not read: an unchanged zip is kept where it is.
    fn lookup(&self, fingerprint: &str) -> Option<(String, u64, PathBuf)> {
        let (id, size) = self.entries.get(fingerprint)?;
        let file = self.dir.join(file_name(id));
        let meta = std::fs::metadata(&file).ok()?;
        (meta.is_file() && meta.len() == *size).then(|| (id.clone(), *size, file))
    }

    /// The cache file recording `assets`, for the directory they are
    /// written to.
    pub fn document(assets: &[Asset]) -> String {
        let entries: Vec<Json> = assets
            .iter()
            .filter_map(|a| {
                let fingerprint = a.fingerprint.as_ref()?;
                Some(json!({
                    "fingerprint": fingerprint,
                    "id": a.id,
                    "bytes": a.size,
                    "source": a.source.to_string_lossy(),
                    "include": a.include.iter().map(|i| json!({
                        "prefix": i.prefix,
                        "dir": i.dir,
                    })).collect::<Vec<_>>(),
                    "exclude": a.exclude,
                }))
            })
            .collect();
        let mut text = serde_json::to_string_pretty(&json!({
            "packaging": PACKAGING,
            "assets": entries,
        }))
        .expect("the cache serializes");
        text.push('\n');
        text
    }
}

fn is_hex_digest(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Packages every regular file under `dir` into a zip.
pub fn package_directory(dir: &Path) -> std::io::Result<Asset> {
    package_function(dir, &[], &[])
}

/// Packages every regular file under `dir` and, for each of `include`, every
/// regular file under its directory at `prefix/` in the zip: the function
/// ships code kept once in the source tree (`handlers/shared`) as if it were
/// its own (`lib/`).
///
/// A prefix must be a relative path of plain components, and must name
/// nothing in `dir` or under another prefix: one zip entry per name, each
/// from one place. A file whose path in the zip (or a directory above it)
/// matches a pattern of `exclude` is left out ([`crate::exclude`]).
pub fn package_function(
    dir: &Path,
    include: &[Include],
    exclude: &[String],
) -> std::io::Result<Asset> {
    let listings = Listings::of(sources_of(dir, include, exclude));
    package_listed(dir, include, exclude, &listings, &AssetCache::none())
}

/// [`package_function`] from directories already listed, taking the zip
/// from `cache` when the files are those it was made from.
pub(crate) fn package_listed(
    dir: &Path,
    include: &[Include],
    exclude: &[String],
    listings: &Listings,
    cache: &AssetCache,
) -> std::io::Result<Asset> {
    package_with_clock(dir, include, exclude, listings, cache, SystemTime::now())
}

/// What packaging `dir` with `include` and `exclude` lists: each directory
/// with the prefix its files take in the zip and the patterns leaving some
/// out.
pub(crate) fn sources_of<'a>(
    dir: &'a Path,
    include: &'a [Include],
    exclude: &'a [String],
) -> impl Iterator<Item = Source<'a>> {
    std::iter::once((dir, "", exclude)).chain(
        include
            .iter()
            .map(move |i| (Path::new(i.dir.as_str()), i.prefix.as_str(), exclude)),
    )
}

/// A directory to list, the prefix its files take in the zip, and the
/// patterns of zip paths left out.
pub(crate) type Source<'a> = (&'a Path, &'a str, &'a [String]);

/// [`package_listed`] as if the time were `now`.
fn package_with_clock(
    dir: &Path,
    include: &[Include],
    exclude: &[String],
    listings: &Listings,
    cache: &AssetCache,
    now: SystemTime,
) -> std::io::Result<Asset> {
    let files = list_function(dir, include, exclude, listings)?;
    let fingerprint = fingerprint(dir, include, exclude, &files, now);
    let source_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some((id, size, file)) = fingerprint.as_deref().and_then(|f| cache.lookup(f)) {
        return Ok(Asset {
            id,
            source_name,
            source: dir.to_path_buf(),
            include: include.to_vec(),
            exclude: exclude.to_vec(),
            bytes: None,
            size,
            fingerprint,
            cached: Some(file),
        });
    }
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    for file in &files {
        zip.start_file(file.name.as_str(), options)
            .map_err(std::io::Error::other)?;
        zip.write_all(&std::fs::read(&file.path)?)?;
    }
    let bytes = zip.finish().map_err(std::io::Error::other)?.into_inner();
    Ok(Asset {
        id: sha256_hex(&bytes),
        source_name,
        source: dir.to_path_buf(),
        include: include.to_vec(),
        exclude: exclude.to_vec(),
        size: bytes.len() as u64,
        bytes: Some(bytes),
        fingerprint,
        cached: None,
    })
}

/// A file under a listed directory: its path in the zip (the prefix and
/// the components under the directory, joined with `/`), where it is, and
/// what `stat` said of it.
struct SourceFile {
    name: String,
    /// The zip's order, as a key compared bytewise: by path component, as
    /// if `/` sorted before every other byte. Computed once per file when
    /// it is listed: a comparison mapping bytes one by one cost more than
    /// listing the directories did.
    order: Vec<u8>,
    path: PathBuf,
    meta: std::fs::Metadata,
}

/// What listing one directory found.
enum Listed {
    /// The path is not a directory.
    NotDir,
    Files(Vec<SourceFile>),
    Failed(std::io::Error),
}

/// The directories packaging reads, each listed once for each prefix and
/// `exclude:` it is packaged with: functions sharing one (`handlers/shared`,
/// a vendored package set) share its listing, and so its `stat`s. A
/// directory is listed when a function first needs it; a function needing
/// it meanwhile waits for that listing.
pub(crate) struct Listings {
    dirs: Vec<(PathBuf, String, Vec<String>, std::sync::OnceLock<Listed>)>,
}

impl Listings {
    /// The listings of each distinct source of `sources`, none listed yet.
    pub(crate) fn of<'a>(sources: impl IntoIterator<Item = Source<'a>>) -> Listings {
        let mut distinct: Listings = Listings { dirs: Vec::new() };
        for source in sources {
            if distinct.find(source).is_none() {
                let (dir, prefix, exclude) = source;
                distinct.dirs.push((
                    dir.to_path_buf(),
                    prefix.to_owned(),
                    exclude.to_vec(),
                    std::sync::OnceLock::new(),
                ));
            }
        }
        distinct
    }

    fn find(
        &self,
        (dir, prefix, exclude): Source<'_>,
    ) -> Option<&(PathBuf, String, Vec<String>, std::sync::OnceLock<Listed>)> {
        self.dirs
            .iter()
            .find(|(d, p, e, _)| d == dir && p == prefix && e.as_slice() == exclude)
    }

    fn get(&self, source: Source<'_>) -> &Listed {
        let (dir, prefix, exclude, listed) = self
            .find(source)
            .expect("every directory packaged is one of the listings");
        listed.get_or_init(|| list_dir(dir, prefix, exclude))
    }
}

/// Every regular file under `dir` that `exclude` leaves in the zip, named
/// by its path there (under `prefix`), in no particular order.
fn list_dir(dir: &Path, prefix: &str, exclude: &[String]) -> Listed {
    let excludes = match Excludes::new(exclude) {
        Ok(excludes) => excludes,
        Err((_, problem)) => {
            return Listed::Failed(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("`exclude:` {problem}"),
            ));
        }
    };
    let prefix = if prefix.is_empty() {
        String::new()
    } else {
        match prefix_path(prefix) {
            Ok(prefix) => prefix,
            Err(e) => return Listed::Failed(e),
        }
    };
    let mut files = Vec::new();
    let mut name = prefix.clone();
    let listed = if !prefix.is_empty() && excludes.excluding(&prefix).is_some() {
        // Every file would land under an excluded prefix; the directory
        // must still be one.
        std::fs::read_dir(dir).map(drop)
    } else {
        collect_files(dir, &mut name, &excludes, &mut files)
    };
    match listed {
        Ok(()) => Listed::Files(files),
        Err(_) if !dir.is_dir() => Listed::NotDir,
        Err(e) => Listed::Failed(e),
    }
}

/// Whether the zip path `name` is `prefix` or lies under it.
fn is_under(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The same error again, for each function packaging the directory.
fn again(e: &std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), e.to_string())
}

/// Every file packaging `dir` with `include` and `exclude` reads, in zip
/// order, from `listings`.
fn list_function<'a>(
    dir: &Path,
    include: &[Include],
    exclude: &[String],
    listings: &'a Listings,
) -> std::io::Result<Vec<&'a SourceFile>> {
    let mut files: Vec<&'a SourceFile> = match listings.get((dir, "", exclude)) {
        Listed::NotDir => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "not a directory; `code:` must name the function's handler directory",
            ));
        }
        Listed::Failed(e) => return Err(again(e)),
        Listed::Files(own) => own.iter().collect(),
    };
    if files.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            if exclude.is_empty() {
                "the directory holds no files"
            } else {
                "`exclude:` leaves none of the directory's files"
            },
        ));
    }
    for (i, extra) in include.iter().enumerate() {
        let prefix = prefix_path(&extra.prefix)?;
        if let Some(taken) = files.iter().find(|f| is_under(&f.name, &prefix)) {
            let whose = match include[..i]
                .iter()
                .find(|other| is_under(&taken.name, &other.prefix))
            {
                Some(other) => format!("the files included at {:?}", other.prefix),
                None => "the function's own directory".to_owned(),
            };
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "the `include:` prefix {:?} is taken: {} holds {}; choose another prefix or move the file",
                    extra.prefix, whose, taken.name
                ),
            ));
        }
        let source = Path::new(&extra.dir);
        match listings.get((source, extra.prefix.as_str(), exclude)) {
            Listed::NotDir => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "the `include:` directory {} (at {:?}) is not a directory",
                        source.display(),
                        extra.prefix
                    ),
                ));
            }
            Listed::Failed(e) => return Err(again(e)),
            Listed::Files(included) => files.extend(included),
        }
    }
    // Every name is unique (no prefix overlaps another or the function's
    // own files), so the order is total.
    files.sort_unstable_by(|a, b| a.order.cmp(&b.order));
    Ok(files)
}

/// The fingerprint of `files` as `stat` describes them, or `None` when one
/// changed within [`RACY_WINDOW`] of `now` (or its times cannot be read).
fn fingerprint(
    dir: &Path,
    include: &[Include],
    exclude: &[String],
    files: &[&SourceFile],
    now: SystemTime,
) -> Option<String> {
    let recent = now.checked_sub(RACY_WINDOW)?;
    let mut record = Vec::with_capacity(64 + files.len() * 80);
    record.extend_from_slice(PACKAGING.as_bytes());
    record.push(0);
    record.extend_from_slice(dir.as_os_str().as_encoded_bytes());
    for extra in include {
        record.push(0);
        record.extend_from_slice(extra.prefix.as_bytes());
        record.push(0);
        record.extend_from_slice(extra.dir.as_bytes());
    }
    for pattern in exclude {
        record.push(1);
        record.extend_from_slice(pattern.as_bytes());
    }
    for file in files {
        let stamp = stamp(&file.meta)?;
        if stamp.changed >= recent {
            return None;
        }
        record.push(0);
        record.extend_from_slice(file.name.as_bytes());
        record.push(0);
        for n in stamp.numbers {
            record.extend_from_slice(&n.to_le_bytes());
        }
    }
    Some(sha256_hex(&record))
}

/// What identifies one version of a file on disk.
struct Stamp {
    /// The later of its modification and change times.
    changed: SystemTime,
    numbers: [u64; 8],
}

#[cfg(unix)]
fn stamp(meta: &std::fs::Metadata) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let at = |secs: i64, nanos: i64| {
        SystemTime::UNIX_EPOCH.checked_add(Duration::new(
            u64::try_from(secs).ok()?,
            u32::try_from(nanos).ok()?,
        ))
    };
    let modified = at(meta.mtime(), meta.mtime_nsec())?;
    let changed = at(meta.ctime(), meta.ctime_nsec())?;
    Some(Stamp {
        changed: modified.max(changed),
        numbers: [
            meta.len(),
            meta.mtime() as u64,
            meta.mtime_nsec() as u64,
            meta.ctime() as u64,
            meta.ctime_nsec() as u64,
            meta.ino(),
            meta.dev(),
            u64::from(meta.mode()),
        ],
    })
}

#[cfg(not(unix))]
fn stamp(meta: &std::fs::Metadata) -> Option<Stamp> {
    let modified = meta.modified().ok()?;
    let since = modified.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    Some(Stamp {
        changed: modified,
        numbers: [
            meta.len(),
            since.as_secs(),
            u64::from(since.subsec_nanos()),
            0,
            0,
            0,
            0,
            0,
        ],
    })
}

/// `prefix` as a relative path of plain components joined with `/`, or
/// why it is not one.
fn prefix_path(prefix: &str) -> std::io::Result<String> {
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
    Ok(path
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/"))
}

/// Adds every regular file under `dir` (following symbolic links), named
/// `name/<path under dir>`, with its metadata.
/// `name/<path under dir>`, with its metadata, except what `excludes`
/// matches: an excluded directory is not listed, an excluded file not
/// `stat`ed.
fn collect_files(
    dir: &Path,
    name: &mut String,
    excludes: &Excludes,
    out: &mut Vec<SourceFile>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let parent = name.len();
        if !name.is_empty() {
            name.push('/');
        }
        name.push_str(&entry.file_name().to_string_lossy());
        // The directories above were not excluded, or they would not be
        // listed: only the entry's own path is matched.
        if excludes.is_empty() || !excludes.matches(name) {
            collect_entry(&entry, name, excludes, out)?;
        }
        name.truncate(parent);
    }
    Ok(())
}

/// Adds the entry `entry` of a listing, named `name` in the zip.
fn collect_entry(
    entry: &std::fs::DirEntry,
    name: &mut String,
    excludes: &Excludes,
    out: &mut Vec<SourceFile>,
) -> std::io::Result<()> {
    let path = entry.path();
    // The entry's type comes with the listing: only files need a `stat`,
    // taken relative to the directory; a link is followed.
    let file_type = entry.file_type()?;
    if file_type.is_dir() {
        return collect_files(&path, name, excludes, out);
    }
    let meta = if file_type.is_symlink() {
        std::fs::metadata(&path)?
    } else {
        entry.metadata()?
    };
    if meta.is_dir() {
        collect_files(&path, name, excludes, out)?;
    } else if meta.is_file() {
        out.push(SourceFile {
            name: name.clone(),
            order: name
                .bytes()
                .map(|b| if b == b'/' { 0 } else { b })
                .collect(),
            path,
            meta,
        });
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
        let archive = zip::ZipArchive::new(Cursor::new(zip(&asset))).unwrap();
        let names: Vec<String> = (0..archive.len())
            .map(|i| archive.clone().by_index(i).unwrap().name().to_owned())
            .collect();
        assert_eq!(names, ["index.mjs", "lib/a.mjs", "z.mjs"]);
        std::fs::remove_dir_all(&a).unwrap();
    }

    fn zip(asset: &Asset) -> Vec<u8> {
        asset.zip().unwrap().into_owned()
    }

    fn names(asset: &Asset) -> Vec<String> {
        let archive = zip::ZipArchive::new(Cursor::new(zip(asset))).unwrap();
        (0..archive.len())
            .map(|i| archive.clone().by_index(i).unwrap().name().to_owned())
            .collect()
    }

    fn read(asset: &Asset, name: &str) -> String {
        let mut archive = zip::ZipArchive::new(Cursor::new(zip(asset))).unwrap();
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
    fn excluded_files_and_directories_are_left_out_and_never_read() {
        let (function, shared, include) = function_and_shared("exclude");
        std::fs::write(shared.join("log.mjs.map"), "{}").unwrap();
        std::fs::write(shared.join("sub/aws.d.ts"), "export {};\n").unwrap();
        std::fs::create_dir_all(shared.join("src")).unwrap();
        std::fs::write(shared.join("src/log.ts"), "export {};\n").unwrap();
        // A link to nothing cannot be `stat`ed: packaging fails on it
        // unless its directory is excluded before it is listed.
        std::os::unix::fs::symlink(shared.join("gone"), shared.join("src/dangling")).unwrap();
        assert!(package_function(&function, &include, &[]).is_err());

        let exclude = [
            "**/*.map".to_owned(),
            "lib/**/*.d.ts".to_owned(),
            "lib/src".to_owned(),
        ];
        let asset = package_function(&function, &include, &exclude).unwrap();
        assert_eq!(
            names(&asset),
            [
                "index.mjs",
                "lib/log.mjs",
                "lib/sub/aws.mjs",
                "schemas/order.json"
            ]
        );
        assert_eq!(asset.exclude, exclude);
        // The same files as a zip made without them in the tree.
        std::fs::remove_dir_all(shared.join("src")).unwrap();
        std::fs::remove_file(shared.join("log.mjs.map")).unwrap();
        std::fs::remove_file(shared.join("sub/aws.d.ts")).unwrap();
        assert_eq!(
            package_function(&function, &include, &[]).unwrap().id,
            asset.id
        );

        // A pattern on the function's own files; one excluding the whole
        // prefix; one excluding every file.
        let own = package_function(&function, &include, &["schemas".to_owned()]).unwrap();
        assert_eq!(names(&own), ["index.mjs", "lib/log.mjs", "lib/sub/aws.mjs"]);
        let no_lib = package_function(&function, &include, &["lib".to_owned()]).unwrap();
        assert_eq!(names(&no_lib), ["index.mjs", "schemas/order.json"]);
        let err = package_function(&function, &include, &["*".to_owned()]).unwrap_err();
        assert!(err.to_string().contains("leaves none"), "{err}");
        let err = package_function(&function, &include, &["../x".to_owned()]).unwrap_err();
        assert!(err.to_string().contains("`exclude:`"), "{err}");
        std::fs::remove_dir_all(shared.parent().unwrap()).unwrap();
    }

    #[test]
    fn included_files_are_zipped_under_their_prefix_beside_the_functions_own() {
        let (function, shared, include) = function_and_shared("include");
        let asset = package_function(&function, &include, &[]).unwrap();
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
        let first = package_function(&function, &include, &[]).unwrap();
        // Rewritten with new mtimes, same content: the same zip.
        std::fs::write(shared.join("log.mjs"), "export const log = 1;\n").unwrap();
        std::fs::write(function.join("index.mjs"), "import './lib/log.mjs';\n").unwrap();
        let second = package_function(&function, &include, &[]).unwrap();
        assert_eq!(first.bytes, second.bytes);
        assert_eq!(first.id, second.id);

        std::fs::write(shared.join("log.mjs"), "export const log = 2;\n").unwrap();
        let changed = package_function(&function, &include, &[]).unwrap();
        assert_ne!(changed.id, first.id);
        assert_eq!(changed.id, sha256_hex(&zip(&changed)));
        assert_eq!(read(&changed, "lib/log.mjs"), "export const log = 2;\n");
        std::fs::remove_dir_all(shared.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_prefix_the_function_already_uses_is_an_error_naming_the_file() {
        let (function, shared, include) = function_and_shared("include-taken");
        std::fs::create_dir_all(function.join("lib")).unwrap();
        std::fs::write(function.join("lib/own.mjs"), "").unwrap();
        let err = package_function(&function, &include, &[]).unwrap_err();
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
        assert!(package_function(&function, &include, &[]).is_err());

        // So does a second include at the same prefix.
        std::fs::remove_file(function.join("lib")).unwrap();
        let twice = [include.clone(), include].concat();
        let message = package_function(&function, &twice, &[])
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("the files included at \"lib\""),
            "{message}"
        );
        std::fs::remove_dir_all(shared.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_directory_functions_share_is_listed_once_and_each_zips_as_if_alone() {
        let (function, shared, include) = function_and_shared("include-shared");
        let other = shared.parent().unwrap().join("audit");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("index.mjs"), "import './lib/log.mjs';\n").unwrap();
        let listings = Listings::of(sources_of(&function, &include, &[]).chain(sources_of(
            &other,
            &include,
            &[],
        )));
        let listed: Vec<&Path> = listings.dirs.iter().map(|(d, ..)| d.as_path()).collect();
        assert_eq!(
            listed,
            [function.as_path(), shared.as_path(), other.as_path()]
        );
        let cache = AssetCache::none();
        for code in [&function, &other] {
            let together = package_listed(code, &include, &[], &listings, &cache).unwrap();
            let alone = package_function(code, &include, &[]).unwrap();
            assert_eq!(together, alone, "{}", code.display());
            assert!(names(&together).contains(&"lib/sub/aws.mjs".to_owned()));
        }

        // A shared directory that is missing is each function's error.
        let missing = [Include {
            prefix: "lib".into(),
            dir: shared.join("nope").to_string_lossy().into_owned(),
        }];
        let listings = Listings::of(sources_of(&function, &missing, &[]).chain(sources_of(
            &other,
            &missing,
            &[],
        )));
        for code in [&function, &other] {
            let err = package_listed(code, &missing, &[], &listings, &cache).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
            assert!(err.to_string().contains("is not a directory"), "{err}");
        }
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
            let err = package_function(&function, &bad, &[]).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{prefix:?}");
            assert!(err.to_string().contains("plain names"), "{prefix:?}: {err}");
        }
        let missing = [Include {
            prefix: "lib".into(),
            dir: shared.join("nope").to_string_lossy().into_owned(),
        }];
        let err = package_function(&function, &missing, &[]).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert!(err.to_string().contains("nope"), "{err}");
        std::fs::remove_dir_all(shared.parent().unwrap()).unwrap();
    }

    /// Sets `path`'s modification time `secs` seconds into the past, so
    /// that it is outside the racy window.
    fn age(path: &Path, secs: u64) {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(secs))
            .unwrap();
    }

    /// A packaged directory whose files are old enough to be cached,
    /// written with its cache into an output directory.
    fn cached_setup(name: &str) -> (PathBuf, PathBuf, Asset) {
        let root = scratch(name);
        let code = root.join("code");
        std::fs::create_dir_all(code.join("lib")).unwrap();
        std::fs::write(code.join("index.mjs"), "export const handler = 1;\n").unwrap();
        std::fs::write(code.join("lib/util.mjs"), "export {};\n").unwrap();
        age(&code.join("index.mjs"), 60);
        age(&code.join("lib/util.mjs"), 60);
        // Change times cannot be set back: the fingerprint is taken as if
        // the synth ran a minute from now.
        let out = root.join("out");
        std::fs::create_dir_all(&out).unwrap();
        let asset = package_at(
            &code,
            &AssetCache::none(),
            SystemTime::now() + Duration::from_secs(60),
        )
        .unwrap();
        std::fs::write(out.join(asset.file_name()), zip(&asset)).unwrap();
        std::fs::write(
            out.join(ASSET_CACHE_FILE),
            AssetCache::document(std::slice::from_ref(&asset)),
        )
        .unwrap();
        (code, out, asset)
    }

    fn package_at(code: &Path, cache: &AssetCache, now: SystemTime) -> std::io::Result<Asset> {
        package_with_clock(
            code,
            &[],
            &[],
            &Listings::of([(code, "", &[][..])]),
            cache,
            now,
        )
    }

    #[test]
    fn an_unchanged_directory_is_taken_from_the_cache_with_the_same_bytes() {
        let (code, out, first) = cached_setup("cache-hit");
        assert!(first.fingerprint.is_some());
        let cache = AssetCache::of_dir(&out);
        let later = SystemTime::now() + Duration::from_secs(60);
        let again = package_at(&code, &cache, later).unwrap();
        assert_eq!(
            again.cached.as_deref(),
            Some(out.join(first.file_name()).as_path())
        );
        assert_eq!(again.id, first.id);
        // Kept where it is, not read; read when asked for, the same bytes.
        assert_eq!(again.bytes, None);
        assert_eq!(again.size(), first.size());
        assert_eq!(zip(&again), zip(&first));
        // What the cache gave is what packaging makes.
        assert_eq!(
            zip(&package_at(&code, &AssetCache::none(), later).unwrap()),
            zip(&again)
        );
        // Another `exclude:` is another zip, even when it leaves out nothing.
        let exclude = ["*.map".to_owned()];
        let other = package_with_clock(
            &code,
            &[],
            &exclude,
            &Listings::of([(code.as_path(), "", &exclude[..])]),
            &cache,
            later,
        )
        .unwrap();
        assert_eq!(other.cached, None);
        assert_ne!(other.fingerprint, first.fingerprint);
        std::fs::remove_dir_all(code.parent().unwrap()).unwrap();
    }

    #[test]
    fn an_edited_added_or_removed_file_is_packaged_again() {
        let (code, out, first) = cached_setup("cache-miss");
        let cache = AssetCache::of_dir(&out);
        let later = SystemTime::now() + Duration::from_secs(60);
        // Same size, new content, modification time put back: the change
        // time still moved.
        std::fs::write(code.join("index.mjs"), "export const handler = 2;\n").unwrap();
        age(&code.join("index.mjs"), 60);
        let edited = package_at(&code, &cache, later).unwrap();
        assert_eq!(edited.cached, None);
        assert_ne!(edited.id, first.id);
        assert_eq!(edited.id, sha256_hex(&zip(&edited)));

        std::fs::write(code.join("new.mjs"), "").unwrap();
        assert_eq!(package_at(&code, &cache, later).unwrap().cached, None);
        std::fs::remove_file(code.join("new.mjs")).unwrap();
        std::fs::remove_file(code.join("lib/util.mjs")).unwrap();
        assert_eq!(package_at(&code, &cache, later).unwrap().cached, None);
        std::fs::remove_dir_all(code.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_file_changed_within_the_racy_window_is_never_cached() {
        let (code, _, _) = cached_setup("cache-racy");
        // Just written: its times may not show the next change.
        std::fs::write(code.join("index.mjs"), "export const handler = 3;\n").unwrap();
        let asset = package_at(&code, &AssetCache::none(), SystemTime::now()).unwrap();
        assert_eq!(asset.fingerprint, None);
        assert!(!AssetCache::document(&[asset]).contains("fingerprint"));
        std::fs::remove_dir_all(code.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_cached_zip_that_is_gone_or_changed_size_is_packaged_again() {
        let (code, out, first) = cached_setup("cache-gone");
        let later = SystemTime::now() + Duration::from_secs(60);
        std::fs::write(out.join(first.file_name()), b"truncated").unwrap();
        let asset = package_at(&code, &AssetCache::of_dir(&out), later).unwrap();
        assert_eq!((asset.cached.clone(), zip(&asset)), (None, zip(&first)));
        std::fs::remove_file(out.join(first.file_name())).unwrap();
        assert_eq!(
            package_at(&code, &AssetCache::of_dir(&out), later)
                .unwrap()
                .cached,
            None
        );
        // A cache of another packaging, or not a cache, is ignored.
        std::fs::write(out.join(first.file_name()), zip(&first)).unwrap();
        let other = std::fs::read_to_string(out.join(ASSET_CACHE_FILE))
            .unwrap()
            .replace(PACKAGING, "zip-stored-v0");
        std::fs::write(out.join(ASSET_CACHE_FILE), other).unwrap();
        assert_eq!(
            package_at(&code, &AssetCache::of_dir(&out), later)
                .unwrap()
                .cached,
            None
        );
        std::fs::write(out.join(ASSET_CACHE_FILE), "not json").unwrap();
        assert_eq!(
            package_at(&code, &AssetCache::of_dir(&out), later)
                .unwrap()
                .cached,
            None
        );
        std::fs::remove_dir_all(code.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_kept_zip_changed_in_place_is_refused_when_read() {
        let (code, out, first) = cached_setup("cache-tampered");
        let later = SystemTime::now() + Duration::from_secs(60);
        let kept = package_at(&code, &AssetCache::of_dir(&out), later).unwrap();
        assert!(kept.cached.is_some());
        // The same size, other bytes: the size check at lookup passes, the
        // id no longer names the file.
        let mut bytes = zip(&first);
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(out.join(first.file_name()), &bytes).unwrap();
        let err = kept.zip().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert!(
            err.to_string().contains("changed after it was packaged"),
            "{err}"
        );
        std::fs::remove_dir_all(code.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let err = package_directory(Path::new("/nonexistent/handler")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}
