//! The marketplace listing: what the URL asks for and what the grid shows.

use super::{Category, PluginId, Scope};
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: u32 = 24;
/// Search text beyond this is ignored rather than refused: a pasted paragraph still gives a page.
const MAX_QUERY_CHARS: usize = 200;
/// Deep pages of a 100,000-plugin catalog stay reachable; beyond this a page is clamped.
const MAX_PAGE: u32 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sort {
    #[default]
    MostInstalled,
    TopRated,
    Newest,
    Name,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::MostInstalled, Sort::TopRated, Sort::Newest, Sort::Name];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::MostInstalled => "installs",
            Sort::TopRated => "rating",
            Sort::Newest => "newest",
            Sort::Name => "name",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::MostInstalled => "Most installed",
            Sort::TopRated => "Top rated",
            Sort::Newest => "Newest",
            Sort::Name => "Name",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A marketplace query as the URL (`?q=&category=&sort=&page=`) gives it. Parsing never
/// fails: unknown values fall back to the default, and `notice` says so on the page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MarketplaceQuery {
    pub q: String,
    pub category: Option<Category>,
    pub sort: Sort,
    pub page: u32,
}

/// Search text as the catalog takes it: no control characters, at most `MAX_QUERY_CHARS`.
fn clean_search_text(raw: &str) -> String {
    let text: String = raw.chars().filter(|c| !c.is_control()).take(MAX_QUERY_CHARS).collect();
    text.trim().to_owned()
}

/// A page number within 1..=`MAX_PAGE`.
fn clamp_page(page: u32) -> u32 {
    page.clamp(1, MAX_PAGE)
}

impl MarketplaceQuery {
    /// Builds a query from raw URL parameters; the second value lists what was ignored.
    pub fn from_params(
        q: Option<&str>,
        category: Option<&str>,
        sort: Option<&str>,
        page: Option<&str>,
    ) -> (Self, Vec<String>) {
        let mut ignored = Vec::new();
        let q = clean_search_text(q.unwrap_or_default());
        let category = match category.map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(raw) => {
                let parsed = Category::parse(raw);
                if parsed.is_none() {
                    ignored.push("category".to_owned());
                }
                parsed
            }
        };
        let sort = match sort.map(str::trim).filter(|s| !s.is_empty()) {
            None => Sort::default(),
            Some(raw) => Sort::parse(raw).unwrap_or_else(|| {
                ignored.push("sort".to_owned());
                Sort::default()
            }),
        };
        let page = match page.map(str::trim).filter(|p| !p.is_empty()) {
            None => 1,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if n >= 1 => clamp_page(n),
                _ => {
                    ignored.push("page".to_owned());
                    1
                }
            },
        };
        (Self { q, category, sort, page }, ignored)
    }

    /// The words searched for: runs of letters and digits, lower-cased. Punctuation
    /// separates words and is otherwise ignored, so no input can break the index query.
    pub fn search_terms(&self) -> Vec<String> {
        self.q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(8)
            .map(str::to_lowercase)
            .collect()
    }

    /// The same query within the bounds `from_params` keeps: a query decoded from a
    /// server function's arguments can hold any `u32` page and any text.
    pub fn normalized(self) -> Self {
        Self { q: clean_search_text(&self.q), page: clamp_page(self.page), ..self }
    }

    pub fn offset(&self) -> u32 {
        (clamp_page(self.page) - 1) * PAGE_SIZE
    }

    /// The URL of this query, leaving out what is at its default.
    pub fn href(&self) -> String {
        let mut parts = Vec::new();
        if !self.q.is_empty() {
            parts.push(format!("q={}", encode_component(&self.q)));
        }
        if let Some(c) = self.category {
            parts.push(format!("category={}", c.as_str()));
        }
        if self.sort != Sort::default() {
            parts.push(format!("sort={}", self.sort.as_str()));
        }
        if self.page > 1 {
            parts.push(format!("page={}", self.page));
        }
        if parts.is_empty() {
            "/marketplace".to_owned()
        } else {
            format!("/marketplace?{}", parts.join("&"))
        }
    }

    pub fn with_page(&self, page: u32) -> Self {
        Self { page, ..self.clone() }
    }
}

