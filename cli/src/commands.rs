//! The command tree, made from the runbook's own table of actions (`runbook::services::ALL`):
//! each action is a command (`queue.drain` → `mediaops queue drain`), each of its parameters a
//! positional argument or a flag (`pipeline.recover`'s `max_generations` → `--max-generations`),
//! so a new action is a new command with nothing to add here. Also the request a command line
//! makes, parameter by parameter.

use std::collections::BTreeMap;

use chrono::{SecondsFormat, Utc};
use clap::{Arg, ArgAction, ArgMatches, Command};
use runbook::action::{ActionSpec, Kind, Param};
use runbook::request::HELP;
use runbook::services::ALL;
use serde_json::{json, Map, Value};

use crate::CliError;

/// The command line's own commands (not runbook actions).
pub const OWN_COMMANDS: &[&str] = &["completions"];

/// Actions whose command is not their name's words: the runbook's `help` (clap's `help` is the
/// command line's own help) is `mediaops actions`; `guard.overview` is `mediaops overview`.
const RENAMED: &[(&str, &str)] = &[("help", "actions"), ("guard.overview", "overview")];

/// Every action of the deployed runbook, in the table's order, then `help`.
pub fn actions() -> Vec<&'static ActionSpec> {
    ALL.iter()
        .flat_map(|s| s.actions())
        .chain([&HELP])
        .collect()
}

/// The words of an action's command: `harvest.v2.list` → `harvest v2 list`,
/// `batch.set_priority` → `batch set-priority`.
pub fn words(action: &str) -> Vec<String> {
    if let Some((_, to)) = RENAMED.iter().find(|(a, _)| *a == action) {
        return to.split(' ').map(str::to_string).collect();
    }
    action.split('.').map(|w| w.replace('_', "-")).collect()
}

/// A parameter's flag: `max_generations` → `max-generations`.
pub fn flag(param: &str) -> String {
    param.replace('_', "-")
}

fn kind_help(p: &Param) -> &'static str {
    match p.kind {
        Kind::Text | Kind::Flag | Kind::Int | Kind::Number => "",
        Kind::Time => " [RFC 3339, or a time ago: 90m, 2h, 3d]",
        Kind::List | Kind::IntList => " [comma-separated]",
        Kind::Json => " [JSON, or @FILE]",
    }
}

/// The arguments of one action's command.
fn action_command(spec: &'static ActionSpec, name: String) -> Command {
    let mut about = spec.does.replace('`', "");
    if let Some(cut) = about.find(". ") {
        about.truncate(cut + 1);
    }
    if spec.destructive {
        about = format!("⚠ {about} Without --confirm: the plan only.");
    }
    let mut c = Command::new(name).about(about).long_about(format!(
        "The runbook's {} action.\n\n{}\n\nParameters: {}",
        spec.name,
        spec.does.replace('`', ""),
        spec.params.replace('`', "")
    ));
    let mut index = 1;
    for p in spec.args {
        let help = format!("{}{}", p.help, kind_help(p));
        let mut a = Arg::new(p.name).help(help.clone());
        if p.positional {
            a = a
                .index(index)
                .required(p.required)
                .value_name(p.name.to_uppercase());
            index += 1;
        } else {
            a = a.long(flag(p.name)).value_name(match p.kind {
                Kind::Int | Kind::Number => "N",
                Kind::Time => "TIME",
                Kind::List | Kind::IntList => "A,B",
                Kind::Json => "JSON",
                Kind::Text | Kind::Flag => "VALUE",
            });
            a = match p.kind {
                Kind::Flag => a
                    .num_args(0..=1)
                    .require_equals(true)
                    .default_missing_value("true")
                    .value_parser(clap::value_parser!(bool))
                    .value_name("BOOL"),
                Kind::List | Kind::IntList => a.action(ArgAction::Append),
                _ => a,
            };
            // Required by the runbook, which names it when it is missing; not by the command
            // line, since --json may give it.
            if p.required {
                a = a.help(format!("{help} (required)"));
            }
        }
        c = c.arg(a);
    }
    if spec.mutates {
        c = c.arg(
            Arg::new("dry_run")
                .long("dry-run")
                .action(ArgAction::SetTrue)
                .help("plan only, change nothing (the runbook's dry_run)"),
        );
        c = c.arg(
            Arg::new("confirm")
                .long("confirm")
                .action(ArgAction::SetTrue)
                .help(if spec.destructive {
                    "carry the plan out (without it: the plan, then on a terminal the resource's name to type)"
                } else {
                    "the runbook's confirm (batch.create without confirmation_required needs it)"
                }),
        );
    }
    c.arg(
        Arg::new("json")
            .long("json")
            .value_name("JSON")
            .help("more parameters as a JSON object, or @FILE (the flags override it)"),
    )
}

