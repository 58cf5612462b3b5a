//! Accounts, regions, IAM roles and STS sessions: whom a request speaks for, and in which world
//! (account, region) its resources live. Documented in the README, "Accounts, regions and STS".
//!
//! The account comes from the SigV4 access key id: a session key STS issued (its token must come
//! along), a key registered through the control API, else the default account. The region is the
//! SigV4 credential scope's, else `us-east-1`. Signatures themselves are not checked.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hasher};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::{Protocol, Req};
use crate::state::{now_ms, ApiError};

/// The account of every request that names no other.
pub const DEFAULT_ACCOUNT: &str = "123456789012";
/// The region of a request that names none (unsigned, or signed without a credential scope).
pub const DEFAULT_REGION: &str = "us-east-1";
/// AssumeRole's DurationSeconds bounds (the STS model) and its default.
pub const MIN_SESSION_SECONDS: u64 = 900;
pub const DEFAULT_SESSION_SECONDS: u64 = 3600;
/// A role's MaxSessionDuration bounds (IAM CreateRole).
pub const MAX_ROLE_SESSION_SECONDS: u64 = 43200;
/// Role chaining (a session assuming a role) is capped at one hour.
pub const CHAINED_SESSION_SECONDS: u64 = 3600;

/// The account and region a request speaks for: the world its resources live in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Default for Scope {
    fn default() -> Self {
        Self {
            account: DEFAULT_ACCOUNT.into(),
            region: DEFAULT_REGION.into(),
        }
    }
}

impl Scope {
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            account: account.into(),
            region: region.into(),
        }
    }

    /// `aws`, or `aws-cn` / `aws-us-gov` for those regions.
    pub fn partition(&self) -> &'static str {
        partition_of(&self.region)
    }

    /// `arn:<partition>:<service>:<region>:<account>:<resource>`.
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition(),
            self.region,
            self.account
        )
    }
}

pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

pub fn valid_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// A SigV4 credential: `<access key id>/<date>/<region>/<service>/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    pub region: String,
    pub service: String,
}

impl Credential {
    pub fn parse(text: &str) -> Option<Self> {
        // rsplitn: ["aws4_request", service, region, date, key]
        let parts: Vec<&str> = text.rsplitn(5, '/').collect();
        match parts.as_slice() {
            ["aws4_request", service, region, _date, key] if !region.is_empty() => Some(Self {
                access_key_id: key.to_string(),
                region: region.to_string(),
                service: service.to_string(),
            }),
            _ => None,
        }
    }

    /// The request's credential: `Credential=` in `Authorization`, else a presigned
    /// `X-Amz-Credential`.
    pub fn of(req: &Req) -> Option<Self> {
        req.header("authorization")
            .and_then(|auth| {
                let cred = auth.split("Credential=").nth(1)?;
                Self::parse(cred.split([',', ' ']).next()?)
            })
            .or_else(|| req.q("X-Amz-Credential").and_then(Self::parse))
    }
}

/// The session token a request carries (`x-amz-security-token`, or presigned `X-Amz-Security-Token`).
fn security_token(req: &Req) -> Option<&str> {
    req.header("x-amz-security-token")
        .or_else(|| req.q("X-Amz-Security-Token"))
}

/// Who made a request: the world it speaks for and its principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub scope: Scope,
    /// `arn:aws:iam::<account>:root`, or `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub principal: String,
    /// GetCallerIdentity's UserId: the account id, or `<role id>:<session name>`.
    pub user_id: String,
    /// For a session: its role's ARN (trust policies name roles) and permitted actions.
    pub role_arn: Option<String>,
    pub actions: Option<Vec<String>>,
    /// The account's organization (`aws:PrincipalOrgID`), if it has one.
    pub organization: Option<String>,
}

impl Caller {
    pub fn is_session(&self) -> bool {
        self.role_arn.is_some()
    }
}

/// Why a request's credentials were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    InvalidToken,
    Expired,
}

