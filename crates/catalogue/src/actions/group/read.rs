//! Organizations and groups as readers see them: dicts, lists, shows, autocomplete.

use super::*;

pub(super) fn dataset_ids(conn: &mut AnyConnection, g: &GroupRow) -> QueryResult<Vec<String>> {
    if g.is_organization {
        packages::table
            .filter(packages::owner_org.eq(&g.id))
            .select(packages::id)
            .load(conn)
    } else {
        members::table
            .filter(members::group_id.eq(&g.id))
            .filter(members::table_name.eq("package"))
            .filter(members::state.eq("active"))
            .select(members::table_id)
            .load(conn)
    }
}

/// The group's active datasets that the actor may see, as a query: public ones, and private
/// ones of organizations the actor belongs to (all of them for sysadmins).
pub(super) fn visible_query<'a>(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    g: &'a GroupRow,
) -> Result<packages::BoxedQuery<'a, crate::store::conn::MultiBackend>> {
    let mut q = packages::table
        .filter(packages::state.eq("active"))
        .filter(packages::type_.eq("dataset"))
        .into_boxed();
    q = if g.is_organization {
        q.filter(packages::owner_org.eq(&g.id))
    } else {
        q.filter(
            packages::id.eq_any(
                members::table
                    .filter(members::group_id.eq(&g.id))
                    .filter(members::table_name.eq("package"))
                    .filter(members::state.eq("active"))
                    .select(members::table_id),
            ),
        )
    };
    if !ctx.actor.is_sysadmin() {
        let readable = authz::organizations_with_role(conn, ctx.actor, Role::Member)?;
        q = q.filter(
            packages::private
                .eq(false)
                .or(packages::owner_org.eq_any(readable)),
        );
    }
    Ok(q)
}

pub(super) struct ShowOptions {
    pub(super) package_count: bool,
    pub(super) extras: bool,
    pub(super) users: bool,
    pub(super) groups: bool,
    pub(super) datasets: bool,
}

pub(super) fn group_dict(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    g: &GroupRow,
    o: &ShowOptions,
) -> Result<Group> {
    let package_count = if o.package_count {
        Some(
            visible_query(conn, ctx, g)?
                .count()
                .get_result::<i64>(conn)?,
        )
    } else {
        None
    };
    let users = if o.users {
        Some(group_users(conn, g)?)
    } else {
        None
    };
    let packages = if o.datasets {
        let rows: Vec<PackageRow> = visible_query(conn, ctx, g)?
            .order(packages::metadata_modified.desc())
            .limit(10)
            .select(PackageRow::as_select())
            .load(conn)?;
        Some(package_dicts(conn, rows)?)
    } else {
        None
    };
    Ok(Group {
        approval_status: g.approval_status.clone(),
        created: ckan_time(&g.created),
        description: g.description.clone(),
        display_name: display_name(&g.title, &g.name),
        id: g.id.clone(),
        image_display_url: g.image_url.clone(),
        image_url: g.image_url.clone(),
        is_organization: g.is_organization,
        name: g.name.clone(),
        num_followers: 0,
        package_count,
        state: g.state.clone(),
        title: g.title.clone(),
        type_: group_type(g).into(),
        extras: o.extras.then(|| super::super::load::extras_of(&g.extras)),
        packages,
        users,
        groups: o.groups.then(Vec::new),
    })
}

pub(super) fn group_users(conn: &mut AnyConnection, g: &GroupRow) -> Result<Vec<User>> {
    let rows: Vec<(UserRow, String)> = members::table
        .inner_join(users::table.on(users::id.eq(members::table_id)))
        .filter(members::group_id.eq(&g.id))
        .filter(members::table_name.eq("user"))
        .filter(members::state.eq("active"))
        .filter(users::state.eq("active"))
        .order(users::name.asc())
        .select((UserRow::as_select(), members::capacity))
        .load(conn)?;
    rows.into_iter()
        .map(|(u, cap)| {
            let mut d = user_dict(conn, &u, false)?;
            d.capacity = Some(cap);
            Ok(d)
        })
        .collect()
}

