package bootstrap

import (
	"errors"
	"log/slog"

	"github.com/seed405ffdea/mosn/istio-adapter/xds"
)

// NewClient returns the ADS client the bootstrap describes, applying to
// target (a *server.Server), with its controller. It is not started.
func (b *Bootstrap) NewClient(target xds.Target, log *slog.Logger, m *xds.Metrics) (*xds.Client, *xds.Controller, error) {
	if b.ADS == nil {
		return nil, nil, errors.New("bootstrap: no dynamic_resources.ads_config")
	}
	ctrl := xds.NewController(xds.ControllerOptions{Target: target, Logger: log, Metrics: m, WarmTimeout: b.ADS.InitialFetchTimeout})
	c, err := xds.NewClient(xds.Options{
		Target:              b.ADS.Target,
		Node:                b.Node,
		Delta:               b.ADS.Delta,
		InitialFetchTimeout: b.ADS.InitialFetchTimeout,
		Controller:          ctrl,
		Logger:              log,
		Metrics:             m,
	})
	if err != nil {
		return nil, nil, err
	}
	return c, ctrl, nil
}
