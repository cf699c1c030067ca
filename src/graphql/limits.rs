//! The shape limits of a document, checked once it is parsed and before it is validated or
//! run: aliases, depth, and the shape of its introspection.
//!
//! - **Aliases.** Many aliases of one costly field are the classic way around per-field
//!   limits. A fragment counts once per spread: 15 aliased fields spreading a fragment of 15
//!   aliased fields run 240 fields, and count so.
//! - **Depth** of data fields. Introspection (`__schema`, `__type`) is not data: the query
//!   every tool sends (graphql-js `getIntrospectionQuery()`) nests `ofType` nine levels deep,
//!   past any sensible data limit. So its fields do not count toward the depth limit; they
//!   have limits of their own, made for the way introspection is abused: `fields { type {
//!   fields { type { ... } } } }` multiplies the whole schema at every level, so lists of
//!   introspection objects may nest only as deep as the standard query nests them
//!   (`types { fields { args } }`), and a chain of single objects (`ofType`) has a bound too.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, ServerError, ServerResult};

/// Introspection fields that return a list of objects: each one multiplies what is below.
const INTROSPECTION_LISTS: &[&str] =
    &["types", "directives", "fields", "args", "inputFields", "interfaces", "possibleTypes", "enumValues"];
/// The standard query nests `types { fields { args } }`: three lists.
const MAX_INTROSPECTION_LISTS: usize = 3;
/// The standard query reaches depth 15 (`args { type { ofType` x 9 `} }`).
const MAX_INTROSPECTION_DEPTH: usize = 24;
/// Spreads nested deeper than this are a cycle (which validation refuses anyway).
const MAX_SPREAD_DEPTH: usize = 32;

/// The limits a document is held to.
#[derive(Clone, Copy, Debug)]
pub struct ShapeLimits {
    pub max_aliases: usize,
    pub max_depth: usize,
    pub max_introspection_lists: usize,
    pub max_introspection_depth: usize,
}

impl ShapeLimits {
    /// No limit: for documents already checked (the live stream's event schema).
    pub const NONE: ShapeLimits = ShapeLimits {
        max_aliases: usize::MAX,
        max_depth: usize::MAX,
        max_introspection_lists: usize::MAX,
        max_introspection_depth: usize::MAX,
    };

    /// The configured data limits, with introspection's own.
    pub fn new(max_aliases: usize, max_depth: usize) -> Self {
        ShapeLimits {
            max_aliases,
            max_depth,
            max_introspection_lists: MAX_INTROSPECTION_LISTS,
            max_introspection_depth: MAX_INTROSPECTION_DEPTH,
        }
    }
}

/// Refuses a document past `limits`, with a code saying which limit it broke.
pub fn check(document: &ExecutableDocument, limits: ShapeLimits) -> ServerResult<()> {
    let mut walk = Walk { document, fragments: HashMap::new() };
    let shape = document
        .operations
        .iter()
        .map(|(_, operation)| walk.set(&operation.node.selection_set.node, 0))
        .fold(Shape::default(), Shape::beside);
    if shape.aliases > limits.max_aliases {
        let message = format!("Query has {} aliases; the limit is {}.", shape.aliases, limits.max_aliases);
        return Err(refusal(message, "TOO_MANY_ALIASES"));
    }
    if shape.depth > limits.max_depth {
        let message = format!("Query is nested too deep: {} levels; the limit is {}.", shape.depth, limits.max_depth);
        return Err(refusal(message, "QUERY_TOO_DEEP"));
    }
    if shape.introspection_lists > limits.max_introspection_lists
        || shape.introspection_depth > limits.max_introspection_depth
    {
        let message = format!(
            "Introspection nests {} lists of types or fields and {} levels; the limits are {} and {}.",
            shape.introspection_lists,
            shape.introspection_depth,
            limits.max_introspection_lists,
            limits.max_introspection_depth
        );
        return Err(refusal(message, "INTROSPECTION_TOO_DEEP"));
    }
    Ok(())
}

fn refusal(message: String, code: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

/// What a selection set holds, measured once per fragment.
#[derive(Clone, Copy, Default)]
struct Shape {
    /// Aliased fields, each spread of a fragment counted.
    aliases: usize,
    /// Deepest path of fields, an introspection root counting as one.
    depth: usize,
    /// Most introspection lists nested along one path (counted by name, checked only below
    /// an introspection root, where no data field can be).
    lists: usize,
    /// Below introspection roots: the deepest path and the most nested lists.
    introspection_depth: usize,
    introspection_lists: usize,
}

impl Shape {
    /// Two selections side by side.
    fn beside(self, other: Shape) -> Shape {
        Shape {
            aliases: self.aliases.saturating_add(other.aliases),
            depth: self.depth.max(other.depth),
            lists: self.lists.max(other.lists),
            introspection_depth: self.introspection_depth.max(other.introspection_depth),
            introspection_lists: self.introspection_lists.max(other.introspection_lists),
        }
    }
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    /// Each fragment's own shape: a document is walked once however often it spreads.
    fragments: HashMap<Name, Shape>,
}

impl Walk<'_> {
    fn set(&mut self, set: &SelectionSet, spreads: usize) -> Shape {
        let mut shape = Shape::default();
        for item in &set.items {
            let inner = match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let below = self.set(&field.selection_set.node, spreads);
                    let name = field.name.node.as_str();
                    let is_list = !field.selection_set.node.items.is_empty() && INTROSPECTION_LISTS.contains(&name);
                    let lists = below.lists + usize::from(is_list);
                    let aliases = below.aliases.saturating_add(usize::from(field.alias.is_some()));
                    if name == "__schema" || name == "__type" {
                        Shape {
                            aliases,
                            depth: 1,
                            lists: 0,
                            introspection_depth: below.introspection_depth.max(below.depth + 1),
                            introspection_lists: below.introspection_lists.max(lists),
                        }
                    } else {
                        Shape { aliases, depth: below.depth + 1, lists, ..below }
                    }
                }
                Selection::InlineFragment(fragment) => self.set(&fragment.node.selection_set.node, spreads),
                Selection::FragmentSpread(spread) => self.spread(&spread.node.fragment_name.node, spreads),
            };
            shape = shape.beside(inner);
        }
        shape
    }

    fn spread(&mut self, name: &Name, spreads: usize) -> Shape {
        if let Some(known) = self.fragments.get(name) {
            return *known;
        }
        let document = self.document;
        let Some(fragment) = document.fragments.get(name).filter(|_| spreads < MAX_SPREAD_DEPTH) else {
            return Shape::default();
        };
        let own = self.set(&fragment.node.selection_set.node, spreads + 1);
        self.fragments.insert(name.clone(), own);
        own
    }
}
