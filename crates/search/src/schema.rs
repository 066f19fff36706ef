//! The index schema: one document per dataset, with CKAN's search field names.

use crate::analyzer::{EXACT, FOLDED, FOLDED_JOINED, STEMMED};
use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, JsonObjectOptions, NumericOptions,
    Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};

/// Bumped whenever the schema or analysis changes: an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 7;

/// Full-text fields: CKAN name → (folded field, exact field).
pub const TEXT_FIELDS: [&str; 8] = [
    "title",
    "notes",
    "text",
    "res_name",
    "res_description",
    "author",
    "maintainer",
    "name_text",
];

/// Exact-value fields (Solr `string`): matched whole, used for filters, facets and sorting.
pub const STRING_FIELDS: [&str; 17] = [
    "id",
    "name",
    "organization",
    "owner_org",
    "groups",
    "tags",
    "res_format",
    "license_id",
    "state",
    "type",
    "private",
    "capacity",
    "creator_user_id",
    "title_string",
    "res_url",
    "visibility",
    "vis_dataset",
];

pub const DATE_FIELDS: [&str; 2] = ["metadata_created", "metadata_modified"];
pub const NUMBER_FIELDS: [&str; 2] = ["num_resources", "num_tags"];

/// Handles to every field.
#[derive(Clone)]
pub struct Fields {
    pub schema: Schema,
    pub dict: Field,
    pub extras: Field,
}

fn text_options(tokenizer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

pub fn build() -> Fields {
    let mut b = Schema::builder();
    for f in TEXT_FIELDS {
        // The catch-all also holds adjacent syllables joined (see `analyzer`).
        let folded = if f == "text" { FOLDED_JOINED } else { FOLDED };
        b.add_text_field(f, text_options(folded));
        b.add_text_field(&format!("{f}_exact"), text_options(EXACT));
    }
    b.add_text_field("text_en", text_options(STEMMED));
    for f in STRING_FIELDS {
        b.add_text_field(f, STRING | FAST);
    }
    for f in DATE_FIELDS {
        b.add_date_field(
            f,
            DateOptions::default()
                .set_indexed()
                .set_fast()
                .set_precision(DateTimePrecision::Microseconds),
        );
    }
    for f in NUMBER_FIELDS {
        b.add_u64_field(f, NumericOptions::default().set_indexed().set_fast());
    }
    let extras = b.add_json_field(
        "extras",
        JsonObjectOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("raw")
                    .set_index_option(IndexRecordOption::Basic),
            )
            // Fast, so that `extras_KEY:*` and `extras_KEY:[a TO b]` can be answered.
            .set_fast("raw"),
    );
    let dict = b.add_text_field("dict", STORED);
    let schema = b.build();
    Fields {
        schema,
        dict,
        extras,
    }
}

impl Fields {
    pub fn get(&self, name: &str) -> Option<Field> {
        self.schema.get_field(name).ok()
    }
}
