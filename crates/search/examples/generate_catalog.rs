//! Writes a synthetic catalog as tab-separated lines (id, category, subcategory, price
//! model, price, languages, title, description), for inspecting what the benchmark
//! searches. Run: `cargo run --release -p onhand-search --example generate_catalog -- 100000 > catalog.tsv`

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let seed: u64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2013);
    for d in onhand_search::synthetic::catalog(n, seed, 0) {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            d.listing_id,
            d.category,
            d.subcategory,
            d.price_model,
            d.price_minor,
            d.languages.join(","),
            d.title,
            d.description
        );
    }
}