fn encode_component(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One card of the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginCard {
    pub id: PluginId,
    pub slug: String,
    pub name: String,
    pub author: String,
    pub icon_url: Option<String>,
    pub category: Category,
    pub excerpt: String,
    pub install_count: i64,
    pub rating: f64,
    pub review_count: i64,
    pub is_verified: bool,
    pub is_installed: bool,
}

/// One page of the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginPage {
    pub plugins: Vec<PluginCard>,
    pub total: i64,
    pub query: MarketplaceQuery,
}

impl PluginPage {
    pub fn page_count(&self) -> u32 {
        let pages = (self.total.max(0) as u64).div_ceil(PAGE_SIZE as u64);
        pages.clamp(1, u32::MAX as u64) as u32
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewView {
    pub id: i64,
    pub rating: i64,
    pub body: String,
    pub author_name: String,
    pub tenant_name: String,
    pub created_at: i64,
    pub reply: Option<String>,
    /// Written by someone of the viewer's organisation.
    pub is_mine: bool,
}

/// Everything the plugin's detail page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginDetail {
    pub card: PluginCard,
    /// Markdown rendered to HTML and sanitised on the server.
    pub description_html: String,
    pub author_url: Option<String>,
    pub permissions: Vec<Scope>,
    pub reviews: Vec<ReviewView>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The signed-in user may install it (owner or admin).
    pub can_install: bool,
    /// The viewer's organisation accepted an invite to test it before staff publish it.
    pub invited: bool,
    /// Its live version is private: only invited organisations see it.
    pub private: bool,
    pub signed_in: bool,
    /// The signed-in user may rate and review it: an owner or admin of an organisation
    /// that has it installed.
    pub can_review: bool,
    /// The signed-in user is its developer, who may reply to reviews.
    pub can_reply: bool,
    /// Published, or (for its developer and staff) where it stands.
    pub state: super::ReviewState,
    /// The published versions, newest first, with their release notes.
    pub releases: Vec<super::ReleaseNote>,
    /// For an owner or admin of a tenant that installed it: the live version asks for
    /// more (or other) scopes than the tenant granted.
    pub update: Option<super::ScopeUpdate>,
    /// The installation the update would apply to.
    pub installation_id: Option<super::InstallationId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decoded_query_is_clamped_like_a_url_one() {
        let huge = MarketplaceQuery { page: u32::MAX, q: "x".repeat(5_000), ..Default::default() };
        assert_eq!(huge.offset(), (MAX_PAGE - 1) * PAGE_SIZE);
        let normal = huge.normalized();
        assert_eq!((normal.page, normal.q.chars().count()), (MAX_PAGE, MAX_QUERY_CHARS));
        assert_eq!(MarketplaceQuery { page: 0, ..Default::default() }.normalized().page, 1);
    }

    #[test]
    fn odd_parameters_fall_back_and_are_reported() {
        let (q, ignored) = MarketplaceQuery::from_params(
            Some("  task\u{0}sync  "),
            Some("nope"),
            Some("random"),
            Some("-3"),
        );
        assert_eq!(q.q, "tasksync");
        assert_eq!(q.category, None);
        assert_eq!(q.sort, Sort::MostInstalled);
        assert_eq!(q.page, 1);
        assert_eq!(ignored, ["category", "sort", "page"]);
    }

    #[test]
    fn huge_values_are_clamped_not_refused() {
        let long = "a".repeat(10_000);
        let (q, ignored) = MarketplaceQuery::from_params(Some(&long), None, None, Some("99999999"));
        assert_eq!(q.q.len(), 200);
        assert_eq!(q.page, 5_000);
        assert!(ignored.is_empty());
        let (_, ignored) = MarketplaceQuery::from_params(None, None, None, Some("99999999999999999999"));
        assert_eq!(ignored, ["page"]);
    }

    #[test]
    fn search_terms_are_words_only() {
        let (q, _) = MarketplaceQuery::from_params(Some("Git\"Hub* OR (sync)-bot"), None, None, None);
        assert_eq!(q.search_terms(), ["git", "hub", "or", "sync", "bot"]);
    }

    #[test]
    fn href_round_trips_through_parsing() {
        let (q, _) = MarketplaceQuery::from_params(Some("time & money"), Some("finance"), Some("rating"), Some("3"));
        assert_eq!(q.href(), "/marketplace?q=time+%26+money&category=finance&sort=rating&page=3");
        assert_eq!(MarketplaceQuery::default().href(), "/marketplace");
    }
}