impl AuthFailure {
    /// The refusal in the protocol's words: JSON protocols answer UnrecognizedClientException /
    /// ExpiredTokenException, Query and XML ones InvalidClientTokenId / ExpiredToken.
    pub fn error(self, protocol: Protocol) -> ApiError {
        let json = matches!(protocol, Protocol::RestJson | Protocol::Json11);
        match (self, json) {
            (AuthFailure::InvalidToken, true) => ApiError::new(
                403,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ),
            (AuthFailure::InvalidToken, false) => ApiError::new(
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ),
            (AuthFailure::Expired, true) => ApiError::new(
                403,
                "ExpiredTokenException",
                "The security token included in the request is expired",
            ),
            (AuthFailure::Expired, false) => ApiError::new(
                403,
                "ExpiredToken",
                "The security token included in the request is expired",
            ),
        }
    }
}

// ---------------------------------------------------------------- the registry

/// An account registered through the control API (the default one exists without it).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Account {
    pub id: String,
    pub organization: Option<String>,
    pub access_key_ids: Vec<String>,
}

/// An IAM role: its trust policy, session limit and (optionally) the actions its sessions may call.
#[derive(Debug, Clone)]
pub struct Role {
    pub account: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    /// `AROA…`: the prefix of its sessions' AssumedRoleId.
    pub role_id: String,
    pub trust: TrustPolicy,
    pub max_session_seconds: u64,
    pub actions: Option<Vec<String>>,
}

/// Credentials AssumeRole issued.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub account: String,
    pub role_arn: String,
    pub role_name: String,
    pub role_id: String,
    pub session_name: String,
    pub expires_ms: i64,
}

impl Session {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            self.account, self.role_name, self.session_name
        )
    }

    pub fn assumed_role_id(&self) -> String {
        format!("{}:{}", self.role_id, self.session_name)
    }
}

/// Accounts, their keys, roles and sessions. Global: not part of any world.
#[derive(Debug)]
pub struct Iam {
    pub accounts: BTreeMap<String, Account>,
    /// Registered access key id → account.
    pub keys: BTreeMap<String, String>,
    /// By ARN.
    pub roles: BTreeMap<String, Role>,
    /// By access key id.
    pub sessions: HashMap<String, Session>,
    counter: u64,
    seed: u64,
}

impl Default for Iam {
    fn default() -> Self {
        // A per-process random seed (std's hasher keys are random), so tokens are not guessable
        // from one run to the next.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_i64(now_ms());
        Self {
            accounts: BTreeMap::new(),
            keys: BTreeMap::new(),
            roles: BTreeMap::new(),
            sessions: HashMap::new(),
            counter: 0,
            seed: h.finish(),
        }
    }
}

/// `POST /_emulator/accounts`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    pub id: String,
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub organization: Option<String>,
}

/// `POST /_emulator/iam/roles`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    pub account: String,
    pub name: String,
    #[serde(default)]
    pub path: Option<String>,
    /// The trust policy: a JSON document, or a string holding one (as IAM's API takes it).
    pub assume_role_policy: Value,
    #[serde(default)]
    pub max_session_seconds: Option<u64>,
    #[serde(default)]
    pub actions: Option<Vec<String>>,
}

/// A control API refusal: status and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub u16, pub String);

fn refuse(msg: impl Into<String>) -> Refused {
    Refused(400, msg.into())
}

