package tcpproxy

import (
	"syscall"
	"unsafe"
)

// countsQueued: a direction can wait for its source without holding a
// buffer, then count the bytes queued (TIOCINQ).
const countsQueued = true

// ready is the syscall.RawConn.Read callback of step: true when the
// source has bytes queued (their number in d.queued), has ended or
// failed; false to wait for it to become readable.
func (d *direction) ready(fd uintptr) bool {
	var n int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n))); e != 0 {
		return true // let the read report the error
	}
	if n > 0 {
		d.queued = int(n)
		return true
	}
	// Nothing queued: wait, unless the stream ended or failed.
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return err != syscall.EAGAIN
}
