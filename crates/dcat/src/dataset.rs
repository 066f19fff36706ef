//! The parts of a package_show dict the mapping reads, typed. Every field is optional and
//! lenient (a number where text was expected, `null` anywhere): a stored dataset that is odd
//! still exports, it just says less.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Dataset {
    #[serde(deserialize_with = "text")]
    pub id: String,
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(deserialize_with = "text")]
    pub title: String,
    #[serde(deserialize_with = "text")]
    pub notes: String,
    #[serde(deserialize_with = "text")]
    pub url: String,
    #[serde(deserialize_with = "text")]
    pub version: String,
    #[serde(deserialize_with = "text")]
    pub author: String,
    #[serde(deserialize_with = "text")]
    pub author_email: String,
    #[serde(deserialize_with = "text")]
    pub maintainer: String,
    #[serde(deserialize_with = "text")]
    pub maintainer_email: String,
    #[serde(deserialize_with = "text")]
    pub license_id: String,
    #[serde(deserialize_with = "text")]
    pub license_title: String,
    #[serde(deserialize_with = "text")]
    pub metadata_created: String,
    #[serde(deserialize_with = "text")]
    pub metadata_modified: String,
    #[serde(deserialize_with = "list")]
    pub tags: Vec<Named>,
    #[serde(deserialize_with = "list")]
    pub groups: Vec<Named>,
    pub organization: Option<Organization>,
    #[serde(deserialize_with = "list")]
    pub extras: Vec<Extra>,
    #[serde(deserialize_with = "list")]
    pub resources: Vec<Resource>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Named {
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(deserialize_with = "text")]
    pub title: String,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct Organization {
    #[serde(deserialize_with = "text")]
    pub id: String,
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(deserialize_with = "text")]
    pub title: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Extra {
    #[serde(deserialize_with = "text")]
    pub key: String,
    #[serde(deserialize_with = "text")]
    pub value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Resource {
    #[serde(deserialize_with = "text")]
    pub id: String,
    #[serde(deserialize_with = "text")]
    pub package_id: String,
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(deserialize_with = "text")]
    pub description: String,
    #[serde(deserialize_with = "text")]
    pub url: String,
    #[serde(deserialize_with = "text")]
    pub url_type: String,
    #[serde(deserialize_with = "text")]
    pub format: String,
    #[serde(deserialize_with = "text")]
    pub mimetype: String,
    #[serde(deserialize_with = "text")]
    pub hash: String,
    #[serde(deserialize_with = "text")]
    pub created: String,
    #[serde(deserialize_with = "text")]
    pub last_modified: String,
    #[serde(deserialize_with = "text")]
    pub metadata_modified: String,
    #[serde(deserialize_with = "text")]
    pub license: String,
    #[serde(deserialize_with = "text")]
    pub uri: String,
    pub size: Option<Value>,
}

impl Dataset {
    pub fn from_json(json: &str) -> serde_json::Result<Dataset> {
        serde_json::from_str(json)
    }

    /// The first non-empty extra among `keys`, in the order given.
    pub fn extra(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| {
            self.extras
                .iter()
                .find(|e| e.key == *k)
                .map(|e| e.value.trim())
                .filter(|v| !v.is_empty())
        })
    }

    /// Title, or the name when the title is empty (as CKAN shows it).
    pub fn display_title(&self) -> &str {
        if self.title.trim().is_empty() {
            &self.name
        } else {
            &self.title
        }
    }
}

impl Resource {
    /// Size in bytes when a positive integer is stored.
    pub fn byte_size(&self) -> Option<u64> {
        match self.size.as_ref()? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|n| *n > 0)
    }

    pub fn is_upload(&self) -> bool {
        self.url_type == "upload"
    }
}

/// A string, or the text of a number or boolean; `null` and anything else as empty.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    })
}

/// A list whose entries parse; anything that is not a list, or entries that do not, skipped.
fn list<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
        _ => vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_values_still_read() {
        let d = Dataset::from_json(
            r#"{"id":"x","title":null,"name":"n","version":2,"tags":"oops",
                "extras":[{"key":"a","value":" "},{"key":"b","value":"v"}],
                "resources":[{"size":"12"},{"size":-1},{"size":null},7]}"#,
        )
        .expect("parses");
        assert_eq!(d.display_title(), "n");
        assert_eq!(d.version, "2");
        assert!(d.tags.is_empty());
        assert_eq!(d.extra(&["a", "b"]), Some("v"));
        let sizes: Vec<_> = d.resources.iter().map(Resource::byte_size).collect();
        assert_eq!(sizes, vec![Some(12), None, None]);
    }
}
