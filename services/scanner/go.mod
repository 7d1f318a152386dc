module traderadmin/scanner

go 1.25.0

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/fsnotify/fsnotify v1.10.1 // indirect
	github.com/pelletier/go-toml/v2 v2.4.3
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // indirect
)

require (
	golang.org/x/sys v0.13.0 // indirect
	golang.org/x/text v0.14.0 // indirect
)

require traderadmin.local/configcontract v0.0.0

// The config contract's Go judge lives in this repository; the scanner is
// built on the host (traderadmin/images/staging.py), where this path exists.
replace traderadmin.local/configcontract => ../../contract/go
