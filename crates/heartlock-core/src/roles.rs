//! Roles and THE permission check. Every access decision in Heartlock is
//! made by [`authorize`]; domain operations call it, nothing else decides.

/// Server-wide role of a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerRole {
    Admin,
    User,
}

impl ServerRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerRole::Admin => "admin",
            ServerRole::User => "user",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(ServerRole::Admin),
            "user" => Some(ServerRole::User),
            _ => None,
        }
    }
}

/// Role within one project, weakest first (the order is meaningful).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProjectRole {
    Viewer,
    Member,
    Admin,
    Owner,
}

impl ProjectRole {
    pub const ALL: [ProjectRole; 4] = [
        ProjectRole::Viewer,
        ProjectRole::Member,
        ProjectRole::Admin,
        ProjectRole::Owner,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProjectRole::Viewer => "viewer",
            ProjectRole::Member => "member",
            ProjectRole::Admin => "admin",
            ProjectRole::Owner => "owner",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What someone wants to do with a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the project, its environments and its key names.
    ViewProject,
    /// See who the members are (people only, never tokens).
    ViewMembers,
    ReadSecrets,
    WriteSecrets,
    /// Rename the project; add, rename, reorder, delete environments.
    ManageProject,
    ManageMembers,
    ManageTokens,
    ReadAudit,
    DeleteProject,
    /// Grant or take the owner role.
    ManageOwners,
}

impl Action {
    /// The weakest project role allowed to do this.
    pub fn minimum_role(self) -> ProjectRole {
        match self {
            Action::ViewProject | Action::ViewMembers | Action::ReadSecrets => ProjectRole::Viewer,
            Action::WriteSecrets => ProjectRole::Member,
            Action::ManageProject
            | Action::ManageMembers
            | Action::ManageTokens
            | Action::ReadAudit => ProjectRole::Admin,
            Action::DeleteProject | Action::ManageOwners => ProjectRole::Owner,
        }
    }

    pub fn is_read_only(self) -> bool {
        matches!(
            self,
            Action::ViewProject | Action::ViewMembers | Action::ReadSecrets
        )
    }
}

/// What a service token may do with the secrets of its environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAccess {
    Read,
    ReadWrite,
}

impl TokenAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenAccess::Read => "read",
            TokenAccess::ReadWrite => "read_write",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(TokenAccess::Read),
            "read_write" => Some(TokenAccess::ReadWrite),
            _ => None,
        }
    }

    pub fn can_write(self) -> bool {
        self == TokenAccess::ReadWrite
    }
}

/// Who is asking, as far as permissions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A signed-in user; `role` is their best role on this project (direct
    /// membership or an IdP group grant), if any.
    User {
        server_role: ServerRole,
        role: Option<ProjectRole>,
    },
    /// A service token scoped to this project (`None` for any other project).
    Token { scope: Option<TokenScope> },
    /// No credentials, under POLICY_NO_AUTH_DEFAULT.
    Anonymous { policy: AnonymousPolicy },
}

/// What a service token may do on the project it belongs to, for the
/// environment being accessed (`in_environments` false when outside its set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenScope {
    pub can_write: bool,
    pub in_environments: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnonymousPolicy {
    Deny,
    ViewOnly,
    AllowAll,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Authentication is required (HTTP 401).
    Unauthenticated,
    /// The project is not visible to the subject: answer as if it did not exist (404).
    Hidden,
    /// Visible, but this action is not allowed (403).
    Forbidden,
}

/// The one permission function.
pub fn authorize(subject: Subject, action: Action) -> Decision {
    match subject {
        Subject::User {
            server_role: ServerRole::Admin,
            ..
        } => Decision::Allow,
        Subject::User { role: None, .. } => Decision::Hidden,
        Subject::User {
            role: Some(role), ..
        } if role >= action.minimum_role() => Decision::Allow,
        Subject::User { .. } => Decision::Forbidden,
        Subject::Token { scope: None } => Decision::Hidden,
        Subject::Token { scope: Some(s) } => match action {
            _ if !s.in_environments => Decision::Hidden,
            Action::ViewProject | Action::ReadSecrets => Decision::Allow,
            Action::WriteSecrets if s.can_write => Decision::Allow,
            Action::WriteSecrets => Decision::Forbidden,
            // Tokens live on the secrets endpoints only; the rest is not there for them.
            _ => Decision::Hidden,
        },
        Subject::Anonymous {
            policy: AnonymousPolicy::AllowAll,
        } => Decision::Allow,
        Subject::Anonymous {
            policy: AnonymousPolicy::ViewOnly,
        } if action.is_read_only() => Decision::Allow,
        Subject::Anonymous { .. } => Decision::Unauthenticated,
    }
}

/// Whether a project membership's environment limit applies to `subject`:
/// only to viewers and members. Owners and admins of the project, server
/// admins, tokens (which carry their own environments) and anonymous callers
/// are never limited this way.
pub fn environment_limit_applies(subject: Subject) -> bool {
    matches!(
        subject,
        Subject::User {
            server_role: ServerRole::User,
            role: Some(role),
        } if role < ProjectRole::Admin
    )
}

/// Whether environment `env_id` is inside a membership limit (`None`: every
/// environment of the project).
pub fn within_environment_limit(limit: Option<&[String]>, env_id: &str) -> bool {
    limit.is_none_or(|ids| ids.iter().any(|id| id == env_id))
}

