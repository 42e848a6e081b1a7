package workerpool_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/pkg/workerpool"
)

func Example() {
	// At most 4 tasks at once, 16 more may wait; idle workers exit after 30 s.
	p := workerpool.New(4, 16, workerpool.WithIdleTimeout(30*time.Second))

	var done atomic.Int64
	for range 10 {
		// SubmitWait blocks while the pool is full; Submit would return false.
		if err := p.SubmitWait(context.Background(), func() { done.Add(1) }); err != nil {
			panic(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil { // runs every accepted task first
		panic(err)
	}
	fmt.Println(done.Load(), p.Submit(func() {}))
	// Output: 10 false
}
