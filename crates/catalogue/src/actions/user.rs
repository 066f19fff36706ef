//! Users and API tokens: user_show, user_list, user_create, user_update, user_delete,
//! api_token_create, api_token_list, api_token_revoke; token authentication.
//! Passwords are argon2 hashes; tokens are stored only as SHA-256 hashes and shown once.

use super::inputs::{
    ApiTokenCreate, ApiTokenList, ApiTokenRevoke, ById, IdOrName, UserCreate, UserDict, UserList,
    UserShow,
};
use super::load::user_dict;
use super::{to_value, Ctx};
use crate::actor::{Actor, AuthUser};
use crate::authz;
use crate::dict::{ckan_time, ApiToken, NewApiToken};
use crate::error::{Error, FieldErrors, Result};
use crate::params;
use crate::store::rows::{ApiTokenRow, UserRow};
use crate::store::schema::{api_tokens, members, users};
use crate::store::AnyConnection;
use crate::validate;
use crate::Catalogue;
use base64::Engine;
use diesel::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const PASSWORD_MIN: usize = 8;
/// `last_active` is refreshed on token use at most this often, to keep reads write-free.
const LAST_ACTIVE_EVERY_MINUTES: i64 = 10;

fn find_user(conn: &mut AnyConnection, id_or_name: &str) -> Result<Option<UserRow>> {
    Ok(super::load::find_user(conn, id_or_name)?)
}

fn is_self_or_sysadmin(actor: &Actor, user: &UserRow) -> bool {
    actor.is_sysadmin() || actor.user_id() == Some(user.id.as_str())
}

pub fn user_show(ctx: &Ctx, input: UserShow) -> Result<Value> {
    let who = match input.id.filter(|s| !s.is_empty()) {
        Some(w) => w,
        None => ctx
            .actor
            .user_id()
            .map(str::to_string)
            .ok_or_else(|| FieldErrors::single("id", "Missing value"))?,
    };
    ctx.cat.db.read(|c| {
        let u = find_user(c, &who)?.ok_or_else(|| Error::not_found("User not found"))?;
        if u.state == "deleted" && !ctx.actor.is_sysadmin() {
            return Err(Error::NotFound(None));
        }
        to_value(&user_dict(c, &u, is_self_or_sysadmin(ctx.actor, &u))?)
    })
}

pub fn user_list(ctx: &Ctx, input: UserList) -> Result<Value> {
    let q = input.q.unwrap_or_default().to_lowercase();
    let limit = input.limit.unwrap_or(ctx.cat.config.list_max);
    let offset = input.offset;
    let all_fields = input.all_fields;
    let order_by_created = input.order_by == "created";
    ctx.cat.db.read(|c| {
        let mut query = users::table
            .filter(users::state.eq("active"))
            .select(UserRow::as_select())
            .into_boxed();
        query = if order_by_created {
            query.order(users::created.asc())
        } else {
            query.order(users::name.asc())
        };
        let rows: Vec<UserRow> = query.load(c)?;
        let rows = rows
            .into_iter()
            .filter(|u| {
                q.is_empty()
                    || u.name.contains(&q)
                    || u.fullname
                        .as_deref()
                        .is_some_and(|f| f.to_lowercase().contains(&q))
            })
            .skip(offset as usize)
            .take(limit as usize);
        if !all_fields {
            return to_value(&rows.map(|u| u.name).collect::<Vec<_>>());
        }
        let dicts = rows
            .map(|u| user_dict(c, &u, ctx.actor.is_sysadmin()))
            .collect::<QueryResult<Vec<_>>>()?;
        to_value(&dicts)
    })
}

fn hash_password(pw: &str) -> Result<String> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(pw.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
}

/// Whether `pw` matches the stored argon2 hash.
pub fn verify_password(hash: &str, pw: &str) -> bool {
    use argon2::password_hash::{phc::PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(pw.as_bytes(), &h)
            .is_ok()
    })
}

