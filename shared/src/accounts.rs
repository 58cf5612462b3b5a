//! Central mode: one deployment governing several accounts and regions.
//!
//! Unset, a deployment governs its own account and region only ([`crate::origin`] answers every
//! other event `foreign`). With `MEDIAOPS_GOVERNED_ACCOUNTS` (account ids, or `*` for every account
//! whose events reach it: the organization, when the event bus admits only it) and
//! `MEDIAOPS_GOVERNED_REGIONS`, it also governs those accounts and regions: for an event (or a
//! runbook request) of a governed account it acts through that account's member role
//! (`MEDIAOPS_MEMBER_ROLE`, default [`DEFAULT_ROLE`], created in each member account by
//! `member-account.yaml`), assumed through STS with `MEDIAOPS_MEMBER_EXTERNAL_ID` when set. Only
//! the deployment's own account and region is reached with its own credentials ([`reach`]).
//!
//! A place's clients are built once per process ([`Placed`]) and kept: the SDK's identity cache
//! refreshes the assumed role's credentials before they expire. Its clients for the guard table and
//! the notification topic stay the deployment's own (they live in the operations account); its
//! keys in the guard table are prefixed with the place ([`key_scope`]), so queue `Default` of two
//! accounts are two resources.

use std::collections::{BTreeSet, HashMap};

use crate::origin::{partition, Governance, Place};

/// The member role's name when `MEDIAOPS_MEMBER_ROLE` is unset.
pub const DEFAULT_ROLE: &str = "mediaops-member";

/// Which accounts a deployment governs besides its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accounts {
    /// These accounts (and its own).
    List(BTreeSet<String>),
    /// `*`: any account whose events reach the deployment (its event bus admits the organization).
    Any,
}

/// The central-mode settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Central {
    /// `MEDIAOPS_GOVERNED_ACCOUNTS`.
    pub accounts: Accounts,
    /// `MEDIAOPS_GOVERNED_REGIONS`: the regions governed besides the deployment's own.
    pub regions: BTreeSet<String>,
    /// `MEDIAOPS_MEMBER_ROLE`: the role's name in every member account.
    pub role: String,
    /// `MEDIAOPS_MEMBER_EXTERNAL_ID`: the external id the member roles' trust policy asks for.
    pub external_id: Option<String>,
}

/// Whether `v` looks like an AWS region name (`us-east-1`, `cn-north-1`, `us-gov-west-1`).
pub fn is_region(v: &str) -> bool {
    v.len() <= 32
        && v.contains('-')
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Whether `v` is a 12-digit account id.
pub fn is_account(v: &str) -> bool {
    v.len() == 12 && v.chars().all(|c| c.is_ascii_digit())
}

impl Central {
    /// The member role of `account`, in the partition of `region`.
    pub fn role_arn(&self, account: &str, region: &str) -> String {
        format!(
            "arn:{}:iam::{account}:role/{}",
            partition(region),
            self.role
        )
    }
}

/// What the deployment in `own` governs: its own place and, in central mode, the governed
/// accounts and regions (every governed account in every governed region).
pub fn governance(own: &Place, central: Option<&Central>) -> Governance {
    let mut g = Governance::own(own);
    if let Some(c) = central {
        match &c.accounts {
            Accounts::Any => g.any_account = true,
            Accounts::List(ids) => g.accounts.extend(ids.iter().cloned()),
        }
        g.regions.extend(c.regions.iter().cloned());
    }
    g
}

/// The prefix of a place's keys in the guard table: none for the deployment's own account and
/// region (so a deployment that turns central mode on keeps its records), `<account>:<region>:`
/// for every other place.
pub fn key_scope(own: &Place, place: &Place) -> Option<String> {
    (own != place).then(|| format!("{}:{}:", place.account, place.region))
}

/// How a place is reached: the deployment's own credentials (its own account and region), or
/// the member role of the place's account (any other place, the deployment's own account in
/// another region too: its function roles are granted their own region only, so the operations
/// account, when its other regions are governed, has the member role as well).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Own,
    Role {
        arn: String,
        external_id: Option<String>,
    },
}

