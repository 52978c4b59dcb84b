//! `/api/docs`: the document as a page people read. Built from the served JSON itself, so the
//! page and the document cannot disagree; askama escapes every string.

use askama::Template;
use serde_json::{Map, Value};

#[derive(Template)]
#[template(path = "api/docs_page.html")]
struct DocsPage {
    title: String,
    version: String,
    description: Prose,
    sections: Vec<Section>,
    schemas: Vec<SchemaView>,
}

/// The operations of one tag.
struct Section {
    name: String,
    description: Prose,
    operations: Vec<OperationView>,
}

struct OperationView {
    anchor: String,
    method: String,
    path: String,
    summary: Prose,
    description: Prose,
    auth: String,
    parameters: Vec<ParameterView>,
    request: Vec<BodyView>,
    responses: Vec<ResponseView>,
}

struct ParameterView {
    name: String,
    location: String,
    required: bool,
    kind: TypeView,
    description: Prose,
}

struct BodyView {
    content_type: String,
    kind: TypeView,
}

struct ResponseView {
    status: String,
    description: Prose,
    bodies: Vec<BodyView>,
}

struct SchemaView {
    name: String,
    description: Prose,
    kind: TypeView,
    properties: Vec<PropertyView>,
    /// The alternatives of a `oneOf` of objects, each with its own fields.
    variants: Vec<Vec<PropertyView>>,
}

struct PropertyView {
    name: String,
    required: bool,
    kind: TypeView,
    description: Prose,
}

/// Text with `code` spans, as the doc comments write it: the template shows the code parts in
/// `<code>`, and escapes every part.
struct Prose {
    parts: Vec<(bool, String)>,
}

impl Prose {
    fn new(text: &str) -> Self {
        let mut parts = Vec::new();
        for (i, part) in text.split('`').enumerate() {
            if !part.is_empty() {
                parts.push((i % 2 == 1, part.to_string()));
            }
        }
        Prose { parts }
    }

    fn of(value: &Value) -> Self {
        Prose::new(value.as_str().unwrap_or_default())
    }

    fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

/// A type as text, with the schema it names (for a link to its entry), if any.
struct TypeView {
    text: String,
    link: Option<String>,
}

/// Renders the page; a template error (which askama checks at compile time) gives a plain
/// page saying so rather than a panic.
pub fn render(doc: &Value) -> String {
    let page = DocsPage {
        title: text(&doc["info"]["title"]),
        version: text(&doc["openapi"]),
        description: Prose::of(&doc["info"]["description"]),
        sections: sections(doc),
        schemas: schemas(doc),
    };
    page.render()
        .unwrap_or_else(|e| format!("the reference could not be rendered: {e}"))
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

fn sections(doc: &Value) -> Vec<Section> {
    let mut sections: Vec<Section> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|tag| Section {
            name: text(&tag["name"]),
            description: Prose::of(&tag["description"]),
            operations: Vec::new(),
        })
        .collect();
    let empty = Map::new();
    for (path, item) in doc["paths"].as_object().unwrap_or(&empty) {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let view = operation_view(method, path, operation);
            let tag = operation["tags"][0].as_str().unwrap_or("other");
            match sections.iter_mut().find(|s| s.name == tag) {
                Some(section) => section.operations.push(view),
                None => sections.push(Section {
                    name: tag.to_string(),
                    description: Prose::new(""),
                    operations: vec![view],
                }),
            }
        }
    }
    sections.retain(|s| !s.operations.is_empty());
    sections
}

fn operation_view(method: &str, path: &str, op: &Value) -> OperationView {
    let auth: Vec<String> = op["security"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|requirement| match requirement.as_object() {
            Some(schemes) if !schemes.is_empty() => {
                schemes.keys().cloned().collect::<Vec<_>>().join(" + ")
            }
            _ => "none".to_string(),
        })
        .collect();
    OperationView {
        anchor: text(&op["operationId"]),
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        summary: Prose::of(&op["summary"]),
        description: Prose::of(&op["description"]),
        auth: if auth.is_empty() {
            "none".to_string()
        } else {
            auth.join(" or ")
        },
        parameters: op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| ParameterView {
                name: text(&p["name"]),
                location: text(&p["in"]),
                required: p["required"].as_bool().unwrap_or(false),
                kind: type_of(&p["schema"]),
                description: Prose::of(&p["description"]),
            })
            .collect(),
        request: bodies(&op["requestBody"]["content"]),
        responses: op["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(status, response)| ResponseView {
                status: status.clone(),
                description: Prose::of(&response["description"]),
                bodies: bodies(&response["content"]),
            })
            .collect(),
    }
}

fn bodies(content: &Value) -> Vec<BodyView> {
    content
        .as_object()
        .into_iter()
        .flatten()
        .map(|(content_type, media)| BodyView {
            content_type: content_type.clone(),
            kind: type_of(&media["schema"]),
        })
        .collect()
}

fn schemas(doc: &Value) -> Vec<SchemaView> {
    doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, schema)| SchemaView {
            name: name.clone(),
            description: Prose::of(&schema["description"]),
            kind: type_of(schema),
            properties: properties(schema),
            variants: schema["oneOf"]
                .as_array()
                .into_iter()
                .flatten()
                .map(properties)
                .filter(|fields| !fields.is_empty())
                .collect(),
        })
        .collect()
}

