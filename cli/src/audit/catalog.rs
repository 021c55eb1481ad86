//! The catalogue of the audit's rules: each rule's id, level, meaning, remedy, security
//! severity and precision. Reports describe them in this order.

/// How much a finding matters (SARIF's levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Level {
    /// A change or exception that needs a person.
    Error,
    /// Worth a look.
    Warning,
    /// For the record.
    Note,
}

impl Level {
    /// SARIF's and the report's spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// A rule: its stable id, its default level, and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rule {
    /// The stable id (`post-all-not-allowed`, …).
    pub(crate) id: &'static str,
    /// SARIF's `name`.
    pub(crate) name: &'static str,
    /// The level it reports at (permission-gained: error for post-all, warning otherwise).
    pub(crate) level: Level,
    /// One line: when it fires.
    pub(crate) summary: &'static str,
    /// What to do about it (Markdown, for GitHub's rule page).
    pub(crate) remedy: &'static str,
    /// GitHub's `security-severity`, in (0, 10] (the README's scale): 8.0 and up is high.
    pub(crate) severity: &'static str,
    /// SARIF's `precision`: how often a finding of this rule is what it says.
    pub(crate) precision: &'static str,
}

/// Every rule, in the order reports describe them.
pub(crate) const RULES: [Rule; 9] = [
    Rule {
        id: "post-all-not-allowed",
        name: "PostAllNotAllowed",
        level: Level::Error,
        summary: "An app holds post-all (it may create and change resources on the account) and no allow entry of the policy grants it for that account.",
        remedy: "Remove the app's authorization in the Twilio Console (Account > Connect Apps > Authorized apps), or, when the app must act on the account, grant it with an `[[allow]]` entry listing `post-all` (scoped with `accounts`), or accept the risk until a date with an `[[exception]]`.",
        severity: "9.0",
        precision: "very-high",
    },
    Rule {
        id: "permission-gained",
        name: "PermissionGained",
        level: Level::Error,
        summary: "An app holds a permission the baseline did not record (an error for post-all, a warning otherwise).",
        remedy: "Find out who authorized the new permission and why. Revoke it in the Twilio Console if it was not approved; otherwise take this run's `--snapshot` as the next `--baseline`.",
        severity: "8.0",
        precision: "high",
    },
    Rule {
        id: "new-app",
        name: "NewApp",
        level: Level::Warning,
        summary: "An app is authorized that the baseline did not record.",
        remedy: "Check who authorized the app and whether it is approved; revoke it in the Twilio Console if not. Approved apps go in the next `--baseline` (this run's `--snapshot`) and, with `deny_unlisted`, in an `[[allow]]` entry.",
        severity: "5.0",
        precision: "high",
    },
    Rule {
        id: "app-not-allowed",
        name: "AppNotAllowed",
        level: Level::Warning,
        summary: "The policy denies unlisted apps (deny_unlisted = true) and no allow entry names this app for that account.",
        remedy: "Add an `[[allow]]` entry for the app (with the accounts it is approved for), or revoke its authorization in the Twilio Console.",
        severity: "5.0",
        precision: "high",
    },
    Rule {
        id: "account-not-audited",
        name: "AccountNotAudited",
        level: Level::Error,
        summary: "An account's Connect Apps could not be read, so it was not audited.",
        remedy: "Read the error in the message: check that the credentials may read this account (a read-only role such as Account API Access Viewer) and run the audit again, or go on with the command it printed. Until then the account's apps are unknown.",
        severity: "7.0",
        precision: "very-high",
    },
    Rule {
        id: "removed-app",
        name: "RemovedApp",
        level: Level::Note,
        summary: "An app the baseline recorded is no longer authorized.",
        remedy: "Nothing to do if the removal was intended; take this run's `--snapshot` as the next `--baseline`.",
        severity: "1.0",
        precision: "very-high",
    },
    Rule {
        id: "permission-lost",
        name: "PermissionLost",
        level: Level::Note,
        summary: "An app no longer holds a permission the baseline recorded.",
        remedy: "Nothing to do if the change was intended; take this run's `--snapshot` as the next `--baseline`.",
        severity: "1.0",
        precision: "very-high",
    },
    Rule {
        id: "exception-expired",
        name: "ExceptionExpired",
        level: Level::Warning,
        summary: "An exception of the policy has expired: the findings it matched count again.",
        remedy: "Fix what the exception covered, or renew it: a new `expires` date, agreed with its owner and recorded in its ticket.",
        severity: "5.0",
        precision: "very-high",
    },
    Rule {
        id: "exception-stale",
        name: "ExceptionStale",
        level: Level::Note,
        summary: "An active exception of the policy matched no finding in this run.",
        remedy: "Remove the exception from the policy: what it accepted is gone.",
        severity: "1.0",
        precision: "very-high",
    },
];

/// The rule with this id.
pub(crate) fn rule(id: &str) -> Option<(usize, &'static Rule)> {
    RULES.iter().enumerate().find(|(_, r)| r.id == id)
}
