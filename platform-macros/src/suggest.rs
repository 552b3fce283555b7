//! "Did you mean": the closest valid name to a mistyped one (darling's
//! `error/kind.rs`), or the valid names themselves when there are few.

/// Below this Jaro-Winkler similarity a candidate is not worth suggesting.
const THRESHOLD: f64 = 0.8;

/// Lists of valid names longer than this are not spelled out in messages.
const MAX_LISTED: usize = 10;

/// The candidate most similar to `word`, if any is similar enough; a
/// candidate that abbreviates `word` (`pitr` for `point_in_time_recovery`)
/// or is spelt out by it (`visibility` in `visibility_timeout`, as
/// CloudFormation names it) wins over spelling.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().filter(|c| *c != word).collect();
    if let Some(short) = candidates
        .iter()
        .find(|c| initials(word) == **c || initials(c) == word)
    {
        return Some(short);
    }
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
        .or_else(|| {
            candidates
                .iter()
                .copied()
                .find(|c| c.len() >= 4 && word.split('_').any(|part| part == *c))
        })
}

/// `pitr` for `point_in_time_recovery`; empty for a word without `_`,
/// which abbreviates nothing.
fn initials(word: &str) -> String {
    if !word.contains('_') {
        return String::new();
    }
    word.split('_')
        .filter_map(|part| part.chars().next())
        .collect()
}

/// "a queue", "an api": a kind's keyword with its article.
pub fn a(word: &str) -> String {
    let article = if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {word}")
}

/// "`a`, `b` and `c`".
pub fn list<S: AsRef<str>>(names: &[S]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{}`", n.as_ref())).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The tail of a message about the unknown `word`: "; did you mean `x`?"
/// when one candidate is close, else "; {intro} `a`, `b` and `c`" when the
/// candidates are few, else nothing.
pub fn hint(word: &str, candidates: &[&str], intro: &str) -> String {
    if let Some(best) = closest(word, candidates.iter().copied()) {
        format!("; did you mean `{best}`?")
    } else if candidates.is_empty() || candidates.len() > MAX_LISTED {
        String::new()
    } else {
        format!("; {intro} {}", list(candidates))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name_above_the_threshold() {
        assert_eq!(
            closest("sesions", ["data", "sessions", "trade_orders"]),
            Some("sessions")
        );
        assert_eq!(
            closest("raed", ["read", "write", "read_write"]),
            Some("read")
        );
        assert_eq!(closest("url", ["name", "arn", "stream_arn"]), None);
    }

    #[test]
    fn suggests_the_abbreviation_or_the_word_a_longer_name_spells_out() {
        let table = [
            "partition",
            "sort",
            "ttl",
            "stream",
            "key",
            "pitr",
            "removal",
        ];
        assert_eq!(closest("point_in_time_recovery", table), Some("pitr"));
        assert_eq!(
            closest("pitr", ["point_in_time_recovery", "partition"]),
            Some("point_in_time_recovery")
        );
        assert_eq!(
            closest("visibility_timeout", ["retention", "visibility", "fifo"]),
            Some("visibility")
        );
        assert_eq!(closest("time_to_live", ["key", "sort"]), None);
    }

    #[test]
    fn lists_few_names_when_none_is_close() {
        assert_eq!(
            hint("url", &["name", "arn", "stream_arn"], "it has"),
            "; it has `name`, `arn` and `stream_arn`"
        );
        assert_eq!(
            hint("nmae", &["name", "arn"], "it has"),
            "; did you mean `name`?"
        );
        assert_eq!(hint("x", &[], "it has"), "");
        assert_eq!(list(&["a"]), "`a`");
        assert_eq!(a("api"), "an api");
        assert_eq!(a("queue"), "a queue");
    }
}