/// [`authorize`] for one environment of a project. The project role decides
/// as everywhere; then, for a subject the limit applies to, an environment
/// outside its membership's environments (`in_limit` false) is hidden (404)
/// as if it did not exist.
pub fn authorize_environment(subject: Subject, action: Action, in_limit: bool) -> Decision {
    match authorize(subject, action) {
        Decision::Allow if !in_limit && environment_limit_applies(subject) => Decision::Hidden,
        decision => decision,
    }
}

/// Whether a user may create projects (every signed-in user may; they
/// become its owner).
pub fn may_create_project(subject: Subject) -> Decision {
    match subject {
        Subject::User { .. }
        | Subject::Anonymous {
            policy: AnonymousPolicy::AllowAll,
        } => Decision::Allow,
        Subject::Token { .. } => Decision::Forbidden,
        Subject::Anonymous { .. } => Decision::Unauthenticated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Option<ProjectRole>) -> Subject {
        Subject::User {
            server_role: ServerRole::User,
            role,
        }
    }

    #[test]
    fn project_roles_form_a_ladder() {
        use Action::*;
        use ProjectRole::*;
        let table = [
            (
                Viewer,
                [true, true, false, false, false, false, false, false, false],
            ),
            (
                Member,
                [true, true, true, false, false, false, false, false, false],
            ),
            (
                Admin,
                [true, true, true, true, true, true, true, false, false],
            ),
            (Owner, [true; 9]),
        ];
        let actions = [
            ViewProject,
            ReadSecrets,
            WriteSecrets,
            ManageProject,
            ManageMembers,
            ManageTokens,
            ReadAudit,
            DeleteProject,
            ManageOwners,
        ];
        for (role, allowed) in table {
            for (a, ok) in actions.iter().zip(allowed) {
                let want = if ok {
                    Decision::Allow
                } else {
                    Decision::Forbidden
                };
                assert_eq!(authorize(user(Some(role)), *a), want, "{role:?} {a:?}");
            }
        }
    }

    #[test]
    fn non_members_see_nothing_and_server_admins_everything() {
        assert_eq!(authorize(user(None), Action::ViewProject), Decision::Hidden);
        let admin = Subject::User {
            server_role: ServerRole::Admin,
            role: None,
        };
        assert_eq!(authorize(admin, Action::DeleteProject), Decision::Allow);
    }

    #[test]
    fn tokens_and_anonymous() {
        let read = Subject::Token {
            scope: Some(TokenScope {
                can_write: false,
                in_environments: true,
            }),
        };
        assert_eq!(authorize(read, Action::ReadSecrets), Decision::Allow);
        assert_eq!(authorize(read, Action::WriteSecrets), Decision::Forbidden);
        let outside = Subject::Token {
            scope: Some(TokenScope {
                can_write: true,
                in_environments: false,
            }),
        };
        assert_eq!(authorize(outside, Action::ReadSecrets), Decision::Hidden);
        assert_eq!(
            authorize(Subject::Token { scope: None }, Action::ReadSecrets),
            Decision::Hidden
        );
        assert_eq!(authorize(read, Action::ManageMembers), Decision::Hidden);
        let view = Subject::Anonymous {
            policy: AnonymousPolicy::ViewOnly,
        };
        assert_eq!(authorize(view, Action::ReadSecrets), Decision::Allow);
        assert_eq!(
            authorize(view, Action::WriteSecrets),
            Decision::Unauthenticated
        );
        let deny = Subject::Anonymous {
            policy: AnonymousPolicy::Deny,
        };
        assert_eq!(
            authorize(deny, Action::ViewProject),
            Decision::Unauthenticated
        );
    }

    #[test]
    fn environment_limits_restrict_viewers_and_members_only() {
        let limit = vec!["env-dev".to_string()];
        assert!(within_environment_limit(Some(&limit), "env-dev"));
        assert!(!within_environment_limit(Some(&limit), "env-prod"));
        assert!(within_environment_limit(None, "env-prod"));
        for role in ProjectRole::ALL {
            let s = user(Some(role));
            let inside = authorize_environment(s, Action::ReadSecrets, true);
            assert_eq!(inside, authorize(s, Action::ReadSecrets), "{role:?}");
            let outside = authorize_environment(s, Action::ReadSecrets, false);
            let want = if role >= ProjectRole::Admin {
                Decision::Allow
            } else {
                Decision::Hidden
            };
            assert_eq!(outside, want, "{role:?}");
        }
        // The role still decides first: a viewer may not write anywhere.
        assert_eq!(
            authorize_environment(user(Some(ProjectRole::Viewer)), Action::WriteSecrets, false),
            Decision::Forbidden
        );
        assert_eq!(
            authorize_environment(user(None), Action::ReadSecrets, true),
            Decision::Hidden
        );
        let admin = Subject::User {
            server_role: ServerRole::Admin,
            role: Some(ProjectRole::Viewer),
        };
        assert!(!environment_limit_applies(admin));
        assert_eq!(
            authorize_environment(admin, Action::WriteSecrets, false),
            Decision::Allow
        );
        assert!(!environment_limit_applies(Subject::Token { scope: None }));
    }
}
