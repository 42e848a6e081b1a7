package http2

import (
	"bytes"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/seed405ffdea/mosn/core/protocol/http2/h2spectest"
)

// bodyHandler drains the request and answers 200 with a 1000-byte body.
type bodyHandler struct{}

func (bodyHandler) ServeStream(st *Stream) {
	st.SetReadDeadline(time.Now().Add(5 * time.Second))
	st.SetWriteDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 16<<10)
	for {
		if _, err := st.Read(buf); err != nil {
			break
		}
	}
	if st.WriteHeaders([]hpack.HeaderField{{Name: ":status", Value: "200"}}, false) == nil {
		st.WriteData(bytes.Repeat([]byte("x"), 1000), true)
	}
}

// h2specMinPass is the number of h2spec tests the codec passes; the test
// fails when fewer pass.
const h2specMinPass = 145

func TestH2Spec(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	addr := serve(t, Config{MaxConcurrentStreams: 100}, bodyHandler{})
	h2spectest.Run(t, addr, h2specMinPass)
}
