//! The address guard: which IP addresses the fetcher may connect to.
//!
//! A URL from a feed is untrusted input. Without a guard, a feed could point the fetcher
//! at `http://169.254.169.254/` (the cloud metadata service), at an admin page on the
//! local network, or at a service listening on loopback. The guard classifies every
//! address by the IANA special-purpose registries and rejects everything that is not
//! public unless the configuration allows it.
//!
//! The check runs on the addresses actually connected to. A custom `reqwest` resolver
//! filters the DNS answers that `reqwest` connects to, so DNS rebinding cannot bypass
//! it: a name that resolves to a public address for a pre-check and to a private one
//! for the connection is still rejected. Literal IP hosts skip DNS resolution inside
//! `hyper`, so the fetcher checks them itself before each request.

use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use podgraph_core::config::FetchConfig;
use podgraph_core::{ErrorKind, ProviderError};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The kind of network an IP address belongs to, after the IANA IPv4 and IPv6
/// special-purpose address registries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressClass {
    /// A globally routable unicast address.
    Public,
    /// Loopback: `127.0.0.0/8`, `::1`.
    Loopback,
    /// Private networks: RFC 1918 (`10/8`, `172.16/12`, `192.168/16`), unique-local
    /// `fc00::/7`, the deprecated site-local `fec0::/10` and local-use NAT64 `64:ff9b:1::/48`.
    Private,
    /// Link-local: `169.254.0.0/16` (including the metadata address `169.254.169.254`)
    /// and `fe80::/10`.
    LinkLocal,
    /// The unspecified address `0.0.0.0` or `::`. Connecting to it reaches the local host
    /// on most systems.
    Unspecified,
    /// The limited broadcast address `255.255.255.255`.
    Broadcast,
    /// Multicast: `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// Carrier-grade NAT shared address space `100.64.0.0/10` (RFC 6598).
    SharedAddressSpace,
    /// Documentation ranges: `192.0.2/24`, `198.51.100/24`, `203.0.113/24`,
    /// `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// Benchmarking ranges: `198.18.0.0/15`, `2001:2::/48`.
    Benchmarking,
    /// Any other range that is not globally routable: `0.0.0.0/8`, `192.0.0.0/24`,
    /// `192.88.99.0/24`, `240.0.0.0/4`, IETF protocol assignments `2001::/23` (which
    /// include Teredo), IPv4-compatible `::/96`, and IPv6 outside `2000::/3`.
    Reserved,
}

impl AddressClass {
    /// Returns `true` for a globally routable address.
    pub const fn is_public(self) -> bool {
        matches!(self, Self::Public)
    }

    /// Lowercase name used in messages (`loopback`, `link-local`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::LinkLocal => "link-local",
            Self::Unspecified => "unspecified",
            Self::Broadcast => "broadcast",
            Self::Multicast => "multicast",
            Self::SharedAddressSpace => "shared (carrier-grade NAT)",
            Self::Documentation => "documentation",
            Self::Benchmarking => "benchmarking",
            Self::Reserved => "reserved",
        }
    }

    /// Returns the configuration key that allows connecting to this class of address.
    pub const fn allowing_config_key(self) -> &'static str {
        match self {
            Self::Loopback => "fetch.allow_loopback",
            _ => "fetch.allow_private",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Policy of the address guard: the non-public addresses the fetcher may connect to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Allow loopback addresses only (local test servers).
    pub allow_loopback: bool,
    /// Allow every non-public address, loopback included.
    pub allow_private: bool,
}

impl AddressPolicy {
    /// Builds the policy from `fetch.allow_loopback` and `fetch.allow_private`.
    pub fn from_config(config: &FetchConfig) -> Self {
        Self {
            allow_loopback: config.allow_loopback,
            allow_private: config.allow_private,
        }
    }

    /// Checks one address.
    ///
    /// # Errors
    /// Returns the address's class when the policy does not allow connecting to it.
    pub fn check(&self, ip: IpAddr) -> Result<(), AddressClass> {
        let class = classify(ip);
        let allowed = class.is_public()
            || self.allow_private
            || (self.allow_loopback && class == AddressClass::Loopback);
        if allowed { Ok(()) } else { Err(class) }
    }
}

