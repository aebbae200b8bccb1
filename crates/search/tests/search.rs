//! The index on a small catalog: typos, prefixes, phrases, filters, facets, sorts and the
//! ranking blend.

use onhand_search::{ListingDoc, SearchIndex, SearchQuery, Sort};

const NOW: i64 = 1_800_000_000_000;
const HOUR: i64 = 3_600_000;

fn doc(
    id: u64,
    title: &str,
    category: (&str, &str),
    languages: &[&str],
    price: (&str, u64),
) -> ListingDoc {
    ListingDoc {
        listing_id: id,
        provider_id: id * 10,
        title: title.into(),
        description: format!("A session about {title}, patient and practical."),
        provider_name: format!("Provider {id}"),
        organization_name: None,
        category: category.0.into(),
        category_name: category.0.replace('-', " "),
        subcategory: category.1.into(),
        subcategory_name: category.1.replace('-', " "),
        tags: vec![],
        languages: languages.iter().map(|s| s.to_string()).collect(),
        price_model: price.0.into(),
        price_minor: price.1,
        rating: 0.0,
        review_count: 0,
        next_free_ms: Some(NOW + 48 * HOUR),
        group_size: 1,
    }
}

fn catalog() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    let mut docs = vec![
        doc(
            1,
            "Spanish conversation practice",
            ("education-careers", "languages"),
            &["es", "en"],
            ("fixed", 2000),
        ),
        doc(
            2,
            "Sourdough starter rescue",
            ("cooking", "baking"),
            &["en"],
            ("fixed", 1500),
        ),
        doc(
            3,
            "Fix a noisy laptop fan",
            ("computers-electronics", "repair"),
            &["en"],
            ("per_minute", 150),
        ),
        doc(
            4,
            "Guitar: your first three chords",
            ("art-music", "guitar"),
            &["en", "fr"],
            ("fixed", 2500),
        ),
        doc(
            5,
            "Free guitar check-up",
            ("art-music", "guitar"),
            &["en"],
            ("free", 0),
        ),
        doc(
            6,
            "Conversación en español para principiantes",
            ("education-careers", "languages"),
            &["es"],
            ("fixed", 1800),
        ),
    ];
    docs[3].tags = vec!["chords".into(), "beginners".into()];
    docs[3].group_size = 4;
    index.upsert(&docs).unwrap();
    index.commit().unwrap();
    index
}

fn ids(index: &SearchIndex, q: SearchQuery) -> Vec<u64> {
    index
        .search(&SearchQuery {
            limit: 10,
            now_ms: NOW,
            ..q
        })
        .unwrap()
        .hits
        .iter()
        .map(|h| h.listing_id)
        .collect()
}

fn text(t: &str) -> SearchQuery {
    SearchQuery {
        text: t.into(),
        ..Default::default()
    }
}

#[test]
fn typos_prefixes_and_phrases_find_what_was_meant() {
    let index = catalog();
    assert_eq!(ids(&index, text("sourdough"))[0], 2);
    assert_eq!(ids(&index, text("sourdogh"))[0], 2, "one typo");
    assert_eq!(
        ids(&index, text("spansih conversaton"))[0],
        1,
        "a typo in each word"
    );
    assert_eq!(ids(&index, text("fix my laptop fan"))[0], 3);
    let typing = ids(&index, text("gui"));
    assert!(
        typing.len() >= 2 && typing[..2].iter().all(|i| [4, 5].contains(i)),
        "prefix while typing: {typing:?}"
    );
    assert_eq!(
        ids(&index, text("\"three chords\"")),
        [4],
        "a phrase must match as a phrase"
    );
    assert!(ids(&index, text("\"chords three\"")).is_empty());
    assert!(ids(&index, text("xylophone")).is_empty());
}