/// One level of the tree: a group of commands, or an action.
#[derive(Default)]
struct Node {
    action: Option<&'static ActionSpec>,
    children: Vec<(String, Node)>,
}

impl Node {
    fn insert(&mut self, path: &[String], spec: &'static ActionSpec) {
        match path.split_first() {
            None => self.action = Some(spec),
            Some((first, rest)) => {
                let at = match self.children.iter().position(|(n, _)| n == first) {
                    Some(i) => i,
                    None => {
                        self.children.push((first.clone(), Node::default()));
                        self.children.len() - 1
                    }
                };
                self.children[at].1.insert(rest, spec);
            }
        }
    }

    fn command(self, name: String) -> Command {
        match self.action {
            Some(spec) => action_command(spec, name),
            None => {
                let about = format!(
                    "{} actions",
                    match name.as_str() {
                        "pipeline" => "Elastic Transcoder pipeline",
                        "queue" => "MediaConvert queue",
                        "jobs" => "Elastic Transcoder job",
                        "mediaconvert" => "MediaConvert",
                        "batch" => "S3 Batch Operations",
                        "logging" => "MediaStore access-logging",
                        "harvest" => "MediaPackage harvest",
                        "v2" => "MediaPackage v2 harvest",
                        other => other,
                    }
                );
                let mut c = Command::new(name)
                    .about(about)
                    .subcommand_required(true)
                    .arg_required_else_help(true);
                for (n, child) in self.children {
                    c = c.subcommand(child.command(n));
                }
                c
            }
        }
    }
}

/// The whole command line: the global options, every action's command, and the command line's
/// own commands.
pub fn cli() -> Command {
    let mut root = Node::default();
    for spec in actions() {
        root.insert(&words(spec.name), spec);
    }
    let mut c = Command::new("mediaops")
        .about("The operators' command line of mediaops: every runbook action as a command, run on the deployed runbook (or --local), long runs carried to the end.")
        .after_help("Where: --function NAME|ARN, --stack NAME (its RunbookFunctionName output) or MEDIAOPS_RUNBOOK; --local runs the runbook's code here with your credentials.\nExit codes: 0 done (or the plan you asked for), 1 service error, 2 usage, 3 refused, 4 incomplete.")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("function")
                .long("function")
                .global(true)
                .value_name("NAME|ARN")
                .env("MEDIAOPS_RUNBOOK")
                .help("the deployed runbook function"),
        )
        .arg(
            Arg::new("stack")
                .long("stack")
                .global(true)
                .value_name("NAME")
                .help("the mediaops stack: its RunbookFunctionName output names the runbook"),
        )
        .arg(
            Arg::new("local")
                .long("local")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("run the runbook's code here, with your credentials (its settings from the environment: MEDIAOPS_ACCOUNT_ID, GUARD_TABLE, NOTIFICATION_TOPIC_ARN, DRY_RUN)"),
        )
        .arg(Arg::new("region").long("region").global(true).value_name("REGION").help("the AWS region (else your configuration's)"))
        .arg(Arg::new("account").long("account").global(true).value_name("ACCOUNT").help("central mode: act in this governed account (the runbook assumes its member role; default the deployment's own)"))
        .arg(Arg::new("in_region").long("in-region").global(true).value_name("REGION").help("central mode: act in this governed region (default the deployment's own)"))
        .arg(Arg::new("profile").long("profile").global(true).value_name("PROFILE").help("the AWS profile (else AWS_PROFILE, else the default)"))
        .arg(
            Arg::new("output")
                .long("output")
                .short('o')
                .global(true)
                .value_parser(["table", "json"])
                .default_value("table")
                .help("table: tables and one-line verdicts; json: the runbook's reports as they are"),
        )
        .arg(
            Arg::new("max_invocations")
                .long("max-invocations")
                .global(true)
                .value_name("N")
                .value_parser(clap::value_parser!(u32).range(1..))
                .default_value("100")
                .help("a drain or recovery that runs out of time is invoked again, up to this many invocations in all"),
        )
        .arg(
            Arg::new("slice")
                .long("local-slice")
                .global(true)
                .value_name("SECONDS")
                .value_parser(clap::value_parser!(u64).range(1..=900))
                .default_value("20")
                .help("--local: how long each in-process run of a drain or recovery goes before its progress is shown (an invocation's time)"),
        );
    for (n, child) in root.children {
        c = c.subcommand(child.command(n));
    }
    c.subcommand(
        Command::new("completions")
            .about("Shell completions: mediaops completions bash > /etc/bash_completion.d/mediaops")
            .arg(
                Arg::new("shell")
                    .required(true)
                    .value_parser(clap::value_parser!(clap_complete::Shell)),
            ),
    )
}

