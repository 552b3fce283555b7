//! "Did you mean": the closest valid name to a mistyped one (darling's
//! `error/kind.rs`), or the valid names themselves when there are few.

/// Below this Jaro-Winkler similarity a candidate is not worth suggesting.
const THRESHOLD: f64 = 0.8;

/// Lists of valid names longer than this are not spelled out in messages.
const MAX_LISTED: usize = 10;

/// The candidate most similar to `word`, if any is similar enough.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
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
