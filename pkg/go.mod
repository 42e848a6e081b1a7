module github.com/seed405ffdea/mosn/pkg

go 1.26

require github.com/seed405ffdea/mosn/api v0.0.0

require gopkg.in/natefinch/lumberjack.v2 v2.2.1 // indirect

replace github.com/seed405ffdea/mosn/api => ../api
