//! The published catalog in memory: which plugins a marketplace search and category
//! match, in each of the four sort orders, in well under a millisecond at 100,000
//! plugins. The cards themselves are read from the database (fresh, with the viewer's
//! installed badges); this index only says which ids, in which order, and how many.
//!
//! Every instance keeps its own copy and stays correct when another instance changes
//! the catalog: every change a listing depends on (a plugin published, unpublished,
//! renamed, re-described, moved to another category, installed, rated, deleted) takes
//! the next *catalog version* in the database (triggers of migration 0009, so no code
//! path can forget it), and versions become visible in the order they were taken
//! (SQLite has one writer; on PostgreSQL the trigger holds a transaction lock until
//! commit). Before answering, an instance reads the highest version (one indexed
//! lookup) and loads what changed since the version it holds.

use crate::domain::{Category, Sort};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

/// A published plugin as far as listings depend on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub category: Category,
    pub install_count: i64,
    pub rating: f64,
    pub review_count: i64,
    pub created_at: i64,
}

/// A change to the catalog, in version order.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Published now, or changed while published.
    Listed(Listed),
    /// Unpublished or deleted: no listing shows it.
    Unlisted(i64),
}

/// The ids of one page, in order, and how many plugins match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hits {
    pub ids: Vec<i64>,
    pub total: i64,
}

/// The index and the catalog version it reflects.
pub struct CatalogIndex {
    state: RwLock<Index>,
    /// One catch-up at a time; the others wait and find it done.
    catching_up: tokio::sync::Mutex<()>,
}

impl Default for CatalogIndex {
    fn default() -> Self {
        Self { state: RwLock::new(Index::default()), catching_up: tokio::sync::Mutex::new(()) }
    }
}

impl CatalogIndex {
    /// The catalog version this index reflects (`-1` before the first load).
    pub fn version(&self) -> i64 {
        self.read().version
    }

