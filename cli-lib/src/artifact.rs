//! Deploying an environment built before (`tp deploy --from DIR`): the
//! directory `tp synth` wrote, as the pipeline's build leaves one per stage
//! in its release. Nothing is synthesized: the templates, nested templates
//! and asset zips in the directory are what gets deployed, after every one
//! of them was checked against the sha256 its `manifest.json` records and
//! nothing else was found beside them (but what `tp` keeps beside a synth:
//! a deploy's outputs file, a local environment). The deploy itself is `tp deploy`'s
//! ([`commands::deploy`]): the same change sets, guards, rollback triggers,
//! after-deploy functions and outputs.

use std::collections::BTreeSet;
use std::path::{Component, Path};

use platform_core::naming::Suffix;
use platform_core::spec::Platform;
use platform_core::synth::{Assembly, Asset, Deployment, NestedStack, Stack, sha256_hex};
use platform_core::template::Template;
use serde_json::Value;

use crate::exit::{self, Exit};
use crate::release;

/// The manifest `tp synth` writes beside the templates.
pub const MANIFEST: &str = "manifest.json";

/// The manifest versions this `tp` reads.
const MANIFEST_VERSION: u64 = 1;

fn invalid(message: String) -> anyhow::Error {
    Exit::new(exit::INVALID_INPUT, message).into()
}

/// What `tp deploy --from` was told to deploy: the environment the
/// directory must hold.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// `--suffix`: the one the directory was synthesized with.
    pub suffix: &'a str,
    /// `--profile`, when given: the one the directory was synthesized with.
    pub profile: Option<&'a str>,
    /// `--region`: the regions to deploy of those synthesized (all when
    /// empty).
    pub regions: &'a [String],
}

