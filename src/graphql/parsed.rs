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

use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ValidationResult, Value, Variables};

/// Bytes of document text whose parsed documents are kept.
const KEPT_BYTES: u64 = 8 << 20;
/// Variables larger than this (roughly, in bytes) are not kept with a validation: an entry
/// is weighed by its text, so what it holds besides must stay small.
const KEPT_VARIABLE_BYTES: usize = 512;

pub struct ParsedDocuments(moka::sync::Cache<String, Arc<Parsed>>);

/// A parsed document and the last validation it passed.
pub struct Parsed {
    document: ExecutableDocument,
    passed: Mutex<Option<Passed>>,
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
    /// Not known: a pass is remembered for the requests to come.
    Unknown { parsed: Arc<Parsed>, key: Mutex<Option<(Option<String>, Variables)>> },
}

impl Validation {
    /// Remembers that the request passed validation with `result`.
    pub fn passed(&self, result: ValidationResult) {
        let Validation::Unknown { parsed, key } = self else { return };
        let Some((operation, variables)) = key.lock().unwrap_or_else(|p| p.into_inner()).take() else { return };
        *parsed.passed.lock().unwrap_or_else(|p| p.into_inner()) = Some(Passed { operation, variables, result });
    }
}

impl Default for ParsedDocuments {
    fn default() -> Self {
        let weigh = |text: &String, _: &Arc<Parsed>| u32::try_from(text.len()).unwrap_or(u32::MAX);
        ParsedDocuments(moka::sync::Cache::builder().max_capacity(KEPT_BYTES).weigher(weigh).build())
    }
}

impl ParsedDocuments {
    /// Gives `request` the parsed document of its text, parsing it on first sight, and says
    /// whether it passed validation already. A text that does not parse is left to the
    /// schema, which reports it as it always does.
    pub fn prepare(&self, request: &mut Request) -> Option<Validation> {
        let parsed = match self.0.get(request.query.as_str()) {
            Some(parsed) => parsed,
            None => {
                let document = async_graphql::parser::parse_query(&request.query).ok()?;
                let parsed = Arc::new(Parsed { document, passed: Mutex::new(None) });
                self.0.insert(request.query.clone(), parsed.clone());
                parsed
            }
        };
        request.set_parsed_query(parsed.document.clone());
        if let Some(result) = parsed.passed_with(request.operation_name.as_deref(), &request.variables) {
            return Some(Validation::Passed(result));
        }
        let key = (weight(&request.variables) <= KEPT_VARIABLE_BYTES)
            .then(|| (request.operation_name.clone(), request.variables.clone()));
        Some(Validation::Unknown { parsed, key: Mutex::new(key) })
    }
}

impl Parsed {
    fn passed_with(&self, operation: Option<&str>, variables: &Variables) -> Option<ValidationResult> {
        let passed = self.passed.lock().unwrap_or_else(|p| p.into_inner());
        let passed = passed.as_ref()?;
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
