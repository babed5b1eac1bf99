//! The OpenAPI 3.1 document, written from [`ROUTES`]: the paths and methods are the router's
//! own, so the document can't describe a route that isn't there or miss one that is.

use super::auth::Access;
use super::routes::ROUTES;
use serde_json::{Map, Value, json};

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn operation(route: &super::routes::Route) -> Value {
    let mut op = Map::new();
    op.insert("summary".into(), json!(route.summary));
    op.insert("operationId".into(), json!(format!("{:?}", route.endpoint)));
    if route.access == Access::Public {
        op.insert("security".into(), json!([]));
    } else {
        op.insert("x-onair-access".into(), json!(route.access.as_str()));
    }
    if route.path.contains("{id}") {
        op.insert(
            "parameters".into(),
            json!([{
                "name": "id", "in": "path", "required": true,
                "description": "destinationId (or a unique prefix of 4+ characters, or the name)",
                "schema": { "type": "string" }
            }]),
        );
    }
    if let Some(body) = route.body {
        op.insert(
            "requestBody".into(),
            json!({
                "required": true,
                "content": { "application/json": {
                    "schema": { "$ref": format!("#/components/schemas/{body}") } } }
            }),
        );
    }
    let mut responses = Map::new();
    let content = if route.path == "/api/events" {
        json!({ "text/event-stream": {} })
    } else if route.path == "/" {
        json!({ "text/html": {} })
    } else {
        json!({ "application/json": {} })
    };
    responses.insert(
        route.ok.to_string(),
        json!({ "description": "done", "content": content }),
    );
    if route.access != Access::Public {
        responses.insert("401".into(), error_response("no token, or an unknown one"));
        responses.insert(
            "403".into(),
            error_response("the token's role can't do this, or read-only mode"),
        );
        responses.insert(
            "429".into(),
            error_response("rate limited: see Retry-After"),
        );
    }
    if route.path.contains("{id}") {
        responses.insert("404".into(), error_response("no such destination"));
    }
    if route.access == Access::Operate {
        responses.insert(
            "400".into(),
            error_response("a field breaks a rule (named), or an unknown field"),
        );
        responses.insert(
            "409".into(),
            error_response("an operation is under way (named), or another operator wrote first"),
        );
        responses.insert("413".into(), error_response("the body is too large"));
        responses.insert(
            "503".into(),
            error_response("AWS can't be reached: see Retry-After"),
        );
    }
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

pub fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for route in ROUTES {
        let entry = paths
            .entry(route.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(methods) = entry {
            methods.insert(route.method.to_ascii_lowercase(), operation(route));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "onair",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The seed's REST API over onair's engine: reads answer from the \
                            latest refresh (no AWS call); changes start an operation and return \
                            at once (its progress is on /api/events). Stream keys are never \
                            returned: `streamKey` is masked."
        },
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer",
                            "description": "a `read` or `operate` token from api_tokens_file" }
            },
            "schemas": {
                "AddDestination": {
                    "type": "object", "additionalProperties": false,
                    "required": ["name", "platform", "stream_key"],
                    "properties": {
                        "name": { "type": "string", "maxLength": 40 },
                        "platform": { "enum": ["youtube", "twitch", "linkedin", "facebook", "custom"] },
                        "rtmp_url": { "type": "string", "description": "rtmp:// or rtmps://; the platform's when empty" },
                        "stream_key": { "type": "string", "writeOnly": true },
                        "preset": { "type": "string", "default": "1080p30" }
                    }
                },
                "UpdateDestination": {
                    "type": "object", "additionalProperties": false,
                    "properties": {
                        "name": { "type": "string" },
                        "platform": { "type": "string" },
                        "rtmp_url": { "type": "string" },
                        "stream_key": { "type": "string", "writeOnly": true },
                        "preset": { "type": "string" },
                        "version": { "type": "integer", "description": "the version this change is based on" }
                    }
                },
                "Ids": {
                    "type": "object", "additionalProperties": false, "required": ["ids"],
                    "properties": { "ids": { "type": "array", "items": { "type": "string" } } }
                },
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": { "type": "string" },
                        "code": { "type": "string" },
                        "fields": { "type": "array", "items": { "type": "object",
                            "properties": { "field": { "type": "string" }, "rule": { "type": "string" } } } }
                    }
                }
            }
        }
    })
}
