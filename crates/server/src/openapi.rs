//! The OpenAPI document of the whole Action API, built from the catalogue's action table so
//! that a new action is documented the moment it is registered (`cong openapi`).

use catalogue::actions::{Kind, Returns, ACTIONS};
use catalogue::dict;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem,
    PathsBuilder, Ref, RefOr, Required, ResponseBuilder,
};

fn json_type(ty: &str) -> Type {
    match ty {
        "integer" => Type::Integer,
        "boolean" => Type::Boolean,
        "array" => Type::Array,
        "object" => Type::Object,
        _ => Type::String,
    }
}

fn result_schema(r: Returns) -> RefOr<Schema> {
    match r {
        Returns::Schema(name) => Ref::from_schema_name(name).into(),
        Returns::ListOf(name) => ArrayBuilder::new()
            .items(Ref::from_schema_name(name))
            .build()
            .into(),
        Returns::Names => ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::String))
            .build()
            .into(),
        Returns::Null => ObjectBuilder::new().schema_type(Type::Null).build().into(),
        Returns::Object => ObjectBuilder::new()
            .schema_type(Type::Object)
            .build()
            .into(),
    }
}

fn envelope(result: RefOr<Schema>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .property("help", ObjectBuilder::new().schema_type(Type::String))
        .property("success", ObjectBuilder::new().schema_type(Type::Boolean))
        .property("result", result)
        .required("help")
        .required("success")
        .required("result")
        .build()
        .into()
}

fn json_content(schema: RefOr<Schema>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn error_response(desc: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(desc)
        .content(
            "application/json",
            json_content(Ref::from_schema_name("ErrorEnvelope").into()),
        )
        .build()
}

/// The document `cong openapi` prints.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for a in ACTIONS {
        let ok = ResponseBuilder::new()
            .description("CKAN envelope with the result")
            .content(
                "application/json",
                json_content(envelope(result_schema(a.returns))),
            )
            .build();
        let op = |method: &str| {
            let mut b = OperationBuilder::new()
                .operation_id(Some(format!("{}_{method}", a.name)))
                .summary(Some(a.summary))
                .tag("action")
                .response("200", ok.clone())
                .response(
                    "400",
                    error_response("Bad request (bare string) or Search Query / Integrity Error"),
                )
                .response("403", error_response("Authorization Error"))
                .response("404", error_response("Not Found Error"))
                .response(
                    "409",
                    error_response("Validation Error: one key per field, each a list of messages"),
                );
            if method == "get" {
                for p in &(a.params)() {
                    b = b.parameter(
                        ParameterBuilder::new()
                            .name(p.name)
                            .parameter_in(ParameterIn::Query)
                            .required(if p.required {
                                Required::True
                            } else {
                                Required::False
                            })
                            .description(Some(p.doc))
                            .schema(Some(ObjectBuilder::new().schema_type(json_type(p.ty)))),
                    );
                }
            } else {
                let mut body = ObjectBuilder::new();
                for p in &(a.params)() {
                    body = body.property(
                        p.name,
                        ObjectBuilder::new()
                            .schema_type(json_type(p.ty))
                            .description(Some(p.doc)),
                    );
                    if p.required {
                        body = body.required(p.name);
                    }
                }
                b = b.request_body(Some(
                    RequestBodyBuilder::new()
                        .content("application/json", json_content(body.build().into()))
                        .build(),
                ));
            }
            b.build()
        };
        let mut item = PathItem::new(HttpMethod::Post, op("post"));
        if a.kind == Kind::Read {
            item.get = Some(op("get"));
        }
        paths = paths.path(format!("/api/3/action/{}", a.name), item);
    }
    let error_envelope = ObjectBuilder::new()
        .property("help", ObjectBuilder::new().schema_type(Type::String))
        .property("success", ObjectBuilder::new().schema_type(Type::Boolean))
        .property(
            "error",
            ObjectBuilder::new()
                .property("__type", ObjectBuilder::new().schema_type(Type::String))
                .property("message", ObjectBuilder::new().schema_type(Type::String)),
        )
        .build();
    let components = ComponentsBuilder::new()
        .schema_from::<dict::Package>()
        .schema_from::<dict::Resource>()
        .schema_from::<dict::OrganizationSummary>()
        .schema_from::<dict::GroupRef>()
        .schema_from::<dict::Tag>()
        .schema_from::<dict::Extra>()
        .schema_from::<dict::Group>()
        .schema_from::<dict::User>()
        .schema_from::<dict::Member>()
        .schema_from::<dict::TagShow>()
        .schema_from::<dict::ApiToken>()
        .schema_from::<dict::NewApiToken>()
        .schema_from::<dict::AutocompletePackage>()
        .schema_from::<dict::OrganizationForUser>()
        .schema_from::<catalogue::license::License>()
        .schema_from::<catalogue::files::FileVersion>()
        .schema("ErrorEnvelope", error_envelope)
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Cổng — CKAN Action API v3")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "CKAN-compatible Action API. Read actions accept GET with query parameters or POST; \
                     write actions need POST with a JSON body or a form. Authenticate with an API token in \
                     the Authorization header.",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components))
        .build()
}

/// The document as pretty JSON, ending in a newline (what `openapi/openapi.json` holds).
pub fn document_json() -> String {
    let mut s = document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/openapi.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        let current = super::document_json();
        if committed != current {
            if std::env::var("CONG_UPDATE_OPENAPI").is_ok() {
                std::fs::write(path, &current).expect("write openapi.json");
                return;
            }
            panic!("openapi/openapi.json is out of date: run `cargo run -p server -- openapi > openapi/openapi.json` (or CONG_UPDATE_OPENAPI=1 cargo test)");
        }
    }

    #[test]
    fn every_action_has_a_path() {
        let doc = super::document();
        for a in catalogue::actions::ACTIONS {
            assert!(
                doc.paths
                    .paths
                    .contains_key(&format!("/api/3/action/{}", a.name)),
                "{}",
                a.name
            );
        }
    }
}