fn user_name_problems(name: &str) -> Vec<String> {
    let mut v = validate::name_problems(name);
    v.retain(|m| m != "That name cannot be used");
    v
}

/// The fields user_create and `cong user add` share.
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub password: Option<String>,
    pub fullname: Option<String>,
    pub about: Option<String>,
    pub sysadmin: bool,
}

/// Creates a user without an authorization check: for the operator's `cong user add`.
pub fn add_user(cat: &Catalogue, u: NewUser) -> Result<UserRow> {
    let mut errs = FieldErrors::new();
    user_name_problems(&u.name)
        .into_iter()
        .for_each(|m| errs.add("name", m));
    if u.email.trim().is_empty() {
        errs.add("email", "Missing value");
    } else if !validate::is_valid_email(&u.email) {
        errs.add("email", format!("Email {} is not a valid format", u.email));
    }
    if let Some(pw) = &u.password {
        if pw.chars().count() < PASSWORD_MIN {
            errs.add(
                "password",
                format!("Your password must be {PASSWORD_MIN} characters or longer"),
            );
        }
    }
    errs.check()?;
    let password_hash = u.password.as_deref().map(hash_password).transpose()?;
    cat.db.write(|c| {
        if find_user(c, &u.name)?.is_some() {
            return Err(FieldErrors::single(
                "name",
                "That login name is not available.",
            ));
        }
        let row = UserRow {
            id: crate::new_id(),
            name: u.name.clone(),
            fullname: u.fullname.clone(),
            email: Some(u.email.clone()),
            password_hash: password_hash.clone(),
            about: u.about.clone(),
            image_url: None,
            sysadmin: u.sysadmin,
            state: "active".into(),
            created: crate::now(),
            last_active: None,
        };
        diesel::insert_into(users::table).values(&row).execute(c)?;
        Ok(row)
    })
}

pub fn user_create(ctx: &Ctx, input: UserCreate) -> Result<Value> {
    authz::require_sysadmin(ctx.actor, "create users")?;
    let mut errs = FieldErrors::new();
    let name = input.name.unwrap_or_default();
    if name.is_empty() {
        errs.add("name", "Missing value");
    }
    let password = input.password;
    if password.as_deref().unwrap_or("").is_empty() {
        errs.add("password", "Missing value");
    }
    let email = input.email.unwrap_or_default();
    if email.is_empty() {
        errs.add("email", "Missing value");
    }
    errs.check()?;
    let row = add_user(
        ctx.cat,
        NewUser {
            name,
            email,
            password,
            fullname: input.fullname,
            about: input.about,
            sysadmin: ctx.actor.is_sysadmin() && input.sysadmin,
        },
    )?;
    ctx.cat.db.read(|c| to_value(&user_dict(c, &row, true)?))
}

fn user_update_uncached(ctx: &Ctx, input: UserDict) -> Result<Value> {
    let p = input.into_params();
    let who = params::required_id(&p, "id")?;
    let new_password = params::text(&p, "password")?.filter(|s| !s.is_empty());
    if new_password
        .as_deref()
        .is_some_and(|pw| pw.chars().count() < PASSWORD_MIN)
    {
        return Err(FieldErrors::single(
            "password",
            format!("Your password must be {PASSWORD_MIN} characters or longer"),
        ));
    }
    let password_hash = new_password.as_deref().map(hash_password).transpose()?;
    ctx.cat.db.write(|c| {
        let mut u = find_user(c, &who)?.ok_or_else(|| Error::not_found("User not found"))?;
        if !is_self_or_sysadmin(ctx.actor, &u) {
            return Err(Error::denied(
                ctx.actor.name(),
                &format!("edit user {}", u.id),
            ));
        }
        let mut errs = FieldErrors::new();
        if let Some(email) = params::text(&p, "email")? {
            if !validate::is_valid_email(&email) {
                errs.add("email", format!("Email {email} is not a valid format"));
            }
            u.email = Some(email);
        }
        errs.check()?;
        if p.contains_key("fullname") {
            u.fullname = params::text(&p, "fullname")?;
        }
        if p.contains_key("about") {
            u.about = params::text(&p, "about")?;
        }
        if p.contains_key("image_url") {
            u.image_url = params::text(&p, "image_url")?;
        }
        if ctx.actor.is_sysadmin() && p.contains_key("sysadmin") {
            u.sysadmin = params::boolean(&p, "sysadmin", u.sysadmin)?;
        }
        if password_hash.is_some() {
            u.password_hash = password_hash.clone();
        }
        diesel::update(users::table.find(&u.id))
            .set(&u)
            .execute(c)?;
        to_value(&user_dict(c, &u, true)?)
    })
}

