//! Checks JSON the emulator answers with against a botocore service model (a vendored copy under
//! `tests/integration/models/`): every member is one the shape declares, every required member is
//! there, each value has the shape's type (REST-JSON timestamps are epoch seconds), enums hold one
//! of their values, strings and lists keep their length bounds. Independent of the emulator's code.

use serde_json::Value;

/// A botocore model, read once.
pub struct Model {
    model: Value,
}

impl Model {
    /// `tests/integration/models/<file>`.
    pub fn load(file: &str) -> Self {
        let path = crate::dynamo::root()
            .join("tests/integration/models")
            .join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Self {
            model: serde_json::from_str(&text).expect("the model is JSON"),
        }
    }

    /// The output shape of `operation`.
    pub fn output_of(&self, operation: &str) -> String {
        self.model["operations"][operation]["output"]["shape"]
            .as_str()
            .unwrap_or_else(|| panic!("{operation} has an output shape"))
            .to_string()
    }

    /// Every disagreement between `value` and shape `shape`, as `path: problem`.
    pub fn check(&self, shape: &str, value: &Value) -> Vec<String> {
        let mut out = Vec::new();
        self.walk(shape, value, "$", &mut out);
        out
    }

    /// Panics listing the disagreements of `operation`'s response `value`.
    pub fn assert_output(&self, operation: &str, value: &Value) {
        let problems = self.check(&self.output_of(operation), value);
        assert!(
            problems.is_empty(),
            "{operation} response does not match the model:\n  {}\n{value:#}",
            problems.join("\n  ")
        );
    }

    /// A document in member names (PascalCase, as boto3 and the CLI take it) in the wire's names
    /// (`locationName`, lowerCamel for MediaConvert), walking shape `shape`; keys the shape does
    /// not know, and map keys, stay as they are.
    pub fn to_wire(&self, shape: &str, v: &Value) -> Value {
        let s = &self.model["shapes"][shape];
        match (s["type"].as_str().unwrap_or(""), v) {
            ("structure", Value::Object(map)) => Value::Object(
                map.iter()
                    .map(|(k, x)| match s["members"].get(k) {
                        Some(m) => (
                            m["locationName"].as_str().unwrap_or(k).to_string(),
                            self.to_wire(m["shape"].as_str().unwrap_or(""), x),
                        ),
                        None => (k.clone(), x.clone()),
                    })
                    .collect(),
            ),
            ("list", Value::Array(items)) => Value::Array(
                items
                    .iter()
                    .map(|x| self.to_wire(s["member"]["shape"].as_str().unwrap_or(""), x))
                    .collect(),
            ),
            ("map", Value::Object(map)) => Value::Object(
                map.iter()
                    .map(|(k, x)| {
                        (
                            k.clone(),
                            self.to_wire(s["value"]["shape"].as_str().unwrap_or(""), x),
                        )
                    })
                    .collect(),
            ),
            _ => v.clone(),
        }
    }

