package tlsctx

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/seed405ffdea/mosn/api"
)

// Options configure how a provider gets and refreshes its certificates.
type Options struct {
	// Secrets supplies the secrets named by sds_source; nil means none
	// (a context with sds_source then fails to build).
	Secrets api.SecretProvider
	// Logger receives reloads and reload failures; nil discards them.
	Logger *slog.Logger
	// NoWatch turns off watching certificate files (they are read once).
	NoWatch bool
	// Debounce is how long file events settle before a reload; zero
	// means 100ms (editors and Kubernetes write a file in several steps).
	Debounce time.Duration
}

// watcher reloads contexts when their files change or their SDS secrets
// get a new version. A failed reload keeps the previous certificates.
type watcher struct {
	cancel context.CancelFunc
	fsw    *fsnotify.Watcher
	wg     sync.WaitGroup
}

func contextLabel(n, i int) string {
	if n == 1 {
		return "tls_context"
	}
	return fmt.Sprintf("tls_context_set[%d]", i)
}

// startWatching loads every context once (an error here fails the build)
// and then keeps them fresh. onChange runs after each successful reload.
func startWatching(ctxs []*tctx, opts Options, onChange func()) (*watcher, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Debounce <= 0 {
		opts.Debounce = 100 * time.Millisecond
	}
	cctx, cancel := context.WithCancel(context.Background())
	w := &watcher{cancel: cancel}
	fail := func(err error) (*watcher, error) {
		w.close()
		return nil, err
	}
	for i, x := range ctxs {
		if err := x.fetchSecrets(cctx, opts.Secrets); err != nil {
			return fail(fmt.Errorf("%s.%w", contextLabel(len(ctxs), i), err))
		}
		if err := x.load(); err != nil {
			return fail(fmt.Errorf("%s.%w", contextLabel(len(ctxs), i), err))
		}
	}
	reload := func(i int) {
		x := ctxs[i]
		before := x.reloads.Load()
		if err := x.load(); err != nil {
			x.failure.Add(1)
			log.Warn("tls: reload failed, keeping the previous certificate", "context", contextLabel(len(ctxs), i), "err", err)
			return
		}
		if x.reloads.Load() != before {
			log.Info("tls: certificate reloaded", "context", contextLabel(len(ctxs), i))
			if onChange != nil {
				onChange()
			}
		}
	}
	for i, x := range ctxs {
		if x.sds == nil {
			continue
		}
		for _, s := range []*SdsSecret{x.sds.CertificateConfig, x.sds.ValidationConfig} {
			if s == nil {
				continue
			}
			name, i, x := s.Name, i, x
			opts.Secrets.Watch(cctx, name, func(sec api.Secret) {
				if cctx.Err() != nil {
					return
				}
				x.setSecret(name, sec)
				reload(i)
			})
		}
	}
	if opts.NoWatch {
		return w, nil
	}
	dirs := map[string]bool{}
	for _, x := range ctxs {
		for _, f := range x.files() {
			dirs[filepath.Dir(f)] = true
		}
	}
	if len(dirs) == 0 {
		return w, nil
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return fail(fmt.Errorf("tls: watching certificate files: %w", err))
	}
	w.fsw = fsw
	for d := range dirs {
		// The directory, not the file: an atomic rename or a Kubernetes
		// ..data symlink swap replaces the file's inode.
		if err := fsw.Add(d); err != nil {
			return fail(fmt.Errorf("tls: watching %q: %w", d, err))
		}
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		for {
			select {
			case _, ok := <-fsw.Events:
				if !ok {
					return
				}
				timer.Reset(opts.Debounce)
			case err, ok := <-fsw.Errors:
				if !ok {
					return
				}
				log.Warn("tls: watching certificate files", "err", err)
			case <-timer.C:
				for i, x := range ctxs {
					if len(x.files()) > 0 {
						reload(i)
					}
				}
			case <-cctx.Done():
				return
			}
		}
	}()
	return w, nil
}

// close stops the watches and waits for the file watcher's goroutine.
func (w *watcher) close() {
	if w == nil {
		return
	}
	w.cancel()
	if w.fsw != nil {
		w.fsw.Close()
	}
	w.wg.Wait()
}
