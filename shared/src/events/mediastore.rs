//! MediaStore `MediaStore Container State Change` events (EventBridge `detail`).

use serde::{Deserialize, Serialize};

/// The event's `detail`: which container, and what happened to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainerStateChange {
    #[serde(rename = "ContainerName")]
    pub container_name: Option<String>,
    /// CREATE, REMOVE or UPDATE.
    #[serde(rename = "Operation")]
    pub operation: Option<String>,
}

pub const DETAIL_TYPE: &str = "MediaStore Container State Change";
pub const SOURCE: &str = "aws.mediastore";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_detail_and_tolerates_gaps() {
        let d: ContainerStateChange = serde_json::from_str(
            r#"{"ContainerName":"vod-premium","Operation":"CREATE","extra":1}"#,
        )
        .unwrap();
        assert_eq!(d.container_name.as_deref(), Some("vod-premium"));
        assert_eq!(d.operation.as_deref(), Some("CREATE"));
        let d: ContainerStateChange = serde_json::from_str("{}").unwrap();
        assert_eq!(d, ContainerStateChange::default());
    }
}