    /// Every structure member present in a wire document, walking shape `shape`: (JSON pointer,
    /// structure shape, wire name).
    pub fn members_present(&self, shape: &str, v: &Value) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        self.present(shape, v, "", &mut out);
        out
    }

    fn present(&self, shape: &str, v: &Value, at: &str, out: &mut Vec<(String, String, String)>) {
        let s = &self.model["shapes"][shape];
        match (s["type"].as_str().unwrap_or(""), v) {
            ("structure", Value::Object(map)) => {
                let members = s["members"].as_object().cloned().unwrap_or_default();
                for (k, x) in map {
                    let found = members.iter().find(|(name, m)| {
                        m.get("locationName")
                            .and_then(Value::as_str)
                            .unwrap_or(name)
                            == k
                    });
                    if let Some((_, m)) = found {
                        let here = format!("{at}/{k}");
                        out.push((here.clone(), shape.to_string(), k.clone()));
                        self.present(m["shape"].as_str().unwrap_or(""), x, &here, out);
                    }
                }
            }
            ("list", Value::Array(items)) => {
                for (i, x) in items.iter().enumerate() {
                    self.present(
                        s["member"]["shape"].as_str().unwrap_or(""),
                        x,
                        &format!("{at}/{i}"),
                        out,
                    );
                }
            }
            ("map", Value::Object(map)) => {
                for (k, x) in map {
                    self.present(
                        s["value"]["shape"].as_str().unwrap_or(""),
                        x,
                        &format!("{at}/{k}"),
                        out,
                    );
                }
            }
            _ => {}
        }
    }

    fn walk(&self, shape: &str, v: &Value, at: &str, out: &mut Vec<String>) {
        let s = &self.model["shapes"][shape];
        let ty = s["type"].as_str().unwrap_or("");
        let bounds = |n: usize, out: &mut Vec<String>, what: &str| {
            if let Some(min) = s["min"].as_u64() {
                if (n as u64) < min {
                    out.push(format!("{at}: {what} {n} below min {min}"));
                }
            }
            if let Some(max) = s["max"].as_u64() {
                if (n as u64) > max {
                    out.push(format!("{at}: {what} {n} above max {max}"));
                }
            }
        };
        match (ty, v) {
            ("structure", Value::Object(map)) => {
                let members = s["members"].as_object().cloned().unwrap_or_default();
                for req in s["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    // Members bound to the URI, a header or the query string are not in a body;
                    // a body member is present under its wire name (`locationName`).
                    let loc = members.get(req).and_then(|m| m.get("location"));
                    let wire = members
                        .get(req)
                        .and_then(|m| m.get("locationName"))
                        .and_then(Value::as_str)
                        .unwrap_or(req);
                    if loc.is_none() && !map.contains_key(wire) {
                        out.push(format!("{at}: required member {req} is missing"));
                    }
                }
                for (k, val) in map {
                    let member = members.iter().find(|(name, m)| {
                        m.get("locationName")
                            .and_then(Value::as_str)
                            .unwrap_or(name)
                            == k
                    });
                    match member {
                        Some((_, m)) if m.get("location").is_some() => out.push(format!(
                            "{at}.{k}: bound to the {} but found in the body",
                            m["location"]
                        )),
                        Some((_, m)) => self.walk(
                            m["shape"].as_str().unwrap_or(""),
                            val,
                            &format!("{at}.{k}"),
                            out,
                        ),
                        None => out.push(format!("{at}: {k} is not a member of {shape}")),
                    }
                }
            }
            ("list", Value::Array(items)) => {
                bounds(items.len(), out, "list length");
                let member = s["member"]["shape"].as_str().unwrap_or("");
                for (i, item) in items.iter().enumerate() {
                    self.walk(member, item, &format!("{at}[{i}]"), out);
                }
            }
            ("map", Value::Object(map)) => {
                let value = s["value"]["shape"].as_str().unwrap_or("");
                for (k, val) in map {
                    self.walk(value, val, &format!("{at}.{k}"), out);
                }
            }
            ("string", Value::String(text)) => {
                bounds(text.chars().count(), out, "string length");
                if let Some(values) = s["enum"].as_array() {
                    if !values.iter().any(|e| e == v) {
                        out.push(format!("{at}: {text:?} is not one of {shape}'s values"));
                    }
                }
            }
            ("integer" | "long", Value::Number(n)) if n.is_i64() || n.is_u64() => {
                if let (Some(min), Some(x)) = (s["min"].as_i64(), n.as_i64()) {
                    if x < min {
                        out.push(format!("{at}: {x} below min {min}"));
                    }
                }
                if let (Some(max), Some(x)) = (s["max"].as_i64(), n.as_i64()) {
                    if x > max {
                        out.push(format!("{at}: {x} above max {max}"));
                    }
                }
            }
            ("double" | "float", Value::Number(_)) => {}
            ("boolean", Value::Bool(_)) => {}
            // REST-JSON's default timestamp format: epoch seconds.
            ("timestamp", Value::Number(_)) => {}
            ("", _) => out.push(format!("{at}: the model has no shape {shape}")),
            (ty, v) => out.push(format!("{at}: a {ty} ({shape}) expected, found {v}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_checker_finds_each_kind_of_mismatch() {
        let m = Model::load("mediapackagev2-2022-12-25.json");
        let ok = json!({ "Items": [], "NextToken": "x" });
        assert!(m.check("ListHarvestJobsResponse", &ok).is_empty());
        let bad = json!({
            "ChannelGroupName": "g", "ChannelName": "c", "OriginEndpointName": "e", "HarvestJobName": "n",
            "Destination": { "S3Destination": { "BucketName": "b", "DestinationPath": "p" } },
            "HarvestedManifests": {}, "ScheduleConfiguration": { "StartTime": "2026-01-01T00:00:00Z", "EndTime": 1.0 },
            "Arn": "a", "CreatedAt": 1, "ModifiedAt": 1, "Status": "DONE", "Extra": true
        });
        let problems = m.check("GetHarvestJobResponse", &bad).join("\n");
        assert!(problems.contains("StartTime: a timestamp"), "{problems}");
        assert!(problems.contains("\"DONE\" is not one of"), "{problems}");
        assert!(problems.contains("Extra is not a member"), "{problems}");
        assert!(
            problems.contains("BucketName: string length 1 below min 3"),
            "{problems}"
        );
        let missing = json!({ "Arn": "a" });
        assert!(m
            .check("GetChannelGroupResponse", &missing)
            .join("\n")
            .contains("required member ChannelGroupName"));
    }
}
