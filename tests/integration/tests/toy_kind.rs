//! A guarded resource kind and a runbook service that exist only here, added the way the README's
//! "Adding a service" says: a [`Profile`] (its error table, ids, status words, events), a pause
//! adapter, and a runbook [`Service`] registered with [`Runbook::with_service`] and its port in
//! [`Ports`]. Nothing outside this file knows the toy: the shared guard entry decides on its
//! events against DynamoDB Local, and the runbook answers its action from the same guard table.
//! If adding a kind needed a change anywhere else, this file would not compile.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{Context, LambdaEvent};
use mediaops::guard::entry::{handle, Report};
use mediaops::guard::{Guard, GuardConfig};
use mediaops::model::guard::{FailureClass, GuardEvent, Observed, WindowEvent};
use mediaops::notify::Notifier;
use mediaops::policy::breaker::BreakerPolicy;
use mediaops::policy::copy::{CopyRules, Members};
use mediaops::policy::guard_rules::GuardRules;
use mediaops::ports::{ApiResult, PauseTarget};
use mediaops::services::{Events, Profile, Read};
use mediaops::{Budget, CommonConfig, Env, Error};
use mediaops_integration_tests::StoreEnv;
use runbook::action::{params, ActionSpec, Cx, Param, Ports, RawParams, Service};
use runbook::guarded::{guard_status, GuardStore};
use runbook::report::Report as RunbookReport;
use runbook::runbook::Runbook;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

// ---- the kind: what `shared/src/services/<kind>.rs` holds ----

/// Toy channels: a guarded kind with its own error table, ids, status words and events.
static TOY: Profile = Profile {
    name: "channel",
    service: "Toy Live",
    paused_metric: "ChannelPaused",
    id_property: "channel",
    protected_var: "GUARD_PROTECTED_CHANNELS",
    id: channel_id,
    id_form: "toy channel ids (ch- and digits)",
    refuse_match: |p| (!p.starts_with("ch-")).then_some("a glob over channel ids such as \"ch-*\""),
    codes: |code| match code {
        500..=599 => FailureClass::Resource,
        900 => FailureClass::Service,
        _ => FailureClass::Job,
    },
    active: "RUNNING",
    paused: "IDLE",
    errors_request: r#"{"action": "toy.status", "channel": "{id}"}"#,
    events: Events::EventBridge {
        source: "toy.live",
        detail_type: "Toy Channel Alert",
        read: read_alert,
    },
    copy: &COPY,
};

/// Toy jobs are never resubmitted: nothing to carry.
static COPY: CopyRules = CopyRules {
    read_op: "DescribeToyJob",
    model: "the toy's own",
    members: Members {
        carried: &[],
        services_own: &[],
    },
    metadata: "tags",
    token: None,
    never_returned: &[],
    first_of: &[],
};

