//! Repository URLs as packages declare them, normalized to `https://host/org/repo`.

/// `git+https://github.com/x/y.git` → `https://github.com/x/y`; also `git://`,
/// `git@host:x/y.git`, `ssh://git@host/x/y`, npm's `github:x/y` and `x/y`
/// shorthands; fragments, `/tree/...` and trailing slashes dropped;
/// credentials removed. Anything that does not end as an http(s) URL with a
/// host is `None`.
pub fn normalize(raw: &str) -> Option<String> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 2048 {
        return None;
    }
    let s = s.strip_prefix("git+").unwrap_or(s);
    let s = s.split('#').next().unwrap_or(s);
    let https = if let Some(rest) = s.strip_prefix("github:") {
        format!("https://github.com/{rest}")
    } else if let Some(rest) = s.strip_prefix("gitlab:") {
        format!("https://gitlab.com/{rest}")
    } else if let Some(rest) = s.strip_prefix("bitbucket:") {
        format!("https://bitbucket.org/{rest}")
    } else if let Some(rest) = s.strip_prefix("git@") {
        let (host, path) = rest.split_once(':')?;
        format!("https://{host}/{path}")
    } else if let Some(rest) = s.strip_prefix("ssh://") {
        let rest = rest.rsplit_once('@').map(|(_, r)| r).unwrap_or(rest);
        format!("https://{rest}")
    } else if let Some(rest) = s.strip_prefix("git://") {
        format!("https://{rest}")
    } else if s.starts_with("https://") || s.starts_with("http://") {
        s.to_string()
    } else if !s.contains(':') && s.split('/').count() == 2 && !s.starts_with('.') {
        // npm's "user/repo" shorthand means GitHub.
        format!("https://github.com/{s}")
    } else {
        return None;
    };
    let mut url = url::Url::parse(&https).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.host_str()?;
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    let _ = url.set_scheme("https");
    if url.port() == Some(443) {
        let _ = url.set_port(None);
    }
    let mut path = url.path().trim_end_matches('/').to_string();
    if let Some(i) = path.find("/tree/").or_else(|| path.find("/blob/")) {
        path.truncate(i);
    }
    let path = path.strip_suffix(".git").unwrap_or(&path).to_string();
    url.set_path(&path);
    Some(url.to_string().trim_end_matches('/').to_string())
}

/// Forges whose repository URLs are `https://host/owner/repo` exactly.
const TWO_SEGMENT_FORGES: [&str; 3] = ["github.com", "bitbucket.org", "codeberg.org"];

/// Last path segments that name a page of a repository, not the repository.
const PAGES: [&str; 16] = [
    "issues",
    "pulls",
    "pull",
    "actions",
    "wiki",
    "wikis",
    "releases",
    "tags",
    "discussions",
    "security",
    "projects",
    "milestones",
    "commits",
    "merge_requests",
    "pipelines",
    "sponsors",
];

/// A repository URL, validated: [`normalize`]d, and not a page of a
/// repository (its issues, actions, wiki, ...) or a user's profile. On the
/// forges whose layout is known, the path must be exactly the repository's.
pub fn repository(raw: &str) -> Option<String> {
    let url = normalize(raw)?;
    let u = url::Url::parse(&url).ok()?;
    let host = u.host_str()?.to_ascii_lowercase();
    let parts: Vec<&str> = u.path().split('/').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return None;
    }
    if TWO_SEGMENT_FORGES.contains(&host.as_str()) {
        return (parts.len() == 2 && !PAGES.contains(&parts[1])).then_some(url);
    }
    if host == "gitlab.com" {
        // GitLab nests groups; pages sit behind `/-/`.
        if parts.len() < 2 || parts.contains(&"-") {
            return None;
        }
    }
    if parts.iter().any(|p| PAGES.contains(p)) {
        return None;
    }
    Some(url)
}

