//! /projects/{project}: the secrets grid. Keys are rows, environments are
//! columns; values stay on the server until a cell is revealed. Rows where a
//! key is missing somewhere or differs across environments are marked (the
//! values are compared here, never sent).
use super::{Head, fail, head, signed_in};
use crate::state::AppState;
use crate::web::errors::WebError;
use crate::web::i18n::Tr;
use crate::web::session::WebCtx;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use heartlock_domain::secrets;
use std::collections::BTreeMap;

/// One environment's value of one key, as shown in a cell.
pub struct Cell {
    pub env: String,
    pub key: String,
    /// `/projects/{project}/environments/{env}/secrets/{key}`.
    pub url: String,
    pub present: bool,
    pub version: i64,
    /// Only when revealed (or being edited).
    pub value: Option<String>,
    /// Offer "Share" (the project allows it and the caller may read it).
    pub share: bool,
    /// The "New share" form prefilled with this value.
    pub share_url: String,
}

impl Cell {
    pub fn new(slug: &str, env: &str, key: &str) -> Self {
        Self {
            env: env.to_string(),
            key: key.to_string(),
            url: format!("/projects/{slug}/environments/{env}/secrets/{key}"),
            present: false,
            version: 0,
            value: None,
            share: false,
            // Slugs and keys are [A-Za-z0-9_-]: nothing to encode.
            share_url: format!("/shares/new?project={slug}&env={env}&key={key}"),
        }
    }

    /// A catalogue text about this cell (`{key}` and `{env}` filled in).
    pub fn text(&self, tr: impl std::borrow::Borrow<Tr>, key: &str) -> String {
        let args = [("key", self.key.as_str()), ("env", self.env.as_str())];
        tr.borrow().tf(key, &args)
    }

    /// An element id for this cell's value.
    pub fn dom_id(&self) -> String {
        format!("val-{}-{}", self.env, self.key)
    }
}

pub struct Row {
    pub key: String,
    pub cells: Vec<Cell>,
    pub missing: bool,
    pub differs: bool,
}

pub struct EnvCol {
    pub slug: String,
    pub name: String,
}

/// What the forms on the grid show after a failed submission.
#[derive(Default)]
pub struct Forms {
    pub add_error: Option<String>,
    pub add_key: String,
    pub add_env: String,
    pub import_error: Option<String>,
    pub import_env: String,
}

#[derive(Template)]
#[template(path = "project.html")]
struct GridPage {
    l: Layout,
    tr: Tr,
    csrf: String,
    head: Head,
    slug: String,
    can_write: bool,
    envs: Vec<EnvCol>,
    rows: Vec<Row>,
    forms: Forms,
    /// "Notify me" controls per environment (empty for anonymous visitors).
    watch_rows: Vec<super::watches::WatchRow>,
    /// "Share" on values and "Share as .env" on environments.
    may_share: bool,
}

/// Builds the rows: every key of every environment, with the markers.
fn rows(
    slug: &str,
    envs: &[EnvCol],
    values: BTreeMap<String, Vec<Option<(i64, String)>>>,
) -> Vec<Row> {
    values
        .into_iter()
        .map(|(key, per_env)| {
            let present: Vec<&String> = per_env.iter().flatten().map(|(_, v)| v).collect();
            let missing = present.len() < envs.len();
            let differs = present.windows(2).any(|w| w[0] != w[1]);
            let cells = envs
                .iter()
                .zip(per_env)
                .map(|(env, found)| {
                    let mut c = Cell::new(slug, &env.slug, &key);
                    if let Some((version, _)) = found {
                        c.present = true;
                        c.version = version;
                    }
                    c
                })
                .collect();
            Row {
                key,
                cells,
                missing,
                differs,
            }
        })
        .collect()
}

/// The grid page, with `forms` holding what a failed form needs to show again.
pub async fn build(
    state: &AppState,
    ctx: &WebCtx,
    slug: &str,
    forms: Forms,
) -> Result<Response, WebError> {
    signed_in(ctx)?;
    let (project, grid) = secrets::grid(state, &ctx.caller, slug)
        .await
        .map_err(|e| fail(ctx, e))?;
    let head = head(state, ctx, slug, "secrets").await?;
    let mut values: BTreeMap<String, Vec<Option<(i64, String)>>> = BTreeMap::new();
    let mut envs = Vec::with_capacity(grid.len());
    for (i, (env, all)) in grid.into_iter().enumerate() {
        for s in all {
            let slot = values.entry(s.key).or_default();
            slot.resize(i + 1, None);
            slot[i] = Some((s.version, s.value));
        }
        envs.push(env);
    }
    for slot in values.values_mut() {
        slot.resize(envs.len(), None);
    }
    let watch_rows = super::watches::rows(state, ctx, &project.slug, &envs).await?;
    let cols: Vec<EnvCol> = envs
        .into_iter()
        .map(|e| EnvCol {
            slug: e.slug,
            name: e.name,
        })
        .collect();
    let may_share = crate::web::shares::offered(state, ctx, &project.slug).await;
    let mut rows = rows(&project.slug, &cols, values);
    for c in rows.iter_mut().flat_map(|r| r.cells.iter_mut()) {
        c.share = may_share && c.present;
    }
    Ok(render(&GridPage {
        l: Layout::new(ctx, "projects"),
        tr: ctx.tr,
        csrf: ctx.csrf.clone(),
        slug: project.slug.clone(),
        can_write: head.perms.write,
        head,
        envs: cols,
        rows,
        forms,
        watch_rows,
        may_share,
    }))
}

pub async fn page(
    State(state): State<AppState>,
    ctx: WebCtx,
    Path(project): Path<String>,
) -> Result<Response, WebError> {
    signed_in(&ctx)?;
    build(&state, &ctx, &project, Forms::default()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(s: &str) -> EnvCol {
        EnvCol {
            slug: s.into(),
            name: s.into(),
        }
    }

    #[test]
    fn markers_flag_missing_and_differing_keys_without_values() {
        let envs = [env("dev"), env("prod")];
        let mut v = BTreeMap::new();
        v.insert(
            "SAME".into(),
            vec![Some((1, "x".into())), Some((2, "x".into()))],
        );
        v.insert(
            "DIFF".into(),
            vec![Some((1, "a".into())), Some((1, "b".into()))],
        );
        v.insert("HALF".into(), vec![None, Some((1, "a".into()))]);
        let rows = rows("p", &envs, v);
        let get = |k: &str| rows.iter().find(|r| r.key == k).unwrap();
        assert!(!get("SAME").missing && !get("SAME").differs);
        assert!(!get("DIFF").missing && get("DIFF").differs);
        assert!(get("HALF").missing && !get("HALF").differs);
        assert!(
            rows.iter()
                .flat_map(|r| &r.cells)
                .all(|c| c.value.is_none())
        );
        assert_eq!(
            get("HALF").cells[1].url,
            "/projects/p/environments/prod/secrets/HALF"
        );
    }
}