/// The action a parsed command line names, with its leaf's matches.
pub fn chosen(matches: &ArgMatches) -> Option<(&'static ActionSpec, &ArgMatches)> {
    let mut path = Vec::new();
    let mut m = matches;
    while let Some((name, sub)) = m.subcommand() {
        path.push(name.to_string());
        m = sub;
    }
    actions()
        .into_iter()
        .find(|a| words(a.name) == path)
        .map(|a| (a, m))
}

/// `2h` ago, `90m`, `3d`, `45s`, `1w` as an RFC 3339 time; anything else as given.
pub fn time_value(v: &str, now: chrono::DateTime<Utc>) -> Result<String, String> {
    let v = v.trim();
    let (n, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len()));
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => 0,
    };
    match n.parse::<i64>() {
        Ok(n) if seconds > 0 => {
            let at = now - chrono::Duration::seconds(n.saturating_mul(seconds));
            Ok(at.to_rfc3339_opts(SecondsFormat::Secs, true))
        }
        _ if chrono::DateTime::parse_from_rfc3339(v).is_ok() => Ok(v.to_string()),
        _ => Err(format!(
            "{v:?} is not an RFC 3339 time (2026-11-30T14:00:00Z) nor a time ago (90m, 2h, 3d)"
        )),
    }
}

/// `@FILE` read, else the text itself.
fn text_or_file(v: &str) -> Result<String, String> {
    match v.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}")),
        None => Ok(v.to_string()),
    }
}

