//! A web origin, as a browser sends it in `Origin`: `scheme://host[:port]`, nothing else.
//! Allowed origins are compared to that header byte for byte, so each is stored in the
//! form browsers send (host in lower case, default port left out, no trailing slash).

/// Why a text is not an origin a merchant may allow.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("an origin is scheme://host[:port], like https://shop.example.com")]
    Malformed,
    #[error("an origin has no path, query or fragment: give only scheme://host[:port]")]
    HasPath,
    #[error("only https origins may be allowed (http only for localhost)")]
    NotHttps,
}

/// Reads `text` as an origin, in the form browsers send. `https_only` (production) refuses
/// plain http except for loopback hosts, where developers run their frontends.
pub fn parse(text: &str, https_only: bool) -> Result<String, OriginError> {
    let text = text.trim();
    let url = url::Url::parse(text).map_err(|_| OriginError::Malformed)?;
    // A wildcard is a valid host character to a URL parser, never to us.
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(|h| h.is_empty() || h.contains('*')) {
        return Err(OriginError::Malformed);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(OriginError::Malformed);
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || text.ends_with('/') {
        return Err(OriginError::HasPath);
    }
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    if https_only && url.scheme() != "https" && !loopback {
        return Err(OriginError::NotHttps);
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::{OriginError, parse};

    #[test]
    fn origins_take_the_form_browsers_send() {
        assert_eq!(parse("https://Shop.Example.com", true).unwrap(), "https://shop.example.com");
        assert_eq!(parse("https://shop.example.com:443", true).unwrap(), "https://shop.example.com");
        assert_eq!(parse("http://localhost:5173", true).unwrap(), "http://localhost:5173");
        assert_eq!(parse("http://shop.example.com", false).unwrap(), "http://shop.example.com");
    }

    #[test]
    fn anything_but_an_origin_is_refused() {
        for bad in
            ["", "null", "*", "https://*.example.com", "shop.example.com", "ftp://x.example", "https://u:p@x.example"]
        {
            assert_eq!(parse(bad, false), Err(OriginError::Malformed), "{bad}");
        }
        for path in ["https://shop.example.com/", "https://shop.example.com/pay", "https://x.example?a=1"] {
            assert_eq!(parse(path, false), Err(OriginError::HasPath), "{path}");
        }
        assert_eq!(parse("http://shop.example.com", true), Err(OriginError::NotHttps));
    }
}
