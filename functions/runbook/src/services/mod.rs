//! The runbook's services, one file each, and the one table of them: help, the dispatch, the
//! destructive list and the README's action table all come from [`ALL`].

pub mod batch;
pub mod batch_create;
pub mod harvests;
pub mod harvests_v2;
pub mod logging;
pub mod pipelines;
pub mod queues;

use crate::action::Registered;

/// Every service a deployed runbook has, in the order help lists their actions.
pub static ALL: &[&dyn Registered] = &[
    &pipelines::Pipelines,
    &queues::Queues,
    &batch::Batch,
    &logging::Logging,
    &harvests::Harvests,
    &harvests_v2::HarvestsV2,
];

/// The README's runbook action table: one row per action of `services` (⚠: destructive), then
/// `help`.
pub fn markdown(services: &[&'static dyn Registered]) -> String {
    let mut out = String::from("| action | parameters | does |\n|---|---|---|\n");
    let specs = services
        .iter()
        .flat_map(|s| s.actions())
        .chain([&crate::request::HELP]);
    for a in specs {
        let warn = if a.destructive { " ⚠" } else { "" };
        out.push_str(&format!(
            "| `{}`{warn} | {} | {} |\n",
            a.name, a.params, a.does
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEGIN: &str = "<!-- runbook actions: generated from functions/runbook/src/services (MEDIAOPS_WRITE_README=1 cargo test -p runbook readme rewrites it) -->\n";
    const END: &str = "<!-- end of runbook actions -->";

    /// The README's table is the table: an action added, renamed or reworded in its service's
    /// file and not in the README fails here (`MEDIAOPS_WRITE_README=1` rewrites the README).
    #[test]
    fn the_readme_action_table_is_the_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
        let readme = std::fs::read_to_string(&path).unwrap();
        let start = readme
            .find(BEGIN)
            .expect("the README marks the runbook table")
            + BEGIN.len();
        let end = start + readme[start..].find(END).expect("the table's end marker");
        let table = markdown(ALL);
        if std::env::var_os("MEDIAOPS_WRITE_README").is_some() {
            let new = format!("{}{table}{}", &readme[..start], &readme[end..]);
            std::fs::write(&path, new).unwrap();
            return;
        }
        assert_eq!(readme[start..end], table, "README's runbook action table");
    }

    #[test]
    fn every_action_is_named_once_and_the_destructive_ones_are_the_seven() {
        let names = crate::request::action_names(ALL);
        let unique: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        let destructive: Vec<&str> = ALL
            .iter()
            .flat_map(|s| s.actions())
            .filter(|a| a.destructive)
            .map(|a| a.name)
            .collect();
        assert_eq!(
            destructive,
            [
                "pipeline.drain",
                "pipeline.recover",
                "queue.drain",
                "queue.recover",
                "batch.cancel",
                "logging.stop",
                "harvest.v2.cancel"
            ]
        );
        for a in ALL.iter().flat_map(|s| s.actions()) {
            assert!(!a.destructive || a.mutates, "{}", a.name);
        }
    }
}
