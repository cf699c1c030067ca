//! Webhook endpoints: where a merchant's backend receives the session event log by HTTP.
//! Deliveries come in a later part; this is the endpoint and the rules of its URL.
//!
//! paygraph calls these URLs from inside its own network, so a URL must not reach into it
//! (SSRF): https only, and never an address that is private, link-local, loopback (except
//! where loopback receivers are allowed: development, or `PAYGRAPH_WEBHOOK_ALLOW_LOOPBACK`), unspecified or multicast.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, Utc};

use super::event::EventKind;
use super::{MerchantId, WebhookEndpointId};

string_enum!(
    /// ENABLED endpoints receive events; one that failed for too long is DISABLED.
    EndpointStatus, "webhook endpoint status" {
        Enabled => "ENABLED",
        Disabled => "DISABLED",
    }
);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub merchant: MerchantId,
    pub url: String,
    pub description: Option<String>,
    /// The kinds it receives; empty: every kind.
    pub event_kinds: Vec<EventKind>,
    pub status: EndpointStatus,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An endpoint as the delivery worker sees it: where its feed of the log stands, how its
/// deliveries are signed, and since when they fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointFeed {
    pub endpoint: WebhookEndpoint,
    /// The merchant event number up to which its deliveries are queued.
    pub fed_seq: i64,
    pub signing_secret: String,
    /// Since when nothing sent to it succeeded (none: it is not failing).
    pub failing_since: Option<DateTime<Utc>>,
}

impl WebhookEndpoint {
    /// Whether it receives events of `kind`.
    pub fn wants(&self, kind: EventKind) -> bool {
        self.event_kinds.is_empty() || self.event_kinds.contains(&kind)
    }
}

/// Why a URL cannot be an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    #[error("not an absolute URL")]
    Malformed,
    #[error("webhook URLs must be https:// (http:// only to a loopback receiver where those are allowed)")]
    NotHttps,
    #[error("webhook URLs must not carry a user name or password")]
    Credentials,
    #[error("this address is private, link-local, loopback or otherwise not on the public internet")]
    PrivateAddress,
}

/// Checks `text` as an endpoint URL; a loopback receiver only when `loopback_allowed`.
pub fn check_url(text: &str, loopback_allowed: bool) -> Result<url::Url, UrlRefusal> {
    let url = url::Url::parse(text.trim()).map_err(|_| UrlRefusal::Malformed)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Credentials);
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => {
            let ip = IpAddr::V4(ip);
            if !ip.is_loopback() && !is_public(ip) {
                return Err(UrlRefusal::PrivateAddress);
            }
            ip.is_loopback()
        }
        Some(url::Host::Ipv6(ip)) => {
            let ip = IpAddr::V6(ip);
            if !ip.is_loopback() && !is_public(ip) {
                return Err(UrlRefusal::PrivateAddress);
            }
            ip.is_loopback()
        }
        None => return Err(UrlRefusal::Malformed),
    };
    match (url.scheme(), loopback) {
        (_, true) if !loopback_allowed => Err(UrlRefusal::PrivateAddress),
        ("https", _) | ("http", true) => Ok(url),
        _ => Err(UrlRefusal::NotHttps),
    }
}

/// Whether `ip` is an address of the public internet: also what a delivery checks of the
/// address a name resolves to.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // 100.64.0.0/10, carrier-grade NAT; 0.0.0.0/8; 192.0.0.0/24; 198.18.0.0/15; 240.0.0.0/4.
        || (a == 100 && (64..128).contains(&b))
        || a == 0
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let [first, second, third, fourth, ..] = ip.segments();
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local (deprecated),
        // 2001:db8::/32 documentation, 100::/64 discard.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        || (first == 0x2001 && second == 0x0db8)
        || (first == 0x0100 && second == 0 && third == 0 && fourth == 0)
        || embeds_ipv4(ip))
}

/// Whether `ip` is of a form that carries an IPv4 address the network may route to: the
/// IPv4-compatible `::/96` and IPv4-translated `::ffff:0:0:0/96`, NAT64 (`64:ff9b::/96`
/// and the local `64:ff9b:1::/48`), 6to4 (`2002::/16`) and Teredo (`2001::/32`). Such an
/// address can reach a private IPv4 network through a gateway; no webhook receiver needs one.
fn embeds_ipv4(ip: Ipv6Addr) -> bool {
    let [first, second, third, fourth, fifth, sixth, ..] = ip.segments();
    let top_80_zero = first == 0 && second == 0 && third == 0 && fourth == 0 && fifth == 0;
    (top_80_zero && (sixth == 0 || sixth == 0xffff))
        || (first == 0 && second == 0 && third == 0 && fourth == 0 && fifth == 0xffff && sixth == 0)
        || (first == 0x0064
            && second == 0xff9b
            && (third == 1 || (third == 0 && fourth == 0 && fifth == 0 && sixth == 0)))
        || first == 0x2002
        || (first == 0x2001 && second == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_urls_and_local_receivers_in_development() {
        let good = ["https://hooks.example.com/paygraph", "https://93.184.216.34/x", "https://[2606:4700::1111]/"];
        for good in good.into_iter().chain(["https://[2001:4860:4860::8888]/", "https://[2003::1]/"]) {
            assert!(check_url(good, false).is_ok(), "{good}");
        }
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(check_url("http://localhost:9000/hook", true).is_ok());
        assert_eq!(check_url("http://127.0.0.1:9000/hook", false), Err(UrlRefusal::PrivateAddress));
        assert_eq!(check_url("http://hooks.example.com/", false), Err(UrlRefusal::NotHttps));
        assert_eq!(check_url("ftp://hooks.example.com/", false), Err(UrlRefusal::NotHttps));
        assert_eq!(check_url("https://user:pw@hooks.example.com/", false), Err(UrlRefusal::Credentials));
        assert_eq!(check_url("not a url", false), Err(UrlRefusal::Malformed));
        for private in [
            "https://10.0.0.5/",
            "https://172.16.3.4/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://[::]/",
            "https://224.0.0.1/",
            "https://[64:ff9b::a00:1]/",
            "https://[64:ff9b::7f00:1]/",
            "https://[64:ff9b:1::a00:1]/",
            "https://[::a00:1]/",
            "https://[::127.0.0.1]/",
            "https://[::ffff:0:a00:1]/",
            "https://[2002:a00:1::]/",
            "https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",
            "https://[fec0::1]/",
            "https://[100::1]/",
        ] {
            assert_eq!(check_url(private, false), Err(UrlRefusal::PrivateAddress), "{private}");
        }
    }
}
