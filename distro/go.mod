module github.com/seed405ffdea/mosn/distro

go 1.26

require (
	github.com/seed405ffdea/mosn/api v0.0.0
	github.com/seed405ffdea/mosn/core v0.0.0
	github.com/seed405ffdea/mosn/pkg v0.0.0
)

replace (
	github.com/seed405ffdea/mosn/api => ../api
	github.com/seed405ffdea/mosn/core => ../core
	github.com/seed405ffdea/mosn/pkg => ../pkg
)
