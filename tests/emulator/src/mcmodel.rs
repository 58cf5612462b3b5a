//! MediaConvert's service model and a validator that walks it.
//!
//! The model is botocore's `mediaconvert/2017-08-29` (release 1.44.8), vendored trimmed at
//! `tests/integration/models/mediaconvert-2017-08-29.json` and compiled in, so the emulator
//! accepts exactly the members, types, enums, ranges, lengths and patterns the service's model
//! states, independently of the code under test and of `aws-sdk-mediaconvert` (which lags it).
//!
//! A request is checked member by member from its operation's input shape. The first problem in
//! document order is reported as the service reports settings errors: a JSON pointer, `: `, and a
//! JSON-schema validator's sentence (`/outputGroups/0/outputs: Should have at least 1 items`,
//! `/outputGroups/0/outputs/0: containerSettings is a required property`, seen in public bug
//! reports). Pointers into `settings` are relative to the settings document, as in those reports;
//! other members are named by their pointer in the request body (`/priority`, `/hopDestinations/0/waitMinutes`).

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use regex_lite::Regex;
use serde_json::{Map, Value};

/// The vendored model, compiled in.
pub const MODEL_JSON: &str = include_str!("../../integration/models/mediaconvert-2017-08-29.json");

/// At most this many of an enum's values are named in a message.
const ENUM_VALUES_SHOWN: usize = 24;

/// The model, parsed once, with every `pattern` compiled.
#[derive(Debug)]
pub struct Model {
    shapes: Map<String, Value>,
    operations: Map<String, Value>,
    patterns: HashMap<String, Regex>,
}

/// A request the model refuses: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// A JSON pointer (`/outputGroups/0/outputs`); empty for the request itself.
    pub path: String,
    pub problem: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.problem)
        } else {
            write!(f, "{}: {}", self.path, self.problem)
        }
    }
}

static MODEL: OnceLock<Result<Model, String>> = OnceLock::new();

/// The compiled-in model, or why it cannot be used (a broken vendored file).
pub fn model() -> Result<&'static Model, String> {
    MODEL
        .get_or_init(|| Model::parse(MODEL_JSON))
        .as_ref()
        .map_err(Clone::clone)
}

