import SIPCore
import Testing

/// What the API server's SSRF guard refuses, address by address (issue 17).
struct AddressScopeTests {
    @Test(arguments: [
        ("8.8.8.8", AddressScope.global), ("1.1.1.1", .global), ("2606:4700::1111", .global),
        ("127.0.0.1", .loopback), ("127.255.0.9", .loopback), ("::1", .loopback),
        ("10.0.0.1", .private), ("172.16.5.4", .private), ("172.31.255.255", .private), ("192.168.1.1", .private),
        ("100.64.0.1", .private), ("fd00::1", .private), ("fc12::1", .private),
        ("169.254.169.254", .linkLocal), ("fe80::1", .linkLocal), ("fe80::1%eth0", .linkLocal),
        ("224.0.0.1", .multicast), ("239.255.255.250", .multicast), ("ff02::1", .multicast),
        ("0.0.0.0", .unspecified), ("::", .unspecified),
        ("255.255.255.255", .reserved), ("240.0.0.1", .reserved), ("192.0.2.10", .reserved), ("198.51.100.7", .reserved),
        ("203.0.113.5", .reserved), ("198.18.0.1", .reserved), ("2001:db8::1", .reserved),
        // IPv4 inside IPv6 is judged as the IPv4 address it carries.
        ("::ffff:127.0.0.1", .loopback), ("::ffff:10.1.2.3", .private), ("::ffff:8.8.8.8", .global), ("64:ff9b::a00:1", .private),
        ("172.15.0.1", .global), ("172.32.0.1", .global), ("100.63.0.1", .global),
    ])
    func scopes(_ address: String, _ scope: AddressScope) {
        #expect(AddressScope(address: address) == scope, "\(address)")
    }

    @Test func namesAreNotAddresses() {
        #expect(AddressScope(address: "localhost") == nil)
        #expect(AddressScope(address: "pbx.example.com") == nil)
        #expect(AddressScope(address: "") == nil)
    }
}
