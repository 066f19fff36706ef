-- Uploaded files of resources: every version stays addressable (?version=N).
CREATE TABLE resource_files (
    resource_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    storage_key TEXT NOT NULL UNIQUE,
    filename TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    mimetype TEXT NOT NULL,
    created TIMESTAMP NOT NULL,
    PRIMARY KEY (resource_id, version)
);

-- Stored objects to delete once the transaction that released them has committed
-- (resource_delete, dataset_purge); emptied by the server, or by `cong files check --delete`.
CREATE TABLE file_trash (
    storage_key TEXT PRIMARY KEY NOT NULL,
    trashed_at TIMESTAMP NOT NULL
);
