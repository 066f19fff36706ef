//! The diesel schema, hand-written in types both backends share (see migrations/).

diesel::table! {
    users (id) {
        id -> Text,
        name -> Text,
        fullname -> Nullable<Text>,
        email -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        about -> Nullable<Text>,
        image_url -> Nullable<Text>,
        sysadmin -> Bool,
        state -> Text,
        created -> Timestamp,
        last_active -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_access -> Nullable<Timestamp>,
    }
}

diesel::table! {
    groups (id) {
        id -> Text,
        name -> Text,
        title -> Text,
        description -> Text,
        image_url -> Text,
        is_organization -> Bool,
        approval_status -> Text,
        state -> Text,
        created -> Timestamp,
        extras -> Text,
    }
}

diesel::table! {
    packages (id) {
        id -> Text,
        name -> Text,
        title -> Nullable<Text>,
        #[sql_name = "type"]
        type_ -> Text,
        state -> Text,
        private -> Bool,
        owner_org -> Nullable<Text>,
        author -> Nullable<Text>,
        author_email -> Nullable<Text>,
        maintainer -> Nullable<Text>,
        maintainer_email -> Nullable<Text>,
        license_id -> Nullable<Text>,
        notes -> Nullable<Text>,
        url -> Nullable<Text>,
        version -> Nullable<Text>,
        creator_user_id -> Nullable<Text>,
        metadata_created -> Timestamp,
        metadata_modified -> Timestamp,
        extras -> Text,
    }
}

diesel::table! {
    members (id) {
        id -> Text,
        group_id -> Text,
        table_name -> Text,
        table_id -> Text,
        capacity -> Text,
        state -> Text,
    }
}

diesel::table! {
    resources (id) {
        id -> Text,
        package_id -> Text,
        position -> Integer,
        url -> Text,
        name -> Nullable<Text>,
        description -> Nullable<Text>,
        format -> Nullable<Text>,
        mimetype -> Nullable<Text>,
        mimetype_inner -> Nullable<Text>,
        hash -> Text,
        size -> Nullable<BigInt>,
        last_modified -> Nullable<Timestamp>,
        cache_url -> Nullable<Text>,
        cache_last_updated -> Nullable<Timestamp>,
        resource_type -> Nullable<Text>,
        url_type -> Nullable<Text>,
        created -> Timestamp,
        metadata_modified -> Nullable<Timestamp>,
        extras -> Text,
    }
}

diesel::table! {
    tags (id) {
        id -> Text,
        name -> Text,
    }
}

diesel::table! {
    package_tags (package_id, tag_id) {
        package_id -> Text,
        tag_id -> Text,
    }
}

diesel::table! {
    change_feed (seq) {
        seq -> BigInt,
        package_id -> Text,
        kind -> Text,
        changed_at -> Timestamp,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(members -> groups (group_id));
diesel::joinable!(resources -> packages (package_id));
diesel::joinable!(package_tags -> packages (package_id));
diesel::joinable!(package_tags -> tags (tag_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    api_tokens,
    groups,
    packages,
    members,
    resources,
    tags,
    package_tags,
    change_feed,
);

diesel::table! {
    resource_files (resource_id, version) {
        resource_id -> Text,
        version -> Integer,
        storage_key -> Text,
        filename -> Text,
        size -> BigInt,
        sha256 -> Text,
        mimetype -> Text,
        created -> Timestamp,
    }
}

diesel::table! {
    file_trash (storage_key) {
        storage_key -> Text,
        trashed_at -> Timestamp,
    }
}
