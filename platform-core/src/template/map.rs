//! [`Map`]: the string-keyed map of template values, kept as a sorted
//! vector.
//!
//! Nearly every map in a template is small: a tag (`Key`, `Value`), a
//! policy statement, a resource's handful of properties. A `BTreeMap`
//! allocates a whole node of eleven slots for its first entry (about 900
//! bytes with these keys and values), which made the model of a template
//! seven times larger than its JSON. A sorted vector holds exactly its
//! entries, iterates and serializes in key order like the `BTreeMap` it
//! replaces, and finds a key by binary search.

use super::Value;

/// A map from `String` keys to [`Value`]s, in ascending key order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Map {
    entries: Vec<(String, Value)>,
}

impl Map {
    pub const fn new() -> Map {
        Map {
            entries: Vec::new(),
        }
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// Sets `key` to `value`; the value it had, if any.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        // Keys often arrive in order: appending is the common case.
        if self.entries.last().is_none_or(|(last, _)| *last < key) {
            self.entries.push((key, value));
            return None;
        }
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.position(key).ok().map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.position(key).ok().map(|i| self.entries.remove(i).1)
    }

    /// The value of `key`, inserted from `default` when it is missing.
    pub fn get_or_insert_with(&mut self, key: &str, default: impl FnOnce() -> Value) -> &mut Value {
        let i = match self.position(key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key.to_owned(), default()));
                i
            }
        };
        &mut self.entries[i].1
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &Value)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Entries in key order, values mutable.
    pub fn iter_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = (&String, &mut Value)> + ExactSizeIterator {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut Value> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// Keeps the entries `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut Value) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// Moves every entry of `other` into this map; `other`'s values win.
    pub fn append(&mut self, other: &mut Map) {
        let other = std::mem::take(&mut other.entries);
        self.extend(other);
    }
}

impl<K: Into<String>> FromIterator<(K, Value)> for Map {
    /// Sorted by key; of entries with the same key, the last one stays, as
    /// in a map built by inserting them in turn.
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(pairs: I) -> Map {
        let mut entries: Vec<(String, Value)> =
            pairs.into_iter().map(|(k, v)| (k.into(), v)).collect();
        // Stable: equal keys keep their order, so the last is the newest.
        entries.sort_by(|(a, _), (b, _)| a.cmp(b));
        let mut out: Vec<(String, Value)> = Vec::with_capacity(entries.len());
        for entry in entries {
            match out.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => out.push(entry),
            }
        }
        Map { entries: out }
    }
}

impl<K: Into<String>> Extend<(K, Value)> for Map {
    fn extend<I: IntoIterator<Item = (K, Value)>>(&mut self, pairs: I) {
        for (k, v) in pairs {
            self.insert(k.into(), v);
        }
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    /// Entries in key order.
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Value)>,
        fn(&'a (String, Value)) -> (&'a String, &'a Value),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl std::ops::Index<&str> for Map {
    type Output = Value;

    /// The value of `key`; panics when there is none, as a `BTreeMap` does.
    fn index(&self, key: &str) -> &Value {
        self.get(key)
            .unwrap_or_else(|| panic!("no entry `{key}` in the map"))
    }
}

impl serde::Serialize for Map {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Every way of building and changing a map ends where a `BTreeMap`
    /// given the same calls ends, in the same order.
    #[test]
    fn behaves_as_a_sorted_map() {
        let keys = ["m", "b", "z", "b", "a", "q", "m", "c"];
        let mut map = Map::new();
        let mut reference = BTreeMap::new();
        for (i, k) in keys.iter().enumerate() {
            let v = Value::Int(i as i64);
            assert_eq!(
                map.insert((*k).to_owned(), v.clone()),
                reference.insert((*k).to_owned(), v)
            );
            assert!(map.keys().eq(reference.keys()));
        }
        let collected: Map = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (*k, Value::Int(i as i64)))
            .collect();
        assert_eq!(collected, map);
        assert!(map.iter().eq(reference.iter()));
        assert_eq!(map.get("b"), Some(&Value::Int(3)));
        assert_eq!(map.get("x"), None);
        assert_eq!(map.remove("q"), reference.remove("q"));
        assert_eq!(map.remove("q"), None);
        map.retain(|k, _| k != "z");
        reference.retain(|k, _| k != "z");
        assert!(map.iter().eq(reference.iter()));
        *map.get_or_insert_with("d", || Value::Null) = Value::Bool(true);
        map.get_or_insert_with("a", || unreachable!("`a` is there"));
        let mut other: Map = [("a", Value::Null), ("e", Value::Int(9))]
            .into_iter()
            .collect();
        map.append(&mut other);
        assert!(other.is_empty());
        assert_eq!(
            map.keys().map(String::as_str).collect::<Vec<_>>(),
            ["a", "b", "c", "d", "e", "m"]
        );
        assert_eq!(map.get("a"), Some(&Value::Null));
        assert_eq!(
            serde_json::to_string(&map).unwrap(),
            r#"{"a":null,"b":3,"c":7,"d":true,"e":9,"m":6}"#
        );
    }
}
