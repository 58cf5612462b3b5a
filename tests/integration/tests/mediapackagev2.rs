//! The emulator's MediaPackage v2 through `aws-sdk-mediapackagev2`, boto3 and raw HTTP: the set-up
//! operations, create / get / list / cancel, paging, each validation error, every response checked
//! against botocore's model; and the mediaops adapter on top.

use aws_sdk_mediapackagev2 as mp2;
use aws_sdk_mediapackagev2::types::{
    ContainerType, CreateDashManifestConfiguration, CreateHlsManifestConfiguration,
    CreateLowLatencyHlsManifestConfiguration, Destination, FilterConfiguration, HarvestJobStatus,
    HarvestedHlsManifest, HarvestedManifests, HarvesterScheduleConfiguration, S3DestinationConfig,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::DateTime as SmithyTime;
use mediaops::model::{EndpointPath, HarvestFilterV2, ManifestNames};
use mediaops::policy::harvest::new_harvest_v2;
use mediaops::ports::{
    HarvestJobCancellerV2, HarvestJobCreatorV2, HarvestJobDetailsV2, HarvestJobListerV2,
    OriginEndpointDetailsV2, OriginEndpointListerV2,
};
use mediaops::AwsErrorKind;
use mediaops_emulator::StatusChange;
use mediaops_integration_tests::shapes::Model;
use mediaops_integration_tests::TestEnv;
use serde_json::{json, Value};

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

fn t(secs: i64) -> SmithyTime {
    SmithyTime::from_secs(secs)
}

/// A channel group `g` with channel `c` and endpoint `e` (TS, startover 1 h; HLS `index`, LL-HLS
/// `low`, DASH `dash`, and HLS `filtered` with a start filter).
async fn world(c: &mp2::Client, g: &str) {
    c.create_channel_group()
        .channel_group_name(g)
        .send()
        .await
        .unwrap();
    c.create_channel()
        .channel_group_name(g)
        .channel_name("c")
        .send()
        .await
        .unwrap();
    for e in ["e", "e2"] {
        c.create_origin_endpoint()
            .channel_group_name(g)
            .channel_name("c")
            .origin_endpoint_name(e)
            .container_type(ContainerType::Ts)
            .startover_window_seconds(3600)
            .hls_manifests(
                CreateHlsManifestConfiguration::builder()
                    .manifest_name("index")
                    .build()
                    .unwrap(),
            )
            .hls_manifests(
                CreateHlsManifestConfiguration::builder()
                    .manifest_name("filtered")
                    .filter_configuration(
                        FilterConfiguration::builder()
                            .start(t(now_s() - 600))
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .low_latency_hls_manifests(
                CreateLowLatencyHlsManifestConfiguration::builder()
                    .manifest_name("low")
                    .build()
                    .unwrap(),
            )
            .dash_manifests(
                CreateDashManifestConfiguration::builder()
                    .manifest_name("dash")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
}

/// A CreateHarvestJob of endpoint `e` of `g/c`, window `[start, end]` in epoch seconds.
fn create_at(
    c: &mp2::Client,
    g: &str,
    e: &str,
    name: &str,
    start: i64,
    end: i64,
) -> mp2::operation::create_harvest_job::builders::CreateHarvestJobFluentBuilder {
    c.create_harvest_job()
        .channel_group_name(g)
        .channel_name("c")
        .origin_endpoint_name(e)
        .harvest_job_name(name)
        .harvested_manifests(
            HarvestedManifests::builder()
                .hls_manifests(
                    HarvestedHlsManifest::builder()
                        .manifest_name("index")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .schedule_configuration(
            HarvesterScheduleConfiguration::builder()
                .start_time(t(start))
                .end_time(t(end))
                .build()
                .unwrap(),
        )
        .destination(
            Destination::builder()
                .s3_destination(
                    S3DestinationConfig::builder()
                        .bucket_name("vod-clips")
                        .destination_path("clips/x/")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
}

/// [`create_at`] with the window `[start, end]` seconds from now.
fn create(
    c: &mp2::Client,
    g: &str,
    e: &str,
    name: &str,
    start: i64,
    end: i64,
) -> mp2::operation::create_harvest_job::builders::CreateHarvestJobFluentBuilder {
    let now = now_s();
    create_at(c, g, e, name, now + start, now + end)
}

/// The SDK error's code and typed reason (the v2 body member), from the raw response.
fn code_and_reason<E: ProvideErrorMetadata>(
    e: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> (String, String) {
    let code = e.code().unwrap_or_default().to_string();
    let body = e
        .raw_response()
        .and_then(|r| r.body().bytes())
        .unwrap_or_default();
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let reason = [
        "ValidationExceptionType",
        "ConflictExceptionType",
        "ResourceTypeNotFound",
    ]
    .iter()
    .find_map(|k| v.get(*k).and_then(Value::as_str))
    .unwrap_or_default()
    .to_string();
    (code, reason)
}

#[tokio::test]
async fn the_sdk_builds_a_world_and_harvests_with_the_services_rules() {
    let env = TestEnv::start().await;
    let c = &env.clients.mediapackagev2;
    world(c, "g").await;

    // Set-up reads.
    let g = c
        .get_channel_group()
        .channel_group_name("g")
        .send()
        .await
        .unwrap();
    assert!(g.arn().ends_with(":channelGroup/g") && !g.egress_domain().is_empty());
    assert_eq!(
        c.list_channel_groups().send().await.unwrap().items().len(),
        1
    );
    assert_eq!(
        c.get_channel()
            .channel_group_name("g")
            .channel_name("c")
            .send()
            .await
            .unwrap()
            .channel_name(),
        "c"
    );
    assert_eq!(
        c.list_channels()
            .channel_group_name("g")
            .send()
            .await
            .unwrap()
            .items()
            .len(),
        1
    );
    let e = c
        .get_origin_endpoint()
        .channel_group_name("g")
        .channel_name("c")
        .origin_endpoint_name("e")
        .send()
        .await
        .unwrap();
    assert_eq!(e.startover_window_seconds(), Some(3600));
    assert_eq!(e.hls_manifests().len(), 2);
    assert!(e
        .hls_manifests()
        .iter()
        .any(|m| m.manifest_name() == "filtered"
            && m.filter_configuration().and_then(|f| f.start()).is_some()));
    assert_eq!(e.low_latency_hls_manifests()[0].manifest_name(), "low");
    let listed = c
        .list_origin_endpoints()
        .channel_group_name("g")
        .channel_name("c")
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.items().len(), 1);
    assert!(listed.next_token().is_some());
    let dup = c
        .create_channel_group()
        .channel_group_name("g")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_reason(&dup),
        ("ConflictException".into(), "RESOURCE_ALREADY_EXISTS".into())
    );

    // Create, and the client token.
    let made = create(c, "g", "e", "clip", -600, -60)
        .client_token("tok-1")
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), &HarvestJobStatus::Queued);
    assert_eq!(
        made.schedule_configuration().unwrap().end_time().secs()
            - made.schedule_configuration().unwrap().start_time().secs(),
        540
    );
    // The same token with the same parameters answers with the original job: the repeat is built
    // from the original's times (the helper's are relative to now).
    let start = made.schedule_configuration().unwrap().start_time().secs();
    let end = made.schedule_configuration().unwrap().end_time().secs();
    let same = |name: &str| create_at(c, "g", "e", name, start, end);
    let before = env.calls_to("CreateHarvestJob").await.len();
    let repeat = same("clip2").client_token("tok-2").send().await.unwrap();
    let repeat_again = same("clip2").client_token("tok-2").send().await.unwrap();
    assert_eq!(repeat.harvest_job_name(), repeat_again.harvest_job_name());
    assert_eq!(
        repeat.e_tag(),
        repeat_again.e_tag(),
        "the original job, unchanged"
    );
    assert_eq!(env.calls_to("CreateHarvestJob").await.len(), before + 2);
    let mismatch = same("clip3")
        .client_token("tok-2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_reason(&mismatch),
        (
            "ConflictException".into(),
            "IDEMPOTENT_PARAMETER_MISMATCH".into()
        )
    );
    let taken = same("clip").send().await.unwrap_err();
    assert_eq!(
        code_and_reason(&taken),
        ("ConflictException".into(), "RESOURCE_ALREADY_EXISTS".into())
    );
    // Unique within the channel: the same name on the other endpoint of the channel is taken too.
    let other_endpoint = create(c, "g", "e2", "clip", -600, -60)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_reason(&other_endpoint).1,
        "RESOURCE_ALREADY_EXISTS"
    );

    // Each validation error.
    let cases: Vec<(
        &str,
        mp2::operation::create_harvest_job::builders::CreateHarvestJobFluentBuilder,
        &str,
    )> = vec![
        (
            "end before start",
            create(c, "g", "e", "v1", -60, -600),
            "END_TIME_EARLIER_THAN_START_TIME",
        ),
        (
            "longer than 24 h",
            create(c, "g", "e", "v2", -90_000, -60),
            "INVALID_HARVEST_JOB_DURATION",
        ),
        (
            "start in the future",
            create(c, "g", "e", "v3", 60, 600),
            "MEMBER_INVALID",
        ),
        (
            "before the startover window",
            create(c, "g", "e", "v4", -4000, -3000),
            "MEMBER_INVALID",
        ),
        (
            "a manifest the endpoint lacks",
            create(c, "g", "e", "v5", -600, -60).harvested_manifests(
                HarvestedManifests::builder()
                    .hls_manifests(
                        HarvestedHlsManifest::builder()
                            .manifest_name("nope")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            ),
            "HARVESTED_MANIFEST_NOT_FOUND_ON_ENDPOINT",
        ),
        (
            "a filtered manifest",
            create(c, "g", "e", "v6", -600, -60).harvested_manifests(
                HarvestedManifests::builder()
                    .hls_manifests(
                        HarvestedHlsManifest::builder()
                            .manifest_name("filtered")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            ),
            "HARVESTED_MANIFEST_HAS_START_END_FILTER_CONFIGURATION",
        ),
    ];
    for (name, req, want) in cases {
        let err = req.send().await.unwrap_err();
        assert_eq!(
            code_and_reason(&err),
            ("ValidationException".into(), want.into()),
            "{name}"
        );
    }
    // The end may lie in the future (the job waits for it).
    create(c, "g", "e", "live-now", -600, 600)
        .send()
        .await
        .unwrap();

    // The group's quota: 10 QUEUED / IN_PROGRESS (clip, clip2, live-now + 7 more), then refused.
    for i in 0..7 {
        create(c, "g", "e2", &format!("q{i}"), -600, -60)
            .send()
            .await
            .unwrap();
    }
    let full = create(c, "g", "e2", "q7", -600, -60)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_reason(&full),
        (
            "ValidationException".into(),
            "TOO_MANY_IN_PROGRESS_HARVEST_JOBS".into()
        )
    );
    env.control
        .set_status(&StatusChange {
            kind: "mediapackagev2_harvest_job".into(),
            id: "g/c/e2/q0".into(),
            status: "COMPLETED".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    create(c, "g", "e2", "q7", -600, -60)
        .send()
        .await
        .expect("a finished job frees a slot");

    // List: paging, filters, bounds.
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = c
            .list_harvest_jobs()
            .channel_group_name("g")
            .max_results(3)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        assert!(page.items().len() <= 3);
        names.extend(
            page.items()
                .iter()
                .map(|j| j.harvest_job_name().to_string()),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names.len(), 11, "{names:?}");
    let of_e = c
        .list_harvest_jobs()
        .channel_group_name("g")
        .channel_name("c")
        .origin_endpoint_name("e")
        .send()
        .await
        .unwrap();
    assert_eq!(of_e.items().len(), 3);
    let done = c
        .list_harvest_jobs()
        .channel_group_name("g")
        .status(HarvestJobStatus::Completed)
        .send()
        .await
        .unwrap();
    assert_eq!(
        done.items()
            .iter()
            .map(|j| j.harvest_job_name())
            .collect::<Vec<_>>(),
        vec!["q0"]
    );
    for bad in [0, 101] {
        let err = c
            .list_harvest_jobs()
            .channel_group_name("g")
            .max_results(bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            code_and_reason(&err).0,
            "ValidationException",
            "maxResults {bad}"
        );
    }
    let nogroup = c
        .list_harvest_jobs()
        .channel_group_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_reason(&nogroup),
        ("ResourceNotFoundException".into(), "CHANNEL_GROUP".into())
    );

    // Get and cancel.
    let job = c
        .get_harvest_job()
        .channel_group_name("g")
        .channel_name("c")
        .origin_endpoint_name("e")
        .harvest_job_name("clip")
        .send()
        .await
        .unwrap();
    let stale = c
        .cancel_harvest_job()
        .channel_group_name("g")
        .channel_name("c")
        .origin_endpoint_name("e")
        .harvest_job_name("clip")
        .e_tag("etag-stale")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_reason(&stale),
        ("ConflictException".into(), "CONFLICTING_OPERATION".into())
    );
    c.cancel_harvest_job()
        .channel_group_name("g")
        .channel_name("c")
        .origin_endpoint_name("e")
        .harvest_job_name("clip")
        .e_tag(job.e_tag().unwrap())
        .send()
        .await
        .unwrap();
    let cancelled = c
        .get_harvest_job()
        .channel_group_name("g")
        .channel_name("c")
        .origin_endpoint_name("e")
        .harvest_job_name("clip")
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), &HarvestJobStatus::Cancelled);
    let twice = c
        .cancel_harvest_job()
        .channel_group_name("g")
        .channel_name("c")
        .origin_endpoint_name("e")
        .harvest_job_name("clip")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_reason(&twice),
        (
            "ValidationException".into(),
            "HARVEST_JOB_INELIGIBLE_FOR_CANCELLATION".into()
        )
    );
    let missing = c
        .get_harvest_job()
        .channel_group_name("g")
        .channel_name("c")
        .origin_endpoint_name("e")
        .harvest_job_name("none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_reason(&missing),
        ("ResourceNotFoundException".into(), "HARVEST_JOB".into())
    );
}

#[tokio::test]
async fn every_response_matches_the_botocore_model() {
    let env = TestEnv::start().await;
    world(&env.clients.mediapackagev2, "g").await;
    let model = Model::load("mediapackagev2-2022-12-25.json");
    let raw = |method: &'static str, path: String, body: Option<Value>| {
        let control = env.control.clone();
        async move {
            let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
            let (status, resp) = control.raw(method, &path, bytes.as_deref()).await.unwrap();
            (
                status,
                serde_json::from_slice::<Value>(&resp).unwrap_or(Value::Null),
            )
        }
    };
    let now = now_s();
    let job = json!({
        "HarvestJobName": "shape", "Description": "a clip",
        "HarvestedManifests": { "HlsManifests": [{ "ManifestName": "index" }], "DashManifests": [{ "ManifestName": "dash" }], "LowLatencyHlsManifests": [{ "ManifestName": "low" }] },
        "ScheduleConfiguration": { "StartTime": now - 600, "EndTime": now - 60 },
        "Destination": { "S3Destination": { "BucketName": "vod-clips", "DestinationPath": "clips/shape/" } }
    });
    let base = "/channelGroup/g/channel/c/originEndpoint/e";
    let calls: Vec<(&str, &str, String, Option<Value>)> = vec![
        (
            "CreateChannelGroup",
            "POST",
            "/channelGroup".into(),
            Some(json!({ "ChannelGroupName": "g2", "Description": "d" })),
        ),
        ("GetChannelGroup", "GET", "/channelGroup/g".into(), None),
        (
            "ListChannelGroups",
            "GET",
            "/channelGroup?maxResults=1".into(),
            None,
        ),
        (
            "CreateChannel",
            "POST",
            "/channelGroup/g2/channel".into(),
            Some(json!({ "ChannelName": "c2" })),
        ),
        (
            "GetChannel",
            "GET",
            "/channelGroup/g/channel/c/".into(),
            None,
        ),
        (
            "ListChannels",
            "GET",
            "/channelGroup/g/channel".into(),
            None,
        ),
        (
            "CreateOriginEndpoint",
            "POST",
            "/channelGroup/g2/channel/c2/originEndpoint".into(),
            Some(
                json!({ "OriginEndpointName": "e", "ContainerType": "CMAF", "StartoverWindowSeconds": 60, "HlsManifests": [{ "ManifestName": "index" }], "DashManifests": [{ "ManifestName": "d" }] }),
            ),
        ),
        ("GetOriginEndpoint", "GET", base.into(), None),
        (
            "ListOriginEndpoints",
            "GET",
            "/channelGroup/g/channel/c/originEndpoint".into(),
            None,
        ),
        (
            "CreateHarvestJob",
            "POST",
            format!("{base}/harvestJob"),
            Some(job),
        ),
        (
            "GetHarvestJob",
            "GET",
            format!("{base}/harvestJob/shape"),
            None,
        ),
        (
            "ListHarvestJobs",
            "GET",
            "/channelGroup/g/harvestJob?includeStatus=QUEUED&maxResults=10".into(),
            None,
        ),
        (
            "CancelHarvestJob",
            "PUT",
            format!("{base}/harvestJob/shape"),
            None,
        ),
    ];
    for (op, method, path, body) in calls {
        let (status, v) = raw(method, path.clone(), body).await;
        assert_eq!(status, 200, "{op} {path}: {v}");
        model.assert_output(op, &v);
    }
    // Error bodies match their error shapes.
    let errors: Vec<(&str, &str, String, Option<Value>, u16)> = vec![
        (
            "ResourceNotFoundException",
            "GET",
            format!("{base}/harvestJob/none"),
            None,
            404,
        ),
        (
            "ConflictException",
            "POST",
            "/channelGroup".into(),
            Some(json!({ "ChannelGroupName": "g" })),
            409,
        ),
        (
            "ValidationException",
            "PUT",
            format!("{base}/harvestJob/shape"),
            None,
            400,
        ),
        (
            "ValidationException",
            "GET",
            "/channelGroup/g/harvestJob?maxResults=0".into(),
            None,
            400,
        ),
    ];
    for (shape, method, path, body, want) in errors {
        let (status, v) = raw(method, path.clone(), body).await;
        assert_eq!(status, want, "{path}: {v}");
        let problems = model.check(shape, &v);
        assert!(problems.is_empty(), "{path}: {problems:?} in {v}");
        assert!(v.get("Message").is_some(), "{v}");
    }
    // What the SDKs' builders never send, the service still refuses with its reason: a request
    // without its destination (or with half of one).
    let now = now_s();
    for destination in [
        json!(null),
        json!({ "S3Destination": { "BucketName": "vod-clips" } }),
    ] {
        let mut body = json!({
            "HarvestJobName": "nodest",
            "HarvestedManifests": { "HlsManifests": [{ "ManifestName": "index" }] },
            "ScheduleConfiguration": { "StartTime": now - 600, "EndTime": now - 60 },
        });
        if !destination.is_null() {
            body["Destination"] = destination;
        }
        let (status, v) = raw("POST", format!("{base}/harvestJob"), Some(body)).await;
        assert_eq!(status, 400, "{v}");
        assert_eq!(
            v["ValidationExceptionType"], "HARVEST_JOB_S3_DESTINATION_MISSING_OR_INCOMPLETE",
            "{v}"
        );
        assert!(model.check("ValidationException", &v).is_empty(), "{v}");
    }
}

#[tokio::test]
async fn boto3_drives_the_emulator_through_botocores_own_model() {
    let env = TestEnv::start().await;
    let root = mediaops_integration_tests::dynamo::root();
    let tools = std::process::Command::new(root.join("scripts/tools"))
        .output()
        .expect("scripts/tools runs");
    assert!(
        tools.status.success(),
        "scripts/tools: {}",
        String::from_utf8_lossy(&tools.stderr)
    );
    let bin = String::from_utf8_lossy(&tools.stdout).trim().to_string();
    let out = tokio::process::Command::new(format!("{bin}/python"))
        .arg(root.join("tests/integration/boto3_mediapackagev2.py"))
        .arg(env.emulator.url())
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "boto3 script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("boto3 mediapackagev2: all checks passed"),
        "{stdout}"
    );
}

#[tokio::test]
async fn the_adapter_reads_endpoints_creates_idempotently_and_names_the_quota() {
    let env = TestEnv::start().await;
    world(&env.clients.mediapackagev2, "g").await;
    let a = env.clients.mediapackagev2();
    let path = EndpointPath::new("g", "c", "e");
    let e = a.get_origin_endpoint_v2(&path).await.unwrap();
    assert_eq!(e.startover_window_seconds, Some(3600));
    assert_eq!(
        e.manifests,
        ManifestNames {
            hls: vec!["index".into()],
            low_latency_hls: vec!["low".into()],
            dash: vec!["dash".into()]
        }
    );
    assert_eq!(
        e.filtered,
        vec!["filtered".to_string()],
        "a manifest with a start filter is not harvestable"
    );
    assert_eq!(
        a.list_origin_endpoints_v2("g", "c", None)
            .await
            .unwrap()
            .items,
        vec!["e", "e2"]
    );
    let gone = a
        .get_origin_endpoint_v2(&EndpointPath::new("g", "c", "none"))
        .await
        .unwrap_err();
    assert_eq!(gone.kind, AwsErrorKind::NotFound);

    let now = chrono::Utc::now();
    let job = |name: &str, endpoint: &str| {
        new_harvest_v2(
            EndpointPath::new("g", "c", endpoint),
            name.into(),
            now - chrono::Duration::minutes(10),
            now - chrono::Duration::minutes(1),
            mediaops::model::DestinationV2 {
                bucket_name: "vod-clips".into(),
                destination_path: format!("clips/{name}/"),
            },
            e.manifests.clone(),
        )
    };
    let made = a.create_harvest_job_v2(&job("a", "e")).await.unwrap();
    assert_eq!(
        (made.name.as_str(), made.status.as_deref()),
        ("a", Some("QUEUED"))
    );
    assert_eq!(made.manifests, e.manifests);
    assert_eq!(
        made.destination.as_ref().unwrap().destination_path,
        "clips/a/"
    );
    assert_eq!(
        made.start.unwrap().timestamp(),
        (now - chrono::Duration::minutes(10)).timestamp()
    );
    let again = a
        .create_harvest_job_v2(&job("a", "e"))
        .await
        .expect("the same request (same token) is the original job");
    assert_eq!(again.etag, made.etag);
    for i in 0..9 {
        a.create_harvest_job_v2(&job(&format!("n{i}"), "e2"))
            .await
            .unwrap();
    }
    let full = a
        .create_harvest_job_v2(&job("over", "e2"))
        .await
        .unwrap_err();
    assert_eq!(full.kind, AwsErrorKind::QuotaExceeded);
    assert!(full.is_retryable());
    assert_eq!(
        full.code.as_deref(),
        Some("ValidationException:TOO_MANY_IN_PROGRESS_HARVEST_JOBS")
    );

    let filter = HarvestFilterV2 {
        channel_group: "g".into(),
        endpoint: Some("e2".into()),
        ..Default::default()
    };
    let first = a
        .list_harvest_jobs_v2(&filter, None, Some(4))
        .await
        .unwrap();
    assert_eq!(first.items.len(), 4);
    let rest = a
        .list_harvest_jobs_v2(&filter, first.next_token.as_deref(), Some(100))
        .await
        .unwrap();
    assert_eq!((rest.items.len(), rest.next_token), (5, None));

    let got = a.get_harvest_job_v2(&path, "a").await.unwrap();
    a.cancel_harvest_job_v2(&path, "a", got.etag.as_deref())
        .await
        .unwrap();
    assert_eq!(
        a.get_harvest_job_v2(&path, "a")
            .await
            .unwrap()
            .status
            .as_deref(),
        Some("CANCELLED")
    );
    let again = a.cancel_harvest_job_v2(&path, "a", None).await.unwrap_err();
    assert_eq!(
        again.code.as_deref(),
        Some("ValidationException:HARVEST_JOB_INELIGIBLE_FOR_CANCELLATION")
    );
    assert_eq!(again.kind, AwsErrorKind::Rejected);
}
