//! Throttling by client address and by pod, with counters kept in the vault so that every server
//! behind the load balancer counts together.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

use crate::failure::Failure;
use crate::state::AppState;

/// The client's address as this provider counts it: the configured proxy header's last address,
/// or the TCP peer. An IPv6 address counts per /64, the block one subscriber usually holds, so
/// rotating addresses within it does not escape the limit.
pub fn client_key(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> String {
    let from_header = state.config.client_address_header.as_deref().and_then(|name| {
        headers
            .get(name)?
            .to_str()
            .ok()?
            .rsplit(',')
            .next()?
            .trim()
            .parse::<IpAddr>()
            .ok()
    });
    address_key(from_header.unwrap_or(peer.ip()))
}

/// The counting key of an address: itself for IPv4, its /64 for IPv6.
fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4.to_string();
            }
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// Counts one attempt under `key` in a window of `minutes`; 429 when that makes more than `limit`.
pub async fn attempt(state: &AppState, key: &str, limit: i64, minutes: i64, what: &str) -> Result<(), Failure> {
    let count = state
        .vault
        .count(key, 1, state.now(), chrono::Duration::minutes(minutes))
        .await?;
    if count > limit {
        tracing::warn!(kind = what, "throttled");
        return Err(Failure::throttled(
            format!("too many {what} attempts; wait {minutes} minutes and try again"),
            (minutes * 60) as u64,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let key = |text: &str| address_key(text.parse().unwrap());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb:cccc:dddd:eeee"), key("2001:db8:1:2::9"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
    }
}