/// Reads the environment `tp synth` wrote into `dir`, checks it, and returns
/// it as the deploy engine takes it. Refused (exit code 2) when the
/// directory is not a synth of `platform` for `expected`, a file does not
/// match the sha256 the manifest records, or a file is there that the
/// manifest does not list. Makes no AWS call.
pub fn load(platform: &Platform, dir: &Path, expected: Expected<'_>) -> anyhow::Result<Assembly> {
    let at = |file: &str| dir.join(file).display().to_string();
    let text = std::fs::read_to_string(dir.join(MANIFEST)).map_err(|e| {
        invalid(format!(
            "cannot read {}: {e}; --from takes a directory `tp synth` wrote",
            at(MANIFEST)
        ))
    })?;
    let manifest: Value = serde_json::from_str(&text)
        .map_err(|e| invalid(format!("{} is not JSON: {e}", at(MANIFEST))))?;
    if manifest["version"].as_u64() != Some(MANIFEST_VERSION) {
        return Err(invalid(format!(
            "{} has version {}; this tp reads version {MANIFEST_VERSION}: synthesize it again with this tp",
            at(MANIFEST),
            manifest["version"]
        )));
    }
    let field = |name: &str| manifest[name].as_str().unwrap_or_default();
    if field("platform") != platform.name {
        return Err(invalid(format!(
            "{} holds platform `{}`, not `{}`",
            dir.display(),
            field("platform"),
            platform.name
        )));
    }
    if field("suffix") != expected.suffix {
        return Err(invalid(format!(
            "{} was synthesized with --suffix {}, not {}; deploy it with --suffix {}",
            dir.display(),
            field("suffix"),
            expected.suffix,
            field("suffix")
        )));
    }
    let profile = field("profile").to_owned();
    if let Some(wanted) = expected.profile.filter(|p| *p != profile) {
        return Err(invalid(format!(
            "{} was synthesized with --profile {profile}, not {wanted}",
            dir.display()
        )));
    }
    let synthesized = release::strings(&manifest["regions"]);
    for r in expected.regions {
        if !synthesized.contains(r) {
            return Err(invalid(format!(
                "{} holds no stack for --region {r}; it has {}",
                dir.display(),
                synthesized.join(", ")
            )));
        }
    }
    let regions: Vec<String> = synthesized
        .into_iter()
        .filter(|r| expected.regions.is_empty() || expected.regions.contains(r))
        .collect();

    let mut listed = BTreeSet::from([MANIFEST.to_owned()]);
    let mut read = |file: &str, sha256: &str| -> anyhow::Result<Vec<u8>> {
        if !is_plain_name(file) {
            return Err(invalid(format!(
                "{} names `{file}`, which is not a file of {}",
                at(MANIFEST),
                dir.display()
            )));
        }
        listed.insert(file.to_owned());
        let bytes = std::fs::read(dir.join(file))
            .map_err(|e| invalid(format!("cannot read {}: {e}", at(file))))?;
        let found = sha256_hex(&bytes);
        if found != sha256 {
            return Err(invalid(format!(
                "{} does not match the sha256 {} records for it (expected {sha256}, found {found}): it changed after `tp synth` wrote it; refusing to deploy {}",
                at(file),
                MANIFEST,
                dir.display()
            )));
        }
        Ok(bytes)
    };
    let utf8 = |file: &str, bytes: Vec<u8>| {
        String::from_utf8(bytes).map_err(|_| invalid(format!("{} is not UTF-8", at(file))))
    };

    let mut assets = Vec::new();
    for a in manifest["assets"].as_array().into_iter().flatten() {
        let id = a["id"].as_str().unwrap_or_default();
        let file = a["file"].as_str().unwrap_or_default();
        // An asset is named by the sha256 of its zip.
        let bytes = read(file, id)?;
        assets.push(Asset::from_zip(
            id.to_owned(),
            a["source"].as_str().unwrap_or_default().to_owned(),
            dir.join(file),
            bytes,
        ));
    }
    let mut stacks = Vec::new();
    for recorded in manifest["stacks"].as_array().into_iter().flatten() {
        let file = recorded["template"].as_str().unwrap_or_default();
        let body = utf8(
            file,
            read(file, recorded["sha256"].as_str().unwrap_or_default())?,
        )?;
        let mut nested = Vec::new();
        for n in recorded["nested"].as_array().into_iter().flatten() {
            let file = n["template"].as_str().unwrap_or_default();
            let sha256 = n["sha256"].as_str().unwrap_or_default().to_owned();
            nested.push(NestedStack {
                logical_id: n["logical_id"].as_str().unwrap_or_default().to_owned(),
                template: Template::default(),
                body: utf8(file, read(file, &sha256)?)?,
                sha256,
                outputs: release::strings(&n["outputs"]),
            });
        }
        let (guard_alarms, rollback_window_minutes, after_deploy) =
            release::deploy_metadata(recorded);
        let stack_assets = release::strings(&recorded["assets"]);
        if let Some(missing) = stack_assets
            .iter()
            .find(|id| !assets.iter().any(|a: &Asset| &a.id == *id))
        {
            return Err(invalid(format!(
                "{} lists asset {missing} for {} but no such asset",
                at(MANIFEST),
                recorded["name"].as_str().unwrap_or_default()
            )));
        }
        let region = recorded["region"].as_str().unwrap_or_default().to_owned();
        stacks.push(Stack {
            name: recorded["name"].as_str().unwrap_or_default().to_owned(),
            region,
            // The deploy engine works from the body.
            template: Template::default(),
            body,
            assets: stack_assets,
            nested,
            guard_alarms,
            rollback_window_minutes,
            after_deploy,
            imports: release::imports(recorded),
            zone_lookups: release::zone_lookups(recorded),
        });
    }
    for entry in std::fs::read_dir(dir)
        .map_err(|e| invalid(format!("cannot list {}: {e}", dir.display())))?
    {
        let name = entry?.file_name().to_string_lossy().into_owned();
        // A deploy's outputs file and a local environment are not deployed.
        if !listed.contains(&name) && !platform_core::synth::is_beside_synth(&name) {
            return Err(invalid(format!(
                "{} is not listed in {MANIFEST}: the directory holds more than `tp synth` wrote; refusing to deploy it",
                at(&name)
            )));
        }
    }
    // The engine pairs the stacks with the regions in order: one stack per
    // region, as a synth writes them.
    let stacks: Vec<Stack> = regions
        .iter()
        .map(|r| {
            stacks
                .iter()
                .find(|s| &s.region == r)
                .cloned()
                .ok_or_else(|| {
                    invalid(format!(
                        "{} lists region {r} but no stack in it",
                        at(MANIFEST)
                    ))
                })
        })
        .collect::<anyhow::Result<_>>()?;
    let suffix = Suffix::new(expected.suffix, platform.suffix_max)
        .map_err(|e| invalid(format!("invalid --suffix: {e} [name-suffix]")))?;
    println!(
        "{}: platform {}, suffix {suffix}, profile {profile}, {} files match {MANIFEST}",
        dir.display(),
        platform.name,
        listed.len() - 1
    );
    Ok(Assembly {
        platform: platform.name.clone(),
        deployment: Deployment {
            suffix,
            profile,
            regions,
        },
        stacks,
        assets,
    })
}