impl Iam {
    /// Unguessable-enough text from a counter and the seed: `len` characters of `alphabet`.
    pub fn random(&mut self, alphabet: &[u8], len: usize) -> String {
        let mut out = String::with_capacity(len);
        while out.len() < len {
            self.counter += 1;
            // splitmix64
            let mut z = self
                .seed
                .wrapping_add(self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            for _ in 0..8 {
                if out.len() == len {
                    break;
                }
                out.push(alphabet[(z % alphabet.len() as u64) as usize] as char);
                z /= alphabet.len() as u64;
            }
        }
        out
    }

    pub fn organization_of(&self, account: &str) -> Option<String> {
        self.accounts
            .get(account)
            .and_then(|a| a.organization.clone())
    }

    /// Registers (or updates) an account; its key, if given, then speaks for it.
    pub fn create_account(&mut self, a: &NewAccount) -> Result<Account, Refused> {
        if !valid_account_id(&a.id) {
            return Err(refuse(format!("account id {:?} must be 12 digits", a.id)));
        }
        if let Some(org) = &a.organization {
            if !valid_org_id(org) {
                return Err(refuse(format!(
                    "organization {org:?} must be an organization id, o- and 10 to 32 lowercase letters or digits"
                )));
            }
        }
        if let Some(key) = &a.access_key_id {
            if key.is_empty()
                || key.len() > 128
                || !key.bytes().all(|b| b.is_ascii_graphic() && b != b'/')
            {
                return Err(refuse(format!(
                    "access_key_id {key:?} must be 1 to 128 printable characters without '/'"
                )));
            }
            if key.starts_with("ASIA") {
                return Err(refuse(format!(
                    "access_key_id {key:?}: keys starting ASIA are STS session keys; register another"
                )));
            }
            if let Some(owner) = self.keys.get(key).filter(|o| **o != a.id) {
                return Err(Refused(
                    409,
                    format!("access_key_id {key:?} already speaks for account {owner}"),
                ));
            }
        }
        let entry = self
            .accounts
            .entry(a.id.clone())
            .or_insert_with(|| Account {
                id: a.id.clone(),
                ..Account::default()
            });
        if a.organization.is_some() {
            entry.organization = a.organization.clone();
        }
        if let Some(key) = &a.access_key_id {
            if !entry.access_key_ids.contains(key) {
                entry.access_key_ids.push(key.clone());
            }
            self.keys.insert(key.clone(), a.id.clone());
        }
        Ok(entry.clone())
    }

    /// Creates a role; returns its ARN.
    pub fn create_role(&mut self, r: &NewRole) -> Result<String, Refused> {
        if !valid_account_id(&r.account) {
            return Err(refuse(format!("account {:?} must be 12 digits", r.account)));
        }
        let name_ok = !r.name.is_empty()
            && r.name.len() <= 64
            && r.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
        if !name_ok {
            return Err(refuse(format!(
                "role name {:?} must be 1 to 64 characters of [\\w+=,.@-]",
                r.name
            )));
        }
        let path = r.path.clone().unwrap_or_else(|| "/".into());
        let path_ok = path.starts_with('/')
            && path.ends_with('/')
            && path.len() <= 512
            && !path.contains("//")
            && path.chars().all(|c| ('!'..='~').contains(&c));
        if !path_ok {
            return Err(refuse(format!(
                "path {path:?} must be / or /<segments>/ of printable ASCII, at most 512 characters"
            )));
        }
        let max = r.max_session_seconds.unwrap_or(DEFAULT_SESSION_SECONDS);
        if !(DEFAULT_SESSION_SECONDS..=MAX_ROLE_SESSION_SECONDS).contains(&max) {
            return Err(refuse(format!(
                "max_session_seconds {max} must be from 3600 to 43200"
            )));
        }
        if let Some(actions) = &r.actions {
            for a in actions {
                if !valid_action(a) {
                    return Err(refuse(format!(
                        "actions: {a:?} is not <service prefix>:<operation> (or *)"
                    )));
                }
            }
        }
        let doc = match &r.assume_role_policy {
            Value::String(s) => serde_json::from_str::<Value>(s)
                .map_err(|e| refuse(format!("assume_role_policy is not a JSON document: {e}")))?,
            v => v.clone(),
        };
        let trust =
            TrustPolicy::parse(&doc).map_err(|e| refuse(format!("assume_role_policy: {e}")))?;
        let arn = format!("arn:aws:iam::{}:role{}{}", r.account, path, r.name);
        if self
            .roles
            .values()
            .any(|x| x.account == r.account && x.name == r.name)
        {
            return Err(Refused(
                409,
                format!(
                    "EntityAlreadyExists: Role with name {} already exists.",
                    r.name
                ),
            ));
        }
        let role_id = format!("AROA{}", self.random(KEY_ALPHABET, 17));
        self.roles.insert(
            arn.clone(),
            Role {
                account: r.account.clone(),
                name: r.name.clone(),
                path,
                arn: arn.clone(),
                role_id,
                trust,
                max_session_seconds: max,
                actions: r.actions.clone(),
            },
        );
        Ok(arn)
    }

    /// Who a request is from. `now` decides whether a session has expired.
    pub fn identify(&self, req: &Req, now: i64) -> Result<Caller, AuthFailure> {
        let cred = Credential::of(req);
        let region = cred
            .as_ref()
            .map_or_else(|| DEFAULT_REGION.to_string(), |c| c.region.clone());
        let key = cred.as_ref().map(|c| c.access_key_id.as_str());
        if let Some(key) = key.filter(|k| k.starts_with("ASIA")) {
            let session = self.sessions.get(key).ok_or(AuthFailure::InvalidToken)?;
            if security_token(req) != Some(session.session_token.as_str()) {
                return Err(AuthFailure::InvalidToken);
            }
            if now >= session.expires_ms {
                return Err(AuthFailure::Expired);
            }
            let actions = self
                .roles
                .get(&session.role_arn)
                .and_then(|r| r.actions.clone());
            return Ok(Caller {
                scope: Scope::new(session.account.clone(), region),
                principal: session.arn(),
                user_id: session.assumed_role_id(),
                role_arn: Some(session.role_arn.clone()),
                actions,
                organization: self.organization_of(&session.account),
            });
        }
        let account = key
            .and_then(|k| self.keys.get(k))
            .cloned()
            .unwrap_or_else(|| DEFAULT_ACCOUNT.to_string());
        Ok(Caller {
            principal: format!("arn:aws:iam::{account}:root"),
            user_id: account.clone(),
            role_arn: None,
            actions: None,
            organization: self.organization_of(&account),
            scope: Scope::new(account, region),
        })
    }
}

/// Letters and digits as AWS access key ids use them.
pub const KEY_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub const SECRET_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn valid_org_id(org: &str) -> bool {
    org.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

fn valid_action(a: &str) -> bool {
    a == "*"
        || a.split_once(':').is_some_and(|(prefix, name)| {
            !prefix.is_empty()
                && !name.is_empty()
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?')
        })
}

/// IAM's wildcard match: `*` any run of characters, `?` one; case-insensitive (as IAM compares
/// action names).
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// The IAM name of an emulated service's actions (`<prefix>:<Operation>`).
pub fn iam_prefix(service: &str) -> &str {
    match service {
        "transcoder" | "elastictranscoder" => "elastictranscoder",
        "s3control" => "s3",
        other => other,
    }
}

/// Whether a session whose role lists `actions` may call `action`.
pub fn action_allowed(actions: &[String], action: &str) -> bool {
    actions.iter().any(|a| wildcard_match(a, action))
}

// ---------------------------------------------------------------- trust policies

/// A role's trust policy, in the subset of IAM's grammar the emulator evaluates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustPolicy {
    statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    deny: bool,
    actions: Vec<String>,
    principal: Principals,
    conditions: Vec<(ConditionKey, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Principals {
    /// `"Principal": "*"` or `{"AWS": "*"}`.
    Anyone,
    /// AWS principals (accounts and roles) and service principals (which no caller here is).
    Listed {
        aws: Vec<AwsPrincipal>,
        services: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AwsPrincipal {
    /// An account (`<id>` or `arn:aws:iam::<id>:root`): every principal of that account.
    Account(String),
    /// A role: the sessions of that role.
    Role(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConditionKey {
    ExternalId,
    PrincipalOrgId,
}

/// What a trust policy is evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct TrustRequest<'a> {
    pub action: &'a str,
    pub caller_account: &'a str,
    /// The caller's role, when the caller is a session.
    pub caller_role_arn: Option<&'a str>,
    pub organization: Option<&'a str>,
    pub external_id: Option<&'a str>,
}

/// A string or a list of strings (IAM accepts either for most elements).
fn strings(v: &Value, element: &str) -> Result<Vec<String>, String> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{element}: every entry must be a string, not {i}"))
            })
            .collect(),
        other => Err(format!(
            "{element}: a string or a non-empty list of strings, not {other}"
        )),
    }
}

fn aws_principal(v: &str) -> Result<Option<AwsPrincipal>, String> {
    if v == "*" {
        return Ok(None);
    }
    if valid_account_id(v) {
        return Ok(Some(AwsPrincipal::Account(v.to_string())));
    }
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    if let ["arn", "aws" | "aws-cn" | "aws-us-gov", "iam", "", account, resource] = parts.as_slice()
    {
        if valid_account_id(account) {
            if *resource == "root" {
                return Ok(Some(AwsPrincipal::Account(account.to_string())));
            }
            if let Some(rest) = resource.strip_prefix("role/") {
                if !rest.is_empty() && !rest.ends_with('/') {
                    return Ok(Some(AwsPrincipal::Role(v.to_string())));
                }
            }
        }
    }
    Err(format!(
        "Principal.AWS: {v:?} is not supported (an account id, arn:aws:iam::<account>:root, a role ARN or \"*\")"
    ))
}

impl TrustPolicy {
    /// Parses a trust policy document; refuses one it cannot evaluate, naming the element.
    pub fn parse(doc: &Value) -> Result<Self, String> {
        let Value::Object(top) = doc else {
            return Err("the document must be a JSON object".into());
        };
        for (k, v) in top {
            match k.as_str() {
                "Version" => {
                    if !matches!(v.as_str(), Some("2012-10-17" | "2008-10-17")) {
                        return Err(format!(
                            "Version: {v} is not a policy language version (2012-10-17 or 2008-10-17)"
                        ));
                    }
                }
                "Id" | "Statement" => {}
                other => return Err(format!("element {other:?} is not supported")),
            }
        }
        let list = match top.get("Statement") {
            Some(Value::Array(items)) if !items.is_empty() => items.clone(),
            Some(s @ Value::Object(_)) => vec![s.clone()],
            Some(other) => {
                return Err(format!(
                    "Statement: an object or a non-empty list of objects, not {other}"
                ))
            }
            None => return Err("Statement is required".into()),
        };
        let statements = list
            .iter()
            .enumerate()
            .map(|(i, s)| Statement::parse(s).map_err(|e| format!("Statement[{i}].{e}")))
            .collect::<Result<_, _>>()?;
        Ok(Self { statements })
    }

    /// Whether the request is allowed: an explicit Deny wins, else an Allow must match.
    pub fn allows(&self, r: &TrustRequest<'_>) -> bool {
        let matching = |deny: bool| {
            self.statements
                .iter()
                .filter(|s| s.deny == deny)
                .any(|s| s.matches(r))
        };
        !matching(true) && matching(false)
    }
}

impl Statement {
    fn parse(v: &Value) -> Result<Self, String> {
        let Value::Object(m) = v else {
            return Err(format!("a statement must be an object, not {v}"));
        };
        for k in m.keys() {
            if !["Sid", "Effect", "Action", "Principal", "Condition"].contains(&k.as_str()) {
                return Err(format!("{k} is not supported"));
            }
        }
        let deny = match m.get("Effect").and_then(Value::as_str) {
            Some("Allow") => false,
            Some("Deny") => true,
            _ => return Err("Effect: Allow or Deny is required".into()),
        };
        let actions = strings(m.get("Action").ok_or("Action is required")?, "Action")?;
        for a in &actions {
            if !valid_action(a) {
                return Err(format!("Action: {a:?} is not <service>:<action> or *"));
            }
        }
        let principal = match m.get("Principal").ok_or("Principal is required")? {
            Value::String(s) if s == "*" => Principals::Anyone,
            Value::Object(p) => {
                let mut aws = Vec::new();
                let mut services = Vec::new();
                let mut anyone = false;
                for (kind, value) in p {
                    match kind.as_str() {
                        "AWS" => {
                            for one in strings(value, "Principal.AWS")? {
                                match aws_principal(&one)? {
                                    Some(x) => aws.push(x),
                                    None => anyone = true,
                                }
                            }
                        }
                        "Service" => services.extend(strings(value, "Principal.Service")?),
                        other => {
                            return Err(format!(
                                "Principal.{other} is not supported (AWS and Service are)"
                            ))
                        }
                    }
                }
                if anyone {
                    Principals::Anyone
                } else if aws.is_empty() && services.is_empty() {
                    return Err("Principal: names no principal".into());
                } else {
                    Principals::Listed { aws, services }
                }
            }
            other => {
                return Err(format!(
                    "Principal: \"*\" or an object of AWS / Service principals, not {other}"
                ))
            }
        };
        let mut conditions = Vec::new();
        if let Some(c) = m.get("Condition") {
            let Value::Object(ops) = c else {
                return Err(format!("Condition: an object, not {c}"));
            };
            for (op, keys) in ops {
                if op != "StringEquals" {
                    return Err(format!("Condition.{op} is not supported (StringEquals is)"));
                }
                let Value::Object(keys) = keys else {
                    return Err(format!("Condition.{op}: an object, not {keys}"));
                };
                for (key, values) in keys {
                    let k = match key.to_ascii_lowercase().as_str() {
                        "sts:externalid" => ConditionKey::ExternalId,
                        "aws:principalorgid" => ConditionKey::PrincipalOrgId,
                        _ => {
                            return Err(format!(
                                "Condition.{op}.{key} is not supported (sts:ExternalId and aws:PrincipalOrgID are)"
                            ))
                        }
                    };
                    conditions.push((k, strings(values, &format!("Condition.{op}.{key}"))?));
                }
            }
        }
        Ok(Self {
            deny,
            actions,
            principal,
            conditions,
        })
    }

    fn matches(&self, r: &TrustRequest<'_>) -> bool {
        let action = self.actions.iter().any(|a| wildcard_match(a, r.action));
        let principal = match &self.principal {
            Principals::Anyone => true,
            Principals::Listed { aws, .. } => aws.iter().any(|p| match p {
                AwsPrincipal::Account(a) => a == r.caller_account,
                AwsPrincipal::Role(arn) => r.caller_role_arn == Some(arn.as_str()),
            }),
        };
        let conditions = self.conditions.iter().all(|(key, values)| {
            let given = match key {
                ConditionKey::ExternalId => r.external_id,
                ConditionKey::PrincipalOrgId => r.organization,
            };
            given.is_some_and(|g| values.iter().any(|v| v == g))
        });
        action && principal && conditions
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request<'a>(account: &'a str) -> TrustRequest<'a> {
        TrustRequest {
            action: "sts:AssumeRole",
            caller_account: account,
            caller_role_arn: None,
            organization: None,
            external_id: None,
        }
    }

    #[test]
    fn credentials_name_key_region_and_service() {
        assert_eq!(
            Credential::parse("AKID/20260101/eu-west-1/mediaconvert/aws4_request"),
            Some(Credential {
                access_key_id: "AKID".into(),
                region: "eu-west-1".into(),
                service: "mediaconvert".into()
            })
        );
        assert_eq!(Credential::parse("garbage"), None);
        assert_eq!(Credential::parse("k/d//s/aws4_request"), None);
    }

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(wildcard_match(
            "mediaconvert:List*",
            "mediaconvert:ListJobs"
        ));
        assert!(wildcard_match(
            "MediaConvert:getqueue",
            "mediaconvert:GetQueue"
        ));
        assert!(wildcard_match("*", "s3:CreateJob"));
        assert!(wildcard_match("s3:*Job", "s3:DescribeJob"));
        assert!(wildcard_match("sts:Assume?ole", "sts:AssumeRole"));
        assert!(!wildcard_match(
            "mediaconvert:List*",
            "mediaconvert:GetQueue"
        ));
        assert!(!wildcard_match("s3:*Job", "s3:ListJobs"));
    }

