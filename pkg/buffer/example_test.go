package buffer_test

import (
	"fmt"
	"strings"

	"github.com/seed405ffdea/mosn/pkg/buffer"
)

func ExamplePool() {
	var pool buffer.Pool // the zero value is ready; share one per process or per listener

	buf := pool.GetBuffer(1500) // a 2 KiB class buffer
	if _, err := buf.ReadOnce(strings.NewReader("GET / HTTP/1.1\r\n")); err != nil {
		panic(err)
	}
	line := buf.Bytes() // valid until buf is mutated or returned
	fmt.Printf("%q\n", line[:3])
	buf.Drain(4)
	fmt.Println(buf.Len())
	pool.Put(buf) // buf and line must not be used after this

	scratch := pool.GetBytes(100)
	fmt.Println(len(*scratch), cap(*scratch))
	pool.PutBytes(scratch)
	// Output:
	// "GET"
	// 12
	// 100 512
}