fn channel_id(s: &str) -> Option<&str> {
    let digits = s.strip_prefix("ch-")?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

#[derive(Deserialize)]
struct Alert {
    channel: String,
    alert: String,
    code: Option<u32>,
    at_ms: i64,
}

/// An `ALERT` counts against its channel; `CLEARED` cannot trip the breaker.
fn read_alert(event_id: &str, e: &EventBridgeEvent<Value>, _: bool) -> Result<Read, String> {
    let a: Alert =
        serde_json::from_value(e.detail.clone()).map_err(|err| format!("toy alert: {err}"))?;
    if a.alert != "ALERT" {
        return Ok(Read::Ignored {
            status: Some(a.alert),
            reason: "only ALERT can trip the breaker".into(),
            unknown: false,
            job_id: None,
        });
    }
    Ok(Read::Decide {
        event: GuardEvent {
            resource_id: a.channel,
            resource_arn: None,
            event: WindowEvent {
                at_ms: a.at_ms,
                id: format!("alert-{event_id}"),
                observed: Observed::Error(TOY.error_class(a.code)),
                code: a.code,
                policy: None,
            },
            job_id: None,
        },
        error: true,
    })
}

/// The kind's pause adapter (in production: the service's SDK client).
#[derive(Default)]
struct Channels(Mutex<BTreeMap<String, String>>);

#[async_trait]
impl PauseTarget for Channels {
    async fn status(&self, id: &str) -> ApiResult<Option<String>> {
        Ok(self.0.lock().unwrap().get(id).cloned())
    }

    async fn pause(&self, id: &str) -> ApiResult<String> {
        self.0.lock().unwrap().insert(id.into(), "IDLE".into());
        Ok("IDLE".into())
    }
}

// ---- the runbook service: what `functions/runbook/src/services/<svc>.rs` holds ----

/// The port the toy's actions use (in production: a trait over the SDK client).
trait ChannelClient: PauseTarget {}
impl ChannelClient for Channels {}

struct ToyService;

static ACTIONS: &[ActionSpec] = &[ActionSpec {
    name: "toy.status",
    params: "`channel`",
    does: "A toy channel's status and the guard's record of it.",
    mutates: false,
    destructive: false,
    args: &[Param::id("channel", "the channel")],
}];

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusRequest {
    channel: String,
}

impl Service for ToyService {
    type Action = StatusRequest;
    const ACTIONS: &'static [ActionSpec] = ACTIONS;

    fn parse(&self, action: &'static str, p: RawParams) -> Result<StatusRequest, String> {
        let req: StatusRequest = params(action, p, "{\"channel\": \"ch-<digits>\"}")?;
        channel_id(&req.channel)
            .ok_or_else(|| format!("channel {:?} is not {}", req.channel, TOY.id_form))?;
        Ok(req)
    }

    async fn run(
        &self,
        a: &StatusRequest,
        cx: &Cx<'_>,
        r: &mut RunbookReport,
    ) -> Result<(), Error> {
        let status = cx.port::<dyn ChannelClient>()?.status(&a.channel).await?;
        r.plan
            .push(format!("read channel {} and the guard's record", a.channel));
        r.result = json!({ "status": status, "guard": guard_status(cx, &TOY, &a.channel).await? });
        Ok(())
    }
}

static TOY_SERVICE: ToyService = ToyService;

// ---- the test ----

fn alert(i: usize, channel: &str, alert: &str, code: u32, at_ms: i64) -> LambdaEvent<Value> {
    let payload = json!({
        "version": "0",
        "id": format!("toy-{i}"),
        "detail-type": "Toy Channel Alert",
        "source": "toy.live",
        "account": "123456789012",
        "time": "2026-12-03T07:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": { "channel": channel, "alert": alert, "code": code, "at_ms": at_ms }
    });
    LambdaEvent::new(payload, Context::default())
}

fn action(r: &Report) -> String {
    let v = serde_json::to_value(r).unwrap();
    v["decision"]["action"]
        .as_str()
        .or(v["outcome"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_toy_kind_is_guarded_and_answered_by_the_runbook_with_no_change_outside_this_file() {
    let store = StoreEnv::start().await;
    let channels = Arc::new(Channels::default());
    for ch in ["ch-1", "ch-2"] {
        channels
            .0
            .lock()
            .unwrap()
            .insert(ch.into(), "RUNNING".into());
    }
    // The guard: the shared entry over the profile, DynamoDB Local and the toy's adapter.
    let mut common = CommonConfig::from_env(&Env::default()).unwrap();
    common.dry_run = false;
    let policy = BreakerPolicy {
        threshold: 3.0,
        ..BreakerPolicy::default()
    };
    let config = GuardConfig {
        common,
        rules: GuardRules::single(&TOY, policy),
        table: store.table.clone(),
    };
    let target = ChannelsRef(channels.clone());
    let guard = Guard::new(
        "toy-guard",
        &config,
        store.window_store(),
        target,
        Notifier::off("Toy", "toy-guard"),
    );
    assert_eq!(guard.kind(), &TOY);

    let now = chrono::Utc::now().timestamp_millis();
    // A job's own error (code 42) and a cleared alert count for nothing against the channel.
    for (i, (alert_word, code)) in [("ALERT", 42), ("CLEARED", 501), ("ALERT", 42)]
        .into_iter()
        .enumerate()
    {
        let r = handle(
            &guard,
            "Toy",
            alert(i, "ch-1", alert_word, code, now - 1_000),
        )
        .await
        .unwrap();
        assert_ne!(
            action(&r),
            "pause",
            "{}",
            serde_json::to_string(&r).unwrap()
        );
    }
    assert_eq!(channels.0.lock().unwrap()["ch-1"], "RUNNING");
    // Resource-class alerts (5xx) on ch-1 trip the breaker: ch-1 is paused once; ch-2 is not.
    let mut actions = Vec::new();
    for i in 10..14 {
        let r = handle(
            &guard,
            "Toy",
            alert(i, "ch-1", "ALERT", 503, now - 500 + i as i64),
        )
        .await
        .unwrap();
        actions.push(action(&r));
    }
    assert_eq!(
        actions.iter().filter(|a| *a == "pause").count(),
        1,
        "{actions:?}"
    );
    assert_eq!(channels.0.lock().unwrap()["ch-1"], "IDLE");
    assert_eq!(channels.0.lock().unwrap()["ch-2"], "RUNNING");
    // A malformed alert is the kind's own error, answered BadEvent by the shared entry.
    let bad = LambdaEvent::new(
        json!({ "id": "bad-1", "source": "toy.live", "detail-type": "Toy Channel Alert", "detail": { "channel": 7 } }),
        Context::default(),
    );
    assert!(matches!(
        handle(&guard, "Toy", bad).await,
        Err(Error::BadEvent { .. })
    ));

    // The runbook: the toy's service and its port beside the deployed ones.
    let ports = Ports::default()
        .with::<dyn ChannelClient>(channels.clone())
        .with::<dyn GuardStore>(Arc::new(store.window_store()));
    let rb = Runbook::new(ports, 60_000).with_service(&TOY_SERVICE);
    let req = rb
        .parse(json!({ "action": "toy.status", "channel": "ch-1" }))
        .unwrap();
    let report = rb.run(&req, Budget::unlimited()).await.unwrap();
    assert_eq!(report.result["status"], "IDLE");
    assert_eq!(
        report.result["guard"]["state"], "paused",
        "{}",
        report.result
    );
    assert_eq!(report.result["guard"]["threshold"], 3.0);
    let err = rb
        .parse(json!({ "action": "toy.status", "channel": "news" }))
        .unwrap_err();
    assert!(err.contains("toy channel ids"), "{err}");
    // Its help comes from the same table as every service's.
    assert!(rb.parse(json!({ "action": "help" })).is_ok());
}

/// The guard owns its target; the test keeps a handle on the same channels.
struct ChannelsRef(Arc<Channels>);

#[async_trait]
impl PauseTarget for ChannelsRef {
    async fn status(&self, id: &str) -> ApiResult<Option<String>> {
        self.0.status(id).await
    }

    async fn pause(&self, id: &str) -> ApiResult<String> {
        self.0.pause(id).await
    }
}
