//! Parsed documents, kept by their text, with the last validation each passed. Clients send
//! the same few documents again and again (a mobile app polling a session's status, a
//! dashboard refreshing its view), and parsing and validating them were the two largest
//! costs of a small query: validating `{ __typename }` alone runs about eleven thousand
//! instructions, a twelfth of the whole request, measured with the request-path benchmark.
//! GraphQL Yoga and envelop keep the same two caches, for the same reason.
//!
//! A document is a pure function of its text, so the text is the whole key of the parse.
//! Validation is a pure function of the schema, the document, the operation name and the
//! variables, so a pass is reused only for the same operation name and equal variables, and
//! only by the one schema the HTTP handler runs. A failure is never kept: it is reported
//! afresh each time. The schema still checks the document's depth and directives, and the
//! rules their limits, on every request; the cost budget is charged on every request.
//!
//! Each worker thread keeps its own documents: a cache shared between threads wrote to
//! shared memory on every read (its bookkeeping, reference counts, a lock around the pass),
//! which costs the cores time that no instruction count shows. A thread that has kept
//! `KEPT_BYTES_PER_THREAD` of text starts afresh; a document is parsed once per thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ValidationResult, Value, Variables};

/// Bytes of document text each thread keeps parsed.
const KEPT_BYTES_PER_THREAD: usize = 2 << 20;
/// Variables larger than this (roughly, in bytes) are not kept with a validation: the
/// bound above counts text, so what an entry holds besides must stay small.
const KEPT_VARIABLE_BYTES: usize = 512;

/// One schema's documents. Caches of other schemas (the tests run many servers in one
/// process) are told apart by `id`, since a pass holds for one schema only.
pub struct ParsedDocuments {
    id: u64,
}

impl Default for ParsedDocuments {
    fn default() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        ParsedDocuments { id: NEXT.fetch_add(1, Ordering::Relaxed) }
    }
}

thread_local! {
    static KEPT: RefCell<Kept> = RefCell::new(Kept::default());
}

/// This thread's documents, by text, then by cache.
#[derive(Default)]
struct Kept {
    documents: HashMap<Box<str>, Vec<(u64, Parsed)>, crate::throttle::Hasher>,
    bytes: usize,
}

/// A parsed document and the last validation it passed.
struct Parsed {
    document: ExecutableDocument,
    passed: Option<Passed>,
}

/// A validation passed with this operation name and these variables.
struct Passed {
    operation: Option<String>,
    variables: Variables,
    result: ValidationResult,
}

/// What a request knows of its validation before it runs (see `RequestData::validation`).
pub enum Validation {
    /// Its document passed with the same operation name and variables: validation is skipped.
    Passed(ValidationResult),
    /// Not known: a pass is remembered for the requests to come (`None`: variables too
    /// large to keep).
    Unknown(Mutex<Option<Remember>>),
}

/// Where a pass is remembered.
pub struct Remember {
    cache: u64,
    text: String,
    operation: Option<String>,
    variables: Variables,
}

impl Validation {
    /// Remembers that the request passed validation with `result`, on this thread.
    pub fn passed(&self, result: ValidationResult) {
        let Validation::Unknown(remember) = self else { return };
        let Some(Remember { cache, text, operation, variables }) =
            remember.lock().unwrap_or_else(|p| p.into_inner()).take()
        else {
            return;
        };
        KEPT.with_borrow_mut(|kept| {
            if let Some(parsed) = kept.get_mut(cache, &text) {
                parsed.passed = Some(Passed { operation, variables, result });
            }
        });
    }
}

impl ParsedDocuments {
    /// Gives `request` the parsed document of its text, parsing it on first sight, and says
    /// whether it passed validation already. A text that does not parse is left to the
    /// schema, which reports it as it always does.
    pub fn prepare(&self, request: &mut Request) -> Option<Validation> {
        let (document, passed) = KEPT.with_borrow_mut(|kept| {
            kept.with_parsed(self.id, &request.query, |parsed| {
                let passed = parsed.passed_with(request.operation_name.as_deref(), &request.variables);
                (parsed.document.clone(), passed)
            })
        })?;
        request.set_parsed_query(document);
        if let Some(result) = passed {
            return Some(Validation::Passed(result));
        }
        let remember = (weight(&request.variables) <= KEPT_VARIABLE_BYTES).then(|| Remember {
            cache: self.id,
            text: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: request.variables.clone(),
        });
        Some(Validation::Unknown(Mutex::new(remember)))
    }
}

impl Kept {
    fn get_mut(&mut self, cache: u64, text: &str) -> Option<&mut Parsed> {
        let caches = self.documents.get_mut(text)?;
        caches.iter_mut().find(|(id, _)| *id == cache).map(|(_, parsed)| parsed)
    }

