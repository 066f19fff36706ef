//! Creating, changing, deleting and purging organizations and groups, and their members.

use super::*;

/// Validated fields of a group/organization dict.
pub(super) struct GroupInput {
    name: String,
    title: String,
    description: String,
    image_url: String,
    extras: Vec<Extra>,
    users: Option<Vec<(String, Role)>>,
}

pub(super) fn parse_group(
    conn: &mut AnyConnection,
    p: &Params,
    existing: Option<&GroupRow>,
) -> Result<GroupInput> {
    let mut errs = FieldErrors::new();
    let name = match (params::text(p, "name")?, existing) {
        (Some(n), _) if !n.is_empty() => n,
        (None, Some(e)) => e.name.clone(),
        _ => {
            errs.add("name", "Missing value");
            String::new()
        }
    };
    if !name.is_empty() {
        let problems = validate::name_problems(&name);
        if problems.is_empty() {
            let taken: Option<String> = groups::table
                .filter(groups::name.eq(&name))
                .select(groups::id)
                .first(conn)
                .optional()?;
            if taken.is_some_and(|id| existing.is_none_or(|e| e.id != id)) {
                errs.add("name", "Group name already exists in database");
            }
        } else {
            problems.into_iter().for_each(|m| errs.add("name", m));
        }
    }
    let keep = |key: &str, old: Option<&str>| -> Result<String> {
        Ok(match params::text(p, key)? {
            Some(v) => v,
            None if p.contains_key(key) => String::new(),
            None => old.unwrap_or("").to_string(),
        })
    };
    let title = keep("title", existing.map(|e| e.title.as_str()))?;
    let description = keep("description", existing.map(|e| e.description.as_str()))?;
    let image_url = keep("image_url", existing.map(|e| e.image_url.as_str()))?;
    let mut extras: Vec<Extra> = vec![];
    for item in params::list_of_objects(p, "extras")?.unwrap_or_default() {
        let key = item
            .get("key")
            .and_then(|v| params::value_text(v).ok().flatten())
            .unwrap_or_default();
        if key.is_empty() {
            errs.add("extras", "Missing value");
            continue;
        }
        let value = match item.get("value") {
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => String::new(),
            Some(v) => v.to_string(),
        };
        extras.push(Extra { key, value });
    }
    let users = match params::list_of_objects(p, "users")? {
        None => None,
        Some(list) => {
            let mut out = vec![];
            for u in list {
                let who = ["name", "id"]
                    .iter()
                    .find_map(|k| u.get(*k).and_then(Value::as_str))
                    .unwrap_or("")
                    .to_string();
                let cap = u
                    .get("capacity")
                    .and_then(Value::as_str)
                    .unwrap_or("member");
                match Role::parse(cap) {
                    Some(r) => out.push((who, r)),
                    None => errs.add("users", format!("Role {cap} does not exist")),
                }
            }
            Some(out)
        }
    };
    errs.check()?;
    Ok(GroupInput {
        name,
        title,
        description,
        image_url,
        extras,
        users,
    })
}

pub(super) fn find_user(conn: &mut AnyConnection, id_or_name: &str) -> Result<Option<UserRow>> {
    Ok(super::super::load::find_user(conn, id_or_name)?)
}

/// Sets `user`'s role in `group_id`, replacing any earlier one (an upsert: two concurrent
/// calls leave one membership, with the role of the later).
pub(crate) fn set_member(
    conn: &mut AnyConnection,
    group_id: &str,
    user_id: &str,
    role: Role,
) -> Result<MemberRow> {
    let m = MemberRow {
        id: crate::new_id(),
        group_id: group_id.to_string(),
        table_name: "user".into(),
        table_id: user_id.to_string(),
        capacity: role.as_str().into(),
        state: "active".into(),
    };
    crate::store::upsert_member(conn, &m)?;
    Ok(members::table
        .filter(members::group_id.eq(group_id))
        .filter(members::table_name.eq("user"))
        .filter(members::table_id.eq(user_id))
        .select(MemberRow::as_select())
        .first(conn)?)
}

pub(super) fn apply_users(
    conn: &mut AnyConnection,
    group_id: &str,
    list: &[(String, Role)],
) -> Result<()> {
    diesel::delete(
        members::table
            .filter(members::group_id.eq(group_id))
            .filter(members::table_name.eq("user")),
    )
    .execute(conn)?;
    for (who, role) in list {
        let u = find_user(conn, who)?.ok_or_else(|| Error::not_found("User not found"))?;
        set_member(conn, group_id, &u.id, *role)?;
    }
    Ok(())
}

/// Sysadmins may choose the id (ckanapi load keeps ids); others may not.
pub(super) fn chosen_id(conn: &mut AnyConnection, ctx: &Ctx, p: &Params) -> Result<String> {
    let Some(id) = params::text(p, "id")?.filter(|s| !s.trim().is_empty()) else {
        return Ok(crate::new_id());
    };
    if !ctx.actor.is_sysadmin() {
        return Err(FieldErrors::single(
            "id",
            "The input field id was not expected.",
        ));
    }
    if !crate::validate::is_valid_id(&id) {
        return Err(FieldErrors::single("id", crate::validate::ID_MESSAGE));
    }
    let taken: i64 = groups::table.find(&id).count().get_result(conn)?;
    if taken > 0 {
        return Err(FieldErrors::single("id", "Group id already exists"));
    }
    Ok(id)
}

