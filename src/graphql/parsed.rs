//! Parsed documents, kept by their text. Clients send the same few documents again and
//! again, and parsing was the largest single cost of a small query (a sixth of the CPU of
//! `{ __typename }`, measured with the request-path benchmark). A document is a pure
//! function of its text, so the text is the whole key; the cache is bounded by bytes of text.
//!
//! Only the parse is skipped: the schema still checks the document's depth and directives,
//! the rules their limits, and validation runs, on every request.

use std::sync::Arc;

use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;

/// Bytes of document text whose parsed documents are kept.
const KEPT_BYTES: u64 = 8 << 20;

pub struct ParsedDocuments(moka::sync::Cache<String, Arc<ExecutableDocument>>);

impl Default for ParsedDocuments {
    fn default() -> Self {
        let weigh = |text: &String, _: &Arc<ExecutableDocument>| u32::try_from(text.len()).unwrap_or(u32::MAX);
        ParsedDocuments(moka::sync::Cache::builder().max_capacity(KEPT_BYTES).weigher(weigh).build())
    }
}

impl ParsedDocuments {
    /// Gives `request` the parsed document of its text, parsing it on first sight. A text
    /// that does not parse is left to the schema, which reports it as it always does.
    pub fn prepare(&self, request: &mut Request) {
        if let Some(document) = self.0.get(request.query.as_str()) {
            request.set_parsed_query(ExecutableDocument::clone(&document));
            return;
        }
        if let Ok(document) = async_graphql::parser::parse_query(&request.query) {
            self.0.insert(request.query.clone(), Arc::new(document.clone()));
            request.set_parsed_query(document);
        }
    }
}