/// Classifies an IP address. IPv4-mapped (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::/96`) and
/// 6to4 (`2002::/16`) IPv6 addresses are classified by the IPv4 address they embed, since
/// traffic to them reaches that IPv4 address.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// IPv4 ranges that are not public, most specific first because the first match wins.
const IPV4_RANGES: &[(Ipv4Addr, u32, AddressClass)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 32, AddressClass::Unspecified),
    (
        Ipv4Addr::new(255, 255, 255, 255),
        32,
        AddressClass::Broadcast,
    ),
    (Ipv4Addr::new(0, 0, 0, 0), 8, AddressClass::Reserved),
    (Ipv4Addr::new(10, 0, 0, 0), 8, AddressClass::Private),
    (
        Ipv4Addr::new(100, 64, 0, 0),
        10,
        AddressClass::SharedAddressSpace,
    ),
    (Ipv4Addr::new(127, 0, 0, 0), 8, AddressClass::Loopback),
    (Ipv4Addr::new(169, 254, 0, 0), 16, AddressClass::LinkLocal),
    (Ipv4Addr::new(172, 16, 0, 0), 12, AddressClass::Private),
    (Ipv4Addr::new(192, 0, 0, 0), 24, AddressClass::Reserved),
    (Ipv4Addr::new(192, 0, 2, 0), 24, AddressClass::Documentation),
    (Ipv4Addr::new(192, 88, 99, 0), 24, AddressClass::Reserved),
    (Ipv4Addr::new(192, 168, 0, 0), 16, AddressClass::Private),
    (Ipv4Addr::new(198, 18, 0, 0), 15, AddressClass::Benchmarking),
    (
        Ipv4Addr::new(198, 51, 100, 0),
        24,
        AddressClass::Documentation,
    ),
    (
        Ipv4Addr::new(203, 0, 113, 0),
        24,
        AddressClass::Documentation,
    ),
    (Ipv4Addr::new(224, 0, 0, 0), 4, AddressClass::Multicast),
    (Ipv4Addr::new(240, 0, 0, 0), 4, AddressClass::Reserved),
];

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let bits = ip.to_bits();
    IPV4_RANGES
        .iter()
        .find(|(network, prefix, _)| {
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            bits & mask == network.to_bits() & mask
        })
        .map_or(AddressClass::Public, |(_, _, class)| *class)
}

/// Classification rule of an IPv6 range.
#[derive(Clone, Copy)]
enum Ipv6Rule {
    /// Every address in the range has this class.
    Class(AddressClass),
    /// The low 32 bits are an IPv4 address that traffic reaches (IPv4-mapped, NAT64).
    EmbeddedLow32,
    /// 6to4: bits 16..48 are the IPv4 address of the relay endpoint.
    Embedded6to4,
}

/// IPv6 ranges with special meaning, most specific first because the first match wins.
/// Addresses outside these ranges and outside `2000::/3` are [`AddressClass::Reserved`].
const IPV6_RANGES: &[(Ipv6Addr, u32, Ipv6Rule)] = &[
    (
        Ipv6Addr::UNSPECIFIED,
        128,
        Ipv6Rule::Class(AddressClass::Unspecified),
    ),
    (
        Ipv6Addr::LOCALHOST,
        128,
        Ipv6Rule::Class(AddressClass::Loopback),
    ),
    (
        Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0),
        96,
        Ipv6Rule::EmbeddedLow32,
    ),
    (
        Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0),
        96,
        Ipv6Rule::EmbeddedLow32,
    ),
    (
        Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0),
        48,
        Ipv6Rule::Class(AddressClass::Private),
    ),
    (
        Ipv6Addr::new(0x2001, 0x2, 0, 0, 0, 0, 0, 0),
        48,
        Ipv6Rule::Class(AddressClass::Benchmarking),
    ),
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        Ipv6Rule::Class(AddressClass::Reserved),
    ),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        Ipv6Rule::Class(AddressClass::Documentation),
    ),
    (
        Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0),
        16,
        Ipv6Rule::Embedded6to4,
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        Ipv6Rule::Class(AddressClass::Documentation),
    ),
    (
        Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
        Ipv6Rule::Class(AddressClass::Private),
    ),
    (
        Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
        10,
        Ipv6Rule::Class(AddressClass::LinkLocal),
    ),
    (
        Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0),
        10,
        Ipv6Rule::Class(AddressClass::Private),
    ),
    (
        Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0),
        8,
        Ipv6Rule::Class(AddressClass::Multicast),
    ),
];