/// Whether a project-link label means "the source repository". Labels are
/// compared as PyPI compares them for its icons: lowercase, punctuation and
/// spaces removed (`Source Code`, `GitHub: repo`, `Repository`). Labels
/// naming anything else (issues, docs, CI, a homepage) are not.
pub fn is_source_label(label: &str) -> bool {
    let l: String = label
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    const EXACT: [&str; 22] = [
        "source",
        "sources",
        "sourcecode",
        "code",
        "repository",
        "repo",
        "github",
        "gitlab",
        "bitbucket",
        "codeberg",
        "git",
        "scm",
        "vcs",
        "sourcerepository",
        "coderepository",
        "gitrepository",
        "sourceongithub",
        "codeongithub",
        "sourceongitlab",
        "githubproject",
        "gitlabproject",
        "sourcegithub",
    ];
    if EXACT.contains(&l.as_str()) {
        return true;
    }
    // `GitHub: repo`, `GitLab repository`, `GitHub source`.
    ["github", "gitlab", "bitbucket", "codeberg"]
        .iter()
        .any(|forge| {
            l.strip_prefix(forge).is_some_and(|rest| {
                ["repo", "repository", "source", "sourcecode", "code"].contains(&rest)
            })
        })
}

/// `github.com/org/repo` for the hosts Scorecard covers.
pub fn scorecard_repo(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?.to_ascii_lowercase();
    if host != "github.com" && host != "gitlab.com" {
        return None;
    }
    let parts: Vec<&str> = u.path().split('/').filter(|p| !p.is_empty()).collect();
    if parts.len() < 2 {
        return None;
    }
    Some(format!("{host}/{}/{}", parts[0], parts[1]))
}

/// npm's `repository`: a string, or `{type, url, directory}`.
pub fn from_npm_field(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => o.get("url").and_then(|u| u.as_str()).map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_the_forms_packages_use() {
        for (raw, want) in [
            (
                "git+https://github.com/lodash/lodash.git",
                "https://github.com/lodash/lodash",
            ),
            ("git://github.com/x/y.git", "https://github.com/x/y"),
            ("git@github.com:x/y.git", "https://github.com/x/y"),
            ("ssh://git@github.com/x/y.git", "https://github.com/x/y"),
            ("github:x/y", "https://github.com/x/y"),
            ("x/y", "https://github.com/x/y"),
            (
                "https://github.com/x/y/tree/main/packages/z",
                "https://github.com/x/y",
            ),
            (
                "https://user:pw@github.com/x/y#readme",
                "https://github.com/x/y",
            ),
            ("http://github.com/x/y/", "https://github.com/x/y"),
        ] {
            assert_eq!(normalize(raw).as_deref(), Some(want), "{raw}");
        }
        assert_eq!(normalize("file:../x"), None);
        for page in [
            "https://github.com/aio-libs/aiohttp/actions",
            "https://github.com/aio-libs/frozenlist/issues",
            "https://github.com/pyca/pynacl/releases",
            "https://github.com/someone",
            "https://gitlab.com/group/project/-/issues",
            "https://example.org/x/issues",
        ] {
            assert_eq!(repository(page), None, "{page}");
        }
        assert_eq!(
            repository("git+https://github.com/x/y.git").as_deref(),
            Some("https://github.com/x/y")
        );
        assert_eq!(
            repository("https://gitlab.com/group/sub/project").as_deref(),
            Some("https://gitlab.com/group/sub/project")
        );
        for yes in [
            "Source",
            "Source Code",
            "GitHub: repo",
            "Repository",
            "source",
            "Code",
            "GitHub",
        ] {
            assert!(is_source_label(yes), "{yes}");
        }
        for no in [
            "Homepage",
            "GitHub: issues",
            "Issue tracker",
            "Documentation",
            "CI",
            "Changelog",
            "Funding",
        ] {
            assert!(!is_source_label(no), "{no}");
        }
        assert_eq!(normalize(""), None);
        assert_eq!(
            scorecard_repo("https://github.com/Org/Repo/issues").as_deref(),
            Some("github.com/Org/Repo")
        );
        assert_eq!(scorecard_repo("https://example.org/a/b"), None);
    }
}