fn user_delete_uncached(ctx: &Ctx, input: ById) -> Result<Value> {
    let who = input.id_or_name("id")?;
    authz::require_sysadmin(ctx.actor, "delete users")?;
    ctx.cat.db.write(|c| {
        let u = find_user(c, &who)?.ok_or_else(|| Error::not_found("User not found"))?;
        diesel::update(users::table.find(&u.id))
            .set(users::state.eq("deleted"))
            .execute(c)?;
        diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(&u.id))).execute(c)?;
        diesel::delete(
            members::table
                .filter(members::table_name.eq("user"))
                .filter(members::table_id.eq(&u.id)),
        )
        .execute(c)?;
        Ok(Value::Null)
    })
}

fn random_urlsafe() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Creates a token for `user` without an authorization check: for `cong token create`.
pub fn issue_token(cat: &Catalogue, user: &str, label: &str) -> Result<NewApiToken> {
    let token = random_urlsafe()?;
    let id = random_urlsafe()?;
    cat.db.write(|c| {
        let u = find_user(c, user)?
            .filter(|u| u.state == "active")
            .ok_or_else(|| Error::not_found("User not found"))?;
        let row = ApiTokenRow {
            id: id.clone(),
            user_id: u.id,
            name: label.to_string(),
            token_hash: token_hash(&token),
            created_at: crate::now(),
            last_access: None,
        };
        diesel::insert_into(api_tokens::table)
            .values(&row)
            .execute(c)?;
        Ok(NewApiToken {
            token: token.clone(),
            id: id.clone(),
        })
    })
}

pub fn api_token_create(ctx: &Ctx, input: ApiTokenCreate) -> Result<Value> {
    let ApiTokenCreate { user, name } = input;
    let target = ctx
        .cat
        .db
        .read(|c| find_user(c, &user))?
        .ok_or_else(|| Error::not_found("User not found"))?;
    if !is_self_or_sysadmin(ctx.actor, &target) {
        return Err(Error::denied(
            ctx.actor.name(),
            &format!("create API tokens for user {}", target.id),
        ));
    }
    to_value(&issue_token(ctx.cat, &target.id, &name)?)
}

pub fn api_token_list(ctx: &Ctx, input: ApiTokenList) -> Result<Value> {
    let who = input
        .user_id
        .or(input.user)
        .or_else(|| ctx.actor.user_id().map(str::to_string))
        .ok_or_else(|| FieldErrors::single("user_id", "Missing value"))?;
    ctx.cat.db.read(|c| {
        let u = find_user(c, &who)?.ok_or_else(|| Error::not_found("User not found"))?;
        if !is_self_or_sysadmin(ctx.actor, &u) {
            return Err(Error::denied(
                ctx.actor.name(),
                &format!("list API tokens of user {}", u.id),
            ));
        }
        let rows: Vec<ApiTokenRow> = api_tokens::table
            .filter(api_tokens::user_id.eq(&u.id))
            .order(api_tokens::created_at.asc())
            .select(ApiTokenRow::as_select())
            .load(c)?;
        let list: Vec<ApiToken> = rows
            .into_iter()
            .map(|r| ApiToken {
                id: r.id,
                name: r.name,
                user_id: r.user_id,
                created_at: ckan_time(&r.created_at),
                last_access: r.last_access.as_ref().map(ckan_time),
            })
            .collect();
        to_value(&list)
    })
}

