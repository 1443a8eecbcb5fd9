//! Page-number pagination shared by every list endpoint.
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const DEFAULT_PER_PAGE: i64 = 50;
pub const MAX_PER_PAGE: i64 = 500;

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Items per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<u32>,
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
        Self { items, page: params.page(), per_page: params.limit(), total }
    }

    /// Paginates an in-memory list.
    pub fn slice(all: Vec<T>, params: &PageParams) -> Self {
        let total = all.len() as i64;
        let start = usize::try_from(params.offset()).unwrap_or(usize::MAX);
        let items = all.into_iter().skip(start).take(params.limit() as usize).collect();
        Self::new(items, params, total)
    }
}
