-- One membership per (group, object): concurrent member_create, package_update and
-- organization_member_create calls upsert it instead of adding a second row.
DELETE FROM members
WHERE id NOT IN (SELECT MIN(id) FROM members GROUP BY group_id, table_name, table_id);
CREATE UNIQUE INDEX members_unique ON members(group_id, table_name, table_id);
