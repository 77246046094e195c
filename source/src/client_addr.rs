//! Who is asking, for the rate limits: the TCP peer, or, when the peer is one of the configured
//! `trusted_proxies`, the client it names in `X-Forwarded-For`. IPv6 clients are counted per /64,
//! the block one subscriber gets, so rotating addresses within it does not escape a limit.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// An address or a block of addresses (`10.0.0.0/8`, `2001:db8::/32`, `127.0.0.1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpBlock {
    address: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for IpBlock {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or block (such as 10.0.0.0/8)"))?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?} has a prefix length that is not 0 to {max}"))?,
            None => max,
        };
        Ok(Self { address, prefix })
    }
}

impl<'de> serde::Deserialize<'de> for IpBlock {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl IpBlock {
    /// Whether `ip` lies in this block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, canonical(ip)) {
            (IpAddr::V4(block), IpAddr::V4(ip)) => masked(u32::from(block).into(), 32, self.prefix) == masked(u32::from(ip).into(), 32, self.prefix),
            (IpAddr::V6(block), IpAddr::V6(ip)) => masked(u128::from(block), 128, self.prefix) == masked(u128::from(ip), 128, self.prefix),
            _ => false,
        }
    }
}

fn masked(bits: u128, width: u32, prefix: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    bits >> (width - u32::from(prefix))
}

/// An IPv4 address that arrived mapped into IPv6 is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client behind `peer`: the peer itself, unless it is a trusted proxy; then the right-most
/// address in `X-Forwarded-For` that is not a trusted proxy (everything left of it could have been
/// written by the client). A trusted peer that names no valid client is counted as itself.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpBlock]) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|block| block.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|part| part.trim().parse::<IpAddr>().map(canonical))
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    forwarded.into_iter().rev().find(|ip| !is_trusted(*ip)).unwrap_or(peer)
}

/// The key a rate limit counts the client under: an IPv4 address, or an IPv6 /64.
pub fn limit_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", forwarded.parse().unwrap());
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let trusted: Vec<IpBlock> = vec!["10.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()];
        let forged = headers("6.6.6.6");
        assert_eq!(client_ip(ip("203.0.113.9"), &forged, &trusted), ip("203.0.113.9"), "not from a proxy");
        assert_eq!(client_ip(ip("10.1.2.3"), &headers("198.51.100.7"), &trusted), ip("198.51.100.7"));
        // The client wrote the left part itself; the proxy appended what it saw.
        assert_eq!(
            client_ip(ip("10.1.2.3"), &headers("6.6.6.6, 198.51.100.7, 10.9.9.9"), &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(client_ip(ip("::1"), &headers("2001:db8::5"), &trusted), ip("2001:db8::5"));
        assert_eq!(client_ip(ip("10.1.2.3"), &headers("garbage"), &trusted), ip("10.1.2.3"));
        assert_eq!(client_ip(ip("10.1.2.3"), &HeaderMap::new(), &trusted), ip("10.1.2.3"));
        assert_eq!(client_ip(ip("::ffff:10.1.2.3"), &headers("198.51.100.7"), &trusted), ip("198.51.100.7"), "IPv4-mapped");
        assert_eq!(client_ip(ip("10.1.2.3"), &headers("198.51.100.7"), &[]), ip("10.1.2.3"), "no proxies trusted");
    }

    #[test]
    fn ipv6_is_counted_per_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:2:ffff::9")));
        assert_ne!(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:3::1")));
        assert_eq!(limit_key(ip("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_eq!(limit_key(ip("192.0.2.1")), "192.0.2.1");
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
    }

    #[test]
    fn blocks_parse_and_match() {
        let block: IpBlock = "192.168.0.0/16".parse().unwrap();
        assert!(block.contains(ip("192.168.44.1")) && !block.contains(ip("192.169.0.1")));
        assert!("0.0.0.0/0".parse::<IpBlock>().unwrap().contains(ip("8.8.8.8")));
        assert!("10.0.0.0/33".parse::<IpBlock>().is_err());
        assert!("proxy.example".parse::<IpBlock>().is_err());
        let v6: IpBlock = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
    }
}