fn api_token_revoke_uncached(ctx: &Ctx, input: ApiTokenRevoke) -> Result<Value> {
    let by_token = input.token.filter(|s| !s.is_empty());
    let by_jti = input.jti.filter(|s| !s.is_empty());
    if by_token.is_none() && by_jti.is_none() {
        return Err(FieldErrors::single("token", "Missing value"));
    }
    authz::require_user(ctx.actor, "revoke API tokens")?;
    ctx.cat.db.write(|c| {
        let row: ApiTokenRow = match (&by_token, &by_jti) {
            (Some(t), _) => api_tokens::table
                .filter(api_tokens::token_hash.eq(token_hash(t)))
                .select(ApiTokenRow::as_select())
                .first(c)
                .optional()?,
            (None, Some(j)) => api_tokens::table
                .find(j)
                .select(ApiTokenRow::as_select())
                .first(c)
                .optional()?,
            (None, None) => None,
        }
        .ok_or_else(|| Error::not_found("API token not found"))?;
        if !ctx.actor.is_sysadmin() && ctx.actor.user_id() != Some(row.user_id.as_str()) {
            return Err(Error::denied(ctx.actor.name(), "revoke this API token"));
        }
        diesel::delete(api_tokens::table.find(&row.id)).execute(c)?;
        Ok(Value::Null)
    })
}

/// Resolves an API token to its user. Unknown, revoked or deleted-user tokens are anonymous,
/// as in CKAN (never a 401).
pub fn authenticate(cat: &Catalogue, token: &str) -> Result<Actor> {
    let token = token.trim();
    if token.is_empty() {
        return Ok(Actor::Anonymous);
    }
    let hash = token_hash(token);
    if let Some(actor) = cat.tokens.get(&hash) {
        return Ok(actor);
    }
    let found: Option<UserRow> = cat.db.read(|c| {
        api_tokens::table
            .inner_join(users::table)
            .filter(api_tokens::token_hash.eq(&hash))
            .filter(users::state.eq("active"))
            .select(UserRow::as_select())
            .first(c)
            .optional()
    })?;
    let Some(u) = found else {
        return Ok(Actor::Anonymous);
    };
    let now = crate::now();
    if u.last_active
        .is_none_or(|t| now - t > chrono::Duration::minutes(LAST_ACTIVE_EVERY_MINUTES))
    {
        cat.db.write(|c| {
            diesel::update(users::table.find(&u.id))
                .set(users::last_active.eq(Some(now)))
                .execute(c)
        })?;
    }
    let actor = Actor::User(AuthUser {
        id: u.id,
        name: u.name,
        sysadmin: u.sysadmin,
    });
    cat.tokens.put(hash, actor.clone());
    Ok(actor)
}

pub fn user_update(ctx: &Ctx, input: UserDict) -> Result<Value> {
    let done = user_update_uncached(ctx, input);
    // Whatever a token stood for may have changed.
    ctx.cat.tokens.clear();
    done
}

pub fn user_delete(ctx: &Ctx, input: ById) -> Result<Value> {
    let done = user_delete_uncached(ctx, input);
    // Whatever a token stood for may have changed.
    ctx.cat.tokens.clear();
    done
}

pub fn api_token_revoke(ctx: &Ctx, input: ApiTokenRevoke) -> Result<Value> {
    let done = api_token_revoke_uncached(ctx, input);
    // Whatever a token stood for may have changed.
    ctx.cat.tokens.clear();
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip() {
        let h = hash_password("Mat-khau-12345").expect("hash");
        assert!(h.starts_with("$argon2"));
        assert!(verify_password(&h, "Mat-khau-12345"));
        assert!(!verify_password(&h, "wrong-password"));
    }

    #[test]
    fn tokens_are_hashed() {
        let t = random_urlsafe().expect("random");
        assert_eq!(t.len(), 43);
        assert_eq!(token_hash(&t).len(), 64);
        assert_ne!(token_hash(&t), t);
    }
}
