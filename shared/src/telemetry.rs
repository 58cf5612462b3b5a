//! Logging and metrics.
//!
//! Logs go through `tracing` with the subscriber the Lambda runtime provides: it follows
//! `AWS_LAMBDA_LOG_FORMAT` (JSON in Lambda) and `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, else INFO).
//! Logs are written to stderr so stdout carries only CloudWatch Embedded Metric Format records;
//! Lambda ships both streams to CloudWatch Logs.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{json, Map, Value};

/// Installs the tracing subscriber. Call once, first thing in `main`.
pub fn init_tracing() {
    lambda_runtime::tracing::init_default_subscriber_with_writer(std::io::stderr);
}

/// CloudWatch metric units used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
    Seconds,
    None,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
            Unit::Seconds => "Seconds",
            Unit::None => "None",
        }
    }
}

/// One EMF record: metrics under one set of dimensions, plus searchable properties.
///
/// ```
/// let mut m = mediaops::telemetry::Metrics::new("mediaops", "pipeline-guard");
/// m.count("PipelinePaused", 1.0);
/// m.property("pipeline_id", "1111111111111-abcde1");
/// let line = m.to_line(1_700_000_000_000);
/// assert!(line.contains("\"PipelinePaused\":1.0"));
/// ```
#[derive(Debug, Clone)]
pub struct Metrics {
    namespace: String,
    dimensions: Vec<(String, String)>,
    metrics: Vec<(String, f64, Unit)>,
    properties: BTreeMap<String, Value>,
}

impl Metrics {
    /// Metrics of one function: dimension `Function` = `function`.
    pub fn new(namespace: &str, function: &str) -> Self {
        Self {
            namespace: namespace.to_string(),
            dimensions: vec![("Function".to_string(), function.to_string())],
            metrics: Vec::new(),
            properties: BTreeMap::new(),
        }
    }

    /// Adds a dimension (e.g. `PipelineId`). Keep dimensions few: each value is a metric series.
    pub fn dimension(mut self, key: &str, value: &str) -> Self {
        self.dimensions.push((key.to_string(), value.to_string()));
        self
    }

    pub fn put(&mut self, name: &str, value: f64, unit: Unit) -> &mut Self {
        match self.metrics.iter_mut().find(|(n, _, _)| n == name) {
            Some(m) => {
                m.1 = value;
                m.2 = unit;
            }
            None => self.metrics.push((name.to_string(), value, unit)),
        }
        self
    }

    pub fn count(&mut self, name: &str, value: f64) -> &mut Self {
        self.put(name, value, Unit::Count)
    }

    pub fn millis(&mut self, name: &str, value: f64) -> &mut Self {
        self.put(name, value, Unit::Milliseconds)
    }

    /// A property: searchable in CloudWatch Logs Insights, not a metric.
    pub fn property(&mut self, key: &str, value: impl serde::Serialize) -> &mut Self {
        self.properties.insert(
            key.to_string(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }

    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty()
    }

    /// The EMF JSON document at `timestamp_ms`.
    pub fn to_json(&self, timestamp_ms: i64) -> Value {
        let mut root = Map::new();
        for (k, v) in &self.properties {
            root.insert(k.clone(), v.clone());
        }
        for (k, v) in &self.dimensions {
            root.insert(k.clone(), json!(v));
        }
        for (name, value, _) in &self.metrics {
            root.insert(name.clone(), json!(value));
        }
        let dims: Vec<&str> = self.dimensions.iter().map(|(k, _)| k.as_str()).collect();
        let defs: Vec<Value> = self
            .metrics
            .iter()
            .map(|(n, _, u)| json!({ "Name": n, "Unit": u.as_str() }))
            .collect();
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [ { "Namespace": self.namespace, "Dimensions": [dims], "Metrics": defs } ],
            }),
        );
        Value::Object(root)
    }

    pub fn to_line(&self, timestamp_ms: i64) -> String {
        self.to_json(timestamp_ms).to_string()
    }

    /// Writes the record as one line to `out`.
    pub fn write_to(&self, out: &mut impl Write, timestamp_ms: i64) -> std::io::Result<()> {
        let mut line = self.to_line(timestamp_ms);
        line.push('\n');
        out.write_all(line.as_bytes())?;
        out.flush()
    }

    /// Writes the record to stdout, where Lambda's log pipeline extracts EMF metrics.
    pub fn emit(&self) {
        if self.is_empty() {
            return;
        }
        let now = chrono::Utc::now().timestamp_millis();
        let _ = self.write_to(&mut std::io::stdout().lock(), now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_document_has_directive_dimensions_and_values() {
        let mut m = Metrics::new("mediaops", "pipeline-guard").dimension("PipelineId", "p-1");
        m.count("ErrorsInWindow", 4.0)
            .count("PipelinePaused", 1.0)
            .millis("DecisionLatency", 12.5);
        m.count("PipelinePaused", 0.0);
        m.property("trigger_job_id", "j-1");
        let v = m.to_json(1_700_000_000_000);
        let directive = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000i64);
        assert_eq!(directive["Namespace"], "mediaops");
        assert_eq!(directive["Dimensions"], json!([["Function", "PipelineId"]]));
        assert_eq!(directive["Metrics"].as_array().unwrap().len(), 3);
        assert_eq!(
            directive["Metrics"][2],
            json!({ "Name": "DecisionLatency", "Unit": "Milliseconds" })
        );
        assert_eq!(v["Function"], "pipeline-guard");
        assert_eq!(v["PipelineId"], "p-1");
        assert_eq!(v["ErrorsInWindow"], 4.0);
        assert_eq!(v["PipelinePaused"], 0.0);
        assert_eq!(v["trigger_job_id"], "j-1");
        let mut out = Vec::new();
        m.write_to(&mut out, 1).unwrap();
        assert!(out.ends_with(b"\n") && out.iter().filter(|b| **b == b'\n').count() == 1);
    }
}
