-- package_list and friends: public active datasets by name, answered from the index alone.
CREATE INDEX packages_listing ON packages(state, private, type, name);
CREATE INDEX packages_recent ON packages(state, private, type, metadata_modified);