/// Global unicast `2000::/3`, the only IPv6 range IANA allocates for public use.
const IPV6_GLOBAL_UNICAST: (Ipv6Addr, u32) = (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let bits = ip.to_bits();
    let in_range = |network: Ipv6Addr, prefix: u32| {
        let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
        bits & mask == network.to_bits() & mask
    };

    let rule = IPV6_RANGES
        .iter()
        .find(|(network, prefix, _)| in_range(*network, *prefix))
        .map(|(_, _, rule)| *rule);
    match rule {
        Some(Ipv6Rule::Class(class)) => class,
        // Truncation keeps exactly the bits that hold the embedded IPv4 address.
        Some(Ipv6Rule::EmbeddedLow32) => classify_v4(Ipv4Addr::from_bits(bits as u32)),
        Some(Ipv6Rule::Embedded6to4) => classify_v4(Ipv4Addr::from_bits((bits >> 80) as u32)),
        None if in_range(IPV6_GLOBAL_UNICAST.0, IPV6_GLOBAL_UNICAST.1) => AddressClass::Public,
        None => AddressClass::Reserved,
    }
}

/// A connection target rejected by the address guard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AddressRejected {
    /// The host name that was resolved, or the address itself for a literal IP host.
    pub(crate) host: String,
    /// The rejected address.
    pub(crate) ip: IpAddr,
    /// Its class.
    pub(crate) class: AddressClass,
}

impl AddressRejected {
    /// Converts the rejection into the error returned for `redacted_url` (already redacted).
    pub(crate) fn into_provider_error(self, redacted_url: &str) -> ProviderError {
        // A literal IP host is stored as the address itself.
        let target = if self.host == self.ip.to_string() {
            format!("{} is a {} address", self.ip, self.class)
        } else {
            format!(
                "host `{}` resolves to {}, a {} address",
                self.host, self.ip, self.class
            )
        };
        ProviderError::new(
            ErrorKind::PermissionDenied,
            "fetch.get",
            format!(
                "{redacted_url}: {target}, which the address guard rejects; set `{} = true` \
                 in the configuration to allow it",
                self.class.allowing_config_key()
            ),
        )
    }
}

impl fmt::Display for AddressRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "address {} of host `{}` is {} and not allowed",
            self.ip, self.host, self.class
        )
    }
}

impl StdError for AddressRejected {}

/// Finds an address-guard rejection in an error's source chain.
pub(crate) fn find_rejection<'a>(
    error: &'a (dyn StdError + 'static),
) -> Option<&'a AddressRejected> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(rejected) = error.downcast_ref::<AddressRejected>() {
            return Some(rejected);
        }
        current = error.source();
    }
    None
}

/// A DNS resolver for `reqwest` that resolves with the system resolver (through tokio)
/// and drops every address the policy rejects.
///
/// When some addresses of a name are allowed, only those are returned. When none are,
/// resolution fails with [`AddressRejected`] for the first one, so the request fails
/// before any connection is opened.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GuardedResolver {
    policy: AddressPolicy,
}

impl GuardedResolver {
    pub(crate) fn new(policy: AddressPolicy) -> Self {
        Self { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0 is replaced by the URL's port (or the scheme's default) by the caller.
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();

            let mut allowed = Vec::with_capacity(resolved.len());
            let mut first_rejected = None;
            for addr in resolved {
                match policy.check(addr.ip()) {
                    Ok(()) => allowed.push(addr),
                    Err(class) => {
                        tracing::debug!(
                            target: "podgraph_ingest::fetch",
                            host = %host,
                            address = %addr.ip(),
                            class = class.as_str(),
                            "address guard dropped a resolved address"
                        );
                        first_rejected.get_or_insert((addr.ip(), class));
                    }
                }
            }

            match (allowed.is_empty(), first_rejected) {
                (true, Some((ip, class))) => Err(AddressRejected { host, ip, class }.into()),
                (true, None) => Err(format!("no addresses found for host `{host}`").into()),
                (false, _) => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}
