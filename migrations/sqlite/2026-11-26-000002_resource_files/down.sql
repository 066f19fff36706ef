DROP TABLE file_trash;
DROP TABLE resource_files;
