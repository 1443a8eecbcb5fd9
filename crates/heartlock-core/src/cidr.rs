//! Client address restrictions for service tokens.
use ipnet::IpNet;
use std::net::IpAddr;

/// Parses a CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a bare address (a /32 or /128).
pub fn parse_cidr(text: &str) -> Option<IpNet> {
    let t = text.trim();
    t.parse::<IpNet>()
        .ok()
        .or_else(|| t.parse::<IpAddr>().ok().map(IpNet::from))
        .map(|n| n.trunc())
}

pub use ipnet::IpNet as Cidr;

/// True when `allowed` is empty or `ip` is inside one of its networks.
/// IPv4-mapped IPv6 addresses are compared as IPv4.
pub fn ip_allowed(ip: IpAddr, allowed: &[IpNet]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let ip = match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    allowed.iter().any(|net| net.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_networks_and_addresses() {
        let allowed: Vec<IpNet> = ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32"]
            .iter()
            .filter_map(|c| parse_cidr(c))
            .collect();
        assert!(ip_allowed("10.1.2.3".parse().unwrap(), &allowed));
        assert!(ip_allowed("192.168.1.7".parse().unwrap(), &allowed));
        assert!(!ip_allowed("192.168.1.8".parse().unwrap(), &allowed));
        assert!(ip_allowed("::ffff:10.9.9.9".parse().unwrap(), &allowed));
        assert!(ip_allowed("2001:db8::1".parse().unwrap(), &allowed));
        assert!(!ip_allowed("127.0.0.1".parse().unwrap(), &allowed));
        assert!(ip_allowed("127.0.0.1".parse().unwrap(), &[]));
        assert!(parse_cidr("not a cidr").is_none());
        assert_eq!(parse_cidr("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
    }
}
