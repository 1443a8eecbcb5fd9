//! Page-number pagination shared by every list endpoint.
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const DEFAULT_PER_PAGE: i64 = 50;
pub const MAX_PER_PAGE: i64 = 500;

/// `page` and `per_page`; out-of-range values are rejected (422), as documented.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[serde(try_from = "RawPageParams")]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Items per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<u32>,
}

#[derive(Deserialize)]
struct RawPageParams {
    page: Option<u32>,
    per_page: Option<u32>,
}

impl TryFrom<RawPageParams> for PageParams {
    type Error = String;

    fn try_from(raw: RawPageParams) -> Result<Self, String> {
        // The documented type is int32.
        if raw.page.is_some_and(|n| n == 0 || n > i32::MAX as u32) {
            return Err(format!("page: must be 1 to {}", i32::MAX));
        }
        if raw
            .per_page
            .is_some_and(|n| n == 0 || i64::from(n) > MAX_PER_PAGE)
        {
            return Err(format!("per_page: must be 1 to {MAX_PER_PAGE}"));
        }
        Ok(Self {
            page: raw.page,
            per_page: raw.per_page,
        })
    }
}

impl PageParams {
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page.unwrap_or(DEFAULT_PER_PAGE as u32)).clamp(1, MAX_PER_PAGE)
    }
    pub fn page(&self) -> i64 {
        i64::from(self.page.unwrap_or(1)).max(1)
    }
    pub fn offset(&self) -> i64 {
        (self.page() - 1).saturating_mul(self.limit())
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, params: &PageParams, total: i64) -> Self {
        Self {
            items,
            page: params.page(),
            per_page: params.limit(),
            total,
        }
    }

    /// Paginates an in-memory list.
    pub fn slice(all: Vec<T>, params: &PageParams) -> Self {
        let total = all.len() as i64;
        let start = usize::try_from(params.offset()).unwrap_or(usize::MAX);
        let items = all
            .into_iter()
            .skip(start)
            .take(params.limit() as usize)
            .collect();
        Self::new(items, params, total)
    }
}

/// A page of a list that also pages by cursor (the audit log): a deep page
/// by number costs a walk over every item before it, a cursor does not.
#[derive(Debug, Serialize, ToSchema)]
pub struct CursorPage<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    /// Matching items; a lower bound when `total_exact` is false.
    pub total: i64,
    /// False when counting stopped early: there are more than `total`.
    /// Filtered lists (and any list under row-level security) count at most
    /// 1,000 items; the administrator's unfiltered log is always exact.
    pub total_exact: bool,
    /// Pass as `before` (with no `page`) for the next, older page; null on
    /// the oldest page.
    pub next_before: Option<i64>,
    /// Pass as `after` (with no `page`) for the previous, newer page; null
    /// on the newest page.
    pub prev_after: Option<i64>,
}