/// `~` and `/` escaped as a JSON pointer segment needs them.
fn segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl Model {
    pub fn parse(text: &str) -> Result<Self, String> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| format!("the model is not JSON: {e}"))?;
        let shapes = v
            .get("shapes")
            .and_then(Value::as_object)
            .cloned()
            .ok_or("the model has no shapes")?;
        let operations = v
            .get("operations")
            .and_then(Value::as_object)
            .cloned()
            .ok_or("the model has no operations")?;
        let mut patterns = HashMap::new();
        for (name, shape) in &shapes {
            if let Some(p) = shape.get("pattern").and_then(Value::as_str) {
                let re = Regex::new(p)
                    .map_err(|e| format!("shape {name}: pattern {p:?} does not compile: {e}"))?;
                patterns.insert(name.clone(), re);
            }
        }
        Ok(Self {
            shapes,
            operations,
            patterns,
        })
    }

    pub fn shape(&self, name: &str) -> Option<&Map<String, Value>> {
        self.shapes.get(name).and_then(Value::as_object)
    }

    /// The input shape of an operation.
    pub fn input_of(&self, operation: &str) -> Option<&str> {
        self.operations
            .get(operation)?
            .get("input")?
            .get("shape")?
            .as_str()
    }

    /// A structure's members that travel in the JSON body: (wire name, member name, target shape).
    pub fn body_members(&self, shape: &str) -> Vec<(String, String, String)> {
        let Some(members) = self
            .shape(shape)
            .and_then(|s| s.get("members"))
            .and_then(Value::as_object)
        else {
            return Vec::new();
        };
        members
            .iter()
            .filter(|(_, m)| m.get("location").is_none())
            .map(|(name, m)| {
                let wire = m
                    .get("locationName")
                    .and_then(Value::as_str)
                    .unwrap_or(name);
                let target = m.get("shape").and_then(Value::as_str).unwrap_or("");
                (wire.to_string(), name.clone(), target.to_string())
            })
            .collect()
    }

    /// The wire name of a structure's member (`Settings` → `settings`).
    pub fn wire_name(&self, shape: &str, member: &str) -> Option<String> {
        self.body_members(shape)
            .into_iter()
            .find(|(_, name, _)| name == member)
            .map(|(wire, _, _)| wire)
    }

    /// Checks a request body against an operation's input shape.
    pub fn validate_input(&self, operation: &str, body: &Value) -> Result<(), Invalid> {
        let shape = self.input_of(operation).ok_or_else(|| Invalid {
            path: String::new(),
            problem: format!("the model has no operation {operation}"),
        })?;
        self.validate(shape, body, "")
    }

    /// Checks `v` against shape `shape`; `path` is `v`'s JSON pointer.
    pub fn validate(&self, shape: &str, v: &Value, path: &str) -> Result<(), Invalid> {
        let at = |problem: String| Invalid {
            path: display_path(path),
            problem,
        };
        let s = self
            .shape(shape)
            .ok_or_else(|| at(format!("the model has no shape {shape}")))?;
        let ty = s.get("type").and_then(Value::as_str).unwrap_or("");
        let min = s.get("min").and_then(Value::as_i64);
        let max = s.get("max").and_then(Value::as_i64);
        let count = |n: usize, what: &str| -> Result<(), Invalid> {
            let n = n as i64;
            match (what, min, max) {
                ("items", Some(m), _) if n < m => {
                    Err(at(format!("Should have at least {m} items")))
                }
                ("items", _, Some(m)) if n > m => Err(at(format!("Should have at most {m} items"))),
                ("characters", Some(m), _) if n < m => {
                    Err(at(format!("Should NOT be shorter than {m} characters")))
                }
                ("characters", _, Some(m)) if n > m => {
                    Err(at(format!("Should NOT be longer than {m} characters")))
                }
                _ => Ok(()),
            }
        };
        match (ty, v) {
            ("structure", Value::Object(map)) => {
                let members = self.body_members(shape);
                for req in s
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if let Some((wire, _, _)) = members.iter().find(|(_, name, _)| name == req) {
                        if !map.contains_key(wire) {
                            return Err(at(format!("{wire} is a required property")));
                        }
                    }
                }
                for (key, val) in map {
                    let Some((_, _, target)) = members.iter().find(|(wire, _, _)| wire == key)
                    else {
                        return Err(at(format!("Should NOT have additional properties ({key})")));
                    };
                    self.validate(target, val, &format!("{path}/{}", segment(key)))?;
                }
                Ok(())
            }
            ("list", Value::Array(items)) => {
                count(items.len(), "items")?;
                let member = s
                    .get("member")
                    .and_then(|m| m.get("shape"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                for (i, item) in items.iter().enumerate() {
                    self.validate(member, item, &format!("{path}/{i}"))?;
                }
                Ok(())
            }
            ("map", Value::Object(map)) => {
                count(map.len(), "items")?;
                let key_shape = s
                    .get("key")
                    .and_then(|m| m.get("shape"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let value_shape = s
                    .get("value")
                    .and_then(|m| m.get("shape"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                for (key, val) in map {
                    let here = format!("{path}/{}", segment(key));
                    self.validate(key_shape, &Value::String(key.clone()), &here)?;
                    self.validate(value_shape, val, &here)?;
                }
                Ok(())
            }
            ("string", Value::String(text)) => {
                count(text.chars().count(), "characters")?;
                if let Some(values) = s.get("enum").and_then(Value::as_array) {
                    if !values.iter().any(|e| e.as_str() == Some(text)) {
                        let mut named: Vec<&str> = values
                            .iter()
                            .filter_map(Value::as_str)
                            .take(ENUM_VALUES_SHOWN)
                            .collect();
                        if values.len() > ENUM_VALUES_SHOWN {
                            named.push("…");
                        }
                        return Err(at(format!(
                            "Should be equal to one of the allowed values ({}), not {text:?}",
                            named.join(", ")
                        )));
                    }
                }
                if let Some(re) = self.patterns.get(shape) {
                    if !re.is_match(text) {
                        return Err(at(format!("Should match pattern \"{}\"", re.as_str())));
                    }
                }
                Ok(())
            }
            ("integer" | "long", Value::Number(n)) if n.is_i64() || n.is_u64() => {
                let (lo, hi) = if ty == "integer" {
                    (i64::from(i32::MIN), i64::from(i32::MAX))
                } else {
                    (i64::MIN, i64::MAX)
                };
                let lo = min.unwrap_or(lo);
                let hi = max.unwrap_or(hi);
                let x = n.as_i64();
                if x.is_some_and(|x| x >= lo && x <= hi) {
                    return Ok(());
                }
                Err(at(match (min, max) {
                    (Some(a), Some(b)) => format!("Should be from {a} to {b}"),
                    (Some(a), None) if x.is_some_and(|x| x < a) => format!("Should be >= {a}"),
                    _ if x.is_some_and(|x| x < lo) => format!("Should be >= {lo}"),
                    _ => format!("Should be <= {hi}"),
                }))
            }
            ("double" | "float", Value::Number(_)) => Ok(()),
            ("boolean", Value::Bool(_)) => Ok(()),
            // REST-JSON timestamps are epoch seconds.
            ("timestamp", Value::Number(_)) => Ok(()),
            (ty, v) => Err(at(format!(
                "Should be {}, not {}",
                match ty {
                    "structure" | "map" => "object",
                    "list" => "array",
                    "double" | "float" => "number",
                    "long" => "integer",
                    other => other,
                },
                type_name(v)
            ))),
        }
    }
}

/// Settings errors are reported relative to the settings document, as the service does.
fn display_path(path: &str) -> String {
    for prefix in ["/settings", "/Settings"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            if rest.starts_with('/') {
                return rest.to_string();
            }
        }
    }
    path.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m() -> &'static Model {
        model().expect("the vendored model parses and every pattern compiles")
    }

    fn err(v: Value) -> String {
        m().validate_input("CreateJob", &v)
            .expect_err("refused")
            .to_string()
    }

    const ROLE: &str = "arn:aws:iam::123456789012:role/MediaConvert";

    #[test]
    fn the_model_is_botocores_current_one() {
        let model = m();
        for (shape, member) in [
            ("Av1Settings", "GopSizeUnits"),
            ("Av1Settings", "FastDecode"),
            ("Av1Settings", "TemporalAdaptiveQuantization"),
            ("CaptionDescription", "Source"),
            ("CaptionDescription", "AudioSourceNames"),
            ("AudioCodecSettings", "DtsxSettings"),
            ("AudioCodecSettings", "DtscSettings"),
            ("VideoDescription", "DynamicMultiviewSettings"),
            ("CreateJobRequest", "ElementalInferenceSettings"),
            ("Job", "ElementalInferenceSettings"),
        ] {
            assert!(
                model.wire_name(shape, member).is_some(),
                "{shape}.{member} is in the vendored model"
            );
        }
        assert_eq!(model.input_of("CreateJob"), Some("CreateJobRequest"));
    }

    #[test]
    fn a_minimal_job_passes_and_required_members_are_named() {
        assert!(m()
            .validate_input("CreateJob", &json!({ "role": ROLE, "settings": {} }))
            .is_ok());
        assert_eq!(
            err(json!({ "settings": {} })),
            "role is a required property"
        );
        assert_eq!(
            err(json!({ "role": ROLE, "accelerationSettings": {}, "settings": {} })),
            "/accelerationSettings: mode is a required property"
        );
    }

    #[test]
    fn settings_errors_are_pointers_into_the_settings() {
        let e = err(
            json!({ "role": ROLE, "settings": { "outputGroups": [ { "outputs": [ {
            "videoDescription": { "width": 8 } } ] } ] } }),
        );
        assert_eq!(
            e,
            "/outputGroups/0/outputs/0/videoDescription/width: Should be from 32 to 8192"
        );
        let e = err(
            json!({ "role": ROLE, "settings": { "inputs": [ { "fileInput": "ftp://x/y.mov" } ] } }),
        );
        assert!(
            e.starts_with("/inputs/0/fileInput: Should match pattern \"^s3://"),
            "{e}"
        );
        let e = err(json!({ "role": ROLE, "settings": { "timecodeConfig": { "source": "NOW" } } }));
        assert!(
            e.starts_with("/timecodeConfig/source: Should be equal to one of the allowed values (EMBEDDED, ZEROBASED, SPECIFIEDSTART), not \"NOW\""),
            "{e}"
        );
    }

    #[test]
    fn types_ranges_lengths_and_unknown_members_are_refused() {
        assert_eq!(
            err(json!({ "role": ROLE, "settings": {}, "priority": 51 })),
            "/priority: Should be from -50 to 50"
        );
        assert_eq!(
            err(json!({ "role": ROLE, "settings": {}, "priority": 1.5 })),
            "/priority: Should be integer, not number"
        );
        assert_eq!(
            err(json!({ "role": ROLE, "settings": {}, "priority": "1" })),
            "/priority: Should be integer, not string"
        );
        assert_eq!(
            err(json!({ "role": ROLE, "settings": [] })),
            "/settings: Should be object, not array"
        );
        assert_eq!(
            err(json!({ "role": ROLE, "settings": {}, "userMetadata": { "a": null } })),
            "/userMetadata/a: Should be string, not null"
        );
        assert_eq!(
            err(json!({ "role": ROLE, "settings": { "inputz": [] } })),
            "/settings: Should NOT have additional properties (inputz)"
        );
        assert_eq!(
            err(json!({ "role": ROLE, "settings": {}, "extra": 1 })),
            "Should NOT have additional properties (extra)"
        );
        assert_eq!(
            err(json!({ "role": ROLE, "settings": { "inputs": [ { "programNumber": 0 } ] } })),
            "/inputs/0/programNumber: Should be from 1 to 2147483647"
        );
        // A map key is a pointer segment, escaped.
        let e = err(
            json!({ "role": ROLE, "settings": { "inputs": [ { "audioSelectors": {
            "Audio/Selector 1": { "offset": "0" } } } ] } }),
        );
        assert_eq!(
            e,
            "/inputs/0/audioSelectors/Audio~1Selector 1/offset: Should be integer, not string"
        );
    }

    #[test]
    fn integers_keep_the_32_bit_range_of_the_models_integer_type() {
        // HopDestination.WaitMinutes is a bare `__integer`: no range stated, 32 bits all the same.
        let ok = json!({ "role": ROLE, "settings": {}, "hopDestinations": [ { "waitMinutes": 2_147_483_647 } ] });
        assert!(m().validate_input("CreateJob", &ok).is_ok());
        assert_eq!(
            err(
                json!({ "role": ROLE, "settings": {}, "hopDestinations": [ { "waitMinutes": 2_147_483_648_i64 } ] })
            ),
            "/hopDestinations/0/waitMinutes: Should be <= 2147483647"
        );
    }
}