    /// Number of listed plugins.
    pub fn len(&self) -> usize {
        self.read().slot_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Applies changes loaded from the database, in version order; `version` is the
    /// catalog version they bring the index to. A large batch (the first load, or an
    /// instance that was idle through many changes) builds a new index on a blocking
    /// thread while this one keeps answering, then swaps it in.
    pub async fn apply(&self, changes: Vec<Change>, version: i64) {
        if changes.len() > REBUILD_AFTER || self.is_empty() {
            let mut listed: HashMap<i64, Listed> =
                self.read().slots.iter().flatten().map(|e| (e.listed.id, e.listed.clone())).collect();
            for change in changes {
                match change {
                    Change::Listed(l) => {
                        listed.insert(l.id, l);
                    }
                    Change::Unlisted(id) => {
                        listed.remove(&id);
                    }
                }
            }
            let built = match tokio::task::spawn_blocking(move || Index::build(listed)).await {
                Ok(built) => built,
                Err(err) => std::panic::resume_unwind(err.into_panic()),
            };
            let mut index = self.write();
            let version = index.version.max(version);
            *index = built;
            index.version = version;
        } else {
            let mut index = self.write();
            for change in changes {
                match change {
                    Change::Listed(listed) => index.list(listed),
                    Change::Unlisted(id) => index.unlist(id),
                }
            }
            index.version = index.version.max(version);
        }
    }

    /// The page at `offset` of the plugins matching every term (each a word prefix) and
    /// the category, in `sort` order.
    pub fn search(&self, terms: &[String], category: Option<Category>, sort: Sort, offset: usize, limit: usize) -> Hits {
        self.read().search(terms, category, sort, offset, limit)
    }

    /// Held while loading and applying changes, so that concurrent requests load once.
    pub async fn catching_up(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.catching_up.lock().await
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.state.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.state.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Folds a word as searches compare it: lower case, accents removed (as SQLite's
/// `remove_diacritics` does), so "Café" is found by "cafe".
pub fn fold(word: &str) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    // Lower case first: 'İ' lowers to 'i' and a combining dot, which goes next.
    word.to_lowercase().nfd().filter(|c| !is_combining_mark(*c)).collect()
}

/// The distinct folded words of a text: runs of letters and digits.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(fold)
}

const FREE: u8 = u8::MAX;

/// What a slot holds besides the plugin: its sort keys, ready to compare.
struct Entry {
    listed: Listed,
    name_key: String,
    words: Vec<Box<str>>,
}

struct Index {
    version: i64,
    /// Entries by slot; a freed slot is `None` and is taken again by the next plugin.
    slots: Vec<Option<Entry>>,
    /// The category of each slot (`FREE` when empty), scanned densely by filters.
    categories: Vec<u8>,
    free: Vec<u32>,
    slot_of: HashMap<i64, u32>,
    /// Each word's slots, unordered; prefixes are ranges of this map.
    postings: BTreeMap<Box<str>, Vec<u32>>,
    /// Slots in each sort order (indexed by `order_index`).
    orders: [Vec<u32>; 4],
}

impl Default for Index {
    fn default() -> Self {
        // Below every stored version (rows from before migration 0009 hold 0), so the
        // first catch-up loads the whole catalog.
        Self {
            version: -1,
            slots: Vec::new(),
            categories: Vec::new(),
            free: Vec::new(),
            slot_of: HashMap::new(),
            postings: BTreeMap::new(),
            orders: Default::default(),
        }
    }
}

fn order_index(sort: Sort) -> usize {
    match sort {
        Sort::MostInstalled => 0,
        Sort::TopRated => 1,
        Sort::Newest => 2,
        Sort::Name => 3,
    }
}

const SORTS: [Sort; 4] = [Sort::MostInstalled, Sort::TopRated, Sort::Newest, Sort::Name];

/// The marketplace's orders; ties fall to the id so every plugin has one place.
fn compare(sort: Sort, a: &Entry, b: &Entry) -> Ordering {
    let (x, y) = (&a.listed, &b.listed);
    match sort {
        Sort::MostInstalled => y.install_count.cmp(&x.install_count).then(y.id.cmp(&x.id)),
        Sort::TopRated => y
            .rating
            .total_cmp(&x.rating)
            .then(y.review_count.cmp(&x.review_count))
            .then(y.id.cmp(&x.id)),
        Sort::Newest => y.created_at.cmp(&x.created_at).then(y.id.cmp(&x.id)),
        Sort::Name => a.name_key.cmp(&b.name_key).then(x.id.cmp(&y.id)),
    }
}

fn category_code(category: Category) -> u8 {
    Category::ALL.iter().position(|c| *c == category).unwrap_or(0) as u8
}

impl Entry {
    fn new(listed: Listed) -> Self {
        let mut words: Vec<Box<str>> =
            words(&listed.name).chain(words(&listed.description)).map(String::into_boxed_str).collect();
        words.sort_unstable();
        words.dedup();
        Self { name_key: listed.name.to_lowercase(), words, listed }
    }
}

/// Past this many changes at once, building anew (off the runtime's threads) beats
/// applying each under the write lock.
const REBUILD_AFTER: usize = 200;

impl Index {
    fn entry(&self, slot: u32) -> &Entry {
        self.slots[slot as usize].as_ref().expect("ordered slots hold entries")
    }

    /// An index of `listed`, built at once.
    fn build(listed: HashMap<i64, Listed>) -> Self {
        let entries: Vec<Entry> = listed.into_values().map(Entry::new).collect();
        let mut postings: HashMap<Box<str>, Vec<u32>> = HashMap::new();
        for (slot, entry) in entries.iter().enumerate() {
            for word in &entry.words {
                postings.entry(word.clone()).or_default().push(slot as u32);
            }
        }
        let mut index = Index {
            postings: postings.into_iter().collect(),
            categories: entries.iter().map(|e| category_code(e.listed.category)).collect(),
            slot_of: entries.iter().enumerate().map(|(slot, e)| (e.listed.id, slot as u32)).collect(),
            ..Index::default()
        };
        for sort in SORTS {
            let mut order: Vec<u32> = (0..entries.len() as u32).collect();
            order.sort_unstable_by(|a, b| compare(sort, &entries[*a as usize], &entries[*b as usize]));
            index.orders[order_index(sort)] = order;
        }
        index.slots = entries.into_iter().map(Some).collect();
        index
    }

    fn list(&mut self, listed: Listed) {
        if let Some(&slot) = self.slot_of.get(&listed.id) {
            if self.entry(slot).listed == listed {
                return;
            }
            self.unlist(listed.id);
        }
        let entry = Entry::new(listed);
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                self.categories.push(FREE);
                (self.slots.len() - 1) as u32
            }
        };
        for word in &entry.words {
            self.postings.entry(word.clone()).or_default().push(slot);
        }
        for sort in SORTS {
            let order = &self.orders[order_index(sort)];
            let at = order
                .binary_search_by(|s| compare(sort, self.slots[*s as usize].as_ref().expect("ordered"), &entry))
                .unwrap_or_else(|at| at);
            self.orders[order_index(sort)].insert(at, slot);
        }
        self.categories[slot as usize] = category_code(entry.listed.category);
        self.slot_of.insert(entry.listed.id, slot);
        self.slots[slot as usize] = Some(entry);
    }