/// How `place` is reached from the deployment in `own`.
pub fn reach(own: &Place, place: &Place, central: Option<&Central>) -> Reach {
    match central {
        Some(c) if place != own => Reach::Role {
            arn: c.role_arn(&place.account, &place.region),
            external_id: c.external_id.clone(),
        },
        _ => Reach::Own,
    }
}

/// What a function built once per place: its own place's at cold start, each other place's at
/// its first event (a few per deployment: the governed accounts times regions), kept for the
/// process's life.
pub struct Placed<A: 'static> {
    own: &'static A,
    others: tokio::sync::Mutex<HashMap<Place, &'static A>>,
}

impl<A: Send + Sync + 'static> Placed<A> {
    pub fn new(own: &'static A) -> Self {
        Self {
            own,
            others: Default::default(),
        }
    }

    /// The deployment's own place's.
    pub fn own(&self) -> &'static A {
        self.own
    }

    /// `place`'s, built with `build` the first time.
    pub async fn get<E>(
        &self,
        place: &Place,
        build: impl std::future::Future<Output = Result<A, E>>,
    ) -> Result<&'static A, E> {
        let mut others = self.others.lock().await;
        if let Some(a) = others.get(place) {
            return Ok(a);
        }
        let a: &'static A = Box::leak(Box::new(build.await?));
        others.insert(place.clone(), a);
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(a: &str, r: &str) -> Place {
        Place {
            account: a.into(),
            region: r.into(),
        }
    }

    #[test]
    fn only_the_own_place_is_reached_with_own_credentials_and_keeps_its_keys() {
        let own = place("123456789012", "us-east-1");
        let c = Central {
            accounts: Accounts::List(BTreeSet::from(["222233334444".to_string()])),
            regions: BTreeSet::new(),
            role: DEFAULT_ROLE.into(),
            external_id: None,
        };
        assert_eq!(reach(&own, &own, Some(&c)), Reach::Own);
        assert_eq!(
            reach(&own, &place("123456789012", "eu-west-1"), Some(&c)),
            Reach::Role {
                arn: "arn:aws:iam::123456789012:role/mediaops-member".into(),
                external_id: None
            }
        );
        assert_eq!(
            reach(&own, &place("222233334444", "us-east-1"), None),
            Reach::Own
        );
        assert_eq!(
            reach(&own, &place("222233334444", "us-east-1"), Some(&c)),
            Reach::Role {
                arn: "arn:aws:iam::222233334444:role/mediaops-member".into(),
                external_id: None
            }
        );
        assert_eq!(key_scope(&own, &own), None);
        assert_eq!(
            key_scope(&own, &place("222233334444", "us-east-1")).as_deref(),
            Some("222233334444:us-east-1:")
        );
        assert_ne!(
            key_scope(&own, &place("222233334444", "us-east-1")),
            key_scope(&own, &place("222233334444", "us-west-2"))
        );
    }

    #[tokio::test]
    async fn a_place_is_built_once() {
        let own: &'static u32 = Box::leak(Box::new(0));
        let placed = Placed::new(own);
        let b = place("222233334444", "us-east-1");
        let first = placed.get(&b, async { Ok::<_, ()>(7) }).await.unwrap();
        let again = placed.get(&b, async { Ok::<_, ()>(8) }).await.unwrap();
        assert_eq!((*first, *again), (7, 7));
        assert!(std::ptr::eq(first, again));
        assert_eq!(*placed.own(), 0);
        let c = place("333344445555", "us-east-1");
        let failed = placed.get(&c, async { Err::<u32, _>("no") }).await;
        assert_eq!(failed.unwrap_err(), "no");
        let built = placed.get(&c, async { Ok::<_, &str>(9) }).await;
        assert_eq!(*built.unwrap(), 9, "a failed build is tried again");
    }
}
