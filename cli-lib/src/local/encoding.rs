//! URL encodings the local parts decode: `%XX` escapes and
//! `application/x-www-form-urlencoded` bodies and queries.

/// `%XX` escapes decoded (as UTF-8, lossily); invalid escapes kept as they are.
pub fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// `application/x-www-form-urlencoded` pairs (`+` is a space).
pub fn parse_form(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_forms_decode() {
        assert_eq!(percent_decode("a%2Fb%zz%"), "a/b%zz%");
        assert_eq!(
            parse_form("Action=Publish&Message=a+b%26c&Empty="),
            vec![
                ("Action".to_owned(), "Publish".to_owned()),
                ("Message".to_owned(), "a b&c".to_owned()),
                ("Empty".to_owned(), String::new()),
            ]
        );
    }
}