pub(super) fn create(ctx: &Ctx, input: GroupDict, kind: Kind) -> Result<Value> {
    let p = input.into_params();
    match kind {
        Kind::Organization => authz::require_sysadmin(ctx.actor, "create organizations")?,
        Kind::Group => authz::require_user(ctx.actor, "create groups")?,
    }
    ctx.cat.db.write(|c| {
        let input = parse_group(c, &p, None)?;
        let id = chosen_id(c, ctx, &p)?;
        let row = GroupRow {
            id,
            name: input.name,
            title: input.title,
            description: input.description,
            image_url: input.image_url,
            is_organization: kind.is_org(),
            approval_status: "approved".into(),
            state: "active".into(),
            created: crate::now(),
            extras: serde_json::to_string(&input.extras).unwrap_or_else(|_| "[]".into()),
        };
        diesel::insert_into(groups::table).values(&row).execute(c)?;
        if let Some(list) = &input.users {
            apply_users(c, &row.id, list)?;
        }
        if let Some(uid) = ctx.actor.user_id() {
            set_member(c, &row.id, uid, Role::Admin)?;
        }
        let opts = ShowOptions {
            package_count: true,
            extras: true,
            users: true,
            groups: true,
            datasets: false,
        };
        to_value(&group_dict(c, ctx, &row, &opts)?)
    })
}

pub(super) fn update_with(ctx: &Ctx, id: &str, p: &Params, kind: Kind) -> Result<Value> {
    ctx.cat.db.write(|c| {
        let old = find_group(c, id, Some(kind.is_org()))?.ok_or_else(|| kind.not_found())?;
        if !authz::has_role(c, ctx.actor, &old.id, Role::Admin)? {
            return Err(Error::denied(
                ctx.actor.name(),
                &format!("edit {} {}", kind.noun(), old.id),
            ));
        }
        let input = parse_group(c, p, Some(&old))?;
        let row = GroupRow {
            name: input.name,
            title: input.title,
            description: input.description,
            image_url: input.image_url,
            extras: serde_json::to_string(&input.extras).unwrap_or_else(|_| "[]".into()),
            ..old.clone()
        };
        diesel::update(groups::table.find(&row.id))
            .set(&row)
            .execute(c)?;
        if let Some(list) = &input.users {
            apply_users(c, &row.id, list)?;
        }
        // Datasets embed their organization and groups: their dicts changed too.
        let ids = dataset_ids(c, &row)?;
        feed::append_all(c, &ids, ChangeKind::Changed)?;
        let opts = ShowOptions {
            package_count: true,
            extras: true,
            users: true,
            groups: true,
            datasets: false,
        };
        to_value(&group_dict(c, ctx, &row, &opts)?)
    })
}

pub(super) fn update(ctx: &Ctx, input: GroupDict, kind: Kind) -> Result<Value> {
    let p = input.into_params();
    let id = params::required_id(&p, "id")?;
    update_with(ctx, &id, &p, kind)
}

pub(super) fn patch(ctx: &Ctx, input: GroupDict, kind: Kind) -> Result<Value> {
    let p = input.into_params();
    let id = params::required_id(&p, "id")?;
    let current = show(ctx, GroupShow::parse(&json_params(&[("id", &id)]))?, kind)?;
    let mut merged: Map<String, Value> = current.as_object().cloned().unwrap_or_default();
    merged.remove("users");
    for (k, v) in p {
        merged.insert(k, v);
    }
    update_with(ctx, &id, &merged, kind)
}

pub(super) fn json_params(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect()
}

pub(super) fn delete(ctx: &Ctx, input: ById, kind: Kind) -> Result<Value> {
    let id = input.id_or_name("id")?;
    ctx.cat.db.write(|c| {
        let g = find_group(c, &id, Some(kind.is_org()))?.ok_or_else(|| kind.not_found())?;
        if !authz::has_role(c, ctx.actor, &g.id, Role::Admin)? {
            return Err(Error::denied(
                ctx.actor.name(),
                &format!("delete {} {}", kind.noun(), g.id),
            ));
        }
        let ids = dataset_ids(c, &g)?;
        if kind.is_org() {
            let live: i64 = packages::table
                .filter(packages::id.eq_any(&ids))
                .filter(packages::state.ne("deleted"))
                .count()
                .get_result(c)?;
            if live > 0 {
                return Err(FieldErrors::single_message(
                    "Organization cannot be deleted while it still has datasets",
                ));
            }
        }
        diesel::update(groups::table.find(&g.id))
            .set(groups::state.eq("deleted"))
            .execute(c)?;
        feed::append_all(c, &ids, ChangeKind::Changed)?;
        Ok(Value::Null)
    })
}

pub(super) fn purge(ctx: &Ctx, input: ById, kind: Kind) -> Result<Value> {
    let id = input.id_or_name("id")?;
    authz::require_sysadmin(ctx.actor, &format!("purge {}", kind.noun()))?;
    ctx.cat.db.write(|c| {
        let g = find_group(c, &id, Some(kind.is_org()))?.ok_or_else(|| kind.not_found())?;
        let ids = dataset_ids(c, &g)?;
        if kind.is_org() {
            // CKAN purges an organization's deleted datasets and refuses while live ones remain.
            let rows: Vec<PackageRow> = packages::table
                .filter(packages::id.eq_any(&ids))
                .select(PackageRow::as_select())
                .load(c)?;
            if rows.iter().any(|r| r.state != "deleted") {
                return Err(FieldErrors::single_message(
                    "Organization cannot be deleted while it still has datasets",
                ));
            }
            for r in rows {
                purge_package(c, &r.id)?;
            }
        }
        diesel::delete(members::table.filter(members::group_id.eq(&g.id))).execute(c)?;
        diesel::delete(groups::table.find(&g.id)).execute(c)?;
        if !kind.is_org() {
            feed::append_all(c, &ids, ChangeKind::Changed)?;
        }
        Ok(Value::Null)
    })
}
