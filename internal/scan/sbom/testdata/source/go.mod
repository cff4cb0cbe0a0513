module example.com/app

go 1.21

toolchain go1.22.3

require (
	github.com/BurntSushi/toml v1.3.2
	example.com/app/tools v0.0.0
	golang.org/x/net v0.15.0
)

require golang.org/x/text v0.13.0 // indirect

replace github.com/old/dep => github.com/new/dep v1.2.3

replace example.com/app/tools => ./tools
