module github.com/seed405ffdea/mosn/pkg

go 1.26

require (
	github.com/seed405ffdea/mosn/api v0.0.0
	gopkg.in/natefinch/lumberjack.v2 v2.2.1
)

replace github.com/seed405ffdea/mosn/api => ../api
