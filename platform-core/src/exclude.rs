//! A function's `exclude:`: glob patterns naming files of its zip that are
//! not packaged (a vendored package's TypeScript declarations, source maps
//! and sources), as CDK's asset `exclude` and Terraform's `archive_file`
//! `excludes` do.
//!
//! A pattern is matched against a path in the zip (`/`-separated, the
//! `include:` prefix and all: `node_modules/ajv/lib`), in the syntax of the
//! `glob` crate: `*` and `?` match within one path component, `**` any
//! number of components (`**/*.map` is every source map, at any depth),
//! `[ab]` and `[!ab]` one character. A pattern that matches a directory
//! excludes everything under it. The macro checks every pattern when the
//! definition is compiled (`function-exclude`); packaging skips what they
//! match before it reads, or even lists, it.

use glob::{MatchOptions, Pattern};

/// How every pattern matches: `*` never crosses `/`, case counts, and a
/// name starting with `.` is matched like any other.
const OPTIONS: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

/// The patterns of one function's `exclude:`, parsed.
#[derive(Debug, Clone, Default)]
pub struct Excludes {
    patterns: Vec<Parsed>,
}

/// One pattern, with the literal text every path it matches ends with: what
/// follows its last `*`, `?` or `]` (all of it, when it has none). Most
/// paths a listing meets fail that test, and it costs far less than a match.
#[derive(Debug, Clone)]
struct Parsed {
    pattern: Pattern,
    tail: String,
}

impl Parsed {
    fn matches(&self, path: &str) -> bool {
        path.ends_with(&self.tail) && self.pattern.matches_with(path, OPTIONS)
    }
}

impl Excludes {
    /// Parses `patterns`; on a pattern that is not one, its index and what
    /// is wrong with it.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Excludes, (usize, String)> {
        let patterns = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| parse(p.as_ref()).map_err(|problem| (i, problem)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Excludes { patterns })
    }

    /// Whether no pattern was given.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether some pattern matches `path` (a file or directory of the zip)
    /// itself, without looking at the directories above it.
    pub fn matches(&self, path: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(path))
    }

    /// The first pattern that leaves `path` out of the zip: one matching
    /// it or a directory above it.
    pub fn excluding(&self, path: &str) -> Option<&str> {
        let mut end = path.len();
        loop {
            let here = &path[..end];
            if let Some(p) = self.patterns.iter().find(|p| p.matches(here)) {
                return Some(p.pattern.as_str());
            }
            end = here.rfind('/')?;
        }
    }
}

/// A pattern of zip paths, or why `pattern` is not one.
fn parse(pattern: &str) -> Result<Parsed, String> {
    if pattern.is_empty() {
        return Err("an empty pattern matches nothing; remove it".to_owned());
    }
    if pattern.starts_with('/') || pattern.contains('\\') {
        return Err(format!(
            "the pattern {pattern:?} is not a path of the zip: write it relative to the zip's root with `/` between names, like \"node_modules/**/*.map\""
        ));
    }
    if pattern
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(format!(
            "the pattern {pattern:?} has an empty, `.` or `..` component; zip paths have none: write it like \"node_modules/ajv/lib\""
        ));
    }
    let parsed = Pattern::new(pattern).map_err(|e| {
        format!(
            "the pattern {pattern:?} is not a glob: {} at character {}; `*` and `?` match within a name, `**` (a whole component) any number of directories, `[..]` one character",
            e.msg, e.pos
        )
    })?;
    let tail = pattern
        .rfind(['*', '?', ']'])
        .map_or(pattern, |at| &pattern[at + 1..]);
    Ok(Parsed {
        tail: tail.to_owned(),
        pattern: parsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excludes(patterns: &[&str]) -> Excludes {
        Excludes::new(patterns).unwrap()
    }

    #[test]
    fn a_star_stays_within_a_name_and_two_cross_directories() {
        let e = excludes(&["*.map", "node_modules/**/*.d.ts"]);
        assert!(e.matches("index.js.map"));
        assert!(!e.matches("lib/index.js.map"));
        assert!(e.matches("node_modules/ajv/dist/ajv.d.ts"));
        assert!(e.matches("node_modules/x.d.ts"));
        assert!(!e.matches("node_modules/ajv/dist/ajv.js"));
        assert!(!e.matches("lib/x.d.ts"));
        // Sets and `?` as the last wildcard; a pattern of no wildcard.
        let e = excludes(&["lib/*.[jt]s", "lib/?", "src/fixed.js"]);
        assert!(e.matches("lib/a.ts") && e.matches("lib/a.js") && !e.matches("lib/a.cs"));
        assert!(e.matches("lib/x") && !e.matches("lib/xy"));
        assert!(e.matches("src/fixed.js") && !e.matches("src/unfixed.js"));
    }

    #[test]
    fn a_matching_directory_leaves_out_everything_under_it() {
        let e = excludes(&["node_modules/ajv/lib"]);
        assert_eq!(
            e.excluding("node_modules/ajv/lib/compile/index.ts"),
            Some("node_modules/ajv/lib")
        );
        assert_eq!(
            e.excluding("node_modules/ajv/lib"),
            Some("node_modules/ajv/lib")
        );
        assert_eq!(e.excluding("node_modules/ajv/library.js"), None);
        assert_eq!(e.excluding("node_modules/ajv/dist/core.js"), None);
        assert!(!e.matches("node_modules/ajv/lib/compile/index.ts"));
    }

    #[test]
    fn a_pattern_that_is_no_zip_path_or_no_glob_is_refused_with_its_index() {
        for (pattern, says) in [
            ("", "empty"),
            ("/abs/*.ts", "relative to the zip's root"),
            ("a\\b", "relative to the zip's root"),
            ("../lib", "`..`"),
            ("a//b", "empty, `.` or `..`"),
            ("lib/**.ts", "is not a glob"),
            ("[ab", "is not a glob"),
        ] {
            let (index, problem) = Excludes::new(&["*.map", pattern]).unwrap_err();
            assert_eq!(index, 1, "{pattern:?}");
            assert!(problem.contains(says), "{pattern:?}: {problem}");
        }
        assert!(Excludes::new::<&str>(&[]).unwrap().is_empty());
    }
}
