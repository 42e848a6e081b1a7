package log_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/seed405ffdea/mosn/pkg/log"
)

func ExampleParseRoller() {
	r, err := log.ParseRoller("size=100 age=10 keep=10 compress=off")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", r)

	r, _ = log.ParseRoller("time=1")
	fmt.Println("rotate every", r.Interval)

	_, err = log.ParseRoller("size=100 compress=yes")
	fmt.Println(err)
	// Output:
	// {MaxSize:100 MaxAge:10 MaxBackups:10 Compress:false Interval:0s}
	// rotate every 1h0m0s
	// log: invalid roller: compress "yes", want on or off
}

func ExampleNew() {
	dir, err := os.MkdirTemp("", "mosn-log")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	l, err := log.New(log.Options{
		Path:   filepath.Join(dir, "default.log"),
		Level:  "WARN",
		Roller: "size=100 age=10 keep=10 compress=off",
	})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	l.Slog().Info("not written: below WARN")
	l.Slog().Warn("upstream unhealthy", "cluster", "reviews")

	// The admin API can change the level at run time.
	if err := l.SetLevel("trace"); err != nil {
		panic(err)
	}
	fmt.Println(l.Level())
	// Output: TRACE
}
