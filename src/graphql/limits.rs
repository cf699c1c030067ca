//! A bound async-graphql lacks: aliases per document. Many aliases of one costly field are
//! the classic way around per-field limits, so the document is refused before it runs.
//! A fragment counts once per spread: 15 aliased fields spreading a fragment of 15 aliased
//! fields run 240 fields, and count so.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, ServerError, ServerResult};

/// Refuses a document with more than `max` aliased fields.
pub fn check_aliases(document: &ExecutableDocument, max: usize) -> ServerResult<()> {
    let mut counted = HashMap::new();
    let mut aliases = 0usize;
    for (_, operation) in document.operations.iter() {
        aliases = aliases.saturating_add(count_aliases(&operation.node.selection_set.node, document, &mut counted, 0));
    }
    if aliases <= max {
        return Ok(());
    }
    let mut error = ServerError::new(format!("Query has {aliases} aliases; the limit is {max}."), None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", "TOO_MANY_ALIASES");
    error.extensions = Some(ext);
    Err(error)
}

/// Spreads nested deeper than this are a cycle (which validation refuses anyway).
const MAX_SPREAD_DEPTH: usize = 32;

/// Aliases in `set`, each fragment counted once per spread (`counted` remembers each
/// fragment's own count, so a document is walked once however often it spreads).
fn count_aliases(
    set: &SelectionSet,
    document: &ExecutableDocument,
    counted: &mut HashMap<Name, usize>,
    depth: usize,
) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node, document, counted, depth)
            }
            Selection::InlineFragment(fragment) => {
                count_aliases(&fragment.node.selection_set.node, document, counted, depth)
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                if let Some(known) = counted.get(name) {
                    return *known;
                }
                let Some(fragment) = document.fragments.get(name).filter(|_| depth < MAX_SPREAD_DEPTH) else {
                    return 0;
                };
                let own = count_aliases(&fragment.node.selection_set.node, document, counted, depth + 1);
                counted.insert(name.clone(), own);
                own
            }
        })
        .fold(0usize, usize::saturating_add)
}
