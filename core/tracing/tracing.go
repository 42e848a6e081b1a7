package tracing

import (
	"encoding/json"
	"fmt"

	"github.com/seed405ffdea/mosn/api"
)

// NewRegistry returns an empty tracer registry. Drivers (extensions) are
// registered by a distro under their MOSN names ("SOFATracer",
// "jaeger", "skywalking", ...).
func NewRegistry() *api.Registry[api.TracerFactory] {
	return api.NewRegistry[api.TracerFactory]("tracer")
}

// Build creates the configured driver's tracer.
func Build(reg *api.Registry[api.TracerFactory], driver string, config json.RawMessage) (api.Tracer, error) {
	f, ok := reg.Get(driver)
	if !ok {
		return nil, fmt.Errorf("tracing: unknown driver %q", driver)
	}
	if len(config) == 0 {
		config = json.RawMessage("{}")
	}
	return f(config)
}