    /// Runs `f` on the document of `text`, parsing it on first sight; `None` if it does not
    /// parse. A document kept is found with one lookup.
    fn with_parsed<R>(&mut self, cache: u64, text: &str, f: impl FnOnce(&mut Parsed) -> R) -> Option<R> {
        if let Some(parsed) = self.get_mut(cache, text) {
            return Some(f(parsed));
        }
        let document = async_graphql::parser::parse_query(text).ok()?;
        if self.bytes + text.len() > KEPT_BYTES_PER_THREAD {
            *self = Kept::default();
        }
        self.bytes += text.len();
        let caches = self.documents.entry(text.into()).or_default();
        caches.push((cache, Parsed { document, passed: None }));
        caches.last_mut().map(|(_, parsed)| f(parsed))
    }
}

impl Parsed {
    fn passed_with(&self, operation: Option<&str>, variables: &Variables) -> Option<ValidationResult> {
        let passed = self.passed.as_ref()?;
        (passed.operation.as_deref() == operation && passed.variables == *variables).then_some(passed.result)
    }
}

/// Roughly the bytes `variables` hold; stops counting once past what is kept.
fn weight(variables: &Variables) -> usize {
    fn of(value: &Value, budget: usize) -> usize {
        match value {
            Value::String(text) => 8 + text.len(),
            Value::Binary(bytes) => 8 + bytes.len(),
            Value::Enum(name) => 8 + name.len(),
            Value::List(items) => {
                items.iter().fold(8, |sum, item| sum.saturating_add(of(item, budget)).min(budget + 1))
            }
            Value::Object(fields) => fields
                .iter()
                .fold(8, |sum, (name, item)| sum.saturating_add(name.len() + of(item, budget)).min(budget + 1)),
            Value::Null | Value::Number(_) | Value::Boolean(_) => 8,
        }
    }
    variables.iter().fold(0, |sum, (name, value)| {
        sum.saturating_add(name.len() + of(value, KEPT_VARIABLE_BYTES)).min(KEPT_VARIABLE_BYTES + 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, variables: serde_json::Value) -> Request {
        Request::new(query).variables(Variables::from_json(variables))
    }

    fn passed_before(documents: &ParsedDocuments, request: &mut Request) -> bool {
        let validation = documents.prepare(request).expect("the document parses");
        let known = matches!(validation, Validation::Passed(_));
        validation.passed(ValidationResult { cache_control: Default::default(), complexity: 1, depth: 1 });
        known
    }

    #[test]
    fn a_pass_is_known_for_the_same_operation_and_variables_only() {
        let documents = ParsedDocuments::default();
        let query = "query A($n: Int) { a: __typename } query B { __typename }";
        let a = |n| request(query, serde_json::json!({ "n": n })).operation_name("A");
        assert!(!passed_before(&documents, &mut a(1)));
        assert!(passed_before(&documents, &mut a(1)));
        assert!(!passed_before(&documents, &mut a(2)), "other variables");
        assert!(!passed_before(&documents, &mut request(query, serde_json::json!({ "n": 2 })).operation_name("B")));
        assert!(documents.prepare(&mut request("{ nope", serde_json::json!({}))).is_none(), "left to the schema");
        let other_schema = ParsedDocuments::default();
        assert!(!passed_before(&other_schema, &mut a(1)), "a pass holds for its own schema only");
    }

    #[test]
    fn a_thread_that_kept_its_share_starts_afresh() {
        let documents = ParsedDocuments::default();
        assert!(!passed_before(&documents, &mut request("{ __typename }", serde_json::json!({}))));
        let long = format!("{{ a: __typename }} # {}", "x".repeat(KEPT_BYTES_PER_THREAD));
        assert!(!passed_before(&documents, &mut request(&long, serde_json::json!({}))));
        KEPT.with_borrow(|kept| assert!(kept.bytes <= long.len() && kept.documents.len() == 1));
        assert!(!passed_before(&documents, &mut request("{ __typename }", serde_json::json!({}))), "forgotten");
    }

    #[test]
    fn large_variables_are_not_kept() {
        let documents = ParsedDocuments::default();
        let large = serde_json::json!({ "note": "x".repeat(KEPT_VARIABLE_BYTES) });
        assert!(!passed_before(&documents, &mut request("{ __typename }", large.clone())));
        assert!(!passed_before(&documents, &mut request("{ __typename }", large)));
        let many = serde_json::json!({ "ids": vec!["id"; KEPT_VARIABLE_BYTES] });
        assert!(weight(&Variables::from_json(many)) > KEPT_VARIABLE_BYTES);
    }
}
