//! The runbook's services, one file each, and the one table of them: help, the dispatch, the
//! destructive list and the README's action table all come from [`ALL`].

pub mod batch;
pub mod batch_create;
pub mod guards;
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
    &guards::Guards,
    &batch::Batch,
    &logging::Logging,
    &harvests::Harvests,
    &harvests_v2::HarvestsV2,
];
