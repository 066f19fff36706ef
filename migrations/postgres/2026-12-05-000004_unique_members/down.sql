DROP INDEX members_unique;
