module github.com/seed405ffdea/mosn/distro

go 1.26

require github.com/seed405ffdea/mosn/core v0.0.0

require (
	github.com/seed405ffdea/mosn/api v0.0.0 // indirect
	github.com/seed405ffdea/mosn/pkg v0.0.0 // indirect
	gopkg.in/natefinch/lumberjack.v2 v2.2.1 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

replace (
	github.com/seed405ffdea/mosn/api => ../api
	github.com/seed405ffdea/mosn/core => ../core
	github.com/seed405ffdea/mosn/pkg => ../pkg
)
