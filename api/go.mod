module github.com/seed405ffdea/mosn/api

go 1.26
