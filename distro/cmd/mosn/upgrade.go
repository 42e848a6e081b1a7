package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
	"github.com/seed405ffdea/mosn/core/upgrade"
)

// envUpgrade is set in the environment of the process SIGHUP starts: it
// must find the old process, and fails if it cannot.
const envUpgrade = "MOSN_UPGRADE"

// upgradeState is this process's part in hot upgrades: the session with
// the process it upgrades from (client, handoff), and the upgrade socket
// it serves for its own successor (srv).
type upgradeState struct {
	dir     string // uds_dir; empty: upgrades are off
	client  *upgrade.Client
	handoff *upgrade.Handoff
	srv     *upgrade.Server
}

// udsDir is the upgrade socket's directory, or "" when upgrades are off
// (disable_upgrade, or no uds_dir and MOSN's default directory missing).
func udsDir(cfg *config.MOSNConfig) string {
	if cfg.DisableUpgrade {
		return ""
	}
	if cfg.UDSDir != "" {
		return cfg.UDSDir
	}
	if fi, err := os.Stat(upgrade.DefaultUDSDir); err == nil && fi.IsDir() {
		return upgrade.DefaultUDSDir
	}
	return ""
}

// inherit finds a running process to upgrade from and takes its sockets.
// Without one, this is a plain start (an error if SIGHUP started us).
func inherit(cfg *config.MOSNConfig, stdout io.Writer) (*upgradeState, error) {
	forked := os.Getenv(envUpgrade) != ""
	os.Unsetenv(envUpgrade) // our own successor decides for itself
	u := &upgradeState{dir: udsDir(cfg)}
	if u.dir == "" {
		if forked {
			return nil, errors.New("start: upgrade: disable_upgrade is set or uds_dir does not exist")
		}
		return u, nil
	}
	c, err := upgrade.Dial(u.dir, upgrade.DefaultHelloTimeout, nil)
	if err != nil {
		if forked {
			return nil, fmt.Errorf("start: %w", err)
		}
		return u, nil
	}
	h, err := c.Hello()
	if err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	u.client, u.handoff = c, h
	fmt.Fprintf(stdout, "mosn: upgrading from pid %d (%d sockets inherited)\n", h.PID, len(h.Listeners))
	return u, nil
}

// oldConfig is the old process's running config (inherit_old_mosnconfig).
func (u *upgradeState) oldConfig() (*config.MOSNConfig, error) {
	cfg, err := config.Parse(u.handoff.Config, "the old process's config")
	if err != nil {
		return nil, fmt.Errorf("start: inherit_old_mosnconfig: %w", err)
	}
	return cfg, nil
}

// listeners are the inherited sockets for server.Options.Inherited.
func (u *upgradeState) listeners() map[string]net.Listener {
	if u.handoff == nil {
		return nil
	}
	return u.handoff.Listeners
}

// abort tells the old process that this one failed: it serves on.
func (u *upgradeState) abort(err error) {
	if u.client != nil {
		u.handoff.Close()
		u.client.Abort(err)
	}
}

// serve takes over from the old process (its connections arrive from now
// on) and serves the upgrade socket for a successor. The returned channel
// is closed when a successor took over and this server was closed.
func (u *upgradeState) serve(srv *server.Server, stdout, stderr io.Writer) <-chan struct{} {
	if u.client != nil {
		if err := u.client.Takeover(srv.AdoptConn); err != nil {
			fmt.Fprintln(stderr, "mosn: upgrade: takeover:", err)
		} else {
			srv.TookOver()
			fmt.Fprintf(stdout, "mosn: took over from pid %d\n", u.handoff.PID)
		}
	}
	if u.dir == "" {
		return nil
	}
	var err error
	u.srv, err = upgrade.Serve(upgrade.ServerOptions{Dir: u.dir, Source: srv, Logger: srv.Logger()})
	if err != nil {
		fmt.Fprintln(stderr, "mosn: hot upgrade unavailable:", err)
		return nil
	}
	return u.srv.Done()
}

// close stops serving the upgrade socket and ends the inherited session.
func (u *upgradeState) close() {
	if u.srv != nil {
		u.srv.Close()
	}
	if u.client != nil {
		u.client.Close()
	}
}

// forkExec starts this binary again with the same arguments as the
// successor (SIGHUP). A successor that fails leaves this process serving.
func (u *upgradeState) forkExec(args []string, stdout, stderr io.Writer) {
	if u.srv == nil {
		fmt.Fprintln(stderr, "mosn: SIGHUP ignored: hot upgrade is off")
		return
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "mosn: SIGHUP: upgrade:", err)
		return
	}
	cmd := exec.Command(exe, append([]string{"start"}, args...)...)
	cmd.Env = append(os.Environ(), envUpgrade+"=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(stderr, "mosn: SIGHUP: upgrade:", err)
		return
	}
	fmt.Fprintf(stdout, "mosn: SIGHUP, started pid %d to take over\n", cmd.Process.Pid)
	go func() {
		if err := cmd.Wait(); err != nil {
			fmt.Fprintf(stderr, "mosn: upgrade: pid %d failed (%v); serving on\n", cmd.Process.Pid, err)
		}
	}()
}

// removePidFile removes path if it still holds this process's id: after
// a hot upgrade it holds the new process's.
func removePidFile(path string) {
	b, err := os.ReadFile(path)
	if err == nil && string(bytes.TrimSpace(b)) == strconv.Itoa(os.Getpid()) {
		os.Remove(path)
	}
}
