//! Site actions: status_show, help_show, license_list.

use super::inputs::{HelpShow, NoInput};
use super::{to_value, Ctx};
use crate::error::{Error, Result};
use serde_json::{json, Value};

pub fn status_show(ctx: &Ctx, _: NoInput) -> Result<Value> {
    let c = &ctx.cat.config;
    Ok(json!({
        "site_title": c.site_title,
        "site_description": c.site_description,
        "site_url": c.site_url,
        "error_emails_to": "",
        "locale_default": c.locale_default,
        "extensions": [],
        "ckan_version": "2.12.0",
    }))
}

pub fn help_show(_ctx: &Ctx, input: HelpShow) -> Result<Value> {
    let name = input.name;
    let action = super::find(&name)
        .ok_or_else(|| Error::not_found(&format!("Action function not found: {name}")))?;
    let mut doc = format!("{}\n\n", action.summary);
    for param in (action.params)() {
        doc.push_str(&format!(
            ":param {}: {} ({}{})\n",
            param.name,
            param.doc,
            param.ty,
            if param.required { ", required" } else { "" }
        ));
    }
    Ok(Value::String(doc))
}

pub fn license_list(_ctx: &Ctx, _: NoInput) -> Result<Value> {
    to_value(&crate::license::all())
}