    #[test]
    fn trust_policies_allow_deny_and_condition() {
        let p = TrustPolicy::parse(&json!({
            "Version": "2012-10-17",
            "Statement": [
                { "Effect": "Allow", "Principal": { "AWS": ["111111111111", "arn:aws:iam::222222222222:root"] },
                  "Action": "sts:AssumeRole", "Condition": { "StringEquals": { "sts:ExternalId": ["x1", "x2"] } } },
                { "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::333333333333:role/ops/runner" },
                  "Action": ["sts:*"] },
                { "Effect": "Deny", "Principal": { "AWS": "222222222222" }, "Action": "*" }
            ]
        }))
        .unwrap();
        let mut r = request("111111111111");
        assert!(!p.allows(&r), "no ExternalId");
        r.external_id = Some("x2");
        assert!(p.allows(&r));
        r.external_id = Some("x3");
        assert!(!p.allows(&r));
        let mut denied = request("222222222222");
        denied.external_id = Some("x1");
        assert!(!p.allows(&denied), "the explicit Deny wins");
        let mut role = request("333333333333");
        assert!(
            !p.allows(&role),
            "the account is not trusted, only the role"
        );
        role.caller_role_arn = Some("arn:aws:iam::333333333333:role/ops/runner");
        assert!(p.allows(&role));
    }

    #[test]
    fn organization_conditions_need_the_callers_organization() {
        let p = TrustPolicy::parse(&json!({
            "Statement": { "Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                           "Condition": { "StringEquals": { "aws:PrincipalOrgID": "o-abcdefghij" } } }
        }))
        .unwrap();
        let mut r = request("111111111111");
        assert!(!p.allows(&r));
        r.organization = Some("o-0000000000");
        assert!(!p.allows(&r));
        r.organization = Some("o-abcdefghij");
        assert!(p.allows(&r));
    }

    #[test]
    fn unsupported_elements_are_refused_by_name() {
        let refused = |doc: Value| TrustPolicy::parse(&doc).unwrap_err();
        let base = |extra: Value| {
            let mut s = json!({ "Effect": "Allow", "Principal": { "AWS": "111111111111" }, "Action": "sts:AssumeRole" });
            if let (Some(m), Value::Object(e)) = (s.as_object_mut(), extra) {
                m.extend(e);
            }
            json!({ "Statement": [s] })
        };
        assert!(refused(base(json!({ "NotAction": "x:y" }))).contains("NotAction"));
        assert!(refused(base(json!({ "Resource": "*" }))).contains("Resource"));
        assert!(refused(base(
            json!({ "Condition": { "StringLike": { "sts:ExternalId": "a*" } } })
        ))
        .contains("Condition.StringLike"));
        assert!(refused(base(
            json!({ "Condition": { "StringEquals": { "aws:SourceIp": "1.2.3.4" } } })
        ))
        .contains("aws:SourceIp"));
        assert!(refused(base(
            json!({ "Principal": { "Federated": "cognito-identity.amazonaws.com" } })
        ))
        .contains("Principal.Federated"));
        assert!(refused(base(
            json!({ "Principal": { "AWS": "arn:aws:iam::111111111111:user/bob" } })
        ))
        .contains("Principal.AWS"));
        assert!(refused(json!({ "Version": "2012-10-17" })).contains("Statement"));
        assert!(refused(json!({ "Statement": [], "Extra": 1 })).contains("Extra"));
        // A service principal is accepted, and matches no caller here.
        let svc = TrustPolicy::parse(&base(
            json!({ "Principal": { "Service": "lambda.amazonaws.com" } }),
        ))
        .unwrap();
        assert!(!svc.allows(&request("111111111111")));
    }
}