    fn unlist(&mut self, id: i64) {
        let Some(slot) = self.slot_of.remove(&id) else { return };
        let entry = self.slots[slot as usize].take().expect("a mapped slot holds its entry");
        for sort in SORTS {
            let order = &self.orders[order_index(sort)];
            // Every other slot in the order still holds its entry; the one taken
            // compares equal to itself only.
            let at = order.binary_search_by(|s| match self.slots[*s as usize].as_ref() {
                Some(other) => compare(sort, other, &entry),
                None => Ordering::Equal,
            });
            if let Ok(at) = at {
                self.orders[order_index(sort)].remove(at);
            }
        }
        for word in &entry.words {
            if let Some(list) = self.postings.get_mut(word) {
                if let Some(at) = list.iter().position(|s| *s == slot) {
                    list.swap_remove(at);
                }
                if list.is_empty() {
                    self.postings.remove(word);
                }
            }
        }
        self.categories[slot as usize] = FREE;
        self.free.push(slot);
    }

    /// Slots having a word that starts with `prefix`, as a bit set.
    fn prefix_matches(&self, prefix: &str) -> Vec<u64> {
        let mut bits = vec![0u64; self.slots.len().div_ceil(64)];
        for (_, slots) in self.postings.range::<str, _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded))
            .take_while(|(word, _)| word.starts_with(prefix))
        {
            for slot in slots {
                bits[*slot as usize / 64] |= 1 << (slot % 64);
            }
        }
        bits
    }

    fn search(&self, terms: &[String], category: Option<Category>, sort: Sort, offset: usize, limit: usize) -> Hits {
        let order = &self.orders[order_index(sort)];
        if terms.is_empty() && category.is_none() {
            let ids = order.iter().skip(offset).take(limit).map(|s| self.entry(*s).listed.id).collect();
            return Hits { ids, total: order.len() as i64 };
        }
        let mut matches: Option<Vec<u64>> = None;
        for term in terms {
            let bits = self.prefix_matches(&fold(term));
            matches = Some(match matches {
                None => bits,
                Some(mut acc) => {
                    acc.iter_mut().zip(&bits).for_each(|(a, b)| *a &= b);
                    acc
                }
            });
        }
        if matches.as_ref().is_some_and(|bits| bits.iter().all(|w| *w == 0)) {
            return Hits { ids: Vec::new(), total: 0 };
        }
        let wanted = category.map(category_code);
        let mut ids = Vec::with_capacity(limit);
        let mut total = 0usize;
        for &slot in order {
            if wanted.is_some_and(|c| self.categories[slot as usize] != c) {
                continue;
            }
            if matches.as_ref().is_some_and(|bits| bits[slot as usize / 64] & (1 << (slot % 64)) == 0) {
                continue;
            }
            if total >= offset && ids.len() < limit {
                ids.push(self.entry(slot).listed.id);
            }
            total += 1;
        }
        Hits { ids, total: total as i64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin(id: i64, name: &str, category: Category, installs: i64, rating: f64) -> Listed {
        Listed {
            id,
            name: name.to_owned(),
            description: format!("{name} does things."),
            category,
            install_count: installs,
            rating,
            review_count: 0,
            created_at: id * 10,
        }
    }

    async fn index(plugins: Vec<Listed>) -> CatalogIndex {
        let index = CatalogIndex::default();
        index.apply(plugins.into_iter().map(Change::Listed).collect(), 1).await;
        index
    }

    fn terms(q: &str) -> Vec<String> {
        q.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect()
    }

    fn ids(index: &CatalogIndex, q: &str, category: Option<Category>, sort: Sort) -> Vec<i64> {
        index.search(&terms(q), category, sort, 0, 100).ids
    }

    #[tokio::test]
    async fn every_term_must_match_as_a_word_prefix() {
        let idx = index(vec![
            plugin(1, "Git Sync", Category::DeveloperTools, 5, 4.0),
            plugin(2, "Gitter bridge", Category::Communication, 9, 3.0),
            plugin(3, "Digit counter", Category::Analytics, 1, 5.0),
        ]).await;
        assert_eq!(ids(&idx, "git", None, Sort::MostInstalled), vec![2, 1], "a prefix of a word, never inside one");
        assert_eq!(ids(&idx, "git syn", None, Sort::MostInstalled), vec![1]);
        assert_eq!(ids(&idx, "git nothing", None, Sort::MostInstalled), Vec::<i64>::new());
        assert_eq!(ids(&idx, "GIT", Some(Category::DeveloperTools), Sort::MostInstalled), vec![1]);
        assert_eq!(idx.search(&terms("git"), None, Sort::MostInstalled, 0, 100).total, 2);
    }

    #[tokio::test]
    async fn accents_and_case_are_folded_both_ways() {
        let idx = index(vec![plugin(1, "Café Über", Category::Productivity, 0, 0.0), plugin(2, "İstanbul", Category::Productivity, 0, 0.0)]).await;
        assert_eq!(ids(&idx, "istanbul", None, Sort::Name), vec![2]);
        assert_eq!(ids(&idx, "cafe", None, Sort::Name), vec![1]);
        assert_eq!(ids(&idx, "CAFÉ über", None, Sort::Name), vec![1]);
    }

    #[tokio::test]
    async fn each_order_breaks_ties_by_id_and_pages_do_not_overlap() {
        let idx = index((1..=10).map(|id| plugin(id, &format!("p{}", 11 - id), Category::Finance, id % 3, (id % 2) as f64)).collect()).await;
        assert_eq!(ids(&idx, "", None, Sort::MostInstalled), vec![8, 5, 2, 10, 7, 4, 1, 9, 6, 3]);
        assert_eq!(ids(&idx, "", None, Sort::TopRated), vec![9, 7, 5, 3, 1, 10, 8, 6, 4, 2]);
        assert_eq!(ids(&idx, "", None, Sort::Newest), vec![10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(ids(&idx, "", None, Sort::Name), vec![10, 1, 9, 8, 7, 6, 5, 4, 3, 2]);
        for sort in SORTS {
            let all = ids(&idx, "", None, sort);
            let paged: Vec<i64> = (0..4).flat_map(|page| idx.search(&[], None, sort, page * 3, 3).ids).collect();
            assert_eq!(paged, all, "{sort:?}");
            assert_eq!(idx.search(&[], Some(Category::Finance), sort, 9, 3), Hits { ids: vec![all[9]], total: 10 });
        }
    }

    /// Changes applied one by one leave the same index as building it anew.
    #[tokio::test]
    async fn applying_changes_agrees_with_building_anew() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let names = ["alpha sync", "beta ledger", "gamma tracker", "delta sync", "epsilon bridge"];
        let incremental = CatalogIndex::default();
        let mut current: HashMap<i64, Listed> = HashMap::new();
        for round in 0..400 {
            let id = next(60) as i64;
            let change = if next(4) == 0 {
                current.remove(&id);
                Change::Unlisted(id)
            } else {
                let mut p = plugin(id, names[next(5) as usize], Category::ALL[next(3) as usize], next(5) as i64, next(3) as f64);
                p.created_at = next(4) as i64;
                current.insert(id, p.clone());
                Change::Listed(p)
            };
            incremental.apply(vec![change], round).await;
        }
        let built = index(current.into_values().collect()).await;
        for sort in SORTS {
            for q in ["", "sync", "s", "beta led", "x"] {
                for category in [None, Some(Category::ALL[1])] {
                    for offset in [0, 7] {
                        assert_eq!(
                            incremental.search(&terms(q), category, sort, offset, 10),
                            built.search(&terms(q), category, sort, offset, 10),
                            "{sort:?} {q:?} {category:?} {offset}"
                        );
                    }
                }
            }
        }
        assert_eq!(incremental.len(), built.len());
    }

    #[tokio::test]
    async fn unlisted_plugins_leave_every_listing() {
        let idx = index(vec![plugin(1, "Git Sync", Category::DeveloperTools, 5, 4.0), plugin(2, "Git Lab", Category::DeveloperTools, 3, 4.0)]).await;
        idx.apply(vec![Change::Unlisted(1)], 2).await;
        for sort in SORTS {
            assert_eq!(ids(&idx, "git", None, sort), vec![2]);
            assert_eq!(ids(&idx, "", Some(Category::DeveloperTools), sort), vec![2]);
        }
        assert_eq!(idx.version(), 2);
    }
}