pub(super) fn list(ctx: &Ctx, input: GroupList, kind: Kind) -> Result<Value> {
    let all_fields = input.all_fields;
    let max = ctx.cat.config.list_max;
    let default_limit = if all_fields { 25 } else { max };
    let limit = input.limit.unwrap_or(default_limit).min(max) as usize;
    let offset = input.offset as usize;
    let q = input.q.unwrap_or_default();
    let sort = input.sort;
    let include_count = input.include_dataset_count;
    let include_extras = input.include_extras;
    let (sort_field, desc) = match sort.split_whitespace().collect::<Vec<_>>().as_slice() {
        [f] => (f.to_string(), false),
        [f, d] => (f.to_string(), *d == "desc"),
        _ => ("title".into(), false),
    };
    if !["name", "title", "package_count"].contains(&sort_field.as_str()) {
        return Err(FieldErrors::single(
            "sort",
            format!("Cannot sort by field `{sort_field}`"),
        ));
    }
    ctx.cat.db.read(|c| {
        let rows: Vec<GroupRow> = groups::table
            .filter(groups::is_organization.eq(kind.is_org()))
            .filter(groups::state.eq("active"))
            .select(GroupRow::as_select())
            .load(c)?;
        let needle = fold_diacritics(&q).to_lowercase();
        let rows: Vec<GroupRow> = rows
            .into_iter()
            .filter(|g| {
                needle.is_empty()
                    || fold_diacritics(&format!("{} {}", g.name, g.title))
                        .to_lowercase()
                        .contains(&needle)
            })
            .collect();
        let opts = ShowOptions {
            package_count: include_count || sort_field == "package_count",
            extras: include_extras,
            users: false,
            groups: false,
            datasets: false,
        };
        let mut dicts: Vec<Group> = rows
            .iter()
            .map(|g| group_dict(c, ctx, g, &opts))
            .collect::<Result<_>>()?;
        dicts.sort_by(|a, b| {
            let ord = match sort_field.as_str() {
                "name" => a.name.cmp(&b.name),
                "package_count" => a.package_count.cmp(&b.package_count),
                _ => a
                    .title
                    .to_lowercase()
                    .cmp(&b.title.to_lowercase())
                    .then(a.name.cmp(&b.name)),
            };
            if desc {
                ord.reverse()
            } else {
                ord
            }
        });
        let page = dicts.into_iter().skip(offset).take(limit);
        if all_fields {
            let v: Vec<Group> = page
                .map(|mut g| {
                    if !include_count {
                        g.package_count = None;
                    }
                    g
                })
                .collect();
            to_value(&v)
        } else {
            to_value(&page.map(|g| g.name).collect::<Vec<_>>())
        }
    })
}

pub(super) fn show(ctx: &Ctx, input: GroupShow, kind: Kind) -> Result<Value> {
    let id = input.id;
    let opts = ShowOptions {
        package_count: true,
        extras: input.include_extras,
        users: input.include_users,
        groups: input.include_groups,
        datasets: input.include_datasets,
    };
    ctx.cat.db.read(|c| {
        let g = find_group(c, &id, Some(kind.is_org()))?.ok_or(Error::NotFound(None))?;
        if g.state != "active" && !authz::has_role(c, ctx.actor, &g.id, Role::Admin)? {
            return Err(Error::denied(
                ctx.actor.name(),
                &format!("read group {}", g.id),
            ));
        }
        to_value(&group_dict(c, ctx, &g, &opts)?)
    })
}

pub(super) fn autocomplete(ctx: &Ctx, input: Autocomplete, kind: Kind) -> Result<Value> {
    let q = input.q.unwrap_or_default();
    let limit = input.limit.unwrap_or(20) as usize;
    let needle = fold_diacritics(q.trim()).to_lowercase();
    let rows: Vec<GroupRow> = ctx.cat.db.read(|c| {
        groups::table
            .filter(groups::is_organization.eq(kind.is_org()))
            .filter(groups::state.eq("active"))
            .order(groups::name.asc())
            .select(GroupRow::as_select())
            .load(c)
    })?;
    let out: Vec<Value> = rows
        .into_iter()
        .filter(|g| {
            !needle.is_empty()
                && fold_diacritics(&format!("{} {}", g.name, g.title))
                    .to_lowercase()
                    .contains(&needle)
        })
        .take(limit)
        .map(|g| json!({"id": g.id, "name": g.name, "title": g.title}))
        .collect();
    Ok(Value::Array(out))
}