fn value(p: &Param, raw: &[String], now: chrono::DateTime<Utc>) -> Result<Value, String> {
    let one = || raw.first().cloned().unwrap_or_default();
    let items = || {
        raw.iter()
            .flat_map(|r| r.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let flag = flag(p.name);
    Ok(match p.kind {
        Kind::Text => json!(one()),
        Kind::Flag => json!(one() == "true"),
        Kind::Int => json!(one()
            .parse::<i64>()
            .map_err(|_| format!("--{flag} {:?} is not a whole number", one()))?),
        Kind::Number => json!(one()
            .parse::<f64>()
            .map_err(|_| format!("--{flag} {:?} is not a number", one()))?),
        Kind::Time => json!(time_value(&one(), now).map_err(|e| format!("--{flag}: {e}"))?),
        Kind::List => json!(items()),
        Kind::IntList => {
            let mut out = Vec::new();
            for i in items() {
                out.push(
                    i.parse::<i64>()
                        .map_err(|_| format!("--{flag} {i:?} is not a whole number"))?,
                );
            }
            json!(out)
        }
        Kind::Json => {
            let text = text_or_file(&one()).map_err(|e| format!("--{flag}: {e}"))?;
            serde_json::from_str(&text).map_err(|e| format!("--{flag} is not JSON: {e}"))?
        }
    })
}

/// The runbook request a command line makes (without `confirm`: the flow adds it), and whether
/// `--confirm` was given.
pub fn request(
    spec: &'static ActionSpec,
    m: &ArgMatches,
    now: chrono::DateTime<Utc>,
) -> Result<(Value, bool), CliError> {
    let mut req: Map<String, Value> = match m.get_one::<String>("json") {
        None => Map::new(),
        Some(j) => {
            let text = text_or_file(j).map_err(CliError::Usage)?;
            match serde_json::from_str(&text) {
                Ok(Value::Object(o)) => o,
                Ok(_) => return Err(CliError::Usage("--json must be a JSON object".into())),
                Err(e) => return Err(CliError::Usage(format!("--json is not JSON: {e}"))),
            }
        }
    };
    req.remove("action");
    let confirm_in_json = matches!(req.remove("confirm"), Some(Value::Bool(true)));
    for p in spec.args {
        let raw: Vec<String> = match p.kind {
            Kind::Flag => m
                .get_one::<bool>(p.name)
                .map(|b| vec![b.to_string()])
                .unwrap_or_default(),
            _ => m
                .get_many::<String>(p.name)
                .map(|v| v.cloned().collect())
                .unwrap_or_default(),
        };
        if raw.is_empty() {
            continue;
        }
        req.insert(p.name.into(), value(p, &raw, now).map_err(CliError::Usage)?);
    }
    let flag = |name: &str| spec.mutates && m.get_flag(name);
    if flag("dry_run") {
        req.insert("dry_run".into(), json!(true));
    }
    let mut out = Map::new();
    out.insert("action".into(), json!(spec.name));
    out.extend(req);
    Ok((Value::Object(out), flag("confirm") || confirm_in_json))
}

/// The command line of a request: `mediaops queue recover vod-premium --since 2026-11-30T14:00:00Z`
/// (what to type to repeat or continue it).
pub fn command_line(req: &Value, confirm: bool) -> String {
    let action = req["action"].as_str().unwrap_or_default();
    let spec = actions().into_iter().find(|a| a.name == action);
    let mut out = vec!["mediaops".to_string()];
    out.extend(words(action));
    let mut rest: BTreeMap<&str, &Value> = req
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| k.as_str() != "action")
                .map(|(k, v)| (k.as_str(), v))
                .collect()
        })
        .unwrap_or_default();
    let quote = |s: &str| {
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:/@,+=".contains(c))
        {
            s.to_string()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    let plain = |v: &Value| match v {
        Value::String(s) => quote(s),
        Value::Array(a) => quote(
            &a.iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| x.to_string())
                })
                .collect::<Vec<_>>()
                .join(","),
        ),
        other => quote(&other.to_string()),
    };
    if let Some(spec) = spec {
        for p in spec.args.iter().filter(|p| p.positional) {
            if let Some(v) = rest.remove(p.name) {
                out.push(plain(v));
            }
        }
    }
    for (k, v) in rest {
        match (k, v) {
            ("dry_run", Value::Bool(true)) => out.push("--dry-run".into()),
            ("dry_run", _) | ("confirm", _) => {}
            (k, Value::Bool(true)) => out.push(format!("--{}", flag(k))),
            (k, Value::Bool(false)) => out.push(format!("--{}=false", flag(k))),
            (k, v) => {
                out.push(format!("--{}", flag(k)));
                out.push(plain(v));
            }
        }
    }
    if confirm {
        out.push("--confirm".into());
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> (Value, bool) {
        let m = cli()
            .try_get_matches_from(args)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let (spec, leaf) = chosen(&m).expect("an action");
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        request(spec, leaf, now).unwrap()
    }

    /// Every action of the runbook's table is a command, and every command is an action or one
    /// of the command line's own: the two cannot drift apart.
    #[test]
    fn every_action_is_a_command_and_every_command_an_action() {
        fn leaves(c: &Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
            if c.get_subcommands().next().is_none() {
                out.push(path);
                return;
            }
            for s in c.get_subcommands() {
                let mut p = path.clone();
                p.push(s.get_name().to_string());
                leaves(s, p, out);
            }
        }
        let mut found = Vec::new();
        leaves(&cli(), Vec::new(), &mut found);
        let own: Vec<Vec<String>> = OWN_COMMANDS.iter().map(|c| vec![c.to_string()]).collect();
        for path in &found {
            let action = actions().into_iter().find(|a| &words(a.name) == path);
            assert!(
                action.is_some() || own.contains(path),
                "mediaops {} is no runbook action",
                path.join(" ")
            );
        }
        for a in actions() {
            assert!(
                found.contains(&words(a.name)),
                "the runbook's {} has no command",
                a.name
            );
        }
        assert_eq!(found.len(), actions().len() + OWN_COMMANDS.len());
        cli().debug_assert();
    }

    #[test]
    fn commands_make_the_runbooks_requests() {
        assert_eq!(
            parse(&["mediaops", "queue", "status", "vod-premium"]),
            (
                json!({ "action": "queue.status", "queue": "vod-premium" }),
                false
            )
        );
        assert_eq!(
            parse(&[
                "mediaops",
                "queue",
                "recover",
                "vod-premium",
                "--since",
                "2h",
                "--confirm"
            ]),
            (
                json!({ "action": "queue.recover", "queue": "vod-premium", "since": "2026-12-01T10:00:00Z" }),
                true
            )
        );
        assert_eq!(
            parse(&[
                "mediaops",
                "pipeline",
                "drain",
                "1111111111111-abcde1",
                "--concurrency",
                "16"
            ])
            .0,
            json!({ "action": "pipeline.drain", "pipeline_id": "1111111111111-abcde1", "concurrency": 16 })
        );
        assert_eq!(
            parse(&["mediaops", "batch", "confirm", "4e3b1f2a-0001"]).0,
            json!({ "action": "batch.confirm", "job_id": "4e3b1f2a-0001" })
        );
        assert_eq!(
            parse(&["mediaops", "harvest", "v2", "list", "live", "--status", "FAILED"]).0,
            json!({ "action": "harvest.v2.list", "channel_group": "live", "status": "FAILED" })
        );
        assert_eq!(
            parse(&[
                "mediaops",
                "queue",
                "drain",
                "vod",
                "--include-progressing",
                "--dry-run",
                "--rate",
                "2.5"
            ])
            .0,
            json!({ "action": "queue.drain", "queue": "vod", "include_progressing": true, "dry_run": true, "rate": 2.5 })
        );
        assert_eq!(
            parse(&[
                "mediaops",
                "queue",
                "recover",
                "vod",
                "--codes",
                "1432,1433",
                "--codes",
                "1401"
            ])
            .0,
            json!({ "action": "queue.recover", "queue": "vod", "codes": [1432, 1433, 1401] })
        );
        assert_eq!(
            parse(&[
                "mediaops",
                "batch",
                "set-priority",
                "j1",
                "--priority",
                "50"
            ])
            .0,
            json!({ "action": "batch.set_priority", "job_id": "j1", "priority": 50 })
        );
        assert_eq!(
            parse(&[
                "mediaops",
                "batch",
                "create",
                "--json",
                r#"{"priority": 5, "role_arn": "r"}"#,
                "--priority",
                "7",
                "--operation",
                r#"{"type": "S3PutObjectAcl", "canned_acl": "private"}"#,
                "--manifest",
                "{}",
                "--report",
                r#"{"enabled": false}"#,
                "--confirmation-required=false",
                "--confirm"
            ]),
            (
                json!({ "action": "batch.create", "priority": 7, "role_arn": "r", "operation": {"type": "S3PutObjectAcl", "canned_acl": "private"},
                "manifest": {}, "report": {"enabled": false}, "confirmation_required": false }),
                true
            )
        );
        assert_eq!(
            parse(&["mediaops", "actions"]).0,
            json!({ "action": "help" })
        );
        assert_eq!(
            parse(&["mediaops", "logging", "status"]).0,
            json!({ "action": "logging.status" })
        );
    }

    #[test]
    fn a_request_is_repeated_by_its_command_line() {
        for (req, confirm) in [
            (
                json!({ "action": "queue.recover", "queue": "vod-premium", "since": "2026-12-01T10:00:00Z", "codes": [1432, 1401] }),
                true,
            ),
            (
                json!({ "action": "pipeline.drain", "pipeline_id": "1111111111111-abcde1", "concurrency": 16, "dry_run": true }),
                false,
            ),
            (
                json!({ "action": "jobs.list", "pipeline_id": "1111111111111-abcde1", "limit": 20 }),
                false,
            ),
            (
                json!({ "action": "batch.cancel", "job_id": "j-1", "reason": "wrong manifest, it's old" }),
                true,
            ),
            (
                json!({ "action": "queue.drain", "queue": "vod", "include_progressing": true }),
                false,
            ),
        ] {
            let line = command_line(&req, confirm);
            let args = shell_words(&line);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            assert_eq!(parse(&refs), (req.clone(), confirm), "{line}");
        }
    }

    /// Splits a command line as a POSIX shell would (single quotes only).
    pub(crate) fn shell_words(line: &str) -> Vec<String> {
        let (mut out, mut cur, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\'' => {
                    quoted = !quoted;
                    any = true;
                }
                '\\' if !quoted => {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                }
                ' ' if !quoted => {
                    if any || !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                    any = false;
                }
                c => cur.push(c),
            }
        }
        if any || !cur.is_empty() {
            out.push(cur);
        }
        out
    }

    /// Every `mediaops … (runbook {…})` step a notice gives makes the request it shows: the
    /// notices' commands (worded in `mediaops::notify::notices`) and the command line agree, for
    /// the steps the notices give and for every such line of the README (its notices, the demo's).
    #[test]
    fn the_notices_commands_make_the_requests_they_show() {
        use mediaops::notify::notices::runbook_step;
        let mut lines = vec![
            runbook_step(
                r#"{"action": "queue.status", "queue": "vod-premium"}"#,
                Some("queue"),
            ),
            runbook_step(
                r#"{"action": "pipeline.recover", "pipeline_id": "2222222222222-promo1"}"#,
                Some("pipeline_id"),
            ),
            runbook_step(
                r#"{"action": "mediaconvert.jobs.list", "queue": "vod-premium", "status": "ERROR", "order": "newest", "limit": 20}"#,
                None,
            ),
            runbook_step(
                r#"{"action": "jobs.list", "pipeline_id": "2222222222222-promo1", "limit": 20}"#,
                None,
            ),
            runbook_step(
                r#"{"action": "logging.start", "container": "scratch-encode"}"#,
                Some("container"),
            ),
            runbook_step(
                r#"{"action": "batch.cancel", "job_id": "j-1", "reason": "wrong manifest", "confirm": true}"#,
                Some("job_id"),
            ),
        ];
        let readme = include_str!("../../README.md");
        lines.extend(
            readme
                .lines()
                .filter(|l| l.contains("mediaops ") && l.contains(" (runbook {"))
                .map(str::to_string),
        );
        let mut checked = 0;
        for line in &lines {
            let mut rest = line.as_str();
            while let Some(at) = rest.find("mediaops ") {
                let tail = &rest[at..];
                let Some(open) = tail.find(" (runbook {") else {
                    break;
                };
                let command = &tail[..open];
                let json_start = open + " (runbook ".len();
                let mut depth = 0;
                let mut end = json_start;
                for (i, c) in tail[json_start..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = json_start + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let mut want: Value = serde_json::from_str(&tail[json_start..end])
                    .unwrap_or_else(|e| panic!("{line}: {e}"));
                let want_confirm =
                    want.as_object_mut().and_then(|o| o.remove("confirm")) == Some(json!(true));
                let args = shell_words(command);
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                assert_eq!(parse(&refs), (want, want_confirm), "{command}");
                checked += 1;
                rest = &tail[end..];
            }
        }
        assert!(checked >= 6, "{checked}");
    }

    #[test]
    fn times_ago() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time_value("90m", now).unwrap(), "2026-12-01T10:30:00Z");
        assert_eq!(time_value("3d", now).unwrap(), "2026-11-28T12:00:00Z");
        assert_eq!(
            time_value("2026-11-30T14:00:00+01:00", now).unwrap(),
            "2026-11-30T14:00:00+01:00"
        );
        assert!(time_value("yesterday", now)
            .unwrap_err()
            .contains("time ago"));
        assert!(time_value("5x", now).is_err());
    }
}