#[test]
fn filters_narrow_and_facets_count() {
    let index = catalog();
    let r = index
        .search(&SearchQuery {
            text: "guitar".into(),
            limit: 10,
            now_ms: NOW,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.total, 2);
    assert_eq!(r.categories, [("art-music".to_string(), 2)]);
    assert!(r.price_models.contains(&("free".to_string(), 1)));
    assert!(r.languages.contains(&("fr".to_string(), 1)));
    let all = |q: SearchQuery| ids(&index, q);
    assert_eq!(
        all(SearchQuery {
            language: Some("es".into()),
            ..Default::default()
        })
        .len(),
        2
    );
    assert_eq!(
        all(SearchQuery {
            category: Some("cooking".into()),
            ..Default::default()
        }),
        [2]
    );
    assert_eq!(
        all(SearchQuery {
            category: Some("art-music".into()),
            subcategory: Some("guitar".into()),
            price_model: Some("free".into()),
            ..Default::default()
        }),
        [5]
    );
    let mut cheap = all(SearchQuery {
        max_price_minor: Some(1500),
        ..Default::default()
    });
    cheap.sort();
    assert_eq!(cheap, [2, 3, 5]);
    assert_eq!(
        all(SearchQuery {
            group: Some(true),
            ..Default::default()
        }),
        [4]
    );
    assert_eq!(
        all(SearchQuery {
            group: Some(false),
            ..Default::default()
        })
        .len(),
        5
    );
    assert_eq!(
        all(SearchQuery {
            providers: Some(vec![20, 30]),
            ..Default::default()
        })
        .len(),
        2,
        "available now: online providers"
    );
    assert!(
        all(SearchQuery {
            providers: Some(vec![]),
            ..Default::default()
        })
        .is_empty()
    );
    assert!(
        all(SearchQuery {
            free_before_ms: Some(NOW + HOUR),
            ..Default::default()
        })
        .is_empty()
    );
    assert_eq!(
        all(SearchQuery {
            free_before_ms: Some(NOW + 72 * HOUR),
            ..Default::default()
        })
        .len(),
        6
    );
}

#[test]
fn sorts_and_the_ranking_blend() {
    let index = catalog();
    let mut lucky = doc(
        7,
        "Spanish grammar clinic",
        ("education-careers", "languages"),
        &["es"],
        ("fixed", 3000),
    );
    lucky.rating = 5.0;
    lucky.review_count = 1;
    let mut well_reviewed = doc(
        8,
        "Spanish pronunciation",
        ("education-careers", "languages"),
        &["es"],
        ("fixed", 3100),
    );
    well_reviewed.rating = 4.8;
    well_reviewed.review_count = 120;
    let mut soon = doc(
        9,
        "Spanish verbs",
        ("education-careers", "languages"),
        &["es"],
        ("fixed", 2900),
    );
    soon.next_free_ms = Some(NOW + HOUR);
    index.upsert(&[lucky, well_reviewed, soon]).unwrap();
    index.commit().unwrap();
    let by_rating = ids(
        &index,
        SearchQuery {
            sort: Sort::Rating,
            language: Some("es".into()),
            ..Default::default()
        },
    );
    assert_eq!(by_rating[0], 8, "120 reviews of 4.8 beat one of 5.0");
    let by_price = ids(
        &index,
        SearchQuery {
            sort: Sort::PriceLow,
            ..Default::default()
        },
    );
    assert_eq!(by_price[0], 5);
    let by_price = ids(
        &index,
        SearchQuery {
            sort: Sort::PriceHigh,
            ..Default::default()
        },
    );
    assert_eq!(by_price[0], 8);
    assert_eq!(
        ids(
            &index,
            SearchQuery {
                sort: Sort::Soonest,
                ..Default::default()
            }
        )[0],
        9
    );
    let spanish = ids(&index, text("spanish"));
    assert_eq!(
        &spanish[..2],
        [9, 8],
        "equal text: sooner and better-rated first"
    );
    use onhand_search::rank;
    assert!(rank(1.0, 0.0, 0, NOW + HOUR, NOW) > rank(1.0, 0.0, 0, NOW + 48 * HOUR, NOW));
    assert!(rank(1.0, 0.0, 0, i64::MAX, NOW) < rank(1.0, 0.0, 0, NOW + 300 * HOUR, NOW));
}

#[test]
fn changes_show_after_a_commit_and_removals_disappear() {
    let index = catalog();
    index
        .upsert(&[doc(
            2,
            "Bagels from scratch",
            ("cooking", "baking"),
            &["en"],
            ("fixed", 1500),
        )])
        .unwrap();
    index.commit().unwrap();
    assert!(
        ids(&index, text("sourdough")).is_empty(),
        "the edit replaced the old text"
    );
    assert_eq!(ids(&index, text("bagels")), [2]);
    index.remove(&[2]);
    index.commit().unwrap();
    assert!(ids(&index, text("bagels")).is_empty());
    assert_eq!(index.len(), 5);
    assert_eq!(index.ids().unwrap().len(), 5);
    assert!(index.stale(NOW).unwrap().is_empty(), "every slot is ahead");
    assert_eq!(
        index.stale(NOW + 49 * HOUR).unwrap(),
        [1, 3, 4, 5, 6],
        "slots that passed need a refresh"
    );
    assert_eq!(index.suggest("gui", 5).unwrap().len(), 2);
    assert_eq!(
        index.suggest("spanish conv", 5).unwrap()[0],
        "Spanish conversation practice"
    );
}

#[test]
fn a_damaged_index_is_rebuilt_empty() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (index, fresh) = onhand_search::SearchIndex::open(dir.path()).unwrap();
        assert!(fresh);
        index
            .upsert(&[doc(
                1,
                "Spanish conversation practice",
                ("education-careers", "languages"),
                &["es"],
                ("fixed", 2000),
            )])
            .unwrap();
        index.commit().unwrap();
    }
    let (index, fresh) = onhand_search::SearchIndex::open(dir.path()).unwrap();
    assert!(!fresh);
    assert_eq!(index.len(), 1);
    drop(index);
    std::fs::write(dir.path().join("meta.json"), b"{ not json").unwrap();
    let (index, fresh) = onhand_search::SearchIndex::open(dir.path()).unwrap();
    assert!(fresh, "a damaged index starts over");
    assert_eq!(index.len(), 0);
}
