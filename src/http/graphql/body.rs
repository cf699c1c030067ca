//! A GraphQL answer as the HTTP handler sends it, written straight into the response's bytes.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;

use super::wire::{Media, respond_with};
use crate::graphql::cost::CostReport;

/// A GraphQL response as sent: `data` left out when the request failed before execution.
#[derive(Default)]
pub struct ResponseBody {
    pub data: Option<async_graphql::Value>,
    pub errors: Vec<async_graphql::ServerError>,
    pub extensions: BTreeMap<String, async_graphql::Value>,
    /// `extensions.cost`, written from the report itself.
    pub cost: Option<CostReport>,
}

impl ResponseBody {
    /// Appends the body's JSON to `out`: `data`, `errors` and `extensions`, in that order,
    /// each only when there is one. The cost report is written by hand (`CostReport::write_json`).
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let mut separator = b'{';
        let mut entry = |out: &mut Vec<u8>, name: &[u8]| {
            out.push(std::mem::replace(&mut separator, b','));
            out.extend_from_slice(name);
        };
        if let Some(data) = &self.data {
            entry(out, br#""data":"#);
            serde_json::to_writer(&mut *out, data)?;
        }
        if !self.errors.is_empty() {
            entry(out, br#""errors":"#);
            serde_json::to_writer(&mut *out, &self.errors)?;
        }
        if !self.extensions.is_empty() || self.cost.is_some() {
            entry(out, br#""extensions":"#);
            let mut separator = b'{';
            for (name, value) in &self.extensions {
                out.push(std::mem::replace(&mut separator, b','));
                serde_json::to_writer(&mut *out, name)?;
                out.push(b':');
                serde_json::to_writer(&mut *out, value)?;
            }
            if let Some(cost) = &self.cost {
                out.push(std::mem::replace(&mut separator, b','));
                out.extend_from_slice(br#""cost":"#);
                cost.write_json(out);
            }
            out.push(b'}');
        }
        if separator == b'{' {
            out.push(b'{');
        }
        out.push(b'}');
        Ok(())
    }
}

/// One answer, or a batch's array of them.
pub fn respond_bodies(status: StatusCode, media: Media, bodies: &[ResponseBody], batch: bool) -> Response {
    respond_with(status, media, |out| {
        if !batch && let [body] = bodies {
            return body.write_json(out);
        }
        out.push(b'[');
        for (n, body) in bodies.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            body.write_json(out)?;
        }
        out.push(b']');
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[tokio::test]
    async fn a_body_is_written_as_the_json_it_stands_for() {
        use crate::throttle::cost::BucketStatus;
        async fn written(bodies: &[ResponseBody], batch: bool) -> Value {
            let response = respond_bodies(StatusCode::OK, Media::Json, bodies, batch);
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            serde_json::from_slice::<Value>(&bytes).unwrap()
        }
        let throttle_status = BucketStatus { maximum_available: 10, currently_available: 9, restore_rate: 1 };
        let cost = CostReport { requested_query_cost: 2, actual_query_cost: None, throttle_status };
        let data = async_graphql::Value::from_json(json!({ "a": "\"quoted\"" })).unwrap();
        let mut named = BTreeMap::new();
        named.insert("trace\n".to_owned(), async_graphql::Value::from(1));
        let full = ResponseBody {
            data: Some(data),
            errors: vec![async_graphql::ServerError::new("no", None)],
            extensions: named,
            cost: Some(cost),
        };
        let cost_json = json!({ "requestedQueryCost": 2, "actualQueryCost": null,
            "throttleStatus": { "maximumAvailable": 10, "currentlyAvailable": 9, "restoreRate": 1 } });
        assert_eq!(
            written(std::slice::from_ref(&full), false).await,
            json!({ "data": { "a": "\"quoted\"" }, "errors": [{ "message": "no" }],
                "extensions": { "trace\n": 1, "cost": cost_json } })
        );
        assert_eq!(written(&[ResponseBody::default()], false).await, json!({}));
        let only_cost = ResponseBody { cost: Some(cost), ..ResponseBody::default() };
        assert_eq!(
            written(&[only_cost, ResponseBody::default()], true).await,
            json!([{ "extensions": { "cost": cost_json } }, {}])
        );
    }
}
