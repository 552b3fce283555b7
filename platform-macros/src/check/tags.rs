//! `tag-limit`: the platform's tags are within what AWS accepts on every
//! resource, together with the tags tp adds to each
//! (`catalog::ADDED_TAG_KEYS`); past them the deploy fails on the first
//! resource CloudFormation tags.

use platform_core::catalog::{
    ADDED_TAG_KEYS, TAG_KEY_MAX_CHARS, TAG_MAX_PER_RESOURCE, TAG_VALUE_MAX_CHARS,
};

use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

pub fn check(model: &Model, cx: &Ctxt) {
    let Some(platform) = model.platform() else {
        return;
    };
    for (key, value) in &platform.tags {
        let key_text = key.to_string();
        if let Some(problem) = tag_key_problem(&key_text) {
            cx.error(Rule::TagLimit, key, problem);
        }
        if let Some(problem) = tag_value_problem(&key_text, &value.value()) {
            cx.error(Rule::TagLimit, value, problem);
        }
    }
    let room = TAG_MAX_PER_RESOURCE - ADDED_TAG_KEYS.len();
    if let Some((key, _)) = platform.tags.get(room) {
        cx.error(
            Rule::TagLimit,
            key,
            format!(
                "the platform declares {} tags; with the {} tp adds to every resource ({}) that is more than the {TAG_MAX_PER_RESOURCE} AWS allows on one resource; keep at most {room} (this is the first one over)",
                platform.tags.len(),
                ADDED_TAG_KEYS.len(),
                ADDED_TAG_KEYS.join(", "),
            ),
        );
    }
}

/// Why AWS would refuse a tag key `key`, or tp would overwrite it.
pub(crate) fn tag_key_problem(key: &str) -> Option<String> {
    let chars = key.chars().count();
    if chars > TAG_KEY_MAX_CHARS {
        return Some(format!(
            "tag key `{key}` is {chars} characters, over AWS's {TAG_KEY_MAX_CHARS}; shorten it by {}",
            chars - TAG_KEY_MAX_CHARS
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Some(format!(
            "tag key `{key}` starts with `aws:`, which AWS reserves for its own tags; drop the prefix"
        ));
    }
    if ADDED_TAG_KEYS.contains(&key) {
        return Some(format!(
            "tag key `{key}` is one tp sets on every resource itself ({}); rename it",
            ADDED_TAG_KEYS.join(", ")
        ));
    }
    None
}

/// Why AWS would refuse `value` as the value of tag `key`: at most 256
/// characters, of letters, digits, spaces and `_ . : / = + - @`.
pub(crate) fn tag_value_problem(key: &str, value: &str) -> Option<String> {
    let chars = value.chars().count();
    if chars > TAG_VALUE_MAX_CHARS {
        return Some(format!(
            "the value of tag `{key}` is {chars} characters, over AWS's {TAG_VALUE_MAX_CHARS}; shorten it by {}",
            chars - TAG_VALUE_MAX_CHARS
        ));
    }
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    if let Some(c) = value.chars().find(|c| !allowed(*c)) {
        return Some(format!(
            "the value of tag `{key}` contains `{c}`, which AWS does not accept in tags: use letters, digits, spaces and `_ . : / = + - @`"
        ));
    }
    None
}