/// The properties of an object schema, with those of the schemas it is made of (`allOf`,
/// which is how a flattened struct appears).
fn properties(schema: &Value) -> Vec<PropertyView> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut list: Vec<PropertyView> = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, property)| PropertyView {
            name: name.clone(),
            required: required.contains(&name.as_str()),
            kind: type_of(property),
            description: Prose::new(&description_of(property)),
        })
        .collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        list.extend(properties(part));
    }
    list
}

/// A property's description, also when it sits in an `allOf` or `oneOf` wrapper.
fn description_of(schema: &Value) -> String {
    if let Some(d) = schema["description"].as_str() {
        return d.to_string();
    }
    for key in ["allOf", "oneOf"] {
        for part in schema[key].as_array().into_iter().flatten() {
            if let Some(d) = part["description"].as_str() {
                return d.to_string();
            }
        }
    }
    String::new()
}

/// `string`, `integer (int64)`, `array of AttachmentAnswer`, `Priority or null`, `"a" | "b"`.
fn type_of(schema: &Value) -> TypeView {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference
            .rsplit('/')
            .next()
            .unwrap_or(reference)
            .to_string();
        return TypeView {
            text: name.clone(),
            link: Some(name),
        };
    }
    if let Some(values) = schema["enum"].as_array() {
        let names: Vec<String> = values.iter().map(Value::to_string).collect();
        return plain(names.join(" | "));
    }
    if let Some(reference) = schema["contentSchema"]["$ref"].as_str() {
        let name = reference
            .rsplit('/')
            .next()
            .unwrap_or(reference)
            .to_string();
        return TypeView {
            text: format!("string: the JSON of {name}"),
            link: Some(name),
        };
    }
    if let Some(value) = schema.get("const") {
        return plain(format!("always {value}"));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(parts) = schema[key].as_array() {
            let kinds: Vec<TypeView> = parts
                .iter()
                .map(type_of)
                .filter(|k| !k.text.is_empty())
                .collect();
            let link = kinds.iter().find_map(|k| k.link.clone());
            let joiner = if key == "allOf" { " and " } else { " or " };
            let text = kinds
                .into_iter()
                .map(|k| k.text)
                .collect::<Vec<_>>()
                .join(joiner);
            return TypeView { text, link };
        }
    }
    let kinds: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let nullable = kinds.contains(&"null");
    let main = kinds.iter().copied().find(|k| *k != "null").unwrap_or("");
    let mut view = match main {
        "array" => {
            let item = type_of(&schema["items"]);
            TypeView {
                text: format!("array of {}", item.text),
                link: item.link,
            }
        }
        "" if schema.as_object().is_some_and(|o| o.is_empty()) => plain("any JSON".into()),
        "" => plain(String::new()),
        kind => match schema["format"].as_str() {
            Some(format) => plain(format!("{kind} ({format})")),
            None => plain(kind.to_string()),
        },
    };
    if nullable {
        view.text = if view.text.is_empty() {
            "null".into()
        } else {
            format!("{} or null", view.text)
        };
    }
    view
}

fn plain(text: String) -> TypeView {
    TypeView { text, link: None }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::render;

    #[test]
    fn every_string_of_the_document_is_escaped() {
        let hostile = "<script>alert(1)</script>\"'&";
        let doc = json!({
            "openapi": "3.1.0",
            "info": { "title": hostile, "description": hostile },
            "tags": [{ "name": hostile, "description": hostile }],
            "paths": {
                "/api/x/{id}": {
                    "get": {
                        "tags": [hostile],
                        "operationId": hostile,
                        "summary": hostile,
                        "description": hostile,
                        "parameters": [{
                            "name": hostile, "in": "path", "required": true,
                            "description": hostile, "schema": { "enum": [hostile] }
                        }],
                        "responses": {
                            "200": {
                                "description": hostile,
                                "content": { "application/json": {
                                    "schema": { "$ref": "#/components/schemas/Evil<b>" }
                                } }
                            }
                        }
                    }
                }
            },
            "components": { "schemas": { "Evil<b>": {
                "description": hostile,
                "properties": { "x": { "type": "string", "description": hostile } }
            } } }
        });
        let page = render(&doc);
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("<b>"), "{page}");
        assert!(
            page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{page}"
        );
        assert!(page.contains("href=\"#schema-Evil&#60;b&#62;\""), "{page}");
    }

    #[test]
    fn types_read_as_words() {
        let doc = json!({
            "openapi": "3.1.0",
            "info": { "title": "t" },
            "paths": {},
            "components": { "schemas": { "Thing": {
                "type": "object",
                "required": ["a"],
                "properties": {
                    "a": { "type": "array", "items": { "$ref": "#/components/schemas/Other" } },
                    "b": { "type": ["integer", "null"], "format": "int64" },
                    "c": { "oneOf": [{ "type": "null" }, { "$ref": "#/components/schemas/Other" }] },
                    "d": { "type": "string", "enum": ["low", "high"] },
                    "e": {}
                }
            }, "Event": { "oneOf": [{
                "type": "object",
                "properties": {
                    "event": { "enum": ["message"] },
                    "data": { "type": "string", "contentSchema": { "$ref": "#/components/schemas/Other" } }
                }
            }] } } }
        });
        let page = render(&doc);
        for shown in [
            "<a href=\"#schema-Other\">array of Other</a>",
            "integer (int64) or null",
            "<a href=\"#schema-Other\">null or Other</a>",
            "&#34;low&#34; | &#34;high&#34;",
            "any JSON",
            "One of (1)",
            "<a href=\"#schema-Other\">string: the JSON of Other</a>",
        ] {
            assert!(page.contains(shown), "{shown} in {page}");
        }
    }
}
