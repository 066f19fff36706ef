-- Cổng catalogue, PostgreSQL. Keep in step with ../../sqlite (same folder names, same columns).
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    fullname TEXT,
    email TEXT,
    password_hash TEXT,
    about TEXT,
    image_url TEXT,
    sysadmin BOOLEAN NOT NULL DEFAULT FALSE,
    state TEXT NOT NULL DEFAULT 'active',
    created TIMESTAMP NOT NULL,
    last_active TIMESTAMP
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_access TIMESTAMP
);
CREATE INDEX api_tokens_user_id ON api_tokens(user_id);

CREATE TABLE groups (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    image_url TEXT NOT NULL DEFAULT '',
    is_organization BOOLEAN NOT NULL,
    approval_status TEXT NOT NULL DEFAULT 'approved',
    state TEXT NOT NULL DEFAULT 'active',
    created TIMESTAMP NOT NULL,
    extras TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE packages (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    title TEXT,
    type TEXT NOT NULL DEFAULT 'dataset',
    state TEXT NOT NULL DEFAULT 'active',
    private BOOLEAN NOT NULL DEFAULT FALSE,
    owner_org TEXT REFERENCES groups(id),
    author TEXT,
    author_email TEXT,
    maintainer TEXT,
    maintainer_email TEXT,
    license_id TEXT,
    notes TEXT,
    url TEXT,
    version TEXT,
    creator_user_id TEXT,
    metadata_created TIMESTAMP NOT NULL,
    metadata_modified TIMESTAMP NOT NULL,
    extras TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX packages_owner_org ON packages(owner_org);
CREATE INDEX packages_modified ON packages(metadata_modified);

CREATE TABLE members (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    table_name TEXT NOT NULL,
    table_id TEXT NOT NULL,
    capacity TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'active'
);
CREATE INDEX members_group ON members(group_id, table_name);
CREATE INDEX members_object ON members(table_id, table_name);

CREATE TABLE resources (
    id TEXT PRIMARY KEY NOT NULL,
    package_id TEXT NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    name TEXT,
    description TEXT,
    format TEXT,
    mimetype TEXT,
    mimetype_inner TEXT,
    hash TEXT NOT NULL DEFAULT '',
    size BIGINT,
    last_modified TIMESTAMP,
    cache_url TEXT,
    cache_last_updated TIMESTAMP,
    resource_type TEXT,
    url_type TEXT,
    created TIMESTAMP NOT NULL,
    metadata_modified TIMESTAMP,
    extras TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX resources_package ON resources(package_id, position);

CREATE TABLE tags (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE package_tags (
    package_id TEXT NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    tag_id TEXT NOT NULL REFERENCES tags(id),
    PRIMARY KEY (package_id, tag_id)
);
CREATE INDEX package_tags_tag ON package_tags(tag_id);

-- The change feed: one row per write that changes what a dataset looks like, appended in the
-- writing transaction. The search index tails it by seq.
CREATE TABLE change_feed (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    package_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
