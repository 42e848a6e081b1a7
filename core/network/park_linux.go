package network

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"
)

// parker holds idle connections without a goroutine or a read buffer: the
// connection's descriptor waits in an epoll set of its own (MOSN's
// "netpoll mode"), and a goroutine is started again only when bytes
// arrive. One goroutine per listener runs the epoll loop; it also closes
// parked connections whose idle deadline passed.
//
// The descriptor stays registered with Go's own poller as well: the two
// epoll sets are independent, and the connection is used through net.Conn
// again as soon as it wakes.
type parker struct {
	epfd   int
	wakefd int // eventfd that interrupts epoll_wait on close

	mu     sync.Mutex
	parked map[int32]*parkedConn
	// known: descriptors added to the epoll set (EPOLLONESHOT keeps them
	// registered but disarmed after an event; they are re-armed with MOD).
	known  map[int32]*Conn
	closed bool
	done   chan struct{}
}

type parkedConn struct {
	c        *Conn
	deadline time.Time // zero: none
	ready    func()
	expire   func()
}

// sweepEvery bounds how late a parked connection's idle deadline fires.
const sweepEvery = 250 * time.Millisecond

var errParkerClosed = errors.New("network: parker closed")

func newParker() (*parker, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("network: epoll_create1: %w", err)
	}
	r1, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if e != 0 {
		syscall.Close(epfd)
		return nil, fmt.Errorf("network: eventfd2: %w", e)
	}
	wakefd := int(r1)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(wakefd)}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(wakefd)
		return nil, fmt.Errorf("network: epoll_ctl: %w", err)
	}
	p := &parker{
		epfd:   epfd,
		wakefd: wakefd,
		parked: make(map[int32]*parkedConn),
		known:  make(map[int32]*Conn),
		done:   make(chan struct{}),
	}
	go p.loop()
	return p, nil
}

// park arms c's descriptor: ready runs on a new goroutine when c becomes
// readable (or the peer closes), expire when deadline passes first.
func (p *parker) park(c *Conn, deadline time.Time, ready, expire func()) error {
	sc, ok := c.raw.(syscall.Conn)
	if !ok {
		return errors.New("network: connection has no descriptor to park")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errParkerClosed
	}
	var cerr error
	err = rc.Control(func(fd uintptr) {
		key := int32(fd)
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: key}
		op := syscall.EPOLL_CTL_MOD
		if p.known[key] != c {
			// A new connection, or a reused descriptor number whose old
			// registration vanished when its connection closed.
			op = syscall.EPOLL_CTL_ADD
		}
		cerr = syscall.EpollCtl(p.epfd, op, int(fd), &ev)
		if cerr == syscall.EEXIST {
			cerr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, int(fd), &ev)
		} else if cerr == syscall.ENOENT {
			cerr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
		}
		if cerr == nil {
			p.known[key] = c
			p.parked[key] = &parkedConn{c: c, deadline: deadline, ready: ready, expire: expire}
			c.parkFD = key
		}
	})
	if err != nil {
		return err
	}
	return cerr
}

// unpark takes c out of the parker if it is parked there; true means the
// caller now owns c (its callbacks will not run).
func (p *parker) unpark(c *Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	pc, ok := p.parked[c.parkFD]
	if !ok || pc.c != c {
		return false
	}
	delete(p.parked, c.parkFD)
	return true
}

// forget drops c's registration record before its descriptor closes.
func (p *parker) forget(c *Conn) {
	p.mu.Lock()
	if p.known[c.parkFD] == c {
		delete(p.known, c.parkFD)
	}
	p.mu.Unlock()
}

func (p *parker) loop() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 256)
	lastSweep := time.Now()
	for {
		n, err := syscall.EpollWait(p.epfd, events, int(sweepEvery/time.Millisecond))
		if err != nil && err != syscall.EINTR {
			return
		}
		var run []func()
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return
		}
		for i := 0; i < n; i++ {
			key := events[i].Fd
			if int(key) == p.wakefd {
				continue
			}
			if pc, ok := p.parked[key]; ok {
				delete(p.parked, key)
				run = append(run, pc.ready)
			}
		}
		if now := time.Now(); now.Sub(lastSweep) >= sweepEvery {
			lastSweep = now
			for key, pc := range p.parked {
				if !pc.deadline.IsZero() && !now.Before(pc.deadline) {
					delete(p.parked, key)
					run = append(run, pc.expire)
				}
			}
		}
		p.mu.Unlock()
		for _, f := range run {
			go f()
		}
	}
}

// close stops the loop and returns the connections still parked; their
// callbacks will not run, so the caller closes them.
func (p *parker) close() []*Conn {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	var left []*Conn
	for _, pc := range p.parked {
		left = append(left, pc.c)
	}
	p.parked = nil
	p.mu.Unlock()
	var one = [8]byte{1}
	syscall.Write(p.wakefd, one[:])
	<-p.done
	syscall.Close(p.epfd)
	syscall.Close(p.wakefd)
	return left
}
