//! The runbook: its table of services and the ports they use; one request planned or carried
//! out into one report. Whether a request changes anything is decided here, once, for every
//! action: it must mutate, not be a dry run, and, when destructive, be confirmed.

use mediaops::bulk::Tally;
use mediaops::{Budget, Error};
use serde_json::{json, Value};

use crate::action::{Cx, Ports, Registered};
use crate::report::Report;
use crate::request::{action_names, parse_with, Request};
use crate::services::ALL;

pub struct Runbook {
    /// The clients its services take.
    pub ports: Ports,
    services: Vec<&'static dyn Registered>,
    /// How long a recovery's claim on a job holds before another run may take it over.
    pub recover_lease_ms: i64,
}

impl Runbook {
    /// The deployed runbook: every service of the table ([`ALL`]) over `ports`.
    pub fn new(ports: Ports, recover_lease_ms: i64) -> Self {
        Self {
            ports,
            services: ALL.to_vec(),
            recover_lease_ms,
        }
    }

    /// The runbook with one more service (its ports added to [`Runbook::ports`]).
    pub fn with_service(mut self, service: &'static dyn Registered) -> Self {
        self.services.push(service);
        self
    }

    /// Parses a request for this runbook's services.
    pub fn parse(&self, payload: Value) -> Result<Request, String> {
        parse_with(&self.services, payload)
    }

    /// Runs `req` (outside Lambda: the request id in the ledger is `local`).
    pub async fn run(&self, req: &Request, budget: Budget) -> Result<Report, Error> {
        self.run_for(req, budget, "local").await
    }

    /// Runs `req` for the invocation `request_id`. Bulk work starts no new change once `budget`
    /// is exhausted.
    pub async fn run_for(
        &self,
        req: &Request,
        budget: Budget,
        request_id: &str,
    ) -> Result<Report, Error> {
        let execute = req.mutates() && !req.dry_run && (!req.is_destructive() || req.confirm);
        let mut r = Report {
            action: req.name(),
            request: req.to_json(),
            dry_run: req.dry_run,
            confirmed: req.confirm,
            executed: false,
            note: None,
            plan: Vec::new(),
            result: Value::Null,
            items: Vec::new(),
            next_page_token: None,
            notification: None,
            tally: Tally::default(),
            subject: None,
        };
        if req.mutates() && !execute {
            let unconfirmed = req.service.as_ref().and_then(|(_, b)| b.unconfirmed);
            r.note = Some(match (req.dry_run, unconfirmed) {
                (true, _) => "dry run: nothing was changed".into(),
                (false, Some(note)) => note.into(),
                (false, None) => format!("{} is destructive: nothing was changed; repeat with \"confirm\": true to carry out this plan", req.name()),
            });
        }
        let Some((service, bound)) = &req.service else {
            r.result = self.help();
            return Ok(r);
        };
        let cx = Cx {
            ports: &self.ports,
            execute,
            budget,
            request_id,
            recover_lease_ms: self.recover_lease_ms,
        };
        service.run_action(&*bound.action, &cx, &mut r).await?;
        Ok(r)
    }

    /// `help`: the actions, and which need confirmation.
    fn help(&self) -> Value {
        let destructive: Vec<&str> = self
            .services
            .iter()
            .flat_map(|s| s.actions())
            .filter(|a| a.destructive)
            .map(|a| a.name)
            .collect();
        json!({
            "actions": action_names(&self.services),
            "destructive (need \"confirm\": true)": destructive,
            "every action": "accepts \"dry_run\": true",
        })
    }
}