/// A file name of the directory itself: one plain component.
fn is_plain_name(file: &str) -> bool {
    let mut components = Path::new(file).components();
    matches!(components.next(), Some(Component::Normal(_))) && components.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform() -> Platform {
        platform_def::platform()
    }

    /// A synth of the trading platform for dev in one region, written
    /// into a fresh directory.
    fn synthesized(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("tp-artifact-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let p = platform();
        let deployment = Deployment::new(&p, "dev", Some("dev"), &["us-east-1".into()]).unwrap();
        platform_core::synth::synth(&p, &deployment)
            .unwrap()
            .write_to(&dir)
            .unwrap();
        dir
    }

    const DEV: Expected<'static> = Expected {
        suffix: "dev",
        profile: Some("dev"),
        regions: &[],
    };

    fn refusal(result: anyhow::Result<Assembly>) -> String {
        let e = result.unwrap_err();
        assert_eq!(
            e.downcast_ref::<Exit>().map(|x| x.code),
            Some(exit::INVALID_INPUT),
            "{e}"
        );
        e.to_string()
    }

    #[test]
    fn an_untouched_synth_loads_as_it_was_synthesized() {
        let dir = synthesized("untouched");
        let p = platform();
        let loaded = load(&p, &dir, DEV).unwrap();
        let deployment = Deployment::new(&p, "dev", Some("dev"), &["us-east-1".into()]).unwrap();
        let synthesized = platform_core::synth::synth(&p, &deployment).unwrap();
        assert_eq!(loaded.deployment, synthesized.deployment);
        assert_eq!(loaded.stacks.len(), 1);
        let (a, b) = (&loaded.stacks[0], &synthesized.stacks[0]);
        assert_eq!(a.body, b.body);
        assert_eq!(a.assets, b.assets);
        assert_eq!(a.guard_alarms, b.guard_alarms);
        assert_eq!(a.rollback_window_minutes, b.rollback_window_minutes);
        assert_eq!(a.after_deploy, b.after_deploy);
        assert!(!a.after_deploy.is_empty() && !a.guard_alarms.is_empty());
        let ids = |x: &Assembly| x.assets.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&loaded), ids(&synthesized));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_changed_missing_or_extra_file_is_refused() {
        let dir = synthesized("tampered");
        let p = platform();
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(MANIFEST)).unwrap()).unwrap();
        let template = manifest["stacks"][0]["template"]
            .as_str()
            .unwrap()
            .to_owned();
        let asset = manifest["assets"][0]["file"].as_str().unwrap().to_owned();

        let original = std::fs::read(dir.join(&asset)).unwrap();
        let mut changed = original.clone();
        changed.push(0);
        std::fs::write(dir.join(&asset), &changed).unwrap();
        let why = refusal(load(&p, &dir, DEV));
        assert!(
            why.contains(&asset) && why.contains("does not match the sha256"),
            "{why}"
        );
        std::fs::write(dir.join(&asset), &original).unwrap();

        let body = std::fs::read_to_string(dir.join(&template)).unwrap();
        std::fs::write(dir.join(&template), body.replacen("Trading", "Tampered", 1)).unwrap();
        let why = refusal(load(&p, &dir, DEV));
        assert!(why.contains(&template), "{why}");
        std::fs::remove_file(dir.join(&template)).unwrap();
        let why = refusal(load(&p, &dir, DEV));
        assert!(why.contains("cannot read"), "{why}");
        std::fs::write(dir.join(&template), &body).unwrap();

        std::fs::write(dir.join("extra.json"), "{}").unwrap();
        let why = refusal(load(&p, &dir, DEV));
        assert!(why.contains("extra.json is not listed"), "{why}");
        std::fs::remove_file(dir.join("extra.json")).unwrap();
        load(&p, &dir, DEV).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_environment_must_be_the_one_named() {
        let dir = synthesized("named");
        let p = platform();
        let why = refusal(load(
            &p,
            &dir,
            Expected {
                suffix: "prod",
                ..DEV
            },
        ));
        assert!(
            why.contains("synthesized with --suffix dev, not prod"),
            "{why}"
        );
        let why = refusal(load(
            &p,
            &dir,
            Expected {
                profile: Some("prod"),
                ..DEV
            },
        ));
        assert!(why.contains("--profile dev, not prod"), "{why}");
        let why = refusal(load(
            &p,
            &dir,
            Expected {
                regions: &["us-west-2".into()],
                ..DEV
            },
        ));
        assert!(why.contains("no stack for --region us-west-2"), "{why}");
        let why = refusal(load(&p, &dir.join("nothing"), DEV));
        assert!(
            why.contains("--from takes a directory `tp synth` wrote"),
            "{why}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_manifest_naming_a_file_outside_the_directory_is_refused() {
        assert!(is_plain_name("asset.ab.zip"));
        assert!(!is_plain_name("../secret"));
        assert!(!is_plain_name("/etc/passwd"));
        assert!(!is_plain_name("sub/file"));
        assert!(!is_plain_name(""));
    }
}
