DROP INDEX packages_recent;
DROP INDEX packages_listing;
