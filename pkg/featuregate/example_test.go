package featuregate_test

import (
	"fmt"

	"github.com/seed405ffdea/mosn/pkg/featuregate"
)

func Example() {
	g := featuregate.New()
	g.Add("UseNetpollMode", featuregate.Spec{PreRelease: featuregate.Beta, Description: "park idle connections in epoll"})
	g.Add("FastPath", featuregate.Spec{PreRelease: featuregate.Alpha, DependsOn: []string{"UseNetpollMode"},
		Init: func() error { fmt.Println("fast path on"); return nil }})
	if err := g.Set("UseNetpollMode=true,FastPath=true"); err != nil {
		fmt.Println(err)
		return
	}
	if err := g.Init(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g.Enabled("UseNetpollMode"), g.String())
	// Output:
	// fast path on
	// true FastPath=true,UseNetpollMode=true
}
