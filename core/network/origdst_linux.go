package network

import (
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"unsafe"
)

// soOriginalDst is SO_ORIGINAL_DST (linux/netfilter_ipv4.h) and
// IP6T_SO_ORIGINAL_DST (linux/netfilter_ipv6/ip6_tables.h).
const soOriginalDst = 80

// originalDst asks netfilter's conntrack for the destination a connection
// had before NAT (REDIRECT/DNAT). The answer is a sockaddr_in or
// sockaddr_in6.
func originalDst(tc *net.TCPConn) (*net.TCPAddr, error) {
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil, err
	}
	la, _ := tc.LocalAddr().(*net.TCPAddr)
	v6 := la != nil && la.IP.To4() == nil
	var sa [28]byte // sizeof(struct sockaddr_in6)
	var serr error
	err = rc.Control(func(fd uintptr) {
		level := syscall.SOL_IP
		if v6 {
			level = syscall.SOL_IPV6
		}
		size := uint32(len(sa))
		_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, uintptr(level), soOriginalDst,
			uintptr(unsafe.Pointer(&sa[0])), uintptr(unsafe.Pointer(&size)), 0)
		if e != 0 {
			serr = e
		}
	})
	if err != nil {
		return nil, err
	}
	if serr == syscall.ENOENT {
		// No conntrack entry: the connection was not NATed.
		return nil, nil
	}
	if serr != nil {
		return nil, serr
	}
	port := int(binary.BigEndian.Uint16(sa[2:4]))
	switch binary.NativeEndian.Uint16(sa[0:2]) {
	case syscall.AF_INET:
		ip := netip.AddrFrom4([4]byte(sa[4:8]))
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))), nil
	case syscall.AF_INET6:
		ip := netip.AddrFrom16([16]byte(sa[8:24]))
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip.Unmap(), uint16(port))), nil
	}
	return nil, nil
}

// setTransparent sets IP_TRANSPARENT (and IPV6_TRANSPARENT) so a tproxy
// listener accepts connections for any destination (needs CAP_NET_ADMIN).
func setTransparent(fd uintptr, v6 bool) error {
	if v6 {
		return syscall.SetsockoptInt(int(fd), syscall.SOL_IPV6, 75 /* IPV6_TRANSPARENT */, 1)
	}
	return syscall.SetsockoptInt(int(fd), syscall.SOL_IP, syscall.IP_TRANSPARENT, 1)
}
